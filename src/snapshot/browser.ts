/**
 * Browsing snapshots: a browse index per snapshot (see browse-index.ts), built on first open and
 * reused afterwards, kept within a size and count budget, least recently used first out. Every
 * listing and stat after that is answered from the index without starting restic.
 *
 * Index files live in `indexDir` as `<snapshot-id>.sqlite`. A snapshot id is the hash of the
 * snapshot itself, so an index serves that snapshot in whichever repository holds it; whether a
 * customer may see a snapshot is decided by the caller before it gets here.
 */
import { mkdirSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationOptions, RepositoryLocation, Restic } from '../engine/index.js';
import {
  BrowseIndex,
  buildIndex,
  type BrowseEntry,
  type EntryType,
  type IndexMeta,
  type StreamedDumpSource,
} from './browse-index.js';
import { BrowseError } from './errors.js';
import {
  SERVICE_GROUPS,
  isServiceFile,
  type FriendlyRoots,
  type RootGroup,
} from '../scope/labels.js';
import {
  describeRoots,
  isWithin,
  joinPath,
  normalizePath,
  parentOf,
  pathSegments,
  type RootEntry,
  type RootGroupView,
} from './paths.js';

export interface SnapshotBrowserOptions {
  restic: Restic;
  /** Where index files live; created 0700 (file names of customers' data are inside). */
  indexDir: string;
  /** Total size of index files kept (default 4 GiB); the least recently used go first. */
  maxBytes?: number;
  /** Number of index files kept (default 200). */
  maxIndexes?: number;
  /** Indexes kept open at once (default 16); others are reopened on use, which takes ~1 ms. */
  maxOpen?: number;
}

export interface PageRequest {
  offset?: number;
  /** Default 200, at most 5,000. */
  limit?: number;
}

export interface ListResult {
  /** The listed directory, canonical. */
  path: string;
  entries: BrowseEntry[];
  /** Entries in the directory, for pagination. */
  total: number;
  offset: number;
  limit: number;
}

export interface OpenResult {
  snapshotId: string;
  meta: IndexMeta;
  /** True when an existing index was used, false when this call built it. */
  reused: boolean;
}

export interface FriendlyEntry extends Omit<BrowseEntry, 'path'> {
  /** Virtual path, e.g. `/Web files/wp-content`. */
  path: string;
  /**
   * The snapshot path behind it, where that is the customer's own path (a file restores there);
   * absent for `/`, for a group of several roots and in the service's own groups (Databases).
   */
  realPath?: string;
  group?: RootGroup;
}

export interface FriendlyListResult {
  path: string;
  entries: FriendlyEntry[];
  total: number;
  offset: number;
  limit: number;
}

export interface FriendlySearchResult {
  /** The text searched for, as it was matched (trimmed). */
  query: string;
  /** Matches under the friendly roots, folder by folder; at most the limit asked for. */
  entries: FriendlyEntry[];
  /** True when there are more matches than were returned: the customer should narrow it. */
  more: boolean;
}

/** What a virtual path stands for. */
export type FriendlyTarget =
  | { kind: 'top'; path: '/' }
  | { kind: 'group'; path: string; view: RootGroupView; roots: RootEntry[] }
  | { kind: 'real'; path: string; group: RootGroup; realPath: string };

const DEFAULT_LIMIT = 200;
const DEFAULT_SEARCH_LIMIT = 100;
const MAX_SEARCH_LIMIT = 500;
const MAX_QUERY = 200;
const MAX_LIMIT = 5000;
const SNAPSHOT_ID = /^[0-9a-f]{8,64}$/;
const SUFFIX = '.sqlite';
/** A temp file untouched for this long belongs to a build that died. */
const STALE_TEMP_MS = 3600_000;
/** Last-use times are written at most this often per index. */
const TOUCH_EVERY_MS = 60_000;

export class SnapshotBrowser {
  private readonly restic: Restic;
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly maxIndexes: number;
  private readonly maxOpen: number;
  /** Open handles by full snapshot id; Map order is the LRU order (oldest first). */
  private readonly handles = new Map<string, BrowseIndex>();
  /** Builds in progress by the id the caller asked for, so concurrent opens share one. */
  private readonly building = new Map<string, Promise<OpenResult>>();
  /** Short ids seen in open() mapped to the full id they resolved to. */
  private readonly aliases = new Map<string, string>();
  private readonly touched = new Map<string, number>();
  private swept = false;

