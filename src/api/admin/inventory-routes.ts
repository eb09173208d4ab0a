/** The admin area's inventory import: a hosting panel's whole document, all or nothing. */
import { z } from 'zod';
import { InventoryValidationError } from '../../inventory/index.js';
import { importSchema, type InventoryService } from '../../inventory/inventory-service.js';
import type { ApiModule } from '../deps.js';
import { checkedByService, type RouteRegistry } from '../registry.js';
import { invalid } from './shared.js';

export interface InventoryRouteDeps {
  inventory: Pick<InventoryService, 'importInventory'>;
}

export const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;
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
/** The hosting panel's document; the inventory service validates it, every record at once. */
const ImportBody = checkedByService(importSchema, 'InventoryService.importInventory');
const ImportQuery = z.strictObject({
  prune: z
    .enum(['true', 'false'], { error: 'Prune must be true or false' })
    .default('false')
    .describe('Delete the customers and packages that the document does not list.'),
});

export function inventoryRoutes(deps: InventoryRouteDeps): ApiModule {
  return (api: RouteRegistry): void => {
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
  };
}
