#!/usr/bin/env bash
# Sets everything up on a fresh Debian machine (as root) and runs hostvault on embedded defaults:
# SQLite store in /var/lib/hostvault, the master key in /etc/hostvault, the local target, and the
# demo hosting layout (three customers with web files, databases and mail) with their sign-ins.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run --silent build:web -- --logLevel warn
exec node bin/hostvault.js serve --demo "$@"
