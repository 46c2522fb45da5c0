/**
 * The harness of the network groups: the suite's fault proxy in front of the backend's server,
 * fresh log names, the engine opened through the proxy (as the writer, or taking the log over),
 * and the bounds a faulted writer must keep.
 * @module
 */
import type { RotorTree } from '@rotortree/core';
import { openEngine } from '../engine.js';
import type { EngineParams } from '../engine.js';
import { FaultProxy } from '../network/fault-proxy.js';
import type { BackendUnderTest, Machine, NetworkCrashMode } from '../types.js';

/** The bound the suite gives a writer it fails: each flush must settle within about this. */
export const FAULT_TIMEOUT_MS = 1_500;
/** What a faulted flush may take beyond its bound on a loaded machine before it counts as hanging. */
export const SLACK_MS = 5_000;
/** The bound of every writer the suite does not fail (recovery, verification): generous. */
export const CALM_TIMEOUT_MS = 15_000;

let logs = 0;

/** A log name no other case (or run) uses. */
export function freshLog(check: string): string {
  return `rt-${check}-${process.pid}-${Date.now().toString(36)}-${++logs}`;
}

/** How a writer is opened. */
export interface WriterOptions {
  /** Take the log over from a live writer. */
  readonly takeover?: boolean;
  /** Default {@link CALM_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** The proxy in front of the server, and the engine opened through it. */
export class NetworkRig {
  private constructor(
    readonly backend: BackendUnderTest,
    readonly net: NetworkCrashMode,
    readonly proxy: FaultProxy,
  ) {}

  /** Starts a proxy in front of `backend.network.server` (close it with {@link close}). */
  static async start(backend: BackendUnderTest): Promise<NetworkRig> {
    const net = backend.network;
    if (net === undefined) throw new TypeError(`${backend.name} has no network crash mode`);
    const target = net.server.host === undefined ? { port: net.server.port } : { host: net.server.host, port: net.server.port };
    const proxy = await FaultProxy.start(net.framing === undefined ? { target } : { target, framing: net.framing });
    return new NetworkRig(backend, net, proxy);
  }

  /** The combination with its WAL on `log` through the proxy (what `openEngine` and the checks take). */
  on(log: string, options: WriterOptions = {}): BackendUnderTest {
    const target = { host: this.proxy.host, port: this.proxy.port, log, takeover: options.takeover ?? false, timeoutMs: options.timeoutMs ?? CALM_TIMEOUT_MS };
    return { ...this.backend, wal: (machine) => this.net.wal(machine, target) };
  }

  /** Opens the engine over `log` on `machine`. */
  open(machine: Machine, log: string, params: EngineParams, options: WriterOptions = {}): Promise<RotorTree> {
    return openEngine(this.on(log, options), machine, params);
  }

  /** Opens after a fault: the network healed, the log taken over (the faulted writer may still hold it). */
  recover(machine: Machine, log: string, params: EngineParams): Promise<RotorTree> {
    this.proxy.disarm();
    this.proxy.setMode('pass');
    return this.open(machine, log, params, { takeover: true });
  }

  async close(): Promise<void> {
    await this.proxy.close();
  }
}

/** Runs `fn` with a rig, closing it after. */
export async function withRig<T>(backend: BackendUnderTest, fn: (rig: NetworkRig) => Promise<T>): Promise<T> {
  const rig = await NetworkRig.start(backend);
  try {
    return await fn(rig);
  } finally {
    await rig.close();
  }
}

/** `work`'s outcome, or `'hung'` when it has not settled after `ms`. */
export async function within<T>(work: Promise<T>, ms: number): Promise<{ value: T } | { error: unknown } | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  try {
    return await Promise.race([work.then((value) => ({ value }), (error: unknown) => ({ error })), hung]);
  } finally {
    clearTimeout(timer);
  }
}
