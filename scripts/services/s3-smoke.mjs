// Smoke check of the local S3 endpoint (ceph-rgw.sh smoke), with no dependency but Node: creates
// a bucket, PUTs a key, then PUTs it again with `If-None-Match: *`, which must give 412 (the
// write-once rule the checkpoint store relies on), and reads back the first bytes.
// Reads ROTORTREE_S3_ENDPOINT / _ACCESS_KEY / _SECRET_KEY / _REGION. Exit 0 when all holds.
import { createHash, createHmac } from 'node:crypto';

const endpoint = new URL(process.env.ROTORTREE_S3_ENDPOINT ?? '');
const accessKey = process.env.ROTORTREE_S3_ACCESS_KEY ?? '';
const secretKey = process.env.ROTORTREE_S3_SECRET_KEY ?? '';
const region = process.env.ROTORTREE_S3_REGION ?? 'us-east-1';

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();

/** One request signed with AWS Signature V4 (path-style, unsigned query-less paths only). */
async function s3(method, path, body = '', extraHeaders = {}) {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256(body);
  const headers = { host: endpoint.host, 'x-amz-content-sha256': payloadHash, 'x-amz-date': amzDate, ...extraHeaders };
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonical = [method, path, '', ...names.map((h) => `${h}:${lower[h]}`), '', names.join(';'), payloadHash].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretKey}`, day), region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  delete headers.host;
  const response = await fetch(new URL(path, endpoint), { method, headers, body: method === 'GET' ? undefined : body, signal: AbortSignal.timeout(30_000) });
  return { status: response.status, text: await response.text() };
}

const bucket = `smoke-${process.pid}-${Date.now()}`;
const key = `/${bucket}/write-once`;
const expect = (what, got, want) => {
  if (got.status !== want) {
    console.error(`s3 smoke: ${what} gave ${got.status}, expected ${want}: ${got.text.slice(0, 300)}`);
    process.exit(1);
  }
};
expect('create bucket', await s3('PUT', `/${bucket}`), 200);
expect('first PUT with If-None-Match: *', await s3('PUT', key, 'first', { 'if-none-match': '*' }), 200);
expect('second PUT with If-None-Match: *', await s3('PUT', key, 'second', { 'if-none-match': '*' }), 412);
const read = await s3('GET', key);
expect('GET', read, 200);
if (read.text !== 'first') {
  console.error(`s3 smoke: the key holds "${read.text}", expected "first" (a conditional PUT overwrote it)`);
  process.exit(1);
}
expect('DELETE key', await s3('DELETE', key), 204);
expect('DELETE bucket', await s3('DELETE', `/${bucket}`), 204);
console.log(`s3 smoke: ${endpoint.origin}: If-None-Match: * on an existing key gives 412, the key kept its bytes`);
