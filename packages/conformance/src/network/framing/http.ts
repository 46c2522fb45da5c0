/**
 * HTTP/1.1 framing (RFC 9112 §6), enough for S3 clients over keep-alive connections: a message
 * is its head (start line and headers, held back until complete) and its body, delimited by
 * Content-Length, chunked transfer coding, or (responses only) the end of the connection.
 * Responses to HEAD, 1xx, 204 and 304 have no body; a 1xx (`100 Continue`) is a message of its
 * own and does not answer the request. Counting TCP reads instead would make "the k-th request"
 * depend on how a PUT body happened to be split.
 * @module
 */
import { MessageFramer } from './message-framer.js';
import type { Start } from './message-framer.js';
import type { Framing, MessageInfo } from './types.js';

/** Longest head we hold back; past it the stream is treated as opaque. */
const MAX_HEAD = 64 * 1024;
/** Longest chunk-size or trailer line we follow. */
const MAX_LINE = 8 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

type Body =
  | { readonly type: 'length'; remaining: number }
  | { readonly type: 'chunked'; step: 'size' | 'data' | 'trailer'; line: string; remaining: number }
  | { readonly type: 'untilClose' };

/** A parsed head: the message's kind and how its body is delimited (`undefined`: no body). */
interface Head {
  readonly info: MessageInfo;
  readonly body: Body | undefined;
}

function headerValues(lines: readonly string[], name: string): string[] {
  const prefix = `${name}:`;
  return lines.filter((l) => l.toLowerCase().startsWith(prefix)).map((l) => l.slice(prefix.length).trim().toLowerCase());
}

/** The body rules shared by requests and responses; `undefined` when the headers contradict themselves. */
function bodyFromHeaders(lines: readonly string[], untilCloseByDefault: boolean): Body | undefined | 'invalid' {
  const codings = headerValues(lines, 'transfer-encoding').flatMap((v) => v.split(',').map((c) => c.trim()));
  if (codings.length > 0) {
    if (codings[codings.length - 1] === 'chunked') return { type: 'chunked', step: 'size', line: '', remaining: 0 };
    return untilCloseByDefault ? { type: 'untilClose' } : 'invalid';
  }
  const lengths = new Set(headerValues(lines, 'content-length'));
  if (lengths.size > 1) return 'invalid';
  const [text] = [...lengths];
  if (text === undefined) return untilCloseByDefault ? { type: 'untilClose' } : undefined;
  if (!/^\d+$/.test(text)) return 'invalid';
  const length = Number(text);
  return length === 0 ? undefined : { type: 'length', remaining: length };
}

abstract class HttpFramer extends MessageFramer {
  private held: Buffer = Buffer.alloc(0);
  private body: Body | undefined;

  /** Parses a head (without its final CRLF CRLF); `undefined` when it is not HTTP/1.x. */
  protected abstract parseHead(lines: readonly string[]): Head | undefined;

  protected startMessage(chunk: Buffer, at: number): Start | undefined {
    const searchFrom = Math.max(0, this.held.length - 3);
    const held = this.held.length === 0 ? chunk.subarray(at) : Buffer.concat([this.held, chunk.subarray(at)]);
    const end = held.indexOf(HEAD_END, searchFrom);
    if (end < 0) {
      this.held = held.length > MAX_HEAD ? Buffer.alloc(0) : held;
      return held.length > MAX_HEAD ? { lostWith: held.subarray(0, held.length - (chunk.length - at)) } : undefined;
    }
    this.held = Buffer.alloc(0);
    const headLength = end + HEAD_END.length;
    const headBytes = held.subarray(0, headLength);
    const head = this.parseHead(headBytes.subarray(0, end).toString('latin1').split('\r\n'));
    if (head === undefined) return { lostWith: held.subarray(0, held.length - (chunk.length - at)) };
    this.body = head.body;
    // The bytes after the head are all from this read: an earlier read held no complete head.
    return { piece: { bytes: headBytes, start: head.info, end: head.body === undefined }, next: chunk.length - (held.length - headLength) };
  }

  protected continueMessage(chunk: Buffer, at: number): { used: number; done: boolean } | undefined {
    return consumeBody(this.body!, chunk, at);
  }
}

/**
 * Consumes body bytes from `chunk[at..]`: how many belong to this body, and whether it ended;
 * `undefined` when the chunked coding is broken.
 */
function consumeBody(body: Body, chunk: Buffer, at: number): { used: number; done: boolean } | undefined {
  if (body.type === 'untilClose') return { used: chunk.length - at, done: false };
  if (body.type === 'length') {
    const used = Math.min(body.remaining, chunk.length - at);
    body.remaining -= used;
    return { used, done: body.remaining === 0 };
  }
  let i = at;
  while (i < chunk.length) {
    if (body.step === 'data') {
      const n = Math.min(body.remaining, chunk.length - i);
      body.remaining -= n;
      i += n;
      if (body.remaining === 0) body.step = 'size';
      continue;
    }
    const newline = chunk.indexOf(0x0a, i);
    const lineEnd = newline < 0 ? chunk.length : newline;
    body.line += chunk.toString('latin1', i, lineEnd);
    if (body.line.length > MAX_LINE) return undefined;
    i = newline < 0 ? chunk.length : newline + 1;
    if (newline < 0) break;
    const line = body.line.replace(/\r$/, '');
    body.line = '';
    if (body.step === 'trailer') {
      if (line === '') return { used: i - at, done: true };
      continue;
    }
    const sizeText = line.split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return undefined;
    const size = Number.parseInt(sizeText, 16);
    if (size === 0) body.step = 'trailer';
    else {
      body.step = 'data';
      body.remaining = size + 2; // the data and its CRLF
    }
  }
  return { used: i - at, done: false };
}

class HttpRequestFramer extends HttpFramer {
  constructor(private readonly methods: string[]) {
    super();
  }

  protected parseHead(lines: readonly string[]): Head | undefined {
    const match = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
    if (match === null) return undefined;
    const body = bodyFromHeaders(lines.slice(1), false);
    if (body === 'invalid') return undefined;
    this.methods.push(match[1]!);
    return { info: { kind: `${match[1]} ${match[2]}` }, body };
  }
}

class HttpResponseFramer extends HttpFramer {
  constructor(private readonly methods: string[]) {
    super();
  }

  protected parseHead(lines: readonly string[]): Head | undefined {
    const match = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
    if (match === null) return undefined;
    const status = Number(match[1]);
    // 101 switches to another protocol: not followed.
    if (status === 101) return undefined;
    if (status < 200) return { info: { kind: String(status) }, body: undefined };
    const method = this.methods.shift();
    if (method === 'HEAD' || status === 204 || status === 304) return { info: { kind: String(status) }, body: undefined };
    const body = bodyFromHeaders(lines.slice(1), true);
    if (body === 'invalid') return undefined;
    return { info: { kind: String(status) }, body };
  }
}

/**
 * HTTP/1.1 framing: "request k" is the k-th request (kind `PUT /bucket/key`), "reply k" the k-th
 * response (kind `200`, `412`, `100`, ...).
 */
export const httpFraming: Framing = () => {
  const methods: string[] = [];
  return { request: new HttpRequestFramer(methods), reply: new HttpResponseFramer(methods) };
};
