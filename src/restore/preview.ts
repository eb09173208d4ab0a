/**
 * What a restore would do, before it runs: per area the customer picked (web root, each Maildir
 * and its filters, single files), the files it would add, change and delete, and the databases it
 * would replace. Nothing is written.
 *
 * How it is decided, as the restore itself would:
 *  - restic 0.17+: `restore --dry-run` of the area's folder against the live area (restic's own
 *    size and mtime check, content where those differ);
 *  - restic 0.14 (no dry run): the snapshot's browse index against a walk of the live area, by
 *    type, size, mtime (to the nanosecond) and link target.
 * Deletions: an area restored in `replace` mode ends equal to the snapshot (src/restore/area.ts:
 * the staged tree is renamed in place of the whole area), so what the live area has and the
 * snapshot has not is deleted (kept in the safety snapshot taken before). `keep-newer` (mail that
 * arrived after the snapshot stays) deletes nothing. A Maildir restored keep-newer also skips a
 * message the mailbox still has under other flags; the preview lists it as added.
 *
 * The live walk never follows a symlink: an entry is compared as what it is (lstat). An area (or a
 * single file's directory) whose path is not canonical, because the customer made it or a folder
 * above it a symlink, is taken as missing: compared with nothing, so the preview never lists the
 * names of a directory the link points to (restic would be asked to compare with it as root). A
 * customer who swaps in a link between that check and restic's dry run could still see names
 * there; the restore itself is confined by src/restore/area.ts.
 */
