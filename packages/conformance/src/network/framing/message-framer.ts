/**
 * The loop every protocol framer shares: start a message (its head may be held back over
 * several reads until complete), pass the rest of it as it arrives, and once the protocol cannot
 * be followed any more, pass everything as `opaque`.
 * @module
 */
import { opaquePiece } from './types.js';
import type { Framer, Piece } from './types.js';

/**
 * How a message starts: its first piece and where its rest begins in the read; or the stream is
 * not this protocol, and `lostWith` holds the bytes held back from earlier reads.
 */
export type Start = { readonly piece: Piece; readonly next: number } | { readonly lostWith: Buffer };

export abstract class MessageFramer implements Framer {
  private inMessage = false;
  private lost = false;

  /**
   * Reads the start of the next message from `chunk[at..]`: `undefined` when more bytes are
   * needed (the framer holds what it got), or the first piece (held bytes included), or
   * `lostWith` when they are not this protocol.
   */
  protected abstract startMessage(chunk: Buffer, at: number): Start | undefined;

  /** Consumes bytes of the current message from `chunk[at..]`; `undefined` when the stream broke. */
  protected abstract continueMessage(chunk: Buffer, at: number): { used: number; done: boolean } | undefined;

  push(chunk: Buffer): Piece[] {
    const pieces: Piece[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.lost) {
        pieces.push(opaquePiece(chunk.subarray(at)));
        break;
      }
      if (this.inMessage) {
        const consumed = this.continueMessage(chunk, at);
        if (consumed === undefined) {
          // End the message where the protocol broke; what follows is opaque.
          pieces.push({ bytes: chunk.subarray(at, at), end: true });
          this.inMessage = false;
          this.lost = true;
          continue;
        }
        pieces.push({ bytes: chunk.subarray(at, at + consumed.used), end: consumed.done });
        at += consumed.used;
        this.inMessage = !consumed.done;
        continue;
      }
      const start = this.startMessage(chunk, at);
      if (start === undefined) break;
      if ('lostWith' in start) {
        this.lost = true;
        pieces.push(opaquePiece(Buffer.concat([start.lostWith, chunk.subarray(at)])));
        break;
      }
      pieces.push(start.piece);
      at = start.next;
      this.inMessage = !start.piece.end;
    }
    return pieces;
  }
}
