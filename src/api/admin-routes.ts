/**
 * The admin area's API: customers, packages and the inventory import, sign-ins, server-wide
 * schedules, and repository keys to download.
 */
import { z } from 'zod';
import { AuthInputError, type AuthService } from '../auth/index.js';
import {
  customerSchema,
  InventoryValidationError,
  mailboxSchema,
  packageSchema,
  PackageInUseError,
} from '../inventory/index.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import type { Keyring } from '../repository/keyring.js';
import {
  NotFoundError,
  ScheduleInputError,
  type ScheduleService,
} from '../schedule/schedule-service.js';
import type { Store } from '../store/index.js';
import { ApiError, ErrorBodySchema, notFound, type FieldError } from './errors.js';
import type { RouteRegistry } from './registry.js';
import { ScheduleSchema } from './schedule-schemas.js';

export interface RepositorySummary {
  id: number;
  url: string;
  owner: string;
  targetKind: 'local' | 's3' | 'ftp';
  createdAt: string;
  initializedAt: string | null;
}

export interface RepositoryKeys {
  list(): Promise<RepositorySummary[]>;
  keyFile(id: number): Promise<{ owner: string; url: string; keyFile: string } | undefined>;
}

export interface AdminRouteDeps {
  inventory: Pick<
    InventoryService,
    | 'listCustomers'
    | 'getCustomer'
    | 'upsertCustomer'
    | 'deleteCustomer'
    | 'importInventory'
    | 'listPackages'
    | 'getPackage'
    | 'upsertPackage'
    | 'deletePackage'
  >;
  schedules: Pick<ScheduleService, 'list' | 'createServerWide'>;
  users: Pick<AuthService, 'createUser'>;
  repositories: RepositoryKeys;
}
export function storeRepositoryKeys(store: Store, keyring: Keyring): RepositoryKeys {
  return {
    async list() {
      const rows = await store.db.selectFrom('repositories').selectAll().orderBy('id').execute();
      return rows.map((row) => ({
        id: row.id,
        url: row.url,
        owner: row.owner,
        targetKind: row.target_kind,
        createdAt: row.created_at,
        initializedAt: row.initialized_at,
      }));
    },
    async keyFile(id: number) {
      const row = await store.db
        .selectFrom('repositories')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) return undefined;
      const keyFile = `${keyring.open(row.password_sealed, row.url)}\n`;
      return { owner: row.owner, url: row.url, keyFile };
    },
  };
}
export const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;
const CustomerIdParams = z.strictObject({
  id: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9_-]{0,62}$/,
      'Customer ID may contain only lower-case letters, digits, dashes and underscores (up to 63)',
    ),
});
const PackageIdParams = z.strictObject({
  id: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9_-]{0,62}$/,
      'Package ID may contain only lower-case letters, digits, dashes and underscores (up to 63)',
    ),
});
const RepositoryIdParams = z.strictObject({
  id: z.coerce
    .number({ error: 'Repository ID must be a number' })
    .int()
    .positive()
    .max(Number.MAX_SAFE_INTEGER),
});
const CustomerBody = customerSchema
  .extend({
    id: z.string().optional().describe('May be left out; must equal the id in the path if given.'),
    mailboxes: z.array(mailboxSchema.strict()).default([]),
  })
  .strict();
const PackageBody = packageSchema
  .extend({
    id: z.string().optional().describe('May be left out; must equal the id in the path if given.'),
  })
  .strict();
const ChangeSummarySchema = z.object({
  created: z.array(z.string()),
  updated: z.array(z.string()),
  unchanged: z.array(z.string()),
  deleted: z.array(z.string()),
});
const ImportResultSchema = z.object({
  packages: ChangeSummarySchema,
  customers: ChangeSummarySchema,
});
const ImportBody = z
  .object({
    packages: z
      .array(z.unknown())
      .optional()
      .describe('Packages: id, name, frequencies, maxRetention, maxSchedules, storageQuotaBytes.'),
    customers: z
      .array(z.unknown())
      .optional()
      .describe(
        'Customers: id, name, linuxUser, uid, gid, packageId, webRoot, databases, databaseUser, mailboxes, sslFiles, configFiles.',
      ),
  })
  .loose();
