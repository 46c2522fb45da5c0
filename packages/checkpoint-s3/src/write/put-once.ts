/**
 * Write-once objects: a create-only PUT (`If-None-Match: *`) whose 412 is success when the stored
 * bytes are ours (a retried PUT whose first reply was lost, or a checkpoint written again after an
 * unknown outcome: segment and manifest bytes are a function of their key), and `CORRUPTION` naming
 * the key when they are not (nothing else writes keys of this writer's epoch).
 * @module
 */
import { RotorTreeError } from '@rotortree/core';
import { corruption } from '../errors.js';
import type { Body, ObjectStore } from '../s3/objects.js';
import { bodyEquals, bodyLength } from '../s3/objects.js';

export async function putOnce(objects: ObjectStore, key: string, body: Body): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if ((await objects.create(key, body)) === 'created') return;
    const stored = await objects.get(key);
    // Gone between the 412 and the read (a garbage collection): create it again.
    if (stored === undefined) continue;
    if (bodyEquals(stored.bytes, body)) return;
    throw corruption(`${objects.location}/${key}`, `a write-once object holds ${stored.bytes.length} other bytes than the ${bodyLength(body)} this writer writes there`);
  }
  throw new RotorTreeError('IO', `${objects.location}/${key}: the object kept disappearing while it was written`, { file: `${objects.location}/${key}` });
}
