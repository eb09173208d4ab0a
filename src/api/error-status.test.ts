import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AgentError, refusalOf } from '../agent/errors.js';
import { ERROR_CODES, HostvaultError, NotFoundError, ValidationError } from '../errors/index.js';
import { RepositoryError } from '../repository/repository-service.js';
import { answerOf, ERROR_STATUS } from './error-status.js';
import { ErrorBodySchema, GENERIC_FAILURE, notFound } from './errors.js';

const LIMIT = 65_536;

describe('the status table', () => {
  test('holds every code of the registry, and only those', () => {
    assert.deepEqual(Object.keys(ERROR_STATUS).sort(), [...ERROR_CODES].sort());
  });

  test('each code answers its status and a body of the one shape', () => {
    for (const code of ERROR_CODES) {
      const answer = answerOf(new HostvaultError(code, `words for ${code}`), LIMIT);
      assert.equal(answer.status, ERROR_STATUS[code], code);
      assert.equal(answer.body.error.code, code);
      assert.ok(ErrorBodySchema.safeParse(answer.body).success, code);
      const message =
        code === 'not_found'
          ? 'Not found.'
          : code === 'internal'
            ? GENERIC_FAILURE
            : `words for ${code}`;
      assert.deepEqual(answer.body, { error: { code, message } }, code);
    }
  });

  test('params and coded fields go into the body as they are', () => {
    const answer = answerOf(
      new ValidationError([
        {
          field: 'retention',
          code: 'package.retention_limit',
          message: 'At most 7',
          params: { max: 7 },
        },
      ]),
      LIMIT,
    );
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, {
      error: {
        code: 'validation.failed',
        message: 'At most 7',
        fields: [
          {
            field: 'retention',
            code: 'package.retention_limit',
            message: 'At most 7',
            params: { max: 7 },
          },
        ],
      },
    });
    const limited = answerOf(
      new HostvaultError('restore.limit_reached', 'Wait.', { params: { limit: 2 } }),
      LIMIT,
    );
    assert.deepEqual([limited.status, limited.body.error.params], [409, { limit: 2 }]);
  });

  test('a refusal that says when to try again sets Retry-After', () => {
    const answer = answerOf(
      new HostvaultError('auth.rate_limited', 'Later.', {
        params: { retryAfterSeconds: 90, minutes: 2 },
      }),
      LIMIT,
    );
    assert.equal(answer.status, 429);
    assert.deepEqual(answer.headers, { 'retry-after': '90' });
  });
});

describe('the one 404', () => {
  test('"not yours" and "does not exist" answer byte for byte alike, whatever was said inside', () => {
    const bodies = [
      notFound(),
      new NotFoundError('Schedule not found'),
      new NotFoundError('Customer not found'),
      new RepositoryError('There is no repository 7.'),
      refusalOf(new AgentError({ code: 'not-found', message: 'No such file in this snapshot' })),
    ].map((error) => {
      const answer = answerOf(error, LIMIT);
      assert.equal(answer.status, 404);
      return JSON.stringify(answer.body);
    });
    assert.deepEqual(
      new Set(bodies),
      new Set(['{"error":{"code":"not_found","message":"Not found."}}']),
    );
  });
});

describe('errors that are not ours', () => {
  test('an agent refusal of the request: its code, with the path named', () => {
    const answer = answerOf(
      new AgentError({
        code: 'no-content',
        message: 'A link to /etc/passwd: nothing to download.',
      }),
      LIMIT,
    );
    assert.equal(answer.status, 422);
    assert.equal(answer.body.error.code, 'browse.no_content');
    assert.deepEqual(
      answer.body.error.fields?.map((f) => [f.field, f.code]),
      [['path', 'browse.no_content']],
    );
  });

  test('a failure of restic or anything unexpected: 500, generic words, logged as a failure', () => {
    for (const error of [
      new AgentError({ code: 'locked', message: 'The repository is locked', from: 'restic' }),
      new AgentError({ code: 'not-found', message: 'restic found nothing', from: 'restic' }),
      new Error('SQLITE_BUSY at /var/lib/hostvault/store.db'),
    ]) {
      const answer = answerOf(error, LIMIT);
      assert.equal(answer.status, 500);
      assert.equal(answer.log, 'failed');
      assert.deepEqual(answer.body, { error: { code: 'internal', message: GENERIC_FAILURE } });
    }
  });

  test("Fastify's refusals of an unreadable request keep their status, in our codes", () => {
    const fastify = (code: string, statusCode: number) =>
      Object.assign(new Error(code), { code, statusCode });
    const cases: [string, number, string, number][] = [
      ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'request.invalid_json', 400],
      ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'request.empty_body', 400],
      ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'request.too_large', 413],
      ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'request.unsupported_media_type', 415],
      ['FST_ERR_SOMETHING_ELSE', 400, 'request.unreadable', 400],
    ];
    for (const [fastifyCode, statusCode, code, status] of cases) {
      const answer = answerOf(fastify(fastifyCode, statusCode), LIMIT);
      assert.deepEqual(
        [answer.status, answer.body.error.code, answer.log],
        [status, code, 'refused'],
      );
    }
    assert.deepEqual(
      answerOf(fastify('FST_ERR_CTP_BODY_TOO_LARGE', 413), LIMIT).body.error.params,
      {
        maxBytes: LIMIT,
      },
    );
  });
});
