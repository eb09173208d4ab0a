#!/usr/bin/env bash
# Puts Debian 13's restic (0.18) at $HOSTVAULT_TEST_CACHE/restic-0.18/restic (default cache
# /var/cache/hostvault-test) for the tests that run against both restic versions, and prints that
# directory. Quick when it is already there.
#
# The package comes from Debian's archive through apt itself, with a sources list of its own
# (trixie main, the archive keyring) and its own lists and cache directories, so the machine's apt
# configuration, package lists and installed packages are never touched. apt checks the archive's
# signature and the package's hash; the binary only needs libc and runs on Debian 12.
set -euo pipefail

cache=${HOSTVAULT_TEST_CACHE:-/var/cache/hostvault-test}
dir=$cache/restic-0.18
binary=$dir/restic
mirror=${HOSTVAULT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

fail() {
  echo "fetch-restic-0.18: $*" >&2
  exit 1
}

is_018() {
  [ -x "$binary" ] && "$binary" version 2>/dev/null | grep -q '^restic 0\.18\.'
}

if is_018; then
  echo "$dir"
  exit 0
fi

mkdir -p "$cache" || fail "cannot create $cache (run as root, or set HOSTVAULT_TEST_CACHE)"
# Two test runs starting together fetch once.
exec 9>"$cache/.restic-0.18.lock"
flock 9
if is_018; then
  echo "$dir"
  exit 0
fi

[ -r "$keyring" ] || fail "$keyring is missing: install the Debian package debian-archive-keyring"
for tool in apt-get dpkg-deb; do
  command -v "$tool" >/dev/null || fail "$tool is missing (this script needs Debian's apt)"
done

work=$(mktemp -d "$cache/.fetch-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/download"
cat >"$work/trixie.sources" <<EOF
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: $keyring
EOF
apt_options=(
  -o "Dir::Etc::sourcelist=$work/trixie.sources"
  -o Dir::Etc::sourceparts=/dev/null
  -o "Dir::State::lists=$work/lists"
  -o "Dir::Cache=$work/cache"
  # apt's unprivileged download user cannot write into a root-only directory.
  -o APT::Sandbox::User=root
  -o Acquire::Retries=2
  # Without this, a mirror that cannot be reached is only a warning and update exits 0.
  -o APT::Update::Error-Mode=any
  -qq
)

if ! apt-get "${apt_options[@]}" update >"$work/update.log" 2>&1; then
  cat "$work/update.log" >&2
  fail "could not read Debian 13 (trixie) package lists from $mirror; check the network or set HOSTVAULT_DEBIAN_MIRROR"
fi
if ! (cd "$work/download" && apt-get "${apt_options[@]}" download restic/trixie) >"$work/download.log" 2>&1; then
  cat "$work/download.log" >&2
  fail "could not download trixie's restic package from $mirror"
fi
deb=$(find "$work/download" -name 'restic_*.deb' -print -quit)
[ -n "$deb" ] || fail "apt-get download left no restic package"
dpkg-deb -x "$deb" "$work/root"
found=$("$work/root/usr/bin/restic" version 2>&1) || fail "the downloaded restic does not run: $found"
case "$found" in
  "restic 0.18."*) ;;
  *) fail "trixie's restic is not 0.18 but: $found" ;;
esac

# Moved into place whole, so a half-extracted binary is never found.
mkdir -p "$work/new"
mv "$work/root/usr/bin/restic" "$work/new/restic"
echo "$(basename "$deb")" >"$work/new/PACKAGE"
rm -rf "$dir.old"
if [ -e "$dir" ]; then mv "$dir" "$dir.old"; fi
mv "$work/new" "$dir"
rm -rf "$dir.old"
echo "fetch-restic-0.18: $found from $(basename "$deb")" >&2
echo "$dir"
