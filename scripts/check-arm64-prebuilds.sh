#!/usr/bin/env bash
# Manual check (not run by CI): loads the linux-arm64 prebuilds into a real arm64 Node under
# qemu-user and calls each addon once. Node is Debian's arm64 nodejs (18.x, N-API 9), unpacked with
# its libraries into a scratch root (dpkg gains the arm64 architecture only while downloading).
# Needs root, Debian's package mirrors, qemu-user-static, and `bash scripts/prebuild.sh` run first.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs" "$work/root"
dpkg --add-architecture arm64
apt-get update -qq >/dev/null
(cd "$work/debs" && apt-get download -qq nodejs:arm64 libnode108:arm64 libc6:arm64 libuv1:arm64 libc-ares2:arm64 \
  libnghttp2-14:arm64 libbrotli1:arm64 libssl3:arm64 libicu72:arm64 zlib1g:arm64 libstdc++6:arm64 libgcc-s1:arm64 \
  node-cjs-module-lexer node-acorn node-undici 2>/dev/null) || true
dpkg --remove-architecture arm64
apt-get update -qq >/dev/null
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
cat > "$work/check.js" <<JS
const load = (p) => { const m = { exports: {} }; process.dlopen(m, '$repo/packages/' + p); return m.exports; };
const fs = require('fs');
const n = load('native/prebuilds/linux-arm64/rotortree_native.node');
const bytes = new Uint8Array(100000).map((_, i) => (i * 31) ^ (i >> 7));
fs.writeFileSync('$work/f.bin', bytes);
const mapped = n.mapFile('$work/f.bin', bytes.length);
const dir = () => fs.openSync('$work', fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
const w = load('wal-fs/prebuilds/linux-arm64/rotortree_wal.node');
const b = load('hasher-blake3/prebuilds/linux-arm64/rotortree_blake3.node');
const result = {
  arch: process.arch, node: process.version, crcKernel: n.crcKernel,
  crcCheck: n.crc32c(new TextEncoder().encode('123456789'), 0, 9, 0) === 0xe3069283,
  crcKernelsAgree: n.crc32c(bytes, 0, bytes.length, 0) === n.crc32cTable(bytes, 0, bytes.length, 0),
  mapsTheFile: Buffer.compare(Buffer.from(mapped), Buffer.from(bytes)) === 0 && n.unmap(mapped),
  flockExcludes: n.lockExclusive(dir()) && !n.lockExclusive(dir()),
  walScan: w.scanValid(new Uint8Array(64), 0, 64, 0) === 0,
  blake3Levels: b.levels,
};
console.log(JSON.stringify(result));
process.exit(Object.values(result).every((v) => v !== false) ? 0 : 1);
JS
qemu-aarch64-static -L "$work/root" "$work/root/usr/bin/node" "$work/check.js"
