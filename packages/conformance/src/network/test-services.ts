/**
 * The servers tests need, found the same way in every package: the shared PostgreSQL pair and
 * Ceph RGW that `scripts/test.sh` starts (their variables are in the environment, or in the
 * `.services/*.env` files of the checkout), or a private instance a test starts for itself when
 * it will kill or stop processes (the shared ones serve other packages' tests at the same time).
 *
 * The rules: `ROTORTREE_SERVICES=off`, or a service that is not there, skips the tests that need
 * it with the reason; under `CI` (set, not `0`/`false`) it fails them instead, never a silent skip.
 * @module
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cephRgwController, s3Addresses, S3_ENV_FILE, s3FromEnv } from './services/ceph-rgw.js';
import type { S3Service } from './services/ceph-rgw.js';
import type { ServiceController } from './services/controller.js';
import { readEnvFile, serviceScript, servicesDir } from './services/env-files.js';
import { POSTGRES_ENV_FILE, postgresAddresses, postgresController, postgresFromEnv } from './services/postgres.js';
import type { PostgresService } from './services/postgres.js';
import { runScript } from './services/processes.js';

/** The services the repository's scripts start. */
export interface ServiceInfoMap {
  readonly postgres: PostgresService;
  readonly s3: S3Service;
}

export type ServiceName = keyof ServiceInfoMap;

/** A service that is there (`info`), or why not. */
export type ServiceLookup<T> = { readonly available: true; readonly info: T } | { readonly available: false; readonly reason: string };

/** The part of vitest's test context that skips a test. */
export interface SkipContext {
  skip(note?: string): never;
}

/** A service started for one test file, in a temporary directory, on ports of its own. */
export interface PrivateService<T> {
  readonly info: T;
  readonly controller: ServiceController;
  /** Stops it and deletes its state. */
  close(): Promise<void>;
}

interface ServiceKind<T> {
  readonly title: string;
  readonly script: string;
  readonly envFile: string;
  /** A binary that is there once the packages are installed. */
  readonly installedBinary: string;
  fromEnv(vars: Readonly<Record<string, string | undefined>>): T | undefined;
  addresses(info: T): string[];
  controller(info: T): ServiceController;
  /** Variables that make the script look for free ports from `base` up. */
  portsFrom(base: number): Record<string, string>;
}

const KINDS: { readonly [N in ServiceName]: ServiceKind<ServiceInfoMap[N]> } = {
  postgres: {
    title: 'PostgreSQL (primary + synchronous standby)',
    script: 'postgres.sh',
    envFile: POSTGRES_ENV_FILE,
    installedBinary: '/usr/lib/postgresql/15/bin/postgres',
    fromEnv: postgresFromEnv,
    addresses: postgresAddresses,
    controller: postgresController,
    portsFrom: (base) => ({ ROTORTREE_PG_PORT: String(base) }),
  },
  s3: {
    title: 'S3 (Ceph RGW)',
    script: 'ceph-rgw.sh',
    envFile: S3_ENV_FILE,
    installedBinary: '/usr/bin/radosgw',
    fromEnv: s3FromEnv,
    addresses: s3Addresses,
    controller: cephRgwController,
    portsFrom: (base) => ({ ROTORTREE_CEPH_MON_PORT: String(base), ROTORTREE_RGW_PORT: String(base + 10) }),
  },
};

/** True under CI: a missing service fails the tests that need it. */
export function servicesRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env['CI'];
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

function servicesOff(env: NodeJS.ProcessEnv): boolean {
  return env['ROTORTREE_SERVICES'] === 'off';
}

