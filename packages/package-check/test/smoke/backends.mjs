// Usage: node backends.mjs
// Which native addons the installed packages load: BLAKE3, the WAL kernels, the mmap addon.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { availableBackends, blake3 } from '@rotortree/hasher-blake3';
import { loadMmapAddon } from '@rotortree/checkpoint-mmap';
import { report } from './leaves.mjs';

const require = createRequire(import.meta.url);

// wal-fs loads native/build/Release/rotortree_wal.node next to its dist/ and exports no probe.
function walNativeLoads() {
  try {
    const dir = dirname(require.resolve('@rotortree/wal-fs/package.json'));
    const addon = require(join(dir, 'native', 'build', 'Release', 'rotortree_wal.node'));
    return typeof addon.crc32c === 'function' && typeof addon.scanValid === 'function';
  } catch {
    return false;
  }
}

report({
  blake3: blake3().backend,
  availableBlake3: availableBackends(),
  walNative: walNativeLoads(),
  mmapAddon: loadMmapAddon() !== undefined,
});
