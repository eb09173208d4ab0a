/**
 * The host side of a restore job, run by the agent: what a customer picked on the Restore tab
 * (web files, databases, email, everything, one file, one database, one mailbox), planned
 * (src/restore-job/restore-plan.ts) and turned into confined restores of each area, each preceded
 * by a safety snapshot that the job log names for undo. The control plane's handler
 * (src/restore-job/restore-job.ts) checks the request and records the safety snapshots.
 */
import { access, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  RestoreRequest as AgentRestoreRequest,
  SafetySnapshotEvent,
} from '../agent/protocol.js';
import type { Restic, RepositoryLocation } from '../engine/index.js';
import { customerPaths } from '../inventory/paths.js';
import type { Customer, Mailbox } from '../inventory/schema.js';
import type { JobContext } from '../job/worker.js';
import {
  planRestore,
  restoresMaildir,
  restoresSieve,
  type RestorePlan,
  type SnapshotRoots,
} from '../restore-job/restore-plan.js';
import type { RestoreRequest, SafetyRecord } from '../restore-job/restore-request.js';
import { safetyLabel } from '../scope/labels.js';
import { safetyTags, streamedDumps, type Content } from '../scope/scope.js';
import type { SnapshotBrowser } from '../snapshot/browser.js';
import { restoreArea, restoreFile } from './index.js';
import { RestoreJobProgress } from './job-progress.js';

/**
 * Restores one dump into one database with the customer's privileges only, atomically: the
 * database ends as it was or as in the dump, also after a crash (the service's start finishes
 * the restore from its journal).
 */
export interface DatabaseRestorer {
  restore(opts: {
    database: string;
    dumpFile: string;
    /** The table checksums recorded with the dump; older snapshots have none. */
    checksumFile: string;
    customerId: string;
    allowedDatabases: string[];
    /** Names the restore's journal, so recovery after a crash can tell this job what happened. */
    jobId: string;
    /** Where the dump of the database as it was goes, for the undo snapshot. */
    safetyDir: string;
    /** Makes the undo snapshot of that dump; the previous database is kept until it is made. */
    saveSafety(file: string): Promise<void>;
    signal?: AbortSignal;
    onLog?: (line: string) => void;
  }): Promise<void>;
  /**
   * A restore drill of one dump: imported into a throw-away database, compared with the
   * recorded checksums, dropped. Rejects with what differs; the live database is never touched.
   */
  drill(opts: {
    database: string;
    dumpFile: string;
    checksumFile: string;
    customerId: string;
    allowedDatabases: string[];
    jobId: string;
    signal?: AbortSignal;
    onLog?: (line: string) => void;
  }): Promise<void>;
}

/** The host side's: restic, MariaDB and the disk of the hosting server. */
export interface RestoreHostDeps {
  restic: Restic;
  databases: Pick<DatabaseRestorer, 'restore'>;
  dataDir: string;
  /**
   * Runs work after the job has answered (the removal of a restored area's previous content).
   * Absent: the job waits for it.
   */
  background?: (work: () => Promise<void>) => void;
  /** The snapshots' browse indexes, when built: they spare restic listings before a restore. */
  browser?: Pick<SnapshotBrowser, 'knownDirectory' | 'knownFile'>;
}

/** Where a run reports to: its log and progress, and each safety snapshot restic saved. */
export interface RestoreRunContext extends JobContext {
  /** Told as soon as restic has saved a safety snapshot; the control plane records it. */
  onSafetySnapshot(saved: Omit<SafetySnapshotEvent, 'kind'>): void;
}

/**
 * The host side of a restore job, run by the agent with the repository open: the plan of the
 * request, each area restored confined to the customer's places, each preceded by a safety
 * snapshot. The log says at the end how to undo it, and, when it stops part way, what it had
 * restored. Returns the safety snapshots' ids.
 */
export async function executeRestore(
  deps: RestoreHostDeps,
  repo: RepositoryLocation,
  request: AgentRestoreRequest,
  ctx: RestoreRunContext,
): Promise<string[]> {
  const snapshot = { contents: request.contents, roots: request.roots };
  const plan = planRestore(snapshot, request.customer, request);
  const run = new RestoreRun(
    deps,
    repo,
    request.snapshotId,
    snapshot.roots,
    request.customer,
    request.jobId,
    ctx,
  );
  try {
    await run.execute(plan);
  } catch (error) {
    // A restore that stops half way (a failure, a cancel) has changed what it restored so far:
    // the log says what that was and how to undo it before the job fails.
    run.reportPartial();
    throw error;
  }
  run.reportUndo();
  return run.safetySnapshots();
}

/** A safety snapshot the run saved, and what it holds, for the job log's undo lines. */
interface SavedSafety {
  id: string;
  holds: string;
}

