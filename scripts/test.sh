#!/usr/bin/env bash
# Runs every test of the workspace (after installing what is missing) and ends with the line
# `N passed, N failed` summed over all packages. Exit status 0 only if nothing failed.
# The servers the network tests use (a PostgreSQL primary + synchronous standby, a Ceph RGW) are
# started in the background while the workspace installs and builds, and stopped at the end
# whatever happens; ROTORTREE_SERVICES=off skips them (see scripts/services/for-tests.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=services/for-tests.sh
source scripts/services/for-tests.sh
test_services_start
bash scripts/bootstrap.sh || { echo "0 passed, 1 failed"; exit 1; }
# The prebuilt addons the tarballs ship (package-check installs and checks them).
bash scripts/prebuild.sh || echo "prebuild: some prebuilds failed (package-check names them)"
rm -f packages/*/.vitest-report.json examples/.vitest-report.json
# Built first so that the servers start meanwhile; a failed build shows again in the run below.
bash scripts/pnpm.sh exec turbo run build --output-logs=errors-only >/dev/null 2>&1
test_services_await
bash scripts/pnpm.sh exec turbo run typecheck test --continue --concurrency=2 --output-logs=full
status=$?
node scripts/test-summary.mjs "$status"
summary=$?
[ $status -eq 0 ] && [ $summary -eq 0 ]
