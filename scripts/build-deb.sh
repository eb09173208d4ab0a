#!/usr/bin/env bash
# Builds the Debian package of hostvault with dpkg-deb alone, and prints its path:
#
#   bash scripts/build-deb.sh [output directory]      (default: build/)
#
# What it holds (docs/operator-guide.md#install-from-the-deb):
#   /usr/lib/hostvault         the built JavaScript (dist/, with the web UI in dist/web) and the npm
#                              packages it loads at run time, better-sqlite3's compiled addon among them
#   /usr/bin/hostvault         the command line (packaging/hostvault)
#   /usr/lib/systemd/system    hostvault.service, and the fleet's hostvault-controller.service,
#                              hostvault-agent.service and hostvault-vault.service, not enabled (packaging/systemd)
#   /etc/hostvault             hostvault.env, a conffile; the master key appears there on first start
#   /var/lib/hostvault         made by postinst: the store, repositories of the local target, cache
#
# better-sqlite3's addon is compiled for this machine's Node.js ABI (process.versions.modules),
# so the package depends on the same major version of nodejs; see the operator's guide for where
# Debian 12 gets Node.js 20. Build on the oldest Debian the package is for (its libc is the floor).
# Runs from the repository with its node_modules installed (npm ci); needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-build}

fail() {
  echo "build-deb: $*" >&2
  exit 1
}
for tool in node npx dpkg-deb dpkg dpkg-query; do
  command -v "$tool" >/dev/null || fail "$tool is missing"
done
[ -d node_modules/better-sqlite3 ] || fail "node_modules is not installed: run npm ci first"

version=$(node -p 'require("./package.json").version')
# A Debian revision, so a rebuild of the same version can be told apart (HOSTVAULT_DEB_REVISION).
deb_version="$version-${HOSTVAULT_DEB_REVISION:-1}"
arch=$(dpkg --print-architecture)
node_major=$(node -p 'process.versions.node.split(".")[0]')
libc=$(dpkg-query -W -f='${Version}' libc6 | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/root
lib=$stage/usr/lib/hostvault

echo "build-deb: compiling into $lib" >&2
# Built straight into the package tree: no file of an older build in dist/ can slip in, and a
# test suite running from this checkout meanwhile keeps its dist/ as it was.
npx tsc -p tsconfig.build.json --outDir "$lib/dist"
npx vite build --config web/vite.config.ts --outDir "$lib/dist/web" --emptyOutDir --logLevel warn
# dist/ holds ES modules; this says so to Node, and nothing else of package.json is read at run time.
node -e '
  const { version } = require("./package.json");
  const manifest = { name: "hostvault", version, private: true, type: "module" };
  require("fs").writeFileSync(process.argv[1], JSON.stringify(manifest, null, 2) + "\n");
' "$lib/package.json"

echo "build-deb: copying the npm packages the service loads" >&2
mapfile -t modules < <(node --import tsx scripts/runtime-modules.ts "$root" "$lib/dist")
[ ${#modules[@]} -gt 0 ] || fail "found no npm package that dist/ loads"
# node_modules may be a link to another checkout's: copy from where it really is.
(cd "$(dirname "$(readlink -f node_modules)")" && cp -a --parents "${modules[@]}" "$lib/")
# better-sqlite3: its compiled addon, its JavaScript and its licence. The SQLite sources, object
# files and a test extension would add 25 MB.
sqlite=$lib/node_modules/better-sqlite3
[ -f "$sqlite/build/Release/better_sqlite3.node" ] || fail "better-sqlite3's addon is not built"
find "$sqlite" -mindepth 1 -maxdepth 1 -not -name lib -not -name build -not -name package.json \
  -not -name LICENSE -exec rm -rf {} +
find "$sqlite/build" -mindepth 1 -not -path "$sqlite/build/Release" \
  -not -path "$sqlite/build/Release/better_sqlite3.node" -delete
# Type declarations, source maps and documentation of the packages are never loaded.
find "$lib/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
  -o -name '*.map' -o -iname '*.md' -o -name '*.ts.map' \) -delete

# The package loads before it is packed: every import resolves and the addon fits this Node.js.
node -e '
  const Database = require(process.argv[1]);
  new Database(":memory:").prepare("select 1").get();
' "$sqlite"
(cd "$work" && node "$lib/dist/cli.js" 2>&1 | grep -q '^usage: hostvault') ||
  fail "the built command line does not start: $(cd "$work" && node "$lib/dist/cli.js" 2>&1 | head -5)"

install -D -m 0755 packaging/hostvault "$stage/usr/bin/hostvault"
install -D -m 0644 packaging/systemd/hostvault.service \
  "$stage/usr/lib/systemd/system/hostvault.service"
# A fleet's roles: installed, enabled by the operator on the machines that take them.
for unit in hostvault-controller.service hostvault-agent.service hostvault-vault.service; do
  install -m 0644 "packaging/systemd/$unit" "$stage/usr/lib/systemd/system/$unit"
done
install -d -m 0700 "$stage/etc/hostvault"
install -m 0600 packaging/hostvault.env "$stage/etc/hostvault/hostvault.env"
install -D -m 0644 docs/operator-guide.md "$stage/usr/share/doc/hostvault/operator-guide.md"
chmod -R u+rwX,go+rX,go-w "$stage/usr"

mkdir -p "$stage/DEBIAN"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm \
  "$stage/DEBIAN/"
echo /etc/hostvault/hostvault.env >"$stage/DEBIAN/conffiles"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: hostvault
Version: $deb_version
Architecture: $arch
Maintainer: hostvault maintainers <hostvault@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: nodejs (>= $node_major), nodejs (<< $((node_major + 1))), restic (>= 0.14), rclone, mariadb-client, libc6 (>= $libc), libstdc++6
Section: admin
Priority: optional
Description: backups of hosting customers' files, databases and mail through restic
 Incremental, deduplicated and encrypted backups of what each hosting customer
 owns (web files, MariaDB databases, mailboxes, SSL certificates, Nginx and
 PHP-FPM configuration), to local disk, S3 or FTP, with a web UI for customers
 and administrators. The service runs as hostvault.service on port 8420.
CONTROL

mkdir -p "$out"
deb=$out/hostvault_${deb_version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "build-deb: $deb ($(du -h "$deb" | cut -f1), $(du -sh --exclude=DEBIAN "$stage" | cut -f1) installed)" >&2
echo "$deb"
