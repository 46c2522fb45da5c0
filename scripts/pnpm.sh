#!/usr/bin/env bash
# Runs the repo-local pnpm (installed by scripts/bootstrap.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
export TURBO_TELEMETRY_DISABLED=1
# turbo looks up the package manager on PATH.
export PATH="$root/.tools/node_modules/.bin:$PATH"
exec "$root/.tools/node_modules/.bin/pnpm" "$@"
