/**
 * What a backend author gives the suite so that it can fail the server side: kill a server
 * process with SIGKILL, bring it back, stop and start the synchronous standby.
 * @module
 */

/** Controls the processes of a service the backend talks to. */
export interface ServiceController {
  /** Every process it can kill, stop or start, e.g. `['primary', 'standby']` or `['rgw', 'osd', 'mon']`. */
  readonly processes: readonly string[];
  /** The process the backend talks to: what `kill()` kills by default. */
  readonly server: string;
  /** The synchronous standby, when the service has one: while it is down, a commit cannot be acknowledged. */
  readonly standby?: string;
  /** SIGKILLs the process (default: the server); resolves once it is gone. */
  kill(process?: string): Promise<void>;
  /** Stops the process cleanly; resolves once it is down. */
  stop(process: string): Promise<void>;
  /** Starts the process (default: every process that is down); resolves once it serves. */
  start(process?: string): Promise<void>;
}
