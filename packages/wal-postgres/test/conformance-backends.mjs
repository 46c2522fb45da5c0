// The combinations of the PostgreSQL WAL the conformance suite runs, as a plain ES module so that
// the kill harness's child processes (plain node) can import it too. Imports only built code.
// The connection comes from ROTORTREE_PG_PRIMARY (scripts/test.sh exports it) or .services.
import { basename } from 'node:path';
import { memoryCheckpointStore } from '@rotortree/core';
import { joinPath } from '@rotortree/core/fs';
import { mmapCheckpointStore } from '@rotortree/checkpoint-mmap';
import { blake3 } from '@rotortree/hasher-blake3';
import { postgresWal } from '../dist/index.js';

/** A tree name per simulated machine (a reopen is a second call with the same machine). */
const names = new WeakMap();
let counter = 0;

/** The tree of `machine`: from its directory on a real machine (shared by processes), else its own. */
function treeOf(machine, prefix) {
  if (machine.real) return `${prefix}-${basename(machine.dir)}`;
  let name = names.get(machine);
  if (name === undefined) {
    name = `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
    names.set(machine, name);
  }
  return name;
}

/** The backend of `{ connection, store, n }`: store is none, memory or mmap. */
export function createBackend({ connection, store }) {
  const prefix = `conformance-${store}`;
  return {
    name: `wal=postgres checkpoints=${store}`,
    hasher: blake3(),
    referenceHasher: blake3({ backend: 'js' }),
    wal: (machine) => postgresWal({ connection, tree: treeOf(machine, prefix), timeoutMs: 10_000, lockTimeoutMs: 1_000 }),
    ...(store === 'none'
      ? {}
      : {
          checkpoints(machine) {
            if (store === 'memory') return memoryCheckpointStore({ disk: machine.disk });
            const dir = joinPath(machine.dir, 'checkpoints');
            return machine.real ? mmapCheckpointStore({ dir }) : mmapCheckpointStore({ dir, fs: machine.fs, mmap: 'off' });
          },
        }),
    // Crashes of the client process are the kill harness's; crashes of the server are tested in
    // server-faults.test.ts (the suite's network crash mode is on its way).
    supports: { crashSimulation: false, locking: 'process' },
  };
}
