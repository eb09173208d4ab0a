/**
 * The agent in the same process as the control plane (`hostvault serve`): each request runs the
 * host modules directly, exactly as before the boundary existed. Every host error leaves here as
 * an AgentError, so the control plane handles the in-process agent and a remote one alike.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openConversation } from '../database/client.js';
import { recoverDatabaseRestores } from '../database/recover.js';
import type { DatabaseSettings } from '../database/service.js';
import { Restic, type BackupProgress } from '../engine/index.js';
import type { BackupService } from '../host/backup-service.js';
import { sweepCaCerts } from '../host/ca-certs.js';
import { freeSpace } from '../host/preflight.js';
import { probeTarget } from '../host/probe.js';
import type { HostRepositories, OpenRepository } from '../host/repositories.js';
import { recoverInterruptedRestores } from '../restore/index.js';
import type { RecoveryOptions } from '../restore/recover.js';
import { executeDrill } from '../restore/drill-run.js';
import {
  executeRestore,
  type DatabaseRestorer,
  type RestoreHostDeps,
} from '../restore/restore-run.js';
import { PreviewCache, previewPage, previewRestore } from '../restore/preview.js';
import { forgetExpiredSafety } from '../host/safety-retention.js';
import { streamedDumps, tag } from '../scope/scope.js';
import { isHeld } from '../host/held.js';
import { copySnapshots, purgeCustomer, purgePaths } from '../host/repository-tasks.js';
import {
  BrowseError,
  checkDownloadable,
  downloadDirectory,
  downloadFile,
  type SnapshotBrowser,
} from '../snapshot/index.js';
import type { Download, HostAgent, RunContext } from './agent.js';
import { asAgentError } from './errors.js';
import type {
  AgentEvent,
  BackupAnswer,
  BackupRequest,
  BrowseListAnswer,
  BrowseListRequest,
  BrowseOpenAnswer,
  BrowseOpenRequest,
  BrowseSearchAnswer,
  BrowseSearchRequest,
  BrowseStatAnswer,
  BrowseStatRequest,
  DownloadRequest,
  DrillAnswer,
  DrillRequest,
  Facts,
  ForgetAnswer,
  ForgetRequest,
  MaintainAnswer,
  MaintainRequest,
  ProgressEvent,
  RecoverAnswer,
  RecoverRequest,
  RepositoryAccess,
  RestoreAnswer,
  RestoreRequest,
  RestorePreviewAnswer,
  RestorePreviewRequest,
  SweepCertificatesAnswer,
  SweepCertificatesRequest,
  TestConnectionAnswer,
  TestConnectionRequest,
} from './protocol.js';

export interface LocalAgentDeps {
  restic: Restic;
  /** The restic binary, for the engines of connection tests (their own cache each). */
  resticBinary?: string;
  repositories: HostRepositories;
  backups: BackupService;
  browser: SnapshotBrowser;
  database: DatabaseSettings;
  /** Where the CA certificate files of S3 targets are written (src/host/locate.ts). */
  certDir: string;
  /** The service's data directory: staging, journals, indexes. */
  dataDir: string;
  /** The service log, for work that has no request to answer any more (a background index). */
  log: (line: string) => void;
  /** MariaDB restores and the removal of a restored area's previous content after the job. */
  restores: Pick<RestoreHostDeps, 'background'> & { databases: DatabaseRestorer };
  /**
   * Makes and records the safety snapshot a web restore still owed when the service stopped
   * (src/recovery-safety.ts). Without it, recovery keeps the previous tree and says where.
   */
  withSafety?: RecoveryOptions['withSafety'];
}

/** A browse index built on a request waits this long for restic's listing of the snapshot. */
const OPEN_LIMITS = { timeoutMs: 600_000, stallMs: 120_000 };

export class LocalAgent implements HostAgent {
  private readonly previews = new PreviewCache();

  constructor(private readonly deps: LocalAgentDeps) {}

