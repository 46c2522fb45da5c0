/**
 * A small S3 server for fast tests: path-style buckets and keys over HTTP on loopback, honouring
 * what the store relies on: `If-None-Match: *` and `If-Match` (the bare ETag only, as Ceph RGW: a
 * quoted one gives 412) on PUT, ranged GETs, ListObjectsV2 with pages, DELETE. Signatures are
 * not checked. Faults are injected per request: before it is applied (it never happens) or after
 * (it happened, the reply is lost): a reset connection, a dropped one (no reply ever: a blackhole),
 * a 500, or a delay; `sticky` faults hit every later request too (the writer "died" there).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';

export type FaultAction = 'reset' | 'drop' | 'error500' | 'delay' | 'trickle';

export interface FaultRule {
  /** Which requests: method (PUT, GET, DELETE, LIST) and a key test; all when omitted. */
  readonly method?: 'PUT' | 'GET' | 'DELETE' | 'LIST';
  readonly key?: RegExp;
  /** Skip this many matching requests first (default 0). */
  readonly skip?: number;
  /** `before`: the request is not applied; `after`: applied, then the fault replaces the reply. */
  readonly when: 'before' | 'after';
  readonly action: FaultAction;
  readonly delayMs?: number;
  /** `trickle`: the reply's headers at once, its body at this rate (bytes per second). */
  readonly bytesPerSecond?: number;
  /** How many matching requests it hits (default 1); `sticky` hits every request from then on. */
  readonly times?: number;
  readonly sticky?: boolean;
}

export interface LoggedRequest {
  readonly method: string;
  readonly key: string;
  readonly range?: string;
  readonly condition?: string;
  status: number;
}

interface Stored {
  bytes: Uint8Array;
  etag: string;
}

interface ActiveRule {
  rule: FaultRule;
  skip: number;
  left: number;
  armed: boolean;
}

export class FakeS3 {
  readonly buckets = new Map<string, Map<string, Stored>>();
  readonly log: LoggedRequest[] = [];
  /** Keys per page of a listing (S3's is 1000). */
  listPageSize = 1000;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #rules: ActiveRule[] = [];
  #sticky: FaultRule | undefined;
  endpoint = '';

  constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const addr = this.#server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    this.endpoint = `http://127.0.0.1:${addr.port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Adds a fault (see {@link FaultRule}). */
  fault(rule: FaultRule): void {
    this.#rules.push({ rule, skip: rule.skip ?? 0, left: rule.times ?? 1, armed: true });
  }

  /** Removes every fault (a sticky one too) and ends dropped connections. */
  heal(): void {
    this.#rules = [];
    this.#sticky = undefined;
  }

  bucket(name: string): Map<string, Stored> {
    let b = this.buckets.get(name);
    if (b === undefined) this.buckets.set(name, (b = new Map()));
    return b;
  }

  /** Sets an object's bytes directly (damage, or a copy), as another writer could. */
  putRaw(bucket: string, key: string, bytes: Uint8Array): void {
    this.bucket(bucket).set(key, { bytes, etag: md5(bytes) });
  }

