#!/usr/bin/env bash
# The whole test suite: installs what it needs, checks format, lint and types, runs the unit and
# integration tests (which start their own S3 and FTP servers on loopback), and the tests that
# start restic once more with restic 0.18 (scripts/test-restic.sh). Each run prints its slowest
# files: the suite is to stay under 25 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser tests drive Debian's chromium.
HOSTVAULT_WITH_BROWSER=1 HOSTVAULT_FOR_TESTS=1 bash scripts/install-deps.sh

# MariaDB runs on these machines; start it if it is not answering (tests of database scopes).
if ! mariadb -uroot -e 'select 1' >/dev/null 2>&1; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
fi

echo '== web UI build (the browser tests in web/e2e run against dist/web)'
npm run --silent build:web -- --logLevel warn
echo '== the tests and the command line bundled (scripts/build-test-cli.ts)'
mapfile -t every_test < <(bash scripts/test-files.sh all; find test -name '*.fleet.test.ts' | sort)
HOSTVAULT_TEST_BUNDLES=$(node --import tsx scripts/build-test-cli.ts --tests "${every_test[@]}")
export HOSTVAULT_TEST_BUNDLES
echo '== restic 0.18 (Debian 13), for the second run of the restic tests'
bash scripts/fetch-restic-0.18.sh >/dev/null

# The whole suite with Debian 12's restic 0.14 and, side by side, the tests that start restic
# with Debian 13's 0.18: each test works in its own temporary directories, repositories, ports
# and MariaDB names, so the two runs share nothing but the machine. The 0.14 run is shown as it
# goes, the others when they are done. Beside them too: the format, lint, layer and type checks
# (nothing below waits for them, and they are the suite's first minute of processor time alone),
# and the store's users once more on PostgreSQL (the fleet's store; they wait on the database more
# than they use the processor), then the fleet drills. The browser tests come once both restic
# runs are done, with 0.14: they drive the page as a person would, and two suites beside them made
# its waits time out; one (the fleet's slot, mostly waiting on its servers) does not.
logs=$(mktemp -d)
p14='' p18='' ppg='' ptail='' pbrowser='' pchecks=''
# Each run in a process group of its own, so an interrupted suite leaves no test behind.
stop() {
  for p in $p14 $p18 $ppg $pbrowser $pchecks; do kill -- -"$p" 2>/dev/null || true; done
  [ -z "$ptail" ] || kill "$ptail" 2>/dev/null || true
}
trap 'stop; rm -rf "$logs"' EXIT
trap 'exit 130' INT TERM
started=$SECONDS
setsid bash -c 'set -e
  echo "== format and lint"
  npx prettier --check . --log-level warn
  npx eslint . --max-warnings 0
  echo "== layers (.dependency-cruiser.cjs: no folder imports a higher layer, no import cycles)"
  npx depcruise src --config .dependency-cruiser.cjs --output-type err
  echo "== types"
  npx tsc --noEmit -p .
  npx tsc --noEmit -p web
  echo "== checks passed"' >"$logs/checks" 2>&1 &
pchecks=$!
setsid bash scripts/test-restic.sh 0.14 all core >"$logs/0.14" 2>&1 &
p14=$!
setsid bash scripts/test-restic.sh 0.18 restic no-browser >"$logs/0.18" 2>&1 &
p18=$!
# The fleet drills (three hosting servers as network namespaces, scripts/test-fleet.sh) follow the
# PostgreSQL run in the same slot: both wait on servers more than they compute, and the drills'
# own nats-server and PostgreSQL disturb no other suite.
# The fleet's process tests and the .deb's install (0.14) come between them, off the 0.14 run's
# slot, which is the longest (scripts/test-files.sh `side`); a failure of theirs counts as restic
# 0.14's.
setsid bash -c 'status=0
  bash scripts/test-postgres.sh >"$1/pg" 2>&1 || status=1
  bash scripts/test-restic.sh 0.14 all side >"$1/side" 2>&1 || status=$((status | 4))
  bash scripts/test-fleet.sh >"$1/fleet" 2>&1 || status=$((status | 2))
  exit $status' _ "$logs" &
ppg=$!
# In the background, so a signal to this script is handled at once rather than after the run.
tail -n +1 -f --pid=$p14 "$logs/0.14" &
ptail=$!
wait $ptail || true
ptail=''
status14=0
wait $p14 || status14=$?
p14=''
status18=0
wait $p18 || status18=$?
p18=''
cat "$logs/0.18"
# Once: what the browser sees does not depend on the restic version below the service.
setsid bash scripts/test-restic.sh 0.14 all browser >"$logs/browser" 2>&1 &
pbrowser=$!
status_browser=0
wait $pbrowser || status_browser=$?
pbrowser=''
cat "$logs/browser"
[ $status_browser = 0 ] || status14=$status_browser
status_pg=0
wait $ppg || status_pg=$?
ppg=''
cat "$logs/pg"
cat "$logs/side" 2>/dev/null || true
cat "$logs/fleet" 2>/dev/null || true
# Bit 1: the store on PostgreSQL failed; bit 2: the fleet drills did; bit 4: the fleet's process
# tests or the .deb's (restic 0.14) did.
[ $((status_pg & 4)) = 0 ] || status14=1
status_fleet=$(((status_pg & 2) >> 1))
status_pg=$((status_pg & 1))
status_checks=0
wait $pchecks || status_checks=$?
pchecks=''
cat "$logs/checks"
echo "== all tests: checks $([ $status_checks = 0 ] && echo passed || echo FAILED)," \
  "restic 0.14 $([ $status14 = 0 ] && echo passed || echo FAILED)," \
  "restic 0.18 $([ $status18 = 0 ] && echo passed || echo FAILED)," \
  "store on PostgreSQL $([ $status_pg = 0 ] && echo passed || echo FAILED)," \
  "fleet drills $([ $status_fleet = 0 ] && echo passed || echo FAILED), $((SECONDS - started)) s"
[ $status_checks = 0 ] && [ $status14 = 0 ] && [ $status18 = 0 ] && [ $status_pg = 0 ] &&
  [ $status_fleet = 0 ]
