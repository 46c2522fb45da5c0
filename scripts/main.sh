#!/usr/bin/env bash
# Installs everything (pnpm, dependencies, native addons), builds the packages and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/pnpm.sh exec turbo run build --output-logs=errors-only
# The end-to-end demo: a million leaves appended durably, checkpoint, reopen, prove and verify.
node packages/rotortree/examples/demo.mjs
