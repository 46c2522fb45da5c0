/**
 * The read commands beside a live writer: `root`, `info`, `prove`, `verify` and `check` read the
 * tree as a follower (no lock), so they work while another opener holds the directory, and show the
 * state the writer made durable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '@rotortree/core';
import { open } from '../src/index.js';
import { errorOf, runCli } from './cli-support.js';
import { hexLines, leaves } from './support.js';

const base = mkdtempSync(join(tmpdir(), 'rotortree-cli-live-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('read commands beside a live writer', () => {
  it('root, info, prove, verify and check work while a writer holds the tree, and show its durable state', async () => {
    const dir = join(base, 't');
    const writer = await open(dir, { flushPolicy: { kind: 'manual' } });
    writer.insertMany(leaves(0, 3000));
    await writer.checkpoint();
    writer.insertMany(leaves(3000, 30));
    await writer.flush();
    const durableRoot = toHex(writer.root!);
    const root = await runCli(['root', '--dir', dir, '--json']);
    expect(root.code).toBe(0);
    expect(root.json).toMatchObject({ root: durableRoot, size: 3030 });
    const info = await runCli(['info', '--dir', dir, '--json']);
    expect(info.code).toBe(0);
    expect(info.json).toMatchObject({ size: 3030, seq: writer.seq });
    const proof = await runCli(['prove', '17', '--dir', dir]);
    expect(proof.code).toBe(0);
    const verified = await runCli(['verify', '-', '--dir', dir, '--json'], proof.stdout);
    expect(verified.json).toMatchObject({ valid: true });
    const check = await runCli(['check', '--dir', dir, '--json', '--samples', '16']);
    expect(check.code).toBe(0);
    expect(check.json).toMatchObject({ ok: true, live: true, size: 3030, root: durableRoot, checkpoint: { size: 3000, mismatches: 0 }, proofs: { checked: 16, failed: 0 } });
    // A second writer is still refused.
    expect(errorOf(await runCli(['append', '--dir', dir, '--json'], hexLines(5000, 2))).code).toBe('FILE_LOCKED');
    await writer.close();
  });
});
