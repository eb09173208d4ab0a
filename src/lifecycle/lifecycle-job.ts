/**
 * The life-cycle job (src/lifecycle): a terminated customer's purge, or a path removed from all
 * of a customer's snapshots. Both go over every repository that holds the customer's snapshots
 * (theirs on each target, and the server-wide ones), each through the agent under its mutex;
 * held snapshots are left as they are. The audit records what each repository went through.
 */
import type { HostAgent } from '../agent/agent.js';
import { AgentError } from '../agent/errors.js';
import { renameDrillSnapshots } from '../drill/drill-records.js';
import { HostvaultError } from '../errors/index.js';
import { lifecycleParams } from '../job/job-params.js';
import type { JobHandler } from '../job/worker.js';
import type { RepositoryService } from '../repository/repository-service.js';
import { runEvents } from '../repository/run-events.js';
import type { SnapshotHolds } from '../repository/snapshot-holds.js';
import { dropCustomerSnapshotRows, renameSnapshotRows } from '../repository/snapshot-records.js';
import type { Store } from '../store/index.js';
import { LifecycleRecords } from './lifecycle-records.js';

export function lifecycleJobHandler(deps: {
  store: Store;
  repositories: Pick<RepositoryService, 'list' | 'accessById' | 'markInitialized' | 'drop'>;
  agent: Pick<HostAgent, 'maintain'>;
  holds?: Pick<SnapshotHolds, 'heldIds'>;
  now?: () => Date;
  log?: (line: string) => void;
}): JobHandler {
  const records = new LifecycleRecords(deps.store);
  const now = () => deps.now?.() ?? new Date();
  return async (job, ctx) => {
    const params = lifecycleParams(job);
    const { customerId } = params;
    const repositories = [
      ...(await deps.repositories.list({ owner: customerId })),
      ...(await deps.repositories.list({ owner: 'server' })),
    ];
    const done: Record<string, unknown>[] = [];
    const failures: string[] = [];
    for (const summary of repositories) {
      if (!summary.initializedAt) {
        // Never written to: nothing on the target. A purge forgets its password with it.
        if (params.action === 'purge' && summary.owner === customerId) {
          await deps.repositories.drop(summary.id);
          done.push({ repositoryId: summary.id, url: summary.url, removed: true, forgotten: 0 });
        }
        continue;
      }
      try {
        // SECRET: the access holds the repository's password; never logged.
        const repository = await deps.repositories.accessById(summary.id);
        const held = (await deps.holds?.heldIds(summary.id, customerId)) ?? [];
        const events = runEvents(ctx, deps.repositories, { log: deps.log });
        if (params.action === 'purge') {
          ctx.log(`Purging ${customerId}'s snapshots in ${summary.url}`);
          const answer = await deps.agent.maintain(
            { jobId: job.id, repository, task: 'purge', customerId, held },
            { signal: ctx.signal, onEvent: events },
          );
          await dropCustomerSnapshotRows(deps.store, summary.id, customerId, held);
          if (answer.removed) await deps.repositories.drop(summary.id);
          done.push({
            repositoryId: summary.id,
            url: summary.url,
            forgotten: answer.snapshots?.length ?? 0,
            held: held.length,
            removed: answer.removed ?? false,
          });
        } else {
          ctx.log(
            `Removing ${(params.paths ?? []).join(', ')} from ${customerId}'s snapshots in ${summary.url}`,
          );
          const answer = await deps.agent.maintain(
            {
              jobId: job.id,
              repository,
              task: 'rewrite',
              customerId,
              excludes: params.paths ?? [],
              held,
            },
            { signal: ctx.signal, onEvent: events },
          );
          const renamed = answer.renamed ?? [];
          await renameSnapshotRows(deps.store, summary.id, renamed);
          await renameDrillSnapshots(deps.store, summary.id, renamed);
          done.push({
            repositoryId: summary.id,
            url: summary.url,
            rewritten: renamed.length,
            held: held.length,
          });
        }
      } catch (error) {
        if (error instanceof AgentError && error.code === 'unsupported-version') {
          await records.audit({
            customerId,
            action: 'purge_path_refused',
            at: now(),
            actor: 'system',
            detail: { paths: params.paths, reason: error.message },
          });
          throw new HostvaultError('lifecycle.rewrite_unsupported', error.message, {
            params: { version: /restic \d+\.\d+\.\d+/.exec(error.message)?.[0] ?? '' },
          });
        }
        const why = error instanceof Error ? error.message : String(error);
        failures.push(`${summary.url}: ${why}`);
        done.push({ repositoryId: summary.id, url: summary.url, failed: why });
      }
    }
    const at = now();
    const complete = failures.length === 0;
    await records.audit({
      customerId,
      action: params.action === 'purge' ? 'purge' : 'purge_path',
      at,
      actor: job.trigger === 'system' ? 'system' : 'admin',
      detail: {
        jobId: job.id,
        complete,
        ...(params.paths ? { paths: params.paths } : {}),
        repositories: done,
      },
    });
    if (params.action === 'purge' && complete) await records.markPurged(customerId, at);
    if (!complete)
      throw new Error(
        `Not every repository was done${params.action === 'purge' ? ' (the next planning tries again)' : ''}: ${failures.join('; ')}`,
      );
    return {};
  };
}
