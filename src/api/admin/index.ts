/**
 * The admin area's API, one route file per resource: customers, packages and the inventory
 * import, sign-ins, server-wide schedules, repository keys to download, and the coverage view.
 */
import type { ApiModule } from '../deps.js';
import { coverageRoutes, type CoverageRouteDeps } from './coverage-routes.js';
import { customerRoutes, type CustomerRouteDeps } from './customer-routes.js';
import { inventoryRoutes, type InventoryRouteDeps } from './inventory-routes.js';
import { lifecycleRoutes, type LifecycleRouteDeps } from './lifecycle-routes.js';
import { packageRoutes, type PackageRouteDeps } from './package-routes.js';
import { repositoryRoutes, type RepositoryRouteDeps } from './repository-routes.js';
import { serverScheduleRoutes, type ServerScheduleRouteDeps } from './server-schedule-routes.js';
import { userRoutes, type UserRouteDeps } from './user-routes.js';

export { IMPORT_BODY_LIMIT } from './inventory-routes.js';
export { type RepositoryKeys, type RepositorySummary } from './repository-routes.js';

export type AdminRouteDeps = CustomerRouteDeps &
  InventoryRouteDeps &
  PackageRouteDeps &
  UserRouteDeps &
  ServerScheduleRouteDeps &
  RepositoryRouteDeps &
  CoverageRouteDeps &
  LifecycleRouteDeps;

/** Each resource's routes, as modules of the server like every other route file's. */
export function adminRoutes(deps: AdminRouteDeps): ApiModule[] {
  return [
    customerRoutes(deps),
    inventoryRoutes(deps),
    packageRoutes(deps),
    userRoutes(deps),
    serverScheduleRoutes(deps),
    repositoryRoutes(deps),
    coverageRoutes(deps),
    lifecycleRoutes(deps),
  ];
}
