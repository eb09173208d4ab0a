/**
 * The repository-wide tasks of issue 14 that the agent runs under the repository's mutex (see
 * `maintainRequestSchema`): a schedule's second copy, removing a path from all of a customer's
 * snapshots, and purging a terminated customer's repository.
 */
import { readdir, rm } from 'node:fs/promises';
import type { Restic, RepositoryLocation, OperationOptions } from '../engine/index.js';
import { streamedDumps, tag } from '../scope/scope.js';
import { isHeld } from './held.js';

type Run = Pick<OperationOptions, 'signal' | 'onLog'>;

/** A backup's copy in the second repository. */
export interface CopiedSnapshot {
  id: string;
  /** The first repository's snapshot it copies. */
  original: string;
  time: string;
}

/**
 * Copies backups (each with the snapshots of its streamed dumps, which its `dump=` tags name)
 * into the second repository, then applies the copy's own retention there (the copy keeps as many
 * as its schedule says, not as many as the first target). Returns the second repository's
 * backups of the retention's tags afterwards, dumps left out.
 */
export async function copySnapshots(
  restic: Restic,
  from: RepositoryLocation,
  to: RepositoryLocation,
  opts: Run & {
    snapshotIds: string[];
    retention: { tags: string[]; keepLast: number };
    /** Held copies (src/repository/snapshot-holds.ts): kept, and not counted toward keepLast. */
    held?: readonly string[];
  },
): Promise<CopiedSnapshot[]> {
  // Backup summaries of 0.14 give short ids, and the dumps are named only in the tags.
  const listed = await restic.snapshots(from, { ids: opts.snapshotIds, signal: opts.signal });
  const ids = listed.flatMap((s) => [s.id, ...streamedDumps(s.tags).values()]);
  opts.onLog?.(`Copying ${listed.length} backup(s) to the second target (${ids.length} snapshots)`);
  await restic.copy(from, to, { snapshotIds: ids, signal: opts.signal, onLog: opts.onLog });
  const isDump = (tags: readonly string[]) => tags.some((t) => t.startsWith('database='));
  await renameDumps(restic, to, opts.retention.tags, isDump, opts);
  let backups = (await restic.snapshots(to, { tags: opts.retention.tags, signal: opts.signal }))
    .filter((s) => !isDump(s.tags))
    .sort((a, b) => b.time.localeCompare(a.time));
  // As the first target's retention does (backup-groups.ts): a held copy stays beyond the
  // policy and does not count toward it, with the copies of its dumps.
  const held = opts.held ?? [];
  const drop = backups.filter((s) => !isHeld(s.id, held)).slice(opts.retention.keepLast);
  if (held.length > 0 && backups.length - drop.length > opts.retention.keepLast)
    opts.onLog?.(
      `${backups.length - drop.length - opts.retention.keepLast} held copy snapshot(s) are kept beyond the retention`,
    );
  if (drop.length > 0 && !to.appendOnly) {
    // Each with the copies of its dumps, which its tags name (renameDumps).
    const all = await restic.snapshots(to, { tags: opts.retention.tags, signal: opts.signal });
    const named = drop.flatMap((s) => [...streamedDumps(s.tags).values()]);
    const dumps = all.filter((s) => isDump(s.tags) && named.some((n) => s.id.startsWith(n)));
    opts.onLog?.(`The second copy keeps ${opts.retention.keepLast}; forgetting ${drop.length}`);
    await restic.forgetIds(
      to,
      [...drop, ...dumps].map((s) => s.id),
      {
        signal: opts.signal,
        onLog: opts.onLog,
      },
    );
    backups = backups.filter((s) => !drop.includes(s));
  }
  return backups.map((s) => ({ id: s.id, original: s.original ?? s.id, time: s.time }));
}

/**
 * A copied backup still names its dumps' snapshots by their ids in the first repository
 * (`dump=<db>@<id>`), and every reader (browse, download, restore, drill) follows that tag: each
 * copied backup whose tag names no snapshot of the second repository is retagged to name the
 * copy of that dump (found by its `original`), all of its tags in one `restic tag`.
 */
async function renameDumps(
  restic: Restic,
  to: RepositoryLocation,
  tags: string[],
  isDump: (tags: readonly string[]) => boolean,
  opts: Run,
): Promise<void> {
  const all = await restic.snapshots(to, { tags, signal: opts.signal });
  const here = (id: string) => all.some((s) => s.id.startsWith(id));
  for (const backup of all.filter((s) => !isDump(s.tags))) {
    const remove: string[] = [];
    const add: string[] = [];
    for (const [database, part] of streamedDumps(backup.tags)) {
      if (here(part)) continue;
      const copy = all.find((s) => isDump(s.tags) && (s.original ?? '').startsWith(part));
      if (!copy) continue;
      remove.push(tag.dump(database, part));
      add.push(tag.dump(database, copy.id));
    }
    if (add.length > 0)
      await restic.retag(to, backup.id, { add, remove, signal: opts.signal, onLog: opts.onLog });
  }
}

