/**
 * The steps after the commit point, shared by a running restore and by recovery after a crash.
 * Each step can be repeated: what is already done is recognized by inode (dev/ino) or by the
 * absence of what it moves, so rolling forward after `kill -9` at any point converges on the
 * same result as an uninterrupted run.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, readdir, rmdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from './errors.js';
import type { AreaJournal } from './journal.js';
import { basename, dirname } from './paths.js';
import { Dir, ignoreMissing, renameAt, sameEntry, withDir } from './safe-fs.js';
import { noteMtime, readMtime, restoreMtime, setTimes } from './times.js';

export interface MergeStats {
  /** Entries (files, symlinks, whole directories) moved from the snapshot into the area. */
  restored: number;
  /** Messages not restored because the mailbox has them under other flags (Maildir mode). */
  skipped: number;
  /** Live entries of the wrong type moved aside (a directory where the snapshot has a file). */
  displaced: number;
}

export interface SwapContext {
  journal: AreaJournal;
  /** The area's parent directory, opened without following symlinks and checked by inode. */
  parent: Dir;
  log: (line: string) => void;
  step?: (step: 'moved-old' | 'swapped' | 'merge-entry') => Promise<void>;
}

export function stagedPath(journal: AreaJournal): string {
  return `${journal.staging}/tree${journal.area}`;
}

/** Where the mtime of the area's (or file's) parent is noted before the first rename in it. */
export function parentMtimeRecord(staging: string): string {
  return join(staging, 'mtime-of-live-parent.json');
}

const RACE_CODES = new Set(['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR']);

/** Moves whatever is at `name` into the staging directory's `old`, under a fresh name. */
async function displace(from: Dir, name: string, old: Dir, wanted = ''): Promise<string> {
  const target = wanted || `displaced-${randomBytes(6).toString('hex')}`;
  await renameAt(from, name, old, target);
  return target;
}

/**
 * replace: the live area goes into `<staging>/old/area`, the staged tree takes its name. A live
 * entry the customer swapped in meanwhile (a symlink, a new directory) is moved aside the same
 * way: rename(2) moves the entry itself and never what a symlink points to.
 */
export async function finishReplace(ctx: SwapContext): Promise<void> {
  const { journal, parent } = ctx;
  const name = basename(journal.area);
  const staged = stagedPath(journal);
  const parentMtime = await noteMtime(parent, parentMtimeRecord(journal.staging));
  await withDir(await Dir.open(join(journal.staging, 'old')), async (old) => {
    await withDir(await Dir.open(dirname(staged)), async (stagedParent) => {
      for (let attempt = 0; ; attempt++) {
        const current = await parent.lstat(name);
        if (current && sameEntry(current, journal.staged)) break; // swapped already
        const stagedNow = await stagedParent.lstat(name);
        if (!stagedNow || !sameEntry(stagedNow, journal.staged)) {
          // Swapped, and the customer has renamed the restored area since: nothing left to do.
          ctx.log(`staged tree of ${journal.area} is no longer in staging; nothing to swap`);
          break;
        }
        if (current) {
          const isOld = sameEntry(current, journal.areaBefore);
          const oldName = await displace(parent, name, old, isOld && attempt === 0 ? 'area' : '');
          if (!isOld)
            ctx.log(`moved aside ${journal.area} (changed during the restore) as ${oldName}`);
          await ctx.step?.('moved-old');
        }
        try {
          await renameAt(stagedParent, name, parent, name);
        } catch (error) {
          // The customer created something at the area's name between the two renames.
          if (RACE_CODES.has(errorCode(error) ?? '') && attempt < 5) continue;
          throw error;
        }
        await ctx.step?.('swapped');
        break;
      }
      await restoreMtime(parent, parentMtime);
      await parent.sync();
    });
  });
}

