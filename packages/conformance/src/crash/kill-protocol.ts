/**
 * What the kill harness and its child processes tell each other. A child is started ahead of its
 * turn (warm: node started, backend module loaded) with the {@link ChildPrelude} in
 * `ROTORTREE_CONFORMANCE_CHILD` (JSON) and prints `W`; when its turn comes the harness writes one
 * line of JSON, the {@link ChildConfig}, to its stdin (stdin closed without it: the child exits).
 * The child prints back, one line each:
 * `R <size> <root hex|none>` recovered; `V ok` or `V <invariant> <message>` verified;
 * `I` inserting; `D <leaves>` durable up to; `K <point>` about to SIGKILL itself at a named kill
 * point; `T <size> <root hex|none>` (verify mode) the tree after appending, closing and reopening.
 * The harness compares every printed root with its own reference model.
 * @module
 */

/** Environment variable holding the child's {@link ChildPrelude}. */
export const CHILD_ENV = 'ROTORTREE_CONFORMANCE_CHILD';

/** What a child needs before its turn: the backend to load. */
export interface ChildPrelude {
  /** URL of the backend module: it exports `createBackend(params)` returning a `BackendUnderTest`. */
  readonly module: string;
  /** Passed to `createBackend`. */
  readonly params: unknown;
}

/** Configuration of one child run (sent on stdin when its turn comes). */
export interface ChildConfig extends ChildPrelude {
  /** The data directory (the machine's `dir`). */
  readonly dir: string;
  readonly n: number;
  readonly maxDepth: number;
  /** Leaves acknowledged durable by earlier children: recovery must keep them. */
  readonly acked: number;
  /** `run`: verify, then insert until killed; `verify`: verify, append, close, reopen, verify, exit. */
  readonly mode: 'run' | 'verify';
  /** Request a background checkpoint every this many records (0: never). */
  readonly checkpointEvery: number;
  /** Seed of the sampled proofs. */
  readonly seed: number;
  /** A named kill point (`ROTORTREE_KILL_AT` syntax) the child kills itself at, if any. */
  readonly killAt?: string;
}
