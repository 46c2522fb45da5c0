/**
 * What a backend author hands to the suite: factories that build the backends on a {@link Machine}
 * the suite owns (so it can crash it), and the capabilities the suite may test.
 * @module
 */
import type { CheckpointStore, Hasher, MemoryDisk, Wal, WalReader } from '@rotortree/core';
import type { FileSystem } from '@rotortree/core/fs';
import type { Framing } from './network/framing/types.js';
import type { ServiceController } from './network/services/controller.js';

/**
 * The storage one test runs on. The suite creates a fresh machine per test (or per crash state),
 * passes it to every factory call, and crashes it; a "reopen" is a second factory call on the
 * same machine. A backend writes through exactly one of:
 * - `fs` + `dir` (file backends): in crash tests `fs` is core's fault-injecting
 *   `faultyFileSystem`, in process tests (`real`) the real file system and a temporary directory;
 * - `disk` (in-memory backends: `memoryWal({ disk })`, `memoryCheckpointStore({ disk })`).
 */
export interface Machine {
  /** The file system to write through. */
  readonly fs: FileSystem;
  /** A directory of its own for this machine; put each backend in a subdirectory (`wal/`, `checkpoints/`). */
  readonly dir: string;
  /** The simulated disk of the in-memory backends. */
  readonly disk: MemoryDisk;
  /**
   * True when `fs` is the real file system (process tests: the data must survive the process, and
   * locks must hold across processes). A backend may then ignore `fs` (e.g. to mmap real files).
   */
  readonly real: boolean;
}

/** How the suite can simulate a power loss of a backend. */
export type CrashSimulation =
  /** The backend does all its I/O through `machine.fs`: the suite crashes the fault-injecting file system. */
  | 'fs'
  /** The backend keeps its state in `machine.disk`: the suite calls `disk.crash()`. */
  | 'memoryDisk';

/**
 * Capabilities declared by the author, next to the ones the backends claim themselves
 * (`wal.supports`, `checkpoints.supports`). The suite skips the groups a backend does not claim.
 */
export interface DeclaredCapabilities {
  /** How crashes are simulated (default: `'fs'`). `false`: the durability groups are skipped. */
  readonly crashSimulation?: CrashSimulation | false;
  /**
   * The one-writer lock: `'instance'` (a second opener in this process gets `FILE_LOCKED`),
   * `'process'` (also across processes; checked by the kill harness). Default `'instance'`.
   */
  readonly locking?: 'instance' | 'process' | false;
  /** Damaged bytes (bit flips, cut files, missing files) are detected: needs `crashSimulation: 'fs'`. Default false. */
  readonly corruptionDetection?: boolean;
  /** Segments are read through mmap (informational; reported in test names). */
  readonly mmap?: boolean;
  /** An injected fsync failure poisons the backend (needs `crashSimulation: 'fs'`). Default true with `'fs'`. */
  readonly fsyncFailure?: boolean;
}

/** The capabilities the suite tests, after merging the declared ones with the backends' own claims. */
export interface Capabilities {
  /** Every backend claims `supports.durable` (data survives the process: kill tests apply). */
  readonly durable: boolean;
  readonly crashSimulation: CrashSimulation | false;
  readonly locking: 'instance' | 'process' | false;
  readonly corruptionDetection: boolean;
  readonly fsyncFailure: boolean;
  readonly mmap: boolean;
  /** A checkpoint store is configured. */
  readonly checkpoints: boolean;
  /** The combination offers readers for followers (`walReader`). */
  readonly followers: boolean;
  /** The network crash mode's parts (all false without `network`). */
  readonly network: {
    readonly proxy: boolean;
    readonly serverKill: boolean;
    readonly standby: boolean;
    readonly damage: boolean;
    readonly foreignRecords: boolean;
  };
}

/** A backend combination under test. */
export interface BackendUnderTest {
  /** Shown in test names and violation messages. */
  readonly name: string;
  /** The hasher the engine uses. */
  readonly hasher: Hasher;
  /**
   * An independent hasher for the reference recomputation of roots (called one group at a time).
   * Default: `hasher`, one group at a time.
   */
  readonly referenceHasher?: Hasher;
  /** A new WAL instance on `machine` (called again on the same machine to reopen). */
  wal(machine: Machine): Wal | Promise<Wal>;
  /** A new checkpoint store on `machine`, if the combination has one. */
  checkpoints?(machine: Machine): CheckpointStore | Promise<CheckpointStore>;
  /** Optional: a reader of the log on `machine` for followers (no lock; see core's `WalReader`). Enables the followers group. */
  walReader?(machine: Machine): WalReader | Promise<WalReader>;
  /** Optional, with `walReader` and `checkpoints`: the checkpoint store opened read-only, for followers. */
  checkpointReader?(machine: Machine): CheckpointStore | Promise<CheckpointStore>;
  /** Declared capabilities. */
  readonly supports?: DeclaredCapabilities;
  /** The network crash mode, for a WAL that lives on a server: enables the network groups. */
  readonly network?: NetworkCrashMode;
}

