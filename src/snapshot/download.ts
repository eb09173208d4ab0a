/**
 * Downloads straight out of a snapshot, never through the disk: one file as its bytes, a
 * directory as tar.gz (`restic dump --archive tar`, put right by archive.ts, through gzip). Only
 * paths inside the customer's roots are served. A symbolic link, a named pipe or a device file
 * has no bytes of its own: asked for one of them, the answer says what it is (and where a link
 * points) instead; links are never followed.
 *
 * A download that fails half way destroys the destination with the error instead of ending it,
 * so a browser or client sees an aborted transfer, never a truncated file that looks complete.
 * When the destination goes away (the customer closed the page), restic is stopped.
 */
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { OperationOptions, RepositoryLocation, Restic } from '../engine/index.js';
import { renameArchiveEntries } from './archive-names.js';
import { ArchiveFixer, END_OF_ARCHIVE, SPECIAL_WORDS, entryHeader, padding } from './archive.js';
import type { BrowseEntry, EntryType } from './browse-index.js';
import type { SnapshotBrowser } from './browser.js';
import { BrowseError } from './errors.js';
import { isServiceFile, type FriendlyRoots } from '../scope/labels.js';
import { streamedDumps } from '../scope/scope.js';
import {
  assertWithinRoots,
  baseName,
  isWithin,
  joinPath,
  normalizePath,
  parentOf,
} from './paths.js';

export interface DownloadOptions extends OperationOptions {
  /** The customer's areas; a path outside all of them is refused. */
  roots: FriendlyRoots;
  /** With the snapshot open there, the path is checked without starting restic for it. */
  browser?: SnapshotBrowser;
  /** gzip level for directories (default 6). */
  level?: number;
  /**
   * The folder's name inside a directory's archive, as the customer knows it (default: its
   * name in the snapshot); see archive-names.ts.
   */
  archiveName?: string;
}

/** Streams one regular file of a snapshot into `out`, then ends `out`. */
export async function downloadFile(
  restic: Restic,
  repo: RepositoryLocation,
  snapshotId: string,
  path: string,
  out: Writable,
  opts: DownloadOptions,
): Promise<void> {
  const clean = assertWithinRoots(opts.roots, path);
  // A dump streamed by restic 0.17+ is read from its own snapshot.
  const streamed = (await streamedDumpsIn(restic, repo, snapshotId, parentOf(clean), opts)).find(
    (d) => d.entry.path === clean,
  );
  const entry = streamed?.entry ?? (await entryAt(restic, repo, snapshotId, clean, opts));
  await checkDownloadable(restic, repo, snapshotId, entry, clean, { signal: opts.signal });
  if (entry.type !== 'file')
    throw new BrowseError('not-a-file', `${clean} is a folder; download it as a tar.gz archive.`);
  if (streamed) await dumpInto(restic, repo, streamed.snapshotId, streamed.source, out, opts);
  else await dumpInto(restic, repo, snapshotId, clean, out, opts);
  out.end();
  await finished(out);
}

/** Streams a directory of a snapshot into `out` as a tar.gz archive, then ends `out`. */
export async function downloadDirectory(
  restic: Restic,
  repo: RepositoryLocation,
  snapshotId: string,
  path: string,
  out: Writable,
  opts: DownloadOptions,
): Promise<void> {
  const clean = assertWithinRoots(opts.roots, path);
  const entry = await entryAt(restic, repo, snapshotId, clean, opts);
  if (entry.type !== 'dir')
    throw new BrowseError('not-a-directory', `${clean} is a ${entry.type}, not a directory.`);
  const shownAs = opts.archiveName || baseName(clean) || 'snapshot';
  const streamed = await streamedDumpsIn(restic, repo, snapshotId, clean, opts);
  if (streamed.length > 0) return archiveOfDumps(restic, repo, shownAs, streamed, out, opts);
  const specials = await specialsUnder(restic, repo, snapshotId, clean, opts);
  const inDumps = (opts.roots.db ?? []).some((root) => isWithin(root, clean));
  const names = renameArchiveEntries(
    clean,
    shownAs,
    (name) => inDumps && isServiceFile('db', name),
  );
  const gzip = createGzip({ level: opts.level ?? 6 });
  // Only a folder holding pipes or device files needs its tar put right, before the renaming
  // (the fixer knows the entries by their paths in the snapshot).
  const fixer = specials.size ? new ArchiveFixer(specials, clean, shownAs) : undefined;
  const head = fixer ?? names;
  const delivered = fixer ? pipeline(fixer, names, gzip, out) : pipeline(names, gzip, out);
  try {
    await dumpInto(restic, repo, snapshotId, clean, head, { ...opts, archive: 'tar' });
  } catch (error) {
    head.destroy(error as Error);
    await delivered.catch(() => undefined);
    throw error;
  }
  head.end();
  await delivered;
}

