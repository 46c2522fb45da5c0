#!/usr/bin/env bash
# A local PostgreSQL 15 primary and its synchronous standby, for the tests and for trying the
# PostgreSQL backends. Loopback only, ports of their own, data under .services/postgres/.
#
#   postgres.sh install                        install postgresql-15 from Debian if missing
#   postgres.sh start [primary|standby]        create what is missing, start what is down, wait until ready
#   postgres.sh stop [primary|standby] [--immediate]   pg_ctl -m fast (or immediate: a crash)
#   postgres.sh status                         what runs where (exit 0 when both run)
#   postgres.sh env                            the env file the tests read
#   postgres.sh reset                          stop and delete the data
#
# Ports: the first two free ones from ROTORTREE_PG_PORT (15432), chosen at creation and kept;
# state in ROTORTREE_SERVICES_DIR (default .services of the checkout).
# The servers run as the `postgres` user when we are root (PostgreSQL refuses root), else as us.
# Settings: fsync, synchronous_commit and full_page_writes on; synchronous_standby_names =
# 'FIRST 1 (standby1)' (a commit on the primary waits for the standby's flush); hot standby.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

PG_VERSION=15
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin
PG_USER=postgres
STATE="$SERVICES_DIR/postgres"
PORTS_FILE="$STATE/ports"
ENV_FILE="$SERVICES_DIR/postgres.env"
STANDBY_NAME=standby1

installed() { [ -x "$PG_BIN/postgres" ] && [ -x "$PG_BIN/pg_basebackup" ] && [ -x "$PG_BIN/psql" ]; }

clusters() { if command -v pg_lsclusters >/dev/null; then pg_lsclusters -h | awk '{ print $1 " " $2 }'; fi; }

cmd_install() {
  if installed; then log "postgresql-$PG_VERSION: installed"; return 0; fi
  local t0 before after
  t0=$(now)
  before=$(clusters)
  apt_install "postgresql-$PG_VERSION"
  # postgresql-common creates (and would start) a `main` cluster on 5432: drop only a cluster
  # this install created.
  after=$(clusters)
  while read -r version name; do
    [ -n "$version" ] || continue
    if ! grep -qx "$version $name" <<<"$before"; then
      log "dropping the cluster $version/$name the package created"
      pg_dropcluster --stop "$version" "$name"
    fi
  done <<<"$after"
  log "postgresql-$PG_VERSION: installed in $(since "$t0") s"
}

user_for_data() { if is_root; then echo "$PG_USER"; else id -un; fi; }
pg() { as_user "$(user_for_data)" "$@"; }
data_dir() { echo "$STATE/$1"; }
port_of() { if [ "$1" = primary ]; then echo "$PRIMARY_PORT"; else echo "$STANDBY_PORT"; fi; }
# The postmaster's PID is the first line of postmaster.pid. A killed postmaster can stay a zombie
# for a moment, which pg_ctl status counts as running: check the process state too.
postmaster_pid() { head -n 1 "$(data_dir "$1")/postmaster.pid" 2>/dev/null | tr -dc 0-9; }
running() {
  local pid
  pid=$(postmaster_pid "$1")
  [ -n "$pid" ] && alive "$pid" && pg "$PG_BIN/pg_ctl" -D "$(data_dir "$1")" status >/dev/null 2>&1
}
conninfo() { echo "postgresql://$PG_USER@127.0.0.1:$(port_of "$1")/postgres"; }
psql_on() { local node=$1; shift; pg "$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$(port_of "$node")" -U "$PG_USER" -d postgres "$@"; }

load_ports() {
  if [ -f "$PORTS_FILE" ]; then
    # shellcheck source=/dev/null
    source "$PORTS_FILE"
  else
    PRIMARY_PORT=$(free_port "${ROTORTREE_PG_PORT:-15432}")
    STANDBY_PORT=$(free_port $((PRIMARY_PORT + 1)) "$PRIMARY_PORT")
    printf 'PRIMARY_PORT=%s\nSTANDBY_PORT=%s\n' "$PRIMARY_PORT" "$STANDBY_PORT" >"$PORTS_FILE"
  fi
}

# The settings of node $1, in rotortree.conf (included from postgresql.conf).
write_conf() {
  local node=$1 dir=$2
  {
    echo "# written by scripts/services/postgres.sh; rewritten at each start"
    echo "port = $(port_of "$node")"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$STATE/run'"
    echo "fsync = on"
    echo "synchronous_commit = on"
    echo "full_page_writes = on"
    echo "wal_level = replica"
    echo "max_wal_senders = 5"
    echo "hot_standby = on"
    echo "synchronous_standby_names = 'FIRST 1 ($STANDBY_NAME)'"
    echo "log_line_prefix = '%m [%p] %q%a '"
    if [ "$node" = standby ]; then
      echo "primary_conninfo = 'host=127.0.0.1 port=$PRIMARY_PORT user=$PG_USER application_name=$STANDBY_NAME'"
      # Reconnect soon after the primary comes back (default 5 s).
      echo "wal_retrieve_retry_interval = '200ms'"
    fi
  } >"$dir/rotortree.conf"
  grep -qx "include 'rotortree.conf'" "$dir/postgresql.conf" || echo "include 'rotortree.conf'" >>"$dir/postgresql.conf"
}

