#!/usr/bin/env bash
# Sets everything up on a fresh Debian machine (as root) and runs hostvault on embedded defaults:
# data in /var/lib/hostvault, the master key in /etc/hostvault, the local target. Until the service
# lands, "running" means the engine demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec node bin/hostvault.js demo "$@"
