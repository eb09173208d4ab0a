/**
 * File history for the Restore tab: one file across the snapshots of the schedule that made the
 * snapshot a customer is browsing, newest first, consecutive snapshots that hold the same version
 * (same size and modification time, as restic itself decides what changed) folded into one; and
 * what changed between two versions of a text file, line by line.
 *
 * Every snapshot is read through the agent's browse index of it (built after each backup), so a
 * history costs one index lookup per snapshot; a snapshot whose index is gone is listed once by
 * the agent, at most two at a time.
 */
import type { HostAgent } from '../agent/agent.js';
import { AgentError, asAgentError, refusalOf } from '../agent/errors.js';
import type { BrowseStatAnswer } from '../agent/protocol.js';
import { HostvaultError } from '../errors/index.js';
import { ROOT_LABELS, SERVICE_GROUPS } from '../scope/labels.js';
import type { SnapshotRow, Store } from '../store/index.js';
import { diffText, type TextDiff } from '../text-diff.js';
import type { RepositoryPlace, RepositoryService } from './repository-service.js';
import { snapshotRoots } from './snapshot-records.js';

export interface FileVersionsDeps {
  store: Store;
  repositories: Pick<RepositoryService, 'access'>;
  agent: Pick<HostAgent, 'browse' | 'download'>;
}

/** One version of the file, or a run of snapshots that do not hold it. */
export type FileVersion =
  | {
      kind: 'present';
      /** The newest snapshot holding this version: download and restore read it from there. */
      snapshotId: string;
      time: string;
      /** When it was first backed up: the oldest snapshot of the run holding it. */
      since: string;
      /** Snapshots holding this version. */
      snapshots: number;
      size: number | null;
      mtime: string | null;
      /** Where a restore of it puts it back; absent where it restores only as a whole. */
      realPath?: string;
    }
  | { kind: 'absent'; time: string; since: string; snapshots: number };

export interface FileHistory {
  path: string;
  versions: FileVersion[];
  /** Snapshots looked at (at most HISTORY_SNAPSHOTS, the newest). */
  snapshots: number;
}

export type VersionDiff = TextDiff | { kind: 'binary' } | { kind: 'too-large'; limitBytes: number };

/** How far back a history looks: retention rarely keeps more, and each one is a lookup. */
export const HISTORY_SNAPSHOTS = 100;
/** Larger files are not compared line by line (the diff reads both versions whole). */
export const COMPARE_LIMIT_BYTES = 1024 * 1024;

export class FileVersions {
  constructor(private readonly deps: FileVersionsDeps) {}

  /** The versions of the file at friendly `path`, over the schedule's snapshots. */
  async history(anchor: SnapshotRow, place: RepositoryPlace, path: string): Promise<FileHistory> {
    const repository = await this.deps.repositories.access(place.target.target, place.owner);
    const siblings = await this.siblings(anchor);
    const stats = await mapTwoAtATime(siblings, (snapshot) =>
      this.deps.agent.browse
        .stat({
          repository,
          snapshotId: snapshot.id,
          roots: snapshotRoots(snapshot),
          path,
          timeoutMs: 600_000,
          stallMs: 120_000,
        })
        .catch((error: unknown): BrowseStatAnswer | undefined => {
          // Not in that snapshot (or its areas were named otherwise then): a gap in the history.
          if (error instanceof AgentError && !error.from && error.code === 'not-found')
            return undefined;
          throw error;
        }),
    );
    const own = stats[siblings.findIndex((s) => s.id === anchor.id)];
    if (own?.kind !== 'real' || own.entry?.type !== 'file')
      throw notAFile('A file history needs a file: choose one in the snapshot.');

    const versions: FileVersion[] = [];
    siblings.forEach((snapshot, i) => {
      const found = stats[i];
      const entry = found?.kind === 'real' && found.entry?.type === 'file' ? found.entry : null;
      const last = versions[versions.length - 1];
      if (!entry) {
        if (last?.kind === 'absent') {
          last.since = snapshot.time;
          last.snapshots++;
        } else
          versions.push({
            kind: 'absent',
            time: snapshot.time,
            since: snapshot.time,
            snapshots: 1,
          });
        return;
      }
      const size = entry.size ?? null;
      const mtime = entry.mtime ?? null;
      if (last?.kind === 'present' && last.size === size && last.mtime === mtime) {
        last.since = snapshot.time;
        last.snapshots++;
        return;
      }
      versions.push({
        kind: 'present',
        snapshotId: snapshot.id,
        time: snapshot.time,
        since: snapshot.time,
        snapshots: 1,
        size,
        mtime,
        ...(found?.kind === 'real' && isCustomersPath(found) ? { realPath: found.realPath } : {}),
      });
    });
    return { path: own.path, versions, snapshots: siblings.length };
  }

