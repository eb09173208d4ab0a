/** Health check, Prometheus metrics and the OpenAPI document. */
import { z } from 'zod';
import type { ApiDeps, ApiModule } from './deps.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';
import type { OpenApiDocument, RouteRegistry } from './registry.js';

const HealthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.object({ store: z.enum(['ok', 'failed']) }),
});

export function systemRoutes(deps: ApiDeps): ApiModule {
  return (api: RouteRegistry): void => {
    api.route({
      method: 'GET',
      path: '/api/health',
      operationId: 'health',
      summary: 'Whether the service can serve: the store answers',
      tags: ['system'],
      access: 'public',
      responses: {
        200: { description: 'Healthy.', schema: HealthSchema },
        503: { description: 'Not able to serve.', schema: HealthSchema },
      },
      async handler({ request, status }) {
        try {
          await deps.health.check();
          return { status: 'ok' as const, checks: { store: 'ok' as const } };
        } catch (error) {
          request.log.error({ err: error }, 'health check failed');
          status(503);
          return { status: 'unavailable' as const, checks: { store: 'failed' as const } };
        }
      },
    });

    api.route({
      method: 'GET',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics: jobs by type and status, job durations, bytes added',
      description: 'For an administrator, or a scraper with an administrator API token.',
      tags: ['system'],
      access: 'admin',
      responses: {
        200: { description: 'Prometheus text format 0.0.4.', contentType: METRICS_CONTENT_TYPE },
      },
      async handler({ reply }) {
        const text = renderMetrics(await deps.metrics.collect());
        return reply.type(METRICS_CONTENT_TYPE).send(text);
      },
    });
  };
}

/** Declared last, so that the document it serves lists every route, itself included. */
export function openApiRoute(deps: ApiDeps): ApiModule {
  return (api: RouteRegistry): void => {
    let document: OpenApiDocument | undefined;
    api.route({
      method: 'GET',
      path: '/api/openapi.json',
      operationId: 'openApi',
      summary: 'This OpenAPI 3.1 document',
      tags: ['system'],
      access: 'public',
      responses: {
        200: {
          description: 'The OpenAPI document.',
          schema: z.object({ openapi: z.string() }).loose(),
        },
      },
      async handler() {
        document ??= api.openApiDocument({
          title: 'hostvault',
          version: deps.options?.version ?? '0.1.0',
          description:
            'Backups for web hosting customers. Errors answer `{ error: { message, fields? } }`; timestamps are ISO 8601 UTC.',
        });
        return document;
      },
    });
  };
}
