/** The admin area's schedules: every schedule with filters, and server-wide schedules created. */
import { z } from 'zod';
import { HostvaultError, NotFoundError, ValidationError } from '../../errors/index.js';
import type { ScheduleService } from '../../schedule/schedule-service.js';
import { scheduleInputSchema } from '../../schedule/schedule-schema.js';
import type { ApiModule } from '../deps.js';
import { checkedByService, type RouteRegistry } from '../registry.js';
import { parseInput } from '../validation.js';
import { ScheduleSchema } from '../schedule-schemas.js';

export interface ServerScheduleRouteDeps {
  schedules: Pick<ScheduleService, 'list' | 'createServerWide'>;
}

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
  })
  .loose();
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
        const { mode, customerId, ...fields } = parseInput(ServerScheduleBody, body, 'body');
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
  };
}
