/**
 * The route registry: every API route is declared once, with zod schemas for its path
 * parameters, query, body and responses. The same declaration registers the Fastify route,
 * validates the request before the handler sees it, and becomes the route's entry in the OpenAPI
 * document, so the document cannot drift from what the server does.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authenticated } from '../auth/index.js';
import { ErrorBodySchema } from './errors.js';
import { parseInput } from './validation.js';

/** Who may call a route: anyone, any signed-in principal, or administrators only. */
export type Access = 'public' | 'signed-in' | 'admin';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ResponseSpec {
  description: string;
  /** The JSON body; omit for an empty body or with `contentType` for another format. */
  schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
  headers?: Record<string, { description: string }>;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/**
 * A body that the service behind the route validates itself, with `schema`, because its checks
 * depend on who asks (a customer's local target is always the provider's directory) or word
 * their own messages field by field. The registry documents `schema` and checks only that the
 * body is a JSON object; the handler passes it on as it came.
 */
export interface ServiceCheckedBody<S extends z.ZodType = z.ZodType> {
  readonly schema: S;
  /** Who validates it, for the reader: "ScheduleService.create", … */
  readonly checkedBy: string;
}

export function checkedByService<S extends z.ZodType>(
  schema: S,
  checkedBy: string,
): ServiceCheckedBody<S> {
  return { schema, checkedBy };
}

type BodySpec = z.ZodType | ServiceCheckedBody;
type ParsedBody<S> = S extends ServiceCheckedBody
  ? Record<string, unknown>
  : S extends z.ZodType
    ? z.output<S>
    : undefined;

const JsonObject = z.record(z.string(), z.unknown());

export interface RouteContext<P, Q, B, A extends Access> {
  params: P;
  query: Q;
  body: B;
  principal: A extends 'public' ? undefined : Authenticated;
  request: FastifyRequest;
  reply: FastifyReply;
  /** Answers with this status instead of the route's first declared success status. */
  status(code: number): void;
}

export interface RouteDefinition<
  PS extends z.ZodType | undefined,
  QS extends z.ZodType | undefined,
  BS extends BodySpec | undefined,
  A extends Access,
> {
  method: HttpMethod;
  /** Fastify syntax: `/api/jobs/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  access: A;
  params?: PS;
  query?: QS;
  body?: BS;
  /** Largest request body in bytes, when this route needs more than the server's default. */
  bodyLimit?: number;
  /** Success answers and any error answers particular to this route (409, 429…). */
  responses: Record<number, ResponseSpec>;
  /**
   * Returns the JSON body, or undefined for an empty one. A handler that answers by itself
   * (a redirect, plain text) sends through `reply` and returns it.
   */
  handler(ctx: RouteContext<Parsed<PS>, Parsed<QS>, ParsedBody<BS>, A>): Promise<unknown>;
}

type AnyRoute = RouteDefinition<
  z.ZodType | undefined,
  z.ZodType | undefined,
  BodySpec | undefined,
  Access
>;

export interface RegistryOptions {
  /** Resolves the caller for a non-public route, or throws an ApiError (401, 403). */
  authenticate(request: FastifyRequest, access: Exclude<Access, 'public'>): Promise<Authenticated>;
  /** Checks every JSON answer against its declared schema (tests); a mismatch becomes a 500. */
  validateResponses?: boolean;
}

/** Marks routes that came through the registry; see the onRoute check in server.ts. */
export const REGISTERED = Symbol.for('hostvault.api.registered');

export class RouteRegistry {
  private readonly list: AnyRoute[] = [];

  constructor(
    private readonly app: FastifyInstance,
    private readonly opts: RegistryOptions,
  ) {}

  /** Every route declared so far, in declaration order. */
  get routes(): readonly AnyRoute[] {
    return this.list;
  }

  route<
    PS extends z.ZodType | undefined = undefined,
    QS extends z.ZodType | undefined = undefined,
    BS extends BodySpec | undefined = undefined,
    A extends Access = Access,
  >(def: RouteDefinition<PS, QS, BS, A>): void {
    const route = def as unknown as AnyRoute;
    if (this.list.some((r) => r.operationId === route.operationId)) {
      throw new Error(`operationId ${route.operationId} is used twice`);
    }
    checkDocumented(route);
    this.list.push(route);
    const successes = Object.keys(route.responses)
      .map(Number)
      .filter((code) => code >= 200 && code < 400)
      .sort((a, b) => a - b);
    const defaultStatus = successes[0] ?? 200;

    this.app.route({
      method: route.method,
      url: route.path,
      ...(route.bodyLimit !== undefined ? { bodyLimit: route.bodyLimit } : {}),
      config: { [REGISTERED]: true },
      handler: async (request, reply) => {
        // Who is asking comes first: an anonymous caller learns nothing from validation errors.
        const principal =
          route.access === 'public'
            ? undefined
            : await this.opts.authenticate(request, route.access);
        const params = route.params
          ? parseInput(route.params, request.params, 'params')
          : undefined;
        const query = route.query ? parseInput(route.query, request.query, 'query') : undefined;
        const body = !route.body
          ? undefined
          : route.body instanceof z.ZodType
            ? parseInput(route.body, request.body, 'body')
            : parseInput(JsonObject, request.body, 'body');
        let status = defaultStatus;
        const result = await route.handler({
          params,
          query,
          body,
          principal,
          request,
          reply,
          status: (code) => {
            status = code;
          },
        });
        if (reply.sent || result === reply) return reply;
        const spec = route.responses[status];
        if (this.opts.validateResponses) checkResponse(route, status, spec, result);
        reply.code(status);
        if (result === undefined) return reply.send();
        return result;
      },
    });
  }

  /** The OpenAPI 3.1 document of every route declared so far. */
  openApiDocument(info: { title: string; version: string; description?: string }): OpenApiDocument {
    const paths: Record<string, Record<string, unknown>> = {};
    const components = new SchemaComponents();
    components.schemas.Error = components.add(ErrorBodySchema, 'output');
    for (const route of this.list) {
      const path = route.path.replace(/:(\w+)/g, '{$1}');
      paths[path] ??= {};
      paths[path][route.method.toLowerCase()] = operation(route, components);
    }
    return {
      openapi: '3.1.0',
      info,
      paths,
      components: {
        schemas: components.schemas,
        securitySchemes: {
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'hostvault_session',
            description:
              'Set by POST /api/session or a signed link. Requests that change something must also send the X-CSRF-Token header.',
          },
          token: { type: 'http', scheme: 'bearer', description: 'An API token (hv_…).' },
        },
      },
    };
  }
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, unknown>;
}

