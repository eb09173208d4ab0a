/** The admin area's customers: list, create or replace, delete. */
import { z } from 'zod';
import { customerSchema, InventoryValidationError, mailboxSchema } from '../../inventory/index.js';
import type { InventoryService } from '../../inventory/inventory-service.js';
import type { ApiModule } from '../deps.js';
import type { RouteRegistry } from '../registry.js';
import { notFound } from '../errors.js';
import { checkIdMatches, Deleted, invalid } from './shared.js';

export interface CustomerRouteDeps {
  inventory: Pick<
    InventoryService,
    'listCustomers' | 'getCustomer' | 'upsertCustomer' | 'deleteCustomer'
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
const CustomerSchema = customerSchema.meta({ id: 'Customer' });
const CustomerBody = customerSchema
  .extend({
    id: z.string().optional().describe('May be left out; must equal the id in the path if given.'),
    mailboxes: z.array(mailboxSchema.strict()).default([]),
  })
  .strict();

export function customerRoutes(deps: CustomerRouteDeps): ApiModule {
  return (api: RouteRegistry): void => {
    api.route({
      method: 'GET',
      path: '/api/admin/customers',
      operationId: 'adminListCustomers',
      summary: 'Every customer of the hosting inventory',
      tags: ['admin'],
      access: 'admin',
      responses: {
        200: {
          description: 'The customers, by id.',
          schema: z.object({ customers: z.array(CustomerSchema) }),
        },
      },
      async handler() {
        return { customers: await deps.inventory.listCustomers() };
      },
    });
    api.route({
      method: 'PUT',
      path: '/api/admin/customers/:id',
      operationId: 'adminPutCustomer',
      summary: 'Create or replace a customer',
      description:
        'Checked like an imported document: the fields, that every path exists, that the package exists, and that no other customer shares a path, database, database user or mailbox. A refused customer changes nothing.',
      tags: ['admin'],
      access: 'admin',
      params: CustomerIdParams,
      body: CustomerBody,
      responses: {
        200: { description: 'Replaced.', schema: CustomerSchema },
        201: { description: 'Created.', schema: CustomerSchema },
      },
      async handler({ params, body, status }) {
        checkIdMatches(params.id, body.id);
        const existed = (await deps.inventory.getCustomer(params.id)) !== undefined;
        try {
          const customer = await deps.inventory.upsertCustomer({ ...body, id: params.id });
          if (!existed) status(201);
          return customer;
        } catch (error) {
          if (error instanceof InventoryValidationError) throw invalid(error, 'The customer');
          throw error;
        }
      },
    });
    api.route({
      method: 'DELETE',
      path: '/api/admin/customers/:id',
      operationId: 'adminDeleteCustomer',
      summary: "Delete a customer's record",
      description:
        'Removes the customer from the inventory; their files, repositories, schedules and sign-ins stay until removed on their own.',
      tags: ['admin'],
      access: 'admin',
      params: CustomerIdParams,
      responses: { 200: { description: 'Deleted.', schema: Deleted } },
      async handler({ params }) {
        if (!(await deps.inventory.deleteCustomer(params.id))) throw notFound();
        return { deleted: true as const };
      },
    });
  };
}