  backup(request: BackupRequest, ctx: RunContext = {}): Promise<BackupAnswer> {
    const emit = emitter(ctx);
    return answer(async () => {
      const outcome = await this.deps.backups.run({
        customer: request.customer,
        schedule: request.scheduleId,
        scope: request.scope,
        repository: request.repository,
        parent: request.parent,
        knownSnapshots: request.knownSnapshots,
        previousAdded: request.previousAdded,
        quota: request.quota,
        retention: request.retention,
        held: request.held,
        sampleSince: request.sampleSince,
        guard: request.guard,
        signal: ctx.signal,
        onLog: (line) => emit({ kind: 'log', line }),
        onProgress: (p) => emit(progressOf(p)),
        onInitialized: () => this.initialized(request.repository, emit),
      });
      // Built right after the backup, so a customer who opens the snapshot never waits for a
      // listing of it; in the background, as the job is done.
      if (request.indexAfter) this.indexInBackground(request.repository, outcome.snapshotId);
      return {
        snapshotId: outcome.snapshotId,
        time: outcome.time,
        ...(outcome.parent ? { parent: outcome.parent } : {}),
        summary: outcome.summary,
        contents: outcome.contents,
        roots: outcome.roots,
        forgotten: outcome.forgotten,
        unreadable: outcome.unreadable,
        ...(outcome.sample ? { sample: outcome.sample } : {}),
      };
    });
  }

  maintain(request: MaintainRequest, ctx: RunContext = {}): Promise<MaintainAnswer> {
    const emit = emitter(ctx);
    const onLog = (line: string) => emit({ kind: 'log', line });
    if (request.task === 'copy' || request.task === 'rewrite' || request.task === 'purge')
      return answer(() => this.repositoryTask(request, ctx, emit, onLog));
    return answer(() =>
      this.deps.repositories.withRepository(
        request.repository,
        async (repo) => {
          if (request.task === 'prune') {
            // Expired safety snapshots first, so this prune already frees their data.
            if (request.safetyRetention) {
              const forgotten = await forgetExpiredSafety({
                restic: this.deps.restic,
                location: repo.location,
                policy: request.safetyRetention,
                now: new Date(request.safetyRetention.now),
                held: request.safetyRetention.held,
                signal: ctx.signal,
                onLog,
              });
              if (forgotten.length > 0)
                emit({
                  kind: 'safety-forgotten',
                  repositoryId: request.repository.repositoryId,
                  ids: forgotten,
                });
            }
            onLog(`Pruning ${repo.url}`);
            await this.deps.restic.prune(repo.location, { signal: ctx.signal, onLog });
          } else {
            const subset = request.checkSubset ?? '5%';
            onLog(`Checking ${repo.url}, reading ${subset} of the data`);
            await this.deps.restic.check(repo.location, {
              readDataSubset: subset,
              signal: ctx.signal,
              onLog,
            });
          }
          return { task: request.task };
        },
        () => this.initialized(request.repository, emit),
      ),
    );
  }

