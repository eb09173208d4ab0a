/**
 * The Schedules tab and the Restore tab's snapshot list: schedules of the caller (or of any
 * customer for admins), Run now, and snapshots per schedule. Restoring one is a snapshot route.
 */
import { lastVerified, verifiedAtOf } from '../drill/drill-records.js';
import { z } from 'zod';
import { describeUndo, restoreRequestSchema, undoOf } from '../restore-job/restore-request.js';
import { ValidationError } from '../errors/index.js';
import type { ScheduleService } from '../schedule/schedule-service.js';
import type { ScheduleDeletion } from '../schedule/schedule-deletion.js';
import type { SnapshotHolds } from '../repository/snapshot-holds.js';
import { copyInputSchema, scheduleInputSchema } from '../schedule/schedule-schema.js';
import { snapshotContents, snapshotsOfSchedule } from '../repository/snapshot-records.js';
import type { SnapshotRow, Store } from '../store/index.js';
import { safetyLabel } from '../scope/labels.js';
import { viewerOf } from './snapshot-access.js';
import { checkedByService, type RouteRegistry } from './registry.js';
import { ScheduleSchema } from './schedule-schemas.js';

export interface ScheduleRouteDeps {
  schedules: ScheduleService;
  store: Store;
  /** "Delete a schedule", keeping or forgetting its snapshots. */
  deletion: Pick<ScheduleDeletion, 'delete'>;
  /** The holds in force, shown on each snapshot (Restore tab: Held, Kept). */
  holds?: Pick<SnapshotHolds, 'list'>;
}

const IdParams = z.strictObject({
  id: z.coerce
    .number({ error: 'Schedule ID must be a number' })
    .int()
    .positive()
    .max(Number.MAX_SAFE_INTEGER),
});
const SnapshotSchema = z
  .object({
    repositoryId: z.number().int(),
    id: z.string(),
    scheduleId: z.number().int().nullable(),
    time: z.string(),
    scope: z.string().nullable(),
    contents: z.array(z.string()),
    size: z.number().nullable(),
    verifiedAt: z
      .string()
      .nullable()
      .describe(
        'When a restore drill last proved this snapshot restores as recorded; null: never.',
      ),
    copyOf: z
      .string()
      .nullable()
      .describe(
        "A second copy (on the schedule's second target): the first copy's snapshot id; null for every other snapshot. Restores like any snapshot, from its own repository.",
      ),
    kind: z
      .enum(['backup', 'safety'])
      .describe('safety: what a restore saved before it overwrote live data; restore it to undo.'),
    safety: z
      .object({
        label: z.string().describe('e.g. "Safety copy before restore #12"'),
        restoreJobId: z.number().int(),
        holds: z
          .string()
          .describe('What it saved, e.g. "web files" or "mailbox info@example.com".'),
        undo: restoreRequestSchema.describe('The restore request that puts it back.'),
      })
      .optional(),
    holds: z
      .array(
        z.object({
          kind: z.enum(['legal', 'keep', 'guard']),
          reason: z
            .string()
            .describe(
              'Why; a customer reads the provider\'s own reason as "Held by your provider".',
            ),
          expiresAt: z.string().nullable(),
        }),
      )
      .describe('Holds in force: retention and deletion leave the snapshot alone while any lasts.'),
  })
  .meta({ id: 'Snapshot' });
/**
 * The form's fields. The schedule service validates them with this schema, after it has put the
 * provider's directory into a customer's local target, and names the field of each problem.
 */
