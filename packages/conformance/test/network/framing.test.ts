// The framers against a model: messages serialised back to back, cut into reads at random
// places, must come out as the same messages (kind, bytes, boundaries) whatever the cuts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkFraming, httpFraming, postgresFraming } from '../../src/network/index.js';
import type { Framer, Framing } from '../../src/network/index.js';

interface Message {
  readonly kind: string;
  readonly bytes: Buffer;
}

/** Pushes `stream` cut at `cuts` through `framer` and rebuilds the messages from the pieces. */
function reframe(framer: Framer, stream: Buffer, cuts: readonly number[]): { messages: Message[]; open: boolean } {
  const bounds = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const messages: { kind: string; parts: Buffer[] }[] = [];
  let open = false;
  let from = 0;
  for (const to of [...bounds, stream.length]) {
    if (to === from) continue;
    for (const piece of framer.push(stream.subarray(from, to))) {
      if (piece.start !== undefined) {
        expect(open, 'a message starts before the previous one ended').toBe(false);
        messages.push({ kind: piece.start.kind, parts: [] });
        open = true;
      }
      expect(open, 'bytes outside any message').toBe(true);
      messages.at(-1)!.parts.push(piece.bytes);
      if (piece.end) open = false;
    }
    from = to;
  }
  return { messages: messages.map((m) => ({ kind: m.kind, bytes: Buffer.concat(m.parts) })), open };
}

const concat = (messages: readonly Message[]) => Buffer.concat(messages.map((m) => m.bytes));
const cutsArb = fc.array(fc.nat(), { maxLength: 40 });

function pgTyped(type: string, kind: string, body: Uint8Array): Message {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return { kind, bytes: Buffer.concat([header, body]) };
}

function pgUntyped(code: number, kind: string, body: Uint8Array): Message {
  const header = Buffer.alloc(8);
  header.writeInt32BE(body.length + 8, 0);
  header.writeInt32BE(code, 4);
  return { kind, bytes: Buffer.concat([header, body]) };
}

const FRONTEND = [['Q', 'Query'], ['P', 'Parse'], ['B', 'Bind'], ['E', 'Execute'], ['S', 'Sync'], ['X', 'Terminate'], ['d', 'CopyData']] as const;
const BACKEND = [['C', 'CommandComplete'], ['Z', 'ReadyForQuery'], ['D', 'DataRow'], ['E', 'ErrorResponse'], ['N', 'NoticeResponse'], ['1', 'ParseComplete'], ['R', 'Authentication']] as const;
const typedArb = (table: readonly (readonly [string, string])[]) =>
  fc.tuple(fc.constantFrom(...table), fc.uint8Array({ maxLength: 300 })).map(([[type, kind], body]) => pgTyped(type, kind, body));

describe('postgresFraming', () => {
  const startup = pgUntyped(196608, 'StartupMessage', Buffer.from('user\0postgres\0database\0postgres\0\0', 'latin1'));

  it('requests: the untyped startup message, then typed messages, whatever the reads', () => {
    fc.assert(
      fc.property(fc.array(typedArb(FRONTEND), { maxLength: 20 }), cutsArb, (typed, cuts) => {
        const messages = [startup, ...typed];
        const got = reframe(postgresFraming().request, concat(messages), cuts);
        expect(got.messages).toEqual(messages);
        expect(got.open).toBe(false);
      }),
    );
  });

  it('replies: typed messages, whatever the reads', () => {
    fc.assert(
      fc.property(fc.array(typedArb(BACKEND), { maxLength: 20 }), cutsArb, (messages, cuts) => {
        const framing = postgresFraming();
        framing.request.push(startup.bytes);
        expect(reframe(framing.reply, concat(messages), cuts).messages).toEqual(messages);
      }),
    );
  });

  it('a refused SSLRequest: its one-byte answer, then a new untyped startup message', () => {
    fc.assert(
      fc.property(fc.array(typedArb(FRONTEND), { maxLength: 5 }), fc.array(typedArb(BACKEND), { maxLength: 5 }), cutsArb, (requests, replies, cuts) => {
        const framing = postgresFraming();
        const sent = [pgUntyped(80877103, 'SSLRequest', new Uint8Array()), startup, ...requests];
        const answered = [{ kind: 'SSLResponse', bytes: Buffer.from('N') }, ...replies];
        expect(reframe(framing.request, concat(sent), cuts).messages).toEqual(sent);
        expect(reframe(framing.reply, concat(answered), cuts).messages).toEqual(answered);
      }),
    );
  });

  it('an accepted SSLRequest: everything after the answer is opaque (TLS)', () => {
    const framing = postgresFraming();
    framing.request.push(pgUntyped(80877103, 'SSLRequest', new Uint8Array()).bytes);
    const reply = reframe(framing.reply, Buffer.from('S\x16\x03\x01\x00\x05hello', 'latin1'), [1]);
    expect(reply.messages.map((m) => m.kind)).toEqual(['SSLResponse', 'opaque']);
    expect(reframe(framing.request, Buffer.from('\x16\x03\x01\x00\x05hello', 'latin1'), []).messages.map((m) => m.kind)).toEqual(['opaque']);
  });

  it('a length below 4 is not PostgreSQL: the rest is opaque, nothing is lost', () => {
    const framing = postgresFraming();
    framing.request.push(startup.bytes);
    const bad = Buffer.from([0x51, 0, 0, 0, 2, 1, 2, 3]);
    const got = reframe(framing.request, bad, [6]);
    expect(got.messages.every((m) => m.kind === 'opaque')).toBe(true);
    expect(concat(got.messages)).toEqual(bad);
  });
});

