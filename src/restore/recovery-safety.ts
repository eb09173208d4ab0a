/**
 * The repository and the record of a safety snapshot that recovery makes at start: a web root's
 * restore interrupted between its swap and the safety snapshot of the previous tree. The restore
 * journal names the job ("<job id>-<step>"); the job's params name the snapshot, and through it
 * the customer, schedule and target, checked again as a running job checks them.
 */
import type { Restic } from '../engine/index.js';
import type { JobStore } from '../job/job-store.js';
import type { RepositoryService } from '../repository/repository-service.js';
import type { Content } from '../scope/scope.js';
import { recordSafetySnapshot } from '../snapshot/records.js';
import type { Store } from '../store/index.js';
import type { AreaJournal } from './journal.js';
import type { RecoveryOptions } from './recover.js';
import type { RestoreRequest } from './restore-request.js';
import type { RestoreJobParams, RestoreService } from './restore-service.js';

/** What a restore job keeps in the journal for the record of a safety snapshot (JSON). */
export interface SafetyRecord {
  content: Content;
  roots: Partial<Record<Content, string[]>>;
  undo: RestoreRequest;
}

export function recoverySafety(deps: {
  store: Store;
  jobs: Pick<JobStore, 'get'>;
  restores: Pick<RestoreService, 'resolve'>;
  repositories: Pick<RepositoryService, 'withRepository'>;
  restic: Restic;
}): NonNullable<RecoveryOptions['withSafety']> {
  return async (journal: AreaJournal, save) => {
    const jobId = Number.parseInt(journal.jobId, 10);
    const job = await deps.jobs.get(jobId);
    const record = journal.safety?.record as SafetyRecord | undefined;
    if (!job || job.type !== 'restore' || !record || !journal.safety)
      throw new Error(`restore job ${journal.jobId} is not known`);
    const params = JSON.parse(job.params ?? '{}') as RestoreJobParams;
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
