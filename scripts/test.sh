#!/usr/bin/env bash
# Runs every test of the workspace (after installing what is missing) and ends with the line
# `N passed, N failed` summed over all packages. Exit status 0 only if nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || { echo "0 passed, 1 failed"; exit 1; }
# The prebuilt addons the tarballs ship (package-check installs and checks them).
bash scripts/prebuild.sh || echo "prebuild: some prebuilds failed (package-check names them)"
rm -f packages/*/.vitest-report.json
bash scripts/pnpm.sh exec turbo run typecheck test --continue --concurrency=2 --output-logs=full
status=$?
node scripts/test-summary.mjs "$status"
summary=$?
[ $status -eq 0 ] && [ $summary -eq 0 ]