  constructor(opts: SnapshotBrowserOptions) {
    this.restic = opts.restic;
    this.dir = opts.indexDir;
    this.maxBytes = opts.maxBytes ?? 4 * 1024 ** 3;
    this.maxIndexes = opts.maxIndexes ?? 200;
    this.maxOpen = opts.maxOpen ?? 16;
  }

  /**
   * Makes `snapshotId` browsable: reuses its index, or builds it with one `restic ls` of the
   * whole snapshot. Concurrent calls for the same snapshot share one build.
   */
  open(
    repo: RepositoryLocation,
    snapshotId: string,
    opts: OperationOptions = {},
  ): Promise<OpenResult> {
    const id = checkId(snapshotId);
    const existing = this.handle(id, false);
    if (existing) {
      this.touch(existing.meta.snapshot.id, true);
      return Promise.resolve({
        snapshotId: existing.meta.snapshot.id,
        meta: existing.meta,
        reused: true,
      });
    }
    let build = this.building.get(id);
    if (!build) {
      build = this.build(repo, id, opts).finally(() => this.building.delete(id));
      this.building.set(id, build);
    }
    return build;
  }

  /** Whether `snapshotId` has a usable index (open() would not start restic). */
  isOpen(snapshotId: string): boolean {
    return this.handle(checkId(snapshotId), false) !== undefined;
  }

  /**
   * What an index already built says about directory `path`: that it is one, and the files and
   * bytes below it. Undefined when the snapshot has no index yet (nothing is built for this) or
   * `path` is no directory in it.
   */
  knownDirectory(snapshotId: string, path: string): { files: number; bytes: number } | undefined {
    const index = this.handle(checkId(snapshotId), false);
    return index?.totals(normalizePath(path));
  }

  /** The entry of file `path` in an index already built, or undefined (no index, no file). */
  knownFile(snapshotId: string, path: string): BrowseEntry | undefined {
    const entry = this.handle(checkId(snapshotId), false)?.stat(normalizePath(path));
    return entry?.type === 'file' ? entry : undefined;
  }

  /**
   * The streamed dumps (restic 0.17+) an opened snapshot lists in directory `dir`, with the
   * snapshot each is read from; empty for a backup whose dumps are in its own snapshot.
   */
  streamedDumpsIn(snapshotId: string, dir: string): StreamedDumpSource[] {
    const clean = normalizePath(dir);
    const dumps = this.require(snapshotId).meta.dumps ?? [];
    return dumps.filter((d) => parentOf(d.path) === clean);
  }

  /** The non-directory entries below directory `dir` of an opened snapshot, paths relative to it. */
  below(snapshotId: string, dir: string): Iterable<BrowseEntry> {
    return this.require(snapshotId).below(normalizePath(dir));
  }

  /** A page of directory `dir` of an opened snapshot: directories first, then by name. */
  list(snapshotId: string, dir: string, page: PageRequest = {}): ListResult {
    const index = this.require(snapshotId);
    const { offset, limit } = pageOf(page);
    const path = normalizePath(dir);
    const { entries, total } = index.list(path, { offset, limit });
    return { path, entries, total, offset, limit };
  }

  /** The entry at `path` of an opened snapshot, or undefined when the snapshot has none there. */
  stat(snapshotId: string, path: string): BrowseEntry | undefined {
    return this.require(snapshotId).stat(normalizePath(path));
  }

  /** Named pipes, device files and the like below directory `path` of an opened snapshot. */
  specials(snapshotId: string, path: string): Map<string, EntryType> {
    return this.require(snapshotId).specials(normalizePath(path));
  }

