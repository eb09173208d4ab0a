/**
 * What a restore job does, in order, decided from the request, the snapshot and the customer
 * before anything runs: the job follows it, its progress bar counts its areas, and recovery after
 * a crash reads from it whether the restore it finished was the job's last.
 */
import type { Customer, Mailbox } from '../inventory/schema.js';
import {
  snapshotContents,
  snapshotRoots,
  type SnapshotRoots,
} from '../repository/snapshot-records.js';
import type { Content } from '../scope/scope.js';
import type { SnapshotRow } from '../store/index.js';
import type { RestoreRequest } from './restore-request.js';

export type RestorePart =
  | { kind: 'web' }
  | { kind: 'databases'; names: string[] }
  | { kind: 'mail'; mailboxes: Mailbox[]; keepNewer: boolean }
  | { kind: 'file'; path: string };

export type { SnapshotRoots };

/** The columns of a snapshot's row a plan reads, still as stored. */
type StoredSnapshot = Pick<SnapshotRow, 'id' | 'repository_id' | 'contents' | 'roots'>;

export interface RestorePlan {
  parts: RestorePart[];
  /**
   * The journaled area and file restores in the plan, in order: the n-th is journaled as
   * `<job id>-<n>` (database restores are journaled by job id and database instead).
   */
  areas: number;
}

/** What a plan reads of a snapshot: its contents and its paths per content. */
export interface PlannedSnapshot {
  contents: Content[];
  roots: SnapshotRoots;
}

/** A snapshot's record as the plan reads it (the host side gets it this way in its request). */
export function plannedSnapshot(snapshot: StoredSnapshot): PlannedSnapshot {
  return { contents: snapshotContents(snapshot), roots: snapshotRoots(snapshot) };
}

/** A mailbox's Sieve filters come back with it when the snapshot holds them. */
export function restoresMaildir(mailbox: Mailbox, roots: SnapshotRoots): boolean {
  return Boolean(roots.mail?.includes(mailbox.maildir));
}

export function restoresSieve(mailbox: Mailbox, roots: SnapshotRoots): boolean {
  return Boolean(mailbox.sieveDir && roots.mail?.includes(mailbox.sieveDir));
}

export function planRestore(
  snapshot: PlannedSnapshot | StoredSnapshot,
  customer: Customer,
  request: RestoreRequest,
): RestorePlan {
  const { contents, roots } =
    typeof snapshot.contents === 'string'
      ? plannedSnapshot(snapshot as StoredSnapshot)
      : (snapshot as PlannedSnapshot);
  const mail = (addresses: string[]): RestorePart => ({
    kind: 'mail',
    mailboxes: customer.mailboxes.filter((m) => addresses.includes(m.address)),
    keepNewer: request.keepNewerMail,
  });
  const all = customer.mailboxes.map((m) => m.address);
  const parts: RestorePart[] = [];
  switch (request.what) {
    case 'web':
      parts.push({ kind: 'web' });
      break;
    case 'databases':
      parts.push({ kind: 'databases', names: customer.databases });
      break;
    case 'database':
      parts.push({ kind: 'databases', names: [request.database!] });
      break;
    case 'email':
      parts.push(mail(all));
      break;
    case 'mailbox':
      parts.push(mail([request.mailbox!]));
      break;
    case 'file':
      parts.push({ kind: 'file', path: request.path! });
      break;
    case 'everything':
      if (contents.includes('web')) parts.push({ kind: 'web' });
      // A Full backup of a customer without databases carries the tag but no dumps.
      if (contents.includes('db') && roots.db?.length)
        parts.push({ kind: 'databases', names: customer.databases });
      if (contents.includes('mail')) parts.push(mail(all));
      for (const path of [...(roots.ssl ?? []), ...(roots.config ?? [])])
        parts.push({ kind: 'file', path });
  }
  const areasOf = (part: RestorePart): number =>
    part.kind === 'databases'
      ? 0
      : part.kind === 'mail'
        ? part.mailboxes.reduce(
            (n, m) => n + Number(restoresMaildir(m, roots)) + Number(restoresSieve(m, roots)),
            0,
          )
        : 1;
  return { parts, areas: parts.reduce((n, part) => n + areasOf(part), 0) };
}

/** A restore that recovery at the service's start finished, or undid. */
export interface RecoveredRestore {
  /** An area or file restore's journal id (`<job id>-<n>`), or the database of a database restore. */
  journalId?: string;
  database?: string;
  action: 'rolled-back' | 'rolled-forward' | 'failed';
}

/**
 * Whether recovery completed the whole job: every restore of it that recovery met was rolled
 * forward, and one of them was the plan's last (the ones before it had finished before the crash).
 */
export function completedByRecovery(
  plan: RestorePlan,
  jobId: number,
  recovered: readonly RecoveredRestore[],
): boolean {
  const last = plan.parts.at(-1);
  if (!last || recovered.length === 0) return false;
  if (recovered.some((r) => r.action !== 'rolled-forward')) return false;
  return last.kind === 'databases'
    ? recovered.some((r) => r.database !== undefined && r.database === last.names.at(-1))
    : recovered.some((r) => r.journalId === `${jobId}-${plan.areas}`);
}