/** A dump streamed into a snapshot of its own, as the folder that holds it in a backup lists it. */
interface StreamedFile {
  /** As the backup's folder lists it (path, size, time). */
  entry: BrowseEntry;
  /** Where its bytes are: the dump's own snapshot, and its path there. */
  snapshotId: string;
  source: string;
}

/**
 * The dumps that a backup made with restic 0.17+ streamed into snapshots of their own and that
 * folder `dir` of the backup holds (src/host/backup-groups.ts); none for a staged backup. From
 * the browse index where it is built; otherwise from the backup's tags (only the database
 * staging directory holds any), at one listing per dump.
 */
async function streamedDumpsIn(
  restic: Restic,
  repo: RepositoryLocation,
  snapshotId: string,
  dir: string,
  opts: DownloadOptions,
): Promise<StreamedFile[]> {
  const { browser } = opts;
  if (browser?.isOpen(snapshotId))
    return browser.streamedDumpsIn(snapshotId, dir).flatMap((d) => {
      const entry = browser.stat(snapshotId, d.path);
      return entry ? [{ entry, snapshotId: d.snapshotId, source: d.source }] : [];
    });
  if (!(opts.roots.db ?? []).some((root) => normalizePath(root) === dir)) return [];
  const [snapshot] = await restic.snapshots(repo, { ids: [snapshotId], signal: opts.signal });
  const found: StreamedFile[] = [];
  for (const [database, partId] of streamedDumps(snapshot?.tags ?? [])) {
    const name = `${database}.sql`;
    const nodes = await restic.list(repo, partId, '/', { signal: opts.signal });
    const node = nodes.find((n) => n.name === name && n.type === 'file');
    if (!node)
      throw new BrowseError(
        'not-found',
        `The dump of database ${database} is missing from this backup.`,
      );
    found.push({
      entry: { ...node, path: joinPath(dir, name) },
      snapshotId: partId,
      source: `/${name}`,
    });
  }
  return found;
}

/**
 * The tar.gz of the database folder of a backup whose dumps were streamed: the folder holds
 * nothing else a customer sees (its checksum records are the service's), so the archive is
 * written here, each dump's bytes straight from its own snapshot, named as in a staged one
 * (`Databases/shop.sql`; like restic's, without an entry of the folder itself).
 */
async function archiveOfDumps(
  restic: Restic,
  repo: RepositoryLocation,
  shownAs: string,
  dumps: StreamedFile[],
  out: Writable,
  opts: DownloadOptions,
): Promise<void> {
  const gzip = createGzip({ level: opts.level ?? 6 });
  const delivered = pipeline(gzip, out);
  try {
    const sorted = [...dumps].sort((a, b) => (a.entry.name < b.entry.name ? -1 : 1));
    for (const dump of sorted) {
      const size = dump.entry.size ?? 0;
      gzip.write(entryHeader(`${shownAs}/${dump.entry.name}`, '0', size, dump.entry));
      let written = 0;
      await dumpInto(restic, repo, dump.snapshotId, dump.source, gzip, {
        ...opts,
        counted: (n) => (written += n),
      });
      // The header promised `size` bytes: anything else would shift every entry after it.
      if (written !== size)
        throw new Error(
          `the dump of ${dump.entry.name} gave ${written} bytes where its snapshot lists ${size}`,
        );
      gzip.write(padding(size));
    }
    gzip.end(END_OF_ARCHIVE);
  } catch (error) {
    gzip.destroy(error as Error);
    await delivered.catch(() => undefined);
    throw error;
  }
  await delivered;
}

/**
 * Refuses what has no content of its own, in the customer's words; `shown` is the path as the
 * customer named it. Files and folders pass. A symlink's target comes from restic (one short
 * listing): the index has none to give.
 */
export async function checkDownloadable(
  restic: Restic,
  repo: RepositoryLocation,
  snapshotId: string,
  entry: BrowseEntry,
  shown: string,
  opts: OperationOptions = {},
): Promise<void> {
  if (entry.type === 'symlink' && entry.linkTarget === undefined) {
    const linkTarget = await restic
      .linkTarget(repo, snapshotId, entry.path, { timeoutMs: 60_000, ...opts })
      .catch(() => undefined);
    return refuseNoContent({ ...entry, linkTarget }, shown);
  }
  refuseNoContent(entry, shown);
}

