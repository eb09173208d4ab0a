/** The admin area's schedules: every schedule with filters, and server-wide schedules created. */
import { z } from 'zod';
import { HostvaultError, NotFoundError, ValidationError } from '../../errors/index.js';
import type { CustomerMove } from '../../fleet/customer-move.js';
import type { ScheduleService } from '../../schedule/schedule-service.js';
import { scheduleInputSchema } from '../../schedule/schedule-schema.js';
import type { ApiModule } from '../deps.js';
import { checkedByService, type RouteRegistry } from '../registry.js';
import { parseInput } from '../validation.js';
import { ScheduleSchema } from '../schedule-schemas.js';

export interface ServerScheduleRouteDeps {
  schedules: Pick<ScheduleService, 'list' | 'createServerWide' | 'setServer'>;
  /** Whether a server may be named, and the name the store keeps for it (customer-move.ts). */
  knownServers: Pick<CustomerMove, 'requireServer'>;
}

const ServerName = z
  .string()
  .min(1)
  .max(63)
  .nullable()
  .describe(
    'The hosting server an entire-server schedule backs up: its customers, on its agent (enrolled or draining). Null or absent: every customer, each on its own server.',
  );

const ServerScheduleBody = z
  .object({
    mode: z
      .enum(['entire', 'single'], { error: 'Mode must be "entire" or "single"' })
      .describe(
        'entire: every customer into one server repository; single: one customer with its own retention, target or credentials.',
      ),
    customerId: z
      .string()
      .max(63)
      .optional()
      .describe('The customer of a "single" schedule; absent for "entire".'),
    server: ServerName.optional(),
  })
  .loose();
const ScheduleParams = z.strictObject({ id: z.coerce.number().int().positive() });
const ScheduleServerBody = z.strictObject({ server: ServerName });
/** Checked in two parts: the handler reads mode and customerId, the service the rest. */
const ServerScheduleRequest = checkedByService(
  ServerScheduleBody.and(scheduleInputSchema),
  'the route (mode, customerId) and ScheduleService (the schedule fields)',
);
const ScheduleListQuery = z.strictObject({
  customerId: z.string().max(63).optional().describe("Only this customer's schedules."),
  ownerKind: z
    .enum(['customer', 'server'])
    .optional()
    .describe("customer: customers' own schedules; server: server-wide schedules."),
});

export function serverScheduleRoutes(deps: ServerScheduleRouteDeps): ApiModule {
  return (api: RouteRegistry): void => {
    api.route({
      method: 'GET',
      path: '/api/admin/schedules',
      operationId: 'adminListSchedules',
      summary: "Every schedule, customers' own and server-wide, with filters",
      tags: ['admin'],
      access: 'admin',
      query: ScheduleListQuery,
      responses: {
        200: {
          description: 'The schedules, by id.',
          schema: z.object({ schedules: z.array(ScheduleSchema) }),
        },
      },
      async handler({ query }) {
        const filter = {
          ...(query.customerId !== undefined ? { customerId: query.customerId } : {}),
          ...(query.ownerKind !== undefined ? { ownerKind: query.ownerKind } : {}),
        };
        return { schedules: await deps.schedules.list({ role: 'admin' }, filter) };
      },
    });
    api.route({
      method: 'POST',
      path: '/api/admin/schedules',
      operationId: 'adminCreateServerSchedule',
      summary: 'Create a server-wide schedule: entire server, or one customer',
      description:
        'Besides mode and customerId, the body holds the schedule fields of POST /api/schedules. Package limits do not apply; customers never see these schedules or their jobs.',
      tags: ['admin'],
      access: 'admin',
      body: ServerScheduleRequest,
      responses: { 201: { description: 'Created.', schema: ScheduleSchema } },
      async handler({ body }) {
        const { mode, customerId, server, ...fields } = parseInput(
          ServerScheduleBody,
          body,
          'body',
        );
        if (mode === 'single' && !customerId)
          throw new ValidationError(
            [
              {
                field: 'customerId',
                code: 'schedule.customer_required',
                message: 'Choose the customer of a single-customer schedule',
              },
            ],
            'Choose the customer',
          );
        if (mode === 'entire' && customerId)
          throw new ValidationError(
            [
              {
                field: 'customerId',
                code: 'schedule.server_wide_has_no_customer',
                message: 'Leave the customer out of an entire-server schedule',
              },
            ],
            'An entire-server schedule belongs to no customer',
          );
        try {
          return await deps.schedules.createServerWide(
            mode === 'single' ? (customerId ?? null) : null,
            fields,
            server == null ? null : await deps.knownServers.requireServer(server),
          );
        } catch (error) {
          // The only thing this route can miss is the customer it names: a field of the request.
          if (error instanceof NotFoundError)
            throw new HostvaultError(
              'customer.unknown',
              `There is no customer "${customerId ?? ''}"`,
              {
                params: { customerId: customerId ?? '' },
                fields: [
                  {
                    field: 'customerId',
                    code: 'customer.unknown',
                    message: `There is no customer "${customerId ?? ''}"`,
                    params: { customerId: customerId ?? '' },
                  },
                ],
              },
            );
          throw error;
        }
      },
    });
    api.route({
      method: 'PUT',
      path: '/api/admin/schedules/:id/server',
      operationId: 'adminSetScheduleServer',
      summary: 'Set the hosting server an entire-server schedule backs up',
      description:
        "From its next run on, the schedule backs up only that server's customers, on that server's agent. Null: every customer, each on its own server. Refused for a customer's schedule or a one-customer server-wide schedule, which follow their customer, and for an unknown or revoked server.",
      tags: ['admin'],
      access: 'admin',
      params: ScheduleParams,
      body: ScheduleServerBody,
      responses: { 200: { description: 'The schedule.', schema: ScheduleSchema } },
      async handler({ params, body }) {
        const server =
          body.server === null ? null : await deps.knownServers.requireServer(body.server);
        return deps.schedules.setServer(params.id, server);
      },
    });
  };
}
