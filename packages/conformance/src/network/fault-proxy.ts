/**
 * A TCP proxy the suite puts between a backend and its server, to make the network fail on
 * demand: `pass` (forward), `blackhole` (a partition: bytes and closes are swallowed in both
 * directions, new connections are accepted and never answered), `reset` (every connection is
 * destroyed with a TCP RST, new ones too). Modes switch at any time, by hand or at a
 * {@link NetworkPoint} ("before/after the k-th request or reply"), where an action may also be
 * any async function (kill the server, stop the standby) during which that direction waits.
 * @module
 */
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { chunkFraming } from './framing/chunk.js';
import type { Direction, Framer, Framing, MessageInfo } from './framing/types.js';
import { pointMatches } from './network-points.js';
import type { NetworkPoint } from './network-points.js';

/** What the proxy does with traffic. */
export type ProxyMode = 'pass' | 'blackhole' | 'reset';

/** One message through the proxy. */
export interface NetworkEvent {
  readonly direction: Direction;
  /** 1 = the first message of this direction through this proxy (all connections). */
  readonly index: number;
  readonly kind: string;
  /** The message's length in bytes, when its protocol says it up front. */
  readonly length?: number;
  /** The connection it belongs to: 1 = the first one this proxy accepted. */
  readonly connection: number;
}

/** What to do at a point: switch to a mode, or run a function (the direction waits for it). */
export type FaultAction = ProxyMode | ((event: NetworkEvent) => void | Promise<void>);

/** Where the proxy listens and what it forwards to. */
export interface FaultProxyOptions {
  /** The server. Host defaults to 127.0.0.1. */
  readonly target: { readonly host?: string; readonly port: number };
  /** Listening host (default 127.0.0.1) and port (default: any free one). */
  readonly host?: string;
  readonly port?: number;
  /** How messages are told apart (default: each read is one message). */
  readonly framing?: Framing;
}

interface Connection {
  readonly id: number;
  readonly client: Socket;
  /** Unset for a connection accepted during a blackhole: the partition never let it through. */
  readonly server: Socket | undefined;
  /** A blackhole swallowed bytes or a close: the stream cannot go on once the partition heals. */
  lost: boolean;
}

/** One direction of one connection. */
interface Lane {
  readonly direction: Direction;
  readonly conn: Connection;
  readonly source: Socket;
  readonly dest: Socket | undefined;
  readonly framer: Framer;
  /** The message being passed and the `after` points it will fire. */
  current: { readonly event: NetworkEvent; readonly after: ArmedPoint[] } | undefined;
}

interface ArmedPoint {
  readonly point: NetworkPoint;
  readonly action: FaultAction;
  seen: number;
  readonly resolve: (event: NetworkEvent) => void;
  readonly reject: (error: unknown) => void;
}

/** Resets a socket with RST unless it is already gone. */
function reset(socket: Socket | undefined): void {
  if (socket !== undefined && !socket.destroyed) socket.resetAndDestroy();
}

export class FaultProxy {
  private modeNow: ProxyMode = 'pass';
  private readonly connections = new Set<Connection>();
  private readonly armed: ArmedPoint[] = [];
  private readonly listeners = new Set<(event: NetworkEvent, when: 'before' | 'after') => void>();
  private readonly counts = { request: 0, reply: 0, connections: 0 };

  private constructor(
    private readonly server: Server,
    private readonly target: { readonly host: string; readonly port: number },
    private readonly framing: Framing,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  /** Starts a proxy listening on loopback (or `options.host`). */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = createServer({ noDelay: true });
    const proxy = new FaultProxy(server, { host: options.target.host ?? '127.0.0.1', port: options.target.port }, options.framing ?? chunkFraming);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  /** The port clients connect to. */
  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('the fault proxy is not listening');
    return address.port;
  }

  /** The host clients connect to. */
  get host(): string {
    const address = this.server.address();
    return address !== null && typeof address !== 'string' ? address.address : '127.0.0.1';
  }

  get mode(): ProxyMode {
    return this.modeNow;
  }

  /** Messages seen per direction (all connections), and connections accepted. */
  get requests(): number {
    return this.counts.request;
  }

  get replies(): number {
    return this.counts.reply;
  }

  get connectionsAccepted(): number {
    return this.counts.connections;
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.connections.size;
  }

  /**
   * Switches the mode. To `reset`: every connection is reset now. Back to `pass`: every
   * connection a blackhole swallowed something of is reset (TCP would have retransmitted the
   * bytes, or given up); untouched ones go on.
   */
  setMode(mode: ProxyMode): void {
    this.modeNow = mode;
    for (const conn of [...this.connections]) {
      if (mode === 'reset' || (mode === 'pass' && conn.lost)) this.drop(conn);
    }
  }

  /** Resets every open connection, whatever the mode. */
  resetConnections(): void {
    for (const conn of [...this.connections]) this.drop(conn);
  }

  /**
   * Arms a point: at the `nth` matching message from now, runs `action`. Resolves with the
   * message once the action is done (rejects if it threw). While a function runs, that direction
   * of that connection waits: before a request, the server does not get it until the action ends.
   */
  at(point: NetworkPoint, action: FaultAction): Promise<NetworkEvent> {
    return new Promise((resolve, reject) => {
      this.armed.push({ point, action, seen: 0, resolve, reject });
    });
  }

