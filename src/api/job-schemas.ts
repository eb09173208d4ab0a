/** The API's view of jobs: camelCase fields, ISO 8601 UTC timestamps, parsed JSON columns. */
import { z } from 'zod';
import {
  jobProgress,
  jobProgressSchema,
  restoreJobParams,
  type JobProgress,
  type RestoreJobParams,
} from '../job/job-params.js';
import type { JobSummary } from '../job/job-store.js';
import { CUSTOMER_LOG_CODES, customerLog, customerLogText } from '../job/customer-log.js';
import { restoreRequestSchema } from '../restore-job/restore-request.js';
import type { JobRow } from '../store/index.js';

export const JobTypeSchema = z.enum([
  'backup',
  'restore',
  'maintenance',
  'drill',
  'copy',
  'lifecycle',
]);
export const JobStatusSchema = z.enum(['pending', 'running', 'successful', 'failed', 'canceled']);
const Timestamp = z.iso.datetime().describe('ISO 8601, UTC');

export const JobProgressSchema = jobProgressSchema.meta({ id: 'JobProgress' });

/** What a restore job restores and from which snapshot, for History and the banner to name it. */
export const RestoreSummarySchema = z
  .object({
    what: restoreRequestSchema.shape.what,
    path: z
      .string()
      .optional()
      .describe(
        'For "file": the file restored, under the friendly roots ("Web files/robots.txt") where that is known, else its path.',
      ),
    database: z.string().optional(),
    mailbox: z.string().optional(),
    repositoryId: z.number().int(),
    snapshotId: z.string(),
    snapshotTime: z
      .string()
      .nullable()
      .describe('When the snapshot was taken; null for restores queued before it was recorded.'),
    undoes: z
      .number()
      .int()
      .nullable()
      .describe('Restores a safety snapshot: the restore job whose changes it undoes.'),
  })
  .meta({ id: 'RestoreSummary' });

export const JobSummarySchema = z
  .object({
    id: z.number().int(),
    type: JobTypeSchema,
    status: JobStatusSchema,
    scheduleId: z.number().int().nullable(),
    customerId: z.string().nullable(),
    scheduleName: z.string().nullable(),
    scope: z.string().nullable(),
    trigger: z.string().describe('schedule, manual or system'),
    createdAt: Timestamp,
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
    progress: JobProgressSchema.nullable(),
    error: z.string().nullable().describe('Why the job failed, in plain words.'),
    snapshotId: z.string().nullable(),
    bytesAdded: z.number().nullable(),
    bytesProcessed: z.number().nullable(),
    flag: z
      .enum(['mass_change'])
      .nullable()
      .describe(
        'mass_change: the backup found an unusual share of files changed, deleted or encrypted at once; the snapshots before it are held for 30 days and the log says why.',
      ),
    restore: RestoreSummarySchema.nullable().describe('Restore jobs only: what they restore.'),
  })
  .meta({ id: 'Job' });

export const JobLogLineSchema = z
  .object({
    at: Timestamp,
    code: z.enum(CUSTOMER_LOG_CODES),
    params: z.record(z.string(), z.union([z.string(), z.number()])),
  })
  .meta({ id: 'JobLogLine' });

export const JobDetailSchema = JobSummarySchema.extend({
  log: z
    .string()
    .describe(
      "The execution log, one line per event (times of day in UTC). Administrators get the raw log (restic's lines, the service's paths); customers the steps of `steps` in plain English words.",
    ),
  steps: z
    .array(JobLogLineSchema)
    .describe(
      'The log as its customer reads it: each step by code and params, for a client to word in its own language. Never names a server path.',
    ),
  stats: z.unknown().describe("restic's statistics for the run, when it finished.").nullable(),
}).meta({ id: 'JobDetail' });

export const ActiveTaskSchema = z
  .object({
    id: z.number().int(),
    type: JobTypeSchema,
    status: z.enum(['pending', 'running']),
    scheduleId: z.number().int().nullable(),
    scheduleName: z.string().nullable(),
    scope: z.string().nullable(),
    customerId: z.string().nullable(),
    createdAt: Timestamp,
    startedAt: Timestamp.nullable(),
    progress: JobProgressSchema.nullable(),
    restore: RestoreSummarySchema.nullable().describe('Restore jobs only: what they restore.'),
  })
  .meta({ id: 'ActiveTask' });

