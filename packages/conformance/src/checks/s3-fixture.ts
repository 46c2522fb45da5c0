/**
 * What the S3 groups (stale writers, partitions, server kills) need from a combination whose
 * checkpoints are in S3-compatible object storage: its WAL (from the backend), stores of a
 * machine's tree with per-check options (timeouts, the endpoint of a fault proxy in front of the
 * server), and the keys the tree has in the bucket (to see garbage). Nothing here imports an S3
 * package: the combination supplies the stores.
 * @module
 */
import type { CheckpointStore, Wal } from '@rotortree/core';
import type { ServiceController } from '../network/services/controller.js';
import type { BackendUnderTest, Machine } from '../types.js';

/** Options of an S3 checkpoint store built for a check (as `@rotortree/checkpoint-s3` names them). */
export interface S3StoreOptions {
  /** The server's URL, or a fault proxy's in front of it. */
  readonly endpoint?: string;
  readonly readOnly?: boolean;
  readonly requestTimeoutMs?: number;
  readonly retries?: number;
  readonly segmentBytes?: number;
  readonly concurrency?: number;
  readonly collectGarbage?: boolean;
}

/** A combination with checkpoints in S3, for the S3 groups. */
export interface S3Fixture {
  /** The combination: its `wal`, `walReader` and hashers are used; its checkpoint stores come from {@link store}. */
  readonly backend: BackendUnderTest;
  /** The server's HTTP endpoint (the S3 groups put a fault proxy in front of it). */
  readonly endpoint: string;
  /** A checkpoint store of `machine`'s tree (one tree per machine, kept across the machine's reboots). */
  store(machine: Machine, options?: S3StoreOptions): CheckpointStore | Promise<CheckpointStore>;
  /** Every object key of `machine`'s tree in the bucket. */
  keys(machine: Machine): Promise<string[]>;
  /**
   * A WAL that takes `machine`'s tree from a live writer (whose next write is then fenced), for a
   * WAL that can (e.g. PostgreSQL's `takeover`). Without it, a takeover is the old writer's machine
   * losing its disk: its WAL is closed (its lock goes), its process and store live on.
   */
  takeoverWal?(machine: Machine): Wal | Promise<Wal>;
}

/** An {@link S3Fixture} on a server the check may kill and restart. */
export interface KillableS3Fixture extends S3Fixture {
  /** Kills (SIGKILL) and restarts `rgw` (the HTTP gateway) and `osd` (the storage daemon). */
  readonly controller: ServiceController;
}
