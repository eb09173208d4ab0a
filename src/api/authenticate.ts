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
import { HostvaultError } from '../errors/index.js';
import type { Access } from './registry.js';

export const SESSION_COOKIE = 'hostvault_session';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** How long a token's principal is reused; see PrincipalCache. */
const TOKEN_REUSE_MS = 5000;

/**
 * Principals resolved under one change stamp of the store, so that pages polling every few
 * seconds do not read their session or token again each time. Whatever ends or changes a
 * principal is a write to the store (sign-out, a revoked token, a user's role changed or the user
 * removed), which makes a new stamp and empties the cache; a session still ends at its expiry,
 * by the auth service's clock. A token's principal is reused for a few seconds at most, since
 * resolving a token also records, at most once a minute, when it was last used.
 */
export class PrincipalCache {
  #stamp: string | undefined;
  readonly #entries = new Map<string, { principal: Authenticated; until: number }>();

  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly maxEntries = 1024,
  ) {}

  /** Keys name the kind of credential, so a key's principal is always of the kind resolved. */
  async get<P extends Authenticated>(
    stamp: string,
    key: string,
    resolve: () => Promise<P | undefined>,
  ): Promise<P | undefined> {
    if (stamp !== this.#stamp) {
      this.#entries.clear();
      this.#stamp = stamp;
    }
    const now = this.now().getTime();
    const hit = this.#entries.get(key);
    if (hit && now < hit.until) return hit.principal as P;
    this.#entries.delete(key);
    const principal = await resolve();
    // Refused credentials are not kept: a new token or session is a write, but a miss is cheap.
    if (!principal || this.#stamp !== stamp) return principal;
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    const until =
      principal.via === 'session' ? principal.expiresAt.getTime() : now + TOKEN_REUSE_MS;
    this.#entries.set(key, { principal, until });
    return principal;
  }
}

/** The cache and the request's change stamp; without them every request resolves anew. */
export interface CachedPrincipals {
  principals: PrincipalCache;
  stamp: (request: FastifyRequest) => Promise<string> | undefined;
}

export async function authenticate(
  auth: AuthApi,
  request: FastifyRequest,
  access: Exclude<Access, 'public'>,
  cached?: CachedPrincipals,
): Promise<Authenticated> {
  const principal = await resolve(auth, request, cached);
  if (access === 'admin' && principal.role !== 'admin') {
    throw new HostvaultError('auth.admin_only', 'Only an administrator may do this.');
  }
  return principal;
}

async function resolve(
  auth: AuthApi,
  request: FastifyRequest,
  cached: CachedPrincipals | undefined,
): Promise<Authenticated> {
  const lookup = async <P extends Authenticated>(
    key: string,
    fresh: () => Promise<P | undefined>,
  ): Promise<P | undefined> => {
    const stamp = cached?.stamp(request);
    return stamp && cached ? cached.principals.get(await stamp, key, fresh) : fresh();
  };
  const header = request.headers.authorization;
  // A request that names a token stands or falls with it, whatever cookie the browser adds.
  if (header !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(header);
    const token = match?.[1];
    const principal = token
      ? await lookup(`token ${token}`, () => auth.resolveApiToken(token))
      : undefined;
    if (!principal) throw new HostvaultError('auth.token_invalid', 'The API token is not valid.');
    // A read-only token (a dashboard's, a monitor's) reads; it never starts or changes anything.
    if (principal.scope === 'read' && !SAFE_METHODS.has(request.method))
      throw new HostvaultError(
        'auth.token_read_only',
        'This API token may only read: it cannot change anything.',
      );
    return principal;
  }
  const token = request.cookies[SESSION_COOKIE];
  const principal = token
    ? await lookup(`session ${token}`, () => auth.resolveSession(token))
    : undefined;
  if (!principal) throw new HostvaultError('auth.sign_in_required', 'Please sign in.');
  if (!SAFE_METHODS.has(request.method)) {
    const given = request.headers[CSRF_HEADER];
    if (typeof given !== 'string' || !safeEqual(given, principal.csrfToken)) {
      throw new HostvaultError(
        'auth.csrf_invalid',
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
