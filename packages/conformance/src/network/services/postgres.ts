/**
 * The PostgreSQL primary + synchronous standby of `scripts/services/postgres.sh`: its connection
 * info as the script's env file gives it, and its {@link ServiceController}.
 * @module
 */
import { join } from 'node:path';
import type { ServiceController } from './controller.js';
import { pickVariables } from './env-files.js';
import { scriptController } from './script-controller.js';

/** Where the pair listens and how to control it. */
export interface PostgresService {
  /** Connection string of the primary, e.g. `postgresql://postgres@127.0.0.1:15432/postgres`. */
  readonly primary: string;
  /** Connection string of the hot, synchronous standby (`application_name` standby1). */
  readonly standby: string;
  readonly primaryData: string;
  readonly standbyData: string;
  /** `postgres.sh`, and the run state it works on (its `ROTORTREE_SERVICES_DIR`). */
  readonly script: string;
  readonly servicesDir: string;
}

/** The env file `postgres.sh start` writes into the services directory. */
export const POSTGRES_ENV_FILE = 'postgres.env';

/** The info from the script's variables, or undefined when one is missing. */
export function postgresFromEnv(vars: Readonly<Record<string, string | undefined>>): PostgresService | undefined {
  return pickVariables(vars, {
    primary: 'ROTORTREE_PG_PRIMARY',
    standby: 'ROTORTREE_PG_STANDBY',
    primaryData: 'ROTORTREE_PG_PRIMARY_DATA',
    standbyData: 'ROTORTREE_PG_STANDBY_DATA',
    script: 'ROTORTREE_PG_SCRIPT',
    servicesDir: 'ROTORTREE_PG_SERVICES_DIR',
  });
}

/** The `host:port` addresses that must accept connections for the pair to count as running. */
export function postgresAddresses(info: PostgresService): string[] {
  return [info.primary, info.standby].map((url) => new URL(url).host);
}

/**
 * Controls the pair: processes `primary` (the server) and `standby` (the synchronous standby).
 * `kill` SIGKILLs the postmaster by the PID on the first line of `postmaster.pid`; `stop` is
 * `pg_ctl -m fast`; `start` runs `postgres.sh start`, which waits until the standby is the
 * synchronous one again.
 */
export function postgresController(info: PostgresService): ServiceController {
  return scriptController({
    name: 'postgres',
    script: info.script,
    servicesDir: info.servicesDir,
    pidFiles: { primary: join(info.primaryData, 'postmaster.pid'), standby: join(info.standbyData, 'postmaster.pid') },
    server: 'primary',
    standby: 'standby',
  });
}
