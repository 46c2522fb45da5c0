#!/usr/bin/env bash
# A local S3 endpoint: Ceph RGW (radosgw, beast) over one mon and one bluestore OSD on a sparse
# file, loopback only, ports of its own, state under .services/ceph/. The only S3 server in
# Debian's packages that honours conditional writes (If-None-Match / If-Match).
#
#   ceph-rgw.sh install                  install ceph-mon, ceph-osd, radosgw from Debian if missing
#   ceph-rgw.sh start [mon|osd|rgw]      create what is missing, start what is down, wait until ready
#   ceph-rgw.sh stop [mon|osd|rgw] [--immediate]   SIGTERM (or SIGKILL) by the PID each daemon wrote
#   ceph-rgw.sh status                   what runs where (exit 0 when all three run)
#   ceph-rgw.sh env                      the env file the tests read
#   ceph-rgw.sh smoke                    conditional PUT check: If-None-Match: * on an existing key gives 412
#   ceph-rgw.sh reset                    stop and delete the state
#
# Ports: the first free ones from ROTORTREE_CEPH_MON_PORT (16789) and ROTORTREE_RGW_PORT (17480),
# chosen at creation and kept; state in ROTORTREE_SERVICES_DIR (default .services of the checkout).
# The daemons run as the user rotortree-ceph (created if missing) when we are root, else as us.
# No authentication inside the cluster (loopback only); S3 requests are signed with the fixed
# keys below.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

CEPH_USER=rotortree-ceph
STATE="$SERVICES_DIR/ceph"
CONF="$STATE/ceph.conf"
PORTS_FILE="$STATE/ports"
ENV_FILE="$SERVICES_DIR/ceph-rgw.env"
OSD_ID=0
# Fixed test credentials: the server listens on loopback only.
S3_ACCESS_KEY=rotortree-test-access
S3_SECRET_KEY=rotortree-test-secret-0123456789abcdef
S3_REGION=us-east-1
S3_UID=rotortree
BLOCK_BYTES=$((4 * 1024 * 1024 * 1024))

installed() { command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && command -v radosgw >/dev/null && command -v ceph >/dev/null && command -v monmaptool >/dev/null; }

cmd_install() {
  if installed; then log "ceph (mon, osd, radosgw): installed"; return 0; fi
  local t0
  t0=$(now)
  apt_install ceph-mon ceph-osd radosgw ceph-common
  log "ceph (mon, osd, radosgw): installed in $(since "$t0") s"
}

run_user() { if is_root; then echo "$CEPH_USER"; else id -un; fi; }
as_ceph() { as_user "$(run_user)" "$@"; }
ceph_cli() { as_ceph timeout 30 ceph -c "$CONF" --connect-timeout 10 "$@"; }

ensure_user() {
  is_root || return 0
  id "$CEPH_USER" >/dev/null 2>&1 && return 0
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$CEPH_USER"
}

load_ports() {
  if [ -f "$PORTS_FILE" ]; then
    # shellcheck source=/dev/null
    source "$PORTS_FILE"
  else
    MON_PORT=$(free_port "${ROTORTREE_CEPH_MON_PORT:-16789}")
    RGW_PORT=$(free_port "${ROTORTREE_RGW_PORT:-17480}" "$MON_PORT")
    printf 'MON_PORT=%s\nRGW_PORT=%s\n' "$MON_PORT" "$RGW_PORT" >"$PORTS_FILE"
  fi
}

write_conf() {
  local fsid
  fsid=$(cat "$STATE/fsid")
  cat >"$CONF" <<EOF
# written by scripts/services/ceph-rgw.sh; rewritten at each start
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$MON_PORT]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 1
osd pool default pgp num = 1
osd crush chooseleaf type = 0
run dir = $STATE/run
admin socket = $STATE/run/\$name.asok
pid file = $STATE/run/\$name.pid
log file = $STATE/log/\$name.log
mon data = $STATE/mon/\$name
mon cluster log file = $STATE/log/cluster.log
osd data = $STATE/osd/\$name
osd objectstore = bluestore
# The block file must be outside the OSD's data directory (inside it: ELOOP / EEXIST).
bluestore block path = $STATE/\$name.block
bluestore block create = true
bluestore fsck on mkfs = false
bluestore block size = $BLOCK_BYTES
osd memory target = 1073741824
# One mon, one OSD: no reason to batch map changes for a second (the default), which makes
# each of the pools radosgw creates at its first start cost a second or two.
paxos propose interval = 0.01
paxos min wait = 0.01
# A file on a virtual disk looks rotational: 5 op shards by default, ~0.3 s each to set up.
osd op num shards = 1
[client]
# radosgw asks for a secure mon connection by default, which fails with auth none (-13, retried forever).
ms mon client mode = crc
[client.rgw]
# tcp_nodelay: beast writes a reply's headers and body separately; with Nagle on, a GET on a
# kept-alive connection waits for the client's delayed ACK (~40 ms on Linux) before its body.
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
# No bucket lifecycle rules here: without its thread, radosgw stops in ~1 s instead of ~5-10.
rgw enable lc threads = false
rgw data = $STATE/rgw
EOF
}

