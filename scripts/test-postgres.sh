#!/usr/bin/env bash
# The store's users once more on PostgreSQL, the fleet's store: every unit test that opens its
# store through test/support/store.ts (directly or through the API's test app) runs on a fresh
# database of the machine's PostgreSQL server, dropped afterwards. HOSTVAULT_TEST_STORE_URL names
# another server.
set -euo pipefail
cd "$(dirname "$0")/.."

export HOSTVAULT_TEST_STORE_URL=${HOSTVAULT_TEST_STORE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if ! psql "$HOSTVAULT_TEST_STORE_URL" -Atc 'select 1' >/dev/null 2>&1; then
  # These machines run PostgreSQL; start it when it is not answering.
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do
    psql "$HOSTVAULT_TEST_STORE_URL" -Atc 'select 1' >/dev/null 2>&1 && break
    sleep 1
  done
fi

mapfile -t files < <(grep -rlE "openTestStore|support/api-harness" src --include='*.test.ts' |
  grep -v '\.int\.test\.ts$' | sort)
echo "== store on PostgreSQL ($(psql "$HOSTVAULT_TEST_STORE_URL" -Atc 'show server_version')): ${#files[@]} files"
started=$SECONDS
status=0
node --import tsx --test --test-reporter=dot --test-concurrency=1 "${files[@]}" || status=$?
echo "== store on PostgreSQL: $([ $status = 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
exit $status