  /** Maps a virtual path (`/Web files/wp-content`) onto the snapshot; refuses `..` and NUL. */
  resolveFriendly(snapshotId: string, roots: FriendlyRoots, virtualPath: string): FriendlyTarget {
    const index = this.require(snapshotId);
    const names = pathSegments(virtualPath, 'virtual path');
    if (names.length === 0) return { kind: 'top', path: '/' };
    const [label, ...rest] = names as [string, ...string[]];
    const view = describeRoots(roots).find((v) => v.label === label);
    if (!view) throw new BrowseError('not-found', `There is no "${label}" in this backup.`);
    const present = view.roots.filter((r) => index.stat(r.path) !== undefined);
    const groupPath = `/${view.label}`;
    const single = view.roots.length === 1 ? present[0] : undefined;
    let root: RootEntry | undefined;
    let below: string[];
    if (single && index.stat(single.path)?.type === 'dir') {
      // One directory: the group is that directory, as customers expect of "Web files".
      root = single;
      below = rest;
    } else {
      if (rest.length === 0) return { kind: 'group', path: groupPath, view, roots: present };
      const [name, ...more] = rest as [string, ...string[]];
      root = present.find((r) => r.displayName === name);
      if (!root)
        throw new BrowseError(
          'not-found',
          `There is no "${name}" in ${view.label} of this backup.`,
        );
      below = more;
    }
    if (below.length > 0 && isServiceFile(view.group, below[below.length - 1]!))
      throw new BrowseError(
        'not-found',
        `There is no "${below[below.length - 1]}" in ${view.label} of this backup.`,
      );
    const realPath = below.length
      ? `${root.path === '/' ? '' : root.path}/${below.join('/')}`
      : root.path;
    // Belt and braces: segments are clean, so this only fails on a broken root mapping.
    if (!isWithin(root.path, realPath))
      throw new BrowseError(
        'outside-roots',
        `${virtualPath} is outside this customer's backup areas.`,
      );
    return { kind: 'real', path: '/' + names.join('/'), group: view.group, realPath };
  }

  /**
   * Lists a virtual path: `/` shows the groups that hold something in this snapshot, a group
   * shows its one directory's content or its roots by name, anything deeper maps onto the
   * snapshot path beneath the root.
   */
  listFriendly(
    snapshotId: string,
    roots: FriendlyRoots,
    virtualPath: string,
    page: PageRequest = {},
  ): FriendlyListResult {
    const index = this.require(snapshotId);
    const { offset, limit } = pageOf(page);
    const target = this.resolveFriendly(snapshotId, roots, virtualPath);
    const paged = (all: FriendlyEntry[]): FriendlyListResult => ({
      path: target.path,
      entries: all.slice(offset, offset + limit),
      total: all.length,
      offset,
      limit,
    });

    if (target.kind === 'top') {
      const groups: FriendlyEntry[] = [];
      for (const view of describeRoots(roots)) {
        const present = view.roots.filter((r) => index.stat(r.path) !== undefined);
        if (present.length === 0) continue;
        const only = view.roots.length === 1 ? index.stat(present[0]!.path) : undefined;
        const entry: FriendlyEntry = {
          name: view.label,
          type: 'dir',
          path: `/${view.label}`,
          group: view.group,
        };
        if (only?.type === 'dir') Object.assign(entry, metaOf(only), shown(view.group, only.path));
        groups.push(entry);
      }
      return paged(groups);
    }

    if (target.kind === 'group') {
      const entries = target.roots
        .map((r): FriendlyEntry => {
          const real = index.stat(r.path) as BrowseEntry;
          return {
            ...metaOf(real),
            name: r.displayName,
            type: real.type,
            path: `${target.path}/${r.displayName}`,
            ...shown(target.view.group, r.path),
            group: target.view.group,
          };
        })
        .sort((a, b) => rankOf(a) - rankOf(b) || compareNames(a.name, b.name));
      return paged(entries);
    }

    if (SERVICE_GROUPS.has(target.group)) {
      // The service's own directories are small (one dump per database): listed whole, so that
      // its hidden files leave no gap in a page.
      const all = inVirtualWords(target.path, () =>
        index.list(target.realPath, { offset: 0, limit: Number.MAX_SAFE_INTEGER }),
      ).entries.filter((e) => !isServiceFile(target.group, e.name));
      return paged(
        all.map((e) => ({
          ...e,
          path: joinPath(target.path, e.name),
          ...shown(target.group, e.path),
          group: target.group,
        })),
      );
    }
    const real = inVirtualWords(target.path, () => index.list(target.realPath, { offset, limit }));
    return {
      path: target.path,
      entries: real.entries.map((e) => ({
        ...e,
        path: joinPath(target.path, e.name),
        ...shown(target.group, e.path),
        group: target.group,
      })),
      total: real.total,
      offset,
      limit,
    };
  }

