/**
 * The admin area's sign-ins and API tokens: users created, listed, deleted and their passwords
 * reset; tokens created (shown once), listed and revoked.
 */
import { z } from 'zod';
import type { AuthService } from '../../auth/index.js';
import type { InventoryService } from '../../inventory/inventory-service.js';
import type { ApiModule } from '../deps.js';
import type { RouteRegistry } from '../registry.js';
import { HostvaultError, NotFoundError } from '../../errors/index.js';

export interface UserRouteDeps {
  inventory: Pick<InventoryService, 'getCustomer'>;
  users: Pick<
    AuthService,
    | 'createUser'
    | 'listUsers'
    | 'deleteUser'
    | 'setPassword'
    | 'createApiToken'
    | 'listApiTokens'
    | 'revokeApiToken'
  >;
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
const UserSchema = z
  .object({
    id: z.number().int(),
    username: z.string(),
    role: z.enum(['customer', 'admin']),
    customerId: z.string().nullable(),
  })
  .meta({ id: 'User' });
const UserListSchema = z.object({
  users: z.array(UserSchema.extend({ createdAt: z.string() })),
});
const IdParams = z.strictObject({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});
const PasswordBody = z.strictObject({
  password: z.string().max(1024, 'Password must be at most 1024 characters'),
});
const TokenBody = z.strictObject({
  name: z.string().max(100),
  role: z.enum(['customer', 'admin']),
  customerId: z
    .string()
    .max(63)
    .nullable()
    .optional()
    .describe('Required for a customer token; absent for an administrator token.'),
  scope: z
    .enum(['full', 'read'])
    .default('full')
    .describe('read: GET requests only, for dashboards and monitoring.'),
});
const TokenSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    role: z.enum(['customer', 'admin']),
    customerId: z.string().nullable(),
    scope: z.enum(['full', 'read']),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiToken' });

export function userRoutes(deps: UserRouteDeps): ApiModule {
  /** A customer user or token must name a customer the inventory has. */
  async function checkCustomer(role: 'customer' | 'admin', customerId?: string | null) {
    if (role !== 'customer' || !customerId) return;
    if (await deps.inventory.getCustomer(customerId)) return;
    const message = `There is no customer "${customerId}"`;
    throw new HostvaultError('customer.unknown', message, {
      params: { customerId },
      fields: [{ field: 'customerId', code: 'customer.unknown', message, params: { customerId } }],
    });
  }

  return (api: RouteRegistry): void => {
    api.route({
      method: 'GET',
      path: '/api/admin/users',
      operationId: 'adminListUsers',
      summary: 'Every sign-in: administrators first, then by name',
      tags: ['admin'],
      access: 'admin',
      responses: { 200: { description: 'The users.', schema: UserListSchema } },
      async handler() {
        return { users: await deps.users.listUsers() };
      },
    });

    api.route({
      method: 'DELETE',
      path: '/api/admin/users/:id',
      operationId: 'adminDeleteUser',
      summary: 'Delete a sign-in and end its sessions',
      description: 'Refused for yourself and for the last administrator.',
      tags: ['admin'],
      access: 'admin',
      params: IdParams,
      responses: { 204: { description: 'Deleted.' } },
      async handler({ principal, params }) {
        await deps.users.deleteUser(params.id, { userId: principal.userId });
        return undefined;
      },
    });

    api.route({
      method: 'PUT',
      path: '/api/admin/users/:id/password',
      operationId: 'adminResetPassword',
      summary: "Set a user's password (a reset); their sessions end",
      description: 'Passwords need at least 12 characters.',
      tags: ['admin'],
      access: 'admin',
      params: IdParams,
      body: PasswordBody,
      responses: { 204: { description: 'Set.' } },
      async handler({ params, body }) {
        await deps.users.setPassword(params.id, body.password);
        return undefined;
      },
    });

    api.route({
      method: 'GET',
      path: '/api/admin/tokens',
      operationId: 'adminListTokens',
      summary: 'Every API token (never the token itself), newest first',
      tags: ['admin'],
      access: 'admin',
      responses: {
        200: { description: 'The tokens.', schema: z.object({ tokens: z.array(TokenSchema) }) },
      },
      async handler() {
        return { tokens: await deps.users.listApiTokens() };
      },
    });

    api.route({
      method: 'POST',
      path: '/api/admin/tokens',
      operationId: 'adminCreateToken',
      summary: 'Create an API token; it is shown in this answer only',
      description: 'Send it as `Authorization: Bearer <token>`.',
      tags: ['admin'],
      access: 'admin',
      body: TokenBody,
      responses: {
        201: {
          description: 'Created.',
          schema: z.object({ id: z.number().int(), token: z.string() }),
        },
      },
      async handler({ body }) {
        await checkCustomer(body.role, body.customerId);
        return deps.users.createApiToken(body);
      },
    });

    api.route({
      method: 'DELETE',
      path: '/api/admin/tokens/:id',
      operationId: 'adminRevokeToken',
      summary: 'Revoke an API token at once',
      tags: ['admin'],
      access: 'admin',
      params: IdParams,
      responses: { 204: { description: 'Revoked.' } },
      async handler({ params }) {
        if (!(await deps.users.revokeApiToken(params.id))) throw new NotFoundError();
        return undefined;
      },
    });

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
        await checkCustomer(body.role, body.customerId);
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
