/**
 * `GET /api/me/package`: what the caller's package allows, so the schedule form offers only
 * those frequencies and that retention. The server enforces the same limits on create and edit
 * (src/schedule/package-limits.ts) whatever a form sends.
 */
import { z } from 'zod';
import { FREQUENCIES, type Customer, type Package } from '../inventory/schema.js';
import type { ScheduleService } from '../schedule/schedule-service.js';
import type { RouteRegistry } from './registry.js';

export interface PackageInfoDeps {
  schedules: Pick<ScheduleService, 'list'>;
  inventory: {
    getCustomer(id: string): Promise<Customer | undefined>;
    getPackage(id: string): Promise<Package | undefined>;
  };
}

const PackageInfoSchema = z.object({
  packageName: z.string().nullable().describe('Null for administrators, who have no package.'),
  included: z.boolean().describe('Whether the package includes backups at all.'),
  frequencies: z.array(z.enum(FREQUENCIES)),
  maxRetention: z.number().int().describe('Most snapshots one schedule may keep; 0 = unlimited.'),
  maxSchedules: z.number().int().describe('Most schedules; 0 = unlimited.'),
  schedules: z.number().int().describe('Schedules the caller has now.'),
});

export function packageInfoRoutes(deps: PackageInfoDeps) {
  return (api: RouteRegistry): void => {
    api.route({
      method: 'GET',
      path: '/api/me/package',
      operationId: 'getMyPackage',
      summary: "The caller's package limits for schedules",
      description:
        'Administrators have no package: every frequency, no limits. A customer whose package is missing gets included false.',
      tags: ['schedules'],
      access: 'signed-in',
      responses: { 200: { description: 'The limits.', schema: PackageInfoSchema } },
      async handler({ principal }) {
        if (principal.role !== 'customer' || !principal.customerId) {
          const all = await deps.schedules.list({ role: 'admin' });
          return {
            packageName: null,
            included: true,
            frequencies: [...FREQUENCIES],
            maxRetention: 0,
            maxSchedules: 0,
            schedules: all.length,
          };
        }
        const customerId = principal.customerId;
        const own = await deps.schedules.list({ role: 'customer', customerId });
        const customer = await deps.inventory.getCustomer(customerId);
        const pkg = customer ? await deps.inventory.getPackage(customer.packageId) : undefined;
        return {
          packageName: pkg?.name ?? null,
          included: pkg !== undefined,
          frequencies: FREQUENCIES.filter((f) => pkg?.frequencies.includes(f) ?? false),
          maxRetention: pkg?.maxRetention ?? 0,
          maxSchedules: pkg?.maxSchedules ?? 0,
          schedules: own.length,
        };
      },
    });
  };
}
