import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { z } from 'zod';
import type { ApiModule, JobQueries } from './deps.js';
import { notFound } from './errors.js';
import { mayReach } from './job-routes.js';
import { checkedByService } from './registry.js';
import { buildServer } from './server.js';
import { addJob, harness, signIn, type Harness } from '../../test/support/api-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const admin = () => ({ authorization: `Bearer ${h.adminToken}` });

describe('health', () => {
  test('200 while the store answers, 503 when it does not', async () => {
    const ok = await h.app.inject({ url: '/api/health' });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { status: 'ok', checks: { store: 'ok' } });
    assert.equal(ok.headers['cache-control'], 'no-store');

    const broken = await harness(
      {},
      { health: { check: () => Promise.reject(new Error('disk I/O error')) } },
    );
    try {
      const down = await broken.app.inject({ url: '/api/health' });
      assert.equal(down.statusCode, 503);
      assert.deepEqual(down.json(), { status: 'unavailable', checks: { store: 'failed' } });
    } finally {
      await broken.close();
    }
  });
});

describe('metrics', () => {
  test('Prometheus text: jobs by type and status, duration histogram, bytes added', async () => {
    const a = await addJob(h, { customerId: 'c-alice' }, 'running');
    h.clock.advance(90_000);
    await h.jobs.finish(a, { status: 'successful', bytesAdded: 1000 });
    const b = await addJob(h, { customerId: 'c-bob' }, 'running');
    h.clock.advance(3_000);
    await h.jobs.finish(b, { status: 'failed', error: 'x', bytesAdded: 24 });
    await addJob(h, { customerId: 'c-bob', type: 'restore' });

    const response = await h.app.inject({ url: '/metrics', headers: admin() });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const text = response.body;
    // Every line is a comment or `name{labels} value`.
    for (const line of text.trimEnd().split('\n')) {
      assert.match(
        line,
        /^(# (HELP|TYPE) \w+ .+|[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? -?[\d.e+]+)$/,
        line,
      );
    }
    assert.match(text, /^# TYPE hostvault_jobs gauge$/m);
    assert.match(text, /^hostvault_jobs\{type="backup",status="successful"\} 1$/m);
    assert.match(text, /^hostvault_jobs\{type="backup",status="failed"\} 1$/m);
    assert.match(text, /^hostvault_jobs\{type="restore",status="pending"\} 1$/m);
    assert.match(text, /^hostvault_jobs\{type="maintenance",status="running"\} 0$/m);
    assert.match(text, /^# TYPE hostvault_job_duration_seconds histogram$/m);
    assert.match(text, /^hostvault_job_duration_seconds_bucket\{type="backup",le="5"\} 1$/m);
    assert.match(text, /^hostvault_job_duration_seconds_bucket\{type="backup",le="60"\} 1$/m);
    assert.match(text, /^hostvault_job_duration_seconds_bucket\{type="backup",le="300"\} 2$/m);
    assert.match(text, /^hostvault_job_duration_seconds_bucket\{type="backup",le="\+Inf"\} 2$/m);
    assert.match(text, /^hostvault_job_duration_seconds_sum\{type="backup"\} 93$/m);
    assert.match(text, /^hostvault_job_duration_seconds_count\{type="backup"\} 2$/m);
    assert.match(text, /^# TYPE hostvault_job_bytes_added_total counter$/m);
    assert.match(text, /^hostvault_job_bytes_added_total\{type="backup"\} 1024$/m);
  });

  test('administrators only: 401 without credentials, 403 for a customer, 200 for an admin session', async () => {
    assert.equal((await h.app.inject({ url: '/metrics' })).statusCode, 401);
    const alice = await signIn(h, 'alice');
    assert.equal(
      (await h.app.inject({ url: '/metrics', headers: { cookie: alice.cookie } })).statusCode,
      403,
    );
    const root = await signIn(h, 'root');
    assert.equal(
      (await h.app.inject({ url: '/metrics', headers: { cookie: root.cookie } })).statusCode,
      200,
    );
  });
});

describe('bad input never answers 500', () => {
  const post = (payload: string, contentType = 'application/json') =>
    h.app.inject({
      method: 'POST',
      url: '/api/session',
      headers: { 'content-type': contentType },
      payload,
    });

  test('malformed JSON: 400', async () => {
    const response = await post('{"username": "alice",');
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), {
      error: { code: 'request.invalid_json', message: 'The request body is not valid JSON.' },
    });
  });

  test('empty JSON body: 400; JSON that is not an object: 400 naming the body', async () => {
    assert.equal((await post('')).statusCode, 400);
    for (const payload of ['[]', '"x"', 'null', '42']) {
      const response = await post(payload);
      assert.equal(response.statusCode, 400, payload);
      assert.equal(response.json().error.fields[0].field, 'body', payload);
    }
  });

  test('wrong content type: 415', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const response = await post('username=alice&password=x', type);
      assert.equal(response.statusCode, 415, type);
      assert.match(response.json().error.message, /application\/json/);
    }
  });

  test('a huge body: 413', async () => {
    const response = await post(JSON.stringify({ username: 'a', password: 'x'.repeat(100_000) }));
    assert.equal(response.statusCode, 413);
    assert.match(response.json().error.message, /too large/);
  });

  test('prototype pollution attempts: 400', async () => {
    const response = await post('{"__proto__": {"admin": true}, "username": "a", "password": "b"}');
    assert.equal(response.statusCode, 400);
  });

  test('unknown routes and methods: 404 JSON', async () => {
    for (const [method, url] of [
      ['GET', '/api/nope'],
      ['PUT', '/api/jobs'],
      ['GET', '/'],
    ] as const) {
      const response = await h.app.inject({ method, url });
      assert.equal(response.statusCode, 404, url);
      assert.deepEqual(response.json(), { error: { code: 'not_found', message: 'Not found.' } });
    }
  });

  test('an unexpected failure: 500 with a generic message; the detail only in the log', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const failing: JobQueries = {
      ...h.jobs,
      list: () =>
        Promise.reject(new Error('SQLITE_CORRUPT: database disk image is malformed at /var/lib/x')),
      count: () => Promise.resolve(0),
      get: (id) => h.jobs.get(id),
      active: (c) => h.jobs.active(c),
      deleteOld: (d, c, r) => h.jobs.deleteOld(d, c, r),
    };
    const broken = await harness({ logger: { level: 'error', stream } }, { jobs: failing });
    try {
      const response = await broken.app.inject({
        url: '/api/jobs',
        headers: { authorization: `Bearer ${broken.adminToken}` },
      });
      assert.equal(response.statusCode, 500);
      assert.deepEqual(response.json(), {
        error: {
          code: 'internal',
          message: 'Something went wrong on our side. Please try again later.',
        },
      });
      assert.ok(!response.body.includes('SQLITE'));
      assert.match(lines.join(''), /SQLITE_CORRUPT/);
    } finally {
      await broken.close();
    }
  });
});

