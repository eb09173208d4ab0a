/**
 * Prints the npm packages the built service loads at run time, one `node_modules/...` directory a
 * line, for scripts/build-deb.sh to copy. It starts from the packages that the JavaScript in a
 * dist directory imports and follows their dependencies the way Node resolves them. package.json's
 * "dependencies" would also bring React, Mantine and the rest of the web UI, which Vite has
 * already bundled into dist/web.
 *
 *   node --import tsx scripts/runtime-modules.ts <repository root> <dist directory>
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * Dependencies that only run when npm installs a package: better-sqlite3's prebuild-install
 * downloads a compiled addon, and the package carries the one built on this machine instead.
 */
const INSTALL_TIME_ONLY = new Set(['prebuild-install']);

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return jsFiles(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

/** Package names of the bare specifiers that static and dynamic imports in `dist` name. */
function importedPackages(dist: string): Set<string> {
  const names = new Set<string>();
  // The web UI is a browser bundle: what it imports is inside it already.
  const files = jsFiles(dist).filter((file) => !relative(dist, file).startsWith('web/'));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(
      // A package name has no spaces or commas: `'is not distinct from', 'j.id'` in a query is
      // no import.
      /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'([@a-z0-9][^'\s,]*)'/g,
    )) {
      const specifier = match[1]!;
      if (specifier.startsWith('node:')) continue;
      const parts = specifier.split('/');
      names.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
    }
  }
  return names;
}

/** The directory Node would load `name` from, looking up from `from` as require() does. */
function resolvePackage(name: string, from: string, root: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === dirname(dir)) return undefined;
  }
}

/** Every package directory the imported packages need, as paths relative to `root`. */
function runtimeModules(root: string, dist: string): string[] {
  const seen = new Set<string>();
  const pending: { name: string; from: string; optional: boolean }[] = [
    ...importedPackages(dist),
  ].map((name) => ({ name, from: root, optional: false }));
  while (pending.length > 0) {
    const { name, from, optional } = pending.pop()!;
    if (INSTALL_TIME_ONLY.has(name)) continue;
    const dir = resolvePackage(name, from, root);
    if (!dir) {
      // An optional or peer dependency that npm left out is not needed on this platform.
      if (optional) continue;
      throw new Error(`${name} (needed by ${relative(root, from) || 'dist'}) is not installed`);
    }
    if (seen.has(dir)) continue;
    seen.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      pending.push({ name: dep, from: dir, optional: false });
    }
    for (const dep of Object.keys({
      ...manifest.optionalDependencies,
      ...manifest.peerDependencies,
    })) {
      pending.push({ name: dep, from: dir, optional: true });
    }
  }
  // A package nested in another's node_modules comes along with its parent's directory.
  const dirs = [...seen].map((dir) => relative(root, dir)).sort();
  return dirs.filter((dir) => !dirs.some((other) => other !== dir && dir.startsWith(`${other}/`)));
}

const [root, dist] = process.argv.slice(2);
if (!root || !dist || !existsSync(dist) || !statSync(dist).isDirectory()) {
  console.error('usage: runtime-modules.ts <repository root> <dist directory>');
  process.exit(2);
}
for (const dir of runtimeModules(root, dist)) console.log(dir);