import { lstat, mkdtemp, readdir, readlink, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import type { RestoreRequest as AgentRestoreRequest } from '../agent/protocol.js';
import type { Restic, RepositoryLocation } from '../engine/index.js';
import type { OperationOptions } from '../engine/types.js';
import {
  planRestore,
  restoresMaildir,
  restoresSieve,
  type SnapshotRoots,
} from '../restore-job/restore-plan.js';
import type { RootGroup } from '../scope/labels.js';
import type { SnapshotBrowser } from '../snapshot/browser.js';
import type { BrowseEntry } from '../snapshot/browse-index.js';

export type PreviewAction = 'add' | 'change' | 'delete';
export const PREVIEW_ACTIONS: readonly PreviewAction[] = ['add', 'change', 'delete'];

/** One place a restore writes, as the customer knows it. */
export interface PreviewArea {
  /** The group it is shown under when browsing (Web files, Email, SSL, Configuration). */
  group: Exclude<RootGroup, 'db'>;
  /** area: a directory (web root, Maildir); filters: a mailbox's Sieve scripts; file: one file. */
  part: 'area' | 'filters' | 'file';
  /** The mailbox's address, or the file's path in the group (`robots.txt`). */
  name?: string;
  /** replace: the area equals the snapshot afterwards; keep-newer: nothing is deleted. */
  mode: 'replace' | 'keep-newer';
  add: number;
  change: number;
  delete: number;
  unchanged: number;
  /** Bytes of what is added and changed (the snapshot's sizes). */
  bytes: number;
}

export interface PreviewItem {
  action: PreviewAction;
  /** Index into the preview's areas. */
  area: number;
  /** Relative to the area (`wp-content/index.php`); empty for a file area (the file itself). */
  path: string;
  /** In the snapshot (add, change); absent for a deletion. */
  size?: number;
}

export interface RestorePreview {
  method: 'dry-run' | 'index';
  areas: PreviewArea[];
  /** Databases the restore replaces, each as a whole. */
  databases: string[];
  items: PreviewItem[];
}

export interface PreviewDeps {
  restic: Restic;
  browser: Pick<SnapshotBrowser, 'open' | 'below' | 'stat'>;
}

/** An area of the plan: where it is live and in the snapshot (the same absolute path). */
interface PlannedArea extends Omit<
  PreviewArea,
  'add' | 'change' | 'delete' | 'unchanged' | 'bytes'
> {
  path: string;
  kind: 'dir' | 'file';
}

/** Computes the preview of `request` (the restore request the job would get, minus its job id). */
export async function previewRestore(
  deps: PreviewDeps,
  repo: RepositoryLocation,
  request: Omit<AgentRestoreRequest, 'jobId' | 'repository'>,
  opts: OperationOptions = {},
): Promise<RestorePreview> {
  const plan = planRestore(
    { contents: request.contents, roots: request.roots },
    request.customer,
    request,
  );
  const areas: PlannedArea[] = [];
  const databases: string[] = [];
  for (const part of plan.parts) {
    if (part.kind === 'web')
      areas.push({
        group: 'web',
        part: 'area',
        mode: 'replace',
        path: request.customer.webRoot,
        kind: 'dir',
      });
    else if (part.kind === 'databases') databases.push(...part.names);
    else if (part.kind === 'mail')
      for (const mailbox of part.mailboxes) {
        if (restoresMaildir(mailbox, request.roots))
          areas.push({
            group: 'mail',
            part: 'area',
            name: mailbox.address,
            mode: part.keepNewer ? 'keep-newer' : 'replace',
            path: mailbox.maildir,
            kind: 'dir',
          });
        if (mailbox.sieveDir && restoresSieve(mailbox, request.roots))
          areas.push({
            group: 'mail',
            part: 'filters',
            name: mailbox.address,
            mode: 'replace',
            path: mailbox.sieveDir,
            kind: 'dir',
          });
      }
    else areas.push(fileArea(part.path, request.roots));
  }
  const dryRun = deps.restic.features.restoreDryRun;
  const preview: RestorePreview = {
    method: dryRun ? 'dry-run' : 'index',
    areas: [],
    databases,
    items: [],
  };
  if (!dryRun && areas.length > 0) await deps.browser.open(repo, request.snapshotId, opts);
  for (const [index, area] of areas.entries()) {
    const counted: PreviewArea = {
      group: area.group,
      part: area.part,
      ...(area.name !== undefined ? { name: area.name } : {}),
      mode: area.mode,
      add: 0,
      change: 0,
      delete: 0,
      unchanged: 0,
      bytes: 0,
    };
    const note = (action: PreviewAction | 'unchanged', path: string, size?: number) => {
      if (action === 'unchanged') {
        counted.unchanged++;
        return;
      }
      counted[action]++;
      if (size !== undefined) counted.bytes += size;
      preview.items.push({ action, area: index, path, ...(size !== undefined ? { size } : {}) });
    };
    if (dryRun) await dryRunArea(deps.restic, repo, request.snapshotId, area, note, opts);
    else await compareArea(deps.browser, request.snapshotId, area, note);
    preview.areas.push(counted);
  }
  return preview;
}

/** A single file of the plan, under the group whose snapshot paths hold it. */
function fileArea(path: string, roots: SnapshotRoots): PlannedArea {
  for (const [group, paths] of Object.entries(roots) as [RootGroup, string[]][]) {
    if (group === 'db') continue;
    for (const root of paths ?? [])
      if (path === root || path.startsWith(`${root}/`))
        return {
          group,
          part: 'file',
          // A root that is the file itself (a certificate) shows by its name.
          name: path === root ? basename(path) : relative(root, path),
          mode: 'replace',
          path,
          kind: 'file',
        };
  }
  return { group: 'web', part: 'file', name: basename(path), mode: 'replace', path, kind: 'file' };
}

type Note = (action: PreviewAction | 'unchanged', path: string, size?: number) => void;

/**
 * restic 0.17+: the dry run of the area's folder against the live one. restic lists directories
 * too (after their contents, as `restored` when only their metadata is set again): an item that
 * holds others, or that is a directory live, is not counted.
 */
async function dryRunArea(
  restic: Restic,
  repo: RepositoryLocation,
  snapshotId: string,
  area: PlannedArea,
  note: Note,
  opts: OperationOptions,
): Promise<void> {
  const folder = area.kind === 'dir' ? area.path : dirname(area.path);
  // Not a real directory at its own path: compared with an empty directory (all added).
  const empty = (await isCanonicalDir(folder))
    ? undefined
    : await mkdtemp(join(tmpdir(), 'hv-preview-'));
  try {
    await dryRunInto(restic, repo, snapshotId, area, folder, empty ?? folder, note, opts);
  } finally {
    if (empty) await rm(empty, { recursive: true, force: true });
  }
}

async function dryRunInto(
  restic: Restic,
  repo: RepositoryLocation,
  snapshotId: string,
  area: PlannedArea,
  folder: string,
  target: string,
  note: Note,
  opts: OperationOptions,
): Promise<void> {
  const items: { action: string; path: string; size: number }[] = [];
  const parents = new Set<string>();
  await restic.restoreDryRun(repo, snapshotId, {
    ...opts,
    folder,
    target,
    // A file restore touches that file only; an area in replace mode ends equal to the snapshot.
    delete: area.kind === 'dir' && area.mode === 'replace',
    ...(area.kind === 'file' ? { include: [`/${basename(area.path)}`] } : {}),
    onItem: (item) => {
      // Deleted items come as absolute paths in the target, the others relative to the folder.
      const path =
        item.action === 'deleted' ? relative(target, item.item) : item.item.replace(/^\/+/, '');
      if (path.startsWith('..') || path === '') return;
      items.push({ action: item.action, path, size: item.size });
      for (let p = dirname(path); p !== '.' && p !== '/' && !parents.has(p); p = dirname(p))
        parents.add(p);
    },
  });
  for (const item of items) {
    if (parents.has(item.path)) continue;
    if (area.kind === 'file' && item.path !== basename(area.path)) continue;
    const live = await lstat(join(target, item.path)).catch(() => undefined);
    if (live?.isDirectory() && item.action !== 'updated') continue;
    const shown = area.kind === 'file' ? '' : item.path;
    if (item.action === 'deleted') note('delete', shown);
    else if (item.action === 'unchanged') note('unchanged', shown);
    else note(live ? 'change' : 'add', shown, item.size);
  }
}

/** restic 0.14: the browse index of the snapshot against a walk of the live area. */
async function compareArea(
  browser: PreviewDeps['browser'],
  snapshotId: string,
  area: PlannedArea,
  note: Note,
): Promise<void> {
  if (area.kind === 'file') {
    const entry = browser.stat(snapshotId, area.path);
    if (!entry || entry.type === 'dir') return;
    const live = (await isCanonicalDir(dirname(area.path)))
      ? await liveEntry(area.path)
      : undefined;
    if (!live) note('add', '', entry.size);
    else note((await same(entry, live, area.path)) ? 'unchanged' : 'change', '', entry.size);
    return;
  }
  const snapshot = new Map<string, BrowseEntry>();
  for (const entry of browser.below(snapshotId, area.path)) snapshot.set(entry.path, entry);
  const seen = new Set<string>();
  for await (const [path, live] of walk(area.path)) {
    const entry = snapshot.get(path);
    if (!entry) {
      if (area.mode === 'replace') note('delete', path);
      continue;
    }
    seen.add(path);
    note(
      (await same(entry, live, join(area.path, path))) ? 'unchanged' : 'change',
      path,
      entry.size,
    );
  }
  for (const [path, entry] of snapshot) if (!seen.has(path)) note('add', path, entry.size);
}

interface LiveEntry {
  type: BrowseEntry['type'];
  size: bigint;
  mtimeNs: bigint;
}

async function liveEntry(path: string): Promise<LiveEntry | undefined> {
  const stat = await lstat(path, { bigint: true }).catch(() => undefined);
  if (!stat) return undefined;
  const type: BrowseEntry['type'] = stat.isFile()
    ? 'file'
    : stat.isDirectory()
      ? 'dir'
      : stat.isSymbolicLink()
        ? 'symlink'
        : stat.isFIFO()
          ? 'fifo'
          : stat.isSocket()
            ? 'socket'
            : stat.isCharacterDevice()
              ? 'chardev'
              : 'dev';
  return { type, size: stat.size, mtimeNs: stat.mtimeNs };
}

/** Every entry below `root` that is not a directory, relative to it; symlinks are not followed. */
async function* walk(root: string): AsyncGenerator<[string, LiveEntry]> {
  if (!(await isCanonicalDir(root))) return;
  const stack = [''];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const names = await readdir(join(root, dir)).catch(() => [] as string[]);
    for (const name of names) {
      const rel = dir ? `${dir}/${name}` : name;
      const entry = await liveEntry(join(root, rel));
      if (!entry) continue;
      if (entry.type === 'dir') stack.push(rel);
      else yield [rel, entry];
    }
  }
}

