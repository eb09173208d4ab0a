/**
 * Turns a request into a principal: an API token in `Authorization: Bearer …`, or the session
 * cookie. A cookie is sent by the browser on its own, so a cookie-authenticated request that
 * changes something must also prove it came from our page with the X-CSRF-Token header; a bearer
 * token is never sent implicitly and needs no such proof.
 */
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticated } from '../auth/index.js';
import { safeEqual } from '../auth/secrets.js';
import type { AuthApi } from './deps.js';
import { ApiError } from './errors.js';
import type { Access } from './registry.js';

export const SESSION_COOKIE = 'hostvault_session';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function authenticate(
  auth: AuthApi,
  request: FastifyRequest,
  access: Exclude<Access, 'public'>,
): Promise<Authenticated> {
  const principal = await resolve(auth, request);
  if (access === 'admin' && principal.role !== 'admin') {
    throw new ApiError(403, 'Only an administrator may do this.');
  }
  return principal;
}

async function resolve(auth: AuthApi, request: FastifyRequest): Promise<Authenticated> {
  const header = request.headers.authorization;
  // A request that names a token stands or falls with it, whatever cookie the browser adds.
  if (header !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(header);
    const principal = match?.[1] ? await auth.resolveApiToken(match[1]) : undefined;
    if (!principal) throw new ApiError(401, 'The API token is not valid.');
    return principal;
  }
  const token = request.cookies[SESSION_COOKIE];
  const principal = token ? await auth.resolveSession(token) : undefined;
  if (!principal) throw new ApiError(401, 'Please sign in.');
  if (!SAFE_METHODS.has(request.method)) {
    const given = request.headers[CSRF_HEADER];
    if (typeof given !== 'string' || !safeEqual(given, principal.csrfToken)) {
      throw new ApiError(
        403,
        'The request lacks a valid CSRF token: send the X-CSRF-Token header from GET /api/session.',
      );
    }
  }
  return principal;
}

export function setSessionCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  token: string,
  secure: boolean | 'auto',
): void {
  // No Max-Age: the cookie ends with the browser session; the server enforces the session's own
  // expiry either way.
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: secure === 'auto' ? request.protocol === 'https' : secure,
  });
}

export function clearSessionCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  secure: boolean | 'auto',
): void {
  reply.clearCookie(SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: secure === 'auto' ? request.protocol === 'https' : secure,
  });
}
