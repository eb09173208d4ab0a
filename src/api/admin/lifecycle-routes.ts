/**
 * The hosting panel's hook into the customer life cycle (src/lifecycle): suspend and terminate,
 * each after a final backup of every schedule; a path purged from all of a customer's
 * snapshots; the state and the audit.
 */
import { z } from 'zod';
import type { Authenticated } from '../../auth/auth-service.js';
import type { LifecycleService } from '../../lifecycle/lifecycle-service.js';
import type { ApiModule } from '../deps.js';
import { ErrorBodySchema } from '../errors.js';
import type { RouteRegistry } from '../registry.js';

export interface LifecycleRouteDeps {
  lifecycle: Pick<
    LifecycleService,
    'status' | 'suspend' | 'terminate' | 'reactivate' | 'purgePath' | 'audit'
  >;
}

const CustomerIdParams = z.strictObject({
  id: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9_-]{0,62}$/,
      'Customer ID may contain only lower-case letters, digits, dashes and underscores (up to 63)',
    ),
});

/** The longest a request may wait for the final backups (the panel polls the jobs after). */
const MAX_WAIT_SECONDS = 600;
const ChangeBody = z
  .strictObject({
    waitSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_WAIT_SECONDS)
      .optional()
      .describe(
        `Wait up to this long (at most ${MAX_WAIT_SECONDS} s) for the final backups to end; default 0: answer once they are queued.`,
      ),
  })
  .optional();

const StatusSchema = z
  .object({
    customerId: z.string(),
    state: z.enum(['active', 'suspended', 'terminated']),
    changedAt: z.string().nullable(),
    purgeAfter: z.string().nullable().describe('Terminated: when the backups are purged.'),
    purgedAt: z.string().nullable(),
  })
  .meta({ id: 'CustomerLifecycle' });

const ChangeSchema = StatusSchema.extend({
  finalBackupJobs: z.array(z.number().int()).describe('The final backups, one per schedule.'),
  finalBackupStatus: z
    .record(z.string(), z.string())
    .optional()
    .describe("With waitSeconds: each final backup job's status when the answer was given."),
}).meta({ id: 'CustomerLifecycleChange' });

const AuditSchema = z
  .object({
    id: z.number().int(),
    customerId: z.string(),
    action: z.string(),
    at: z.string(),
    actor: z.string(),
    detail: z
      .unknown()
      .describe(
        'What the step touched, as JSON: final backup job ids, the kept days, and per repository its url, snapshots forgotten or rewritten, held ones left, whether it was removed.',
      ),
  })
  .meta({ id: 'LifecycleAuditEntry' });

function actorOf(principal: Authenticated): string {
  return principal.via === 'token'
    ? `token:${principal.tokenName}`
    : `admin:${principal.username ?? 'link'}`;
}

export function lifecycleRoutes(deps: LifecycleRouteDeps): ApiModule {
  return (api: RouteRegistry): void => {
    api.route({
      method: 'GET',
      path: '/api/admin/customers/:id/lifecycle',
      operationId: 'adminCustomerLifecycle',
      summary: "A customer's life-cycle state",
      tags: ['admin'],
      access: 'admin',
      params: CustomerIdParams,
      responses: { 200: { description: 'The state.', schema: StatusSchema } },
      async handler({ params }) {
        return deps.lifecycle.status(params.id);
      },
    });
    for (const action of ['suspend', 'terminate'] as const) {
      api.route({
        method: 'POST',
        path: `/api/admin/customers/:id/${action}`,
        operationId: action === 'suspend' ? 'adminSuspendCustomer' : 'adminTerminateCustomer',
        summary:
          action === 'suspend'
            ? 'Suspend a customer, after a final backup'
            : 'Terminate a customer, after a final backup',
        description:
          action === 'suspend'
            ? "Queues a backup of each of the customer's schedules (the final backup), then records the customer as suspended. Their backups and schedules stay."
            : "Queues a backup of each of the customer's schedules (the final backup), stops the schedules and records the customer as terminated. Their backups are kept for HOSTVAULT_TERMINATED_KEEP_DAYS days (default 30), then purged, with an audit record.",
        tags: ['admin'],
        access: 'admin',
        params: CustomerIdParams,
        body: ChangeBody,
        responses: {
          200: { description: 'The new state and the final backups.', schema: ChangeSchema },
          409: { description: 'The customer is terminated already.', schema: ErrorBodySchema },
        },
        async handler({ params, body, principal }) {
          const opts = {
            actor: actorOf(principal),
            waitMs: (body?.waitSeconds ?? 0) * 1000,
          };
          return action === 'suspend'
            ? deps.lifecycle.suspend(params.id, opts)
            : deps.lifecycle.terminate(params.id, opts);
        },
      });
    }
    api.route({
      method: 'POST',
      path: '/api/admin/customers/:id/reactivate',
      operationId: 'adminReactivateCustomer',
      summary: 'Lift a suspension',
      tags: ['admin'],
      access: 'admin',
      params: CustomerIdParams,
      responses: {
        200: { description: 'The state.', schema: StatusSchema },
        409: { description: 'The customer is terminated.', schema: ErrorBodySchema },
      },
      async handler({ params, principal }) {
        return deps.lifecycle.reactivate(params.id, { actor: actorOf(principal) });
      },
    });
    api.route({
      method: 'POST',
      path: '/api/admin/customers/:id/purge-path',
      operationId: 'adminPurgeCustomerPath',
      summary: "Remove a path from every one of a customer's snapshots",
      description:
        "Queues a job that rewrites each of the customer's snapshots without the path (`restic rewrite --exclude`, restic 0.15 or newer) and prunes, so the content is gone from the repositories. Held snapshots are left as they are. Refused, with nothing queued, where the server runs an older restic.",
      tags: ['admin'],
      access: 'admin',
      params: CustomerIdParams,
      body: z.strictObject({
        path: z
          .string()
          .describe(
            'The absolute path as the snapshots hold it, e.g. /home/c1/public_html/secret.txt.',
          ),
      }),
      responses: {
        202: { description: 'Queued.', schema: z.object({ jobId: z.number().int() }) },
        409: {
          description: "The server's restic cannot rewrite snapshots, or the backups are purged.",
          schema: ErrorBodySchema,
        },
      },
      async handler({ params, body, principal, status }) {
        const queued = await deps.lifecycle.purgePath(params.id, body.path, {
          actor: actorOf(principal),
        });
        status(202);
        return queued;
      },
    });
    api.route({
      method: 'GET',
      path: '/api/admin/customers/:id/lifecycle/audit',
      operationId: 'adminCustomerLifecycleAudit',
      summary: 'What the life cycle did for a customer',
      tags: ['admin'],
      access: 'admin',
      params: CustomerIdParams,
      responses: {
        200: { description: 'Oldest first.', schema: z.object({ entries: z.array(AuditSchema) }) },
      },
      async handler({ params }) {
        return { entries: await deps.lifecycle.audit(params.id) };
      },
    });
  };
}
