/**
 * What the kill harness tells a child process (in `ROTORTREE_CONFORMANCE_CHILD`, JSON), and what
 * the child prints back, one line each:
 * `R <size>` recovered; `V ok` or `V <invariant> <message>` verified; `D <leaves>` durable up to;
 * `K <point>` about to SIGKILL itself at a named kill point.
 * @module
 */

/** Environment variable holding the child's {@link ChildConfig}. */
export const CHILD_ENV = 'ROTORTREE_CONFORMANCE_CHILD';

/** Configuration of one child run. */
export interface ChildConfig {
  /** URL of the backend module: it exports `createBackend(params)` returning a `BackendUnderTest`. */
  readonly module: string;
  /** Passed to `createBackend`. */
  readonly params: unknown;
  /** The data directory (the machine's `dir`). */
  readonly dir: string;
  readonly n: number;
  readonly maxDepth: number;
  /** Leaves acknowledged durable by earlier children: recovery must keep them. */
  readonly acked: number;
  /** `run`: verify, then insert until killed; `verify`: verify and exit. */
  readonly mode: 'run' | 'verify';
  /** Request a background checkpoint every this many records (0: never). */
  readonly checkpointEvery: number;
  /** Seed of the sampled proofs. */
  readonly seed: number;
}