function refuseNoContent(entry: BrowseEntry, shown: string): void {
  if (entry.type === 'file' || entry.type === 'dir') return;
  if (entry.type === 'symlink')
    throw new BrowseError(
      'no-content',
      `${shown} is a symbolic link${entry.linkTarget ? ` to ${entry.linkTarget}` : ''}; a link holds no content of its own. Download the folder that holds it to get the link itself, or download the file it points to.`,
    );
  const what = SPECIAL_WORDS[entry.type] ?? 'a special file';
  const why =
    entry.type === 'fifo'
      ? 'it passes data between running programs and'
      : entry.type === 'socket'
        ? 'it is where a running program takes connections and'
        : entry.type === 'irregular'
          ? 'it'
          : 'it stands for a device of the server and';
  throw new BrowseError(
    'no-content',
    `${shown} is ${what}: ${why} holds no content, so there is nothing to download.`,
  );
}

/** Pipes and device files below `dir`, from the browse index, or from restic without one. */
async function specialsUnder(
  restic: Restic,
  repo: RepositoryLocation,
  snapshotId: string,
  dir: string,
  opts: DownloadOptions,
): Promise<Map<string, EntryType>> {
  if (opts.browser?.isOpen(snapshotId)) return opts.browser.specials(snapshotId, dir);
  const found = new Map<string, EntryType>();
  const prefix = dir === '/' ? '/' : `${dir}/`;
  await restic.ls(repo, snapshotId, {
    signal: opts.signal,
    onNode: (node) => {
      if (node.path.startsWith(prefix) && !['file', 'dir', 'symlink'].includes(node.type))
        found.set(node.path, node.type);
    },
  });
  return found;
}

async function entryAt(
  restic: Restic,
  repo: RepositoryLocation,
  snapshotId: string,
  path: string,
  opts: DownloadOptions,
): Promise<BrowseEntry> {
  let entry: BrowseEntry | undefined;
  if (opts.browser?.isOpen(snapshotId)) {
    entry = opts.browser.stat(snapshotId, path);
  } else if (path === '/') {
    entry = { name: '/', type: 'dir', path };
  } else {
    // Not browsed yet: one listing of the parent, a repository open, still far less than a dump.
    const name = baseName(path);
    const nodes = await restic.list(repo, snapshotId, parentOf(path), { signal: opts.signal });
    entry = nodes.find((n) => n.name === name);
  }
  if (!entry) throw new BrowseError('not-found', `${path} does not exist in this snapshot.`);
  return entry;
}

/**
 * Runs `restic dump` into `dest` without ending it (restic closing its output is not yet
 * success: the exit code decides). Destroys `dest` when restic fails.
 */
async function dumpInto(
  restic: Restic,
  repo: RepositoryLocation,
  snapshotId: string,
  path: string,
  dest: Writable,
  opts: DownloadOptions & { archive?: 'tar'; counted?: (bytes: number) => void },
): Promise<void> {
  const stop = new AbortController();
  const onGone = (): void => stop.abort();
  const onAbort = (): void => stop.abort();
  dest.once('close', onGone);
  dest.once('error', onGone);
  if (opts.signal?.aborted) stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const forward = (chunk: Buffer, done: (error?: Error) => void): void => {
    if (dest.destroyed) return done(new Error('the download was closed'));
    opts.counted?.(chunk.length);
    if (chunk.length === 0 || dest.write(chunk)) return done();
    // Either drain or the destination going away releases the write.
    const settle = (): void => {
      dest.off('drain', settle);
      dest.off('close', settle);
      done(dest.destroyed ? new Error('the download was closed') : undefined);
    };
    dest.on('drain', settle);
    dest.on('close', settle);
  };
  const gate = new Writable({
    write(chunk: Buffer, _encoding, done) {
      forward(chunk, done);
    },
  });
  gate.on('error', () => stop.abort());
  try {
    await restic.dump(repo, snapshotId, path, gate, {
      signal: stop.signal,
      timeoutMs: opts.timeoutMs,
      stallMs: opts.stallMs,
      onLog: opts.onLog,
      archive: opts.archive,
    });
    if (!gate.writableFinished) await once(gate, 'finish');
    if (dest.destroyed) throw new Error('the download was closed before it was complete');
  } catch (error) {
    dest.destroy(error as Error);
    throw error;
  } finally {
    dest.off('close', onGone);
    dest.off('error', onGone);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
