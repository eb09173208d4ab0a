/** History, job detail, cancel, "Delete old entries", and the active tasks behind the banner. */
import { z } from 'zod';
import type { Authenticated } from '../auth/index.js';
import type { JobRow } from '../store/index.js';
import { AnswerCache } from './answer-cache.js';
import type { ApiDeps, ApiModule } from './deps.js';
import { HostvaultError } from '../errors/index.js';
import { ErrorBodySchema, notFound } from './errors.js';
import {
  ActiveTaskSchema,
  JobDetailSchema,
  JobStatusSchema,
  JobSummarySchema,
  JobTypeSchema,
  toActiveTask,
  toJobDetail,
  toJobSummary,
} from './job-schemas.js';
import type { RouteRegistry } from './registry.js';

export const MAX_PAGE = 200;

const JobIdSchema = z.strictObject({
  id: z.coerce
    .number({ error: 'Job ID must be a number' })
    .int('Job ID must be a whole number')
    .positive('Job ID must be a positive number')
    .max(Number.MAX_SAFE_INTEGER, 'Job ID is too large'),
});

const JobListQuerySchema = z.strictObject({
  status: JobStatusSchema.optional(),
  type: JobTypeSchema.optional(),
  scheduleId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  customerId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("Administrators only; a customer's own list is always limited to them."),
  offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
});

/** How far past the page a history is counted (see the total's description). */
const COUNT_AHEAD = 10_000;

const JobPageSchema = z
  .object({
    jobs: z.array(JobSummarySchema),
    total: z
      .number()
      .int()
      .describe(
        'Jobs matching the filters, over all pages; when `totalExact` is false, at least this many (counting stops 10,000 past the page).',
      ),
    totalExact: z.boolean(),
    offset: z.number().int(),
    limit: z.number().int(),
  })
  .meta({ id: 'JobPage' });

const CancelSchema = z.object({
  id: z.number().int(),
  status: z.enum(['canceled', 'canceling']),
});

const DeleteOldSchema = z
  .strictObject({
    dryRun: z.boolean().optional().describe('Only count what would be removed.'),
  })
  .optional();

const DeleteOldResultSchema = z.object({
  count: z.number().int().describe('Entries removed, or that would be removed on a dry run.'),
  dryRun: z.boolean(),
});