  /**
   * Files and folders of an opened snapshot whose name holds `text`, under the friendly roots
   * only: what a customer could reach by browsing, named by the same virtual paths, with the
   * service's own files (checksum records) left out as listings leave them out.
   */
  searchFriendly(
    snapshotId: string,
    roots: FriendlyRoots,
    text: string,
    page: { limit?: number } = {},
  ): FriendlySearchResult {
    const index = this.require(snapshotId);
    const query = checkQuery(text);
    const limit = page.limit ?? DEFAULT_SEARCH_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT)
      throw new BrowseError(
        'invalid-page',
        `The number of results must be between 1 and ${MAX_SEARCH_LIMIT}.`,
      );
    // Each root once, with the virtual path that stands for it (as resolveFriendly maps them).
    const places: { root: RootEntry; group: RootGroup; virtual: string; isGroup: boolean }[] = [];
    for (const view of describeRoots(roots))
      for (const root of view.roots) {
        const found = index.stat(root.path);
        if (!found) continue;
        const isGroup = view.roots.length === 1 && found.type === 'dir';
        places.push({
          root,
          group: view.group,
          virtual: isGroup ? `/${view.label}` : `/${view.label}/${root.displayName}`,
          isGroup,
        });
      }
    const entries: FriendlyEntry[] = [];
    let more = false;
    index.search(query, (entry) => {
      const place = places.find((p) => isWithin(p.root.path, entry.path));
      // Outside the customer's areas, the group's own folder, or a file of the service's own.
      if (!place || (place.isGroup && entry.path === place.root.path)) return true;
      if (isServiceFile(place.group, entry.name)) return true;
      if (entries.length === limit) {
        more = true;
        return false;
      }
      const below = entry.path === place.root.path ? '' : entry.path.slice(place.root.path.length);
      entries.push({
        ...entry,
        path: place.root.path === '/' ? `${place.virtual}${entry.path}` : place.virtual + below,
        ...shown(place.group, entry.path),
        group: place.group,
      });
      return true;
    });
    return { query, entries, more };
  }

  /**
   * Removes the index of a snapshot that is gone or changed (a path purged from it: restic wrote
   * it anew under another id). Its file holds the names, sizes and dates of every file, the purged
   * ones too, so it is deleted rather than left to age out of the LRU budget. No index: nothing.
   */
  drop(snapshotId: string): void {
    const full = this.resolveId(checkId(snapshotId));
    if (!full) return;
    this.handles.get(full)?.close();
    this.handles.delete(full);
    this.touched.delete(full);
    for (const [alias, target] of this.aliases) if (target === full) this.aliases.delete(alias);
    rmSync(this.fileOf(full), { force: true });
  }

  /** Closes every open index; builds in progress finish on their own. */
  close(): void {
    for (const index of this.handles.values()) index.close();
    this.handles.clear();
  }

  // ------------------------------------------------------------------------------------------

  private fileOf(fullId: string): string {
    return join(this.dir, fullId + SUFFIX);
  }

  private require(snapshotId: string): BrowseIndex {
    const index = this.handle(checkId(snapshotId), true);
    if (!index)
      throw new BrowseError(
        'not-open',
        `Snapshot ${snapshotId} has not been opened for browsing yet; open it first.`,
      );
    return index;
  }

  /** The open index for an id or unique id prefix, opening a finished file on disk if needed. */
  private handle(id: string, touch: boolean): BrowseIndex | undefined {
    const full = this.resolveId(id);
    if (!full) return undefined;
    let index = this.handles.get(full);
    if (index) {
      // Map order is LRU order: move to the end.
      this.handles.delete(full);
      this.handles.set(full, index);
    } else {
      index = BrowseIndex.open(this.fileOf(full));
      if (!index) return undefined;
      this.remember(full, index);
    }
    if (touch) this.touch(full, false);
    return index;
  }

  private resolveId(id: string): string | undefined {
    if (id.length === 64) return id;
    const alias = this.aliases.get(id);
    if (alias) return alias;
    for (const full of this.handles.keys()) if (full.startsWith(id)) return full;
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.startsWith(id) && n.endsWith(SUFFIX));
    } catch {
      return undefined;
    }
    // An ambiguous prefix is not resolved from disk; open() asks restic, which refuses it.
    return names.length === 1 ? names[0]!.slice(0, -SUFFIX.length) : undefined;
  }

  private remember(full: string, index: BrowseIndex): void {
    this.handles.get(full)?.close();
    this.handles.delete(full);
    this.handles.set(full, index);
    while (this.handles.size > this.maxOpen) {
      const [oldest, handle] = this.handles.entries().next().value as [string, BrowseIndex];
      handle.close();
      this.handles.delete(oldest);
    }
  }

  private async build(
    repo: RepositoryLocation,
    id: string,
    opts: OperationOptions,
  ): Promise<OpenResult> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.sweepTemps();
    // A finished file that does not open (older format, damaged) is replaced.
    const temp = join(this.dir, `${id}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    const { file, meta } = await buildIndex(
      this.restic,
      repo,
      id,
      temp,
      (full) => this.fileOf(full),
      opts,
    );
    const full = meta.snapshot.id;
    if (full !== id) this.aliases.set(id, full);
    const index = BrowseIndex.open(file);
    if (!index) throw new Error(`the browse index just built for ${full} does not open`);
    this.remember(full, index);
    this.touched.set(full, Date.now());
    this.evict(full);
    return { snapshotId: full, meta, reused: false };
  }

  /** Records a use in the file's mtime (the LRU clock, which survives restarts). */
  private touch(full: string, force: boolean): void {
    const now = Date.now();
    if (!force && now - (this.touched.get(full) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(full, now);
    try {
      utimesSync(this.fileOf(full), now / 1000, now / 1000);
    } catch {
      // evicted by another process meanwhile; the open handle still works
    }
  }

  /** Removes temp files of builds that died (their process is gone, or they stopped long ago). */
  private sweepTemps(): void {
    if (this.swept) return;
    this.swept = true;
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.tmp')) continue;
      const pid = Number(name.split('.')[1]);
      const path = join(this.dir, name);
      try {
        const old = Date.now() - statSync(path).mtimeMs > STALE_TEMP_MS;
        if (old || !alive(pid)) rmSync(path, { force: true });
      } catch {
        // gone already
      }
    }
  }

  /** Drops the least recently used indexes until the budget holds; never `keep`. */
  private evict(keep: string): void {
    const files = readdirSync(this.dir)
      .filter((n) => n.endsWith(SUFFIX))
      .map((name) => {
        try {
          const st = statSync(join(this.dir, name));
          return { id: name.slice(0, -SUFFIX.length), size: st.size, used: st.mtimeMs };
        } catch {
          return undefined;
        }
      })
      .filter((f) => f !== undefined)
      .sort((a, b) => a.used - b.used);
    let bytes = files.reduce((sum, f) => sum + f.size, 0);
    let count = files.length;
    for (const f of files) {
      if (bytes <= this.maxBytes && count <= this.maxIndexes) break;
      if (f.id === keep) continue;
      this.handles.get(f.id)?.close();
      this.handles.delete(f.id);
      rmSync(this.fileOf(f.id), { force: true });
      bytes -= f.size;
      count--;
    }
  }
}

/** Runs a listing of the real path behind `virtualPath`, reporting failures with the latter. */
function inVirtualWords<T>(virtualPath: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof BrowseError)) throw error;
    if (error.kind === 'not-found')
      throw new BrowseError('not-found', `${virtualPath} does not exist in this backup.`);
    if (error.kind === 'not-a-directory')
      throw new BrowseError('not-a-directory', `${virtualPath} is not a folder.`);
    throw error;
  }
}

/** The realPath of an entry, unless its group is the service's own (see SERVICE_GROUPS). */
function shown(group: RootGroup, realPath: string): { realPath?: string } {
  return SERVICE_GROUPS.has(group) ? {} : { realPath };
}

function checkId(snapshotId: string): string {
  if (typeof snapshotId !== 'string' || !SNAPSHOT_ID.test(snapshotId))
    throw new BrowseError(
      'invalid-snapshot-id',
      'A snapshot id is 8 to 64 lowercase hex characters.',
    );
  return snapshotId;
}

function checkQuery(text: string): string {
  const query = typeof text === 'string' ? text.trim() : '';
  if (query.length === 0)
    throw new BrowseError('invalid-query', 'Type part of a file or folder name to search for.');
  if (query.length > MAX_QUERY || query.includes('/') || query.includes('\0'))
    throw new BrowseError(
      'invalid-query',
      `Search for part of one name: at most ${MAX_QUERY} characters, without "/".`,
    );
  return query;
}

function pageOf(page: PageRequest): { offset: number; limit: number } {
  const offset = page.offset ?? 0;
  const limit = page.limit ?? DEFAULT_LIMIT;
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new BrowseError('invalid-page', 'The page offset must be a whole number of at least 0.');
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new BrowseError('invalid-page', `The page size must be between 1 and ${MAX_LIMIT}.`);
  return { offset, limit };
}

function metaOf(e: BrowseEntry): Partial<BrowseEntry> {
  const { size, mtime, mode, uid, gid, linkTarget } = e;
  return Object.fromEntries(
    Object.entries({ size, mtime, mode, uid, gid, linkTarget }).filter(([, v]) => v !== undefined),
  );
}

function rankOf(e: { type: string }): number {
  return e.type === 'dir' ? 0 : 1;
}

/** Byte order of UTF-8, as SQLite's BINARY collation and restic sort names. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
