// Usage: node durable-tree.mjs <dir> <leaf count>
// rotortree's open(dir) on the default file backends: insert, flush, close, reopen, read the root.
import { open, toHex } from 'rotortree';
import { leaves, report } from './leaves.mjs';

const [dir, countArg] = process.argv.slice(2);
const count = Number(countArg);
const tree = await open(dir);
const { token } = tree.insertMany(leaves(count));
await token.wait();
await tree.flush();
const rootBeforeClose = toHex(tree.root);
await tree.close();

const reopened = await open(dir);
const result = { rootBeforeClose, rootAfterReopen: toHex(reopened.root), sizeAfterReopen: reopened.size, backend: reopened.hasher.backend };
await reopened.close();
report(result);
