import { describe, expect, it, afterEach } from 'vitest';
import fc from 'fast-check';
import { LeanIMT, toHex } from '@rotortree/core';
import { availableBackends, blake3, nativeSimdLevels } from '../src/index.js';

const backends = availableBackends();

describe('blake3() backends', () => {
  afterEach(() => {
    delete process.env['ROTORTREE_DISABLE_NATIVE'];
  });

  it('auto picks the fastest that loads and says which', () => {
    const h = blake3();
    expect(h.backend).toBe(backends[0]);
    expect(backends).toContain('js');
    expect(backends).toContain('wasm'); // Node 20 has WebAssembly SIMD
    // Our CI machines have a compiler: there the addon must have been built at install.
    if (process.env['CI']) expect(backends).toContain('native');
  });

  it('falls back to wasm when the native addon is unavailable, visibly in hasher.backend', () => {
    process.env['ROTORTREE_DISABLE_NATIVE'] = '1';
    expect(blake3().backend).toBe('wasm');
    expect(availableBackends()).not.toContain('native');
    expect(() => blake3({ backend: 'native' })).toThrow(RangeError);
  });

  it('trees built with every backend (and every native SIMD level) have identical roots, N = 2..17', () => {
    const hashers = [
      ...backends.map((backend) => blake3({ backend })),
      ...nativeSimdLevels().map((simd) => blake3({ backend: 'native', simd })),
    ];
    expect(hashers.length).toBeGreaterThanOrEqual(2);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 17 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 0, max: 700 }), fc.integer(), (n, size, cut, seed) => {
        const leaves = new Uint8Array(size * 32).map((_, i) => (Math.imul(i + 1, seed | 1) >>> 13) & 255);
        const split = Math.min(cut, size) * 32;
        const roots = hashers.map((hasher) => {
          const tree = new LeanIMT({ hasher, n, maxDepth: 24 });
          if (split > 0) tree.insertMany(leaves.subarray(0, split));
          for (let off = split; off < leaves.length; off += 32) tree.insert(leaves.subarray(off, off + 32));
          return toHex(tree.root!);
        });
        expect(new Set(roots).size).toBe(1);
      }),
      { numRuns: 40 },
    );
  });
});
