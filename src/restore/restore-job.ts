/**
 * Restore jobs: what a customer picked on the Restore tab (web files, databases, email,
 * everything, one file, one database, one mailbox), turned into confined restores of each area,
 * each preceded by a safety snapshot that the job log names for undo.
 *
 * Two sides in one file for now: the job handler (control plane: reads the records, checks the
 * request, has the agent restore) and `executeRestore` (the host side the agent runs).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { HostAgent } from '../agent/agent.js';
import type { RestoreRequest as AgentRestoreRequest } from '../agent/protocol.js';
import type { Restic, RepositoryLocation } from '../engine/index.js';
import { customerPaths } from '../inventory/paths.js';
import type { Customer } from '../inventory/schema.js';
import type { JobHandler, JobContext } from '../job/worker.js';
import type { RepositoryService } from '../repository/repository-service.js';
import { runEvents } from '../repository/run-events.js';
import type { ScheduleService } from '../schedule/schedule-service.js';
import type { Content } from '../scope/scope.js';
import type { SnapshotRow, Store } from '../store/index.js';
import type { SnapshotBrowser } from '../snapshot/browser.js';
import { findSnapshot } from '../repository/snapshot-records.js';
import { SERVICE_GROUPS, type RootGroup } from '../scope/labels.js';
import { restoreArea, restoreFile, type RestoreProgress } from './index.js';

export const RESTORE_WHAT = [
  'web',
  'databases',
  'email',
  'everything',
  'file',
  'database',
  'mailbox',
] as const;

export const restoreRequestSchema = z
  .object({
    what: z.enum(RESTORE_WHAT, {
      error: `What to restore must be one of: ${RESTORE_WHAT.join(', ')}`,
    }),
    /** For "file": the file's absolute path as shown when browsing. */
    path: z.string().max(4096).optional(),
    database: z.string().max(64).optional(),
    /** For "mailbox": its address. */
    mailbox: z.string().max(320).optional(),
    /** Email restores keep messages that arrived after the snapshot unless this is false. */
    keepNewerMail: z.boolean().default(true),
  })
  .strict();
export type RestoreRequest = z.infer<typeof restoreRequestSchema>;

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

export interface RestoreJobParams {
  repositoryId: number;
  snapshotId: string;
  request: RestoreRequest;
}

export class RestoreRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'RestoreRequestError';
  }
}

/** Checks a request against the snapshot before a job is created: nothing starts that cannot work. */
export function checkRestoreRequest(
  snapshot: SnapshotRow,
  customer: Customer,
  request: RestoreRequest,
): void {
  const contents = JSON.parse(snapshot.contents) as Content[];
  const roots = JSON.parse(snapshot.roots ?? '{}') as Partial<Record<Content, string[]>>;
  const need = (content: Content, label: string) => {
    if (!contents.includes(content))
      throw new RestoreRequestError('what', `This snapshot contains no ${label}.`);
  };
  switch (request.what) {
    case 'web':
      return need('web', 'web files');
    case 'databases':
      return need('db', 'databases');
    case 'email':
      return need('mail', 'email');
    case 'everything':
      if (snapshot.scope !== 'full')
        throw new RestoreRequestError(
          'what',
          '"Restore everything" is only possible from a Full backup.',
        );
      return;
    case 'database':
      need('db', 'databases');
      if (!request.database || !customer.databases.includes(request.database))
        throw new RestoreRequestError('database', 'Choose one of your databases.');
      return;
    case 'mailbox':
      need('mail', 'email');
      if (!request.mailbox || !customer.mailboxes.some((m) => m.address === request.mailbox))
        throw new RestoreRequestError('mailbox', 'Choose one of your mailboxes.');
      return;
    case 'file': {
      const path = request.path ?? '';
      // Only the customer's own places: a database dump restores as a database, and its place
      // in the snapshot is the service's staging directory.
      const inside = Object.entries(roots)
        .filter(([content]) => !SERVICE_GROUPS.has(content as RootGroup))
        .flatMap(([, paths]) => paths ?? [])
        .some((root) => path === root || path.startsWith(`${root}/`));
      if (
        !path.startsWith('/') ||
        path.includes('\0') ||
        path.split('/').includes('..') ||
        !inside
      ) {
        throw new RestoreRequestError('path', 'Choose a file from this snapshot.');
      }
    }
  }
}

/** The job handler's: the records, and the agent that restores. */
export interface RestoreJobDeps {
  store: Store;
  repositories: Pick<RepositoryService, 'access' | 'markInitialized'>;
  agent: Pick<HostAgent, 'restore'>;
  schedules: ScheduleService;
  customers: { getCustomer(id: string): Promise<Customer | undefined> };
  /** The service log, for a failure to record what the agent reported. */
  log?: (line: string) => void;
}