class RestoreRun {
  private readonly roots: Partial<Record<Content, string[]>>;
  private readonly confinement: string[];
  private readonly saved: SavedSafety[] = [];
  /** What is restored already, in the log's words: a failure half way names these. */
  private readonly done: string[] = [];
  private readonly jobId: string;
  private step = 0;
  /** Set by execute, from the plan's number of areas. */
  private progress!: RestoreJobProgress;

  constructor(
    private readonly deps: RestoreHostDeps,
    private readonly repo: RepositoryLocation,
    private readonly snapshotId: string,
    roots: SnapshotRoots,
    private readonly customer: Customer,
    private readonly restoreJobId: number,
    private readonly ctx: RestoreRunContext,
  ) {
    this.roots = roots;
    this.confinement = customerPaths(customer).map((p) => p.path);
    this.jobId = String(restoreJobId);
  }

  /**
   * The tags of one safety snapshot, and its report: sent as soon as restic has saved it, so the
   * control plane records it and it is reachable even when the restore fails after it.
   */
  private safety(content: Content, roots: string[], undo: RestoreRequest, holds: string) {
    const tags = safetyTags({ restoreJob: this.restoreJobId, customer: this.customer.id, content });
    return {
      safetyTags: tags,
      onSafetySnapshot: (id: string): Promise<void> => {
        this.ctx.onSafetySnapshot({
          id,
          time: new Date().toISOString(),
          content,
          roots,
          tags,
          undo,
          holds,
        });
        this.saved.push({ id, holds });
        return Promise.resolve();
      },
      // What recovery after a crash records a safety snapshot it makes with (recovery-safety.ts).
      safetyRecord: { content, roots: { [content]: roots }, undo } satisfies SafetyRecord,
    };
  }

  safetySnapshots(): string[] {
    return this.saved.map((s) => s.id);
  }

  /** Which area of the snapshot a file belongs to (its safety copy is filed under it). */
  private contentOf(path: string): Content {
    for (const [content, paths] of Object.entries(this.roots))
      if ((paths ?? []).some((root) => path === root || path.startsWith(`${root}/`)))
        return content as Content;
    return 'web';
  }

  async execute(plan: RestorePlan): Promise<void> {
    this.progress = new RestoreJobProgress(plan.areas, (p) => this.ctx.progress(p));
    for (const part of plan.parts) {
      if (part.kind === 'web') await this.web();
      else if (part.kind === 'databases') await this.databases(part.names);
      else if (part.kind === 'mail') await this.mail(part.mailboxes, part.keepNewer);
      else await this.file(part.path);
    }
  }

  /**
   * Names every safety snapshot by the id the Restore tab and the command line know it by, and
   * where the customer finds it.
   */
  reportUndo(): void {
    if (this.saved.length === 0) return;
    const label = safetyLabel({ restore_job_id: this.restoreJobId });
    this.ctx.log(
      `To undo this restore: on the Restore tab, choose "${label}" and restore it (${this.saved.length === 1 ? 'one safety snapshot' : `${this.saved.length} safety snapshots`}: ${this.saved.map((s) => `${s.id.slice(0, 8)} with ${s.holds}`).join('; ')}).`,
    );
  }

  reportPartial(): void {
    if (this.done.length === 0 && this.saved.length === 0) return;
    this.ctx.log(
      this.done.length > 0
        ? `The restore stopped part way; already restored: ${this.done.join(', ')}.`
        : 'The restore stopped part way; nothing was restored yet.',
    );
    this.reportUndo();
  }

  private common() {
    this.step++;
    return {
      restic: this.deps.restic,
      repo: this.repo,
      snapshotId: this.snapshotId,
      confinement: this.confinement,
      jobId: `${this.jobId}-${this.step}`,
      journalDir: join(this.deps.dataDir, 'restore-journal'),
      signal: this.ctx.signal,
      onLog: this.ctx.log,
      // The banner's bar: what has arrived in the staging directory against the snapshot's
      // totals (restic 0.14 reports no restore progress of its own), summed over the areas.
      onProgress: this.progress.nextArea(),
    };
  }

  private async web(): Promise<void> {
    this.ctx.log(`Restoring web files into ${this.customer.webRoot}`);
    await restoreArea({
      ...this.common(),
      ...this.safety(
        'web',
        [this.customer.webRoot],
        { what: 'web', keepNewerMail: true },
        'web files',
      ),
      area: this.customer.webRoot,
      mode: 'replace',
      removeLater: this.deps.background,
      known: this.known(this.customer.webRoot),
    });
    this.done.push('web files');
  }

  private known(area: string) {
    return this.deps.browser?.knownDirectory(this.snapshotId, area);
  }