describe('OpenAPI document', () => {
  test('lists every route with its request and response schemas', async () => {
    const response = await h.app.inject({ url: '/api/openapi.json' });
    assert.equal(response.statusCode, 200);
    const doc = response.json();
    assert.equal(doc.openapi, '3.1.0');
    const operations = Object.entries(
      doc.paths as Record<string, Record<string, Record<string, unknown>>>,
    ).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        key: `${method.toUpperCase()} ${path}`,
        op,
      })),
    );
    const expected = [
      'GET /api/health',
      'GET /metrics',
      'POST /api/session',
      'PUT /api/session/password',
      'GET /api/session',
      'DELETE /api/session',
      'GET /api/auth/link',
      'POST /api/admin/links',
      'GET /api/jobs',
      'GET /api/jobs/{id}',
      'POST /api/jobs/{id}/cancel',
      'POST /api/jobs/delete-old',
      'GET /api/tasks/active',
      'GET /api/openapi.json',
    ];
    assert.deepEqual(operations.map((o) => o.key).sort(), [...expected].sort());

    // Each documented route is served; the test below shows no API route is served undocumented.
    for (const key of expected) {
      const [method, path] = key.split(' ') as [string, string];
      assert.ok(h.app.hasRoute({ method, url: path.replace(/\{(\w+)\}/g, ':$1') }), key);
    }

    for (const { key, op } of operations) {
      assert.ok(op.operationId && op.summary, key);
      const responses = op.responses as Record<
        string,
        { content?: Record<string, { schema: object }> }
      >;
      const success = Object.keys(responses).filter(
        (code) => code.startsWith('2') || code.startsWith('3'),
      );
      assert.ok(success.length > 0, `${key} declares a success answer`);
      assert.ok(responses['500'], key);
    }
    const signIn = doc.paths['/api/session'].post;
    assert.deepEqual(signIn.requestBody.content['application/json'].schema.required, [
      'username',
      'password',
    ]);
    assert.equal(signIn.requestBody.content['application/json'].schema.additionalProperties, false);
    assert.ok(signIn.responses['429'].headers['Retry-After']);
    const list = doc.paths['/api/jobs'].get;
    assert.deepEqual(
      list.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`),
      [
        'query:status',
        'query:type',
        'query:scheduleId',
        'query:customerId',
        'query:offset',
        'query:limit',
      ],
    );
    // Named schemas are components, which every route refers to.
    const page = list.responses['200'].content['application/json'].schema;
    assert.equal(page.$ref, '#/components/schemas/JobPage');
    assert.equal(
      doc.components.schemas.JobPage.properties.jobs.items.$ref,
      '#/components/schemas/Job',
    );
    assert.ok(doc.components.schemas.Job.properties.scheduleName);
    assert.deepEqual(doc.paths['/api/jobs/{id}'].get.parameters[0].name, 'id');
    assert.equal(
      doc.paths['/api/jobs/{id}'].get.responses['404'].content['application/json'].schema.$ref,
      '#/components/schemas/Error',
    );
    assert.deepEqual(doc.paths['/api/health'].get.security, []);
    assert.equal(doc.paths['/api/jobs/delete-old'].post.requestBody.required, false);
    assert.ok(doc.components.schemas.Error.properties.error);
  });

  test('routes added by a module join the document and get validation and access control', async () => {
    const widgets: ApiModule = (api) =>
      api.route({
        method: 'GET',
        path: '/api/widgets/:id',
        operationId: 'getWidget',
        summary: 'A widget',
        tags: ['widgets'],
        access: 'signed-in',
        params: z.strictObject({ id: z.coerce.number().int() }),
        responses: {
          200: {
            description: 'The widget.',
            schema: z.object({ id: z.number(), owner: z.string() }),
          },
        },
        async handler({ params, principal }) {
          const owner = params.id === 1 ? 'c-alice' : 'c-bob';
          if (!mayReach(principal, owner)) throw notFound();
          return { id: params.id, owner };
        },
      });
    const extended = await harness({}, { modules: [widgets] });
    try {
      const alice = await signIn(extended, 'alice');
      const get = (id: string) =>
        extended.app.inject({ url: `/api/widgets/${id}`, headers: { cookie: alice.cookie } });
      assert.equal((await get('1')).statusCode, 200);
      assert.equal((await get('2')).statusCode, 404);
      assert.equal((await get('x')).statusCode, 400);
      const doc = (await extended.app.inject({ url: '/api/openapi.json' })).json();
      assert.equal(doc.paths['/api/widgets/{id}'].get.operationId, 'getWidget');
    } finally {
      await extended.close();
    }
  });

  test('a route whose answer has no schema is refused when it is declared', async () => {
    const vague: ApiModule = (api) =>
      api.route({
        method: 'GET',
        path: '/api/vague',
        operationId: 'vague',
        summary: 'Answers something',
        tags: ['widgets'],
        access: 'public',
        responses: { 200: { description: 'Something.' } },
        async handler() {
          return { what: 'not said' };
        },
      });
    await assert.rejects(
      harness({}, { modules: [vague] }),
      /GET \/api\/vague → 200 declares neither a schema nor a content type/,
    );
  });

  test('a body checked by the service is documented with its schema and must be an object', async () => {
    const seen: unknown[] = [];
    const notes: ApiModule = (api) =>
      api.route({
        method: 'POST',
        path: '/api/notes',
        operationId: 'addNote',
        summary: 'A note',
        tags: ['widgets'],
        access: 'signed-in',
        body: checkedByService(z.strictObject({ text: z.string().min(1) }), 'a note service'),
        responses: { 200: { description: 'Taken.', schema: z.object({ ok: z.boolean() }) } },
        async handler({ body }) {
          seen.push(body);
          return { ok: true };
        },
      });
    const extended = await harness({}, { modules: [notes] });
    try {
      const alice = await signIn(extended, 'alice');
      const post = (payload: unknown) =>
        extended.app.inject({
          method: 'POST',
          url: '/api/notes',
          headers: { cookie: alice.cookie, 'x-csrf-token': alice.csrf },
          payload: payload as object,
        });
      const list = await post([1]);
      assert.equal(list.statusCode, 400);
      assert.deepEqual(
        list.json().error.fields.map((f: Record<string, unknown>) => [f.field, f.code, f.message]),
        [['body', 'field.wrong_type', 'The request body must be a JSON object']],
      );
      // The handler gets the body as it came: its service validates it, naming its own fields.
      assert.equal((await post({ text: '', extra: 1 })).statusCode, 200);
      assert.deepEqual(seen, [{ text: '', extra: 1 }]);
      const doc = (await extended.app.inject({ url: '/api/openapi.json' })).json();
      const schema = doc.paths['/api/notes'].post.requestBody.content['application/json'].schema;
      assert.deepEqual(Object.keys(schema.properties), ['text']);
      assert.equal(schema.additionalProperties, false);
    } finally {
      await extended.close();
    }
  });

  test('an API route added behind the registry is refused at startup', async () => {
    const app = buildServer(h.deps);
    assert.throws(
      () => app.get('/api/sneaky', async () => ({})),
      /not declared through the route registry/,
    );
    await app.close();
  });
});
