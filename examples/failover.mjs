// rotortree failover demo: a writer and two read followers in separate processes, on PostgreSQL
// (primary + synchronous standby: the WAL, the marks, the checkpoint pointer) and Ceph RGW (the
// checkpoints). The writer is SIGKILLed mid-stream; a standby writer takes the tree over (its epoch
// fences the dead one's WAL and checkpoints); the followers keep serving and catch up. At the end:
// every acknowledged leaf is there, in order, and every root anyone served equals a from-scratch
// recomputation at that size.
//
//   bash scripts/pnpm.sh --filter @rotortree/examples failover     (or: node examples/failover.mjs)
//
// Uses the servers named by ROTORTREE_PG_PRIMARY / ROTORTREE_PG_STANDBY and ROTORTREE_S3_* when set;
// otherwise starts the repo's own (scripts/services/postgres.sh, ceph-rgw.sh: root on Debian) and
// stops them at the end. FAILOVER_LEAVES (default 150000) and FAILOVER_RATE (leaves/s the writers
// aim at, default 30000) size the run. Needs the workspace built (`bash scripts/main.sh` or turbo).
import { execFileSync, fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { LeanIMT, RotorTree, toHex, verifyProof } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { s3CheckpointStore } from '@rotortree/checkpoint-s3';
import { postgresCheckpointPointer, postgresWal, postgresWalReader } from '@rotortree/wal-postgres';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');
const N = 4;
const MAX_DEPTH = 32;
/** How often the slow follower reads (writers checkpoint about every 300 batches, ~1 s at the default rate). */
const SLOW_MS = 2_500;
const now = () => performance.timeOrigin + performance.now();

/** Leaf i: the same bytes whichever writer inserts it, so that order and content can be checked. */
function leavesFrom(first, count) {
  const out = new Uint8Array(count * 32);
  const view = new DataView(out.buffer);
  for (let k = 0; k < count; k++) {
    const i = first + k;
    view.setUint32(k * 32, i, true);
    view.setUint32(k * 32 + 4, 0xfa11_0e5, true);
    for (let j = 8; j < 32; j++) out[k * 32 + j] = (i * 131 + j * 7) & 0xff;
  }
  return out;
}

// --- the two ways users open the tree ---------------------------------------------------------

/** The writer: WAL on the primary, checkpoints in S3, published through the WAL's fenced pointer. */
function openWriter(cfg, takeover) {
  const wal = postgresWal({ connection: cfg.primary, tree: cfg.tree, takeover, synchronousCommit: 'remote_apply' });
  return RotorTree.open({
    hasher: blake3(),
    n: N,
    maxDepth: MAX_DEPTH,
    wal,
    checkpoints: s3CheckpointStore({ ...cfg.s3, bucket: cfg.bucket, prefix: cfg.tree, pointer: postgresCheckpointPointer({ wal }) }),
    flushPolicy: { kind: 'interval', ms: 5 },
    checkpointPolicy: { kind: 'everyNEntries', n: 300 },
  });
}

/** A follower: the log on the standby, the checkpoints read-only from S3 (the pointer on the standby). */
function openFollower(cfg, pollMs = 2) {
  return RotorTree.follow({
    hasher: blake3(),
    n: N,
    maxDepth: MAX_DEPTH,
    wal: postgresWalReader({ connection: cfg.standby, tree: cfg.tree }),
    checkpoints: s3CheckpointStore({
      ...cfg.s3,
      bucket: cfg.bucket,
      prefix: cfg.tree,
      readOnly: true,
      pointer: postgresCheckpointPointer({ connection: cfg.standby, tree: cfg.tree }),
    }),
    pollMs,
  });
}

// --- child processes ----------------------------------------------------------------------------

async function writerProcess(cfg, takeover) {
  const t0 = now();
  const tree = await openWriter(cfg, takeover);
  process.send({ kind: 'opened', size: tree.size, seq: tree.seq, checkpointSeq: tree.checkpointSeq, ms: now() - t0 });
  let size = tree.size;
  if (size === 0) {
    // A new tree: its first leaves, then the stream once the followers are up ('go').
    const go = new Promise((resolve) => process.once('message', resolve));
    await tree.insertMany(leavesFrom(0, cfg.batch)).token.wait();
    size = cfg.batch;
    process.send({ kind: 'ack', size, t: now() });
    await go;
  }
  const start = size;
  const startedAt = now();
  const pending = new Set();
  while (size < cfg.leaves) {
    const due = start + Math.floor(((now() - startedAt) / 1000) * cfg.rate);
    if (size >= due || pending.size > 256) {
      await sleep(1);
      continue;
    }
    const count = Math.min(cfg.batch, cfg.leaves - size, Math.max(1, due - size));
    const { token } = tree.insertMany(leavesFrom(size, count));
    size += count;
    const acked = size;
    const wait = token.wait().then(
      () => {
        pending.delete(wait);
        process.send({ kind: 'ack', size: acked, t: now() });
      },
      (err) => {
        process.send({ kind: 'error', message: String(err?.message ?? err) });
        process.exit(2);
      },
    );
    pending.add(wait);
  }
  await Promise.all(pending);
  const root = toHex(tree.root);
  await tree.close();
  process.send({ kind: 'done', size, root, checkpointError: tree.lastCheckpointError === undefined ? undefined : String(tree.lastCheckpointError) });
  process.disconnect();
}

/** F1 polls every 2 ms; F2 reads only every `slowMs`, so that checkpoints truncate the log past it and it reloads them. */
async function followerProcess(cfg, slowMs) {
  const follower = await openFollower(cfg, slowMs === undefined ? 2 : 0);
  const slow = slowMs === undefined ? undefined : setInterval(() => follower.catchUp().catch(() => undefined), slowMs);
  const hasher = follower.hasher;
  let last = -1;
  let stop = false;
  process.on('message', (m) => {
    if (m === 'stop') stop = true;
  });
  let proofs = 0;
  let readErrors = 0;
  let corruptions = 0;
  let lastError;
  while (!stop) {
    const size = follower.size;
    if (follower.lastError !== undefined && follower.lastError !== lastError) {
      readErrors++;
      lastError = follower.lastError;
      if (lastError?.code === 'CORRUPTION') corruptions++;
      process.send({ kind: 'readError', code: lastError?.code, message: String(lastError?.message ?? lastError), t: now() });
    }
    if (size !== last) {
      const t = now();
      const snap = follower.snapshot();
      // Serve a proof of a leaf of this state and check it against this state's root.
      const i = Math.floor(Math.random() * snap.size);
      const ok = snap.size === 0 || verifyProof(hasher, snap.generateProof(i), { root: snap.root, size: snap.size, n: N });
      proofs++;
      process.send({ kind: 'state', size: snap.size, seq: follower.seq, root: snap.size === 0 ? '' : toHex(snap.root), t, proof: ok, checkpointSeq: follower.checkpointSeq });
      last = size;
    }
    await sleep(1);
  }
  clearInterval(slow);
  await follower.close();
  process.send({ kind: 'closed', proofs, readErrors, corruptions });
  process.disconnect();
}

// --- the orchestrator ---------------------------------------------------------------------------

/** The servers' variables: from the environment, or from the repo's scripts (started here if needed). */
function servers(started) {
  const need = ['ROTORTREE_PG_PRIMARY', 'ROTORTREE_PG_STANDBY', 'ROTORTREE_S3_ENDPOINT'];
  if (need.every((k) => process.env[k])) return process.env;
  const env = { ...process.env };
  for (const [script, file] of [
    ['postgres.sh', 'postgres.env'],
    ['ceph-rgw.sh', 'ceph-rgw.env'],
  ]) {
    const path = join(REPO, 'scripts/services', script);
    let up = true;
    try {
      execFileSync('bash', [path, 'status'], { cwd: REPO, stdio: 'ignore' });
    } catch {
      up = false;
    }
    if (!up) {
      console.log(`starting ${script} (the repo's local servers; stopped again at the end)`);
      execFileSync('bash', [path, 'start'], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
      started.push(path);
    }
    const envFile = join(REPO, '.services', file);
    if (!existsSync(envFile)) throw new Error(`${envFile} is missing after ${script} start`);
    for (const line of readFileSync(envFile, 'utf8').split('\n')) {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (m) env[m[1]] = m[2];
    }
  }
  return env;
}

function child(role, cfg, onMessage) {
  const proc = fork(fileURLToPath(import.meta.url), [role], { env: { ...process.env, FAILOVER_CONFIG: JSON.stringify(cfg) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  proc.on('message', onMessage);
  return { proc, exited };
}

function waitFor(predicate, what, ms) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    const tick = () => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

const quantile = (sorted, q) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');

async function main() {
  const started = [];
  const problems = [];
  const check = (ok, what) => {
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) problems.push(what);
  };
  const children = [];
  try {
    const env = servers(started);
    const leaves = Number(process.env.FAILOVER_LEAVES ?? 150_000);
    const rate = Number(process.env.FAILOVER_RATE ?? 30_000);
    const tree = `failover-${Date.now().toString(36)}-${process.pid}`;
    const cfg = {
      primary: env.ROTORTREE_PG_PRIMARY,
      standby: env.ROTORTREE_PG_STANDBY,
      s3: {
        endpoint: env.ROTORTREE_S3_ENDPOINT,
        region: env.ROTORTREE_S3_REGION ?? 'us-east-1',
        credentials: { accessKeyId: env.ROTORTREE_S3_ACCESS_KEY, secretAccessKey: env.ROTORTREE_S3_SECRET_KEY },
      },
      bucket: 'rotortree-failover',
      tree,
      leaves,
      rate,
      batch: 100,
    };
    console.log(`rotortree failover demo: tree "${tree}", ${leaves.toLocaleString('en-US')} leaves at ~${rate.toLocaleString('en-US')} leaves/s`);
    console.log(`  WAL, marks, pointer: PostgreSQL ${cfg.primary.replace(/\/\/[^@]*@/, '//')} (followers read the standby ${cfg.standby.replace(/\/\/[^@]*@/, '//')})`);
    console.log(`  checkpoints: S3 ${cfg.s3.endpoint} bucket ${cfg.bucket}`);
    const s3 = new S3Client({ endpoint: cfg.s3.endpoint, region: cfg.s3.region, credentials: cfg.s3.credentials, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: cfg.bucket })).catch((err) => {
      if (err?.name !== 'BucketAlreadyOwnedByYou' && err?.name !== 'BucketAlreadyExists') throw err;
    });
    s3.destroy();

    const acks = []; // { size, t, writer }
    const states = [[], []]; // per follower: { size, root, t, proof, seq, checkpointSeq }
    const closed = [];
    const opened = {};
    const done = {};
    const errors = [];
    const onWriter = (name) => (m) => {
      if (m.kind === 'ack') acks.push({ ...m, writer: name });
      else if (m.kind === 'opened') opened[name] = m;
      else if (m.kind === 'done') done[name] = m;
      else if (m.kind === 'error') errors.push(`${name}: ${m.message}`);
    };

    // 1. Writer A creates the tree and streams leaves.
    let t = now();
    const a = child('writer', cfg, onWriter('A'));
    children.push(a);
    await waitFor(() => opened.A !== undefined || errors.length > 0, 'writer A to open', 60_000);
    if (errors.length > 0) throw new Error(errors.join('; '));
    console.log(`1. writer A (pid ${a.proc.pid}) opened the tree in ${fmt(opened.A.ms)} ms and streams leaves`);
    await waitFor(() => acks.length > 0, 'the first acknowledgement', 30_000);

    // 2. Two followers, each its own process.
    const followers = [0, 1].map((f) => {
      const c = child(f === 0 ? 'follower' : 'follower-slow', cfg, (m) => {
        if (m.kind === 'state') states[f].push(m);
        else if (m.kind === 'closed') closed[f] = m;
        else if (m.kind === 'readError') console.log(`   F${f + 1}: a read failed (it keeps serving its last state and retries): ${m.code ?? ''} ${m.message}`);
      });
      children.push(c);
      return c;
    });
    await waitFor(() => states[0].length > 0 && states[1].length > 0, 'the followers to serve', 60_000);
    console.log(`2. followers F1 (pid ${followers[0].proc.pid}, reads every 2 ms) and F2 (pid ${followers[1].proc.pid}, every ${SLOW_MS} ms) serve roots and proofs from the standby and S3`);
    a.proc.send('go');

    // 3. SIGKILL writer A mid-stream.
    const killAt = Math.floor(leaves * 0.4);
    await waitFor(() => (acks.at(-1)?.size ?? 0) >= killAt, `writer A to reach ${killAt} leaves`, 120_000);
    a.proc.kill('SIGKILL');
    const killedAt = now();
    await a.exited;
    const ackedA = acks.reduce((m, x) => Math.max(m, x.size), 0);
    console.log(`3. SIGKILL writer A: ${ackedA.toLocaleString('en-US')} leaves acknowledged to it (more were in flight)`);

    // 4. Writer B takes over (fencing A's epoch) and finishes the stream.
    t = now();
    const b = child('writer-takeover', cfg, onWriter('B'));
    children.push(b);
    await waitFor(() => opened.B !== undefined || errors.length > 0, 'writer B to open', 60_000);
    if (errors.length > 0) throw new Error(errors.join('; '));
    console.log(
      `4. writer B took the tree over ${fmt(now() - killedAt)} ms after the kill (open ${fmt(opened.B.ms)} ms): ` +
        `recovered ${opened.B.size.toLocaleString('en-US')} leaves (checkpoint at seq ${opened.B.checkpointSeq} + the log), goes on`,
    );
    await waitFor(() => done.B !== undefined || errors.length > 0, 'writer B to finish', 300_000);
    if (errors.length > 0) throw new Error(errors.join('; '));
    await b.exited;
    console.log(`   writer B wrote up to ${done.B.size.toLocaleString('en-US')} leaves and closed (${fmt(now() - t)} ms)`);

    // 5. The followers catch up, then stop.
    t = now();
    await waitFor(() => states.every((s) => s.at(-1)?.size === leaves), 'the followers to catch up', 60_000);
    console.log(`5. both followers caught up to ${leaves.toLocaleString('en-US')} leaves (${fmt(now() - t)} ms after B closed)`);
    for (const f of followers) f.proc.send('stop');
    await Promise.all(followers.map((f) => f.exited));

    // 6. Check everything against a from-scratch recomputation.
    console.log('6. checks');
    const hasher = blake3();
    const reference = new LeanIMT({ hasher, n: N, maxDepth: MAX_DEPTH });
    reference.insertMany(leavesFrom(0, leaves));
    check(opened.B.size >= ackedA, `every leaf acknowledged to A is in B's recovered tree (${opened.B.size} >= ${ackedA})`);
    check(done.B.root === toHex(reference.root), 'the final root equals the root recomputed from scratch');
    const fresh = await openFollower(cfg);
    const snap = fresh.snapshot();
    let inOrder = snap.size === leaves;
    const expected = leavesFrom(0, leaves);
    const got = new Uint8Array(32);
    for (let i = 0; inOrder && i < leaves; i++) {
      snap.readNode(0, i, got, 0);
      for (let j = 0; j < 32; j++) if (got[j] !== expected[i * 32 + j]) inOrder = false;
    }
    await fresh.close();
    check(inOrder, `a fresh follower (standby + S3) holds exactly leaves 0..${leaves - 1}, in order`);
    for (let f = 0; f < 2; f++) {
      const s = states[f];
      let rootsOk = true;
      let grows = true;
      for (let k = 0; k < s.length; k++) {
        if (s[k].size > 0 && s[k].root !== toHex(reference.rootAt(s[k].size))) rootsOk = false;
        if (k > 0 && s[k].size < s[k - 1].size) grows = false;
      }
      check(rootsOk && s.every((x) => x.proof), `F${f + 1}: all ${s.length} states it served have the from-scratch root at their size, and their proofs verify`);
      check(grows, `F${f + 1}: its size never went back`);
      // A read may fail for a moment (a lost connection): the follower keeps serving and retries. Damage may not.
      check(closed[f] !== undefined && closed[f].corruptions === 0, `F${f + 1}: no read found damage (${closed[f]?.readErrors ?? '?'} failed reads in all)`);
    }

    // 7. Numbers.
    console.log('7. numbers');
    for (let f = 0; f < 2; f++) {
      const s = states[f];
      const lags = [];
      let k = 0;
      for (const ack of acks.toSorted((x, y) => x.size - y.size)) {
        while (k < s.length && s[k].size < ack.size) k++;
        if (k < s.length) lags.push(Math.max(0, s[k].t - ack.t));
      }
      lags.sort((x, y) => x - y);
      const reloads = new Set(s.map((x) => x.checkpointSeq)).size - 1;
      console.log(
        `  F${f + 1}${f === 1 ? ' (slow on purpose)' : ''}: lag behind the writers' acknowledged flushes over ${lags.length} acks: median ${fmt(quantile(lags, 0.5))} ms, ` +
          `p90 ${fmt(quantile(lags, 0.9))} ms, max ${fmt(lags.at(-1))} ms; ${s.length} states served; checkpoint reloads: ${reloads}`,
      );
    }
    console.log(`  the tree's root: ${done.B.root}`);
    console.log(problems.length === 0 ? 'failover demo: ok' : `failover demo: FAILED (${problems.length}): ${problems.join('; ')}`);
    return problems.length === 0 ? 0 : 1;
  } catch (err) {
    console.error(`failover demo: FAILED: ${err?.stack ?? err}`);
    return 1;
  } finally {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    for (const script of started.reverse()) {
      try {
        execFileSync('bash', [script, 'stop'], { cwd: REPO, stdio: 'ignore' });
      } catch {
        console.error(`could not stop ${script}`);
      }
    }
  }
}

// The SDK warns on Node 20 that its releases after January 2027 need Node 22: said once in the README, not on every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const role = process.argv[2];
const cfg = process.env.FAILOVER_CONFIG === undefined ? undefined : JSON.parse(process.env.FAILOVER_CONFIG);
if (role === 'writer') await writerProcess(cfg, false);
else if (role === 'writer-takeover') await writerProcess(cfg, true);
else if (role === 'follower') await followerProcess(cfg);
else if (role === 'follower-slow') await followerProcess(cfg, SLOW_MS);
else process.exitCode = await main();
