#!/usr/bin/env bash
# Unpacks a minimal Debian system of <suite> (trixie, bookworm) into <dir>, for the install test.
# Made once with debootstrap from the Debian mirror and kept as a tarball in $HOSTVAULT_TEST_CACHE
# (default /var/cache/hostvault-test), so later runs only unpack it (a few seconds instead of
# minutes). Needs root; installs debootstrap through apt if it is missing.
#
#   bash test/install/debian-root.sh <suite> <dir>
set -euo pipefail

suite=${1:?usage: debian-root.sh <suite> <dir>}
dir=${2:?usage: debian-root.sh <suite> <dir>}
cache=${HOSTVAULT_TEST_CACHE:-/var/cache/hostvault-test}
mirror=${HOSTVAULT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
arch=$(dpkg --print-architecture)
tarball=$cache/debian-$suite-$arch.tar

fail() {
  echo "debian-root: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || fail "run as root (debootstrap and chroot need it)"

make_tarball() {
  if ! command -v debootstrap >/dev/null; then
    echo "debian-root: installing debootstrap" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap \
      >/dev/null || fail "could not install debootstrap through apt"
  fi
  local work
  work=$(mktemp -d "$cache/.debootstrap-XXXXXX")
  # shellcheck disable=SC2064 # the directory is known now
  trap "rm -rf '$work'" EXIT
  echo "debian-root: debootstrap $suite from $mirror (once; kept in $tarball)" >&2
  if ! debootstrap --variant=minbase "$suite" "$work/root" "$mirror" >"$work/log" 2>&1; then
    tail -20 "$work/log" >&2
    fail "debootstrap $suite failed"
  fi
  # Like a container: packages installed inside start no daemons (there is no init to own them).
  printf '#!/bin/sh\nexit 101\n' >"$work/root/usr/sbin/policy-rc.d"
  chmod 755 "$work/root/usr/sbin/policy-rc.d"
  # The package lists go stale with the mirror, and the test reads fresh ones.
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
  tar -C "$work/root" -cf "$work/root.tar" .
  # Moved into place whole, so a half-written tarball is never found.
  mv "$work/root.tar" "$tarball"
}

mkdir -p "$cache" || fail "cannot create $cache (set HOSTVAULT_TEST_CACHE)"
if [ ! -s "$tarball" ]; then
  # Two test runs starting together make it once.
  exec 9>"$cache/.debian-$suite.lock"
  flock 9
  [ -s "$tarball" ] || make_tarball
  exec 9>&-
fi
mkdir -p "$dir"
tar -C "$dir" -xf "$tarball"
