/**
 * One error shape for every answer that is not a success:
 *
 *   { "error": { "code": "validation.failed", "message": "…",
 *                "fields": [{ "field": "name", "code": "field.required", "message": "Name is required",
 *                             "params": { "label": "Name" } }] } }
 *
 * `code` is stable (src/errors/codes.ts): clients decide by it and the web UI shows its own text
 * for it; `message` says the same in English, for clients without a text of their own. `params`
 * holds the plain values the message names; `fields` is present only on validation errors.
 * Details of unexpected failures go to the server log only.
 */
import { z } from 'zod';
import { ERROR_CODES, NotFoundError } from '../errors/index.js';

const CodeSchema = z
  .enum(ERROR_CODES)
  .describe('Stable machine code of the condition; see the list in the OpenAPI document.');

const ParamsSchema = z
  .record(z.string(), z.union([z.string(), z.number()]))
  .describe('The plain values the message names, for a client that words it itself.');

export const FieldErrorSchema = z.object({
  field: z.string().describe('The field, as named in the request (dotted for nested fields).'),
  code: CodeSchema,
  message: z.string(),
  params: ParamsSchema.optional(),
});

export const ErrorBodySchema = z.object({
  error: z.object({
    code: CodeSchema,
    message: z.string().describe('The same in English: a fallback for clients without a text.'),
    params: ParamsSchema.optional(),
    fields: z.array(FieldErrorSchema).optional(),
  }),
});

export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/**
 * The one answer for "no such object" and "not yours": identical bodies, so a customer probing
 * ids cannot tell another customer's object from one that does not exist.
 */
export function notFound(): NotFoundError {
  return new NotFoundError();
}

export const GENERIC_FAILURE = 'Something went wrong on our side. Please try again later.';
