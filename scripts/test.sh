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

# Three slots side by side, each test in its own temporary directories, repositories, ports and
# MariaDB names, so they share nothing but the machine:
#  1. the whole suite with Debian 12's restic 0.14 (but the parts below), shown as it goes;
#  2. the tests whose result depends on restic's version once more with Debian 13's 0.18, then
#     the fleet drills (three hosting servers as network namespaces, scripts/test-fleet.sh: their
#     own nats-server and PostgreSQL disturb no other suite), then, once slot 3 is done too, the
#     browser tests, once, with 0.14: they drive the page as a person would, and two suites
#     beside them made its waits time out; one does not;
#  3. the store's users once more on PostgreSQL (the fleet's store), then the fleet's process tests
#     and the .deb's install into fresh Debian systems with 0.14 (scripts/test-files.sh `side`):
#     they wait on other processes more than they compute.
# Beside them too, the format, lint, layer and type checks: nothing waits for them.
logs=$(mktemp -d)
p14='' p18='' ppg='' ptail='' pchecks=''
# Each run in a process group of its own, so an interrupted suite leaves no test behind.
stop() {
  for p in $p14 $p18 $ppg $pchecks; do kill -- -"$p" 2>/dev/null || true; done
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
# Exit status bits: 1 restic 0.18's tests failed, 2 the fleet drills, 4 the browser tests.
setsid bash -c 'status=0
  bash scripts/test-restic.sh 0.18 restic no-browser >"$1/0.18" 2>&1 || status=1
  bash scripts/test-fleet.sh >"$1/fleet" 2>&1 || status=$((status | 2))
  while [ ! -e "$1/slot3-done" ]; do sleep 2; done
  bash scripts/test-restic.sh 0.14 all browser >"$1/browser" 2>&1 || status=$((status | 4))
  exit $status' _ "$logs" &
p18=$!
# Exit status bits: 1 the store on PostgreSQL failed, 4 the side part (counted as restic 0.14's).
setsid bash -c 'status=0
  bash scripts/test-postgres.sh >"$1/pg" 2>&1 || status=1
  bash scripts/test-restic.sh 0.14 all side >"$1/side" 2>&1 || status=$((status | 4))
  touch "$1/slot3-done"
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
slot2=0
wait $p18 || slot2=$?
p18=''
slot3=0
wait $ppg || slot3=$?
ppg=''
status_checks=0
wait $pchecks || status_checks=$?
pchecks=''
for log in 0.18 fleet pg side browser checks; do cat "$logs/$log" 2>/dev/null || true; done
status18=$((slot2 & 1))
status_fleet=$(((slot2 & 2) >> 1))
status_pg=$((slot3 & 1))
[ $((slot2 & 4)) = 0 ] && [ $((slot3 & 4)) = 0 ] || status14=1
echo "== all tests: checks $([ $status_checks = 0 ] && echo passed || echo FAILED)," \
  "restic 0.14 $([ $status14 = 0 ] && echo passed || echo FAILED)," \
  "restic 0.18 $([ $status18 = 0 ] && echo passed || echo FAILED)," \
  "store on PostgreSQL $([ $status_pg = 0 ] && echo passed || echo FAILED)," \
  "fleet drills $([ $status_fleet = 0 ] && echo passed || echo FAILED), $((SECONDS - started)) s"
[ $status_checks = 0 ] && [ $status14 = 0 ] && [ $status18 = 0 ] && [ $status_pg = 0 ] &&
  [ $status_fleet = 0 ]
