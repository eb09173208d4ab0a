/**
 * Restore jobs: what a customer picked on the Restore tab (web files, databases, email,
 * everything, one file, one database, one mailbox), turned into confined restores of each area,
 * each preceded by a safety snapshot that the job log names for undo.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Restic, RepositoryLocation } from '../engine/index.js';
import { customerPaths } from '../inventory/paths.js';
import type { Customer } from '../inventory/schema.js';
import type { JobHandler, JobContext } from '../job/worker.js';
import type { RepositoryService } from '../repository/repository-service.js';
import type { ScheduleService } from '../schedule/schedule-service.js';
import { safetyTags, type Content } from '../scope/scope.js';
import type { SnapshotRow, Store } from '../store/index.js';
import type { SnapshotBrowser } from '../snapshot/browser.js';
import { SERVICE_GROUPS, type RootGroup } from '../snapshot/labels.js';
import { findSnapshot, recordSafetySnapshot, safetyLabel } from '../snapshot/records.js';
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
  if (snapshot.kind === 'safety') checkUndoRequest(snapshot, request);
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

/**
 * A safety snapshot holds one area, one file or one database: it restores that and nothing
 * else (a web files restore from the safety copy of one file would empty the web root but that
 * file). Mail may be merged or replaced, as the customer chooses.
 */
function checkUndoRequest(snapshot: SnapshotRow, request: RestoreRequest): void {
  const undo = JSON.parse(snapshot.undo ?? 'null') as RestoreRequest | null;
  const same =
    undo !== null &&
    undo.what === request.what &&
    (undo.path ?? null) === (request.path ?? null) &&
    (undo.database ?? null) === (request.database ?? null) &&
    (undo.mailbox ?? null) === (request.mailbox ?? null);
  if (!same)
    throw new RestoreRequestError(
      'what',
      `This safety copy can only restore what it saved: ${undo ? describeUndo(undo) : 'nothing'}.`,
    );
}

/** What a safety snapshot saved, in the Restore tab's words. */
export function describeUndo(undo: RestoreRequest): string {
  switch (undo.what) {
    case 'web':
      return 'web files';
    case 'file':
      return `the file ${undo.path ?? ''}`;
    case 'database':
      return `database ${undo.database ?? ''}`;
    case 'mailbox':
      return `mailbox ${undo.mailbox ?? ''}`;
    default:
      return undo.what;
  }
}

export interface RestoreJobDeps {
  store: Store;
  restic: Restic;
  repositories: RepositoryService;
  schedules: ScheduleService;
  customers: { getCustomer(id: string): Promise<Customer | undefined> };
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

    return deps.repositories.withRepository(target, owner, async (repo) => {
      const run = new RestoreRun(deps, repo, snapshot, customer, job.id, ctx);
      try {
        await run.execute(params.request);
      } catch (error) {
        // A restore that stops half way (a failure, a cancel) has changed what it restored so
        // far: the log says what that was and how to undo it before the job fails.
        run.reportPartial();
        throw error;
      }
      run.reportUndo();
      return { snapshotId: snapshot.id };
    });
  };
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
  private readonly repo: RepositoryLocation;
  private readonly jobId: string;
  private step = 0;

  constructor(
    private readonly deps: RestoreJobDeps,
    private readonly repository: { id: number; location: RepositoryLocation },
    private readonly snapshot: SnapshotRow,
    private readonly customer: Customer,
    private readonly restoreJobId: number,
    private readonly ctx: JobContext,
  ) {
    this.roots = JSON.parse(snapshot.roots ?? '{}') as Partial<Record<Content, string[]>>;
    this.confinement = customerPaths(customer).map((p) => p.path);
    this.repo = repository.location;
    this.jobId = String(restoreJobId);
  }

  /**
   * The tags and the record of one safety snapshot: recorded as soon as restic has saved it, so
   * it is reachable even when the restore fails after it.
   */
  private safety(content: Content, roots: string[], undo: RestoreRequest, holds: string) {
    return {
      safetyTags: safetyTags({
        restoreJob: this.restoreJobId,
        customer: this.customer.id,
        content,
      }),
      onSafetySnapshot: async (id: string) => {
        await recordSafetySnapshot(this.deps.store, {
          id,
          repositoryId: this.repository.id,
          scheduleId: this.snapshot.schedule_id,
          customerId: this.customer.id,
          restoreJobId: this.restoreJobId,
          time: new Date().toISOString(),
          content,
          roots: { [content]: roots },
          tags: safetyTags({ restoreJob: this.restoreJobId, customer: this.customer.id, content }),
          undo,
        });
        this.saved.push({ id, holds });
      },
    };
  }

  /** Which area of the snapshot a file belongs to (its safety copy is filed under it). */
  private contentOf(path: string): Content {
    for (const [content, paths] of Object.entries(this.roots))
      if ((paths ?? []).some((root) => path === root || path.startsWith(`${root}/`)))
        return content as Content;
    return 'web';
  }

  async execute(request: RestoreRequest): Promise<void> {
    const contents = JSON.parse(this.snapshot.contents) as Content[];
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
      snapshotId: this.snapshot.id,
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
    return this.deps.browser?.knownDirectory(this.snapshot.id, area);
  }

  private async mail(addresses: string[], keepNewer: boolean): Promise<void> {
    for (const mailbox of this.customer.mailboxes.filter((m) => addresses.includes(m.address))) {
      const inSnapshot = (dir: string | undefined) => !!dir && !!this.roots.mail?.includes(dir);
      // A safety snapshot holds one mailbox's Maildir or its Sieve scripts, not both.
      if (!inSnapshot(mailbox.maildir) && !inSnapshot(mailbox.sieveDir)) {
        if (addresses.length === 1)
          throw new Error(`This snapshot holds no mail of ${mailbox.address}.`);
        continue;
      }
      const undo: RestoreRequest = {
        what: 'mailbox',
        mailbox: mailbox.address,
        keepNewerMail: false,
      };
      if (inSnapshot(mailbox.maildir)) {
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
      if (mailbox.sieveDir && inSnapshot(mailbox.sieveDir)) {
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
      known: this.deps.browser?.knownFile(this.snapshot.id, path),
    });
    this.done.push(path);
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
}
