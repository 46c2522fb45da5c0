import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LeanIMT as ZkLeanIMT } from '@zk-kit/lean-imt';
import { LeanIMT } from '../src/tree/lean-imt.js';
import { toHex, fromHex } from '../src/bytes.js';
import { hashChildren, testHasher } from './support/naive-tree.js';

// @zk-kit/lean-imt is the JS reference LeanIMT (binary). Same 2-to-1 BLAKE3, nodes as hex strings
// (its verify and equality use ===, which works for strings, not for Uint8Array).
const zkHash = (a: string, b: string): string => toHex(hashChildren([fromHex(a), fromHex(b)]));

describe('cross-check N=2 against @zk-kit/lean-imt', () => {
  it('identical roots for random sizes and random leaves, insert and insertMany', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 300 }), (all, cut) => {
        const split = Math.min(cut, all.length);
        const zk = new ZkLeanIMT<string>(zkHash);
        const ours = new LeanIMT({ hasher: testHasher, n: 2, maxDepth: 32 });
        if (split > 0) zk.insertMany(all.slice(0, split).map(toHex));
        for (const l of all.slice(split)) zk.insert(toHex(l));
        if (split > 0) ours.insertMany(all.slice(0, split));
        for (const l of all.slice(split)) ours.insert(l);
        expect(toHex(ours.root!)).toBe(zk.root);
        expect(ours.depth).toBe(zk.depth);
      }),
      { numRuns: 60 },
    );
  });
});
