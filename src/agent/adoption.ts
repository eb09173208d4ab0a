/**
 * A job taken over from a controller that died while it ran (src/job/worker.ts): its handler runs
 * again, and each of its calls to an agent that went through a transport asks the agent what
 * became of that call (src/fleet/nats-agent.ts) instead of sending it anew, so the agent's real
 * outcome is recorded, not "Interrupted", and nothing runs twice.
 *
 * Carried by async context rather than through every handler's RunContext: the handlers (backup,
 * restore, drill, maintenance) build their agent calls themselves and need not know about it; an
 * in-process agent has nothing to ask and ignores it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Adoption {
  /** The job being adopted (for messages). */
  jobId: number;
  /**
   * Set once an agent knew one of the job's calls: a later call it does not know was never sent
   * by the dead controller, and is sent now. A first call it does not know fails the job.
   */
  followed: boolean;
}

const current = new AsyncLocalStorage<Adoption>();

/** Runs `work` (a job's handler) as the adoption of `jobId`. */
export function runAdopted<T>(jobId: number, work: () => Promise<T>): Promise<T> {
  return current.run({ jobId, followed: false }, work);
}

/** The adoption the current call belongs to, if any. */
export function currentAdoption(): Adoption | undefined {
  return current.getStore();
}
