// Builds the native BLAKE3 addon with node-gyp into native/build/.
//
// As the package's `install` script it never fails: without a compiler or Node headers it prints
// one line and exits 0, and the loader then reports the native kernel as unavailable.
// With --strict (the `build:native` script) a failed build exits 1 and shows node-gyp's output.
// ROTORTREE_SKIP_NATIVE_BUILD=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const strict = process.argv.includes('--strict');
const nativeDir = dirname(fileURLToPath(import.meta.url));
const tag = '[@rotortree/hasher-blake3]';

function giveUp(reason, output = '') {
  if (strict) {
    if (output) process.stderr.write(output);
    console.error(`${tag} native BLAKE3 build failed: ${reason}`);
    process.exit(1);
  }
  console.log(`${tag} native BLAKE3 kernel not built (${reason}); the WASM or JS kernel will be used.`);
  process.exit(0);
}

try {
  if (process.env.ROTORTREE_SKIP_NATIVE_BUILD === '1') giveUp('ROTORTREE_SKIP_NATIVE_BUILD=1');

  let gyp;
  try {
    gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // Installed from the registry, node-gyp is not among our dependencies: npm and pnpm pass theirs.
    gyp = process.env.npm_config_node_gyp;
    if (!gyp || !existsSync(gyp)) giveUp('node-gyp is not installed');
  }

  // node-gyp downloads headers unless it is told where they are; with no network that fails.
  // Node installed under a prefix ships them in <prefix>/include/node (e.g. /usr here).
  const env = { ...process.env };
  if (!env.npm_config_nodedir) {
    const prefix = resolve(dirname(process.execPath), '..');
    if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
  }

  const run = spawnSync(process.execPath, [gyp, 'rebuild', '--directory', nativeDir], {
    env,
    encoding: 'utf8',
    stdio: strict ? 'inherit' : 'pipe',
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) giveUp(run.error.message);
  if (run.status !== 0) {
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
    const firstError =
      output.split('\n').find((line) => /error|not found|ERR!/i.test(line) && !/gyp ERR! (cwd|node -v|node-gyp -v|command|System)/.test(line)) ??
      `node-gyp exited with ${run.status ?? run.signal}`;
    giveUp(firstError.trim(), output);
  }
  console.log(`${tag} built the native BLAKE3 kernel.`);
} catch (err) {
  giveUp(err instanceof Error ? err.message : String(err));
}
