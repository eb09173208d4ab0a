/**
 * The one-server bridge for a safety snapshot that recovery makes at start: a web root restored
 * before a crash whose previous tree has no safety snapshot yet. The agent finds such a journal
 * while it recovers; making the snapshot needs the repository (its password is the control
 * plane's) and recording it needs the store, so in one process the composition hands the agent
 * this function. The restore journal names the job ("<job id>-<step>"); the job's params name the
 * snapshot, and through it the customer, schedule and target, checked again as a running job
 * checks them. A fleet agent needs the same as a request and answer (see docs/architecture.md).
 */
import { restoreJobParams } from './job/job-params.js';
import type { JobStore } from './job/job-store.js';
import type { LocalRepositories } from './agent/local-repositories.js';
import type { Restic } from './engine/index.js';
import { recordSafetySnapshot } from './repository/snapshot-records.js';
import type { RecoveryOptions } from './restore/recover.js';
import type { SafetyRecord } from './restore-job/restore-request.js';
import type { RestoreService } from './restore-job/restore-service.js';
import type { Store } from './store/index.js';

export function recoverySafety(deps: {
  store: Store;
  jobs: Pick<JobStore, 'get'>;
  restores: Pick<RestoreService, 'resolve'>;
  repositories: Pick<LocalRepositories, 'withRepository'>;
  restic: Restic;
}): NonNullable<RecoveryOptions['withSafety']> {
  return async (journal, save) => {
    const jobId = Number.parseInt(journal.jobId, 10);
    const job = await deps.jobs.get(jobId);
    const record = journal.safety?.record as SafetyRecord | undefined;
    if (!job || job.type !== 'restore' || !record || !journal.safety)
      throw new Error(`restore job ${journal.jobId} is not known`);
    const params = restoreJobParams(job);
    const { snapshot, customer, target, owner } = await deps.restores.resolve(
      { role: 'admin' },
      { repositoryId: params.repositoryId, snapshotId: params.snapshotId },
      params.request,
    );
    const tags = journal.safety.tags;
    return deps.repositories.withRepository(target, owner, (repo) =>
      save({
        restic: deps.restic,
        repo: repo.location,
        onSafetySnapshot: (id) =>
          recordSafetySnapshot(deps.store, {
            id,
            repositoryId: repo.id,
            scheduleId: snapshot.schedule_id,
            customerId: customer.id,
            restoreJobId: jobId,
            time: new Date().toISOString(),
            ...record,
            tags,
          }),
      }),
    );
  };
}
