// Usage: node backends.mjs
// Which native addons the installed packages load, and from where (a prebuild shipped in the
// tarball, or a compile at install): BLAKE3, the WAL kernels, @rotortree/native (mmap, CRC-32C,
// flock), and which provider the locks use.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { availableBackends, blake3 } from '@rotortree/hasher-blake3';
import { loadMmapAddon } from '@rotortree/checkpoint-mmap';
import { crc32cKernel, fileMapper, loadAddon, lockProvider } from '@rotortree/native';
import { report } from './leaves.mjs';

const require = createRequire(import.meta.url);

/** Where addon `name` of `pkg` loads from: 'prebuild', 'compiled', or null when it does not load. */
function addonSource(pkg, name) {
  const { path } = loadAddon(dirname(require.resolve(`${pkg}/package.json`)), name, () => true);
  return path === undefined ? null : path.includes('/prebuilds/') ? 'prebuild' : 'compiled';
}

report({
  blake3: blake3().backend,
  availableBlake3: availableBackends(),
  sources: {
    native: addonSource('@rotortree/native', 'rotortree_native'),
    wal: addonSource('@rotortree/wal-fs', 'rotortree_wal'),
    blake3: addonSource('@rotortree/hasher-blake3', 'rotortree_blake3'),
  },
  mmapAddon: loadMmapAddon() !== undefined,
  untrackedMappings: fileMapper()?.untracked ?? null,
  crcKernel: crc32cKernel(),
  lockProvider: lockProvider() ?? null,
});
