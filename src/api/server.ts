/**
 * Builds the HTTP API as a Fastify instance, not yet listening: the composition root decides
 * where it listens, tests call `inject()`.
 */
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { requestStamps, serializeReply } from './answer-cache.js';
import { authenticate, PrincipalCache, SESSION_COOKIE } from './authenticate.js';
import type { ApiDeps, ApiModule } from './deps.js';
import { answerOf } from './error-status.js';
import { notFound } from './errors.js';
import { jobRoutes } from './job-routes.js';
import { REGISTERED, RouteRegistry } from './registry.js';
import { sessionRoutes } from './session-routes.js';
import { openApiRoute, systemRoutes } from './system-routes.js';
import { serveWebUi } from './web.js';

export const DEFAULT_BODY_LIMIT = 64 * 1024;

export interface FastifyRoute {
  method: string;
  url: string;
}
const serverRoutes = new WeakMap<FastifyInstance, FastifyRoute[]>();

/**
 * Every route Fastify registered on a server of buildServer, API routes and the web UI's files
 * alike, as Fastify saw them: a test holds each against the OpenAPI document.
 */
export function routesOf(app: FastifyInstance): readonly FastifyRoute[] {
  return serverRoutes.get(app) ?? [];
}

export function buildServer(deps: ApiDeps): FastifyInstance {
  const options = deps.options ?? {};
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance }
      : { logger: options.logger ?? false }),
    bodyLimit,
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
  });

  void app.register(fastifyCookie);
  // Polled answers come from AnswerCache; their JSON is made once, not once per reply.
  app.setReplySerializer(serializeReply);
  // JSON only: a text/plain body is what a cross-site HTML form can send without a preflight.
  app.removeContentTypeParser('text/plain');

  // Every API route must come through the registry, so it is validated, access-checked and in
  // the OpenAPI document. Static files for the web UI may live elsewhere.
  const routes: FastifyRoute[] = [];
  serverRoutes.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
    const registered = (route.config as Record<symbol, unknown> | undefined)?.[REGISTERED] === true;
    if (!registered && (route.url.startsWith('/api/') || route.url === '/metrics')) {
      throw new Error(`${route.method} ${route.url} was not declared through the route registry`);
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    // The web UI's files set their own caching (see web.ts); API answers are never cached.
    if (!reply.hasHeader('cache-control') && !reply.raw.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });

  // Every error's status and body come from error-status.ts: routes throw codes, not statuses.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = answerOf(error, bodyLimit);
    if (answer.log === 'failed') request.log.error({ err: error }, 'request failed');
    else
      request.log.info({ code: answer.body.error.code, message: error.message }, 'request refused');
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });

  const webUi = options.webRoot
    ? serveWebUi(app, options.webRoot, {
        signedIn: async (request) => {
          const token = request.cookies[SESSION_COOKIE];
          return token !== undefined && (await deps.auth.resolveSession(token)) !== undefined;
        },
      })
    : undefined;
  app.setNotFoundHandler(
    (request, reply) =>
      webUi?.(request, reply) ?? reply.code(404).send(answerOf(notFound(), bodyLimit).body),
  );

  // One read of the store's change stamp per request serves both its principal and its answer.
  const stamp = requestStamps(deps.jobs);
  const principals = new PrincipalCache(options.now);
  const api = new RouteRegistry(app, {
    authenticate: (request, access) =>
      authenticate(deps.auth, request, access, { principals, stamp }),
    validateResponses: options.validateResponses ?? false,
  });
  // Every route file is a module: the service's own first, then the features', and the OpenAPI
  // document last, so that it lists every route.
  const modules: ApiModule[] = [
    systemRoutes(deps),
    sessionRoutes(deps),
    jobRoutes(deps, stamp),
    ...(deps.modules ?? []),
    openApiRoute(deps),
  ];
  for (const module of modules) module(api);
  return app;
}
