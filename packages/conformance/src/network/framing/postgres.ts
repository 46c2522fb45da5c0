/**
 * PostgreSQL wire protocol 3.0 framing. Every message is a type byte and an int32 length that
 * counts itself but not the type byte, except at the start of a connection: the client's first
 * message (StartupMessage, SSLRequest, GSSENCRequest or CancelRequest) is an int32 length and an
 * int32 code with no type byte, and the server answers SSLRequest / GSSENCRequest with one bare
 * byte (`N`: go on in clear, then a new untyped startup message; `S`/`G`: TLS or GSS follows,
 * which no framer can read: the rest of the connection is `opaque`).
 * @module
 */
import { HeaderFramer } from './header-framer.js';
import type { Header } from './header-framer.js';
import type { Framing } from './types.js';

const FRONTEND: Readonly<Record<string, string>> = {
  B: 'Bind', C: 'Close', d: 'CopyData', c: 'CopyDone', f: 'CopyFail', D: 'Describe', E: 'Execute', H: 'Flush',
  F: 'FunctionCall', P: 'Parse', p: 'PasswordMessage', Q: 'Query', S: 'Sync', X: 'Terminate',
};

const BACKEND: Readonly<Record<string, string>> = {
  R: 'Authentication', K: 'BackendKeyData', 2: 'BindComplete', 3: 'CloseComplete', C: 'CommandComplete',
  d: 'CopyData', c: 'CopyDone', G: 'CopyInResponse', H: 'CopyOutResponse', W: 'CopyBothResponse', D: 'DataRow',
  I: 'EmptyQueryResponse', E: 'ErrorResponse', V: 'FunctionCallResponse', v: 'NegotiateProtocolVersion',
  n: 'NoData', N: 'NoticeResponse', A: 'NotificationResponse', t: 'ParameterDescription', S: 'ParameterStatus',
  1: 'ParseComplete', s: 'PortalSuspended', Z: 'ReadyForQuery', T: 'RowDescription',
};

const UNTYPED: Readonly<Record<number, string>> = {
  196608: 'StartupMessage',
  80877103: 'SSLRequest',
  80877104: 'GSSENCRequest',
  80877102: 'CancelRequest',
};

/** What the two directions of one connection share. */
interface ConnectionState {
  /** The client's next message has no type byte (start of a connection, or after a refused SSLRequest). */
  untypedRequest: boolean;
  /** Bare one-byte answers the server owes (one per SSLRequest / GSSENCRequest). */
  bareReplies: number;
  /** TLS or GSS encryption started: nothing is readable any more. */
  encrypted: boolean;
}

/** A typed message: 1 type byte + int32 length (counting itself). */
function typedHeader(header: Buffer, names: Readonly<Record<string, string>>): Header | undefined {
  const type = String.fromCharCode(header[0]!);
  const length = header.readInt32BE(1);
  if (length < 4) return undefined;
  return { info: { kind: names[type] ?? `Unknown(${type})`, length: length + 1 }, total: length + 1 };
}

class RequestFramer extends HeaderFramer {
  constructor(private readonly state: ConnectionState) {
    super();
  }

  protected headerSize(): number {
    return this.state.untypedRequest ? 8 : 5;
  }

  protected parse(header: Buffer): Header | undefined {
    if (this.state.encrypted) return undefined;
    if (!this.state.untypedRequest) return typedHeader(header, FRONTEND);
    const length = header.readInt32BE(0);
    const code = header.readInt32BE(4);
    const kind = UNTYPED[code] ?? (code >> 16 === 3 ? 'StartupMessage' : undefined);
    if (kind === undefined || length < 8) return undefined;
    if (kind === 'SSLRequest' || kind === 'GSSENCRequest') this.state.bareReplies += 1;
    else this.state.untypedRequest = false;
    return { info: { kind, length }, total: length };
  }
}

class ReplyFramer extends HeaderFramer {
  constructor(private readonly state: ConnectionState) {
    super();
  }

  protected headerSize(): number {
    return this.state.bareReplies > 0 ? 1 : 5;
  }

  protected parse(header: Buffer): Header | undefined {
    if (this.state.encrypted) return undefined;
    if (this.state.bareReplies === 0) return typedHeader(header, BACKEND);
    this.state.bareReplies -= 1;
    const answer = String.fromCharCode(header[0]!);
    if (answer === 'S' || answer === 'G') this.state.encrypted = true;
    else if (answer !== 'N') return undefined;
    return { info: { kind: answer === 'G' ? 'GSSENCResponse' : 'SSLResponse', length: 1 }, total: 1 };
  }
}

/**
 * PostgreSQL framing: "request k" is the k-th frontend message (`Query`, `Parse`, `Bind`,
 * `Execute`, `Sync`, ...; node-postgres sends a parameterised query as Parse, Bind, Describe,
 * Execute, Sync), "reply k" the k-th backend message (`CommandComplete`, `ReadyForQuery`, ...).
 */
export const postgresFraming: Framing = () => {
  const state: ConnectionState = { untypedRequest: true, bareReplies: 0, encrypted: false };
  return { request: new RequestFramer(state), reply: new ReplyFramer(state) };
};
