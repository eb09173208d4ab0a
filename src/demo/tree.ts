/**
 * Makes a directory tree match a plan: writes what is missing or differs (type, size, mtime,
 * mode, owner, link target), leaves what matches alone, and removes what the plan does not list.
 * A second run over an unchanged tree writes nothing, so a backup of it finds nothing new.
 *
 * Synchronous file calls on purpose: for thousands of small files they are several times faster
 * than the promise API, and the demo does nothing else meanwhile.
 */
import {
  closeSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  chmodSync,
  chownSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import type { LazyBytes } from './content.js';

export interface Owner {
  uid: number;
  gid: number;
}

interface Base extends Owner {
  /** Relative to the tree's root, '/'-separated; '' is the root itself (a directory). */
  path: string;
  /** Seconds since the epoch. */
  mtime: number;
}

export interface PlannedDir extends Base {
  type: 'dir';
  mode: number;
}

export interface PlannedFile extends Base {
  type: 'file';
  mode: number;
  /** The bytes, or how to make them once the file is written (media of the demo). */
  content: Buffer | LazyBytes;
}

export interface PlannedLink extends Base {
  type: 'symlink';
  target: string;
}

export type Planned = PlannedDir | PlannedFile | PlannedLink;

export interface SyncStats {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  /** Entries created or rewritten. */
  written: number;
  /** Entries removed because the plan does not list them. */
  removed: number;
}

/**
 * Syncs `root` to `plan`. Parent directories must come in the plan (the root included); with
 * `chown` false (not root), owners are left as they are.
 */
export function syncTree(
  root: string,
  plan: readonly Planned[],
  opts: { chown: boolean; prune?: boolean },
): SyncStats {
  const stats: SyncStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, written: 0, removed: 0 };
  const byPath = new Map(plan.map((e) => [e.path, e]));
  const dirs = plan.filter((e): e is PlannedDir => e.type === 'dir');
  dirs.sort((a, b) => depth(a.path) - depth(b.path));
  if (!byPath.has('')) throw new Error('the plan must list its root directory');

  for (const dir of dirs) {
    const abs = join(root, dir.path);
    const st = lstatOrUndefined(abs);
    if (st !== undefined && !st.isDirectory()) rmSync(abs, { recursive: true, force: true });
    if (st === undefined || !st.isDirectory()) {
      mkdirSync(abs, { recursive: true, mode: dir.mode });
      stats.written++;
    }
    stats.dirs++;
  }

  for (const entry of plan) {
    const abs = join(root, entry.path);
    if (entry.type === 'file') {
      stats.files++;
      stats.bytes += entry.content.length;
      const st = lstatOrUndefined(abs);
      const same =
        st !== undefined &&
        st.isFile() &&
        st.size === entry.content.length &&
        Math.floor(st.mtimeMs / 1000) === entry.mtime;
      if (!same) {
        if (st !== undefined && !st.isFile()) rmSync(abs, { recursive: true, force: true });
        writeFileExactly(abs, entry, opts.chown);
        stats.written++;
      } else if (!sameMeta(st, entry, entry.mode, opts.chown)) {
        chmodSync(abs, entry.mode);
        if (opts.chown) chownSync(abs, entry.uid, entry.gid);
      }
    } else if (entry.type === 'symlink') {
      stats.symlinks++;
      let st = lstatOrUndefined(abs);
      if (st === undefined || !st.isSymbolicLink() || readlinkSync(abs) !== entry.target) {
        if (st !== undefined) rmSync(abs, { recursive: true, force: true });
        symlinkSync(entry.target, abs);
        stats.written++;
        st = lstatSync(abs);
      }
      if (opts.chown && (st.uid !== entry.uid || st.gid !== entry.gid)) {
        lchownSync(abs, entry.uid, entry.gid);
      }
      if (Math.floor(st.mtimeMs / 1000) !== entry.mtime) lutimesSync(abs, entry.mtime, entry.mtime);
    }
  }

  if (opts.prune ?? true) stats.removed = prune(root, '', byPath);

  // Directory mtimes last, deepest first: creating their entries changed them.
  for (const dir of [...dirs].reverse()) {
    const abs = join(root, dir.path);
    const st = lstatSync(abs);
    if (!sameMeta(st, dir, dir.mode, opts.chown)) {
      chmodSync(abs, dir.mode);
      if (opts.chown) chownSync(abs, dir.uid, dir.gid);
    }
    if (Math.floor(st.mtimeMs / 1000) !== dir.mtime) utimesSync(abs, dir.mtime, dir.mtime);
  }
  return stats;
}

function writeFileExactly(abs: string, file: PlannedFile, chown: boolean): void {
  const fd = openSync(abs, 'w', file.mode);
  try {
    const content = Buffer.isBuffer(file.content) ? file.content : file.content.bytes();
    let offset = 0;
    while (offset < content.length) {
      offset += writeSync(fd, content, offset, content.length - offset);
    }
    if (chown) fchownSync(fd, file.uid, file.gid);
    fchmodSync(fd, file.mode); // after chown, which clears set-id bits; and past the umask
    futimesSync(fd, file.mtime, file.mtime);
  } finally {
    closeSync(fd);
  }
}

function sameMeta(st: Stats, owner: Owner, mode: number, chown: boolean): boolean {
  return (st.mode & 0o7777) === mode && (!chown || (st.uid === owner.uid && st.gid === owner.gid));
}

function prune(root: string, rel: string, plan: Map<string, Planned>): number {
  let removed = 0;
  for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
    const planned = plan.get(path);
    if (planned === undefined) {
      rmSync(join(root, path), { recursive: true, force: true });
      removed++;
    } else if (planned.type === 'dir' && entry.isDirectory()) {
      removed += prune(root, path, plan);
    }
  }
  return removed;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function depth(path: string): number {
  return path === '' ? 0 : path.split('/').length;
}

/** Syncs one file at an absolute path (its directory must exist); true when it was written. */
export function syncFile(
  abs: string,
  file: Omit<PlannedFile, 'path' | 'type'>,
  chown: boolean,
): boolean {
  const st = lstatOrUndefined(abs);
  const same =
    st !== undefined &&
    st.isFile() &&
    st.size === file.content.length &&
    Math.floor(st.mtimeMs / 1000) === file.mtime;
  if (!same) {
    if (st !== undefined && !st.isFile()) rmSync(abs, { recursive: true, force: true });
    writeFileExactly(abs, { ...file, type: 'file', path: '' }, chown);
    return true;
  }
  if (!sameMeta(st, file, file.mode, chown)) {
    chmodSync(abs, file.mode);
    if (chown) chownSync(abs, file.uid, file.gid);
  }
  return false;
}

/** Creates a directory (and its parents) if missing and gives it this mode and owner. */
export function ensureDir(abs: string, mode: number, owner: Owner, chown: boolean): void {
  mkdirSync(abs, { recursive: true, mode });
  const st = lstatSync(abs);
  if (!st.isDirectory()) throw new Error(`${abs} exists and is not a directory`);
  if (!sameMeta(st, owner, mode, chown)) {
    chmodSync(abs, mode);
    if (chown) chownSync(abs, owner.uid, owner.gid);
  }
}
