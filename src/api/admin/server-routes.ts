/**
 * The admin area's hosting servers (a fleet's Servers page): each one's state and presence,
 * enrollment tokens, revoke, drain. And the one public route of the fleet: an agent enrolling
 * with its one-time token, which is its only credential. Moving a customer to another server, and
 * recovering a lost server's customers onto another one.
 */
import { z } from 'zod';
import type { CustomerMove } from '../../fleet/customer-move.js';
import type { ServerAdmin } from '../../fleet/server-admin.js';
import type { ServerRecovery } from '../../fleet/server-recovery.js';
import type { ApiModule } from '../deps.js';
import type { RouteRegistry } from '../registry.js';

export interface ServerRouteDeps {
  servers: Pick<ServerAdmin, 'list' | 'createEnrollment' | 'enroll' | 'revoke' | 'drain'>;
  moves: Pick<CustomerMove, 'move'>;
  recovery: Pick<ServerRecovery, 'recover'>;
}

const ServerSchema = z
  .object({
    id: z.string(),
    state: z
      .enum(['enrolled', 'draining', 'revoked', 'awaiting'])
      .describe('`awaiting`: an enrollment token was made and not used yet.'),
    online: z.boolean().describe('Its agent was heard within the last 45 seconds.'),
    lastSeenAt: z.string().nullable(),
    enrolledAt: z.string().nullable(),
    resticVersion: z.string().nullable(),
    mariadbVersion: z.string().nullable(),
    freeBytes: z.number().nullable().describe("Free bytes of the agent's data directory."),
    runningJobs: z.number().int(),
    queuedJobs: z.number().int(),
    implicit: z
      .boolean()
      .describe('The one server of `hostvault serve` (or the default server of a controller).'),
    sealed: z
      .boolean()
      .describe(
        "Requests to its agent are sealed to the agent's curve key. False: enrolled before requests were sealed, or a controller's default server; its requests (passwords included) wait in NATS unsealed until it enrolls again.",
      ),
  })
  .meta({ id: 'Server' });

const ServerParams = z.strictObject({ id: z.string().min(1).max(63) });
const EnrollmentBody = z.strictObject({
  server: z.string().min(1).max(63).describe('The hosting server\'s name: a-z, 0-9, "-", "_".'),
  ttlMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .optional()
    .describe('How long the token may be used; 24 hours by default.'),
});
const EnrollmentSchema = z
  .object({
    server: z.string(),
    token: z.string().describe('Shown once: only its hash is stored.'),
    expiresAt: z.string(),
  })
  .meta({ id: 'ServerEnrollment' });
const EnrollBody = z.strictObject({
  token: z.string().min(1).max(200),
  nkey: z.string().min(1).max(100).describe("The agent's public NATS user key (U…)."),
  curveKey: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe(
      "The agent's public curve key (X…): requests are sealed to it. Absent from agents older than sealing.",
    ),
});
const DrainBody = z.strictObject({ draining: z.boolean() });
const CustomerParams = z.strictObject({ id: z.string().min(1).max(200) });
const ServerName = z.string().min(1).max(63);
const MoveBody = z.strictObject({
  server: ServerName.describe('The server the customer moves to: enrolled, not revoked.'),
});
const MoveSchema = z
  .object({ customer: z.string(), from: z.string(), to: z.string() })
  .meta({ id: 'CustomerMove' });
const RecoverBody = z.strictObject({
  to: ServerName.describe("The server that takes the lost server's customers."),
});
const RecoverySchema = z
  .object({
    from: z.string(),
    to: z.string(),
    customers: z.array(
      z.object({
        customer: z.string(),
        status: z
          .enum(['queued', 'skipped'])
          .describe('`queued`: moved, its restores queued; `skipped`: left where it was.'),
        reason: z
          .object({
            code: z.string(),
            message: z.string(),
            params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
          })
          .optional()
          .describe('Why it was skipped: a local target, jobs waiting or running, no snapshot.'),
        restores: z.array(
          z.object({
            jobId: z.number().int(),
            repositoryId: z.number().int(),
            snapshotId: z.string(),
            time: z.string(),
            what: z.string(),
          }),
        ),
        failed: z
          .array(
            z.object({
              snapshotId: z.string(),
              what: z.string(),
              code: z.string(),
              message: z.string(),
            }),
          )
          .describe('Restores that could not be queued after the customer was moved.'),
      }),
    ),
  })
  .meta({ id: 'ServerRecoveryReport' });

