/**
 * The worker's handler for restore drills, on the control plane: finds the snapshot and its
 * customer in the store, resolves the repository (password unsealed into the request), has the
 * agent restore a sample and every dump into scratch space and compare them, and records the
 * outcome. A drill that finds a difference records it and fails the job with the difference
 * named, so History and the notifier (drill.failed) show it. Nothing here touches the server.
 */
import type { HostAgent } from '../agent/agent.js';
import { HostvaultError } from '../errors/index.js';
import type { Customer } from '../inventory/schema.js';
import { drillParams } from '../job/job-params.js';
import type { JobHandler } from '../job/worker.js';
import type { RepositoryService } from '../repository/repository-service.js';
import { runEvents } from '../repository/run-events.js';
import { plannedSnapshot } from '../restore-job/restore-plan.js';
import type { Store } from '../store/index.js';
import { DEFAULT_DRILL_POLICY, type DrillPolicy } from './drill-policy.js';
import { recordDrill } from './drill-records.js';

export interface DrillJobDeps {
  store: Store;
  repositories: Pick<RepositoryService, 'accessById' | 'markInitialized'>;
  agent: Pick<HostAgent, 'drill'>;
  customers: { getCustomer(id: string): Promise<Customer | undefined> };
  policy?: DrillPolicy;
  now?: () => Date;
  log?: (line: string) => void;
}

export function drillJobHandler(deps: DrillJobDeps): JobHandler {
  const policy = deps.policy ?? DEFAULT_DRILL_POLICY;
  return async (job, ctx) => {
    const params = drillParams(job);
    const snapshot = await deps.store.db
      .selectFrom('snapshots')
      .selectAll()
      .where('repository_id', '=', params.repositoryId)
      .where('id', '=', params.snapshotId)
      .executeTakeFirst();
    if (!snapshot)
      throw new HostvaultError(
        'drill.snapshot_gone',
        `Snapshot ${params.snapshotId} is no longer kept; there is nothing to drill.`,
      );
    const customer = await deps.customers.getCustomer(snapshot.customer_id);
    if (!customer)
      throw new Error(`The customer of this snapshot (${snapshot.customer_id}) no longer exists.`);
    // SECRET: the request holds the repository's password; it is never logged.
    const repository = await deps.repositories.accessById(params.repositoryId);
    ctx.log(
      `Restore drill of snapshot ${snapshot.id} (${snapshot.time}) of ${customer.id}: a sample of up to ${policy.sampleFiles} files and every database, into scratch space`,
    );
    const answer = await deps.agent.drill(
      {
        jobId: job.id,
        repository,
        snapshotId: snapshot.id,
        customer,
        ...plannedSnapshot(snapshot),
        sample: { files: policy.sampleFiles, bytes: policy.sampleBytes },
      },
      { signal: ctx.signal, onEvent: runEvents(ctx, deps.repositories, { log: deps.log }) },
    );
    const finishedAt = (deps.now?.() ?? new Date()).toISOString();
    const verified = answer.differences.length === 0;
    await recordDrill(deps.store, {
      jobId: job.id,
      snapshotId: snapshot.id,
      repositoryId: params.repositoryId,
      customerId: customer.id,
      status: verified ? 'verified' : 'failed',
      finishedAt,
      filesCompared: answer.filesCompared,
      databasesCompared: answer.databasesCompared,
      ...(verified ? {} : { difference: answer.differences.join('\n') }),
    });
    if (!verified) {
      const first = answer.differences[0]!;
      throw new HostvaultError(
        'drill.differs',
        `The restore drill of snapshot ${snapshot.id.slice(0, 8)} found ${answer.differences.length} difference(s) from the backup: ${answer.differences.join('; ')}`,
        { params: { count: answer.differences.length, first } },
      );
    }
    ctx.log(
      `Verified: ${answer.filesCompared} file(s) equal to the live files (${answer.filesChanged} changed since the backup, size checked), ${answer.databasesCompared} database(s) equal to their recorded checksums`,
    );
    return { snapshotId: snapshot.id };
  };
}
