/**
 * Path rules for browsing: snapshot paths are absolute and clean, friendly (virtual) paths start
 * with a group label, and nothing a customer sends may climb out with `..` or smuggle a NUL.
 */
import { BrowseError } from './errors.js';
import { ROOT_GROUPS, type FriendlyRoots, type RootGroup } from '../scope/labels.js';

const MAX_PATH = 4096;

/**
 * Splits an absolute path into its names. A trailing slash and repeated slashes are tolerated;
 * `.`, `..`, NUL, relative paths and absurd lengths are refused.
 */
export function pathSegments(path: string, what = 'path'): string[] {
  if (typeof path !== 'string' || path.length === 0)
    throw new BrowseError('invalid-path', `The ${what} is empty.`);
  if (path.length > MAX_PATH)
    throw new BrowseError('invalid-path', `The ${what} is longer than ${MAX_PATH} characters.`);
  if (path.includes('\0'))
    throw new BrowseError('invalid-path', `The ${what} contains a NUL character.`);
  if (!path.startsWith('/'))
    throw new BrowseError('invalid-path', `The ${what} must start with "/": ${path}`);
  const segments = path.split('/').filter((s) => s.length > 0);
  for (const s of segments) {
    if (s === '..' || s === '.')
      throw new BrowseError('invalid-path', `The ${what} must not contain "${s}": ${path}`);
  }
  return segments;
}

/** The canonical form of an absolute snapshot path: `/a/b`, or `/`. */
export function normalizePath(path: string, what = 'path'): string {
  return '/' + pathSegments(path, what).join('/');
}

export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** True when `path` is `root` or lies beneath it (both canonical). */
export function isWithin(root: string, path: string): boolean {
  if (root === '/') return true;
  return path === root || path.startsWith(root + '/');
}

export interface RootEntry {
  group: RootGroup;
  label: string;
  /** The canonical snapshot path. */
  path: string;
  /** The name the root has inside its group when a group shows its roots as entries. */
  displayName: string;
}

/** A friendly group with its roots, in display order; groups without roots are left out. */
export interface RootGroupView {
  group: RootGroup;
  label: string;
  roots: RootEntry[];
}

/**
 * Validates the caller's root mapping and names every root: by its base name, and where two roots
 * of a group share one, by base name and parent directory ("alice.conf (sites-available)"). The
 * names depend on the mapping alone, so a virtual path means the same in every snapshot.
 */
export function describeRoots(roots: FriendlyRoots): RootGroupView[] {
  const views: RootGroupView[] = [];
  for (const { key, label } of ROOT_GROUPS) {
    const list = roots[key] ?? [];
    const paths = [...new Set(list.map((p) => normalizePath(p, `${label} root`)))];
    if (paths.length === 0) continue;
    const counts = new Map<string, number>();
    for (const p of paths) counts.set(baseName(p), (counts.get(baseName(p)) ?? 0) + 1);
    const used = new Set<string>();
    const entries = paths.map((path): RootEntry => {
      const base = baseName(path) || '/';
      let name =
        (counts.get(base) ?? 0) > 1 ? `${base} (${baseName(parentOf(path)) || '/'})` : base;
      for (let n = 2; used.has(name); n++) name = `${base} (${n})`;
      used.add(name);
      return { group: key, label, path, displayName: name };
    });
    views.push({ group: key, label, roots: entries });
  }
  return views;
}

/** Refuses a snapshot path that lies outside every root (both canonicalized first). */
export function assertWithinRoots(roots: FriendlyRoots, path: string): string {
  const clean = normalizePath(path);
  for (const view of describeRoots(roots)) {
    if (view.roots.some((r) => isWithin(r.path, clean))) return clean;
  }
  throw new BrowseError(
    'outside-roots',
    `The path ${clean} is not part of this customer's backup areas.`,
  );
}
