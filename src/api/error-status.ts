/**
 * The HTTP answer to every error, in one place: each code's status, the body, and the
 * Retry-After header of a refusal that names when to try again. Routes and services throw a
 * HostvaultError with a code and never choose a status themselves.
 */
import type { FastifyError } from 'fastify';
import { AgentError, refusalOf } from '../agent/errors.js';
import { HostvaultError, type ErrorCode, type ErrorParams } from '../errors/index.js';
import { GENERIC_FAILURE, type ErrorBody } from './errors.js';

export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  not_found: 404,
  'validation.failed': 400,
  'request.invalid_json': 400,
  'request.empty_body': 400,
  'request.too_large': 413,
  'request.unsupported_media_type': 415,
  'request.unreadable': 400,
  'request.id_mismatch': 400,
  internal: 500,

  'auth.sign_in_required': 401,
  'auth.token_invalid': 401,
  'auth.csrf_invalid': 403,
  'auth.admin_only': 403,
  'auth.customer_only': 403,
  'auth.wrong_credentials': 401,
  'auth.rate_limited': 429,
  'auth.link_invalid': 401,
  'auth.token_read_only': 403,

  'user.username_invalid': 400,
  'user.password_too_short': 400,
  'user.customer_required': 400,
  'user.admin_has_no_customer': 400,
  'user.username_taken': 400,
  'user.current_password_wrong': 400,
  'user.cannot_delete_self': 400,
  'user.last_admin': 400,
  'token.name_invalid': 400,
  'token.customer_mismatch': 400,

  'customer.unknown': 400,
  'package.in_use': 409,
  'package.no_backups': 400,
  'package.frequency_not_included': 400,
  'package.retention_limit': 400,
  'package.schedule_limit': 400,
  'inventory.invalid': 400,

  'schedule.customer_required': 400,
  'schedule.server_wide_has_no_customer': 400,
  'schedule.server_follows_customer': 400,
  'schedule.running': 409,
  'schedule.copy_same_target': 400,
  'lifecycle.terminated': 409,
  'lifecycle.purged': 409,
  'lifecycle.rewrite_unsupported': 409,
  'lifecycle.path_invalid': 400,

  'target.address_refused': 400,
  'target.vault_provider_only': 400,
  'target.host_not_found': 400,
  'target.secret_required': 400,
  'target.test_rate_limited': 429,
  'target.tests_busy': 429,

  'job.finished': 409,
  'job.on_other_worker': 409,

  'server.enrollment_invalid': 401,
  'server.revoked': 409,
  'server.key_invalid': 400,
  'server.unknown': 404,
  'server.fleet_not_configured': 409,
  'server.move_same_server': 409,
  'server.move_local_target': 409,
  'server.move_jobs_active': 409,
  'server.recover_online': 409,
  'server.recover_no_snapshot': 409,

  'snapshot.ambiguous_id': 400,
  'snapshot.keep_limit': 409,
  'snapshot.hold_expiry_past': 400,
  'browse.invalid_path': 400,
  'browse.invalid_snapshot_id': 400,
  'browse.invalid_page': 400,
  'browse.invalid_query': 400,
  'browse.outside_roots': 400,
  'browse.not_a_directory': 400,
  'browse.not_a_file': 400,
  'browse.no_content': 422,
  'browse.not_open': 400,
  'download.choose_entry': 400,
  'download.failed': 500,

  'restore.limit_reached': 409,
  'restore.content_missing': 400,
  'restore.everything_needs_full': 400,
  'restore.database_unknown': 400,
  'restore.mailbox_unknown': 400,
  'restore.path_invalid': 400,
  'restore.safety_mismatch': 400,

  'drill.differs': 500,
  'drill.snapshot_gone': 404,

  'field.required': 400,
  'field.wrong_type': 400,
  'field.too_short': 400,
  'field.too_long': 400,
  'field.too_small': 400,
  'field.too_big': 400,
  'field.too_few': 400,
  'field.too_many': 400,
  'field.not_allowed': 400,
  'field.bad_format': 400,
  'field.unknown': 400,
  'field.invalid': 400,
};

/** The one 404 body: whatever the error said inside, "not yours" and "missing" read alike. */
const NOT_FOUND_MESSAGE = 'Not found.';

export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** How the service log records it: a refusal of the request, or a failure of the service. */
  log: 'refused' | 'failed';
}

/** The answer to any error a route or Fastify raised. */
export function answerOf(error: unknown, bodyLimit: number): ErrorAnswer {
  const coded = codedOf(error, bodyLimit);
  if (!coded) return answer('internal', GENERIC_FAILURE);
  const { code, params, fields } = coded;
  if (code === 'not_found') return answer(code, NOT_FOUND_MESSAGE);
  if (code === 'internal') return answer(code, GENERIC_FAILURE);
  const result = answer(code, coded.message, params);
  if (fields?.length) result.body.error.fields = fields.map((f) => ({ ...f }));
  const retryAfter = params?.retryAfterSeconds;
  if (result.status === 429 && retryAfter !== undefined)
    result.headers['retry-after'] = String(retryAfter);
  return result;
}

function answer(code: ErrorCode, message: string, params?: ErrorParams): ErrorAnswer {
  const status = ERROR_STATUS[code];
  const named = params && Object.keys(params).length > 0;
  return {
    status,
    body: { error: { code, message, ...(named ? { params: { ...params } } : {}) } },
    headers: {},
    log: status >= 500 ? 'failed' : 'refused',
  };
}

/** The error as one of ours: the service's own, an agent's refusal, or Fastify's of a request. */
function codedOf(error: unknown, bodyLimit: number): HostvaultError | undefined {
  if (error instanceof HostvaultError) return error;
  if (error instanceof AgentError) return refusalOf(error);
  const fastify = error as Partial<FastifyError> | undefined;
  const status = fastify?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return requestError(fastify?.code, bodyLimit);
  return undefined;
}

/** Fastify's refusals of a request it could not read, in our codes and words. */
function requestError(code: string | undefined, bodyLimit: number): HostvaultError {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HostvaultError('request.invalid_json', 'The request body is not valid JSON.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HostvaultError(
        'request.empty_body',
        'The request body is empty; send a JSON object.',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HostvaultError(
        'request.too_large',
        `The request body is too large: at most ${bodyLimit} bytes.`,
        { params: { maxBytes: bodyLimit } },
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HostvaultError(
        'request.unsupported_media_type',
        'Send the request body as JSON (Content-Type: application/json).',
      );
    default:
      return new HostvaultError('request.unreadable', 'The request could not be read.');
  }
}
