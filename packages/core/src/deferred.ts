/**
 * A promise settled from outside its executor: by the flush that makes records durable, or by the
 * end of a record that was logged by reference.
 * @module
 */

/** Options of {@link Deferred}. */
export interface DeferredOptions {
  /**
   * Mark the promise as handled at once, for one that nobody may ever await: its rejection is then
   * never reported as unhandled (whoever does await it still sees the rejection). Default false.
   */
  readonly mayGoUnobserved?: boolean;
}

/** A `Promise<void>` with its `resolve` and `reject`. Internal to the package. */
export class Deferred {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (err: unknown) => void;

  constructor(options?: DeferredOptions) {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (options?.mayGoUnobserved === true) this.promise.catch(() => undefined);
  }
}
