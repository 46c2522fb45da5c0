// The fault proxy against a local HTTP server (keep-alive, so one connection carries every
// request): modes, points, counts, and what each side sees of a partition and of a reset.
import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultProxy, httpFraming, parseNetworkPoint } from '../../src/network/index.js';
import type { NetworkEvent } from '../../src/network/index.js';

let server: Server;
let served: string[];
let serverSockets: Socket[];
let proxy: FaultProxy;
let agent: Agent;

beforeEach(async () => {
  served = [];
  serverSockets = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    served.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.end(`answer to ${req.url}`));
  });
  server.on('connection', (socket) => serverSockets.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  proxy = await FaultProxy.start({ target: { port }, framing: httpFraming });
  agent = new Agent({ keepAlive: true, maxSockets: 1 });
});

afterEach(async () => {
  agent.destroy();
  await proxy.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** One request through the proxy: the body, or the error's code (`TIMEOUT` after `timeoutMs`). */
function get(path: string, timeoutMs = 2000, method = 'GET'): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: proxy.host, port: proxy.port, path, method, agent, timeout: timeoutMs }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => resolve(Buffer.concat(parts).toString()));
      res.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve('TIMEOUT');
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end(method === 'PUT' ? 'some body' : undefined);
  });
}

describe('FaultProxy', () => {
  it('pass: forwards, counts requests and replies by message, and tells their kinds', async () => {
    const seen: string[] = [];
    proxy.onMessage((event, when) => seen.push(`${when} ${event.direction} ${event.index} ${event.kind}`));
    expect(await get('/a')).toBe('answer to /a');
    expect(await get('/b', 2000, 'PUT')).toBe('answer to /b');
    expect([proxy.requests, proxy.replies, proxy.connectionsAccepted]).toEqual([2, 2, 1]);
    expect(seen).toEqual([
      'before request 1 GET /a', 'after request 1 GET /a', 'before reply 1 200', 'after reply 1 200',
      'before request 2 PUT /b', 'after request 2 PUT /b', 'before reply 2 200', 'after reply 2 200',
    ]);
  });

  it('before-request:2 -> blackhole: the second request never arrives, the client times out; healing resets that connection only', async () => {
    const fired = proxy.at(parseNetworkPoint('before-request:2'), 'blackhole');
    expect(await get('/1')).toBe('answer to /1');
    expect(await get('/2', 300)).toBe('TIMEOUT');
    expect((await fired).kind).toBe('GET /2');
    expect(served).toEqual(['GET /1']);
    // The server never saw the client give up: its side of the connection is still open.
    expect(serverSockets.filter((s) => !s.destroyed)).toHaveLength(1);
    proxy.setMode('pass');
    await sleep(50);
    expect(serverSockets.filter((s) => !s.destroyed)).toHaveLength(0);
    expect(await get('/3')).toBe('answer to /3');
    expect(served).toEqual(['GET /1', 'GET /3']);
  });

  it('after-request:1 -> blackhole: the server handled it, the answer never comes back', async () => {
    proxy.at({ when: 'after', direction: 'request', nth: 1 }, 'blackhole');
    expect(await get('/x', 300)).toBe('TIMEOUT');
    expect(served).toEqual(['GET /x']);
    expect(proxy.replies).toBe(1);
  });

  it('a point counts only its kind, from when it is armed; an async action holds its direction until done', async () => {
    expect(await get('/warm')).toBe('answer to /warm');
    const order: string[] = [];
    const fired = proxy.at({ when: 'before', direction: 'reply', nth: 2, kind: '200' }, async (event: NetworkEvent) => {
      await sleep(100);
      order.push(`action at reply ${event.index}`);
    });
    const first = await get('/p');
    order.push(first);
    const second = await get('/q');
    order.push(second);
    expect(order).toEqual(['answer to /p', 'action at reply 3', 'answer to /q']);
    expect((await fired).index).toBe(3);
    // PUT matches the kind `PUT` (a method and a path); GET does not.
    const put = proxy.at({ when: 'before', direction: 'request', nth: 1, kind: 'PUT' }, 'reset');
    expect(await get('/g')).toBe('answer to /g');
    expect(await get('/u', 2000, 'PUT')).toBe('ECONNRESET');
    expect((await put).kind).toBe('PUT /u');
  });

  it('reset: open connections get RST, new ones too, until the mode changes', async () => {
    expect(await get('/1')).toBe('answer to /1');
    proxy.setMode('reset');
    expect(await get('/2')).toBe('ECONNRESET');
    expect(await get('/3')).toBe('ECONNRESET');
    proxy.setMode('pass');
    expect(await get('/4')).toBe('answer to /4');
    expect(served).toEqual(['GET /1', 'GET /4']);
  });

  it('blackhole at accept: connected, never answered; the server never hears of it', async () => {
    proxy.setMode('blackhole');
    expect(await get('/1', 300)).toBe('TIMEOUT');
    expect(serverSockets).toHaveLength(0);
    proxy.setMode('pass');
    expect(await get('/2')).toBe('answer to /2');
  });

  it('a server that is down: the client gets a reset', async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    expect(await get('/1')).toBe('ECONNRESET');
    server.listen(0, '127.0.0.1'); // for afterEach
    await once(server, 'listening');
  });
});
