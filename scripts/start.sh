#!/usr/bin/env bash
# Sets everything up on a fresh Debian machine (as root) and runs hostvault on embedded defaults:
# SQLite store in /var/lib/hostvault, the master key in /etc/hostvault, the local target, and the
# demo hosting layout (three customers with web files, databases and mail) with their sign-ins.
# The service runs from the built JavaScript in dist/ (npm run build), as the .deb runs it: tsx
# compiling the sources at every start costs start time and memory a service has no use for.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run --silent build
exec node dist/cli.js serve --demo "$@"
