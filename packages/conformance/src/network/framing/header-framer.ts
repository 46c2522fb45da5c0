/**
 * Framers whose messages start with a fixed-size header that says their length: the header is
 * held back until complete, so that the message's kind is known before any of its bytes pass.
 * @module
 */
import { MessageFramer } from './message-framer.js';
import type { Start } from './message-framer.js';
import type { MessageInfo } from './types.js';

/** What a header says: the message's kind and whole length (header included). */
export interface Header {
  readonly info: MessageInfo;
  readonly total: number;
}

export abstract class HeaderFramer extends MessageFramer {
  private held: Buffer = Buffer.alloc(0);
  /** Bytes of the current message not passed on yet. */
  private remaining = 0;

  /** How many bytes the next message's header has. */
  protected abstract headerSize(): number;
  /** Reads a complete header; `undefined` when it makes no sense (the stream is then opaque). */
  protected abstract parse(header: Buffer): Header | undefined;

  protected startMessage(chunk: Buffer, at: number): Start | undefined {
    const earlier = this.held;
    const take = Math.min(this.headerSize() - earlier.length, chunk.length - at);
    const part = chunk.subarray(at, at + take);
    this.held = earlier.length === 0 ? part : Buffer.concat([earlier, part]);
    if (this.held.length < this.headerSize()) return undefined;
    const header = this.held;
    this.held = Buffer.alloc(0);
    const parsed = this.parse(header);
    if (parsed === undefined || parsed.total < header.length) return { lostWith: earlier };
    this.remaining = parsed.total - header.length;
    return { piece: { bytes: header, start: parsed.info, end: this.remaining === 0 }, next: at + take };
  }

  protected continueMessage(chunk: Buffer, at: number): { used: number; done: boolean } {
    const used = Math.min(this.remaining, chunk.length - at);
    this.remaining -= used;
    return { used, done: this.remaining === 0 };
  }
}
