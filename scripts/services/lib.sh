# Shared by the service scripts (sourced, not run): where the run state lives, installing Debian
# packages without letting them start anything, choosing free loopback ports, running a command
# as the service's user, and stopping a process by the PID it wrote.
# shellcheck shell=bash

SERVICES_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Run state (data, logs, pid files, env files) of every service: git-ignored, per checkout, so
# that two worktrees on one machine never share a server.
SERVICES_DIR="${ROTORTREE_SERVICES_DIR:-$SERVICES_ROOT/.services}"
mkdir -p "$SERVICES_DIR"
SERVICES_DIR="$(cd "$SERVICES_DIR" && pwd)"

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
# Seconds since $1 (a `now`), with two decimals.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs "$@" as user $1 when we are root (servers refuse root), else as ourselves.
as_user() {
  local user=$1; shift
  if is_root; then runuser -u "$user" -- "$@"; else "$@"; fi
}

# Installs Debian packages, noninteractively. `apt-get update` only when a package has no
# candidate. Nothing the packages ship is started: a policy-rc.d that denies every start is put
# in place for the install when the machine has none (and removed after). Serialised by a lock
# so that two scripts installing in parallel wait for each other instead of failing on dpkg's lock.
apt_install() {
  is_root || die "installing $* needs root (apt-get install --no-install-recommends $*)"
  (
    exec 9>/var/lock/rotortree-services-apt.lock
    flock 9
    export DEBIAN_FRONTEND=noninteractive
    local pkg
    for pkg in "$@"; do
      if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        apt-get update -qq
        break
      fi
    done
    local policy=/usr/sbin/policy-rc.d own_policy=
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\n# rotortree services: no service starts during this install\nexit 101\n' >"$policy"
      chmod 755 "$policy"
      own_policy=1
    fi
    local status=0
    mkdir -p "$SERVICES_DIR"
    apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "$@" >"$SERVICES_DIR/apt.log" 2>&1 || status=$?
    [ "$status" -eq 0 ] || { tail -n 30 "$SERVICES_DIR/apt.log" >&2; log "apt-get install $* failed (log: $SERVICES_DIR/apt.log)"; }
    [ -n "$own_policy" ] && rm -f "$policy"
    exit "$status"
  )
}

# Prints the first port >= $1 that nothing listens on (127.0.0.1) and not in "$2" (ports taken).
free_port() {
  local port=$1 taken=" ${2:-} "
  while [ "$port" -lt 65535 ]; do
    if [[ "$taken" != *" $port "* ]] && ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"; return 0
    fi
    port=$((port + 1))
  done
  die "no free port from $1"
}

# True when process $1 exists and is not a zombie.
alive() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# Stops the process whose PID is in file $1: signal $3 (TERM by default; KILL: a crash), up to
# $2 seconds, then SIGKILL. Never by name: only the PID this checkout's server wrote.
stop_pidfile() {
  local file=$1 wait=${2:-20} signal=${3:-TERM} pid i
  [ -f "$file" ] || return 0
  pid=$(head -n 1 "$file" | tr -dc 0-9)
  [ -n "$pid" ] || return 0
  if alive "$pid"; then
    kill "-$signal" "$pid" 2>/dev/null || true
    for ((i = 0; i < wait * 10; i++)); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then log "pid $pid did not stop in ${wait}s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
  fi
  rm -f "$file"
}

# Polls "$@" every 0.1 s until it succeeds or $WAIT_SECONDS (default 60) pass.
wait_until() {
  local deadline i
  deadline=$(( ${WAIT_SECONDS:-60} * 10 ))
  for ((i = 0; i < deadline; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# Writes KEY=VALUE lines (from stdin) to $1 atomically.
write_env_file() {
  local file=$1
  cat >"$file.tmp" && mv "$file.tmp" "$file"
}
