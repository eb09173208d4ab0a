export { buildServer, DEFAULT_BODY_LIMIT, routesOf, type FastifyRoute } from './server.js';
export type * from './deps.js';
export { RouteRegistry, type Access, type RouteDefinition, type ResponseSpec } from './registry.js';
export { ErrorBodySchema, notFound } from './errors.js';
export { answerOf, ERROR_STATUS } from './error-status.js';
export { mayReach, ownerOf } from './job-routes.js';
export { storeHealth, storeJobMetrics } from './store-adapters.js';
