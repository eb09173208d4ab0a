/**
 * A snapshot path as the customer knows it, under the friendly roots ("Web files/robots.txt"),
 * the way Browse Files names it; undefined for a path outside every root. The control plane
 * names a restored file by it (restore jobs, their log), so it lives here, beside the labels,
 * and not in the host's snapshot browser. It names roots as src/snapshot/paths.ts describeRoots
 * does (friendly-path.test.ts holds the two together): a group of one directory shows that
 * directory's content, so the root's own name is left out; a group of several roots names the
 * root first, by its base name, with its parent's where two share one.
 */
import { ROOT_GROUPS, type FriendlyRoots } from './labels.js';

export function friendlyPathOf(roots: FriendlyRoots, path: string): string | undefined {
  const clean = canonical(path);
  if (clean === undefined) return undefined;
  for (const { key, label } of ROOT_GROUPS) {
    const paths = [...new Set((roots[key] ?? []).map(canonical).filter((p): p is string => !!p))];
    const root = paths.find((r) => within(r, clean));
    if (root === undefined) continue;
    const below = clean === root ? '' : clean.slice(root === '/' ? 1 : root.length + 1);
    if (paths.length === 1 && below !== '') return `${label}/${below}`;
    const names = displayNames(paths);
    return [label, names.get(root) ?? base(root), ...(below ? [below] : [])].join('/');
  }
  return undefined;
}

function displayNames(paths: string[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const p of paths) counts.set(base(p), (counts.get(base(p)) ?? 0) + 1);
  const used = new Set<string>();
  const names = new Map<string, string>();
  for (const p of paths) {
    const b = base(p) || '/';
    let name = (counts.get(b) ?? 0) > 1 ? `${b} (${base(parent(p)) || '/'})` : b;
    for (let n = 2; used.has(name); n++) name = `${b} (${n})`;
    used.add(name);
    names.set(p, name);
  }
  return names;
}

/** Absolute, no empty, `.` or `..` segment, no trailing slash; undefined otherwise. */
function canonical(path: string): string | undefined {
  if (!path.startsWith('/') || path.includes('\0')) return undefined;
  const parts = path.split('/').slice(1);
  if (path === '/') return '/';
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
  return path;
}

function within(root: string, path: string): boolean {
  return root === '/' || path === root || path.startsWith(root + '/');
}

function base(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function parent(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