  /** A second copy, a path removed from a customer's snapshots, a customer's purge. */
  private async repositoryTask(
    request: MaintainRequest,
    ctx: RunContext,
    emit: (event: AgentEvent) => void,
    onLog: (line: string) => void,
  ): Promise<MaintainAnswer> {
    const { restic, repositories } = this.deps;
    const run = { signal: ctx.signal, onLog };
    const held = request.held ?? [];
    if (request.task === 'copy') {
      const to = request.copyTo;
      const retention = request.copyRetention;
      if (!to || !retention || !request.snapshotIds?.length)
        throw new Error('A copy needs the second repository, its retention and the snapshots.');
      if (to.url === request.repository.url)
        throw new Error('The second copy must go to another repository than the first.');
      // Both mutexes, always taken in the order of the URLs: two schedules copying between the
      // same two targets in opposite directions never wait for each other.
      const [first, second] =
        to.url < request.repository.url ? [to, request.repository] : [request.repository, to];
      const copies = await repositories.withRepository(
        first,
        (a) =>
          repositories.withRepository(
            second,
            (b) => {
              const [source, target] = first === to ? [b, a] : [a, b];
              return copySnapshots(restic, source.location, target.location, {
                ...run,
                snapshotIds: request.snapshotIds ?? [],
                retention,
                held,
              });
            },
            () => this.initialized(second, emit),
          ),
        () => this.initialized(first, emit),
      );
      return { task: request.task, copies };
    }
    return repositories.withRepository(
      request.repository,
      async (repo) => {
        const customerId = request.customerId;
        if (!customerId) throw new Error('Whose snapshots is not said.');
        if (request.task === 'rewrite') {
          if (!request.excludes?.length) throw new Error('No path to remove was given.');
          const renamed = await purgePaths(restic, repo.location, {
            ...run,
            customerId,
            excludes: request.excludes,
            held,
          });
          // The indexes of the snapshots as they were list the purged paths: browse must not.
          for (const { from } of renamed) this.deps.browser.drop(from);
          return { task: request.task, renamed };
        }
        const localPath = request.repository.target.kind === 'local' ? repo.url : undefined;
        const outcome = await purgeCustomer(restic, repo.location, {
          ...run,
          customerId,
          held,
          localPath,
        });
        return { task: request.task, snapshots: outcome.forgotten, removed: outcome.removed };
      },
      () => this.initialized(request.repository, emit),
    );
  }

  forget(request: ForgetRequest, ctx: RunContext = {}): Promise<ForgetAnswer> {
    const emit = emitter(ctx);
    return answer(() =>
      this.deps.repositories.withRepository(
        request.repository,
        async (repo) => {
          const list = await this.deps.restic.snapshots(repo.location, {
            tags: [tag.schedule(request.scheduleId), tag.customer(request.customerId)],
            signal: ctx.signal,
          });
          // Held snapshots stay, with the dumps' snapshots they name.
          const held = request.held ?? [];
          const keep = list.filter((s) => isHeld(s.id, held));
          const named = keep.flatMap((s) => [...streamedDumps(s.tags).values()]);
          const ids = [
            ...list.filter((s) => !keep.includes(s) && !isHeld(s.id, named)).map((s) => s.id),
            ...(request.also ?? []).filter((id) => !isHeld(id, held)),
          ];
          await this.deps.restic.forgetIds(repo.location, ids, { signal: ctx.signal });
          return { forgotten: ids };
        },
        () => this.initialized(request.repository, emit),
      ),
    );
  }

