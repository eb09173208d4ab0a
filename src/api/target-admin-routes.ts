/**
 * The admin area's "Targets" page: every distinct target that schedules use, with the schedules,
 * owners and repositories on it. Derived from the schedules, shown without secrets; "Test
 * connection" of one goes through POST /api/targets/test with a schedule id, so the stored
 * secret is used.
 */
import { z } from 'zod';
import type { ScheduleService } from '../schedule/schedule-service.js';
import { repositoryUrl } from '../target/location.js';
import type { Target } from '../target/schema.js';
import type { RouteRegistry } from './registry.js';
import { PublicTargetSchema } from './schedule-schemas.js';

export interface TargetAdminRouteDeps {
  schedules: Pick<ScheduleService, 'list'>;
}

const TargetUseSchema = z.object({
  scheduleId: z.number().int(),
  scheduleName: z.string(),
  owner: z.string().describe('A customer id, or "server" for server-wide backups.'),
  repository: z.string().describe('The repository URL of this schedule on the target.'),
});

const TargetSummarySchema = z
  .object({
    key: z.string().describe('Identifies the target by its public fields.'),
    kind: z.enum(['local', 's3', 'ftp', 'vault']),
    location: z
      .string()
      .describe('The directory of a local target, the endpoint of S3, host and port of FTP.'),
    container: z
      .string()
      .describe(
        "The bucket and prefix of S3, the base directory of FTP, the agent's user on a vault.",
      ),
    target: PublicTargetSchema.describe('The target as a schedule shows it: secrets masked.'),
    testScheduleId: z
      .number()
      .int()
      .describe('A schedule on this target: pass it to POST /api/targets/test with `target`.'),
    uses: z.array(TargetUseSchema),
  })
  .meta({ id: 'AdminTarget' });

/** The target as the schedule service shows it (publicTarget); the schema states its shape. */
export type TargetSummary = Omit<z.infer<typeof TargetSummarySchema>, 'target'> & {
  target: Record<string, unknown>;
};

function describe(target: Record<string, unknown>): {
  key: string;
  kind: 'local' | 's3' | 'ftp' | 'vault';
  location: string;
  container: string;
} {
  const s = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  switch (target.kind) {
    case 's3': {
      const container = [s(target.bucket), s(target.prefix)].filter(Boolean).join('/');
      return {
        key: JSON.stringify([
          's3',
          s(target.endpoint),
          s(target.bucket),
          s(target.prefix),
          s(target.accessKeyId),
        ]),
        kind: 's3',
        location: s(target.endpoint),
        container,
      };
    }
    case 'ftp': {
      const location = `${s(target.host)}:${s(target.port) || '21'}`;
      return {
        key: JSON.stringify(['ftp', location, s(target.user), s(target.baseDir)]),
        kind: 'ftp',
        location,
        container: s(target.baseDir),
      };
    }
    case 'vault': {
      const location = s(target.url);
      return {
        key: JSON.stringify(['vault', location, s(target.user)]),
        kind: 'vault',
        location,
        container: s(target.user),
      };
    }
    default:
      return {
        key: JSON.stringify(['local', s(target.path)]),
        kind: 'local',
        location: s(target.path),
        container: '',
      };
  }
}

export function targetAdminRoutes(deps: TargetAdminRouteDeps) {
  return (api: RouteRegistry): void => {
    api.route({
      method: 'GET',
      path: '/api/admin/targets',
      operationId: 'adminListTargets',
      summary: 'The targets in use, with the schedules, owners and repositories on each',
      description:
        'One entry per distinct target (kind, endpoint or host, bucket or base directory, and the user), derived from all schedules. Secrets are masked.',
      tags: ['admin'],
      access: 'admin',
      responses: {
        200: {
          description: 'The targets, in the order of their first schedule.',
          schema: z.object({ targets: z.array(TargetSummarySchema) }),
        },
      },
      async handler() {
        const schedules = await deps.schedules.list({ role: 'admin' });
        const byKey = new Map<string, TargetSummary>();
        for (const schedule of schedules) {
          const summary = describe(schedule.target);
          const owner =
            schedule.ownerKind === 'server' ? 'server' : (schedule.customerId ?? 'server');
          let entry = byKey.get(summary.key);
          if (!entry) {
            entry = { ...summary, target: schedule.target, testScheduleId: schedule.id, uses: [] };
            byKey.set(summary.key, entry);
          }
          entry.uses.push({
            scheduleId: schedule.id,
            scheduleName: schedule.name,
            owner,
            repository: repositoryUrl(schedule.target as Target, owner),
          });
        }
        return { targets: [...byKey.values()] };
      },
    });
  };
}
