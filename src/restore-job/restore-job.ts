/**
 * The worker's handler for restore jobs, on the control plane: checks the request again against
 * the records (the snapshot, its schedule or the customer may have gone while it waited), resolves
 * the repository (password unsealed into the request), has the agent restore, and records each
 * safety snapshot the agent reports, so it is reachable by the id the job log names. Nothing here
 * touches the hosting server; the restore itself is src/restore/restore-run.ts behind the agent.
 */
import type { HostAgent } from '../agent/agent.js';
import type { AgentEvent, RecoverAnswer } from '../agent/protocol.js';
import { restoreJobParams } from '../job/job-params.js';
import type { JobHandler } from '../job/worker.js';
import type { RepositoryService } from '../repository/repository-service.js';
import { runEvents } from '../repository/run-events.js';
import { recordSafetySnapshot } from '../repository/snapshot-records.js';
import type { Store } from '../store/index.js';
import { plannedSnapshot } from './restore-plan.js';
import type { RestoreService } from './restore-service.js';

export interface RestoreJobDeps {
  /** Where safety snapshots are recorded (repository/snapshot-records.ts owns the table). */
  store: Store;
  restores: Pick<RestoreService, 'resolve' | 'completedByRecovery'>;
  repositories: Pick<RepositoryService, 'access' | 'markInitialized'>;
  agent: Pick<HostAgent, 'restore'>;
  /** The service log, for a failure to record what the agent reported. */
  log?: (line: string) => void;
  /**
   * A fleet's controller: what the agents' own recovery found at their last start. An agent that
   * stopped mid-restore answers the job as interrupted, yet its recovery at start may have rolled
   * the restore forward to the end; then the job reads successful, as it does after a restart of
   * `serve` (src/serve.ts). Unset in `serve`, whose in-process agent recovers at the service's
   * start instead (asking it here would recover again, under running restores).
   */
  recoveryNotes?: (customerId: string) => Promise<RecoverAnswer>;
}

export function restoreJobHandler(deps: RestoreJobDeps): JobHandler {
  return async (job, ctx) => {
    const params = restoreJobParams(job);
    // Checked again: the snapshot, its schedule or the customer may have gone while it waited.
    const { snapshot, customer, target, owner } = await deps.restores.resolve(
      { role: 'admin' },
      { repositoryId: params.repositoryId, snapshotId: params.snapshotId },
      params.request,
    );
    // SECRET: the request holds the repository's password; it is never logged.
    const repository = await deps.repositories.access(target, owner);
    const events = runEvents(ctx, deps.repositories, { log: deps.log });
    // Each safety snapshot is recorded as soon as the agent reports it; the job ends (either
    // way) only after every record is written.
    const recording: Promise<void>[] = [];
    const onEvent = (event: AgentEvent): void => {
      if (event.kind !== 'safety-snapshot') return events(event);
      recording.push(
        recordSafetySnapshot(deps.store, {
          id: event.id,
          repositoryId: repository.repositoryId,
          scheduleId: snapshot.schedule_id,
          customerId: customer.id,
          restoreJobId: job.id,
          time: event.time,
          content: event.content,
          roots: { [event.content]: event.roots },
          tags: event.tags,
          undo: event.undo,
        }),
      );
    };
    let recorded: PromiseSettledResult<void>[] = [];
    let completedByRecovery = false;
    try {
      await deps.agent
        .restore(
          {
            jobId: job.id,
            repository,
            snapshotId: snapshot.id,
            customer,
            ...plannedSnapshot(snapshot),
            ...params.request,
          },
          { signal: ctx.signal, onEvent },
        )
        .catch(async (error: unknown) => {
          if (ctx.signal.aborted || !deps.recoveryNotes) throw error;
          const found = await deps.recoveryNotes(customer.id).catch(() => undefined);
          const mine = found?.notes.filter((n) => n.jobId === job.id) ?? [];
          if (
            mine.length === 0 ||
            !(await deps.restores.completedByRecovery(
              job,
              mine.map((n) => n.restore),
            ))
          )
            throw error;
          for (const n of mine) ctx.log(n.note);
          completedByRecovery = true;
        });
    } finally {
      recorded = await Promise.allSettled(recording);
    }
    if (completedByRecovery)
      ctx.log('Restore completed by the agent of its server when it started again');
    // A safety snapshot that could not be recorded is not reachable by its label: the job fails.
    const failed = recorded.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return { snapshotId: snapshot.id };
  };
}
