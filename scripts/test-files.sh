#!/usr/bin/env bash
# Lists test files, one a line: `all` (every test of the suite) or `restic` (those that start
# restic, which run once per supported restic version, but for those whose result does not depend
# on the version: same_on_every_version below), optionally only the browser tests or all but them.
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

# Tests that start restic only to have snapshots to work with: what they check does not change
# with restic's version (the API's answers and rights, the command line, the service's process,
# the fleet's transport, the vault's role, the test servers themselves, MariaDB's side of a
# database restore, the restore journal's recovery from kills at each of its steps: the kill while
# restic restores is test/drills/kill-restore's; the service's rules around commands the engine
# tests run on both: second copies, undo, drills, holds, the mass-change guard), while what restic does differently by version (restore's progress, sparse
# files, dry run and overwrite, the stream backup of dumps, rewrite, copy, exit codes, ls and dump,
# the S3, FTP and REST back ends) is tested on both by the engine, backup, restore, copy,
# maintenance, browse, target and vault files. `restic` leaves them out, so the second run costs
# the suite less than its budget (`npm test` under 25 minutes); they run once, with 0.14.
same_on_every_version=(
  src/agent/local.int.test.ts
  src/agent/wire.int.test.ts
  src/api/admin.int.test.ts
  src/api/hold-routes.int.test.ts
  src/api/proxy.int.test.ts
  src/api/reference.int.test.ts
  src/api/server-paths.int.test.ts
  src/api/target-routes.int.test.ts
  src/backup/mass-change.int.test.ts
  src/cli/cli.int.test.ts
  src/copy/copy.int.test.ts
  src/drill/drill.int.test.ts
  src/repository/snapshot-holds.int.test.ts
  src/restore/interrupt.test.ts
  src/restore/undo.int.test.ts
  src/schedule/schedule-deletion.int.test.ts
  src/serve.int.test.ts
  src/target/customer-targets.int.test.ts
  test/drills/kill-db-restore.int.test.ts
  test/drills/kill-service.int.test.ts
  test/drills/malformed-input.int.test.ts
  test/fleet/job-adoption.int.test.ts
  test/fleet/nats-agent.int.test.ts
  test/support/servers.int.test.ts
  test/vault/role.int.test.ts
  test/vault/schedules.int.test.ts
)

# The browser tests (web/e2e) time what a person would wait for, so the suite runs them when
# nothing else of it runs: `browser` lists only them, `no-browser` all but them. The fleet's
# process tests (test/fleet/*.int.test.ts: controllers, agents and nats-server as processes) and
# the .deb's install into fresh Debian systems (test/install) wait on other processes more than
# they compute, so scripts/test.sh runs them beside the rest, in the slot of the PostgreSQL run:
# `side` lists only them, `core` what is neither browser nor side.
only() {
  case "${1:-}" in
    browser) grep '^web/e2e/' || true ;;
    no-browser) grep -v '^web/e2e/' || true ;;
    side) grep -e '^test/fleet/' -e '^test/install/' || true ;;
    core) grep -v -e '^web/e2e/' -e '^test/fleet/' -e '^test/install/' || true ;;
    '') cat ;;
    *)
      echo "usage: $0 all|restic [browser|no-browser|side|core]" >&2
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
    all | xargs grep -lE "$pattern" | sort |
      grep -vxF -f <(printf '%s\n' "${same_on_every_version[@]}") | only "${2:-}"
    ;;
  *)
    echo "usage: $0 all|restic [browser|no-browser|side|core]" >&2
    exit 2
    ;;
esac
