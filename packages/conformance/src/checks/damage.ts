/**
 * Stored states the damage groups start from, and the damage they do to them: cleanly closed
 * machines holding a known workload (a WAL of ~30 records, a checkpoint in the middle), whose
 * files (or memory-disk parts) are flipped, cut, removed or replaced by another tree's.
 * @module
 */
import type { FileSystem } from '@rotortree/core/fs';
import { joinPath } from '@rotortree/core/fs';
import { openEngine } from '../engine.js';
import type { EngineParams } from '../engine.js';
import { simulatedMachine } from '../machine.js';
import type { SimulatedMachine } from '../machine.js';
import type { BackendUnderTest } from '../types.js';
import { leafAt, leavesAt } from '../workload.js';

/** One damage to one file. */
export type Damage = { kind: 'flip'; at: number } | { kind: 'cut'; at: number } | { kind: 'delete' };

/** A closed machine and what was inserted into it. */
export interface DamageState {
  readonly machine: SimulatedMachine;
  /** Leaves inserted (all acknowledged: the tree was closed cleanly). */
  readonly inserted: number;
  /** Sizes at which a record ended. */
  readonly ends: number[];
  /** The tree's identity, as a caller keeping a descriptor would know it. */
  readonly treeId: string;
  /** Files the first checkpoint created (the WAL's files existed before it), when there is a store. */
  readonly checkpointFiles: readonly string[];
}

/** Every file under `dir`, recursively. */
export async function listFiles(fs: FileSystem, dir: string): Promise<string[]> {
  const out: string[] = [];
  if (!(await fs.exists(dir))) return out;
  for (const name of await fs.readdir(dir)) {
    const path = joinPath(dir, name);
    const st = await fs.stat(path);
    if (st?.isDirectory) out.push(...(await listFiles(fs, path)));
    else if (st?.isFile) out.push(path);
  }
  return out.sort();
}

/** Files of `machine` a damage may touch: every file but lock files. */
export async function damageableFiles(machine: SimulatedMachine): Promise<string[]> {
  return (await listFiles(machine.fs, machine.dir)).filter((f) => !f.endsWith('.lock'));
}

/**
 * A cleanly closed machine with a WAL of ~30 records (and a checkpoint in the middle). `bulk`
 * leaves go in first as one batch, so that a checkpoint holds whole chunks of its levels.
 */
export async function buildDamageState(backend: BackendUnderTest, params: EngineParams, seed: number, checkpoints: boolean, bulk = 0): Promise<DamageState> {
  const machine = simulatedMachine(seed);
  const tree = await openEngine(backend, machine, params);
  const ends = [0];
  let inserted = 0;
  if (bulk > 0) {
    tree.insertMany(leavesAt(0, bulk));
    inserted = bulk;
    ends.push(inserted);
  }
  let checkpointFiles: string[] = [];
  for (let r = 0; r < 30; r++) {
    const k = r % 5 === 3 ? 2 + (r % 4) : 1;
    if (k === 1) tree.insert(leafAt(inserted));
    else tree.insertMany(leavesAt(inserted, k));
    inserted += k;
    ends.push(inserted);
    if (r % 4 === 3) await tree.flush();
    if (checkpoints && r === 14) {
      await tree.flush();
      const before = new Set(await listFiles(machine.fs, machine.dir));
      await tree.checkpoint();
      checkpointFiles = (await listFiles(machine.fs, machine.dir)).filter((f) => !before.has(f) && !f.endsWith('.lock'));
    }
  }
  const treeId = tree.treeId;
  await tree.close();
  return { machine, inserted, ends, treeId, checkpointFiles };
}

/** Applies `damage` to `file` of `machine`, durably. */
export async function applyDamage(machine: SimulatedMachine, file: string, damage: Damage): Promise<void> {
  const fs = machine.fs;
  if (damage.kind === 'delete') {
    await fs.unlink(file);
    await fs.fsyncDir(file.slice(0, file.lastIndexOf('/')) || '/');
    return;
  }
  const fh = await fs.open(file, 'r+');
  if (damage.kind === 'flip') {
    const b = new Uint8Array(1);
    await fh.read(b, 0, 1, damage.at);
    b[0] = b[0]! ^ (1 << (damage.at % 8));
    await fh.pwrite(b, 0, 1, damage.at);
  } else {
    await fh.truncate(damage.at);
  }
  await fh.datasync();
  await fh.close();
}

/** Replaces `file` of `machine` by `bytes`, durably (creating it if missing). */
export async function replaceFile(machine: SimulatedMachine, file: string, bytes: Uint8Array): Promise<void> {
  const fh = await machine.fs.open(file, 'w+');
  await fh.pwrite(bytes, 0, bytes.length, 0);
  await fh.datasync();
  await fh.close();
  await machine.fs.fsyncDir(file.slice(0, file.lastIndexOf('/')) || '/');
}
