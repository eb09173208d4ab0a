#!/usr/bin/env bash
# Installs what hostvault and its tests need on Debian 12/13, as root. Safe to run again: it only
# installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# attr and acl: the restore tests set and read extended attributes and ACLs.
packages=(restic rclone pure-ftpd mariadb-client openssl util-linux attr acl)
if [ "${HOSTVAULT_WITH_BROWSER:-0}" = 1 ]; then packages+=(chromium); fi
# The tests of the fleet's parts: its PostgreSQL store and its NATS transport.
if [ "${HOSTVAULT_FOR_TESTS:-0}" = 1 ]; then packages+=(postgresql nats-server); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "hostvault: please run as root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "hostvault: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# pure-ftpd's Debian package starts a server on port 21; hostvault's tests start their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet pure-ftpd 2>/dev/null; then
  systemctl disable --now pure-ftpd >/dev/null 2>&1 || true
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