pidfile() { case $1 in mon) echo "$STATE/run/mon.a.pid" ;; osd) echo "$STATE/run/osd.$OSD_ID.pid" ;; rgw) echo "$STATE/run/client.rgw.pid" ;; esac; }
running() { local pid; pid=$(head -n 1 "$(pidfile "$1")" 2>/dev/null | tr -dc 0-9); [ -n "$pid" ] && alive "$pid"; }

# Each creation step leaves a marker once it succeeded: an interrupted one is redone.
create_mon() {
  [ -f "$STATE/mon/mon.a/rotortree-created" ] && return 0
  rm -rf "$STATE/mon/mon.a"
  as_ceph ceph-authtool --create-keyring "$STATE/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  as_ceph monmaptool --create --clobber --fsid "$(cat "$STATE/fsid")" --addv a "[v2:127.0.0.1:$MON_PORT]" "$STATE/monmap" >/dev/null
  as_ceph ceph-mon -c "$CONF" --mkfs -i a --monmap "$STATE/monmap" --keyring "$STATE/mon.keyring"
  as_ceph touch "$STATE/mon/mon.a/rotortree-created"
}

start_mon() {
  running mon && return 0
  as_ceph ceph-mon -c "$CONF" -i a 2>>"$STATE/log/mon.a.stderr"
  WAIT_SECONDS=60 wait_until ceph_cli mon stat || die "the mon did not answer (see $STATE/log/mon.a.log)"
}

create_osd() {
  [ -f "$STATE/osd/osd.$OSD_ID/rotortree-created" ] && return 0
  local uuid id
  rm -rf "$STATE/osd/osd.$OSD_ID" "$STATE/osd.$OSD_ID.block"
  # The same uuid on a retry: `osd new` then gives back the same id.
  [ -f "$STATE/osd.uuid" ] || as_ceph sh -c "cat /proc/sys/kernel/random/uuid > '$STATE/osd.uuid'"
  uuid=$(cat "$STATE/osd.uuid")
  id=$(ceph_cli osd new "$uuid")
  [ "$id" = "$OSD_ID" ] || die "ceph osd new gave id $id, expected $OSD_ID (reset the state: ceph-rgw.sh reset)"
  as_ceph mkdir -p "$STATE/osd/osd.$OSD_ID"
  as_ceph ceph-osd -c "$CONF" -i "$OSD_ID" --mkfs --osd-uuid "$uuid" >/dev/null 2>"$STATE/log/osd-mkfs.log" ||
    die "ceph-osd --mkfs failed (see $STATE/log/osd-mkfs.log)"
  as_ceph touch "$STATE/osd/osd.$OSD_ID/rotortree-created"
}

# Booted and active, asked on its admin socket: the mon's "1 up" is stale after a kill -9 (with
# one OSD, no peer reports it down for minutes).
osd_up() { as_ceph timeout 10 ceph --admin-daemon "$STATE/run/osd.$OSD_ID.asok" status 2>/dev/null | grep -q '"state": "active"'; }

start_osd() {
  running osd && return 0
  as_ceph ceph-osd -c "$CONF" -i "$OSD_ID" 2>>"$STATE/log/osd.$OSD_ID.stderr"
  ceph_cli osd crush add "osd.$OSD_ID" 1 root=default >/dev/null 2>&1 || true
  WAIT_SECONDS=120 wait_until osd_up || die "the OSD did not come up (see $STATE/log/osd.$OSD_ID.log)"
}

http_ready() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$RGW_PORT/"; }

start_rgw() {
  running rgw && return 0
  mkdir -p "$STATE/rgw"
  chown "$(run_user)" "$STATE/rgw"
  as_ceph radosgw -c "$CONF" -n client.rgw 2>>"$STATE/log/client.rgw.stderr"
  WAIT_SECONDS=120 wait_until http_ready || die "radosgw did not answer on 127.0.0.1:$RGW_PORT (see $STATE/log/client.rgw.log)"
}

