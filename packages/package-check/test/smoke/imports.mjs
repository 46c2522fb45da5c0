// Usage: node imports.mjs <specifier>...
// Imports each specifier by name (as an installed user would) and reports its export names, and
// whether `rotortree` re-exports the very same @rotortree/core (one copy installed, not two).
import { report } from './leaves.mjs';

const exportsOf = {};
for (const specifier of process.argv.slice(2)) {
  exportsOf[specifier] = Object.keys(await import(specifier)).sort();
}
const core = await import('@rotortree/core');
const rotortree = await import('rotortree');
report({
  exportsOf,
  oneCore: rotortree.LeanIMT === core.LeanIMT && rotortree.RotorTreeError === core.RotorTreeError,
});