export const ScheduleBody = checkedByService(
  scheduleInputSchema
    .describe(
      "A schedule's fields. A customer's local target is always the provider's backup directory: its `path` may be left out and is ignored. Unknown fields are dropped.",
    )
    .meta({ id: 'ScheduleRequest' }),
  'ScheduleService',
);
/** A second copy's settings; the schedule service validates them and names each field. */
const CopyBody = checkedByService(
  copyInputSchema
    .describe(
      "The schedule's second copy (3-2-1): each new backup is copied to this target by a job of its own, which keeps `retention` snapshots there (default: the schedule's). `target: null` ends the second copy; copies made stay restorable. A customer's local target is the provider's directory.",
    )
    .meta({ id: 'ScheduleCopyRequest' }),
  'ScheduleService',
);
const CreateQuery = z.strictObject({
  customerId: z
    .string()
    .max(63)
    .optional()
    .describe('Administrators: the customer to create the schedule for.'),
});
const DeleteQuery = z.strictObject({
  snapshots: z
    .enum(['keep', 'forget'], { error: 'Choose whether to keep or forget the snapshots' })
    .default('keep'),
});
const RunResult = z.object({
  jobId: z.number().int(),
  alreadyRunning: z.boolean(),
  message: z.string(),
});

export function scheduleRoutes(deps: ScheduleRouteDeps) {
  return (api: RouteRegistry): void => {
    api.route({
      method: 'GET',
      path: '/api/schedules',
      operationId: 'listSchedules',
      summary: 'Backup schedules',
      description:
        'Customers see their own; administrators see every schedule, server-wide ones included.',
      tags: ['schedules'],
      access: 'signed-in',
      responses: {
        200: {
          description: 'The schedules.',
          schema: z.object({ schedules: z.array(ScheduleSchema) }),
        },
      },
      async handler({ principal }) {
        return { schedules: await deps.schedules.list(viewerOf(principal)) };
      },
    });

    api.route({
      method: 'POST',
      path: '/api/schedules',
      operationId: 'createSchedule',
      summary: 'Create a schedule within the package limits',
      tags: ['schedules'],
      access: 'signed-in',
      query: CreateQuery,
      body: ScheduleBody,
      responses: { 201: { description: 'Created.', schema: ScheduleSchema } },
      async handler({ principal, query, body }) {
        const viewer = viewerOf(principal);
        const customerId = viewer.role === 'customer' ? viewer.customerId : query.customerId;
        if (!customerId)
          throw new ValidationError(
            [
              {
                field: 'customerId',
                code: 'schedule.customer_required',
                message: 'Choose a customer',
              },
            ],
            'Choose a customer.',
          );
        return deps.schedules.create(viewer, customerId, body);
      },
    });

    api.route({
      method: 'GET',
      path: '/api/schedules/:id',
      operationId: 'getSchedule',
      summary: 'One schedule',
      tags: ['schedules'],
      access: 'signed-in',
      params: IdParams,
      responses: { 200: { description: 'The schedule.', schema: ScheduleSchema } },
      async handler({ principal, params }) {
        return deps.schedules.get(viewerOf(principal), params.id);
      },
    });

    api.route({
      method: 'PUT',
      path: '/api/schedules/:id',
      operationId: 'updateSchedule',
      summary: 'Edit a schedule',
      description: 'Masked secrets (********) sent back unchanged keep the stored ones.',
      tags: ['schedules'],
      access: 'signed-in',
      params: IdParams,
      body: ScheduleBody,
      responses: { 200: { description: 'Saved.', schema: ScheduleSchema } },
      async handler({ principal, params, body }) {
        return deps.schedules.update(viewerOf(principal), params.id, body);
      },
    });

    api.route({
      method: 'PUT',
      path: '/api/schedules/:id/copy',
      operationId: 'setScheduleCopy',
      summary: "Set or end a schedule's second copy",
      description: 'Masked secrets (********) sent back unchanged keep the stored ones.',
      tags: ['schedules'],
      access: 'signed-in',
      params: IdParams,
      body: CopyBody,
      responses: { 200: { description: 'Saved.', schema: ScheduleSchema } },
      async handler({ principal, params, body }) {
        return deps.schedules.setCopy(viewerOf(principal), params.id, body);
      },
    });

    api.route({
      method: 'DELETE',
      path: '/api/schedules/:id',
      operationId: 'deleteSchedule',
      summary: 'Delete a schedule, keeping or forgetting its snapshots',
      tags: ['schedules'],
      access: 'signed-in',
      params: IdParams,
      query: DeleteQuery,
      responses: {
        200: {
          description: 'Deleted.',
          schema: z.object({ deleted: z.literal(true), snapshots: z.enum(['keep', 'forget']) }),
        },
      },
      async handler({ principal, params, query }) {
        await deps.deletion.delete(viewerOf(principal), params.id, query.snapshots);
        return { deleted: true as const, snapshots: query.snapshots };
      },
    });

    api.route({
      method: 'POST',
      path: '/api/schedules/:id/run',
      operationId: 'runSchedule',
      summary: 'Run now: start a backup at once',
      tags: ['schedules'],
      access: 'signed-in',
      params: IdParams,
      responses: {
        202: { description: 'Queued.', schema: RunResult },
        200: { description: 'Already running: no second job was made.', schema: RunResult },
      },
      async handler({ principal, params, status }) {
        const result = await deps.schedules.runNow(viewerOf(principal), params.id);
        if (result.alreadyRunning) {
          return { ...result, message: 'This schedule is already running.' };
        }
        status(202);
        return { ...result, message: 'The backup has started.' };
      },
    });

    api.route({
      method: 'GET',
      path: '/api/schedules/:id/snapshots',
      operationId: 'listSnapshots',
      summary: "A schedule's snapshots, newest first, with their content tags",
      tags: ['snapshots'],
      access: 'signed-in',
      params: IdParams,
      responses: {
        200: {
          description: 'The snapshots.',
          schema: z.object({
            snapshots: z.array(SnapshotSchema),
            lastVerifiedAt: z
              .string()
              .nullable()
              .describe(
                "When a restore drill last proved one of the customer's snapshots (of any schedule) restores; null: never.",
              ),
          }),
        },
      },
      async handler({ principal, params }) {
        const row = await deps.schedules.getRow(viewerOf(principal), params.id);
        const rows = await snapshotsOfSchedule(deps.store, row.id);
        const viewer = viewerOf(principal);
        const holds =
          (await deps.holds?.list(
            row.customer_id === null ? {} : { customerId: row.customer_id },
          )) ?? [];
        const holdsOf = (s: SnapshotRow) =>
          holds
            .filter((h) => h.repositoryId === s.repository_id && h.snapshotId === s.id)
            .map((h) => ({
              kind: h.kind,
              // The provider's reasons (an investigation, a court order) are the provider's.
              reason:
                h.kind === 'legal' && viewer.role === 'customer'
                  ? 'Held by your provider'
                  : h.reason,
              expiresAt: h.expiresAt,
            }));
        const verified = await verifiedAtOf(
          deps.store,
          rows.map((s) => s.id),
        );
        const last = row.customer_id ? await lastVerified(deps.store, row.customer_id) : undefined;
        return {
          lastVerifiedAt: last?.finished_at ?? null,
          snapshots: rows.map((s) => ({
            repositoryId: s.repository_id,
            id: s.id,
            scheduleId: s.schedule_id,
            time: s.time,
            scope: s.scope,
            contents: snapshotContents(s),
            size: s.size,
            verifiedAt: verified.get(s.id) ?? null,
            copyOf: s.copy_of,
            kind: s.kind,
            safety: safetyOf(s),
            holds: holdsOf(s),
          })),
        };
      },
    });
  };
}

/** A safety snapshot's label and undo, decoded from its row (absent for a backup). */
function safetyOf(row: SnapshotRow) {
  const undo = undoOf(row);
  if (row.restore_job_id == null || !undo) return undefined;
  return {
    label: safetyLabel(row),
    restoreJobId: row.restore_job_id,
    holds: describeUndo(undo),
    undo,
  };
}