/** True when something accepts a TCP connection at `host:port` within `timeoutMs`. */
export function canConnect(address: string, timeoutMs = 1000): Promise<boolean> {
  const url = new URL(`tcp://${address}`);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The shared service: from the environment (`ROTORTREE_PG_*`, `ROTORTREE_S3_*`, as
 * `scripts/test.sh` exports them), else from the checkout's `.services/<name>.env`; available
 * only if every address accepts connections.
 */
export async function lookupService<N extends ServiceName>(name: N, env: NodeJS.ProcessEnv = process.env): Promise<ServiceLookup<ServiceInfoMap[N]>> {
  const kind = KINDS[name] as ServiceKind<ServiceInfoMap[N]>;
  if (servicesOff(env)) return { available: false, reason: `${kind.title}: ROTORTREE_SERVICES=off` };
  const file = readEnvFile(servicesDir(env), kind.envFile);
  const info = kind.fromEnv(env) ?? kind.fromEnv(file ?? {});
  if (info === undefined) {
    const found = file === undefined ? `no variables, no .services/${kind.envFile}` : `.services/${kind.envFile} lacks variables`;
    return { available: false, reason: `${kind.title}: not started (${found}; run bash scripts/services/${kind.script} start)` };
  }
  for (const address of kind.addresses(info)) {
    if (!(await canConnect(address))) {
      return { available: false, reason: `${kind.title}: nothing listens on ${address} (run bash scripts/services/${kind.script} start)` };
    }
  }
  return { available: true, info };
}

/** The info when available; else skips the test (`ctx.skip(reason)`), or throws under CI. */
export function useService<T>(lookup: ServiceLookup<T>, ctx: SkipContext, env: NodeJS.ProcessEnv = process.env): T {
  if (lookup.available) return lookup.info;
  if (servicesRequired(env)) throw new Error(`${lookup.reason}; under CI a test that needs it fails instead of skipping`);
  return ctx.skip(lookup.reason);
}

/** {@link lookupService} then {@link useService}: in a test, `const pg = await requireService('postgres', ctx)`. */
export async function requireService<N extends ServiceName>(name: N, ctx: SkipContext, env: NodeJS.ProcessEnv = process.env): Promise<ServiceInfoMap[N]> {
  return useService(await lookupService(name, env), ctx, env);
}

/** The controller of a service started by this repository's scripts. */
export function serviceController<N extends ServiceName>(name: N, info: ServiceInfoMap[N]): ServiceController {
  return (KINDS[name] as ServiceKind<ServiceInfoMap[N]>).controller(info);
}

/**
 * Whether a private instance can be started here (the script is in the checkout, the packages
 * are installed or we are root to install them), and the function that starts one: in a
 * temporary directory, on free ports from a random base, through the same script.
 */
export function lookupPrivateService<N extends ServiceName>(
  name: N,
  env: NodeJS.ProcessEnv = process.env,
): ServiceLookup<() => Promise<PrivateService<ServiceInfoMap[N]>>> {
  const kind = KINDS[name] as ServiceKind<ServiceInfoMap[N]>;
  if (servicesOff(env)) return { available: false, reason: `${kind.title}: ROTORTREE_SERVICES=off` };
  const script = serviceScript(kind.script);
  if (script === undefined) return { available: false, reason: `${kind.title}: no scripts/services/${kind.script} above ${process.cwd()}` };
  if (!existsSync(kind.installedBinary) && process.getuid?.() !== 0) {
    return { available: false, reason: `${kind.title}: not installed (${kind.installedBinary}), and installing needs root` };
  }
  return { available: true, info: () => startPrivate(kind, script) };
}

async function startPrivate<T>(kind: ServiceKind<T>, script: string): Promise<PrivateService<T>> {
  const dir = mkdtempSync(join(tmpdir(), 'rotortree-service-'));
  // The servers run as their own users, which must reach their state inside.
  chmodSync(dir, 0o755);
  const env = { ROTORTREE_SERVICES_DIR: dir };
  const close = async () => {
    try {
      await runScript(script, ['reset'], env);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    // Below Linux's ephemeral ports (32768-60999); the script takes the first free ones from there.
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    await runScript(script, ['start'], { ...env, ...kind.portsFrom(base) });
    const info = kind.fromEnv(readEnvFile(dir, kind.envFile) ?? {});
    if (info === undefined) throw new Error(`${script} start wrote no complete ${kind.envFile} in ${dir}`);
    return { info, controller: kind.controller(info), close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