export function serverRoutes(deps: ServerRouteDeps): ApiModule {
  return (api: RouteRegistry): void => {
    api.route({
      method: 'GET',
      path: '/api/admin/servers',
      operationId: 'adminListServers',
      summary: 'The hosting servers and their agents',
      tags: ['admin'],
      access: 'admin',
      responses: {
        200: {
          description: 'Each server with its presence, versions, free space and jobs.',
          schema: z.object({ servers: z.array(ServerSchema) }),
        },
      },
      async handler() {
        return { servers: await deps.servers.list() };
      },
    });
    api.route({
      method: 'POST',
      path: '/api/admin/servers/enrollments',
      operationId: 'adminCreateServerEnrollment',
      summary: 'Make a one-time enrollment token for a hosting server',
      description:
        'On the hosting server: `hostvault agent enroll --controller <this URL> --token <token>`.',
      tags: ['admin'],
      access: 'admin',
      body: EnrollmentBody,
      responses: { 201: { description: 'The token, shown once.', schema: EnrollmentSchema } },
      async handler({ body, principal }) {
        return deps.servers.createEnrollment({
          server: body.server,
          createdBy: principal.username ?? principal.via,
          ...(body.ttlMinutes ? { ttlMs: body.ttlMinutes * 60_000 } : {}),
        });
      },
    });
    api.route({
      method: 'POST',
      path: '/api/admin/servers/:id/revoke',
      operationId: 'adminRevokeServer',
      summary: "Revoke a server: its agent is disconnected and can't connect again",
      tags: ['admin'],
      access: 'admin',
      params: ServerParams,
      responses: { 200: { description: 'The server, revoked.', schema: ServerSchema } },
      async handler({ params }) {
        return deps.servers.revoke(params.id);
      },
    });
    api.route({
      method: 'DELETE',
      path: '/api/admin/servers/:id',
      operationId: 'adminDeleteServer',
      summary: 'Revoke a server (as POST …/revoke)',
      tags: ['admin'],
      access: 'admin',
      params: ServerParams,
      responses: { 200: { description: 'The server, revoked.', schema: ServerSchema } },
      async handler({ params }) {
        return deps.servers.revoke(params.id);
      },
    });
    api.route({
      method: 'POST',
      path: '/api/admin/servers/:id/drain',
      operationId: 'adminDrainServer',
      summary: 'Drain a server (no new jobs start on it; queued ones wait) or undrain it',
      tags: ['admin'],
      access: 'admin',
      params: ServerParams,
      body: DrainBody,
      responses: { 200: { description: 'The server.', schema: ServerSchema } },
      async handler({ params, body }) {
        return deps.servers.drain(params.id, body.draining);
      },
    });
    api.route({
      method: 'POST',
      path: '/api/admin/customers/:id/move',
      operationId: 'adminMoveCustomer',
      summary: 'Move a customer to another server with its history',
      description:
        "Its next backup runs on the new server's agent into the same S3/FTP repository (deduplicated); its snapshots stay listed. Refused, nothing changed, when the server is unknown or revoked, the customer has jobs waiting or running, or a schedule backs up to a local directory. The customer's files must already be on the new server: copying them is the hosting panel's job.",
      tags: ['admin'],
      access: 'admin',
      params: CustomerParams,
      body: MoveBody,
      responses: { 200: { description: 'Where the customer was and is.', schema: MoveSchema } },
      async handler({ params, body }) {
        return deps.moves.move(params.id, body.server);
      },
    });
    api.route({
      method: 'POST',
      path: '/api/admin/servers/:id/recover',
      operationId: 'adminRecoverServer',
      summary: 'Recover a lost server: its customers moved to another server and restored there',
      description:
        'Each customer of the lost server is moved and a restore of the newest snapshot of each content is queued on the new server. Customers with a local target, jobs waiting or running, or no snapshot are left where they are; the report says why.',
      tags: ['admin'],
      access: 'admin',
      params: ServerParams,
      body: RecoverBody,
      responses: { 200: { description: 'A report per customer.', schema: RecoverySchema } },
      async handler({ params, body }) {
        return deps.recovery.recover(params.id, body.to);
      },
    });
    api.route({
      method: 'POST',
      path: '/api/fleet/enroll',
      operationId: 'fleetEnrollAgent',
      summary: 'An agent enrolls with its one-time token and public key',
      description:
        '`hostvault agent enroll` calls it. The token is the only credential: unknown, used and expired tokens get one answer.',
      tags: ['fleet'],
      access: 'public',
      body: EnrollBody,
      responses: {
        200: {
          description:
            "The server it is, where its NATS is, and the controller's public curve key its requests are sealed by.",
          schema: z.object({
            server: z.string(),
            natsUrl: z.string().nullable(),
            controllerCurveKey: z.string().nullable(),
          }),
        },
      },
      async handler({ body }) {
        return deps.servers.enroll(body);
      },
    });
  };
}
