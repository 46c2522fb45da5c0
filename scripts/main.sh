#!/usr/bin/env bash
# Installs everything (pnpm, dependencies, native addons), builds the packages and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/pnpm.sh exec turbo run build --output-logs=errors-only
bash scripts/pnpm.sh --filter @rotortree/examples start
