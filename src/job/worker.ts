/**
 * Runs jobs: claims pending ones up to a global concurrency limit, hands each to the handler for
 * its type, persists progress and log at least every second, and records the outcome in words a
 * customer understands.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { runAsJob } from '../agent/adoption.js';
import { failureOf } from '../agent/errors.js';
import type { JobRow, JobType } from '../store/index.js';
import {
  DEFAULT_JOB_LEASE_MS,
  type JobOwner,
  type JobProgress,
  type JobStore,
} from './job-store.js';

export interface JobContext {
  signal: AbortSignal;
  progress(progress: JobProgress): void;
  log(line: string): void;
}

export interface JobResult {
  snapshotId?: string;
  bytesAdded?: number;
  bytesProcessed?: number;
  stats?: unknown;
  /** 'mass_change': the mass-change guard flagged the backup. */
  flag?: string;
}

export type JobHandler = (job: JobRow, ctx: JobContext) => Promise<JobResult>;

export interface WorkerOptions {
  jobs: JobStore;
  handlers: Partial<Record<JobType, JobHandler>>;
  /** Jobs running at once on this worker, over all customers. */
  concurrency?: number;
  /** How often progress and new log lines are written to the store. */
  flushIntervalMs?: number;
  /** How often the store is polled for jobs that another process created. */
  pollIntervalMs?: number;
  onFinished?: (job: JobRow, status: 'successful' | 'failed' | 'canceled', error?: string) => void;
  now?: () => Date;
  /** Where the worker reports a store that does not answer (default: stderr). */
  log?: (line: string) => void;
  /**
   * This worker's instance id, written as the owner of the jobs it claims (default: a fresh one).
   * `serve` keeps one across restarts, so its start knows the jobs it ran before.
   */
  ownerId?: string;
  /** How long its claim on a running job holds unrenewed; renewed every third of it. */
  leaseMs?: number;
  /**
   * Take over running jobs whose owner's lease expired (a controller that died) and follow them
   * to their real end on the agent (src/agent/adoption.ts). A fleet's controllers do; `serve`
   * marks such jobs interrupted at its start instead.
   */
  adopt?: boolean;
}

/** A job's log is for people; beyond this it is cut, so one noisy run cannot bloat the store. */
const MAX_LOG_CHARS = 512 * 1024;
/** How long a finished job's outcome is offered to a store that does not answer. */
const FINISH_PATIENCE_MS = 120_000;

export class Worker {
  private readonly running = new Map<number, AbortController>();
  /** Per running job: aborted when another controller took it over (see renew). */
  private readonly detachers = new Map<number, AbortController>();
  private readonly tasks = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private again = false;
  /** The claim loop and the lease renewal in flight, if any (stop waits for them). */
  private pumped: Promise<void> | undefined;
  private renewing: Promise<void> | undefined;
  private stopped = true;
  private readonly concurrency: number;
  private readonly now: () => Date;
  private readonly log: (line: string) => void;
  private renewer: NodeJS.Timeout | undefined;
  /** Who this worker is to the store, and how long its claims hold. */
  readonly owner: JobOwner;