/** The host side's: restic, MariaDB and the disk of the hosting server. */
export interface RestoreHostDeps {
  restic: Restic;
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
    const snapshot = await findSnapshot(deps.store, params.repositoryId, params.snapshotId);
    if (!snapshot) throw new Error('The snapshot no longer exists.');
    const customer = await deps.customers.getCustomer(snapshot.customer_id);
    if (!customer) throw new Error('The customer of this snapshot no longer exists.');
    if (snapshot.schedule_id == null)
      throw new Error('This snapshot has no schedule to find its target.');
    const schedule = await deps.schedules
      .getRow({ role: 'admin' }, snapshot.schedule_id)
      .catch(() => undefined);
    if (!schedule)
      throw new Error('The schedule of this snapshot was deleted, so its target is unknown.');
    checkRestoreRequest(snapshot, customer, params.request);
    const target = deps.schedules.target(schedule);
    const owner = schedule.owner_kind === 'server' ? 'server' : customer.id;
    // SECRET: the request holds the repository's password; it is never logged.
    const repository = await deps.repositories.access(target, owner);
    await deps.agent.restore(
      {
        jobId: job.id,
        repository,
        snapshotId: snapshot.id,
        customer,
        roots: JSON.parse(snapshot.roots ?? '{}') as Partial<Record<Content, string[]>>,
        contents: JSON.parse(snapshot.contents) as Content[],
        ...params.request,
      },
      { signal: ctx.signal, onEvent: runEvents(ctx, deps.repositories, { log: deps.log }) },
    );
    return { snapshotId: snapshot.id };
  };
}

/**
 * The host side of a restore job, run by the agent with the repository open: each area restored
 * confined to the customer's places. Returns the safety snapshots, the restore's undo.
 */
export async function executeRestore(
  deps: RestoreHostDeps,
  repo: RepositoryLocation,
  request: AgentRestoreRequest,
  ctx: JobContext,
): Promise<string[]> {
  const run = new RestoreRun(deps, repo, request, request.customer, String(request.jobId), ctx);
  await run.execute(request);
  run.reportUndo();
  return run.safetySnapshots();
}

class RestoreRun {
  private readonly roots: Partial<Record<Content, string[]>>;
  private readonly confinement: string[];
  private readonly undo: string[] = [];
  private step = 0;

  constructor(
    private readonly deps: RestoreHostDeps,
    private readonly repo: RepositoryLocation,
    private readonly snapshot: Pick<AgentRestoreRequest, 'roots' | 'contents'> & {
      snapshotId: string;
    },
    private readonly customer: Customer,
    private readonly jobId: string,
    private readonly ctx: JobContext,
  ) {
    this.roots = snapshot.roots;
    this.confinement = customerPaths(customer).map((p) => p.path);
  }

  async execute(request: RestoreRequest): Promise<void> {
    const contents = this.snapshot.contents;
    switch (request.what) {
      case 'web':
        return this.web();
      case 'databases':
        return this.databases(this.customer.databases);
      case 'database':
        return this.databases([request.database!]);
      case 'email':
        return this.mail(
          this.customer.mailboxes.map((m) => m.address),
          request.keepNewerMail,
        );
      case 'mailbox':
        return this.mail([request.mailbox!], request.keepNewerMail);
      case 'file':
        return this.file(request.path!);
      case 'everything':
        if (contents.includes('web')) await this.web();
        // A Full backup of a customer without databases carries the tag but no dumps.
        if (contents.includes('db') && this.roots.db?.length)
          await this.databases(this.customer.databases);
        if (contents.includes('mail'))
          await this.mail(
            this.customer.mailboxes.map((m) => m.address),
            request.keepNewerMail,
          );
        for (const path of [...(this.roots.ssl ?? []), ...(this.roots.config ?? [])])
          await this.file(path);
    }
  }

  safetySnapshots(): string[] {
    return [...this.undo];
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
      snapshotId: this.snapshot.snapshotId,
      confinement: this.confinement,
      jobId: `${this.jobId}-${this.step}`,
      journalDir: join(this.deps.dataDir, 'restore-journal'),
      signal: this.ctx.signal,
      onLog: this.ctx.log,
      // The banner's bar: what has arrived in the staging directory against the snapshot's
      // totals (restic 0.14 reports no restore progress of its own).
      onProgress: (p: RestoreProgress) =>
        this.ctx.progress({
          percent: Math.round(p.percentDone * 1000) / 10,
          bytesDone: p.bytesDone ?? 0,
          bytesTotal: p.totalBytes ?? 0,
          filesDone: p.filesDone ?? 0,
          filesTotal: p.totalFiles ?? 0,
          etaSeconds: p.secondsRemaining,
        }),
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
    return this.deps.browser?.knownDirectory(this.snapshot.snapshotId, area);
  }

  private async mail(addresses: string[], keepNewer: boolean): Promise<void> {
    for (const mailbox of this.customer.mailboxes.filter((m) => addresses.includes(m.address))) {
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
      if (mailbox.sieveDir && this.roots.mail?.includes(mailbox.sieveDir)) {
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
      known: this.deps.browser?.knownFile(this.snapshot.snapshotId, path),
    });
    if (result.safetySnapshotId) this.undo.push(result.safetySnapshotId);
  }

  /** Dumps come out of the snapshot into a private temporary directory, then into MariaDB. */
  private async databases(names: string[]): Promise<void> {
    const staging = this.roots.db?.[0];
    if (!staging) throw new Error('This snapshot contains no databases.');
    const work = await mkdtemp(join(this.deps.dataDir, 'restore-db-'));
    try {
      await this.deps.restic.restore(this.repo, this.snapshot.snapshotId, {
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
