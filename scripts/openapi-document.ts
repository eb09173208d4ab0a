/**
 * The OpenAPI document exactly as the service serves it (`GET /api/openapi.json`): a throw-away
 * service with every route module is started in a temporary directory and asked for it. The API
 * reference (api-reference.ts) and the web client's types (api-client.ts) are both made from it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { startService, type Service } from '../src/serve.js';

export interface OpenApiOperation {
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
  security?: unknown[];
}

export interface ServedOpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: Record<string, unknown>;
}

/** Runs `work` against a throw-away service, then stops it and removes its files. */
export async function withThrowawayService<T>(work: (service: Service) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'hv-openapi-'));
  const env = {
    HOSTVAULT_DATA_DIR: join(dir, 'data'),
    HOSTVAULT_KEY_FILE: join(dir, 'master.key'),
    HOSTVAULT_ADMIN_PASSWORD: 'openapi-document-only',
  };
  // The first start creates the administrator from this variable, which loadConfig does not pass.
  const saved = process.env.HOSTVAULT_ADMIN_PASSWORD;
  process.env.HOSTVAULT_ADMIN_PASSWORD = env.HOSTVAULT_ADMIN_PASSWORD;
  try {
    const service = await startService(
      { ...loadConfig(env), listen: { host: '127.0.0.1', port: 0 } },
      { log: () => undefined },
    );
    try {
      return await work(service);
    } finally {
      await service.stop();
    }
  } finally {
    if (saved === undefined) delete process.env.HOSTVAULT_ADMIN_PASSWORD;
    else process.env.HOSTVAULT_ADMIN_PASSWORD = saved;
    await rm(dir, { recursive: true, force: true });
  }
}

export async function servedOpenApiDocument(): Promise<ServedOpenApiDocument> {
  return withThrowawayService(
    async (service) =>
      (await (await fetch(`${service.url}/api/openapi.json`)).json()) as ServedOpenApiDocument,
  );
}
