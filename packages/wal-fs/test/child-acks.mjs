// The child side of the SIGKILL tests (read by kill-child.ts): `R <size>` once the engine recovered,
// `D <count>` each time the leaves up to `count` are durable (only when the count grows).

/** Reports the size the engine recovered at open. */
export function reportRecovered(size) {
  process.stdout.write(`R ${size}\n`);
}

/**
 * A function `(result, end)` that reports `D end` once `result.token` resolves, unless a higher count
 * was reported already; `acked` is the count known durable at the start.
 */
export function durabilityReporter(acked) {
  return (result, end) => {
    result.token.wait().then(() => {
      if (end > acked) {
        acked = end;
        // Pipes are synchronous on Linux: once written, the parent will read it even after a SIGKILL.
        process.stdout.write(`D ${end}\n`);
      }
    });
  };
}
