#!/usr/bin/env bash
# Lists test files, one a line: `all` (every test of the suite) or `restic` (those that start
# restic, which run once per supported restic version).
#
# A test starts restic when it, or the service it starts, calls the engine on the real binary: the
# markers below are the ways in. A new way in belongs here too; `npm run test:restic-0.18` then runs
# it against restic 0.18.
set -euo pipefail
cd "$(dirname "$0")/.."

all() {
  find src test web/e2e -name '*.test.ts' -not -path '*/node_modules/*' | sort
}

starts_restic=(
  'Restic\.detect' # the engine on the installed binary
  "detectVersion\\('restic'"
  'openApp|startService' # the whole service (src/app.ts detects restic)
  'test-world|restore-child' # the restore tests' world and their child process
  'service-process|e2e/harness|from .\./harness' # the service as a process, the browser tests' world
  "bin/hostvault|cli\\.ts" # the command line
  'api-reference' # renders docs/api.md from a running service
  "spawn\\('restic'|run\\('restic'|^\\s*'restic',$" # restic run by hand beside the engine
)

case "${1:-}" in
  all) all ;;
  restic)
    pattern=$(
      IFS='|'
      echo "${starts_restic[*]}"
    )
    all | xargs grep -lE "$pattern" | sort
    ;;
  *)
    echo "usage: $0 all|restic" >&2
    exit 2
    ;;
esac
