/**
 * Vitest global setup: builds `dist` once (tsc, a few seconds) before any test file runs, for the
 * tests that run the CLI as a child process (`node dist/cli/main.js`). One build for every file:
 * files running in parallel never see a `dist` another build is rewriting.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
  execFileSync(process.execPath, [join(pkg, '../../node_modules/typescript/bin/tsc'), '-p', join(pkg, 'tsconfig.build.json')], { stdio: 'inherit' });
}