const ascii = (text: string) => Buffer.from(text, 'latin1');
const bodyArb = fc.uint8Array({ minLength: 1, maxLength: 400 }).map((b) => Buffer.from(b));

/** A chunked body: the data cut in random chunks, an optional chunk extension and trailer. */
function chunked(body: Buffer, sizes: readonly number[], trailer: boolean): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const size of [...sizes, body.length]) {
    const n = Math.min(Math.max(1, size), body.length - at);
    if (n <= 0) break;
    parts.push(ascii(`${n.toString(16)}${at === 0 ? ';ext=1' : ''}\r\n`), body.subarray(at, at + n), ascii('\r\n'));
    at += n;
  }
  parts.push(ascii(trailer ? '0\r\nx-amz-checksum-crc32: AAAAAA==\r\n\r\n' : '0\r\n\r\n'));
  return Buffer.concat(parts);
}

type Exchange = { request: Message; interim?: Message; response: Message };

const exchangeArb: fc.Arbitrary<Exchange> = fc.oneof(
  // PUT with a Content-Length body, sometimes answered 100 Continue first; 200 or 412.
  fc.tuple(bodyArb, fc.boolean(), fc.constantFrom(200, 412), bodyArb).map(([body, expect100, status, answer]): Exchange => ({
    request: { kind: 'PUT /b/key', bytes: Buffer.concat([ascii(`PUT /b/key HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n${expect100 ? 'Expect: 100-continue\r\n' : ''}\r\n`), body]) },
    ...(expect100 ? { interim: { kind: '100', bytes: ascii('HTTP/1.1 100 Continue\r\n\r\n') } } : {}),
    response: { kind: String(status), bytes: Buffer.concat([ascii(`HTTP/1.1 ${status} X\r\ncontent-length: ${answer.length}\r\n\r\n`), answer]) },
  })),
  // POST with a chunked body (aws-chunked uploads with trailers look like this); chunked answer.
  fc.tuple(bodyArb, fc.array(fc.integer({ min: 1, max: 120 }), { maxLength: 5 }), fc.boolean(), bodyArb).map(([body, sizes, trailer, answer]): Exchange => ({
    request: { kind: 'POST /b/key?uploads', bytes: Buffer.concat([ascii('POST /b/key?uploads HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'), chunked(body, sizes, trailer)]) },
    response: { kind: '200', bytes: Buffer.concat([ascii('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), chunked(answer, [7], false)]) },
  })),
  // HEAD: the answer's Content-Length describes the object, and no body follows.
  fc.constant<Exchange>({
    request: { kind: 'HEAD /b/key', bytes: ascii('HEAD /b/key HTTP/1.1\r\nHost: h\r\n\r\n') },
    response: { kind: '200', bytes: ascii('HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n') },
  }),
  // GET answered 204 / 304: no body.
  fc.constantFrom(204, 304).map((status): Exchange => ({
    request: { kind: 'GET /b', bytes: ascii('GET /b HTTP/1.1\r\n\r\n') },
    response: { kind: String(status), bytes: ascii(`HTTP/1.1 ${status} X\r\n\r\n`) },
  })),
);

describe('httpFraming', () => {
  it('keep-alive exchanges: requests and answers (interim 100 included), whatever the reads', () => {
    fc.assert(
      fc.property(fc.array(exchangeArb, { minLength: 1, maxLength: 8 }), cutsArb, cutsArb, (exchanges, requestCuts, replyCuts) => {
        const framing = httpFraming();
        const requests = exchanges.map((e) => e.request);
        const replies = exchanges.flatMap((e) => (e.interim === undefined ? [e.response] : [e.interim, e.response]));
        expect(reframe(framing.request, concat(requests), requestCuts)).toEqual({ messages: requests, open: false });
        expect(reframe(framing.reply, concat(replies), replyCuts)).toEqual({ messages: replies, open: false });
      }),
    );
  });

  it('an answer with neither length nor chunks runs to the end of the connection', () => {
    const framing = httpFraming();
    framing.request.push(ascii('GET / HTTP/1.0\r\n\r\n'));
    const got = reframe(framing.reply, ascii('HTTP/1.0 200 OK\r\n\r\nall of it'), [3, 25]);
    expect(got).toEqual({ messages: [{ kind: '200', bytes: ascii('HTTP/1.0 200 OK\r\n\r\nall of it') }], open: true });
  });

  it('what is not HTTP/1.x, and a broken chunk size, turn opaque without losing a byte', () => {
    const notHttp = reframe(httpFraming().request, ascii('\x16\x03\x01 hello\r\n\r\nmore'), [2]);
    expect(notHttp.messages.every((m) => m.kind === 'opaque')).toBe(true);
    expect(concat(notHttp.messages)).toEqual(ascii('\x16\x03\x01 hello\r\n\r\nmore'));
    const broken = ascii('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc');
    const got = reframe(httpFraming().request, broken, []);
    expect(got.messages.map((m) => m.kind)).toEqual(['POST /', 'opaque']);
    expect(concat(got.messages)).toEqual(broken);
  });
});

describe('chunkFraming', () => {
  it('each read is one message', () => {
    const framing: Framing = chunkFraming;
    const { request } = framing();
    expect(request.push(ascii('abc'))).toEqual([{ bytes: ascii('abc'), start: { kind: 'chunk', length: 3 }, end: true }]);
  });
});
