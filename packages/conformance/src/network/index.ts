/**
 * `@rotortree/conformance/network`: what the suite needs to fail a backend that talks to a
 * server: a TCP fault proxy (pass / blackhole / reset, switched by hand or at "before/after the
 * k-th request or reply"), protocol framers (PostgreSQL, HTTP/1.1, plain chunks), the
 * {@link ServiceController} a backend author supplies (kill -9, stop, start), controllers for
 * the PostgreSQL pair and the Ceph RGW of this repository's scripts, and the rules tests use to
 * find those servers (skip without them, fail under CI).
 * @module
 */
export { FaultProxy } from './fault-proxy.js';
export type { FaultAction, FaultProxyOptions, NetworkEvent, ProxyMode } from './fault-proxy.js';
export { formatNetworkPoint, NETWORK_POINTS, parseNetworkPoint, pointMatches } from './network-points.js';
export type { NetworkPoint } from './network-points.js';
export { chunkFraming } from './framing/chunk.js';
export { httpFraming } from './framing/http.js';
export { postgresFraming } from './framing/postgres.js';
export type { ConnectionFraming, Direction, Framer, Framing, MessageInfo, Piece } from './framing/types.js';
export type { ServiceController } from './services/controller.js';
export { scriptController } from './services/script-controller.js';
export type { ScriptControllerOptions } from './services/script-controller.js';
export { postgresController } from './services/postgres.js';
export type { PostgresService } from './services/postgres.js';
export { cephRgwController } from './services/ceph-rgw.js';
export type { S3Service } from './services/ceph-rgw.js';
export { isAlive, killFromPidFile, pidFromFile } from './services/processes.js';
export {
  canConnect,
  lookupPrivateService,
  lookupService,
  requireService,
  serviceController,
  servicesRequired,
  useService,
} from './test-services.js';
export type { PrivateService, ServiceInfoMap, ServiceLookup, ServiceName, SkipContext } from './test-services.js';
