/**
 * The JSON a job row stores — its params, its progress — decoded and checked in one place, so
 * every reader (the worker's handlers, the API, the CLI) gets typed values or a StoredValueError
 * that names the job, never a damaged value cast to a type.
 */
import { z } from 'zod';
import { restoreRequestSchema } from '../restore-job/restore-request.js';
import { decodeStored, type JobRow } from '../store/index.js';

export const jobProgressSchema = z.object({
  percent: z.number(),
  bytesDone: z.number(),
  bytesTotal: z.number(),
  filesDone: z.number(),
  filesTotal: z.number(),
  currentFile: z.string().optional(),
  etaSeconds: z.number().optional(),
});

export type JobProgress = z.infer<typeof jobProgressSchema>;

/** What a restore job stores as its params: the full snapshot id, never a prefix. */
export const restoreJobParamsSchema = z.object({
  repositoryId: z.number().int(),
  snapshotId: z.string(),
  request: restoreRequestSchema,
  // The snapshot's time and, for a safety snapshot, the restore it undoes: History names the
  // restore by them, and the snapshot's row may be forgotten long before the job's entry is.
  snapshotTime: z.string().optional(),
  undoes: z.number().int().optional(),
  // A single file as the customer knows it ("Web files/robots.txt"), for the customer's log and
  // History; request.path is where it restores to, the server's path.
  shownPath: z.string().optional(),
});

export type RestoreJobParams = z.infer<typeof restoreJobParamsSchema>;

/** retention: a vault-fronted repository's, one schedule's (the agent's backup leaves it to the vault). */
export const MAINTENANCE_TASKS = ['prune', 'check', 'retention'] as const;
export type MaintenanceTask = (typeof MAINTENANCE_TASKS)[number];

export const maintenanceParamsSchema = z.object({
  task: z.enum(MAINTENANCE_TASKS),
  /** A schedule that uses the repository: it knows the target and its credentials. */
  scheduleId: z.number().int(),
  owner: z.string(),
  url: z.string(),
});

export type MaintenanceParams = z.infer<typeof maintenanceParamsSchema>;

/** Why a drill was queued: sampled after a backup, the weekly one per repository, or by hand. */
export const DRILL_REASONS = ['after-backup', 'weekly', 'manual'] as const;

/** What a drill job stores as its params (src/drill): the full snapshot id, never a prefix. */
export const drillParamsSchema = z.object({
  repositoryId: z.number().int(),
  snapshotId: z.string(),
  customerId: z.string(),
  reason: z.enum(DRILL_REASONS),
});

export type DrillParams = z.infer<typeof drillParamsSchema>;

/**
 * What a copy job stores (src/copy): the backup's snapshot as its row names it, in the first
 * repository, and the schedule whose second target it goes to.
 */
export const copyParamsSchema = z.object({
  scheduleId: z.number().int(),
  repositoryId: z.number().int(),
  snapshotId: z.string(),
  customerId: z.string(),
});

export type CopyParams = z.infer<typeof copyParamsSchema>;

/**
 * What a life-cycle job stores (src/lifecycle): a terminated customer's purge, or paths removed
 * from every snapshot of a customer.
 */
export const lifecycleParamsSchema = z.object({
  action: z.enum(['purge', 'purge_path']),
  customerId: z.string(),
  paths: z.array(z.string()).optional(),
});

export type LifecycleParams = z.infer<typeof lifecycleParamsSchema>;

type StoredJob = Pick<JobRow, 'id' | 'params'>;

function params<S extends z.ZodType>(schema: S, job: StoredJob): z.output<S> {
  // A job queued without params stores null: the same as params that do not fit.
  return decodeStored(schema, job.params ?? 'null', { row: `job ${job.id}`, column: 'params' });
}

/** A restore job's params; StoredValueError when they are damaged. */
export function restoreJobParams(job: StoredJob): RestoreJobParams {
  return params(restoreJobParamsSchema, job);
}

/** A maintenance job's params; StoredValueError when they are damaged. */
export function maintenanceParams(job: StoredJob): MaintenanceParams {
  return params(maintenanceParamsSchema, job);
}

/** A drill job's params; StoredValueError when they are damaged. */
export function drillParams(job: StoredJob): DrillParams {
  return params(drillParamsSchema, job);
}

export function lifecycleParams(job: StoredJob): LifecycleParams {
  return params(lifecycleParamsSchema, job);
}

export function copyParams(job: StoredJob): CopyParams {
  return params(copyParamsSchema, job);
}

/** A job's last progress, undefined before its first; StoredValueError when it is damaged. */
export function jobProgress(job: Pick<JobRow, 'id' | 'progress'>): JobProgress | undefined {
  if (job.progress == null) return undefined;
  return decodeStored(jobProgressSchema, job.progress, {
    row: `job ${job.id}`,
    column: 'progress',
  });
}
