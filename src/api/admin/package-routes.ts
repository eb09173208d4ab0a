/** The admin area's hosting packages: list, create or replace, delete one no customer uses. */
import { z } from 'zod';
import {
  InventoryValidationError,
  packageSchema,
  PackageInUseError,
} from '../../inventory/index.js';
import type { InventoryService } from '../../inventory/inventory-service.js';
import type { ApiModule } from '../deps.js';
import type { RouteRegistry } from '../registry.js';
import { HostvaultError } from '../../errors/index.js';
import { ErrorBodySchema, notFound } from '../errors.js';
import { checkIdMatches, Deleted, invalid } from './shared.js';

export interface PackageRouteDeps {
  inventory: Pick<
    InventoryService,
    'listPackages' | 'getPackage' | 'upsertPackage' | 'deletePackage'
  >;
}

const PackageIdParams = z.strictObject({
  id: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9_-]{0,62}$/,
      'Package ID may contain only lower-case letters, digits, dashes and underscores (up to 63)',
    ),
});
const PackageSchema = packageSchema.meta({ id: 'Package' });
const PackageBody = packageSchema
  .extend({
    id: z.string().optional().describe('May be left out; must equal the id in the path if given.'),
  })
  .strict();

export function packageRoutes(deps: PackageRouteDeps): ApiModule {
  return (api: RouteRegistry): void => {
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
          schema: z.object({ packages: z.array(PackageSchema) }),
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
        200: { description: 'Replaced.', schema: PackageSchema },
        201: { description: 'Created.', schema: PackageSchema },
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
            throw new HostvaultError(
              'package.in_use',
              `The package "${params.id}" is used by ${n} customer${n === 1 ? '' : 's'} (${shown}${n > 5 ? ', \u2026' : ''}). Move them to another package first.`,
              { params: { packageId: params.id, count: n, customerIds: shown } },
            );
          }
          throw error;
        }
        return { deleted: true as const };
      },
    });
  };
}
