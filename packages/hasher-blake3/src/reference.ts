/**
 * The reference BLAKE3 kernel on `@noble/hashes`: one message per call, obviously correct, slow.
 * Every fast kernel is tested against it.
 * @module
 */
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import type { Blake3Kernel } from './kernel.js';

/** The `@noble/hashes` kernel (backend `"js"`). */
export const referenceKernel: Blake3Kernel = {
  backend: 'js',
  hashMany(input, inOffset, msgLen, count, out, outOffset) {
    for (let i = 0; i < count; i++) {
      const start = inOffset + i * msgLen;
      out.set(nobleBlake3(input.subarray(start, start + msgLen)), outOffset + 32 * i);
    }
  },
  hashPath(node, nodeOffset, siblings, counts, levels, out) {
    let cur = node.subarray(nodeOffset, nodeOffset + 32);
    let sibOff = 0;
    for (let k = 0; k < levels; k++) {
      const c = counts[k]!;
      if (c !== 0) {
        const h = nobleBlake3.create();
        h.update(siblings.subarray(sibOff, sibOff + c * 32));
        h.update(cur);
        cur = h.digest();
        sibOff += c * 32;
      }
      out.set(cur, k * 32);
      cur = out.subarray(k * 32, k * 32 + 32);
    }
  },
};
