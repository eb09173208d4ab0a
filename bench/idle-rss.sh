#!/usr/bin/env bash
# Idle resident memory of `hostvault serve --demo`, run through tsx from the sources and from the
# built JavaScript (npm run build), one after the other on the same demo setup: each gets a fresh
# data directory and key, and its RSS (VmRSS) is read after it has listened for IDLE seconds.
#
#   bash bench/idle-rss.sh [IDLE seconds, default 30] [--no-demo]
#
# --no-demo: an empty store instead, the service's floor.
# Needs the dist/ of `npm run build`, restic and the MariaDB server the demo's databases go to.
set -euo pipefail
cd "$(dirname "$0")/.."
idle=${1:-30}
demo=--demo
[ "${2:-}" != --no-demo ] || demo=''
[ -f dist/cli.js ] || {
  echo "idle-rss: run npm run build first" >&2
  exit 1
}

measure() {
  local label=$1
  shift
  local work port pid
  work=$(mktemp -d)
  port=$(node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  HOSTVAULT_DATA_DIR=$work/data HOSTVAULT_KEY_FILE=$work/master.key HOSTVAULT_PORT=$port \
    "$@" serve $demo >"$work/log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    grep -q 'listening on' "$work/log" && break
    kill -0 "$pid" 2>/dev/null || {
      cat "$work/log" >&2
      exit 1
    }
    sleep 0.1
  done
  local ready=$SECONDS
  sleep "$idle"
  local rss children
  rss=$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  # A demo's first jobs may still run: then the service is not idle yet.
  children=$(cat /proc/"$pid"/task/*/children | wc -w)
  kill "$pid"
  wait "$pid" || true
  rm -rf "$work"
  echo "$label${demo:+ --demo}: RSS ${rss} MB ${idle} s after it listened ($((ready - started)) s after start), $children child processes"
}

started=$SECONDS
measure 'tsx (src/cli.ts)' node --import tsx src/cli.ts
started=$SECONDS
measure 'built (dist/cli.js)' node dist/cli.js
