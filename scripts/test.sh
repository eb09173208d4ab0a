#!/usr/bin/env bash
# The whole test suite: installs what it needs, checks format, lint and types, then runs the unit
# and integration tests (which start their own S3 and FTP servers on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser tests drive Debian's chromium.
HOSTVAULT_WITH_BROWSER=1 bash scripts/install-deps.sh

# MariaDB runs on these machines; start it if it is not answering (tests of database scopes).
if ! mariadb -uroot -e 'select 1' >/dev/null 2>&1; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
fi

echo '== format and lint'
npx prettier --check . --log-level warn
npx eslint . --max-warnings 0
echo '== types'
npx tsc --noEmit -p .
npx tsc --noEmit -p web
echo '== web UI build (the browser tests in web/e2e run against dist/web)'
npm run --silent build:web -- --logLevel warn
echo '== tests'
mapfile -t files < <(find src test web/e2e -name '*.test.ts' -not -path '*/node_modules/*' | sort)
node --import tsx --test --test-reporter=spec --test-concurrency=2 "${files[@]}"
