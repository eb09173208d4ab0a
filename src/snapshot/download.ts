/**
 * Downloads straight out of a snapshot, never through the disk: one file as its bytes, a
 * directory as tar.gz (`restic dump --archive tar` through gzip). Only paths inside the customer's
 * roots are served.
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
import type { BrowseEntry } from './browse-index.js';
import type { SnapshotBrowser } from './browser.js';
import { BrowseError } from './errors.js';
import type { FriendlyRoots } from './labels.js';
import { assertWithinRoots, baseName, parentOf } from './paths.js';

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
  const entry = await entryAt(restic, repo, snapshotId, clean, opts);
  if (entry.type !== 'file')
    throw new BrowseError(
      'not-a-file',
      `${clean} is a ${entry.type}; only files download as they are.`,
    );
  await dumpInto(restic, repo, snapshotId, clean, out, opts);
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
  const names = renameArchiveEntries(clean, opts.archiveName || baseName(clean) || 'snapshot');
  const gzip = createGzip({ level: opts.level ?? 6 });
  const delivered = pipeline(names, gzip, out);
  try {
    await dumpInto(restic, repo, snapshotId, clean, names, { ...opts, archive: 'tar' });
  } catch (error) {
    names.destroy(error as Error);
    await delivered.catch(() => undefined);
    throw error;
  }
  names.end();
  await delivered;
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
  opts: DownloadOptions & { archive?: 'tar' },
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
