/**
 * Packs every publishable package once (`pnpm pack`, which turns `workspace:^` into real version
 * ranges) into a temp dir shared by the test files, and removes it afterwards. A package that
 * fails to pack is reported by the tests (its `error`), not here, so the run still names it.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { PackedPackage } from './packed.js';
import { describeRun, publishablePackages, run, WORKSPACE_ROOT } from './workspace.js';

interface PackJson {
  readonly filename?: unknown;
  readonly files?: readonly { readonly path?: unknown }[];
}

async function pack(name: string, destination: string): Promise<Pick<PackedPackage, 'tarball' | 'files' | 'error'>> {
  const result = await run('bash', ['scripts/pnpm.sh', '--filter', name, 'pack', '--json', '--pack-destination', destination], {
    cwd: WORKSPACE_ROOT,
    env: process.env,
  });
  if (result.status !== 0) return { error: describeRun(`pnpm pack of ${name}`, result) };
  try {
    const { filename, files } = JSON.parse(result.stdout) as PackJson;
    if (typeof filename === 'string') return { tarball: filename, files: (files ?? []).map((f) => String(f.path)) };
  } catch {
    // fall through: not the JSON we expect
  }
  return { error: describeRun(`pnpm pack of ${name} (no tarball name in its JSON)`, result) };
}

export default async function setup(project: TestProject): Promise<() => void> {
  const destination = mkdtempSync(join(tmpdir(), 'rotortree-packed-'));
  const packed: PackedPackage[] = [];
  // One at a time: pnpm pack runs the packages' prepack hooks and the machine has 2 cores.
  for (const { name, dir } of publishablePackages()) {
    packed.push({ name, dir, ...(await pack(name, destination)) });
  }
  project.provide('packed', packed);
  return () => rmSync(destination, { recursive: true, force: true });
}
