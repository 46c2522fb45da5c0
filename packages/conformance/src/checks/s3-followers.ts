/**
 * Followers of a writer whose checkpoints are in S3, on trees large enough that checkpoints hold
 * segments: a seeded interleaving of batches, flushes, checkpoints (after which the writer
 * truncates its log, so a follower behind it must load the checkpoint from S3) and the follower's
 * reads. At every read the follower shows a state the writer made durable (never ahead of it), at
 * a record boundary, with the reference root of that size; after a flush and a read it has caught
 * up.
 * @module
 */
import { chunkNodesFor } from '@rotortree/core';
import { createPrng } from '@rotortree/core/fs';
import { closeQuietly } from '../engine.js';
import { simulatedMachine } from '../machine.js';
import { recordStats } from '../stats.js';
import type { CheckOptions, Violation } from '../types.js';
import { ViolationLog } from '../violations.js';
import type { CaseInfo } from '../violations.js';
import { leavesAt, ReferenceRoots } from '../workload.js';
import type { S3Fixture } from './s3-fixture.js';
import type { S3Params } from './s3-support.js';
import { expectReferenceRoot, oneChunkSegments, openS3Follower, openS3Writer } from './s3-support.js';
import { paramsOf } from './support.js';

/** Steps of one run. */
const STEPS = 30;

/** The group: two seeded runs. */
export async function checkS3Followers(fx: S3Fixture, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('s3Followers');
  const params = paramsOf(options);
  const reference = new ReferenceRoots(fx.backend.referenceHasher ?? fx.backend.hasher, params.n);
  for (let r = 0; r < 2; r++) {
    const seed = (options.seed ?? 1) + r;
    const at: CaseInfo = { backend: fx.backend.name, seed };
    await log.guard('followers', at, 'the follower run', () => followerRun(fx, params, reference, seed, log, at));
    recordStats({ crashStates: 1 });
  }
  return log.list;
}

async function followerRun(fx: S3Fixture, params: S3Params, reference: ReferenceRoots, seed: number, log: ViolationLog, at: CaseInfo): Promise<void> {
  const rnd = createPrng(seed);
  const machine = simulatedMachine(seed);
  const writer = (await openS3Writer(fx, machine, params, { segmentBytes: oneChunkSegments(params.n) })).tree;
  /** sizes[seq]: the tree's size after record seq. */
  const sizes = [0];
  const batch = (): void => {
    const k = 1 + rnd.below(Math.floor(chunkNodesFor(params.n) / 2));
    writer.insertMany(leavesAt(writer.size, k));
    sizes.push(writer.size);
  };
  batch();
  await writer.flush();
  await writer.checkpoint();
  const follower = await openS3Follower(fx, machine, params, writer.treeId);
  try {
    for (let step = 0; step < STEPS; step++) {
      const op = rnd.below(10);
      if (op < 4) batch();
      else if (op < 6) await writer.flush();
      else if (op < 8) {
        await writer.flush();
        await writer.checkpoint();
      } else {
        await follower.catchUp();
        const durable = sizes[writer.durableSeq] ?? -1;
        if (follower.size > durable) log.add('followers', at, `the follower shows ${follower.size} leaves, the writer made only ${durable} durable`);
        if (!sizes.includes(follower.size)) log.add('followers', at, `the follower shows ${follower.size} leaves: not a record boundary`);
        expectReferenceRoot(log, 'followers', at, 'the follower', follower.size, follower.root, reference);
      }
    }
    await writer.flush();
    await follower.catchUp();
    const durable = sizes[writer.durableSeq]!;
    if (follower.size !== durable) log.add('followers', at, `after a flush and a read the follower shows ${follower.size} leaves, the writer has ${durable} durable`);
    expectReferenceRoot(log, 'followers', at, 'the follower after a flush and a read', follower.size, follower.root, reference);
  } finally {
    await follower.close();
    await closeQuietly(writer);
  }
}
