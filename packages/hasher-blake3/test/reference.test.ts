import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LeanIMT, RotorTreeError, hashPathWithGroups, toHex } from '@rotortree/core';
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import { BLAKE3_ID, BLAKE3_LEGACY_ID, blake3, referenceKernel } from '../src/index.js';

function leaf(i: number): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setUint32(0, i, true);
  return out;
}
const leaves = (count: number): Uint8Array[] => Array.from({ length: count }, (_, i) => leaf(i + 1));

function rootOf(hasher: ReturnType<typeof blake3>, n: number, count: number): LeanIMT {
  const tree = new LeanIMT({ hasher, n, maxDepth: 16 });
  tree.insertMany(leaves(count));
  return tree;
}

describe('blake3(): the rotortree 0.19 rule, parent = BLAKE3(children)', () => {
  it('has a stable id and reports its backend', () => {
    const h = blake3({ backend: 'js' });
    expect(h.id).toBe(BLAKE3_ID);
    expect(h.backend).toBe('js');
  });

  it('matches the vectors computed from the Rust crate rules (research/rotortree.md §2)', () => {
    const h = blake3({ backend: 'js' });
    const t5 = rootOf(h, 4, 5);
    expect(toHex(t5.getNode(1, 0))).toBe('c128757f7f9f5f18ebcc132b1123eb6bc0c96417b273d66051180b43e7d8f67c');
    expect(toHex(t5.root!)).toBe('205e7b17d010fbae5fef262877a7daad9b0e5a7a779d021a8940cc73d46b7d73');
    const t6 = rootOf(h, 4, 6);
    expect(toHex(t6.getNode(1, 1))).toBe('aecebd84cbd4f2213609e9108286ab4880878afa0b46a1f99be1754751b3368f');
    expect(toHex(t6.root!)).toBe('b7d49e6d1137eea4fade08a7f533b94bc309edb4a9187083311a7a764ab60959');
    expect(toHex(rootOf(h, 2, 3).root!)).toBe('1ce645d96d15f895eb866ece02a7f943583f7d0e6ebeb65cccc132fa22d2a85b');
  });

  it('hashGroup, hashGroups and hashPath agree with one-shot BLAKE3', () => {
    const h = blake3({ backend: 'js' });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 17 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 64 }), (width, groups, pad) => {
        const input = new Uint8Array(pad + width * groups * 32).map((_, i) => (i * 31 + width) & 255);
        const out = new Uint8Array(pad + groups * 32);
        h.hashGroups(input, pad, width, groups, out, pad);
        for (let g = 0; g < groups; g++) {
          const start = pad + g * width * 32;
          expect(toHex(out.subarray(pad + g * 32, pad + g * 32 + 32))).toBe(toHex(nobleBlake3(input.subarray(start, start + width * 32))));
        }
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 0, maxLength: 12 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (countsArr, node) => {
        const counts = Uint8Array.from(countsArr);
        const total = countsArr.reduce((a, b) => a + b, 0);
        const siblings = new Uint8Array(total * 32).map((_, i) => (i * 7) & 255);
        const viaKernel = new Uint8Array(counts.length * 32);
        const viaGroups = new Uint8Array(counts.length * 32);
        referenceKernel.hashPath(node, 0, siblings, counts, counts.length, viaKernel);
        hashPathWithGroups(h, node, 0, siblings, counts, counts.length, viaGroups, new Uint8Array(17 * 32));
        expect(toHex(viaKernel)).toBe(toHex(viaGroups));
      }),
      { numRuns: 100 },
    );
  });

  it('rejects unknown backends', () => {
    expect(() => blake3({ backend: 'gpu' as never })).toThrow(RangeError);
  });
});

describe('blake3({ legacy: true }): the rotortree 0.12-0.15 rule, BLAKE3(0x01 || k || children)', () => {
  it('matches the legacy vectors and has its own id', () => {
    const h = blake3({ legacy: true });
    expect(h.id).toBe(BLAKE3_LEGACY_ID);
    const t5 = rootOf(h, 4, 5);
    expect(toHex(t5.getNode(1, 0))).toBe('04a6b631ab0f4c8a5770c781dfde064f3284317c68e44200e85b694c7979e853');
    expect(toHex(t5.root!)).toBe('8fc0cbb3f70b9a0e9706a9deb41b62bb940648322c83f4bbc5965d1c0df2310b');
    const t6 = rootOf(h, 4, 6);
    expect(toHex(t6.getNode(1, 1))).toBe('0dde9a0facec8435375e0896ab630f66036d61baa718b981207db8a8ebdaa508');
    expect(toHex(t6.root!)).toBe('483d344f223f3ea8d7f976ee64904ff51059733c2bbf01a6f1460b3c2491db05');
    expect(toHex(rootOf(h, 2, 3).root!)).toBe('eff07e69126b09f07fe08ad11ff0bfd9fdc8397230a37deed7b6dddca800868c');
  });

  it('legacy and plain roots differ; legacy refuses n > 255 groups', () => {
    expect(toHex(rootOf(blake3({ legacy: true }), 3, 10).root!)).not.toBe(toHex(rootOf(blake3({ backend: 'js' }), 3, 10).root!));
    const tree = new LeanIMT({ hasher: blake3({ legacy: true }), n: 256, maxDepth: 2 });
    let err: unknown;
    try {
      tree.insertMany(Array.from({ length: 256 }, (_, i) => leaf(i)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect(tree.size).toBe(0);
    expect(() => blake3({ legacy: true, backend: 'wasm' })).toThrow(RangeError);
    expect(RotorTreeError).toBeDefined();
  });
});
