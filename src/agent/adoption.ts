/**
 * What a job's agent calls need to know of the job around them (src/job/worker.ts), carried by
 * async context rather than through every handler's RunContext: the handlers (backup, restore,
 * drill, maintenance) build their agent calls themselves and need not know about either; an
 * in-process agent has nothing to ask and ignores both.
 * - Adopted: the job was taken over from a controller that died while it ran. Its handler runs
 *   again, and each of its calls to an agent behind a transport asks the agent what became of that
 *   call (src/fleet/nats-agent.ts) instead of sending it anew, so the agent's real outcome is
 *   recorded, not "Interrupted", and nothing runs twice.
 * - Detached: this worker lost the job to another controller (its lease lapsed while the store did
 *   not answer): its calls stop following the agent without canceling anything there.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Adoption {
  /** The job being adopted (for messages). */
  jobId: number;
  /**
   * Set once an agent knew the job's first call; later calls are sent as usual (an agent runs a
   * dispatch id at most once). A first call the agent does not know fails the job.
   */
  followed: boolean;
}

interface JobScope {
  adoption?: Adoption;
  detached?: AbortSignal;
}

const current = new AsyncLocalStorage<JobScope>();

/** Runs `work` (a job's handler) as job `jobId`: adopted or not, and detachable. */
export function runAsJob<T>(
  opts: { jobId: number; adopted: boolean; detached?: AbortSignal },
  work: () => Promise<T>,
): Promise<T> {
  return current.run(
    {
      ...(opts.adopted ? { adoption: { jobId: opts.jobId, followed: false } } : {}),
      ...(opts.detached ? { detached: opts.detached } : {}),
    },
    work,
  );
}

/** The adoption the current call belongs to, if any. */
export function currentAdoption(): Adoption | undefined {
  return current.getStore()?.adoption;
}

/** Aborted when the current call's job was taken over by another controller. */
export function currentDetach(): AbortSignal | undefined {
  return current.getStore()?.detached;
}
