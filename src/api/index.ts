export { buildServer, DEFAULT_BODY_LIMIT, routesOf, type FastifyRoute } from './server.js';
export type * from './deps.js';
export { RouteRegistry, type Access, type RouteDefinition, type ResponseSpec } from './registry.js';
export { ApiError, ErrorBodySchema, notFound } from './errors.js';
export { mayReach, ownerOf } from './job-routes.js';
export { storeCustomers, storeHealth, storeJobMetrics } from './store-adapters.js';
