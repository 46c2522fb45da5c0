// The example file WAL as a kill-harness backend module (params: { flaw?: WalFlaw, locking?, wrongReference? }).
import { joinPath } from '@rotortree/core/fs';
import { blake3 } from '@rotortree/hasher-blake3';
import { simpleFileWal } from '../dist/index.js';

export function createBackend(params) {
  const flaw = params?.flaw ?? undefined;
  const hasher = blake3({ backend: 'js' });
  return {
    name: `simple-file-wal(flaw=${flaw ?? 'none'})`,
    hasher,
    // wrongReference: the reference model disagrees with every tree of 2+ leaves (the harness must see it).
    ...(params?.wrongReference ? { referenceHasher: { ...hasher, hashGroup: (i, o, c, out, oo) => (hasher.hashGroup(i, o, c, out, oo), (out[oo] ^= 1)) } } : {}),
    wal: (m) => simpleFileWal({ dir: joinPath(m.dir, 'wal'), fs: m.fs, ...(flaw ? { flaw } : {}) }),
    supports: { crashSimulation: 'fs', locking: params?.locking ?? 'instance' },
  };
}
