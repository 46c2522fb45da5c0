/**
 * The standalone pointer: an object in the bucket (`<p>/pointer`), replaced only by a conditional
 * PUT naming the version this writer wrote last (`If-Match` with its ETag), and an epoch taken at
 * claim by the conditional create of `<p>/epoch/<epoch>` (`If-None-Match: *`).
 *
 * Claim: read the pointer (version V), create the next free epoch object, then write the pointer
 * again (same checkpoint, new epoch) with `If-Match: V`. From then on this writer publishes only with
 * `If-Match` on the ETag of its own last write. Any later claim writes a version of another epoch, so
 * an earlier writer's next publish gets 412, reads the pointer back, finds another epoch: `FENCED`.
 *
 * What this gives: a publish lands only if no other writer claimed the pointer since this writer's
 * last write to it (the server's conditional PUT is the compare-and-set); epochs are unique, so a
 * stale writer's objects never share a key with the live one's. What it does not give: mutual
 * exclusion while both run (the last to claim wins at once: there is no lease to wait out, and a live
 * writer learns it was replaced only at its next publish, `FENCED`); protection of anything but the
 * checkpoint pointer (the WAL keeps its own lock); correctness on a server whose conditional PUTs
 * are not atomic (AWS S3 and Ceph RGW are; the test suite checks RGW's).
 * @module
 */
import { RotorTreeError, bytesEqual } from '@rotortree/core';
import type { TreeIdentity } from '@rotortree/core/backend';
import { corruption, fenced } from '../errors.js';
import { EPOCHS_DIR, epochKey, epochOfKey, pointerKey, treeKeys } from '../format/keys.js';
import type { TreeKeys } from '../format/keys.js';
import { decodePointer, encodePointer } from '../format/pointer-format.js';
import type { PointerRecord } from '../format/pointer-format.js';
import type { ObjectStore, StoredObject } from '../s3/objects.js';
import type { CheckpointPointer, PointerClaim, PointerTarget } from './pointer.js';

/** How often a claim starts over because another opener changed the pointer (or took the epoch) first. */
const CLAIM_ATTEMPTS = 8;

/** The standalone {@link CheckpointPointer} of the trees under `prefix` in `objects`' bucket. */
export function bucketPointer(objects: ObjectStore, prefix: string): CheckpointPointer {
  return new BucketPointer(objects, prefix);
}

class BucketPointer implements CheckpointPointer {
  location: string;
  #keys: TreeKeys | undefined;
  #tree: TreeIdentity | undefined;
  #epoch: number | undefined;
  /** The ETag of this writer's last write of the pointer. */
  #etag: string | undefined;

  constructor(
    private readonly objects: ObjectStore,
    private readonly prefix: string,
  ) {
    this.location = `${objects.location}/${prefix}`;
  }

  async claim(tree: TreeIdentity): Promise<PointerClaim> {
    const key = this.#bind(tree);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const found = await this.#get(key);
      if (this.#epoch === undefined || (found !== undefined && found.record.epoch >= this.#epoch)) {
        this.#epoch = await this.#takeEpoch(found?.record.epoch ?? 0);
      }
      const mine = encodePointer({ treeId: tree.treeId, epoch: this.#epoch, target: found?.record.target });
      const etag = (await this.objects.replace(key, mine, found?.etag)) ?? (await this.#landed(key, mine));
      if (etag !== undefined) {
        this.#etag = etag;
        return { epoch: this.#epoch, current: found?.record.target };
      }
    }
    throw new RotorTreeError('FILE_LOCKED', `${this.#where(key)}: the pointer kept changing while this writer claimed it (another writer is opening the tree)`, {
      file: this.#where(key),
    });
  }

  async read(tree: TreeIdentity): Promise<PointerTarget | undefined> {
    const key = this.#bind(tree);
    const found = await this.#get(key);
    // Only this writer writes its epoch: a version of it is this writer's (a publish whose reply was lost).
    if (found !== undefined && found.record.epoch === this.#epoch) this.#etag = found.etag;
    return found?.record.target;
  }

  async publish(next: PointerTarget): Promise<void> {
    const tree = this.#tree;
    const epoch = this.#epoch;
    if (tree === undefined || epoch === undefined || this.#keys === undefined) throw new TypeError('publish needs a claimed pointer');
    const key = pointerKey(this.#keys);
    const mine = encodePointer({ treeId: tree.treeId, epoch, target: next });
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const etag = await this.objects.replace(key, mine, this.#etag);
      if (etag !== undefined) {
        this.#etag = etag;
        return;
      }
      // 412: our own earlier write landed (equal bytes, or our epoch: a publish whose reply was lost), or another writer claimed.
      const found = await this.#get(key);
      if (found !== undefined && bytesEqual(found.bytes, mine)) {
        this.#etag = found.etag;
        return;
      }
      if (found === undefined || found.record.epoch !== epoch) {
        throw fenced(this.#where(key), `epoch ${epoch} may no longer publish: the pointer is held by epoch ${found?.record.epoch ?? '(none: it was removed)'}`);
      }
      this.#etag = found.etag;
    }
    throw fenced(this.#where(key), `the pointer kept changing under epoch ${epoch}`);
  }

  async close(): Promise<void> {
    this.#etag = undefined;
  }

  #bind(tree: TreeIdentity): string {
    if (this.#tree !== undefined && this.#tree.treeId !== tree.treeId) throw new TypeError('a pointer serves one tree');
    this.#tree = tree;
    this.#keys ??= treeKeys(this.prefix, tree.treeId);
    this.location = this.#where(pointerKey(this.#keys));
    return pointerKey(this.#keys);
  }

  #where(key: string): string {
    return `${this.objects.location}/${key}`;
  }

  async #get(key: string): Promise<(StoredObject & { readonly record: PointerRecord }) | undefined> {
    const got = await this.objects.get(key);
    if (got === undefined) return undefined;
    const record = decodePointer(got.bytes, this.#where(key));
    if (record.treeId !== this.#tree!.treeId) throw corruption(this.#where(key), `pointer of another tree (${record.treeId}); this tree is ${this.#tree!.treeId}`, 12);
    return { ...got, record };
  }

  /** The ETag of `mine` if it is what `key` holds now (a write whose reply was lost), else `undefined`. */
  async #landed(key: string, mine: Uint8Array): Promise<string | undefined> {
    const got = await this.objects.get(key);
    return got !== undefined && bytesEqual(got.bytes, mine) ? got.etag : undefined;
  }

  /** Creates the first free epoch object above every listed one and `atLeast`; returns its epoch. */
  async #takeEpoch(atLeast: number): Promise<number> {
    const keys = this.#keys!;
    const nonce = globalThis.crypto.randomUUID();
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      let top = atLeast;
      for (const o of await this.objects.list(`${keys.root}${EPOCHS_DIR}`)) top = Math.max(top, epochOfKey(keys, o.key) ?? 0);
      const epoch = top + 1;
      const body = new TextEncoder().encode(`rotortree checkpoint writer epoch ${epoch} of tree ${this.#tree!.treeId}, claim ${nonce}, pid ${process.pid}\n`);
      const key = epochKey(keys, epoch);
      if ((await this.objects.create(key, body)) === 'created' || (await this.#landed(key, body)) !== undefined) return epoch;
    }
    throw new RotorTreeError('FILE_LOCKED', `${this.location}: other writers kept taking the next epoch`, { file: this.location });
  }
}