  /** Disarms every point not reached yet (their promises never settle). */
  disarm(): void {
    this.armed.length = 0;
  }

  /** Calls `listener` at the start (`before`) and end (`after`) of every message. Returns the unsubscribe. */
  onMessage(listener: (event: NetworkEvent, when: 'before' | 'after') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops listening and resets every connection. */
  async close(): Promise<void> {
    this.resetConnections();
    this.disarm();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.counts.connections += 1;
    if (this.modeNow === 'reset') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const partitioned = this.modeNow === 'blackhole';
    const server = partitioned ? undefined : connect({ host: this.target.host, port: this.target.port, noDelay: true });
    const conn: Connection = { id: this.counts.connections, client, server, lost: partitioned };
    this.connections.add(conn);
    const framing = this.framing();
    this.wire(conn, client, server, { direction: 'request', conn, source: client, dest: server, framer: framing.request, current: undefined });
    if (server !== undefined) {
      this.wire(conn, server, client, { direction: 'reply', conn, source: server, dest: client, framer: framing.reply, current: undefined });
    }
  }

  /** Pumps `lane` and carries a close of `source` over to `other`, unless a blackhole swallows it. */
  private wire(conn: Connection, source: Socket, other: Socket | undefined, lane: Lane): void {
    source.on('error', () => undefined);
    source.on('data', (chunk: Buffer) => {
      source.pause();
      this.pump(lane, chunk).then(
        () => source.resume(),
        () => this.drop(conn),
      );
    });
    source.on('end', () => {
      if (this.passes(conn)) other?.end();
      else conn.lost = true;
    });
    source.on('close', (hadError) => {
      if (!this.passes(conn)) {
        conn.lost = true;
        return;
      }
      if (hadError) reset(other);
      else other?.destroySoon();
      this.connections.delete(conn);
    });
  }

  private passes(conn: Connection): boolean {
    return this.modeNow === 'pass' && !conn.lost && this.connections.has(conn);
  }

  private async pump(lane: Lane, chunk: Buffer): Promise<void> {
    for (const piece of lane.framer.push(chunk)) {
      if (piece.start !== undefined) await this.begin(lane, piece.start);
      const last = piece.end && lane.current !== undefined && lane.current.after.length > 0;
      await this.forward(lane, piece.bytes, last);
      if (piece.end) await this.finish(lane);
    }
    const dest = lane.dest;
    if (dest !== undefined && dest.writableNeedDrain && !dest.destroyed) await Promise.race([once(dest, 'drain'), once(dest, 'close')]);
  }

  /** Passes bytes on, or swallows them. With `flush`, resolves once they are handed to the kernel. */
  private forward(lane: Lane, bytes: Buffer, flush: boolean): Promise<void> | undefined {
    const dest = lane.dest;
    if (!this.passes(lane.conn) || dest === undefined || dest.destroyed) {
      if (this.modeNow === 'blackhole') lane.conn.lost = true;
      return undefined;
    }
    if (!flush) {
      dest.write(bytes);
      return undefined;
    }
    return new Promise((resolve) => dest.write(bytes, () => resolve()));
  }

  private async begin(lane: Lane, info: MessageInfo): Promise<void> {
    const index = ++this.counts[lane.direction];
    const event: NetworkEvent = info.length === undefined
      ? { direction: lane.direction, index, kind: info.kind, connection: lane.conn.id }
      : { direction: lane.direction, index, kind: info.kind, length: info.length, connection: lane.conn.id };
    const after: ArmedPoint[] = [];
    lane.current = { event, after };
    for (const listener of this.listeners) listener(event, 'before');
    for (const armed of this.reached(lane.direction, info)) {
      if (armed.point.when === 'after') after.push(armed);
      else await this.run(armed, event);
    }
  }

  private async finish(lane: Lane): Promise<void> {
    const current = lane.current;
    lane.current = undefined;
    if (current === undefined) return;
    for (const listener of this.listeners) listener(current.event, 'after');
    for (const armed of current.after) await this.run(armed, current.event);
  }

  /** Counts a message against every armed point it matches; returns (and disarms) those it reaches. */
  private reached(direction: Direction, info: MessageInfo): ArmedPoint[] {
    const hits: ArmedPoint[] = [];
    for (const armed of [...this.armed]) {
      if (!pointMatches(armed.point, direction, info)) continue;
      armed.seen += 1;
      if (armed.seen === armed.point.nth) {
        hits.push(armed);
        this.armed.splice(this.armed.indexOf(armed), 1);
      }
    }
    return hits;
  }

  private async run(armed: ArmedPoint, event: NetworkEvent): Promise<void> {
    try {
      if (typeof armed.action === 'string') this.setMode(armed.action);
      else await armed.action(event);
      armed.resolve(event);
    } catch (error) {
      armed.reject(error);
    }
  }

  /** Resets both sides of a connection and forgets it. */
  private drop(conn: Connection): void {
    this.connections.delete(conn);
    reset(conn.client);
    reset(conn.server);
  }
}