/**
 * Removes the paths from every snapshot of the customer that is not held, and prunes, so the
 * content is gone from the repository and not only from the listings. restic writes each changed
 * snapshot anew (a new id; `original` names the first one) and forgets the old; returns each
 * change as the id before and after, for the control plane's records.
 */
export async function purgePaths(
  restic: Restic,
  repo: RepositoryLocation,
  opts: Run & { customerId: string; excludes: string[]; held: string[] },
): Promise<{ from: string; to: string }[]> {
  const tags = [tag.customer(opts.customerId)];
  const before = await restic.snapshots(repo, { tags, signal: opts.signal });
  const open = before.filter((s) => !isHeld(s.id, opts.held));
  if (open.length < before.length)
    opts.onLog?.(`${before.length - open.length} held snapshot(s) are left as they are`);
  if (open.length === 0) return [];
  // By id, so a held snapshot of the same customer is not rewritten.
  await restic.rewrite(repo, {
    tags,
    ids: open.map((s) => s.id),
    excludes: opts.excludes.map(escapePattern),
    signal: opts.signal,
    onLog: opts.onLog,
  });
  const after = await restic.snapshots(repo, { tags, signal: opts.signal });
  const stayed = new Set(after.map((s) => s.id));
  const renamed: { from: string; to: string }[] = [];
  for (const old of open) {
    if (stayed.has(old.id)) continue;
    // restic 0.18 names the rewritten snapshot as `original` of the new one, also when it was
    // itself a copy (whose `original` named the first repository's snapshot): either is matched.
    const names = [old.id, ...(old.original ? [old.original] : [])];
    const next = after.find(
      (s) =>
        s.original !== undefined &&
        names.includes(s.original) &&
        !before.some((b) => b.id === s.id),
    );
    if (next) renamed.push({ from: old.id, to: next.id });
  }
  opts.onLog?.(`Rewrote ${renamed.length} snapshot(s) without the path`);
  opts.onLog?.('Pruning the data no snapshot references any more');
  await restic.prune(repo, { signal: opts.signal, onLog: opts.onLog, maxUnused: '0' });
  return renamed;
}

/**
 * restic's excludes are patterns (`*`, `?`, `[…]`, `\`): a file really named `a*b.txt` must not
 * take its neighbours with it.
 */
export function escapePattern(path: string): string {
  return path.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/**
 * Forgets every snapshot of the customer that is not held and prunes. On a local target whose
 * repository then holds no snapshot at all, the directory goes too (S3 and FTP keep restic's
 * empty structure: restic has no command that deletes a repository, and a bucket's objects are
 * the provider's to lifecycle). Returns what was forgotten and whether the directory is gone.
 */
export async function purgeCustomer(
  restic: Restic,
  repo: RepositoryLocation,
  opts: Run & { customerId: string; held: string[]; localPath?: string },
): Promise<{ forgotten: string[]; removed: boolean }> {
  const list = await restic.snapshots(repo, {
    tags: [tag.customer(opts.customerId)],
    signal: opts.signal,
  });
  const keep = list.filter((s) => isHeld(s.id, opts.held));
  const named = keep.flatMap((s) => [...streamedDumps(s.tags).values()]);
  const ids = list.filter((s) => !keep.includes(s) && !isHeld(s.id, named)).map((s) => s.id);
  opts.onLog?.(`Forgetting ${ids.length} snapshot(s); ${keep.length} held`);
  await restic.forgetIds(repo, ids, { signal: opts.signal, onLog: opts.onLog });
  await restic.prune(repo, { signal: opts.signal, onLog: opts.onLog, maxUnused: '0' });
  const left = await restic.snapshots(repo, { signal: opts.signal });
  if (!opts.localPath || left.length > 0) return { forgotten: ids, removed: false };
  // Only a directory that is a restic repository is removed (a config file and the usual
  // folders), never a path that merely happens to be there.
  const names = new Set(await readdir(opts.localPath));
  if (!names.has('config') || !names.has('keys') || !names.has('data'))
    return { forgotten: ids, removed: false };
  await rm(opts.localPath, { recursive: true, force: true });
  opts.onLog?.(`Removed the repository ${opts.localPath}`);
  return { forgotten: ids, removed: true };
}