/** Best effort after a failed swap in a running restore: puts the old tree back. */
export async function undoReplace(ctx: SwapContext): Promise<boolean> {
  const { journal, parent } = ctx;
  const name = basename(journal.area);
  if (await parent.lstat(name)) return false;
  return withDir(await Dir.open(join(journal.staging, 'old')), async (old) => {
    const st = await old.lstat('area');
    if (!st || !sameEntry(st, journal.areaBefore)) return false;
    await renameAt(old, 'area', parent, name);
    await restoreMtime(parent, await readMtime(parentMtimeRecord(journal.staging), parent.id));
    await parent.sync();
    return true;
  });
}

interface DirMeta {
  uid: number;
  gid: number;
  mode: number;
  /** Nanoseconds as text (JSON has no bigint). */
  atimeNs: string;
  mtimeNs: string;
}

/**
 * keep-newer moves entries out of the staged directories, which changes their mtimes; the
 * snapshot's directory metadata is saved before the commit so a resumed merge still applies it.
 */
export async function saveDirMetadata(journal: AreaJournal): Promise<void> {
  const root = stagedPath(journal);
  const meta: Record<string, DirMeta> = {};
  async function walk(rel: string): Promise<void> {
    const full = rel ? join(root, rel) : root;
    const st = await lstat(full, { bigint: true });
    meta[rel] = {
      uid: Number(st.uid),
      gid: Number(st.gid),
      mode: Number(st.mode) & 0o7777,
      atimeNs: String(st.atimeNs),
      mtimeNs: String(st.mtimeNs),
    };
    for (const entry of await readdir(full, { withFileTypes: true }))
      if (entry.isDirectory()) await walk(rel ? `${rel}/${entry.name}` : entry.name);
  }
  await walk('');
  const handle = await open(
    join(journal.staging, 'dirs.json'),
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await handle.writeFile(JSON.stringify(meta));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function loadDirMetadata(journal: AreaJournal): Promise<Record<string, DirMeta>> {
  const meta = JSON.parse(await readFile(join(journal.staging, 'dirs.json'), 'utf8')) as Record<
    string,
    DirMeta & { atimeMs?: number; mtimeMs?: number }
  >;
  // Written by a version that kept milliseconds, before an upgrade interrupted its merge.
  for (const entry of Object.values(meta)) {
    entry.atimeNs ??= String(BigInt(Math.round((entry.atimeMs ?? 0) * 1e6)));
    entry.mtimeNs ??= String(BigInt(Math.round((entry.mtimeMs ?? 0) * 1e6)));
  }
  return meta;
}

async function applyMeta(dir: Dir, meta: DirMeta | undefined): Promise<void> {
  if (!meta) return;
  await dir.applyOwnership(meta);
  await setTimes(dir, undefined, { atimeNs: BigInt(meta.atimeNs), mtimeNs: BigInt(meta.mtimeNs) });
}

interface MergeRun extends SwapContext {
  old: Dir;
  meta: Record<string, DirMeta>;
  stats: MergeStats;
  maildir: boolean;
}

/**
 * keep-newer: every entry of the staged tree is renamed into the live area, one by one, over
 * the live entry of the same name (an atomic replace); live entries that are not in the
 * snapshot stay. Directories present on both sides are merged recursively, through descriptors
 * opened with O_NOFOLLOW, so a directory the customer replaces by a symlink is never entered.
 */
export async function finishMerge(ctx: SwapContext): Promise<MergeStats> {
  const { journal, parent } = ctx;
  const name = basename(journal.area);
  const staged = stagedPath(journal);
  const run: MergeRun = {
    ...ctx,
    old: await Dir.open(join(journal.staging, 'old')),
    meta: await loadDirMetadata(journal),
    stats: { restored: 0, skipped: 0, displaced: 0 },
    maildir: journal.maildir,
  };
  try {
    // Renames happen in the parent only when the area itself is missing or of another type.
    const parentMtime = await noteMtime(parent, parentMtimeRecord(journal.staging));
    await withDir(await Dir.open(dirname(staged)), async (stagedParent) => {
      // Absent when merged completely before (recovery after a crash at the very end).
      if (await stagedParent.lstat(name))
        await mergeEntry(run, stagedParent, parent, name, '', undefined);
    });
    await restoreMtime(parent, parentMtime);
    await parent.sync();
  } finally {
    await run.old.close();
  }
  return run.stats;
}

/** Merges the staged entry `name` of `from` into `into`; `rel` is its path inside the area. */
async function mergeEntry(
  run: MergeRun,
  from: Dir,
  into: Dir,
  name: string,
  rel: string,
  mailIds: Set<string> | undefined,
): Promise<void> {
  await run.step?.('merge-entry');
  const staged = await from.lstat(name);
  if (!staged) return;
  let live = await into.lstat(name);

  if (staged.isDirectory() && live?.isDirectory()) {
    let liveDir: Dir | undefined;
    try {
      liveDir = await into.openChild(name);
    } catch (error) {
      // Replaced by a symlink or a file since the lstat: handled as a type change below.
      if (!['ELOOP', 'ENOTDIR', 'ENOENT'].includes(errorCode(error) ?? '')) throw error;
      live = await into.lstat(name);
    }
    if (liveDir) {
      await withDir(liveDir, async (liveDir) => {
        await withDir(await from.openChild(name), async (stagedDir) => {
          const names = await stagedDir.list();
          // Inside cur/ or new/, the folder's message ids; in a folder, computed for cur and new.
          const folderIds = !mailIds && run.maildir ? await maildirIds(liveDir, names) : undefined;
          for (const child of names.sort()) {
            const childRel = rel ? `${rel}/${child}` : child;
            const ids = mailIds ?? childMail(folderIds, child);
            await mergeEntry(run, stagedDir, liveDir, child, childRel, ids);
          }
        });
        await applyMeta(liveDir, run.meta[rel]);
      });
      // Empty unless Maildir duplicates were skipped; those go with the staging directory.
      await rmdir(from.at(name)).catch((error: unknown) => {
        if (errorCode(error) !== 'ENOTEMPTY') ignoreMissing(error);
      });
      return;
    }
  }

  if (mailIds && !live && staged.isFile() && mailIds.has(messageId(name))) {
    run.stats.skipped++;
    return;
  }

  for (let attempt = 0; ; attempt++) {
    if (live && (live.isDirectory() || staged.isDirectory())) {
      // A type change (or a directory on both sides that could not be entered): the snapshot's
      // entry wins; the live one goes into the old tree, removed with the staging directory.
      const moved = await displace(into, name, run.old);
      run.log(`moved aside ${into.pathOf(name)} (type differs from the snapshot) as ${moved}`);
      run.stats.displaced++;
    }
    try {
      await renameAt(from, name, into, name);
      run.stats.restored++;
      return;
    } catch (error) {
      if (!RACE_CODES.has(errorCode(error) ?? '') || attempt >= 5) throw error;
      live = await into.lstat(name);
    }
  }
}

/** In a Maildir folder (a directory with cur/ and new/), the ids of the messages it has now. */
async function maildirIds(live: Dir, stagedNames: string[]): Promise<Set<string> | undefined> {
  if (!stagedNames.includes('cur') && !stagedNames.includes('new')) return undefined;
  const ids = new Set<string>();
  for (const sub of ['cur', 'new']) {
    const st = await live.lstat(sub);
    if (!st?.isDirectory()) continue;
    try {
      await withDir(await live.openChild(sub), async (dir) => {
        for (const entry of await dir.list()) ids.add(messageId(entry));
      });
    } catch (error) {
      if (!['ELOOP', 'ENOTDIR', 'ENOENT'].includes(errorCode(error) ?? '')) throw error;
    }
  }
  return ids;
}

function childMail(ids: Set<string> | undefined, child: string): Set<string> | undefined {
  return ids && (child === 'cur' || child === 'new') ? ids : undefined;
}

/** A Maildir message's unique name: its file name without the `:2,FLAGS` info. */
function messageId(fileName: string): string {
  const colon = fileName.indexOf(':');
  return colon < 0 ? fileName : fileName.slice(0, colon);
}
