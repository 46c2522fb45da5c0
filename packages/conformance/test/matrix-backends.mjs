// The backend combinations of the conformance matrix, as a plain ES module so that kill-test
// children (plain node, no TypeScript) can import it too. Imports only built dist code.
import { memoryCheckpointStore, memoryWal, memoryWalReader } from '@rotortree/core';
import { joinPath } from '@rotortree/core/fs';
import { fsWal, fsWalReader } from '@rotortree/wal-fs';
import { availableBackends, blake3 } from '@rotortree/hasher-blake3';

let mmapModule;
try {
  mmapModule = await import('@rotortree/checkpoint-mmap');
} catch {
  mmapModule = undefined; // not built: the matrix runs without it
}

/** True when @rotortree/checkpoint-mmap could be loaded. */
export const hasCheckpointMmap = mmapModule !== undefined;

const WALS = ['memory', 'fs'];
const STORES = ['none', 'memory', 'mmap', 'pread'];

/** Every combination: { wal, store, hasher, n }. */
export function matrixCombinations() {
  const out = [];
  const stores = hasCheckpointMmap ? STORES : STORES.filter((s) => s !== 'mmap' && s !== 'pread');
  for (const wal of WALS) for (const store of stores) for (const hasher of availableBackends()) for (const n of [2, 4, 16]) out.push({ wal, store, hasher, n });
  return out;
}

/** The BackendUnderTest of a combination. */
export function backendFor(c) {
  const usesDisk = c.wal === 'memory' || c.store === 'memory';
  const allFs = c.wal === 'fs' && c.store !== 'memory';
  return {
    name: `wal=${c.wal} checkpoints=${c.store} blake3=${c.hasher} n=${c.n}`,
    hasher: blake3({ backend: c.hasher }),
    referenceHasher: blake3({ backend: 'js' }),
    wal(m) {
      if (c.wal === 'memory') return memoryWal({ disk: m.disk });
      return fsWal({ dir: joinPath(m.dir, 'wal'), fs: m.fs, lock: m.real ? 'flock' : 'memory' });
    },
    walReader(m) {
      if (c.wal === 'memory') return memoryWalReader({ disk: m.disk });
      return fsWalReader({ dir: joinPath(m.dir, 'wal'), fs: m.fs });
    },
    ...(c.store === 'none'
      ? {}
      : {
          checkpointReader(m) {
            if (c.store === 'memory') return memoryCheckpointStore({ disk: m.disk, readOnly: true });
            const dir = joinPath(m.dir, 'checkpoints');
            if (c.store === 'mmap' && m.real) return mmapModule.mmapCheckpointStore({ dir, mmap: 'auto', readOnly: true });
            return mmapModule.mmapCheckpointStore({ dir, fs: m.fs, mmap: c.store === 'mmap' ? 'auto' : 'off', readOnly: true });
          },
          checkpoints(m) {
            if (c.store === 'memory') return memoryCheckpointStore({ disk: m.disk });
            const dir = joinPath(m.dir, 'checkpoints');
            // mmap needs the real file system: on it the store gets no injected fs (kill points then see only the WAL).
            if (c.store === 'mmap' && m.real) return mmapModule.mmapCheckpointStore({ dir, mmap: 'auto' });
            return mmapModule.mmapCheckpointStore({ dir, fs: m.fs, mmap: c.store === 'mmap' ? 'auto' : 'off', maxSegmentBytes: 8 * 1024 * 32 });
          },
        }),
    supports: {
      crashSimulation: usesDisk ? 'memoryDisk' : 'fs',
      locking: allFs ? 'process' : 'instance',
      corruptionDetection: allFs,
      mmap: c.store === 'mmap',
    },
  };
}

/** The kill harness's entry point: `params` is a combination. */
export const createBackend = backendFor;