export type JobSummaryDto = z.infer<typeof JobSummarySchema>;
export type JobDetailDto = z.infer<typeof JobDetailSchema>;
export type ActiveTaskDto = z.infer<typeof ActiveTaskSchema>;
export type RestoreSummaryDto = z.infer<typeof RestoreSummarySchema>;

/** `raw`: the provider's view; a customer's leaves out what names the server's paths. */
export function toJobSummary(row: JobSummary, raw = false): JobSummaryDto {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    scheduleId: row.schedule_id,
    customerId: row.customer_id,
    scheduleName: row.schedule_name,
    scope: row.scope,
    trigger: row.trigger,
    createdAt: iso(row.created_at),
    startedAt: isoOrNull(row.started_at),
    finishedAt: isoOrNull(row.finished_at),
    progress: progressOf(row, raw),
    error: row.error,
    snapshotId: row.snapshot_id,
    bytesAdded: numberOrNull(row.bytes_added),
    bytesProcessed: numberOrNull(row.bytes_processed),
    flag: row.flag === 'mass_change' ? 'mass_change' : null,
    restore: restoreOf(row),
  };
}

/** One job for its detail view; `raw`: the provider's raw log, otherwise the customer's words. */
export function toJobDetail(row: JobRow, opts: { raw: boolean }): JobDetailDto {
  const steps = customerLog(row);
  return {
    ...toJobSummary(row, opts.raw),
    log: opts.raw ? (row.log ?? '') : customerLogText(steps),
    steps,
    stats: parseJson(row.stats) ?? null,
  };
}

export function toActiveTask(row: JobSummary, raw = false): ActiveTaskDto {
  return {
    id: row.id,
    type: row.type,
    status: row.status === 'running' ? 'running' : 'pending',
    scheduleId: row.schedule_id,
    scheduleName: row.schedule_name,
    scope: row.scope,
    customerId: row.customer_id,
    createdAt: iso(row.created_at),
    startedAt: isoOrNull(row.started_at),
    progress: progressOf(row, raw),
    restore: restoreOf(row),
  };
}

/** The stored params of a restore job, decoded; null for other jobs or params that do not fit. */
function restoreOf(row: Pick<JobSummary, 'id' | 'type' | 'params'>): RestoreSummaryDto | null {
  if (row.type !== 'restore') return null;
  let params: RestoreJobParams;
  // History still lists a job whose params are damaged, without naming what it restores.
  try {
    params = restoreJobParams(row);
  } catch {
    return null;
  }
  const { request, repositoryId, snapshotId, snapshotTime, undoes, shownPath } = params;
  const path = shownPath ?? request.path;
  return {
    what: request.what,
    ...(path !== undefined ? { path } : {}),
    ...(request.database !== undefined ? { database: request.database } : {}),
    ...(request.mailbox !== undefined ? { mailbox: request.mailbox } : {}),
    repositoryId,
    snapshotId,
    snapshotTime: snapshotTime === undefined ? null : iso(snapshotTime),
    undoes: undoes ?? null,
  };
}

const CANONICAL_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function iso(text: string): string {
  // The store writes toISOString() already; only something else needs normalizing.
  if (CANONICAL_ISO.test(text)) return text;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

function isoOrNull(text: string | null): string | null {
  return text === null ? null : iso(text);
}

function numberOrNull(value: number | bigint | null): number | null {
  return value === null ? null : Number(value);
}

function progressOf(row: Pick<JobSummary, 'id' | 'progress'>, raw: boolean): JobProgress | null {
  // A damaged progress shows as none: the job is still listed.
  let progress: JobProgress | undefined;
  try {
    progress = jobProgress(row);
  } catch {
    return null;
  }
  if (!progress) return null;
  // The file restic is at is a path on the server (a web root, a dump in staging): the
  // provider's to see, never a customer's.
  if (raw) return progress;
  const { currentFile: _serverPath, ...shown } = progress;
  return shown;
}

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