ensure_s3_user() {
  as_ceph radosgw-admin -c "$CONF" user info --uid="$S3_UID" >/dev/null 2>&1 && return 0
  as_ceph radosgw-admin -c "$CONF" user create --uid="$S3_UID" --display-name="rotortree tests" \
    --access-key="$S3_ACCESS_KEY" --secret="$S3_SECRET_KEY" >/dev/null
}

cmd_start() {
  local only=${1:-} t0
  t0=$(now)
  installed || cmd_install
  ensure_user
  mkdir -p "$STATE/run" "$STATE/log" "$STATE/mon" "$STATE/osd"
  [ -f "$STATE/fsid" ] || cat /proc/sys/kernel/random/uuid >"$STATE/fsid"
  load_ports
  write_conf
  chown -R "$(run_user)" "$STATE"
  if [ -z "$only" ] || [ "$only" = mon ]; then
    create_mon
    start_mon
    log "ceph mon: 127.0.0.1:$MON_PORT (msgr2) ready at $(since "$t0") s"
  fi
  if [ -z "$only" ] || [ "$only" = osd ]; then
    create_osd
    start_osd
    log "ceph osd.$OSD_ID: up at $(since "$t0") s"
  fi
  if [ -z "$only" ] || [ "$only" = rgw ]; then
    start_rgw
    ensure_s3_user
    log "ceph rgw: http://127.0.0.1:$RGW_PORT ready at $(since "$t0") s"
  fi
  write_env
}

write_env() {
  write_env_file "$ENV_FILE" <<EOF
ROTORTREE_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
ROTORTREE_S3_ACCESS_KEY=$S3_ACCESS_KEY
ROTORTREE_S3_SECRET_KEY=$S3_SECRET_KEY
ROTORTREE_S3_REGION=$S3_REGION
ROTORTREE_CEPH_RUN_DIR=$STATE/run
ROTORTREE_CEPH_SCRIPT=$(cd "$(dirname "$0")" && pwd)/ceph-rgw.sh
ROTORTREE_CEPH_SERVICES_DIR=$SERVICES_DIR
EOF
}

cmd_stop() {
  local only= signal=TERM arg daemon
  for arg in "$@"; do
    case $arg in
      --immediate) signal=KILL ;;
      mon | osd | rgw) only=$arg ;;
      *) die "stop: unknown argument $arg" ;;
    esac
  done
  [ -d "$STATE/run" ] || return 0
  # A clean stop goes in order: radosgw and the OSD say goodbye to the mon (with the mon gone
  # first, radosgw waits for it past 20 s). A kill needs no order.
  for daemon in rgw osd mon; do
    [ -z "$only" ] || [ "$only" = "$daemon" ] || continue
    running "$daemon" || continue
    if [ "$signal" = KILL ]; then
      stop_pidfile "$(pidfile "$daemon")" 20 KILL &
    else
      stop_pidfile "$(pidfile "$daemon")" 20 TERM
    fi
    log "ceph $daemon: stopped ($signal)"
  done
  wait
}

cmd_status() {
  local ok=0 daemon
  [ -f "$PORTS_FILE" ] || { echo "ceph: not created"; return 3; }
  load_ports
  for daemon in mon osd rgw; do
    if running "$daemon"; then echo "ceph $daemon: running (pid $(head -n 1 "$(pidfile "$daemon")"))"; else echo "ceph $daemon: down"; ok=3; fi
  done
  echo "S3 endpoint: http://127.0.0.1:$RGW_PORT"
  return $ok
}

cmd_env() { [ -f "$ENV_FILE" ] || die "no $ENV_FILE: run start first"; cat "$ENV_FILE"; }

cmd_smoke() {
  cmd_env >/dev/null
  set -a
  # shellcheck source=/dev/null
  source "$ENV_FILE"
  set +a
  node "$(dirname "$0")/s3-smoke.mjs"
}

cmd_reset() { cmd_stop --immediate; rm -rf "$STATE" "$ENV_FILE"; log "ceph: state deleted"; }

case ${1:-} in
  install) cmd_install ;;
  start) cmd_start "${2:-}" ;;
  stop) shift; cmd_stop "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  smoke) cmd_smoke ;;
  reset) cmd_reset ;;
  *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
