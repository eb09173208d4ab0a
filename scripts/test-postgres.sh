#!/usr/bin/env bash
# The store's users once more on PostgreSQL, the fleet's store: every unit test that opens its
# store through test/support/store.ts (directly or through the API's test app) runs on a fresh
# schema of the machine's PostgreSQL server, dropped afterwards. HOSTVAULT_TEST_STORE_URL names
# another server.
set -euo pipefail
cd "$(dirname "$0")/.."

# Over the local socket as root: Debian's PostgreSQL lets an operating-system user in as the role of
# the same name (peer), with no password to keep anywhere.
export HOSTVAULT_TEST_STORE_URL=${HOSTVAULT_TEST_STORE_URL:-postgresql://root@localhost/postgres?host=/var/run/postgresql}
answers() { psql "$HOSTVAULT_TEST_STORE_URL" -Atc 'select 1' >/dev/null 2>&1; }
if ! answers; then
  # These machines run PostgreSQL; start it when it is not answering (a fresh Debian has a cluster
  # from the package but may not run it).
  cluster=$(ls /etc/postgresql 2>/dev/null | head -1)
  [ -z "$cluster" ] || pg_ctlcluster --skip-systemctl-redirect "$cluster" main start >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do
    answers && break
    # Up, but without a role for root yet: the server's own superuser makes one.
    runuser -u postgres -- createuser --superuser root >/dev/null 2>&1 || true
    sleep 1
  done
fi
if ! answers; then
  echo "test-postgres: PostgreSQL does not answer at $HOSTVAULT_TEST_STORE_URL" >&2
  exit 1
fi

mapfile -t files < <(grep -rlE "openTestStore|support/api-harness" src --include='*.test.ts' |
  grep -v '\.int\.test\.ts$' | sort)
echo "== store on PostgreSQL ($(psql "$HOSTVAULT_TEST_STORE_URL" -Atc 'show server_version')): ${#files[@]} files"
started=$SECONDS
status=0
source scripts/test-bundles.sh
bundle_tests "${files[@]}"
# One file at a time: two at once (each migrating a fresh schema of its own) once failed with
# 'relation "<schema>.kysely_migration" does not exist' from a parallel worker, not yet explained.
node --test --test-reporter=dot --test-reporter-destination=stdout \
  --test-reporter=./scripts/test-file-times.mjs --test-reporter-destination=stdout --test-concurrency=1 "${runs[@]}" || status=$?
echo "== store on PostgreSQL: $([ $status = 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
exit $status