/** A directory at `path` itself: no symlink in the path, not one at its end. */
async function isCanonicalDir(path: string): Promise<boolean> {
  const real = await realpath(path).catch(() => undefined);
  if (real !== path) return false;
  return (await lstat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** As restic decides whether to write a file again: type, size and mtime; a link by its target. */
async function same(entry: BrowseEntry, live: LiveEntry, livePath: string): Promise<boolean> {
  if (entry.type !== live.type) return false;
  if (entry.type === 'symlink')
    return (await readlink(livePath).catch(() => undefined)) === entry.linkTarget;
  if (entry.type !== 'file') return true;
  if (BigInt(entry.size ?? 0) !== live.size) return false;
  const ns = entry.mtime ? mtimeNs(entry.mtime) : undefined;
  return ns === live.mtimeNs;
}

/** restic's RFC 3339 time with up to nine fraction digits, in nanoseconds since the epoch. */
export function mtimeNs(text: string): bigint | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/**
 * Previews computed recently, by request: the customer pages through the lists of one preview,
 * and each page must not walk the area again. Few and short-lived; what changes live meanwhile
 * shows when the dialog is opened again.
 */
export class PreviewCache {
  private readonly entries = new Map<string, { at: number; preview: Promise<RestorePreview> }>();

  constructor(
    private readonly ttlMs = 120_000,
    private readonly max = 8,
  ) {}

  get(key: string, compute: () => Promise<RestorePreview>): Promise<RestorePreview> {
    const now = Date.now();
    for (const [k, e] of this.entries) if (now - e.at > this.ttlMs) this.entries.delete(k);
    const found = this.entries.get(key);
    if (found) return found.preview;
    const preview = compute();
    this.entries.set(key, { at: now, preview });
    // A failed preview is not kept: asking again tries again.
    preview.catch(() => this.entries.delete(key));
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return preview;
  }
}

/** One page of one list of a preview. */
export function previewPage(
  preview: RestorePreview,
  action: PreviewAction,
  offset: number,
  limit: number,
): {
  action: PreviewAction;
  offset: number;
  limit: number;
  total: number;
  items: Omit<PreviewItem, 'action'>[];
} {
  const list = preview.items.filter((i) => i.action === action);
  return {
    action,
    offset,
    limit,
    total: list.length,
    items: list.slice(offset, offset + limit).map(({ action: _, ...rest }) => rest),
  };
}
