/** The hashers the benchmarks compare: each of our BLAKE3 backends, and per-call npm BLAKE3 for reference. */
import type { Hasher } from '@rotortree/core';
import { hasherFromGroupFunction } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { hashInto as jitHashInto } from 'blake3-jit';

/** Our backends that load on this machine, fastest first as `blake3()` would pick. */
export function ourHashers(): { key: string; name: string; hasher: Hasher }[] {
  const out: { key: string; name: string; hasher: Hasher }[] = [];
  for (const backend of ['native', 'wasm', 'js'] as const) {
    try {
      const hasher = blake3({ backend });
      out.push({ key: hasher.backend ?? backend, name: `rotortree (${hasher.backend})`, hasher });
    } catch {
      // not available in this build or on this machine
    }
  }
  return out;
}

/** Our tree driven by blake3-jit one group per call: what a flat-buffer tree gets from the best per-call npm BLAKE3. */
export function jitPerCallHasher(): Hasher {
  const out32 = new Uint8Array(32);
  return hasherFromGroupFunction(
    'blake3',
    (input, inOffset, count, out, outOffset) => {
      jitHashInto(input.subarray(inOffset, inOffset + count * 32), out32);
      out.set(out32, outOffset);
    },
    'blake3-jit per call',
  );
}