  constructor(private readonly opts: WorkerOptions) {
    this.concurrency = opts.concurrency ?? 2;
    this.now = opts.now ?? (() => new Date());
    this.log = opts.log ?? ((line) => console.error(`hostvault: ${line}`));
    this.owner = {
      id: opts.ownerId ?? `worker-${randomUUID()}`,
      leaseMs: opts.leaseMs ?? DEFAULT_JOB_LEASE_MS,
    };
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.notify(), this.opts.pollIntervalMs ?? 1000);
    this.timer.unref();
    this.renewer = setInterval(
      () => {
        this.renewing = this.renew();
      },
      Math.max(1, this.owner.leaseMs / 3),
    );
    this.renewer.unref();
    this.notify();
  }

  /**
   * Says to the store this worker still runs its jobs. A store that does not answer is tried
   * again at the next renewal; a lease that lapsed meanwhile may have let another controller
   * adopt the job, which then follows it on the agent as well: both record the same outcome.
   */
  private async renew(): Promise<void> {
    const ids = [...this.running.keys()];
    if (ids.length === 0) return;
    try {
      const held = await this.opts.jobs.renewLeases(this.owner, ids);
      if (held.length === ids.length) return;
      // Finished meanwhile, or adopted by another controller while the store did not answer:
      // that one follows it now, and this worker lets go without canceling it on the agent.
      for (const id of await this.opts.jobs.takenOver(this.owner, ids)) {
        const detacher = this.detachers.get(id);
        if (!detacher || detacher.signal.aborted) continue;
        this.log(`job ${id}: another controller took it over; this one follows it no further`);
        detacher.abort();
      }
    } catch (error) {
      this.log(`worker: cannot renew job leases: ${messageOf(error)}`);
    }
  }

  /** Stops taking jobs and cancels the running ones; resolves when they have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.renewer) clearInterval(this.renewer);
    for (const controller of this.running.values()) controller.abort();
    // A claim or renewal already sent is waited for too: a store closed under it (a test's
    // schema dropped, a shutdown) would otherwise meet a query still holding its locks. A job
    // claimed by that last claim has started and is canceled like the others.
    await Promise.allSettled([this.pumped, this.renewing]);
    for (const controller of this.running.values()) controller.abort();
    await Promise.allSettled([...this.tasks]);
  }

  /** Waits until no job is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0 || this.pumping)
      await Promise.allSettled([...this.tasks, new Promise((r) => setTimeout(r, 10))]);
  }

  runningCount(): number {
    return this.running.size;
  }

  /** Something may be waiting: look now rather than at the next poll. */
  notify(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    // The store may be away for a moment (PostgreSQL restarted): the claim fails, the next poll
    // tries again. Unheard, that rejection ended the whole process.
    this.pumped = this.pump()
      .catch((error: unknown) => this.log(`worker: cannot claim jobs: ${messageOf(error)}`))
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.notify();
        }
      });
  }

  /** Cancels a job: a pending one at once, a running one through its abort signal. */
  async cancel(jobId: number): Promise<'canceled' | 'canceling' | 'not-active'> {
    if (await this.opts.jobs.cancelPending(jobId)) return 'canceled';
    const controller = this.running.get(jobId);
    if (controller) {
      controller.abort();
      return 'canceling';
    }
    return 'not-active';
  }

  private async pump(): Promise<void> {
    while (!this.stopped && this.running.size < this.concurrency) {
      // A dead controller's job first: it has been waiting for an owner longest.
      const adopted = this.opts.adopt ? await this.opts.jobs.adoptExpired(this.owner) : undefined;
      const job = adopted ?? (await this.opts.jobs.claimNext(this.owner));
      if (!job) return;
      const task = this.execute(job, !!adopted).finally(() => {
        this.tasks.delete(task);
        this.notify();
      });
      this.tasks.add(task);
    }
  }

  /**
   * Records a job's outcome, trying again while the store is away (a PostgreSQL restart takes
   * seconds): the work is done, and a job left "running" would claim it never ended. Gives up
   * after FINISH_PATIENCE_MS; a controller's recovery at its next start then ends the job.
   */
  private async finishSurely(
    jobId: number,
    outcome: Parameters<JobStore['finish']>[1],
  ): Promise<boolean> {
    const deadline = Date.now() + FINISH_PATIENCE_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        if (await this.opts.jobs.finish(jobId, outcome, this.owner.id)) return true;
        this.log(`job ${jobId}: another controller holds it now; it records the outcome`);
        return false;
      } catch (error) {
        if (Date.now() > deadline) {
          this.log(`job ${jobId}: its outcome could not be recorded: ${messageOf(error)}`);
          // Still told (a failed backup's notice matters most when the store is in trouble).
          return true;
        }
        if (attempt === 1)
          this.log(`job ${jobId}: recording its outcome failed, trying again: ${messageOf(error)}`);
        await sleep(1000);
      }
    }
  }

  private async execute(job: JobRow, adopted: boolean): Promise<void> {
    const controller = new AbortController();
    const detacher = new AbortController();
    this.running.set(job.id, controller);
    this.detachers.set(job.id, detacher);
    let pendingLog = '';
    let logSize = job.log?.length ?? 0;
    let latest: JobProgress | undefined;
    let dirty = false;
    const log = (line: string) => {
      if (logSize > MAX_LOG_CHARS) return;
      const stamped = `${this.now().toISOString().slice(11, 19)} ${line}\n`;
      logSize += stamped.length;
      pendingLog += logSize > MAX_LOG_CHARS ? '… (log truncated)\n' : stamped;
      dirty = true;
    };
    // One write at a time, in order: a periodic flush still on its way must land before the next
    // and before finish(). On a store with several connections (PostgreSQL) finish() could
    // otherwise commit first, and that flush, which only writes to a running job, would drop its
    // log lines.
    let flushing: Promise<void> = Promise.resolve();
    const flush = (): Promise<void> => {
      flushing = flushing
        .catch(() => undefined)
        .then(async () => {
          if (!dirty) return;
          dirty = false;
          const append = pendingLog;
          pendingLog = '';
          await this.opts.jobs
            .saveProgress(job.id, latest ?? emptyProgress(), append || undefined)
            .catch((error: unknown) => {
              // Not written (the store is away): the lines go with the next flush or finish().
              pendingLog = append + pendingLog;
              dirty = true;
              throw error;
            });
        });
      return flushing;
    };
    const flusher = setInterval(
      () => void flush().catch(() => undefined),
      this.opts.flushIntervalMs ?? 1000,
    );
    let status: 'successful' | 'failed' | 'canceled' = 'failed';
    let error: string | undefined;
    let recorded = false;
    try {
      const handler = this.opts.handlers[job.type];
      if (!handler) throw new Error(`No worker here runs ${job.type} jobs.`);
      const ctx: JobContext = {
        signal: controller.signal,
        log,
        progress: (p) => {
          latest = p;
          dirty = true;
        },
      };
      log(
        adopted
          ? `Taken over by controller ${this.owner.id}: the controller running it stopped`
          : `${capitalize(job.type)} started`,
      );
      const result = await runAsJob({ jobId: job.id, adopted, detached: detacher.signal }, () =>
        handler(job, ctx),
      );
      if (detacher.signal.aborted) return;
      status = 'successful';
      log(`${capitalize(job.type)} finished successfully`);
      clearInterval(flusher);
      // A progress write that fails does not make a finished job fail: finish() below carries
      // the lines not yet written.
      await flush().catch(() => undefined);
      recorded = await this.finishSurely(job.id, {
        status,
        snapshotId: result.snapshotId,
        bytesAdded: result.bytesAdded,
        bytesProcessed: result.bytesProcessed,
        stats: result.stats,
        flag: result.flag,
        logAppend: pendingLog || undefined,
      });
    } catch (caught) {
      // Another controller follows the job now and records its outcome.
      if (detacher.signal.aborted) return;
      // The agent's failure as data (a restore handler that still runs host code directly
      // throws the host's errors, read the same way).
      const failure = failureOf(caught);
      status = controller.signal.aborted || failure.code === 'canceled' ? 'canceled' : 'failed';
      error = status === 'canceled' ? 'The job was canceled.' : messageOf(caught);
      if (failure.from === 'restic' && failure.detail) log(`restic said: ${failure.detail}`);
      log(status === 'canceled' ? 'Canceled' : `Failed: ${error}`);
      clearInterval(flusher);
      await flush().catch(() => undefined);
      recorded = await this.finishSurely(job.id, {
        status,
        error,
        logAppend: pendingLog || undefined,
      });
    } finally {
      clearInterval(flusher);
      this.running.delete(job.id);
      this.detachers.delete(job.id);
    }
    // Told once, by the worker whose outcome is the job's.
    if (recorded) this.opts.onFinished?.(job, status, error);
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function emptyProgress(): JobProgress {
  return { percent: 0, bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0 };
}
