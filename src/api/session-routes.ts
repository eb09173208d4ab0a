/** Sign in, who am I, sign out; and the signed links the hosting panel opens Backups with. */
import { z } from 'zod';
import type { Authenticated } from '../auth/index.js';
import { MAX_LINK_TTL_SECONDS } from '../auth/index.js';
import { clearSessionCookie, SESSION_COOKIE, setSessionCookie } from './authenticate.js';
import type { ApiDeps, ApiModule } from './deps.js';
import { HostvaultError, ValidationError } from '../errors/index.js';
import { ErrorBodySchema } from './errors.js';
import type { RouteRegistry } from './registry.js';

const SignInSchema = z.strictObject({
  username: z
    .string()
    .trim()
    .min(1, 'Username is required')
    .max(100, 'Username must be at most 100 characters'),
  password: z
    .string()
    .min(1, 'Password is required')
    .max(1024, 'Password must be at most 1024 characters'),
});

export const SessionSchema = z
  .object({
    user: z.object({
      username: z.string().nullable().describe('Null for signed-link sessions and API tokens.'),
      role: z.enum(['admin', 'customer']),
      customerId: z.string().nullable(),
    }),
    via: z.enum(['session', 'token']),
    csrfToken: z
      .string()
      .nullable()
      .describe('Send it as X-CSRF-Token with every request that changes something.'),
    expiresAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Session' });

const PasswordChangeSchema = z.strictObject({
  currentPassword: z.string().min(1, 'Enter your current password').max(1024),
  newPassword: z.string().max(1024, 'Password must be at most 1024 characters'),
});

const LinkQuerySchema = z.strictObject({
  token: z.string().min(1, 'Token is required').max(2000, 'Token is too long'),
});

const NewLinkSchema = z.strictObject({
  customerId: z
    .string()
    .trim()
    .min(1, 'Customer ID is required')
    .max(200, 'Customer ID must be at most 200 characters'),
  ttlSeconds: z
    .number()
    .int('Lifetime must be a whole number of seconds')
    .min(10, 'Lifetime must be at least 10 seconds')
    .max(MAX_LINK_TTL_SECONDS, `Lifetime must be at most ${MAX_LINK_TTL_SECONDS} seconds`)
    .optional(),
});

const LinkSchema = z.object({
  url: z.string().describe("Send the customer's browser here; it opens the Backups page."),
  expiresAt: z.iso.datetime(),
});

const WRONG_LINK =
  'This sign-in link is not valid, was already used or has expired. Please open Backups again from the hosting panel.';

export function sessionRoutes(deps: ApiDeps): ApiModule {
  return (api: RouteRegistry): void => {
    const secure = deps.options?.secureCookies ?? 'auto';

    /** A browser that signs in again (or opens a link) leaves no second live session behind. */
    async function endPreviousSession(token: string | undefined): Promise<void> {
      if (token) await deps.auth.revoke(token);
    }

    api.route({
      method: 'POST',
      path: '/api/session',
      operationId: 'signIn',
      summary: 'Sign in with a username and password',
      description:
        "Sets the session cookie and returns the CSRF token. Failed attempts within 15 minutes block further ones for a while (429 with Retry-After): five for one name from one address, 50 from one address, 20 for one name from addresses that never signed in to it. Behind trusted reverse proxies (HOSTVAULT_TRUST_PROXY) the address is the client's from X-Forwarded-For.",
      tags: ['session'],
      access: 'public',
      body: SignInSchema,
      responses: {
        200: { description: 'Signed in; the session cookie is set.', schema: SessionSchema },
        401: { description: 'Wrong username or password.', schema: ErrorBodySchema },
        429: {
          description: 'Too many failed attempts.',
          schema: ErrorBodySchema,
          headers: { 'Retry-After': { description: 'Seconds until the next attempt is allowed.' } },
        },
      },
      async handler({ body, request, reply }) {
        const result = await deps.auth.signIn(body.username, body.password, request.ip);
        if (!result.ok && result.reason === 'rate-limited') {
          const minutes = Math.ceil(result.retryAfterSeconds / 60);
          throw new HostvaultError(
            'auth.rate_limited',
            `Too many failed sign-ins. Please try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
            { params: { retryAfterSeconds: result.retryAfterSeconds, minutes } },
          );
        }
        if (!result.ok)
          throw new HostvaultError('auth.wrong_credentials', 'Wrong username or password.');
        await endPreviousSession(request.cookies[SESSION_COOKIE]);
        setSessionCookie(reply, request, result.session.token, secure);
        return sessionBody(result.session.principal);
      },
    });

    api.route({
      method: 'GET',
      path: '/api/session',
      operationId: 'getSession',
      summary: 'Who is signed in, and the CSRF token for this session',
      tags: ['session'],
      access: 'signed-in',
      responses: { 200: { description: 'The caller.', schema: SessionSchema } },
      async handler({ principal }) {
        return sessionBody(principal);
      },
    });

    api.route({
      method: 'PUT',
      path: '/api/session/password',
      operationId: 'changeOwnPassword',
      summary: 'Change your own password',
      description:
        'Needs the current password. Your other sessions end; this one stays signed in. Passwords need at least 12 characters.',
      tags: ['session'],
      access: 'signed-in',
      body: PasswordChangeSchema,
      responses: { 204: { description: 'Changed.' } },
      async handler({ principal, body, request }) {
        // Signed-link sessions and API tokens belong to no user with a password.
        if (principal.userId === null)
          throw new ValidationError(
            [
              {
                field: 'currentPassword',
                code: 'user.current_password_wrong',
                message: 'This sign-in has no password of its own',
              },
            ],
            'This sign-in has no password of its own to change.',
          );
        await deps.auth.changeOwnPassword(
          principal.userId,
          body.currentPassword,
          body.newPassword,
          principal.via === 'session' ? request.cookies[SESSION_COOKIE] : undefined,
        );
        return undefined;
      },
    });

    api.route({
      method: 'DELETE',
      path: '/api/session',
      operationId: 'signOut',
      summary: 'Sign out: ends the session and clears its cookie',
      tags: ['session'],
      access: 'signed-in',
      responses: { 204: { description: 'Signed out.' } },
      async handler({ principal, request, reply }) {
        const token = request.cookies[SESSION_COOKIE];
        if (principal.via === 'session' && token) {
          await deps.auth.revoke(token);
          clearSessionCookie(reply, request, secure);
        }
        return undefined;
      },
    });

    api.route({
      method: 'GET',
      path: '/api/auth/link',
      operationId: 'redeemLink',
      summary: 'Open the Backups page with a signed link',
      description:
        'Redeems a link made by POST /api/admin/links: sets the session cookie for its customer and redirects to /. A link works once and for at most five minutes.',
      tags: ['session'],
      access: 'public',
      query: LinkQuerySchema,
      responses: {
        303: {
          description: "Signed in as the link's customer; redirects to the Backups page.",
          headers: { Location: { description: '/' } },
        },
        401: {
          description: 'The link is not valid, was used or has expired.',
          schema: ErrorBodySchema,
        },
      },
      async handler({ query, request, reply }) {
        const result = await deps.auth.redeemLink(query.token);
        // The token is in the URL: keep it out of the Referer of whatever the next page loads.
        reply.header('referrer-policy', 'no-referrer');
        if (!result.ok) {
          request.log.info({ reason: result.reason }, 'signed link refused');
          throw new HostvaultError('auth.link_invalid', WRONG_LINK);
        }
        await endPreviousSession(request.cookies[SESSION_COOKIE]);
        setSessionCookie(reply, request, result.session.token, secure);
        // With SameSite=Strict the browser will not send the cookie on this cross-site redirect;
        // the page's own API calls that follow are same-site and carry it.
        return reply.redirect('/', 303);
      },
    });

    api.route({
      method: 'POST',
      path: '/api/admin/links',
      operationId: 'createSignedLink',
      summary: "Create a signed link that opens one customer's Backups page",
      description:
        'For the hosting panel (with an API token). The link lives 2 minutes unless told.',
      tags: ['session'],
      access: 'admin',
      body: NewLinkSchema,
      responses: { 201: { description: 'The link.', schema: LinkSchema } },
      async handler({ body }) {
        if (deps.customers && !(await deps.customers.getCustomer(body.customerId))) {
          const params = { customerId: body.customerId };
          throw new ValidationError(
            [
              {
                field: 'customerId',
                code: 'customer.unknown',
                message: 'No customer has this ID',
                params,
              },
            ],
            'No customer has this ID',
          );
        }
        const { token, expiresAt } = deps.auth.signLink(body.customerId, body.ttlSeconds ?? 120);
        const base = (deps.options?.publicUrl ?? '').replace(/\/+$/, '');
        return {
          url: `${base}/api/auth/link?token=${encodeURIComponent(token)}`,
          expiresAt: expiresAt.toISOString(),
        };
      },
    });
  };
}

function sessionBody(principal: Authenticated): z.infer<typeof SessionSchema> {
  return {
    user: { username: principal.username, role: principal.role, customerId: principal.customerId },
    via: principal.via,
    csrfToken: principal.via === 'session' ? principal.csrfToken : null,
    expiresAt: principal.via === 'session' ? principal.expiresAt.toISOString() : null,
  };
}
