/**
 * The one way the page talks to the service: JSON over fetch with the session cookie, the CSRF
 * token on every request that changes something, and every failure turned into an ApiError
 * whose message can be shown as it is: the catalog's text for the API's error code (so the page
 * speaks its own language), the API's English message only for a code the catalog lacks.
 */
import { errorText, m, type ErrorParams } from '../messages';

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

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, m.errors.network);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (response.ok) return json as T;
  const error = (json as { error?: ErrorBody } | undefined)?.error;
  if (response.status === 401 && csrfToken && path !== '/api/session') onUnauthorized?.();
  throw new ApiError(
    response.status,
    errorText(error?.code, error?.params, error?.message ?? m.errors.unexpected(response.status)),
    (error?.fields ?? []).map((f) => ({
      field: f.field,
      code: f.code,
      // A generic field check (`field.*`) comes with the schema's own words for that field
      // ("Enter the FTP password."), which the catalog's generic text would only make vaguer:
      // those stay the API's until the catalog has per-field texts (needed for German).
      message: f.code?.startsWith('field.') ? f.message : errorText(f.code, f.params, f.message),
    })),
    error?.code,
    error?.params,
  );
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {});
export const put = <T>(path: string, body: unknown) => request<T>('PUT', path, body);
export const del = <T>(path: string) => request<T>('DELETE', path);

/** A query string from the defined values only. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
