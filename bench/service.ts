/**
 * The service as a customer drives it, for the cases measured "through the service": a real
 * `hostvault serve` child over its own data directory, one customer whose web root is the bench
 * tree, and the calls the Backups page makes (Run now, restore), each timed from the request to
 * the moment the job reads as done.
 *
 * The customer's repository is made before the service starts, as a provider's first backup of a
 * new customer would find it after the account was set up: restic calibrates the key derivation
 * when a repository is made, and the raw side's repository must be made until its key costs the
 * same (see initRepos in harness.ts).
 */
import { mkdirSync } from 'node:fs';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RepositoryLocation } from '../src/engine/index.js';
import { targetSchema } from '../src/target/schema.js';
import {
  prepareCustomer,
  serviceEnv,
  session,
  startServe,
} from '../test/support/service-process.js';

const CUSTOMER = 'bench';
/** How often a job is polled until done (see timedJob). */
const POLL_MS = 1000;
const PASSWORD = 'bench-customer-password';

/** A job as GET /api/jobs/:id answers it (the fields the cases read). */
export interface BenchJob {
  id: number;
  status: string;
  finishedAt: string | null;
  error: string | null;
  snapshotId: string | null;
  log: string;
  stats: unknown;
}

export interface TimedJob {
  /** From the request to the job's finish as the service stamped it. */
  seconds: number;
  job: BenchJob;
}

export class BenchService {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    /** The customer's repository, for checks with plain restic after the clock stops. */
    readonly repository: RepositoryLocation,
    private readonly call: Awaited<ReturnType<typeof session>>,
    readonly dataDir: string,
  ) {}

  /** The service's process id, for memory readings from /proc. */
  get pid(): number {
    return this.child.pid!;
  }

  /**
   * Sets up a data directory under `dir` with one customer (web root `webRoot`), makes the
   * customer's local repository, and starts the service on it.
   */
  static async start(dir: string, webRoot: string): Promise<BenchService> {
    const env = serviceEnv(dir);
    mkdirSync(env.HOSTVAULT_DATA_DIR!, { recursive: true });
    const customer = { id: CUSTOMER, uid: 3900, webRoot, password: PASSWORD };
    const repository = await prepareCustomer(env, customer, async (app) => {
      // The provider's directory, where a customer's "Local" target always points.
      const target = targetSchema.parse({ kind: 'local', path: app.config.localRepositoryDir });
      return app.repositories.withRepository(target, CUSTOMER, async (repo) => ({
        url: repo.location.url,
        password: repo.location.password,
      }));
    });
    const { child, url } = await startServe(env);
    const call = await session(url, CUSTOMER, PASSWORD);
    return new BenchService(child, url, repository!, call, env.HOSTVAULT_DATA_DIR!);
  }

  /** A web-scope schedule on the local target, as the Schedules tab creates it. */
  async createSchedule(retention: number): Promise<number> {
    const created = await this.call('POST', '/api/schedules', {
      name: 'Bench web',
      scope: 'web',
      frequency: 'daily',
      retention,
      target: { kind: 'local' },
    });
    if (typeof created.id !== 'number')
      throw new Error(`creating the schedule failed: ${JSON.stringify(created)}`);
    return created.id;
  }

  /** Run now, then wait for the job. */
  runNow(scheduleId: number): Promise<TimedJob> {
    return this.timedJob(() => this.call('POST', `/api/schedules/${scheduleId}/run`));
  }

  /** The schedule's newest snapshot as the Restore tab lists it. */
  async latestSnapshot(scheduleId: number): Promise<{ repositoryId: number; id: string }> {
    const { snapshots } = await this.call('GET', `/api/schedules/${scheduleId}/snapshots`);
    const latest = snapshots?.[0];
    if (!latest) throw new Error('the schedule has no snapshot to restore');
    return latest;
  }

  /** A restore as the Restore tab starts it, then wait for the job. */
  restore(
    snapshot: { repositoryId: number; id: string },
    request: { what: string; path?: string },
  ): Promise<TimedJob> {
    return this.timedJob(() =>
      this.call('POST', `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/restore`, request),
    );
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await once(this.child, 'exit');
  }

  /**
   * Starts a job and waits for it. The time is taken from the job's own finish stamp, not from
   * the poll that sees it: polling often enough for the poll not to matter would load the
   * service (and the two CPUs restic needs) far more than a customer's browser ever does. Once
   * a second, still twice the Job detail page's pace (2 s; the banner's is 5 s). At 4 polls a
   * second, this process's and the service's CPU to the swap of a 20,000-file restore were
   * 0.4-0.7 s and 0.9-1.4 s; at 1, 0.3-0.4 s and 0.75-1.2 s (two runs on a loaded machine),
   * all of it counted on the service's side.
   */
  private async timedJob(start: () => Promise<{ jobId?: number }>): Promise<TimedJob> {
    const requested = Date.now();
    const { jobId } = await start();
    if (typeof jobId !== 'number') throw new Error('the service started no job');
    for (;;) {
      await sleep(POLL_MS);
      const job = (await this.call('GET', `/api/jobs/${jobId}`)) as BenchJob;
      if (job.status !== 'pending' && job.status !== 'running') {
        if (job.status !== 'successful')
          throw new Error(`job ${jobId} ${job.status}: ${job.error}\n${job.log.slice(-3000)}`);
        const finished = Date.parse(job.finishedAt ?? '');
        if (!Number.isFinite(finished)) throw new Error(`job ${jobId} has no finish time`);
        return { seconds: (finished - requested) / 1000, job };
      }
    }
  }
}