  restore(request: RestoreRequest, ctx: RunContext = {}): Promise<RestoreAnswer> {
    const emit = emitter(ctx);
    const { restic, browser, dataDir, restores } = this.deps;
    return answer(() =>
      this.deps.repositories.withRepository(
        request.repository,
        async (repo) => ({
          safetySnapshots: await executeRestore(
            { restic, browser, dataDir, ...restores },
            repo.location,
            request,
            {
              signal: ctx.signal ?? new AbortController().signal,
              log: (line) => emit({ kind: 'log', line }),
              onSafetySnapshot: (saved) => emit({ kind: 'safety-snapshot', ...saved }),
              // A restore reports its own percent; as a fraction of this request's work.
              progress: (p) =>
                emit({
                  kind: 'progress',
                  fraction: Math.min(1, Math.max(0, p.percent / 100)),
                  bytesDone: p.bytesDone,
                  bytesTotal: p.bytesTotal,
                  filesDone: p.filesDone,
                  filesTotal: p.filesTotal,
                  ...(p.currentFile !== undefined ? { currentFile: p.currentFile } : {}),
                  ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds } : {}),
                }),
            },
          ),
        }),
        () => this.initialized(request.repository, emit),
      ),
    );
  }

  drill(request: DrillRequest, ctx: RunContext = {}): Promise<DrillAnswer> {
    const emit = emitter(ctx);
    const { restic, dataDir, restores } = this.deps;
    return answer(() =>
      this.deps.repositories.withRepository(
        request.repository,
        (repo) =>
          executeDrill({ restic, dataDir, databases: restores.databases }, repo.location, request, {
            signal: ctx.signal,
            log: (line) => emit({ kind: 'log', line }),
            progress: (fraction, message) =>
              emit({
                kind: 'progress',
                fraction,
                bytesDone: 0,
                bytesTotal: 0,
                filesDone: 0,
                filesTotal: 0,
                currentFile: message,
              }),
          }),
        () => this.initialized(request.repository, emit),
      ),
    );
  }

  restorePreview(request: RestorePreviewRequest): Promise<RestorePreviewAnswer> {
    const { repository, action, offset, limit, ...restore } = request;
    // The same restore of the same snapshot for the same customer: one preview, paged. Keyed
    // without the repository's secrets.
    const key = JSON.stringify([repository.repositoryId, repository.url, restore]);
    return answer(async () => {
      const preview = await this.previews.get(key, async () => {
        const repo = await this.openRepository(repository);
        return previewRestore(
          { restic: this.deps.restic, browser: this.deps.browser },
          repo.location,
          restore,
          OPEN_LIMITS,
        );
      });
      return {
        method: preview.method,
        areas: preview.areas.map((a) => plain(a)),
        databases: preview.databases,
        page: previewPage(preview, action, offset, limit),
      };
    });
  }

  testConnection(request: TestConnectionRequest): Promise<TestConnectionAnswer> {
    const { restic, resticBinary } = this.deps;
    return answer(() =>
      probeTarget(
        request.target,
        {
          restic: (cacheDir) =>
            Restic.forVersion(restic.version, { binary: resticBinary, cacheDir }),
        },
        {
          audience: request.audience,
          ...(request.reachAddress ? { reachAddress: request.reachAddress } : {}),
        },
      ),
    );
  }

  readonly browse = {
    open: (request: BrowseOpenRequest): Promise<BrowseOpenAnswer> =>
      answer(async () => {
        const opened = await this.open(request);
        return {
          snapshotId: opened.snapshotId,
          reused: opened.reused,
          entries: opened.meta.entries,
        };
      }),

    list: (request: BrowseListRequest): Promise<BrowseListAnswer> =>
      answer(async () => {
        await this.open(request);
        const listing = this.deps.browser.listFriendly(
          request.snapshotId,
          request.roots,
          request.path,
          { offset: request.offset, limit: request.limit },
        );
        return { ...listing, entries: listing.entries.map((e) => plain(e)) };
      }),

    stat: (request: BrowseStatRequest): Promise<BrowseStatAnswer> =>
      answer(async () => {
        await this.open(request);
        const found = this.deps.browser.resolveFriendly(
          request.snapshotId,
          request.roots,
          request.path,
        );
        if (found.kind !== 'real') return { kind: found.kind, path: found.path };
        const entry = this.deps.browser.stat(request.snapshotId, found.realPath);
        return {
          kind: 'real',
          path: found.path,
          realPath: found.realPath,
          ...(entry
            ? {
                entry: plain({
                  name: entry.name,
                  type: entry.type,
                  path: entry.path,
                  size: entry.size,
                  mtime: entry.mtime,
                  linkTarget: entry.linkTarget,
                }),
              }
            : {}),
        };
      }),

    search: (request: BrowseSearchRequest): Promise<BrowseSearchAnswer> =>
      answer(async () => {
        await this.open(request);
        const found = this.deps.browser.searchFriendly(
          request.snapshotId,
          request.roots,
          request.query,
          { limit: request.limit },
        );
        return { ...found, entries: found.entries.map((e) => plain(e)) };
      }),
  };

  async download(request: DownloadRequest, ctx: RunContext = {}): Promise<Download> {
    const { browser, restic } = this.deps;
    const started = await answer(async () => {
      const repo = await this.openRepository(request.repository);
      await browser.open(repo.location, request.snapshotId, pick(request));
      const found = browser.resolveFriendly(request.snapshotId, request.roots, request.path);
      if (found.kind !== 'real')
        throw new BrowseError('not-a-file', 'Choose a file or a folder to download.');
      const entry = browser.stat(request.snapshotId, found.realPath);
      if (!entry) throw new BrowseError('not-found', `${request.path} is not in this snapshot.`);
      await checkDownloadable(restic, repo.location, request.snapshotId, entry, request.path);
      // Named as the customer saw it: the snapshot path may be the service's own (Databases).
      const name = found.path.split('/').pop() || 'download';
      const isDir = entry.type === 'dir';
      const stop = new AbortController();
      const onAbort = () => stop.abort();
      ctx.signal?.addEventListener('abort', onAbort, { once: true });
      const out = new PassThrough();
      const options = {
        roots: request.roots,
        browser,
        stallMs: 120_000,
        archiveName: name,
        signal: stop.signal,
      };
      const work = isDir
        ? downloadDirectory(restic, repo.location, request.snapshotId, found.realPath, out, options)
        : downloadFile(restic, repo.location, request.snapshotId, found.realPath, out, options);
      // A failure reaches the reader through the stream, before or after the first bytes.
      work.catch((error: unknown) => out.destroy(error as Error));
      const reader = out[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      // Waits for the first bytes (or the end of an empty file): a failure before them is an
      // answer of its own, not a broken download.
      const first = await reader.next().catch((error: unknown) => {
        ctx.signal?.removeEventListener('abort', onAbort);
        throw error;
      });
      return { name, isDir, first, reader, stop, onAbort, out };
    });
    const { name, isDir, first, reader, stop, onAbort, out } = started;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      let finished = false;
      try {
        if (first.done) {
          finished = true;
          return;
        }
        yield first.value;
        for (;;) {
          const next = await reader.next();
          if (next.done) {
            finished = true;
            return;
          }
          yield next.value;
        }
      } catch (error) {
        throw asAgentError(error);
      } finally {
        ctx.signal?.removeEventListener('abort', onAbort);
        // A reader that stops early (the customer closed the page) ends restic too.
        if (!finished) {
          stop.abort();
          out.destroy();
        }
      }
    }
    return {
      meta: isDir
        ? { kind: 'dir', name, contentType: 'application/gzip' }
        : { kind: 'file', name, contentType: 'application/octet-stream' },
      chunks: chunks(),
    };
  }

  sweepCertificates(request: SweepCertificatesRequest): Promise<SweepCertificatesAnswer> {
    return answer(async () => ({
      removed: await sweepCaCerts(this.deps.certDir, request.inUse),
    }));
  }

  recover(request: RecoverRequest): Promise<RecoverAnswer> {
    return answer(async () => {
      const log: string[] = [];
      const onLog = (line: string) => log.push(line);
      const notes: RecoverAnswer['notes'] = [];
      for (const outcome of await recoverInterruptedRestores(
        join(this.deps.dataDir, 'restore-journal'),
        { onLog, withSafety: this.deps.withSafety },
      )) {
        log.push(
          `recovered interrupted restore of job ${outcome.jobId}: ${outcome.action} ${outcome.path}`,
        );
        const said = {
          'rolled-back': `${outcome.path} was left as it was before the restore.`,
          'rolled-forward': `${outcome.path} was restored completely when the service started again.`,
          failed: `${outcome.path} could not be put right automatically; the administrator was told.`,
        }[outcome.action].concat(
          outcome.safetySnapshotId
            ? ` Its previous content is in safety snapshot ${outcome.safetySnapshotId.slice(0, 8)}, to undo the restore.`
            : outcome.keptIn
              ? ` Its previous content could not be saved as a safety snapshot; it is kept in ${outcome.keptIn} for the administrator.`
              : '',
        );
        // Journal ids are "<job id>-<step>": one job may have restored several areas.
        notes.push({
          jobId: Number.parseInt(outcome.jobId, 10),
          note: said,
          restore: { journalId: outcome.jobId, action: outcome.action },
        });
      }
      // Database restores: finished or undone from their journals, owner accounts locked again.
      for (const outcome of await recoverDatabaseRestores({
        ...this.deps.database,
        customerIds: request.customerIds,
        onLog,
      })) {
        notes.push({
          jobId: Number.parseInt(outcome.jobId, 10),
          note: outcome.note,
          restore: { database: outcome.database, action: outcome.action },
        });
      }
      // Database dumps of interrupted runs: customer data outside the customer's areas.
      await rm(join(this.deps.dataDir, 'staging'), { recursive: true, force: true });
      for (const name of await readdir(this.deps.dataDir)) {
        if (name.startsWith('restore-db-'))
          await rm(join(this.deps.dataDir, name), { recursive: true, force: true });
      }
      return { notes: notes.filter((n) => Number.isSafeInteger(n.jobId) && n.jobId > 0), log };
    });
  }

  facts(): Promise<Facts> {
    return answer(async () => {
      let mariadb: Facts['mariadb'] = null;
      try {
        const conversation = await openConversation(this.deps.database.connection);
        mariadb = { version: conversation.version };
        await conversation.close();
      } catch {
        // No MariaDB on this server (or not reachable as root): the fact is that there is none.
      }
      return {
        restic: {
          version: this.deps.restic.version.text,
          binary: this.deps.resticBinary ?? 'restic',
        },
        mariadb,
        dataDirFreeBytes: await freeSpace(this.deps.dataDir),
      };
    });
  }

  private async open(request: BrowseOpenRequest) {
    const repo = await this.openRepository(request.repository);
    return this.deps.browser.open(repo.location, request.snapshotId, pick(request));
  }

  private openRepository(access: RepositoryAccess): Promise<OpenRepository> {
    return this.deps.repositories.open(access);
  }

  private initialized(access: RepositoryAccess, emit: (event: AgentEvent) => void): void {
    emit({ kind: 'repository-initialized', repositoryId: access.repositoryId });
  }

  private indexInBackground(access: RepositoryAccess, snapshotId: string): void {
    void this.openRepository(access)
      .then((repo) => this.deps.browser.open(repo.location, snapshotId, { stallMs: 120_000 }))
      .catch((error: unknown) => {
        this.deps.log(
          `browse index of ${snapshotId}: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
  }
}

/** The request's own limits, or those of a browse request that builds the index. */
function pick(request: { timeoutMs?: number; stallMs?: number }) {
  return {
    timeoutMs: request.timeoutMs ?? OPEN_LIMITS.timeoutMs,
    stallMs: request.stallMs ?? OPEN_LIMITS.stallMs,
  };
}

/** Runs the work; whatever it throws leaves as an AgentError. */
async function answer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asAgentError(error);
  }
}

function emitter(ctx: RunContext): (event: AgentEvent) => void {
  return (event) => ctx.onEvent?.(event);
}

function progressOf(p: BackupProgress): ProgressEvent {
  return {
    kind: 'progress',
    fraction: Math.min(1, Math.max(0, p.percentDone)),
    bytesDone: p.bytesDone,
    bytesTotal: p.totalBytes,
    filesDone: p.filesDone,
    filesTotal: p.totalFiles,
    ...(p.currentFiles[0] !== undefined ? { currentFile: p.currentFiles[0] } : {}),
    ...(p.secondsRemaining !== undefined ? { etaSeconds: p.secondsRemaining } : {}),
  };
}

/** Plain data: fields that are undefined are left out, as JSON would. */
function plain<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
