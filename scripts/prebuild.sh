#!/usr/bin/env bash
# Builds the prebuilt addons that the packages with a native/addons.json ship in their tarballs:
# prebuilds/linux-x64 and prebuilds/linux-arm64 (N-API; the V8-tied companion of @rotortree/native
# for this Node's ABI), with @rotortree/native's build tool. arm64 uses Debian's cross compilers,
# installed here (with qemu-user-static, which runs the arm64 CRC test) when missing and root.
# Never commits a binary: prebuilds/ is ignored by git and rebuilt before packing and testing.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
command -v aarch64-linux-gnu-g++ >/dev/null || need+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "prebuild: installing ${need[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
status=0
for dir in packages/*/; do
  [ -f "$dir/native/addons.json" ] || continue
  (cd "$dir" && node ../native/tool/cli.mjs prebuild) >/dev/null || status=1
  # The loader prefers an addon compiled on this machine (native/build/Release) to the prebuilds:
  # one compiled from older sources (a checkout that moved on) is compiled again, never left to
  # shadow them.
  local_build=$(find "$dir/native/build/Release" -maxdepth 1 -name '*.node' 2>/dev/null | head -n 1)
  if [ -n "$local_build" ] && [ -n "$(find "$dir/native/src" "$dir/native/addons.json" -newer "$local_build" 2>/dev/null | head -n 1)" ]; then
    echo "prebuild: $dir's local build is older than its sources: compiling it again"
    (cd "$dir" && node ../native/tool/cli.mjs build) >/dev/null || status=1
  fi
done
find packages/*/prebuilds -name '*.node' 2>/dev/null | sort
exit $status
