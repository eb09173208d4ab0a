/**
 * `--wait`: runs the worker in this process for one job (the one just queued) and prints its log
 * as it grows. Other pending jobs are left to the service; if the service picks this job up first,
 * this only follows it.
 */
import type { App } from '../app.js';
import { JobStore, type JobOwner } from '../job/job-store.js';
import { Worker } from '../job/worker.js';
import type { JobRow, Store } from '../store/index.js';
import type { Io } from './context.js';

const FINISHED = new Set(['successful', 'failed', 'canceled']);

/** A job store that hands out one job only: this process's worker runs nothing else. */
class OneJob extends JobStore {
  constructor(
    private readonly source: Store,
    private readonly jobId: number,
  ) {
    super(source);
  }

  override async claimNext(owner?: JobOwner): Promise<JobRow | undefined> {
    const now = new Date();
    return this.source.db
      .updateTable('jobs')
      .set({
        status: 'running',
        started_at: now.toISOString(),
        // Held by this process: a restart of the service leaves it alone while it renews.
        owner: owner?.id ?? null,
        lease_until: owner ? new Date(now.getTime() + owner.leaseMs).toISOString() : null,
      })
      .where('id', '=', this.jobId)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
  }
}

/** Runs (or follows) the job to its end; the exit code: 0 successful, 1 otherwise. */
export async function runAndFollow(app: App, jobId: number, io: Io): Promise<number> {
  const worker = new Worker({
    jobs: new OneJob(app.store, jobId),
    handlers: app.handlers,
    concurrency: 1,
    flushIntervalMs: 250,
    onFinished: (job, status, error) => app.notifier.jobFinished(job, status, error),
  });
  // Ctrl-C cancels the job rather than leaving it running without its process; a job that the
  // service runs goes on there, and this process stops following it.
  let detached = false;
  const interrupt = () => {
    void worker.cancel(jobId).then((result) => {
      if (result === 'not-active') {
        io.err(`hostvault: the service runs job ${jobId}; it goes on there\n`);
        detached = true;
      } else io.err('hostvault: canceling the job…\n');
    });
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  worker.start();
  let printed = 0;
  let job: JobRow | undefined;
  try {
    for (;;) {
      job = await app.jobs.get(jobId);
      if (!job) throw new Error(`job ${jobId} disappeared`);
      const log = job.log ?? '';
      if (log.length > printed) {
        io.out(log.slice(printed));
        printed = log.length;
      }
      if (FINISHED.has(job.status)) break;
      if (detached) return 130;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await worker.stop();
    await app.notifier.idle();
  }
  io.out(
    job.status === 'successful'
      ? `job ${jobId} successful\n`
      : `job ${jobId} ${job.status}${job.error ? `: ${job.error}` : ''}\n`,
  );
  return job.status === 'successful' ? 0 : 1;
}