const ImportQuery = z.strictObject({
  prune: z
    .enum(['true', 'false'], { error: 'Prune must be true or false' })
    .default('false')
    .describe('Delete the customers and packages that the document does not list.'),
});
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
const ScheduleListQuery = z.strictObject({
  customerId: z.string().max(63).optional().describe("Only this customer's schedules."),
  ownerKind: z
    .enum(['customer', 'server'])
    .optional()
    .describe("customer: customers' own schedules; server: server-wide schedules."),
});
const RepositorySchema = z.object({
  id: z.number().int(),
  url: z.string(),
  owner: z.string().describe('A customer id, or "server" for server-wide backups.'),
  targetKind: z.enum(['local', 's3', 'ftp']),
  createdAt: z.string(),
  initializedAt: z.string().nullable(),
});
const Deleted = z.object({ deleted: z.literal(true) });
function fieldsOf(issues: InventoryValidationError['issues']): FieldError[] {
  return issues.map((issue) => ({
    field: issue.path === '' ? 'body' : issue.path.replace(/\[(\d+)\]/g, '.$1'),
    message: issue.message,
  }));
}
function invalid(error: InventoryValidationError, what: string): ApiError {
  const fields = fieldsOf(error.issues);
  const message =
    fields.length === 1 && fields[0]
      ? `${what}: ${fields[0].field} \u2014 ${fields[0].message}`
      : `${what} has ${fields.length} problems; nothing was changed.`;
  return new ApiError(400, message, fields);
}
function checkIdMatches(pathId: string, bodyId: string | undefined): void {
  if (bodyId !== undefined && bodyId !== pathId) {
    throw new ApiError(400, 'ID in the body differs from the one in the path', [
      { field: 'id', message: `ID must be "${pathId}", as in the path, or left out` },
    ]);
  }
}
export function adminRoutes(deps: AdminRouteDeps) {
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
          schema: z.object({ customers: z.array(customerSchema) }),
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
        200: { description: 'Replaced.', schema: customerSchema },
        201: { description: 'Created.', schema: customerSchema },
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
    api.route({
      method: 'POST',
      path: '/api/admin/inventory/import',
      operationId: 'adminImportInventory',
      summary: 'Import a whole inventory document (all or nothing)',
      description:
        'The body is the document a hosting panel exports, as JSON: `{ packages: [...], customers: [...] }`. Every problem anywhere refuses the whole document, each listed in `fields` by its place in the document (`customers.2.webRoot`), and nothing changes.',
      tags: ['admin'],
      access: 'admin',
      query: ImportQuery,
      body: ImportBody,
      bodyLimit: IMPORT_BODY_LIMIT,
      responses: { 200: { description: 'What changed.', schema: ImportResultSchema } },
      async handler({ query, body }) {
        try {
          return await deps.inventory.importInventory(body, { prune: query.prune === 'true' });
        } catch (error) {
          if (error instanceof InventoryValidationError) throw invalid(error, 'The inventory');
          throw error;
        }
      },
    });
    api.route({
      method: 'GET',
      path: '/api/admin/packages',
      operationId: 'adminListPackages',
      summary: 'Every hosting package with its backup limits',
      tags: ['admin'],
      access: 'admin',
      responses: {
        200: {
          description: 'The packages, by id.',
          schema: z.object({ packages: z.array(packageSchema) }),
        },
      },
      async handler() {
        return { packages: await deps.inventory.listPackages() };
      },
    });
    api.route({
      method: 'PUT',
      path: '/api/admin/packages/:id',
      operationId: 'adminPutPackage',
      summary: 'Create or replace a package',
      description:
        'maxRetention and maxSchedules of 0 mean unlimited; storageQuotaBytes absent means no quota.',
      tags: ['admin'],
      access: 'admin',
      params: PackageIdParams,
      body: PackageBody,
      responses: {
        200: { description: 'Replaced.', schema: packageSchema },
        201: { description: 'Created.', schema: packageSchema },
      },
      async handler({ params, body, status }) {
        checkIdMatches(params.id, body.id);
        const existed = (await deps.inventory.getPackage(params.id)) !== undefined;
        try {
          const pkg = await deps.inventory.upsertPackage({ ...body, id: params.id });
          if (!existed) status(201);
          return pkg;
        } catch (error) {
          if (error instanceof InventoryValidationError) throw invalid(error, 'The package');
          throw error;
        }
      },
    });
    api.route({
      method: 'DELETE',
      path: '/api/admin/packages/:id',
      operationId: 'adminDeletePackage',
      summary: 'Delete a package that no customer uses',
      tags: ['admin'],
      access: 'admin',
      params: PackageIdParams,
      responses: {
        200: { description: 'Deleted.', schema: Deleted },
        409: { description: 'Customers still use the package.', schema: ErrorBodySchema },
      },
      async handler({ params }) {
        try {
          if (!(await deps.inventory.deletePackage(params.id))) throw notFound();
        } catch (error) {
          if (error instanceof PackageInUseError) {
            const n = error.customerIds.length;
            const shown = error.customerIds.slice(0, 5).join(', ');
            throw new ApiError(
              409,
              `The package "${params.id}" is used by ${n} customer${n === 1 ? '' : 's'} (${shown}${n > 5 ? ', \u2026' : ''}). Move them to another package first.`,
            );
          }
          throw error;
        }
        return { deleted: true as const };
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
        if (body.role === 'customer' && body.customerId) {
          if (!(await deps.inventory.getCustomer(body.customerId))) {
            throw new ApiError(400, `There is no customer "${body.customerId}"`, [
              { field: 'customerId', message: `There is no customer "${body.customerId}"` },
            ]);
          }
        }
        try {
          const user = await deps.users.createUser(body);
          return {
            id: user.id,
            username: user.username,
            role: user.role,
            customerId: user.customerId,
          };
        } catch (error) {
          if (error instanceof AuthInputError)
            throw new ApiError(400, error.message, [
              { field: error.field, message: error.message },
            ]);
          throw error;
        }
      },
    });
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
        'Besides mode and customerId, the body holds the schedule fields of POST /api/schedules (name, scope, frequency, hour, day, retention, target, enabled). Package limits do not apply; customers never see these schedules or their jobs.',
      tags: ['admin'],
      access: 'admin',
      body: ServerScheduleBody,
      responses: { 201: { description: 'Created.', schema: ScheduleSchema } },
      async handler({ body }) {
        const { mode, customerId, ...fields } = body;
        if (mode === 'single' && !customerId)
          throw new ApiError(400, 'Choose the customer', [
            { field: 'customerId', message: 'Choose the customer of a single-customer schedule' },
          ]);
        if (mode === 'entire' && customerId)
          throw new ApiError(400, 'An entire-server schedule belongs to no customer', [
            { field: 'customerId', message: 'Leave the customer out of an entire-server schedule' },
          ]);
        try {
          return await deps.schedules.createServerWide(
            mode === 'single' ? (customerId ?? null) : null,
            fields,
          );
        } catch (error) {
          if (error instanceof ScheduleInputError)
            throw new ApiError(400, 'Please check the highlighted fields.', error.fields);
          if (error instanceof NotFoundError)
            throw new ApiError(400, `There is no customer "${customerId}"`, [
              { field: 'customerId', message: `There is no customer "${customerId}"` },
            ]);
          throw error;
        }
      },
    });
    api.route({
      method: 'GET',
      path: '/api/admin/repositories',
      operationId: 'adminListRepositories',
      summary: 'Every backup repository hostvault made',
      tags: ['admin'],
      access: 'admin',
      responses: {
        200: {
          description: 'The repositories, by id.',
          schema: z.object({ repositories: z.array(RepositorySchema) }),
        },
      },
      async handler() {
        return { repositories: await deps.repositories.list() };
      },
    });
    api.route({
      method: 'GET',
      path: '/api/admin/repositories/:id/key',
      operationId: 'adminDownloadRepositoryKey',
      summary: "Download a repository's key file",
      description:
        "The password file that opens the repository with plain restic: `restic -r <url> --password-file hostvault-<owner>.key` plus the target's own credentials. Without it there is no recovery if this server is lost.",
      tags: ['admin'],
      access: 'admin',
      params: RepositoryIdParams,
      responses: {
        200: {
          description: 'The key file.',
          contentType: 'text/plain',
          headers: {
            'Content-Disposition': { description: 'attachment; filename="hostvault-<owner>.key"' },
          },
        },
      },
      async handler({ params, reply, request }) {
        const key = await deps.repositories.keyFile(params.id);
        if (!key) throw notFound();
        request.log.info({ repositoryId: params.id, owner: key.owner }, 'repository key exported');
        return reply
          .header(
            'content-disposition',
            `attachment; filename="hostvault-${key.owner.replace(/[^\w-]/g, '_')}.key"`,
          )
          .type('text/plain; charset=utf-8')
          .send(key.keyFile);
      },
    });
  };
}
