/** The admin area's sign-ins: create one for a customer or an administrator. */
import { z } from 'zod';
import type { AuthService } from '../../auth/index.js';
import type { InventoryService } from '../../inventory/inventory-service.js';
import type { ApiModule } from '../deps.js';
import type { RouteRegistry } from '../registry.js';
import { HostvaultError } from '../../errors/index.js';

export interface UserRouteDeps {
  inventory: Pick<InventoryService, 'getCustomer'>;
  users: Pick<AuthService, 'createUser'>;
}

const UserBody = z.strictObject({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(1024),
  role: z.enum(['customer', 'admin']),
  customerId: z
    .string()
    .max(63)
    .nullable()
    .optional()
    .describe('Required for a customer user; absent for an administrator.'),
});
const UserSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  role: z.enum(['customer', 'admin']),
  customerId: z.string().nullable(),
});

export function userRoutes(deps: UserRouteDeps): ApiModule {
  return (api: RouteRegistry): void => {
    api.route({
      method: 'POST',
      path: '/api/admin/users',
      operationId: 'adminCreateUser',
      summary: 'Create a sign-in for a customer or an administrator',
      description: 'Passwords need at least 12 characters.',
      tags: ['admin'],
      access: 'admin',
      body: UserBody,
      responses: { 201: { description: 'Created.', schema: UserSchema } },
      async handler({ body }) {
        if (body.role === 'customer' && body.customerId) {
          if (!(await deps.inventory.getCustomer(body.customerId))) {
            throw new HostvaultError(
              'customer.unknown',
              `There is no customer "${body.customerId}"`,
              {
                params: { customerId: body.customerId },
                fields: [
                  {
                    field: 'customerId',
                    code: 'customer.unknown',
                    message: `There is no customer "${body.customerId}"`,
                    params: { customerId: body.customerId },
                  },
                ],
              },
            );
          }
        }
        const user = await deps.users.createUser(body);
        return {
          id: user.id,
          username: user.username,
          role: user.role,
          customerId: user.customerId,
        };
      },
    });
  };
}
