/**
 * The Ceph RGW (S3) of `scripts/services/ceph-rgw.sh`: its endpoint and keys as the script's env
 * file gives them, and its {@link ServiceController}.
 * @module
 */
import { join } from 'node:path';
import type { ServiceController } from './controller.js';
import { pickVariables } from './env-files.js';
import { scriptController } from './script-controller.js';

/** Where the S3 endpoint listens, its credentials, and how to control the daemons. */
export interface S3Service {
  /** e.g. `http://127.0.0.1:17480` (path-style addressing: set `forcePathStyle`). */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** The daemons' pid files are `<runDir>/{mon.a,osd.0,client.rgw}.pid`. */
  readonly runDir: string;
  /** `ceph-rgw.sh`, and the run state it works on (its `ROTORTREE_SERVICES_DIR`). */
  readonly script: string;
  readonly servicesDir: string;
}

/** The env file `ceph-rgw.sh start` writes into the services directory. */
export const S3_ENV_FILE = 'ceph-rgw.env';

/** The info from the script's variables, or undefined when one is missing. */
export function s3FromEnv(vars: Readonly<Record<string, string | undefined>>): S3Service | undefined {
  return pickVariables(vars, {
    endpoint: 'ROTORTREE_S3_ENDPOINT',
    accessKeyId: 'ROTORTREE_S3_ACCESS_KEY',
    secretAccessKey: 'ROTORTREE_S3_SECRET_KEY',
    region: 'ROTORTREE_S3_REGION',
    runDir: 'ROTORTREE_CEPH_RUN_DIR',
    script: 'ROTORTREE_CEPH_SCRIPT',
    servicesDir: 'ROTORTREE_CEPH_SERVICES_DIR',
  });
}

/** The `host:port` that must accept connections for the endpoint to count as running. */
export function s3Addresses(info: S3Service): string[] {
  return [new URL(info.endpoint).host];
}

/**
 * Controls the daemons: `rgw` (the server the backend talks to), `osd` (the one object store:
 * with it down, requests hang until the client's timeout), `mon`. `kill` SIGKILLs by the PID the
 * daemon wrote; `stop` and `start` run `ceph-rgw.sh stop|start <daemon>`.
 */
export function cephRgwController(info: S3Service): ServiceController {
  return scriptController({
    name: 'ceph-rgw',
    script: info.script,
    servicesDir: info.servicesDir,
    pidFiles: { rgw: join(info.runDir, 'client.rgw.pid'), osd: join(info.runDir, 'osd.0.pid'), mon: join(info.runDir, 'mon.a.pid') },
    server: 'rgw',
  });
}
