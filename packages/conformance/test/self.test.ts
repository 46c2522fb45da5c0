// The suite tests itself: the example WAL passes every group, and each deliberately broken
// variant is caught by the group that guards the guarantee it breaks.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { blake3 } from '@rotortree/hasher-blake3';
import {
  checkCrashConsistency,
  checkLocking,
  checkPoison,
  checkTreeRules,
  killPointFileSystem,
  nodeFileSystem,
  parseKillAt,
  runConformance,
  runKillCycles,
  simpleBackend,
} from '../src/index.js';
import type { Violation } from '../src/index.js';

const hasher = blake3({ backend: 'js' });
const SIMPLE = fileURLToPath(new URL('./simple-backends.mjs', import.meta.url));
const invariants = (v: readonly Violation[]) => new Set(v.map((x) => x.invariant));

runConformance(simpleBackend(hasher), { crashStates: 64 });

describe('broken backends are caught', () => {
  it('ackBeforeSync (flush resolves without fdatasync): acknowledged inserts lost at a power loss', async () => {
    const v = await checkCrashConsistency(simpleBackend(hasher, 'ackBeforeSync'), { crashStates: 48 });
    expect(invariants(v)).toContain('ackedSurvives');
    // Every violation names the seed, op index and crash mode that replay it.
    expect(v[0]!.message).toMatch(/seed=\d+ op=\d+ mode=\w+/);
    const replay = await checkCrashConsistency(simpleBackend(hasher, 'ackBeforeSync'), { seed: v[0]!.seed!, crashStates: 1 });
    expect(replay.length).toBeGreaterThan(0);
  });

  it('loseTailOnReopen: caught by the crash states and by a clean reopen in treeRules', async () => {
    const backend = simpleBackend(hasher, 'loseTailOnReopen');
    expect(invariants(await checkCrashConsistency(backend, { crashStates: 24 }))).toContain('ackedSurvives');
    expect(invariants(await checkTreeRules(backend))).toContain('treeRules');
  });

  it('noLock: a second opener gets in', async () => {
    expect(invariants(await checkLocking(simpleBackend(hasher, 'noLock')))).toContain('locking');
  });

  it('ignoreSyncError: a failed fdatasync is swallowed, so nothing is poisoned and acknowledged data is lost', async () => {
    const v = await checkPoison(simpleBackend(hasher, 'ignoreSyncError'));
    expect(invariants(v)).toContain('poison');
    expect(invariants(v)).toContain('ackedSurvives');
  });

  it('the correct example passes the kill harness; the broken ones fail it in real processes', async () => {
    const good = await runKillCycles({ module: SIMPLE, params: {}, cycles: 2, points: ['after-datasync:2'] });
    expect(good.violations).toEqual([]);
    expect(good.acked).toBeGreaterThan(0);
    const lost = await runKillCycles({ module: SIMPLE, params: { flaw: 'loseTailOnReopen' }, cycles: 2 });
    expect(invariants(lost.violations)).toContain('ackedSurvives');
    // The example locks in-process only: claiming a cross-process lock is caught.
    const unlocked = await runKillCycles({ module: SIMPLE, params: { locking: 'process' }, cycles: 1 });
    expect(invariants(unlocked.violations)).toContain('locking');
    // The roots the children print are judged by the parent's reference model.
    const wrongRoot = await runKillCycles({ module: SIMPLE, params: { wrongReference: true }, cycles: 2 });
    expect(invariants(wrongRoot.violations)).toContain('root');
  });
});

describe('kill points', () => {
  it('parse ROTORTREE_KILL_AT and fire at the nth matching call only', async () => {
    expect(parseKillAt('after-rename:2:MANIFEST')).toEqual({ when: 'after', op: 'rename', nth: 2, pathPart: 'MANIFEST' });
    expect(() => parseKillAt('during-lunch:1')).toThrow(RangeError);
    expect(() => parseKillAt('before-datasync:0')).toThrow(RangeError);
    const fired: string[] = [];
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/rotortree-killpoint-`);
    const fs = killPointFileSystem(nodeFileSystem(), parseKillAt('before-datasync:2'), (l) => fired.push(l));
    const fh = await fs.open(`${dir}/f`, 'w+');
    await fh.datasync();
    expect(fired).toEqual([]);
    await fh.datasync();
    await fh.datasync();
    expect(fired).toEqual(['before-datasync:2']);
    await fh.close();
    await rm(dir, { recursive: true, force: true });
  });
});
