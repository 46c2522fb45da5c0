/**
 * Scripted engine workloads for the crash checks: inserts, batches, flushes and checkpoints,
 * awaited or left running in the background, fixed by a seed; and the runner that records what
 * was inserted and what the engine acknowledged as durable.
 * @module
 */
import type { RotorTree } from '@rotortree/core';
import { createPrng } from '@rotortree/core/fs';
import { leafAt, leavesAt } from '../workload.js';

/** One step of a script. */
export type Step =
  | { readonly kind: 'insert' }
  | { readonly kind: 'batch'; readonly k: number }
  | { readonly kind: 'flush' }
  | { readonly kind: 'flushBackground' }
  | { readonly kind: 'checkpoint' }
  | { readonly kind: 'checkpointBackground' };

/** Shapes of scripts. */
export type ScriptShape = 'mixed' | 'checkpointHeavy' | 'noCheckpoints';

/** A script of about `length` steps fixed by `seed`. Batches sometimes span several 512-byte sectors. */
export function makeScript(seed: number, length: number, shape: ScriptShape, withCheckpoints: boolean): Step[] {
  const rnd = createPrng(seed);
  const steps: Step[] = [];
  const cpWeight = !withCheckpoints || shape === 'noCheckpoints' ? 0 : shape === 'checkpointHeavy' ? 25 : 8;
  for (let i = 0; i < length; i++) {
    const r = rnd.below(100);
    if (r < 50) steps.push({ kind: 'insert' });
    else if (r < 65) steps.push({ kind: 'batch', k: rnd.below(5) === 0 ? 17 + rnd.below(40) : 2 + rnd.below(5) });
    else if (r < 80) steps.push({ kind: 'flush' });
    else if (r < 92 - cpWeight / 2) steps.push({ kind: 'flushBackground' });
    else if (cpWeight === 0) steps.push({ kind: 'insert' });
    else steps.push(rnd.below(2) === 0 ? { kind: 'checkpoint' } : { kind: 'checkpointBackground' });
    if (cpWeight > 0 && rnd.below(100) < cpWeight / 3) steps.push({ kind: 'checkpoint' });
  }
  steps.push({ kind: 'flush' });
  return steps;
}

/** What a run of a script did. */
export class RunRecord {
  /** Leaves inserted (the insert call returned). */
  inserted = 0;
  /** ends[seq] = leaves after record `seq` (ends[0] = leaves before the run). */
  readonly ends: number[];
  /** Leaves covered by resolved tokens. */
  ackedByTokens: number;
  /** Errors thrown by steps (expected once the machine is off). */
  readonly errors: unknown[] = [];
  /** Background operations still running. */
  readonly pending: Promise<unknown>[] = [];

  constructor(startLeaves = 0) {
    this.inserted = startLeaves;
    this.ends = [startLeaves];
    this.ackedByTokens = startLeaves;
  }

  /** Record ends after `startLeaves`, for the prefix check. */
  isBoundary(size: number): boolean {
    return this.ends.includes(size);
  }

  /** Leaves the engine claims durable: resolved tokens, or `durableSeq` (whatever says more). */
  acknowledged(tree: RotorTree | undefined): number {
    const bySeq = tree === undefined ? 0 : (this.ends[Math.min(tree.durableSeq, this.ends.length - 1)] ?? 0);
    return Math.max(this.ackedByTokens, bySeq);
  }

  /** Waits for background operations (their errors are expected after a power loss). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.pending);
  }
}

/** Runs `steps` on `tree`; `before(j)` may stop the run (e.g. after powering the machine off). */
export async function runScript(
  tree: RotorTree,
  steps: readonly Step[],
  record: RunRecord,
  before?: (j: number) => Promise<boolean>,
): Promise<void> {
  for (let j = 0; j < steps.length; j++) {
    if (before !== undefined && !(await before(j))) return;
    const step = steps[j]!;
    try {
      switch (step.kind) {
        case 'insert':
        case 'batch': {
          const k = step.kind === 'insert' ? 1 : step.k;
          const result = k === 1 ? tree.insert(leafAt(record.inserted)) : tree.insertMany(leavesAt(record.inserted, k));
          record.inserted += k;
          const end = record.inserted;
          record.ends[result.token.seq] = end;
          result.token.wait().then(
            () => {
              if (end > record.ackedByTokens) record.ackedByTokens = end;
            },
            () => {},
          );
          break;
        }
        case 'flush':
          await tree.flush();
          break;
        case 'flushBackground':
          record.pending.push(tree.flush().catch((err: unknown) => record.errors.push(err)));
          break;
        case 'checkpoint':
          await tree.checkpoint();
          break;
        case 'checkpointBackground':
          record.pending.push(tree.checkpoint().catch((err: unknown) => record.errors.push(err)));
          break;
      }
    } catch (err) {
      record.errors.push(err);
      return; // the machine is gone (or the step failed): stop issuing
    }
  }
}

/** Waits `turns` microtask turns. */
export async function microturns(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}
