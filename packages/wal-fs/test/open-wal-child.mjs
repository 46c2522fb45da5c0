// Opens the file WAL in `dir` in a fresh process (imports only built dist code) and prints one JSON
// line: what recovery found (`lastSeq`, `records` visited, `tornTail`) or the error `code`, and the
// process's peak resident memory (`hwmKiB`, VmHWM of /proc/self/status).
// Usage: node open-wal-child.mjs <dir> [recovery]
import { readFileSync } from 'node:fs';
import { openWal } from '@rotortree/core/backend';
import { fsWal } from '../dist/index.js';

const [dir, recovery] = process.argv.slice(2);
const wal = fsWal({ dir, ...(recovery === undefined ? {} : { recovery }) });
let out;
try {
  let records = 0;
  // The tree of support.ts's CONFIG.
  const result = await openWal(wal, { n: 4, maxDepth: 16, hasherId: 'blake3', treeId: '5a'.repeat(16) }, 0, () => records++);
  out = { ...result, records };
} catch (err) {
  out = { code: err.code ?? String(err) };
}
await wal.close();
const hwmKiB = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
process.stdout.write(`${JSON.stringify({ ...out, hwmKiB })}\n`);
