// Usage: node scripts/test-summary.mjs [turbo exit status]
// Sums the vitest JSON reports of every workspace package that has a `test` script and prints
// `N passed, N failed`. A package whose report is missing (its build or run crashed) counts as a failure.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
// The workspace's packages: packages/* and examples (pnpm-workspace.yaml).
const workspaceDirs = [...readdirSync(join(root, 'packages')).map((d) => join('packages', d)), 'examples'];
for (const dir of workspaceDirs) {
  const pkgFile = join(root, dir, 'package.json');
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  if (!pkg.scripts?.test) continue;
  const reportFile = join(root, dir, '.vitest-report.json');
  if (!existsSync(reportFile)) {
    console.log(`${pkg.name}: no test report (the package failed to build or its test run crashed)`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  // A file that failed with no failed test of its own (it did not load, or an error escaped its
  // tests: an unhandled rejection, a failing hook) counts as one failure.
  const brokenFiles = (report.testResults ?? []).filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')).length;
  // Vitest marks the run unsuccessful for errors outside any file too.
  const outsideErrors = report.success === false && report.numFailedTests + brokenFiles === 0 ? 1 : 0;
  if (outsideErrors) console.log(`${pkg.name}: the run failed outside any test (an unhandled error: see its log above)`);
  passed += report.numPassedTests;
  failed += report.numFailedTests + brokenFiles + outsideErrors;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(`${pkg.name}: ${report.numPassedTests} passed, ${report.numFailedTests + brokenFiles + outsideErrors} failed`);
}
// A failed build or typecheck task (turbo's exit status, passed as argv[2]) is a failure too.
const turboStatus = Number(process.argv[2] ?? 0);
if (turboStatus !== 0 && failed === 0) {
  console.log(`turbo exited ${turboStatus}: a build or typecheck task failed (see its log above)`);
  failed += 1;
}
if (passed + failed === 0) {
  console.log('no tests ran');
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 ? 0 : 1);
