import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The committed wasm/blake3.wasm must be exactly what the sources in wasm/ build to.
describe('wasm/blake3.wasm', () => {
  it('is reproducible from the committed sources (check:wasm)', () => {
    const script = fileURLToPath(new URL('../wasm/build.mjs', import.meta.url));
    const run = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(run.stderr + run.stdout).toContain('reproducible');
    expect(run.status).toBe(0);
  });
});
