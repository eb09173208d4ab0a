/**
 * Holds on snapshots over HTTP: a customer's "Keep" on their own snapshot (within the package's
 * keep limit), the provider's legal hold on any snapshot (reason, optional end), and the admin
 * area's list of the holds in force. Every route reaches its snapshot through reachSnapshot, so
 * another customer's snapshot answers the one 404. The rules are SnapshotHolds'
 * (src/repository/snapshot-holds.ts), which the CLI calls too.
 */
import { z } from 'zod';
import type { Authenticated } from '../auth/index.js';
import type { RepositoryService } from '../repository/repository-service.js';
import type { Hold, SnapshotHolds } from '../repository/snapshot-holds.js';
import type { Store } from '../store/index.js';
import { reachSnapshot } from './snapshot-access.js';
import type { RouteRegistry } from './registry.js';

export interface HoldRouteDeps {
  store: Store;
  repositories: Pick<RepositoryService, 'place'>;
  holds: Pick<SnapshotHolds, 'keep' | 'unkeep' | 'hold' | 'release' | 'list'>;
}

const SnapshotParams = z.strictObject({
  repositoryId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  snapshotId: z.string().regex(/^[0-9a-f]{8,64}$/, 'Snapshot ID must be a hexadecimal id'),
});

export const HoldSchema = z
  .object({
    id: z.number().int(),
    repositoryId: z.number().int(),
    snapshotId: z.string(),
    customerId: z.string(),
    kind: z
      .enum(['legal', 'keep', 'guard'])
      .describe(
        "legal: the provider's hold; keep: the customer's own; guard: set by the mass-change guard after a flagged backup.",
      ),
    reason: z.string(),
    expiresAt: z.string().nullable().describe('When the hold ends; null: until released.'),
    createdBy: z.string(),
    createdAt: z.string(),
    jobId: z.number().int().nullable().describe('guard: the flagged backup job.'),
  })
  .meta({ id: 'SnapshotHold' });

const HoldBody = z
  .strictObject({
    reason: z.string().trim().min(1, 'Give a reason for the hold.').max(500),
    expiresAt: z.iso
      .datetime({ offset: true, error: 'Give the end as a date and time (ISO 8601).' })
      .nullable()
      .optional()
      .describe('When the hold ends; absent or null: until released.'),
  })
  .meta({ id: 'SnapshotHoldRequest' });

const ReleaseQuery = z.strictObject({
  kind: z.enum(['legal', 'guard']).default('legal'),
});

const HoldsQuery = z.strictObject({
  customerId: z.string().max(200).optional(),
});

export function holdRoutes(deps: HoldRouteDeps) {
  const reach = (principal: Authenticated, params: z.infer<typeof SnapshotParams>) =>
    reachSnapshot(deps, principal, params.repositoryId, params.snapshotId);

  return (api: RouteRegistry): void => {
    api.route({
      method: 'PUT',
      path: '/api/snapshots/:repositoryId/:snapshotId/keep',
      operationId: 'keepSnapshot',
      summary: 'Keep a snapshot: retention and deletion leave it alone',
      description:
        "Counts against the package's keep limit (`snapshot.keep_limit` when it is reached; nothing changes). Keeping a kept snapshot again changes nothing.",
      tags: ['snapshots'],
      access: 'signed-in',
      params: SnapshotParams,
      responses: { 200: { description: 'The snapshot is kept.', schema: HoldSchema } },
      async handler({ principal, params }) {
        const { snapshot } = await reach(principal, params);
        return await deps.holds.keep(snapshot);
      },
    });

    api.route({
      method: 'DELETE',
      path: '/api/snapshots/:repositoryId/:snapshotId/keep',
      operationId: 'unkeepSnapshot',
      summary: 'Stop keeping a snapshot: retention treats it as any other again',
      tags: ['snapshots'],
      access: 'signed-in',
      params: SnapshotParams,
      responses: {
        200: {
          description: 'The snapshot is no longer kept.',
          schema: z.object({ kept: z.literal(false) }),
        },
      },
      async handler({ principal, params }) {
        const { snapshot } = await reach(principal, params);
        await deps.holds.unkeep(snapshot);
        return { kept: false as const };
      },
    });

    api.route({
      method: 'PUT',
      path: '/api/admin/snapshots/:repositoryId/:snapshotId/hold',
      operationId: 'holdSnapshot',
      summary: "Put the provider's hold (legal hold) on any snapshot",
      description:
        'With a reason and an optional end. A second hold on the same snapshot replaces the first.',
      tags: ['admin'],
      access: 'admin',
      params: SnapshotParams,
      body: HoldBody,
      responses: { 200: { description: 'The hold.', schema: HoldSchema } },
      async handler({ principal, params, body }) {
        const { snapshot } = await reach(principal, params);
        return await deps.holds.hold(snapshot, {
          reason: body.reason,
          expiresAt: body.expiresAt ? new Date(body.expiresAt).toISOString() : null,
        });
      },
    });

    api.route({
      method: 'DELETE',
      path: '/api/admin/snapshots/:repositoryId/:snapshotId/hold',
      operationId: 'releaseSnapshot',
      summary: "Release the provider's hold, or the guard's, on a snapshot",
      tags: ['admin'],
      access: 'admin',
      params: SnapshotParams,
      query: ReleaseQuery,
      responses: {
        200: {
          description: 'The hold is released.',
          schema: z.object({ released: z.literal(true) }),
        },
      },
      async handler({ principal, params, query }) {
        const { snapshot } = await reach(principal, params);
        await deps.holds.release(snapshot, query.kind);
        return { released: true as const };
      },
    });

    api.route({
      method: 'GET',
      path: '/api/admin/holds',
      operationId: 'listHolds',
      summary: 'The holds in force on snapshots, newest first',
      tags: ['admin'],
      access: 'admin',
      query: HoldsQuery,
      responses: {
        200: {
          description: 'The holds.',
          schema: z.object({ holds: z.array(HoldSchema) }),
        },
      },
      async handler({ query }) {
        const holds: Hold[] = await deps.holds.list({ customerId: query.customerId });
        return { holds };
      },
    });
  };
}