  keys(bucket: string, prefix = ''): string[] {
    return [...this.bucket(bucket).keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  #match(method: string, key: string): FaultRule | undefined {
    if (this.#sticky !== undefined) return this.#sticky;
    for (const r of this.#rules) {
      if (!r.armed) continue;
      if (r.rule.method !== undefined && r.rule.method !== method) continue;
      if (r.rule.key !== undefined && !r.rule.key.test(key)) continue;
      if (r.skip > 0) {
        r.skip--;
        continue;
      }
      // The writer "died" here: this request gets the fault, every later one never lands.
      if (r.rule.sticky === true) this.#sticky = { ...r.rule, when: 'before' };
      if (--r.left <= 0) r.armed = false;
      return r.rule;
    }
    return undefined;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const isList = req.method === 'GET' && key === '' && url.searchParams.get('list-type') === '2';
    const method = isList ? 'LIST' : (req.method ?? 'GET');
    const body = await readBody(req);
    const entry: LoggedRequest = { method, key, status: 0 };
    const range = req.headers.range;
    if (range !== undefined) (entry as { range?: string }).range = range;
    const condition = req.headers['if-none-match'] !== undefined ? `If-None-Match: ${String(req.headers['if-none-match'])}` : req.headers['if-match'] !== undefined ? `If-Match: ${String(req.headers['if-match'])}` : undefined;
    if (condition !== undefined) (entry as { condition?: string }).condition = condition;
    this.log.push(entry);
    const rule = this.#match(method, key);
    if (rule?.action === 'delay') await sleep(rule.delayMs ?? 100);
    const replaces = rule !== undefined && rule.action !== 'delay' && rule.action !== 'trickle';
    if (replaces && rule.when === 'before') return this.#fail(rule, res, entry);
    const reply = this.#apply(method, bucketName, key, url, req, body);
    if (replaces && rule.when === 'after') return this.#fail(rule, res, entry);
    entry.status = reply.status;
    res.writeHead(reply.status, reply.headers);
    if (rule?.action === 'trickle' && reply.body !== undefined) return trickle(res, reply.body, rule.bytesPerSecond ?? 1 << 20);
    res.end(reply.body);
  }

  #fail(rule: FaultRule, res: ServerResponse, entry: LoggedRequest): void {
    if (rule.action === 'reset') {
      entry.status = -1;
      res.socket?.destroy();
    } else if (rule.action === 'drop') {
      entry.status = -2; // never answered; the socket ends at stop()
    } else {
      entry.status = 500;
      res.writeHead(500, { 'content-type': 'application/xml' });
      res.end(errorXml('InternalError', 'injected'));
    }
  }

  #apply(method: string, bucketName: string, key: string, url: URL, req: IncomingMessage, body: Uint8Array): Reply {
    if (method === 'PUT' && key === '') {
      this.bucket(bucketName);
      return { status: 200 };
    }
    const bucket = this.buckets.get(bucketName);
    if (bucket === undefined) return error(404, 'NoSuchBucket');
    if (method === 'LIST') return this.#list(bucket, url);
    const stored = bucket.get(key);
    switch (method) {
      case 'PUT': {
        const noneMatch = req.headers['if-none-match'];
        const ifMatch = req.headers['if-match'];
        if (noneMatch === '*' && stored !== undefined) return error(412, 'PreconditionFailed');
        if (ifMatch !== undefined && (stored === undefined || ifMatch !== stored.etag)) return error(412, 'PreconditionFailed');
        const etag = md5(body);
        bucket.set(key, { bytes: body, etag });
        return { status: 200, headers: { etag: `"${etag}"` } };
      }
      case 'GET':
      case 'HEAD': {
        if (stored === undefined) return error(404, 'NoSuchKey');
        const range = req.headers.range;
        if (range === undefined) return { status: 200, headers: { etag: `"${stored.etag}"`, 'content-length': String(stored.bytes.length) }, body: stored.bytes };
        const m = /^bytes=(\d*)-(\d*)$/.exec(range);
        if (m === null) return error(400, 'InvalidArgument');
        const len = stored.bytes.length;
        let start: number;
        let end: number;
        if (m[1] === '') {
          start = Math.max(0, len - Number(m[2]));
          end = len - 1;
        } else {
          start = Number(m[1]);
          end = m[2] === '' ? len - 1 : Math.min(Number(m[2]), len - 1);
        }
        if (start >= len) return error(416, 'InvalidRange');
        const part = stored.bytes.subarray(start, end + 1);
        return {
          status: 206,
          headers: { etag: `"${stored.etag}"`, 'content-range': `bytes ${start}-${end}/${len}`, 'content-length': String(part.length) },
          body: part,
        };
      }
      case 'DELETE':
        bucket.delete(key);
        return { status: 204 };
      default:
        return error(405, 'MethodNotAllowed');
    }
  }

  #list(bucket: Map<string, Stored>, url: URL): Reply {
    const prefix = url.searchParams.get('prefix') ?? '';
    const after = url.searchParams.get('continuation-token') ?? '';
    const all = [...bucket.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = all.slice(0, this.listPageSize);
    const truncated = all.length > page.length;
    const items = page
      .map((k) => `<Contents><Key>${escapeXml(k)}</Key><Size>${bucket.get(k)!.bytes.length}</Size><ETag>"${bucket.get(k)!.etag}"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>`)
      .join('');
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>${escapeXml(prefix)}</Prefix>` +
      `<KeyCount>${page.length}</KeyCount><MaxKeys>${this.listPageSize}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
      (truncated ? `<NextContinuationToken>${escapeXml(page[page.length - 1]!)}</NextContinuationToken>` : '') +
      `${items}</ListBucketResult>`;
    return { status: 200, headers: { 'content-type': 'application/xml' }, body: xml };
  }
}

interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array | string;
}

function error(status: number, code: string): Reply {
  return { status, headers: { 'content-type': 'application/xml' }, body: errorXml(code, code) };
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const all = Buffer.concat(parts);
      resolve(new Uint8Array(all.buffer, all.byteOffset, all.length).slice());
    });
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes `body` in 64 KiB pieces at `bytesPerSecond` (a slow link), paced by the clock (late timers do not slow it further). */
async function trickle(res: ServerResponse, body: string | Uint8Array, bytesPerSecond: number): Promise<void> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const piece = 64 * 1024;
  const started = Date.now();
  for (let at = 0; at < bytes.length && !res.destroyed; at += piece) {
    res.write(bytes.subarray(at, at + piece));
    const due = started + ((at + piece) / bytesPerSecond) * 1000;
    await sleep(Math.max(0, due - Date.now()));
  }
  res.end();
}
