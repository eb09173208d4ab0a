/**
 * One error shape for every answer that is not a success:
 *
 *   { "error": { "message": "…", "fields": [{ "field": "name", "message": "Name is required" }] } }
 *
 * `fields` is present only on validation errors. Messages are meant for the person at the screen;
 * details of unexpected failures go to the server log only.
 */
import { z } from 'zod';

export const FieldErrorSchema = z.object({
  field: z.string().describe('The field, as named in the request (dotted for nested fields).'),
  message: z.string(),
});

export const ErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    fields: z.array(FieldErrorSchema).optional(),
  }),
});

export type FieldError = z.infer<typeof FieldErrorSchema>;
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly fields?: FieldError[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    return { error: { message: this.message, ...(this.fields ? { fields: this.fields } : {}) } };
  }
}

/**
 * The one answer for "no such object" and "not yours": identical bodies, so a customer probing
 * ids cannot tell another customer's object from one that does not exist.
 */
export function notFound(): ApiError {
  return new ApiError(404, 'Not found.');
}

export const GENERIC_FAILURE = 'Something went wrong on our side. Please try again later.';