  /** What changed in the file at `path` from the older snapshot to the newer one. */
  async compare(
    place: RepositoryPlace,
    path: string,
    older: SnapshotRow,
    newer: SnapshotRow,
  ): Promise<VersionDiff> {
    const repository = await this.deps.repositories.access(place.target.target, place.owner);
    const read = async (snapshot: SnapshotRow): Promise<Buffer | 'too-large' | 'not-a-file'> => {
      const download = await this.deps.agent
        .download({
          repository,
          snapshotId: snapshot.id,
          roots: snapshotRoots(snapshot),
          path,
          timeoutMs: 600_000,
          stallMs: 120_000,
        })
        .catch((caught: unknown) => {
          // Not in one of the two snapshots, a link, a folder: the request's, in its words.
          const refusal = refusalOf(asAgentError(caught));
          throw refusal ?? caught;
        });
      const parts: Buffer[] = [];
      let bytes = 0;
      // Ending the iteration early ends the download at the agent.
      for await (const chunk of download.chunks) {
        if (download.meta.kind !== 'file') return 'not-a-file';
        bytes += chunk.length;
        if (bytes > COMPARE_LIMIT_BYTES) return 'too-large';
        parts.push(Buffer.from(chunk));
      }
      return download.meta.kind === 'file' ? Buffer.concat(parts) : 'not-a-file';
    };
    const [before, after] = [await read(older), await read(newer)];
    if (before === 'not-a-file' || after === 'not-a-file')
      throw notAFile('Only files can be compared.');
    if (before === 'too-large' || after === 'too-large')
      return { kind: 'too-large', limitBytes: COMPARE_LIMIT_BYTES };
    if (isBinary(before) || isBinary(after)) return { kind: 'binary' };
    return diffText(before.toString('utf8'), after.toString('utf8'));
  }

  /** The backups of the schedule that made `anchor` in its repository, newest first. */
  private async siblings(anchor: SnapshotRow): Promise<SnapshotRow[]> {
    let query = this.deps.store.db
      .selectFrom('snapshots')
      .selectAll()
      .where('repository_id', '=', anchor.repository_id)
      .where('customer_id', '=', anchor.customer_id)
      .where('kind', '=', 'backup');
    query =
      anchor.schedule_id === null
        ? query.where('schedule_id', 'is', null)
        : query.where('schedule_id', '=', anchor.schedule_id);
    const rows = await query.orderBy('time', 'desc').limit(HISTORY_SNAPSHOTS).execute();
    // The snapshot browsed is always in its own history, however old it is.
    return rows.some((r) => r.id === anchor.id) ? rows : [...rows, anchor];
  }
}

/** Databases restore as a whole: their dumps have no place of their own to restore to. */
function isCustomersPath(found: Extract<BrowseStatAnswer, { kind: 'real' }>): boolean {
  const group = found.path.split('/')[1];
  return ![...SERVICE_GROUPS].some((g) => ROOT_LABELS[g] === group);
}

function notAFile(message: string): HostvaultError {
  return new HostvaultError('browse.not_a_file', message, {
    fields: [{ field: 'path', code: 'browse.not_a_file', message }],
  });
}

/** As git and diff decide: a NUL byte in the first 8 KiB makes a file binary. */
function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8192).includes(0);
}

async function mapTwoAtATime<T, R>(items: T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await run(items[i]!);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}
