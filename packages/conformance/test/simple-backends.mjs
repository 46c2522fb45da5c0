// The example file WAL as a kill-harness backend module (params: { flaw?: WalFlaw }).
import { joinPath } from '@rotortree/core/fs';
import { blake3 } from '@rotortree/hasher-blake3';
import { simpleFileWal } from '../dist/index.js';

export function createBackend(params) {
  const flaw = params?.flaw ?? undefined;
  return {
    name: `simple-file-wal(flaw=${flaw ?? 'none'})`,
    hasher: blake3({ backend: 'js' }),
    wal: (m) => simpleFileWal({ dir: joinPath(m.dir, 'wal'), fs: m.fs, ...(flaw ? { flaw } : {}) }),
    supports: { crashSimulation: 'fs', locking: params?.locking ?? 'instance' },
  };
}