/** Where a network WAL connects and which log it holds: the suite picks both for every case. */
export interface NetworkWalTarget {
  /** The address to connect to: the suite's fault proxy in front of the server. */
  readonly host: string;
  readonly port: number;
  /** The log's name on the server (one tree's records): a fresh one per case, the same one to reopen. */
  readonly log: string;
  /** Take the log over from a live writer, whose next flush must then fail `FENCED`. */
  readonly takeover: boolean;
  /** Bound every wait for the server by this many ms: a flush must settle within about that. */
  readonly timeoutMs: number;
}

/**
 * The network crash mode: what a backend whose WAL talks to a server gives the suite. The suite
 * owns a fault proxy (`FaultProxy`) in front of `server` (pass / blackhole / reset at "before/after the
 * k-th request or reply") and fails the server through `controller`; the backend says how to make
 * its WAL through an address, how to damage a stored record and how to mix two logs up.
 */
export interface NetworkCrashMode {
  /** The server the WAL talks to (host defaults to 127.0.0.1). */
  readonly server: { readonly host?: string; readonly port: number };
  /** Tells the protocol's messages apart, so that crash points count them (default: one read = one message). */
  readonly framing?: Framing;
  /** A new WAL (not opened yet) that connects to `target` and holds `target.log`; `machine` is the client's. */
  wal(machine: Machine, target: NetworkWalTarget): Wal | Promise<Wal>;
  /**
   * Kills (SIGKILL) and restarts the server, stops and starts the synchronous standby: enables the
   * `serverKill` group, and `standbyDown` when it names a `standby`. These groups stop processes:
   * give a server no other test uses at the same time.
   */
  readonly controller?: ServiceController;
  /**
   * Damages the stored record of `log` that holds sequence number `seq` (its bytes, as a bad disk
   * or a bad hand would), directly on the server. Resolves with the name the `CORRUPTION` error
   * must carry in its `file` or message (e.g. `first_seq=4`). Enables `damagedRecords`.
   */
  damageRecord?(log: string, seq: number): Promise<string>;
  /**
   * Makes the stored records of log `to` a copy of those of log `from` (two trees' storage mixed
   * up), directly on the server. Enables the foreign-records part of `networkIdentity`.
   */
  copyRecords?(from: string, to: string): Promise<void>;
}

/** Which rule of DESIGN.md "What must hold" a violation breaks (1-8), or a named contract. */
export type Invariant =
  | 'ackedSurvives'
  | 'prefix'
  | 'root'
  | 'checkpointCrash'
  | 'corruptionReported'
  | 'poison'
  | 'locking'
  | 'badInput'
  | 'treeRules'
  | 'proofs'
  | 'lifecycle'
  | 'recovery'
  | 'followers'
  /** A writer that was taken over kept writing, or a takeover lost or doubled a record. */
  | 'fencing'
  /** A flush neither resolved nor rejected within its bound (network faults). */
  | 'bounded';

/** One broken guarantee, with what reproduces it. */
export interface Violation {
  /** The check that found it, e.g. `durability`. */
  readonly check: string;
  readonly invariant: Invariant;
  /** What went wrong (includes the reproduction data). */
  readonly message: string;
  /** The seed that replays the case (pass it as `seed` with `states: 1`), if the case is seeded. */
  readonly seed?: number;
  /** The file-system operation index (or engine step) the crash hit. */
  readonly op?: number;
  /** The crash mode. */
  readonly mode?: string;
}

/** How much a check explores. */
export interface Budget {
  /** Crash states per crash check (each: run, power loss, reboot, recover, verify). */
  readonly crashStates?: number;
  /** Kill cycles per kill run. */
  readonly killCycles?: number;
  /** Keep exploring with new seeds until this `Date.now()` value (soak runs). */
  readonly deadline?: number;
  /** Network crash points per network crash group (partitions; server kills use `serverKills`). */
  readonly networkPoints?: number;
  /** Server kills (SIGKILL, restart) per `serverKill` run. */
  readonly serverKills?: number;
  /** Writer takeovers per `fencing` run. */
  readonly fencingCycles?: number;
}

/** Options shared by the checks. */
export interface CheckOptions extends Budget {
  /** Branching factor (default 4). */
  readonly n?: number;
  /** Maximum depth (default 16). */
  readonly maxDepth?: number;
  /** Base seed of every random choice (default 1). Violations print the seed of their case. */
  readonly seed?: number;
}
