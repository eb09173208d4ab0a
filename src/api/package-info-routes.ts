/**
 * `GET /api/me/package`: what the caller's package allows, so the schedule form offers only
 * those frequencies and that retention. The server enforces the same limits on create and edit
 * (src/schedule/package-limits.ts) whatever a form sends.
 */
import { z } from 'zod';
import { FREQUENCIES, type Customer, type Package } from '../inventory/schema.js';
import type { ScheduleService } from '../schedule/schedule-service.js';
import { HostvaultError } from '../errors/index.js';
import type { RouteRegistry } from './registry.js';

export interface PackageInfoDeps {
  schedules: Pick<ScheduleService, 'list'>;
  inventory: {
    getCustomer(id: string): Promise<Customer | undefined>;
    getPackage(id: string): Promise<Package | undefined>;
  };
}

const PackageInfoSchema = z
  .object({
    packageName: z.string().nullable().describe('Null for administrators, who have no package.'),
    included: z.boolean().describe('Whether the package includes backups at all.'),
    frequencies: z.array(z.enum(FREQUENCIES)),
    maxRetention: z.number().int().describe('Most snapshots one schedule may keep; 0 = unlimited.'),
    maxSchedules: z.number().int().describe('Most schedules; 0 = unlimited.'),
    schedules: z.number().int().describe('Schedules the caller has now.'),
  })
  .meta({ id: 'PackageInfo' });

const AreasSchema = z
  .object({
    databases: z.array(z.string()).describe("The customer's MariaDB databases."),
    mailboxes: z.array(z.string()).describe("The addresses of the customer's mailboxes."),
  })
  .meta({ id: 'MyAreas' });

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
    api.route({
      method: 'GET',
      path: '/api/me/areas',
      operationId: 'getMyAreas',
      summary: "The caller's databases and mailboxes, to restore one of them",
      description:
        'For customers only; administrators have no databases or mailboxes of their own.',
      tags: ['snapshots'],
      access: 'signed-in',
      responses: { 200: { description: 'The names.', schema: AreasSchema } },
      async handler({ principal }) {
        if (principal.role !== 'customer' || !principal.customerId)
          throw new HostvaultError(
            'auth.customer_only',
            'Only customers have databases and mailboxes of their own.',
          );
        const customer = await deps.inventory.getCustomer(principal.customerId);
        return {
          databases: customer?.databases ?? [],
          mailboxes: customer?.mailboxes.map((mailbox) => mailbox.address) ?? [],
        };
      },
    });
  };
}