  private async mail(mailboxes: Mailbox[], keepNewer: boolean): Promise<void> {
    for (const mailbox of mailboxes) {
      // A safety snapshot holds one mailbox's Maildir or its Sieve scripts, not both; the plan
      // counted only what the snapshot holds.
      const maildir = restoresMaildir(mailbox, this.roots);
      const sieve = restoresSieve(mailbox, this.roots);
      if (!maildir && !sieve) {
        if (mailboxes.length === 1)
          throw new Error(`This snapshot holds no mail of ${mailbox.address}.`);
        continue;
      }
      const undo: RestoreRequest = {
        what: 'mailbox',
        mailbox: mailbox.address,
        keepNewerMail: false,
      };
      if (maildir) {
        this.ctx.log(
          `Restoring mailbox ${mailbox.address}${keepNewer ? ', keeping newer mail' : ''}`,
        );
        await restoreArea({
          ...this.common(),
          ...this.safety('mail', [mailbox.maildir], undo, `mailbox ${mailbox.address}`),
          area: mailbox.maildir,
          mode: keepNewer ? 'keep-newer' : 'replace',
          known: this.known(mailbox.maildir),
          maildir: true,
        });
      }
      if (mailbox.sieveDir && sieve) {
        await restoreArea({
          ...this.common(),
          ...this.safety(
            'mail',
            [mailbox.sieveDir],
            undo,
            `the mail filters of ${mailbox.address}`,
          ),
          area: mailbox.sieveDir,
          mode: 'replace',
          known: this.known(mailbox.sieveDir),
        });
      }
      this.done.push(`mailbox ${mailbox.address}`);
    }
  }

  private async file(path: string): Promise<void> {
    this.ctx.log(`Restoring ${path}`);
    await restoreFile({
      ...this.common(),
      ...this.safety(
        this.contentOf(path),
        [path],
        { what: 'file', path, keepNewerMail: true },
        `the file ${path}`,
      ),
      path,
      known: this.deps.browser?.knownFile(this.snapshotId, path),
    });
    this.done.push(path);
  }

  /** Dumps come out of the snapshot into a private temporary directory, then into MariaDB. */
  private async databases(names: string[]): Promise<void> {
    const staging = this.roots.db?.[0];
    if (!staging) throw new Error('This snapshot contains no databases.');
    const work = await mkdtemp(join(this.deps.dataDir, 'restore-db-'));
    try {
      await this.deps.restic.restore(this.repo, this.snapshotId, {
        target: work,
        include: names.flatMap((name) => [
          join(staging, `${name}.sql`),
          join(staging, `${name}.checksums.json`),
        ]),
        signal: this.ctx.signal,
        onLog: this.ctx.log,
      });
      await this.streamedDumps(names, join(work, staging));
      for (const name of names) {
        this.ctx.log(`Restoring database ${name}`);
        const safetyDir = join(work, 'safety', name);
        await this.deps.databases.restore({
          database: name,
          dumpFile: join(work, staging, `${name}.sql`),
          checksumFile: join(work, staging, `${name}.checksums.json`),
          customerId: this.customer.id,
          allowedDatabases: this.customer.databases,
          jobId: this.jobId,
          safetyDir,
          // The database as it was, kept as a safety snapshot for undo before it is dropped.
          saveSafety: async () => {
            const safety = this.safety(
              'db',
              [safetyDir],
              { what: 'database', database: name, keepNewerMail: true },
              `database ${name}`,
            );
            const saved = await this.deps.restic.backup(this.repo, {
              paths: [safetyDir],
              tags: safety.safetyTags,
              onLog: this.ctx.log,
            });
            await safety.onSafetySnapshot(saved.summary.snapshotId);
            this.ctx.log(
              `safety snapshot ${saved.summary.snapshotId} holds database ${name} as it was before the restore`,
            );
          },
          signal: this.ctx.signal,
          onLog: this.ctx.log,
        });
        this.done.push(`database ${name}`);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /**
   * Dumps a restic 0.17+ backup streamed into snapshots of their own (src/host/backup-groups.ts)
   * are not in the backup's snapshot: its tags name the snapshot of each, which holds it as
   * `/<db>.sql`, restored into `dir` beside the checksum record as if it had been staged. Only
   * asked when a dump is missing, so a backup made through the staging directory costs nothing.
   */
  private async streamedDumps(names: string[], dir: string): Promise<void> {
    const missing: string[] = [];
    for (const name of names) {
      if (
        !(await access(join(dir, `${name}.sql`)).then(
          () => true,
          () => false,
        ))
      )
        missing.push(name);
    }
    if (missing.length === 0) return;
    const [snapshot] = await this.deps.restic.snapshots(this.repo, {
      ids: [this.snapshotId],
      signal: this.ctx.signal,
    });
    const parts = streamedDumps(snapshot?.tags ?? []);
    for (const name of missing) {
      const part = parts.get(name);
      if (!part) throw new Error(`This snapshot holds no dump of database ${name}.`);
      await this.deps.restic.restore(this.repo, part, {
        target: dir,
        include: [`/${name}.sql`],
        signal: this.ctx.signal,
        onLog: this.ctx.log,
      });
    }
  }
}
