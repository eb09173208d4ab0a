/**
 * The OpenAPI document against the service that serves it, and what is generated from it:
 * every route Fastify registered is documented with a schema for its body and each answer, and
 * docs/api.md and the web client's types (web/src/api/schema.gen.ts) are current.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { renderApiReference } from '../../scripts/api-reference.js';
import { API_CLIENT_FILE, renderApiClient } from '../../scripts/api-client.js';
import {
  withThrowawayService,
  type ServedOpenApiDocument,
} from '../../scripts/openapi-document.js';
import { routesOf, type FastifyRoute } from './index.js';

/** The web UI's files (web.ts), which are no API: fastify-static's wildcard route. */
const WEB_UI_ROUTES = new Set(['/*', '/']);

const served = withThrowawayService(async (service) => ({
  doc: (await (await fetch(`${service.url}/api/openapi.json`)).json()) as ServedOpenApiDocument,
  routes: [...routesOf(service.server)],
}));

test('docs/api.md is generated from the current schemas (run `npm run docs:api` after changing a route)', async () => {
  const committed = await readFile(new URL('../../docs/api.md', import.meta.url), 'utf8');
  assert.equal(committed, await renderApiReference((await served).doc));
});

test('web/src/api/schema.gen.ts is generated from the current schemas', async () => {
  const committed = await readFile(API_CLIENT_FILE, 'utf8').catch(() => '');
  const current = await renderApiClient((await served).doc);
  assert.ok(
    committed === current,
    'web/src/api/schema.gen.ts is stale: the API changed since it was generated. Run `npm run api:client` and commit the result.',
  );
});

test('every route Fastify serves is in the OpenAPI document, with schemas for its body and every answer', async () => {
  const { doc, routes } = await served;
  const problems: string[] = [];
  const api = routes.filter((r) => r.method !== 'HEAD' && !WEB_UI_ROUTES.has(r.url));
  assert.ok(api.length > 30, `only ${api.length} routes found`);
  for (const route of api) problems.push(...undocumented(doc, route));
  assert.deepEqual(problems, []);
});

/** What the document leaves out about one route: nothing when it is fully described. */
function undocumented(doc: ServedOpenApiDocument, route: FastifyRoute): string[] {
  const where = `${route.method} ${route.url}`;
  const op = doc.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
  if (!op) return [`${where} is not in the OpenAPI document`];
  const problems: string[] = [];
  for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
    const schema = (media as { schema?: unknown }).schema;
    if (!schema) problems.push(`${where}: request body (${type}) has no schema`);
    else problems.push(...vague(schema, doc, `${where} request body`));
  }
  const answers = Object.entries(op.responses ?? {});
  if (!answers.some(([code]) => Number(code) < 400)) problems.push(`${where}: no success answer`);
  for (const [code, answer] of answers) {
    // A redirect and 204 No Content have no body to describe.
    if (code === '204' || code.startsWith('3')) continue;
    const content = Object.entries(answer.content ?? {});
    if (content.length === 0) problems.push(`${where} → ${code}: no body described`);
    for (const [type, media] of content) {
      const schema = (media as { schema?: unknown }).schema;
      if (!schema) problems.push(`${where} → ${code} (${type}) has no schema`);
      else problems.push(...vague(schema, doc, `${where} → ${code}`));
    }
  }
  for (const p of op.parameters ?? []) {
    if (!(p as { schema?: unknown }).schema)
      problems.push(`${where}: parameter ${p.name} has no schema`);
  }
  return problems;
}

/**
 * Where a JSON Schema says nothing: an object that takes any fields, or a value of any type with
 * no description of what it holds.
 */
function vague(
  schema: unknown,
  doc: ServedOpenApiDocument,
  where: string,
  seen = new Set<string>(),
): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') {
    if (seen.has(s.$ref)) return [];
    seen.add(s.$ref);
    const name = s.$ref.replace('#/components/schemas/', '');
    const target = (doc.components.schemas as Record<string, unknown>)[name];
    return target
      ? vague(target, doc, `${where} (${name})`, seen)
      : [`${where}: ${s.$ref} is missing`];
  }
  const problems: string[] = [];
  const composed = ['anyOf', 'oneOf', 'allOf'].some((k) => Array.isArray(s[k]));
  const typed =
    s.type !== undefined ||
    s.const !== undefined ||
    s.enum !== undefined ||
    composed ||
    s.not !== undefined;
  if (!typed && !s.description) problems.push(`${where}: a value of any type, with no description`);
  if (
    s.type === 'object' &&
    !s.properties &&
    !composed &&
    (s.additionalProperties === undefined ||
      s.additionalProperties === true ||
      isEmpty(s.additionalProperties))
  )
    problems.push(`${where}: an object with any fields`);
  for (const [key, value] of Object.entries(s)) {
    if (key === 'properties' && value && typeof value === 'object') {
      for (const [name, property] of Object.entries(value))
        problems.push(...vague(property, doc, `${where}.${name}`, seen));
    } else if (key === 'items' || key === 'additionalProperties') {
      if (typeof value === 'object' && value !== null && !isEmpty(value))
        problems.push(...vague(value, doc, `${where}[]`, seen));
    } else if (['anyOf', 'oneOf', 'allOf'].includes(key) && Array.isArray(value)) {
      for (const part of value) problems.push(...vague(part, doc, where, seen));
    }
  }
  return problems;
}

const isEmpty = (value: unknown) =>
  typeof value === 'object' && value !== null && Object.keys(value).length === 0;
