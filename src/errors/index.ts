/**
 * The one base of the service's errors: a stable code (codes.ts) that callers and the web UI
 * decide by, the English message that says the same in words, and the plain values the message
 * names, so another language can say it too. The HTTP answer for each code is decided in one
 * place (src/api/error-status.ts), not where the error is raised.
 */
import { ERROR_CODES, isErrorCode, type ErrorCode } from './codes.js';

export { ERROR_CODES, isErrorCode, type ErrorCode };
import type { ErrorParams, FieldError } from './fields.js';

export { fieldErrorOf, type ErrorParams, type FieldError } from './fields.js';

export interface ErrorDetails {
  params?: ErrorParams;
  fields?: readonly FieldError[];
  cause?: unknown;
}

export class HostvaultError extends Error {
  readonly code: ErrorCode;
  readonly params: ErrorParams | undefined;
  readonly fields: readonly FieldError[] | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'HostvaultError';
    this.code = code;
    this.params = details.params;
    this.fields = details.fields;
  }
}

/**
 * The request names fields that are wrong; `fields` says which and why. The message sums them
 * up for whoever reads only it.
 */
export class ValidationError extends HostvaultError {
  declare readonly fields: readonly FieldError[];

  constructor(fields: readonly FieldError[], message = summary(fields)) {
    super('validation.failed', message, { fields });
    this.name = 'ValidationError';
  }
}

function summary(fields: readonly FieldError[]): string {
  const [only] = fields;
  return fields.length === 1 && only ? only.message : `${fields.length} fields are not valid`;
}

/**
 * The object asked for does not exist or is not the asker's: the two read alike on purpose, so a
 * customer probing ids cannot tell another customer's object from a missing one. The message is
 * for the log and the CLI; the API answers its one 404 for every case.
 */
export class NotFoundError extends HostvaultError {
  constructor(what = 'Not found') {
    super('not_found', what);
    this.name = 'NotFoundError';
  }
}
