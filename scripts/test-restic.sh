#!/usr/bin/env bash
# Runs tests against one restic version:
#   bash scripts/test-restic.sh 0.14 [restic|all] [browser|no-browser]   Debian 12's, on PATH
#   bash scripts/test-restic.sh 0.18 [restic|all] [browser|no-browser]   Debian 13's, fetched by
#                                                                        scripts/fetch-restic-0.18.sh
# `restic` (the default) runs the tests that start restic (scripts/test-files.sh), `all` the whole
# suite; `browser` only the browser tests among them, `no-browser` all but those (`side` and
# `core` split those further: scripts/test-files.sh). Every test finds restic through PATH (the service's HOSTVAULT_RESTIC defaults to `restic`,
# and tests that run restic by hand name it so), so putting the version's directory first on PATH
# is the one setting that moves them all. Exits non-zero if a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:-}
set=${2:-restic}
part=${3:-}
case "$version" in
  0.14) ;;
  0.18) PATH="$(bash scripts/fetch-restic-0.18.sh):$PATH" ;;
  *)
    echo "usage: $0 0.14|0.18 [restic|all] [browser|no-browser|side|core]" >&2
    exit 2
    ;;
esac
export PATH

found=$(restic version 2>&1) || {
  echo "test-restic: restic does not run: $found" >&2
  exit 1
}
case "$found" in
  "restic $version."*) ;;
  *)
    echo "test-restic: wanted restic $version, but restic on PATH is: $found" >&2
    exit 1
    ;;
esac

# The database scopes need MariaDB (scripts/test.sh starts it too; this runs on its own as well).
if ! mariadb -uroot -e 'select 1' >/dev/null 2>&1; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
fi

mapfile -t files < <(bash scripts/test-files.sh "$set" $part)
echo "== ${part:+$part }tests with $found ($(command -v restic)): ${#files[@]} files"
source scripts/test-bundles.sh
bundle_tests "${files[@]}"
started=$SECONDS
status=0
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./scripts/test-file-times.mjs --test-reporter-destination=stdout \
  --test-concurrency="${HOSTVAULT_TEST_CONCURRENCY:-2}" "${runs[@]}" || status=$?
echo "== restic $version${part:+, $part}: $([ $status = 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
exit $status
