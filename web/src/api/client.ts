/**
 * The one way the page talks to the service: openapi-fetch typed by the OpenAPI document
 * (schema.gen.ts), with the session cookie, the CSRF token on every request that changes
 * something, and every failure turned into an ApiError whose message can be shown as it is: the
 * catalog's text for the API's error code (so the page speaks its own language), the API's
 * English message only for a code the catalog lacks.
 */
import createClient from 'openapi-fetch';
import { currentLanguage, errorText, m, type ErrorParams } from '../messages';
import { fieldName } from '../lib/field-names';
import type { paths } from './schema.gen';

/** One field's problem as the page shows it, next to that field. */
export interface FieldError {
  field: string;
  /** The API's stable code; absent for problems the page found itself. */
  code?: string;
  message: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly fields: FieldError[] = [],
    /** The API's code for the condition; absent when the service was not reached. */
    readonly code?: string,
    readonly params: ErrorParams = {},
  ) {
    super(message);
  }
}

/** The error part of the API's answer (src/api/errors.ts, ErrorBodySchema). */
interface ErrorBody {
  code?: string;
  message?: string;
  params?: ErrorParams;
  fields?: { field: string; code?: string; message: string; params?: ErrorParams }[];
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | undefined;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a request that had a session answers 401: the session ended. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/** A query string from the defined values only; an empty field is no filter. */
function definedOnly(params: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  return search.toString();
}

/** Every route of the service, typed: its path, parameters, body and answers. */
export const http = createClient<paths>({
  credentials: 'same-origin',
  headers: { accept: 'application/json' },
  querySerializer: definedOnly,
});

http.use({
  onRequest({ request }) {
    if (request.method !== 'GET' && csrfToken) request.headers.set('x-csrf-token', csrfToken);
  },
  onResponse({ response, schemaPath }) {
    // A failed sign-in answers 401 too; that is no ended session.
    if (response.status === 401 && csrfToken && schemaPath !== '/api/session') onUnauthorized?.();
  },
});

/** The answer of a call through `http`, or an ApiError: what went wrong, in the user's words. */
export async function call<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: Awaited<typeof pending>;
  try {
    result = await pending;
  } catch {
    throw new ApiError(0, m.errors.network);
  }
  if (result.response.ok) return result.data as T;
  throw failure(result.response.status, result.error);
}

/** The error body of a refused request, as the service words it. */
function failure(status: number, body: unknown): ApiError {
  const error = (body as { error?: ErrorBody } | undefined)?.error;
  return new ApiError(
    status,
    errorText(error?.code, error?.params, error?.message ?? m.errors.unexpected(status)),
    (error?.fields ?? []).map((f) => ({
      field: f.field,
      code: f.code,
      // A generic field check (`field.*`, or the inventory's check of a path or a name) comes
      // with the service's own English words for that field ("Enter the FTP password.", "/srv/x
      // does not exist."), more precise than the catalog's generic text: English
      // keeps them; other languages take the catalog's text, shown next to its field.
      message:
        (f.code?.startsWith('field.') || f.code === 'inventory.invalid') &&
        currentLanguage() === 'en'
          ? f.message
          : errorText(f.code, withFieldName(f.field, f.params), f.message),
    })),
    error?.code,
    error?.params,
  );
}

/**
 * A field's params with its `label` in the page's language: the API's label is English, so a
 * field the page has no name for goes without one ("Dieses Feld").
 */
function withFieldName(field: string, params: ErrorParams = {}): ErrorParams {
  const { label: _english, ...rest } = params;
  const name = fieldName(field);
  return name === undefined ? rest : { ...rest, label: name };
}

/** A query string from the defined values only, for links the browser follows (downloads). */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const text = definedOnly(params);
  return text ? `?${text}` : '';
}
