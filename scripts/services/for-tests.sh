# Sourced by scripts/test.sh: starts the servers the tests need (PostgreSQL pair, Ceph RGW) in the
# background while the workspace installs and builds, waits for them before the tests and
# exports their variables, and stops them when the shell exits, whatever the reason.
# ROTORTREE_SERVICES=off starts nothing (the tests that need a server skip, or fail under CI).
# A service that was already running before is left running.
# shellcheck shell=bash

TEST_SERVICES=(postgres ceph-rgw)
declare -A TEST_SERVICE_JOBS=()
declare -A TEST_SERVICE_STARTED=()

test_services_start() {
  if [ "${ROTORTREE_SERVICES:-on}" = off ]; then
    echo "services: not started (ROTORTREE_SERVICES=off)"
    return 0
  fi
  trap test_services_stop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mkdir -p .services
  TEST_SERVICES_T0=$(date +%s.%N)
  local name
  for name in "${TEST_SERVICES[@]}"; do
    bash "scripts/services/$name.sh" status >/dev/null 2>&1 || TEST_SERVICE_STARTED[$name]=1
    (
      bash "scripts/services/$name.sh" start
      status=$?
      # The conditional PUT the checkpoint store relies on, checked once per run (it also
      # creates RGW's data pools, which would otherwise slow the first test's PUT).
      if [ $status -eq 0 ] && [ "$name" = ceph-rgw ]; then bash scripts/services/ceph-rgw.sh smoke; status=$?; fi
      echo "done at $(awk -v a="$TEST_SERVICES_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
      exit $status
    ) >".services/$name.start.log" 2>&1 &
    TEST_SERVICE_JOBS[$name]=$!
  done
}

test_services_await() {
  local name t0
  t0=$(date +%s.%N)
  for name in "${!TEST_SERVICE_JOBS[@]}"; do
    if wait "${TEST_SERVICE_JOBS[$name]}"; then
      echo "services: $name $(tail -n 1 ".services/$name.start.log") (log: .services/$name.start.log)"
      set -a
      # shellcheck source=/dev/null
      source ".services/$name.env"
      set +a
    else
      echo "services: $name did not start; the tests that need it skip, or fail under CI. Its log:"
      tail -n 30 ".services/$name.start.log" | sed 's/^/  /'
    fi
    unset "TEST_SERVICE_JOBS[$name]"
  done
  [ -z "${TEST_SERVICES_T0:-}" ] || echo "services: the tests waited $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s for them"
}

test_services_stop() {
  local name pid
  # A start still under way is waited for, so that nothing it launches outlives this run.
  for pid in "${TEST_SERVICE_JOBS[@]}"; do wait "$pid" 2>/dev/null; done
  for name in "${!TEST_SERVICE_STARTED[@]}"; do
    bash "scripts/services/$name.sh" stop >/dev/null 2>&1 &
  done
  wait
}
