#!/usr/bin/env bash
# Installs the pinned pnpm into .tools/ (no global install) and the workspace's dependencies.
# Idempotent: a second run reuses both. Needs only Node 20 + npm and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM_VERSION=10.34.8
# node-gyp must build native addons (fs-ext, ours) against the installed Node headers,
# never download them (the registry is the only reachable host).
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
export TURBO_TELEMETRY_DISABLED=1
if [ ! -x .tools/node_modules/.bin/pnpm ] || [ "$(.tools/node_modules/.bin/pnpm --version)" != "$PNPM_VERSION" ]; then
  npm install --silent --no-save --no-package-lock --prefix .tools "pnpm@$PNPM_VERSION" >/dev/null
fi
.tools/node_modules/.bin/pnpm install --frozen-lockfile --reporter=append-only