/** The schema a route's body is documented (and validated) with. */
export function bodySchemaOf(route: Pick<AnyRoute, 'body'>): z.ZodType | undefined {
  return !route.body || route.body instanceof z.ZodType ? route.body : route.body.schema;
}

/**
 * Refuses a route whose answers are not all described: every success and redirect names its
 * body's schema or content type, or is one that has no body (204, a redirect). So a route cannot
 * reach the OpenAPI document, and the web client generated from it, with an answer of unknown
 * shape.
 */
function checkDocumented(route: AnyRoute): void {
  const where = `${route.method} ${route.path}`;
  const codes = Object.keys(route.responses).map(Number);
  if (!codes.some((code) => code >= 200 && code < 400))
    throw new Error(`${where} declares no success answer`);
  for (const code of codes) {
    const spec = route.responses[code];
    const bodiless = code === 204 || (code >= 300 && code < 400);
    if (spec && !bodiless && !spec.schema && !spec.contentType)
      throw new Error(`${where} → ${code} declares neither a schema nor a content type`);
    if (spec && bodiless && (spec.schema || spec.contentType))
      throw new Error(`${where} → ${code} has no body, yet declares one`);
  }
}

function operation(route: AnyRoute, components: SchemaComponents): Record<string, unknown> {
  const body = bodySchemaOf(route);
  const parameters: unknown[] = [];
  if (route.params) parameters.push(...parametersOf(route.params, 'path', components));
  if (route.query) parameters.push(...parametersOf(route.query, 'query', components));
  const responses: Record<string, unknown> = {};
  for (const [code, spec] of Object.entries(route.responses))
    responses[code] = responseOf(spec, components);
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  const hasInput = route.params || route.query || route.body;
  const mutating = route.method !== 'GET';
  if (hasInput) responses['400'] ??= error('A field is missing or not valid; `fields` names it.');
  if (route.access !== 'public')
    responses['401'] ??= error('Not signed in, or the token is not valid.');
  if (route.access === 'admin' || (route.access !== 'public' && mutating)) {
    responses['403'] ??= error(
      route.access === 'admin'
        ? 'Needs an administrator (or, with a session cookie, the CSRF token is missing).'
        : 'With a session cookie: the X-CSRF-Token header is missing or wrong.',
    );
  }
  if (route.params) responses['404'] ??= error('No such object, or not yours: the same answer.');
  if (route.body) {
    responses['413'] ??= error('The request body is too large.');
    responses['415'] ??= error('The request body is not JSON.');
  }
  responses['500'] ??= error('Something failed on the server; details are in its log.');
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: route.tags,
    security: route.access === 'public' ? [] : [{ session: [] }, { token: [] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body
      ? {
          requestBody: {
            required: !body.safeParse(undefined).success,
            content: { 'application/json': { schema: components.add(body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

function parametersOf(
  schema: z.ZodType,
  where: 'path' | 'query',
  components: SchemaComponents,
): unknown[] {
  const json = components.add(schema, 'input') as {
    properties?: Record<string, { description?: string }>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    ...(property.description ? { description: property.description } : {}),
    schema: property,
  }));
}

function responseOf(spec: ResponseSpec, components: SchemaComponents): Record<string, unknown> {
  const contentType = spec.contentType ?? (spec.schema ? 'application/json' : undefined);
  return {
    description: spec.description,
    ...(spec.headers
      ? {
          headers: Object.fromEntries(
            Object.entries(spec.headers).map(([name, h]) => [
              name,
              { description: h.description, schema: { type: 'string' } },
            ]),
          ),
        }
      : {}),
    ...(contentType
      ? {
          content: {
            [contentType]: {
              // One named schema for every error body, so clients get one type for it.
              schema:
                spec.schema === ErrorBodySchema
                  ? { $ref: '#/components/schemas/Error' }
                  : spec.schema
                    ? components.add(spec.schema, 'output')
                    : { type: 'string' },
            },
          },
        }
      : {}),
  };
}

/**
 * The document's named schemas. A zod schema with `.meta({ id })` (Schedule, PublicTarget…)
 * becomes one entry of components.schemas that every route refers to, so clients get one named
 * type for it rather than a copy per route.
 */
class SchemaComponents {
  readonly schemas: Record<string, unknown> = {};

  /** The JSON Schema of `schema`, its named parts moved to components.schemas. */
  add(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
    const json = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      target: 'draft-2020-12',
    }) as Record<string, unknown>;
    delete json.$schema;
    const defs = (json.$defs ?? {}) as Record<string, unknown>;
    delete json.$defs;
    for (const [id, def] of Object.entries(defs)) {
      const named = toComponentRefs(def);
      const known = this.schemas[id];
      // A schema whose request and answer forms differ (defaults, transforms) needs two names.
      if (known !== undefined && JSON.stringify(known) !== JSON.stringify(named))
        throw new Error(`Two different schemas are named ${id} (as ${io} and elsewhere)`);
      this.schemas[id] = named;
    }
    return toComponentRefs(json) as Record<string, unknown>;
  }
}

function toComponentRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toComponentRefs);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      key === '$ref' && typeof v === 'string'
        ? v.replace(/^#\/\$defs\//, '#/components/schemas/')
        : toComponentRefs(v),
    ]),
  );
}

function checkResponse(
  route: AnyRoute,
  status: number,
  spec: ResponseSpec | undefined,
  body: unknown,
): void {
  const where = `${route.method} ${route.path} → ${status}`;
  if (!spec) throw new Error(`${where} is not a declared response`);
  if (!spec.schema) {
    if (body !== undefined)
      throw new Error(`${where} declares no body but the handler returned one`);
    return;
  }
  if (spec.contentType && spec.contentType !== 'application/json') return;
  const result = spec.schema.safeParse(body);
  if (!result.success) {
    throw new Error(`${where} does not match its schema: ${z.prettifyError(result.error)}`);
  }
}
