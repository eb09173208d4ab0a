/**
 * The code and params of a zod issue, for a field error: which check failed and its bounds. The
 * message stays the schema's own (a schema may word it better than the generic text); the code
 * is what a translation goes by.
 */
import type { z } from 'zod';
import type { ErrorCode } from './codes.js';

/** Plain values a message names: what a translation may put into its own sentence. */
export type ErrorParams = Readonly<Record<string, string | number>>;

/** One problem with one field of a request, named as the request names it (`target.bucket`). */
export interface FieldError {
  field: string;
  code: ErrorCode;
  message: string;
  params?: ErrorParams;
}

export function fieldErrorOf(
  issue: z.core.$ZodIssue,
  field: string,
  label: string,
  message = issue.message,
): FieldError {
  const { code, params } = conditionOf(issue);
  return { field, code, message, params: { label, ...params } };
}

function conditionOf(issue: z.core.$ZodIssue): { code: ErrorCode; params?: ErrorParams } {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? { code: 'field.required' }
        : { code: 'field.wrong_type', params: { expected: String(issue.expected) } };
    case 'too_small': {
      const minimum = Number(issue.minimum);
      if (issue.origin === 'string')
        return minimum <= 1
          ? { code: 'field.required' }
          : { code: 'field.too_short', params: { minimum } };
      if (issue.origin === 'array' || issue.origin === 'set')
        return { code: 'field.too_few', params: { minimum } };
      return { code: 'field.too_small', params: { minimum } };
    }
    case 'too_big': {
      const maximum = Number(issue.maximum);
      if (issue.origin === 'string') return { code: 'field.too_long', params: { maximum } };
      if (issue.origin === 'array' || issue.origin === 'set')
        return { code: 'field.too_many', params: { maximum } };
      return { code: 'field.too_big', params: { maximum } };
    }
    case 'invalid_value':
      return {
        code: 'field.not_allowed',
        params: { values: issue.values.map((v) => String(v)).join(', ') },
      };
    case 'invalid_union': {
      // discriminatedUnion reports an unknown or missing `kind` with the options it knows.
      const options = (issue as { options?: unknown }).options;
      return Array.isArray(options)
        ? { code: 'field.not_allowed', params: { values: options.map(String).join(', ') } }
        : { code: 'field.invalid' };
    }
    case 'invalid_format':
      return { code: 'field.bad_format', params: { format: issue.format } };
    case 'unrecognized_keys':
      return { code: 'field.unknown' };
    default:
      return { code: 'field.invalid' };
  }
}
