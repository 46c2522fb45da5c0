/**
 * Where generated proofs are written: consecutive places in shared 64 KiB buffers, so that a proof
 * costs one small view, not an ArrayBuffer of its own (a fresh ArrayBuffer per proof costs more than
 * generating the proof). A proof's `bytes.buffer` is therefore shared with other proofs; a slab
 * stays alive while any proof in it does. Slabs are zero-filled, so no byte of one is uninitialized.
 * @module
 */

/** Bytes per slab. */
const SLAB_BYTES = 64 * 1024;
/** Proofs longer than this get a buffer of their own (they would waste much of a slab's tail). */
const OWN_BUFFER_BYTES = SLAB_BYTES / 8;

/** The slab proofs are being written into, as bytes and as 64-bit words, and its first free byte. */
export class ProofArena {
  bytes: Uint8Array = new Uint8Array(0);
  /** {@link bytes} as 64-bit words. */
  longs: BigInt64Array = new BigInt64Array(0);
  #used = 0;

  /**
   * Room for `length` bytes (a multiple of 8): returns their offset in {@link bytes}, which may be a
   * new slab (or a buffer of exactly `length` bytes for a long proof).
   */
  take(length: number): number {
    if (this.#used + length > this.bytes.length) {
      if (length > OWN_BUFFER_BYTES) {
        this.#use(new Uint8Array(length), length);
        return 0;
      }
      this.#use(new Uint8Array(SLAB_BYTES), 0);
    }
    const at = this.#used;
    this.#used = at + length;
    return at;
  }

  #use(bytes: Uint8Array, used: number): void {
    this.bytes = bytes;
    this.longs = new BigInt64Array(bytes.buffer);
    this.#used = used;
  }
}

/** The arena of single generated proofs (batches get one buffer each). */
export const proofArena = new ProofArena();
