/**
 * The example backend (the simple file WAL) as a {@link BackendUnderTest}, correct and broken.
 * @module
 */
import type { Hasher } from '@rotortree/core';
import { joinPath } from '@rotortree/core/fs';
import type { BackendUnderTest } from '../types.js';
import { simpleFileWal } from './simple-file-wal.js';
import type { WalFlaw } from './simple-file-wal.js';

/** The simple file WAL (no checkpoint store), optionally with a deliberate flaw. */
export function simpleBackend(hasher: Hasher, flaw?: WalFlaw): BackendUnderTest {
  return {
    name: flaw === undefined ? 'simple-file-wal' : `simple-file-wal(flaw=${flaw})`,
    hasher,
    wal: (machine) => simpleFileWal({ dir: joinPath(machine.dir, 'wal'), fs: machine.fs, ...(flaw === undefined ? {} : { flaw }) }),
    supports: { crashSimulation: 'fs', locking: 'instance' },
  };
}

/** Every deliberately broken example backend. */
export const WAL_FLAWS: readonly WalFlaw[] = ['ackBeforeSync', 'loseTailOnReopen', 'noLock', 'ignoreSyncError'];