export function jobRoutes(
  deps: ApiDeps,
  stampOf: (request: object) => Promise<string> | undefined = () => undefined,
): ApiModule {
  return (api: RouteRegistry): void => {
    const historyDays = deps.options?.historyDays ?? 30;
    // The two answers every open page polls; see AnswerCache for why they stay exact.
    const pages = new AnswerCache<z.infer<typeof JobPageSchema>>();
    const activeTasks = new AnswerCache<{ tasks: z.infer<typeof ActiveTaskSchema>[] }>();

    /** The job if the caller may see it; otherwise the same 404 as for an id that does not exist. */
    async function visibleJob(principal: Authenticated, id: number): Promise<JobRow> {
      const job = await deps.jobs.get(id);
      if (!job || !mayReach(principal, job.customer_id)) throw notFound();
      return job;
    }

    api.route({
      method: 'GET',
      path: '/api/jobs',
      operationId: 'listJobs',
      summary: 'Job history, newest first',
      description:
        'Customers see only their own jobs. Administrators see all and may filter by customer.',
      tags: ['jobs'],
      access: 'signed-in',
      query: JobListQuerySchema,
      responses: { 200: { description: 'One page of jobs.', schema: JobPageSchema } },
      async handler({ principal, query, request }) {
        const own = ownerOf(principal);
        // A customer asking for another customer's jobs gets what the combined filter matches:
        // nothing. Same answer as for a customer id that does not exist.
        if (own !== undefined && query.customerId !== undefined && query.customerId !== own) {
          return { jobs: [], total: 0, totalExact: true, offset: query.offset, limit: query.limit };
        }
        const filter = {
          customerId: own ?? query.customerId,
          status: query.status,
          type: query.type,
          scheduleId: query.scheduleId,
        };
        const read = async () => {
          const rows = await deps.jobs.list({
            ...filter,
            offset: query.offset,
            limit: query.limit,
          });
          // A short page that is not empty is the last one: its end is the total, no count needed.
          // Otherwise counting stops well past this page: a history of a million jobs is not
          // counted again for every page (the page's links need no more).
          const raw = principal.role === 'admin';
          const atMost = query.offset + query.limit + COUNT_AHEAD;
          const counted =
            rows.length > 0 && rows.length < query.limit
              ? query.offset + rows.length
              : await deps.jobs.count(filter, atMost);
          return {
            jobs: rows.map((row) => toJobSummary(row, raw)),
            total: counted,
            totalExact: counted < atMost,
            offset: query.offset,
            limit: query.limit,
          };
        };
        const stamp = stampOf(request);
        if (!stamp) return read();
        // The provider's answer and a customer's differ for the same filter (raw progress).
        const key = JSON.stringify([own === undefined, filter, query.offset, query.limit]);
        return pages.get(await stamp, key, read);
      },
    });

    api.route({
      method: 'GET',
      path: '/api/jobs/:id',
      operationId: 'getJob',
      summary: 'One job with its log, statistics and error',
      tags: ['jobs'],
      access: 'signed-in',
      params: JobIdSchema,
      responses: { 200: { description: 'The job.', schema: JobDetailSchema } },
      async handler({ principal, params }) {
        return toJobDetail(await visibleJob(principal, params.id), {
          raw: principal.role === 'admin',
        });
      },
    });

    api.route({
      method: 'POST',
      path: '/api/jobs/:id/cancel',
      operationId: 'cancelJob',
      summary: 'Cancel a pending or running job',
      description:
        'A pending job is canceled at once (200); a running one is told to stop and ends as Canceled shortly (202).',
      tags: ['jobs'],
      access: 'signed-in',
      params: JobIdSchema,
      responses: {
        200: { description: 'Canceled before it started.', schema: CancelSchema },
        202: { description: 'Stopping; the job ends as Canceled shortly.', schema: CancelSchema },
        409: { description: 'The job is not pending or running.', schema: ErrorBodySchema },
      },
      async handler({ principal, params, status }) {
        const job = await visibleJob(principal, params.id);
        if (job.status !== 'pending' && job.status !== 'running') {
          throw new HostvaultError('job.finished', 'This job has already finished.');
        }
        const outcome = await deps.worker.cancel(job.id);
        if (outcome === 'canceled') return { id: job.id, status: 'canceled' as const };
        if (outcome === 'canceling') {
          status(202);
          return { id: job.id, status: 'canceling' as const };
        }
        const now = await deps.jobs.get(job.id);
        throw now && (now.status === 'pending' || now.status === 'running')
          ? new HostvaultError(
              'job.on_other_worker',
              'This job runs on another worker and cannot be canceled from here.',
            )
          : new HostvaultError('job.finished', 'This job has already finished.');
      },
    });

    api.route({
      method: 'POST',
      path: '/api/jobs/delete-old',
      operationId: 'deleteOldJobs',
      summary: `Delete finished history entries older than ${historyDays} days`,
      description:
        "Removes successful, failed and canceled jobs; never a pending or running one. A customer's request covers only their own entries.",
      tags: ['jobs'],
      access: 'signed-in',
      body: DeleteOldSchema,
      responses: { 200: { description: 'How many entries.', schema: DeleteOldResultSchema } },
      async handler({ principal, body }) {
        const dryRun = body?.dryRun ?? false;
        const count = await deps.jobs.deleteOld(historyDays, ownerOf(principal), dryRun);
        return { count, dryRun };
      },
    });

    api.route({
      method: 'GET',
      path: '/api/tasks/active',
      operationId: 'listActiveTasks',
      summary: 'Running and pending jobs, for the banner',
      description: 'Polled every few seconds by the page; one indexed query.',
      tags: ['jobs'],
      access: 'signed-in',
      responses: {
        200: {
          description: 'The active tasks, oldest first.',
          schema: z.object({ tasks: z.array(ActiveTaskSchema) }),
        },
      },
      async handler({ principal, request }) {
        const owner = ownerOf(principal);
        const raw = principal.role === 'admin';
        const read = async () => ({
          tasks: (await deps.jobs.active(owner)).map((row) => toActiveTask(row, raw)),
        });
        const stamp = stampOf(request);
        if (!stamp) return read();
        return activeTasks.get(await stamp, owner ?? '', read);
      },
    });
  };
}

/** The customer whose objects alone the caller may reach; undefined for an administrator. */
export function ownerOf(principal: Authenticated): string | undefined {
  return principal.role === 'customer' ? principal.customerId : undefined;
}

/**
 * Whether the caller may reach an object owned by `customerId` (null: server-wide, admins only).
 * Routes answer notFound() when it may not.
 */
export function mayReach(principal: Authenticated, customerId: string | null): boolean {
  return principal.role === 'admin' || (customerId !== null && customerId === principal.customerId);
}
