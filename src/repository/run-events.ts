/**
 * The events of an agent's run, into the job that asked for it: log lines into its log, progress
 * into its progress (scaled to the run's share of the job), and a repository the agent had to
 * `init` recorded as initialized at once, so a later failure of the same run does not hide it.
 */
import type { AgentEvent } from '../agent/protocol.js';
import type { JobContext } from '../job/worker.js';
import type { RepositoryService } from './repository-service.js';

export function runEvents(
  ctx: Pick<JobContext, 'log' | 'progress'>,
  repositories: Pick<RepositoryService, 'markInitialized'>,
  opts: {
    /** This run's part of the job, for a job of several runs (a server-wide backup). */
    share?: { index: number; of: number };
    /** The service log: where a failure to record the init can only go. */
    log?: (line: string) => void;
  } = {},
): (event: AgentEvent) => void {
  const { index, of } = opts.share ?? { index: 0, of: 1 };
  return (event) => {
    switch (event.kind) {
      case 'log':
        return ctx.log(event.line);
      case 'progress':
        return ctx.progress({
          percent: Math.min(100, Math.round(((index + event.fraction) / of) * 1000) / 10),
          bytesDone: event.bytesDone,
          bytesTotal: event.bytesTotal,
          filesDone: event.filesDone,
          filesTotal: event.filesTotal,
          currentFile: event.currentFile,
          etaSeconds: event.etaSeconds,
        });
      case 'repository-initialized':
        return void repositories
          .markInitialized(event.repositoryId)
          .catch((error: unknown) =>
            opts.log?.(
              `recording repository ${event.repositoryId} as initialized failed: ${String(error)}`,
            ),
          );
      // Records of the job's own kind (a restore's safety snapshots, a prune's forgotten ones):
      // the handler that asked for the run records them.
      case 'safety-snapshot':
      case 'safety-forgotten':
        return;
    }
  };
}
