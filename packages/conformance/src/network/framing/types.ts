/**
 * How the fault proxy tells protocol messages apart in a byte stream, so that "the k-th request"
 * means the k-th message of the protocol, not the k-th TCP read.
 * @module
 */

/** Client to server (`request`) or server to client (`reply`). */
export type Direction = 'request' | 'reply';

/** What a framer knows of a message when it starts. */
export interface MessageInfo {
  /**
   * The message's name: for PostgreSQL the protocol name (`Query`, `Parse`, `ReadyForQuery`,
   * `CommandComplete`, `StartupMessage`, ...), for HTTP `<METHOD> <path>` or the status code
   * (`PUT /bucket/key`, `200`, `412`), `chunk` for the chunk framer, `opaque` for bytes a
   * framer could no longer follow (TLS, a protocol error).
   */
  readonly kind: string;
  /** The message's whole length in bytes, when the protocol says it up front. */
  readonly length?: number;
}

/** A run of bytes that belongs to one message. */
export interface Piece {
  readonly bytes: Buffer;
  /** Set on the first piece of a message. */
  readonly start?: MessageInfo;
  /** True on the piece that completes its message. */
  readonly end: boolean;
}

/**
 * Splits one direction of a connection into messages. `push` may hold bytes back until it knows
 * what message they start (a header split across reads), so that a fault "before message k"
 * lets no byte of it through.
 */
export interface Framer {
  push(chunk: Buffer): Piece[];
}

/**
 * The two framers of one connection. A pair, because some replies are framed by what was asked
 * (PostgreSQL's one-byte answer to SSLRequest, HTTP's bodiless answer to HEAD).
 */
export interface ConnectionFraming {
  readonly request: Framer;
  readonly reply: Framer;
}

/** Makes the framers of each new connection. */
export type Framing = () => ConnectionFraming;

/** One read passed as one `opaque` message: what a framer emits once it has lost track of the protocol. */
export function opaquePiece(bytes: Buffer): Piece {
  return { bytes, start: { kind: 'opaque' }, end: true };
}
