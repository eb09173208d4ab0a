#!/usr/bin/env bash
# The fleet drills on network namespaces (test/fleet/*.fleet.test.ts, harness
# test/support/fleet-world.ts): three hosting servers as `ip netns` with their enrolled agents,
# two controllers of one fleet on a PostgreSQL instance of the test's own, nats-server with TLS
# and the fleet's permissions, a mariadbd of the test's own (reached through socat in each
# namespace), the S3 test server. They need root (namespaces, veth, a bridge, mounts) and a fixed
# state directory, so they run here, one run at a time on a machine, and not from
# scripts/test-files.sh's `all`.
#
#   npm run test:fleet                      all drills
#   npm run test:fleet -- --test-name-pattern=PostgreSQL
#   npm run test:fleet -- --test-name-pattern=vault    the fleet's vault on the namespaces (issue 13)
#
# Leftovers of a run that was killed (namespaces, links, processes, state in /tmp/hvft-world) are
# removed by the next run before it starts; `bash scripts/test-fleet.sh --cleanup` removes them only.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "test-fleet: needs root (ip netns, veth, a bridge, PostgreSQL run as its own user)" >&2
  exit 1
fi
for tool in ip nats-server openssl rclone restic runuser socat mariadb-install-db /usr/sbin/mariadbd; do
  command -v "$tool" >/dev/null || {
    echo "test-fleet: $tool is missing" >&2
    exit 1
  }
done
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || {
  echo "test-fleet: no PostgreSQL server binaries in /usr/lib/postgresql/*/bin" >&2
  exit 1
}

# One run at a time: the world's names, subnet and state directory are fixed (that is how a run
# finds what a crashed one left).
exec 9>/tmp/hvft-world.lock
if ! flock -n 9; then
  echo "test-fleet: another run holds /tmp/hvft-world.lock; waiting" >&2
  flock 9
fi

if [ "${1:-}" = --cleanup ]; then
  exec node --import tsx -e "import('./test/support/fleet-world.ts').then((m) => m.cleanupLeftovers())"
fi

mapfile -t files < <(find test -name '*.fleet.test.ts' | sort)
echo "== fleet drills: ${#files[@]} files"
started=$SECONDS
status=0
source scripts/test-bundles.sh
bundle_tests "${files[@]}"
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./scripts/test-file-times.mjs --test-reporter-destination=stdout --test-concurrency=1 "$@" "${runs[@]}" || status=$?
echo "== fleet drills: $([ $status = 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
exit $status