# Creates node $1's data directory under a temporary name (filled by fill_$1), renamed once
# complete: an interrupted creation is redone, never half used.
create_node() {
  local node=$1 dir
  dir=$(data_dir "$node")
  [ -f "$dir/PG_VERSION" ] && return 0
  rm -rf "$dir.creating"
  "fill_$node" "$dir.creating"
  write_conf "$node" "$dir.creating"
  mv "$dir.creating" "$dir"
}

fill_primary() {
  pg "$PG_BIN/initdb" -D "$1" -A trust -U "$PG_USER" --no-sync --encoding=UTF8 --locale=C >"$STATE/log/initdb.log"
}

fill_standby() {
  pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U "$PG_USER" -D "$1" -X stream -c fast --no-sync
  pg touch "$1/standby.signal"
}

start_node() {
  local node=$1 dir
  dir=$(data_dir "$node")
  if running "$node"; then return 0; fi
  write_conf "$node" "$dir"
  # -w waits until it accepts connections. A killed postmaster's children hold its shared memory
  # until they notice and exit: retry for a while.
  local attempt
  for attempt in $(seq 50); do
    if pg "$PG_BIN/pg_ctl" -D "$dir" -l "$STATE/log/$node.log" -w -t 60 start >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "$node did not start (see $STATE/log/$node.log)"
}

sync_standby_ready() { [ "$(psql_on primary -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$STANDBY_NAME'")" = sync ]; }
standby_in_recovery() { [ "$(psql_on standby -c 'SELECT pg_is_in_recovery()')" = t ]; }

cmd_start() {
  local only=${1:-} t0
  t0=$(now)
  installed || cmd_install
  mkdir -p "$STATE/log" "$STATE/run"
  chown "$(user_for_data)" "$STATE" "$STATE/log" "$STATE/run"
  load_ports
  if [ "$only" != standby ]; then
    create_node primary
    start_node primary
    log "postgres primary: 127.0.0.1:$PRIMARY_PORT ready at $(since "$t0") s"
  fi
  if [ "$only" != primary ]; then
    running primary || [ -f "$(data_dir standby)/PG_VERSION" ] || die "the primary must run to create the standby"
    create_node standby
    start_node standby
    WAIT_SECONDS=60 wait_until standby_in_recovery || die "the standby is not in recovery (see $STATE/log/standby.log)"
    if running primary; then
      WAIT_SECONDS=60 wait_until sync_standby_ready || die "the standby did not become the synchronous standby"
    fi
    log "postgres standby: 127.0.0.1:$STANDBY_PORT ready (synchronous) at $(since "$t0") s"
  fi
  write_env
}

write_env() {
  write_env_file "$ENV_FILE" <<EOF
ROTORTREE_PG_PRIMARY=$(conninfo primary)
ROTORTREE_PG_STANDBY=$(conninfo standby)
ROTORTREE_PG_PRIMARY_DATA=$(data_dir primary)
ROTORTREE_PG_STANDBY_DATA=$(data_dir standby)
ROTORTREE_PG_SCRIPT=$(cd "$(dirname "$0")" && pwd)/postgres.sh
ROTORTREE_PG_SERVICES_DIR=$SERVICES_DIR
EOF
}

cmd_stop() {
  local only= mode=fast arg node
  for arg in "$@"; do
    case $arg in
      --immediate) mode=immediate ;;
      primary | standby) only=$arg ;;
      *) die "stop: unknown argument $arg" ;;
    esac
  done
  [ -d "$STATE" ] || return 0
  for node in primary standby; do
    [ -z "$only" ] || [ "$only" = "$node" ] || continue
    if running "$node"; then
      pg "$PG_BIN/pg_ctl" -D "$(data_dir "$node")" -m "$mode" -w -t 60 stop >/dev/null
      log "postgres $node: stopped ($mode)"
    fi
  done
}

cmd_status() {
  local ok=0 node
  [ -d "$STATE" ] && load_ports || { echo "postgres: not created"; return 3; }
  for node in primary standby; do
    if running "$node"; then echo "postgres $node: running on 127.0.0.1:$(port_of "$node")"; else echo "postgres $node: down"; ok=3; fi
  done
  return $ok
}

cmd_env() { [ -f "$ENV_FILE" ] || die "no $ENV_FILE: run start first"; cat "$ENV_FILE"; }

cmd_reset() { cmd_stop --immediate; rm -rf "$STATE" "$ENV_FILE"; log "postgres: state deleted"; }

case ${1:-} in
  install) cmd_install ;;
  start) cmd_start "${2:-}" ;;
  stop) shift; cmd_stop "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  reset) cmd_reset ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
