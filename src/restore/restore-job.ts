/**
 * Restore jobs: what a customer picked on the Restore tab (web files, databases, email,
 * everything, one file, one database, one mailbox), turned into confined restores of each area,
 * each preceded by a safety snapshot that the job log names for undo.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Restic, RepositoryLocation } from '../engine/index.js';
import { customerPaths } from '../inventory/paths.js';
import type { Customer, Mailbox } from '../inventory/schema.js';
import type { JobHandler, JobContext } from '../job/worker.js';
import type { RepositoryService } from '../repository/repository-service.js';
import type { Content } from '../scope/scope.js';
import type { SnapshotRow } from '../store/index.js';
import type { SnapshotBrowser } from '../snapshot/browser.js';
import { restoreArea, restoreFile } from './index.js';
import { RestoreJobProgress } from './job-progress.js';
import { planRestore, restoresSieve, snapshotRoots, type RestorePlan } from './restore-plan.js';
import type { RestoreJobParams, RestoreService } from './restore-service.js';

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
}

export interface RestoreJobDeps {
  restores: Pick<RestoreService, 'resolve'>;
  restic: Restic;
  repositories: RepositoryService;
  databases: DatabaseRestorer;
  dataDir: string;
  /**
   * Runs work after the job has answered (the removal of a restored area's previous content).
   * Absent: the job waits for it.
   */
  background?: (work: () => Promise<void>) => void;
  /** The snapshots' browse indexes, when built: they spare restic listings before a restore. */
  browser?: Pick<SnapshotBrowser, 'knownDirectory' | 'knownFile'>;
}

export function restoreJobHandler(deps: RestoreJobDeps): JobHandler {
  return async (job, ctx) => {
    const params = JSON.parse(job.params ?? '{}') as RestoreJobParams;
    // Checked again: the snapshot, its schedule or the customer may have gone while it waited.
    const { snapshot, customer, target, owner } = await deps.restores.resolve(
      { role: 'admin' },
      { repositoryId: params.repositoryId, snapshotId: params.snapshotId },
      params.request,
    );
    return deps.repositories.withRepository(target, owner, async (repo) => {
      const plan = planRestore(snapshot, customer, params.request);
      const run = new RestoreRun(deps, repo.location, snapshot, customer, String(job.id), ctx);
      await run.execute(plan);
      run.reportUndo();
      return { snapshotId: snapshot.id };
    });
  };
}

class RestoreRun {
  private readonly roots: Partial<Record<Content, string[]>>;
  private readonly confinement: string[];
  private readonly undo: string[] = [];
  private step = 0;
  /** Set by execute, from the plan's number of areas. */
  private progress!: RestoreJobProgress;

  constructor(
    private readonly deps: RestoreJobDeps,
    private readonly repo: RepositoryLocation,
    private readonly snapshot: SnapshotRow,
    private readonly customer: Customer,
    private readonly jobId: string,
    private readonly ctx: JobContext,
  ) {
    this.roots = snapshotRoots(snapshot);
    this.confinement = customerPaths(customer).map((p) => p.path);
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

  reportUndo(): void {
    if (this.undo.length === 0) return;
    this.ctx.log(
      `To undo this restore, restore the safety snapshot(s) ${this.undo.join(', ')} (tagged "safety" and job=${this.jobId}).`,
    );
  }

  private common() {
    this.step++;
    return {
      restic: this.deps.restic,
      repo: this.repo,
      snapshotId: this.snapshot.id,
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
    const result = await restoreArea({
      ...this.common(),
      area: this.customer.webRoot,
      mode: 'replace',
      removeLater: this.deps.background,
      known: this.known(this.customer.webRoot),
    });
    if (result.safetySnapshotId) this.undo.push(result.safetySnapshotId);
  }

  private known(area: string) {
    return this.deps.browser?.knownDirectory(this.snapshot.id, area);
  }

  private async mail(mailboxes: Mailbox[], keepNewer: boolean): Promise<void> {
    for (const mailbox of mailboxes) {
      this.ctx.log(
        `Restoring mailbox ${mailbox.address}${keepNewer ? ', keeping newer mail' : ''}`,
      );
      const result = await restoreArea({
        ...this.common(),
        area: mailbox.maildir,
        mode: keepNewer ? 'keep-newer' : 'replace',
        known: this.known(mailbox.maildir),
        maildir: true,
      });
      if (result.safetySnapshotId) this.undo.push(result.safetySnapshotId);
      if (mailbox.sieveDir && restoresSieve(mailbox, this.roots)) {
        const sieve = await restoreArea({
          ...this.common(),
          area: mailbox.sieveDir,
          mode: 'replace',
          known: this.known(mailbox.sieveDir),
        });
        if (sieve.safetySnapshotId) this.undo.push(sieve.safetySnapshotId);
      }
    }
  }

  private async file(path: string): Promise<void> {
    this.ctx.log(`Restoring ${path}`);
    const result = await restoreFile({
      ...this.common(),
      path,
      known: this.deps.browser?.knownFile(this.snapshot.id, path),
    });
    if (result.safetySnapshotId) this.undo.push(result.safetySnapshotId);
  }

  /** Dumps come out of the snapshot into a private temporary directory, then into MariaDB. */
  private async databases(names: string[]): Promise<void> {
    const staging = this.roots.db?.[0];
    if (!staging) throw new Error('This snapshot contains no databases.');
    const work = await mkdtemp(join(this.deps.dataDir, 'restore-db-'));
    try {
      await this.deps.restic.restore(this.repo, this.snapshot.id, {
        target: work,
        include: names.flatMap((name) => [
          join(staging, `${name}.sql`),
          join(staging, `${name}.checksums.json`),
        ]),
        signal: this.ctx.signal,
        onLog: this.ctx.log,
      });
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
            const saved = await this.deps.restic.backup(this.repo, {
              paths: [safetyDir],
              tags: ['safety', `job=${this.jobId}`, `customer=${this.customer.id}`, 'content=db'],
              onLog: this.ctx.log,
            });
            this.undo.push(saved.summary.snapshotId);
            this.ctx.log(
              `safety snapshot ${saved.summary.snapshotId} holds database ${name} as it was before the restore`,
            );
          },
          signal: this.ctx.signal,
          onLog: this.ctx.log,
        });
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}
