/**
 * What a backend author hands to the suite: factories that build the backends on a {@link Machine}
 * the suite owns (so it can crash it), and the capabilities the suite may test.
 * @module
 */
import type { CheckpointStore, Hasher, MemoryDisk, Wal, WalReader } from '@rotortree/core';
import type { FileSystem } from '@rotortree/core/fs';

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
  | 'followers';

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
