#!/usr/bin/env bash
# Lists test files, one a line: `all` (every test of the suite) or `restic` (those that start
# restic, which run once per supported restic version), optionally only the browser tests or all
# but them.
#
# A test starts restic when it, or the service it starts, calls the engine on the real binary: the
# markers below are the ways in. A new way in belongs here too; `npm run test:restic-0.18` then runs
# it against restic 0.18.
set -euo pipefail
cd "$(dirname "$0")/.."

# The fleet drills (*.fleet.test.ts) build network namespaces as root with fixed names and run
# only from scripts/test-fleet.sh (`npm run test:fleet`), one run at a time: not listed here.
all() {
  find src test web/e2e -name '*.test.ts' -not -name '*.fleet.test.ts' -not -path '*/node_modules/*' |
    sort
}

starts_restic=(
  'Restic\.detect' # the engine on the installed binary
  "detectVersion\\('restic'"
  'openApp|startService' # the whole service (src/app.ts detects restic)
  'test-world|restore-child' # the restore tests' world and their child process
  'service-process|e2e/harness|from .\./harness' # the service as a process, the browser tests' world
  "bin/hostvault\\.js|cli\\.ts|CLI_FROM_SOURCES" # the command line
  'api-reference' # renders docs/api.md from a running service
  "spawn\\('restic'|run\\('restic'|^\\s*'restic',$" # restic run by hand beside the engine
)

# The browser tests (web/e2e) time what a person would wait for, so the suite runs them when
# nothing else of it runs: `browser` lists only them, `no-browser` all but them. The fleet's
# process tests (test/fleet/*.int.test.ts: controllers, agents and nats-server as processes) wait
# on their servers more than they compute, so scripts/test.sh runs them beside the rest, in the
# slot of the PostgreSQL run: `fleet` lists only them, `core` what is neither browser nor fleet.
only() {
  case "${1:-}" in
    browser) grep '^web/e2e/' || true ;;
    no-browser) grep -v '^web/e2e/' || true ;;
    fleet) grep '^test/fleet/' || true ;;
    core) grep -v -e '^web/e2e/' -e '^test/fleet/' || true ;;
    '') cat ;;
    *)
      echo "usage: $0 all|restic [browser|no-browser|fleet|core]" >&2
      exit 2
      ;;
  esac
}

case "${1:-}" in
  all) all | only "${2:-}" ;;
  restic)
    pattern=$(
      IFS='|'
      echo "${starts_restic[*]}"
    )
    all | xargs grep -lE "$pattern" | sort | only "${2:-}"
    ;;
  *)
    echo "usage: $0 all|restic [browser|no-browser|fleet|core]" >&2
    exit 2
    ;;
esac
