/**
 * Who is asking: users with passwords, browser sessions, API tokens for the hosting panel and
 * signed links that open one customer's Backups page. The HTTP layer (src/api) turns requests
 * into calls here; nothing here knows about HTTP.
 */
import {
  HostvaultError,
  NotFoundError,
  ValidationError,
  type ErrorCode,
  type ErrorParams,
} from '../errors/index.js';
import type { Role, Store, TokenScope, UserRow } from '../store/index.js';
import {
  DEFAULT_COST,
  hashPassword,
  needsRehash,
  verifyPasswordHash,
  type ScryptCost,
} from './password.js';
import { RateLimiter } from './rate-limit.js';
import { randomToken, tokenHash } from './secrets.js';
import { LinkSigner, type LinkCheck } from './signed-link.js';

export type { Role };

/** What a principal may reach: an admin everything, a customer only their own objects. */
export type Identity =
  { role: 'admin'; customerId: null } | { role: 'customer'; customerId: string };

/** A signed-in user, a signed-link session (no user) or an API token. */
export type Principal = Identity & {
  /** Null for signed-link sessions and API tokens. */
  username: string | null;
  userId: number | null;
};

export type SessionPrincipal = Principal & { via: 'session'; csrfToken: string; expiresAt: Date };
export type TokenPrincipal = Principal & {
  via: 'token';
  tokenId: number;
  tokenName: string;
  /** 'read': GET requests only (authenticate.ts refuses the others). */
  scope: TokenScope;
};

export interface ApiTokenInfo {
  id: number;
  name: string;
  role: Role;
  customerId: string | null;
  scope: TokenScope;
  createdAt: string;
  lastUsedAt: string | null;
}
export type Authenticated = SessionPrincipal | TokenPrincipal;

export interface User {
  id: number;
  username: string;
  role: Role;
  customerId: string | null;
}

export interface NewSession {
  /** Goes into the cookie; the store keeps only its hash. */
  token: string;
  principal: SessionPrincipal;
}

export type SignInResult =
  | { ok: true; session: NewSession }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'rate-limited'; retryAfterSeconds: number };

export type LinkRedemption =
  | { ok: true; session: NewSession }
  | { ok: false; reason: Exclude<LinkCheck, { ok: true }>['reason'] | 'used' };

/** A value a caller gave that cannot be used; names the field. */
export class AuthInputError extends ValidationError {
  override readonly name = 'AuthInputError';
  constructor(
    readonly field: string,
    code: ErrorCode,
    message: string,
    params?: ErrorParams,
  ) {
    super([{ field, code, message, ...(params ? { params } : {}) }]);
  }
}

export interface AuthServiceOptions {
  store: Store;
  /** The service's master key; the signed-link key is derived from it. */
  masterKey: Buffer;
  now?: () => Date;
  /** How long a session lasts from sign-in; default 12 hours. */
  sessionTtlSeconds?: number;
  /** scrypt cost for new hashes; tests lower it. */
  passwordCost?: ScryptCost;
  /**
   * Sign-in failures allowed within the window: per name and address (default 5), per address
   * (50) and per name from addresses that never signed in to it (20); the window is 15 minutes.
   */
  signInLimit?: {
    perNameAndAddress: number;
    perAddress: number;
    perName: number;
    windowMs: number;
  };
}

const SESSION_TOKEN = /^[\w-]{43}$/;
const API_TOKEN_PREFIX = 'hv_';
const API_TOKEN = /^hv_[\w-]{43}$/;
const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,99}$/;
export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;
/** last_used_at is a hint for people, not an audit log: write it at most this often. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** Successful (name, address) pairs remembered for the per-name limit; in memory, like it. */
const MAX_KNOWN_ADDRESSES = 10_000;

export class AuthService {
  private readonly store: Store;
  private readonly now: () => Date;
  private readonly sessionTtlMs: number;
  private readonly cost: ScryptCost;
  private readonly links: LinkSigner;
  private readonly limiter: RateLimiter;
  private readonly addressLimiter: RateLimiter;
  private readonly nameLimiter: RateLimiter;
  /** "name\0address" of successful sign-ins; see signIn. */
  private readonly knownAddresses = new Set<string>();
  private dummyHash: Promise<string> | undefined;

  constructor(opts: AuthServiceOptions) {
    this.store = opts.store;
    this.now = opts.now ?? (() => new Date());
    this.sessionTtlMs = (opts.sessionTtlSeconds ?? 12 * 3600) * 1000;
    this.cost = opts.passwordCost ?? DEFAULT_COST;
    this.links = new LinkSigner(opts.masterKey);
    const limit = opts.signInLimit ?? {
      perNameAndAddress: 5,
      perAddress: 50,
      perName: 20,
      windowMs: 15 * 60_000,
    };
    const clock = () => this.now().getTime();
    this.limiter = new RateLimiter({
      maxFailures: limit.perNameAndAddress,
      windowMs: limit.windowMs,
      now: clock,
    });
    // A looser limit per address alone stops one client from trying many names.
    this.addressLimiter = new RateLimiter({
      maxFailures: limit.perAddress,
      windowMs: limit.windowMs,
      now: clock,
    });
    // And a budget per name over all addresses, so guessing from many addresses gains nothing.
    this.nameLimiter = new RateLimiter({
      maxFailures: limit.perName,
      windowMs: limit.windowMs,
      now: clock,
    });
  }

  private get db() {
    return this.store.db;
  }

  async createUser(input: {
    username: string;
    password: string;
    role: Role;
    customerId?: string | null;
  }): Promise<User> {
    const username = normalizeUsername(input.username);
    if (!USERNAME.test(username)) {
      throw new AuthInputError(
        'username',
        'user.username_invalid',
        'Username must be 1 to 100 letters, digits, dots, dashes, underscores or @, starting with a letter or digit',
      );
    }
    checkPassword(input.password, 'password');
    const customerId = input.role === 'customer' ? (input.customerId ?? '') : null;
    if (customerId === '') {
      throw new AuthInputError(
        'customerId',
        'user.customer_required',
        'Customer ID is required for a customer user',
      );
    }
    if (input.role === 'admin' && input.customerId != null) {
      throw new AuthInputError(
        'customerId',
        'user.admin_has_no_customer',
        'An administrator belongs to no customer',
      );
    }
    const passwordHash = await hashPassword(input.password, this.cost);
    const stamp = this.now().toISOString();
    const existing = await this.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', username)
      .executeTakeFirst();
    if (existing)
      throw new AuthInputError(
        'username',
        'user.username_taken',
        'A user with this name exists already',
      );
    try {
      const row = await this.db
        .insertInto('users')
        .values({
          username,
          password_hash: passwordHash,
          role: input.role,
          customer_id: customerId,
          created_at: stamp,
          updated_at: stamp,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toUser(row);
    } catch (error) {
      // Lost a race with another process creating the same name.
      if (error instanceof Error && /unique/i.test(error.message)) {
        throw new AuthInputError(
          'username',
          'user.username_taken',
          'A user with this name exists already',
        );
      }
      throw error;
    }
  }

  /** Every sign-in, administrators first, then by name. */
  async listUsers(): Promise<(User & { createdAt: string })[]> {
    const rows = await this.db
      .selectFrom('users')
      .selectAll()
      .orderBy('role')
      .orderBy('username')
      .execute();
    return rows.map((row) => ({ ...toUser(row), createdAt: row.created_at }));
  }

  /**
   * Deletes a user and ends their sessions. Refused for the user doing it (they would lock
   * themselves out mid-request) and for the last administrator (nobody could manage the service
   * any more). NotFoundError for an unknown id.
   */
  async deleteUser(id: number, actor: { userId: number | null }): Promise<void> {
    if (actor.userId === id)
      throw new AuthInputError(
        'id',
        'user.cannot_delete_self',
        'You cannot delete the user you are signed in as',
      );
    await this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError();
      if (row.role === 'admin') {
        const admins = await tx
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('role', '=', 'admin')
          .executeTakeFirstOrThrow();
        if (Number(admins.n) <= 1)
          throw new AuthInputError(
            'id',
            'user.last_admin',
            'The last administrator cannot be deleted',
          );
      }
      await tx.deleteFrom('sessions').where('user_id', '=', id).execute();
      await tx.deleteFrom('users').where('id', '=', id).execute();
    });
  }

  /**
   * Sets a user's password (an administrator's reset) and ends every session of that user but
   * `keepSession` (the one making the change, when it changes its own).
   */
  async setPassword(id: number, password: string, keepSession?: string): Promise<void> {
    checkPassword(password, 'password');
    const passwordHash = await hashPassword(password, this.cost);
    const result = await this.db
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: this.now().toISOString() })
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new NotFoundError();
    let sessions = this.db.deleteFrom('sessions').where('user_id', '=', id);
    if (keepSession) sessions = sessions.where('token_hash', '!=', tokenHash(keepSession));
    await sessions.execute();
  }

  /** A user changing their own password: the current one first, as a stolen session cannot. */
  async changeOwnPassword(
    id: number,
    current: string,
    next: string,
    keepSession?: string,
  ): Promise<void> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError();
    // A stolen session must not become a way to guess the password: the sign-in's name budget.
    const attempt = this.nameLimiter.attempt(row.username);
    if (!attempt.allowed)
      throw new HostvaultError('auth.rate_limited', 'Too many wrong passwords; try again later.', {
        params: {
          retryAfterSeconds: attempt.retryAfterSeconds,
          minutes: Math.ceil(attempt.retryAfterSeconds / 60),
        },
      });
    if (!(await verifyPasswordHash(current, row.password_hash)))
      throw new AuthInputError(
        'currentPassword',
        'user.current_password_wrong',
        'The current password is not right',
      );
    attempt.succeeded();
    checkPassword(next, 'newPassword');
    await this.setPassword(id, next, keepSession);
  }

  async hasAdmin(): Promise<boolean> {
    const row = await this.db
      .selectFrom('users')
      .select('id')
      .where('role', '=', 'admin')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * The user if the password is right. An unknown name costs the same scrypt run as a known one,
   * so response times do not tell which names exist.
   */
  async verifyPassword(username: string, password: string): Promise<User | undefined> {
    const name = normalizeUsername(username);
    const row =
      password.length <= MAX_PASSWORD_LENGTH && name.length <= 100
        ? await this.db
            .selectFrom('users')
            .selectAll()
            .where('username', '=', name)
            .executeTakeFirst()
        : undefined;
    if (!row) {
      await verifyPasswordHash(password, await this.dummy());
      return undefined;
    }
    if (!(await verifyPasswordHash(password, row.password_hash))) return undefined;
    if (needsRehash(row.password_hash, this.cost)) {
      await this.db
        .updateTable('users')
        .set({ password_hash: await hashPassword(password, this.cost) })
        .where('id', '=', row.id)
        .execute();
    }
    return toUser(row);
  }

  /** Checks the password under the sign-in rate limit and opens a session if it is right. */
  async signIn(username: string, password: string, address: string): Promise<SignInResult> {
    const name = normalizeUsername(username);
    const nameKey = `${name}\u0000${address}`;
    const attempt = this.limiter.attempt(nameKey);
    if (!attempt.allowed) return { ok: false, reason: 'rate-limited', ...retry(attempt) };
    const byAddress = this.addressLimiter.attempt(address);
    if (!byAddress.allowed) {
      return { ok: false, reason: 'rate-limited', ...retry(byAddress) };
    }
    // An address this account signed in from before keeps only its own limit: whoever guesses
    // from elsewhere uses up the name's budget but cannot lock the account's owner out with it.
    const byName = this.knownAddresses.has(nameKey) ? undefined : this.nameLimiter.attempt(name);
    if (byName && !byName.allowed) return { ok: false, reason: 'rate-limited', ...retry(byName) };
    const user = await this.verifyPassword(username, password);
    if (!user) return { ok: false, reason: 'invalid' };
    this.limiter.reset(nameKey);
    byAddress.succeeded();
    byName?.succeeded();
    this.rememberAddress(nameKey);
    const identity: Identity =
      user.role === 'customer' && user.customerId !== null
        ? { role: 'customer', customerId: user.customerId }
        : { role: 'admin', customerId: null };
    const session = await this.createSession({
      ...identity,
      userId: user.id,
      username: user.username,
    });
    return { ok: true, session };
  }

  async createSession(
    subject: Identity & { userId: number | null; username: string | null },
  ): Promise<NewSession> {
    const token = randomToken();
    const csrfToken = randomToken();
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.sessionTtlMs);
    // Housekeeping rides along with sign-in, which is rare enough and indexed.
    await this.db.deleteFrom('sessions').where('expires_at', '<=', now.toISOString()).execute();
    await this.db
      .insertInto('sessions')
      .values({
        token_hash: tokenHash(token),
        user_id: subject.userId,
        role: subject.role,
        customer_id: subject.customerId,
        csrf_token: csrfToken,
        created_at: now.toISOString(),
        expires_at: expiresAt.toISOString(),
      })
      .execute();
    return { token, principal: { ...subject, via: 'session', csrfToken, expiresAt } };
  }

  /** The session's principal, or undefined if the token is unknown, revoked or expired. */
  async resolveSession(token: string): Promise<SessionPrincipal | undefined> {
    if (!SESSION_TOKEN.test(token)) return undefined;
    const row = await this.db
      .selectFrom('sessions as s')
      .leftJoin('users as u', 'u.id', 's.user_id')
      .select([
        's.user_id',
        's.role',
        's.customer_id',
        's.csrf_token',
        's.expires_at',
        'u.username',
        'u.role as user_role',
        'u.customer_id as user_customer_id',
      ])
      .where('s.token_hash', '=', tokenHash(token))
      .where('s.expires_at', '>', this.now().toISOString())
      .executeTakeFirst();
    if (!row) return undefined;
    // A user's session follows the user's current role, so a demotion takes effect at once.
    const fromUser = row.user_id !== null;
    if (fromUser && row.user_role === null) return undefined;
    const identity = toIdentity(
      fromUser ? (row.user_role ?? row.role) : row.role,
      fromUser ? row.user_customer_id : row.customer_id,
    );
    if (!identity) return undefined;
    return {
      ...identity,
      username: row.username ?? null,
      userId: row.user_id,
      via: 'session',
      csrfToken: row.csrf_token,
      expiresAt: new Date(row.expires_at),
    };
  }

  /** Ends a session (sign out). Unknown tokens are ignored. */
  async revoke(token: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', tokenHash(token)).execute();
  }

  /** Ends every session of a user, e.g. after a password change. */
  async revokeUserSessions(userId: number): Promise<void> {
    await this.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  }

  /** A new API token; the token is shown once and only its hash is kept. */
  async createApiToken(input: {
    name: string;
    role: Role;
    customerId?: string | null;
    scope?: TokenScope;
  }): Promise<{ id: number; token: string }> {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 100) {
      throw new AuthInputError('name', 'token.name_invalid', 'Name must be 1 to 100 characters');
    }
    const identity = toIdentity(input.role, input.customerId ?? null);
    if (!identity) {
      throw new AuthInputError(
        'customerId',
        'token.customer_mismatch',
        'Customer ID is required for a customer token, and only for one',
      );
    }
    const token = randomToken(API_TOKEN_PREFIX);
    const row = await this.db
      .insertInto('api_tokens')
      .values({
        name,
        token_hash: tokenHash(token),
        role: identity.role,
        customer_id: identity.customerId,
        created_at: this.now().toISOString(),
        last_used_at: null,
        scope: input.scope ?? 'full',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, token };
  }

  async resolveApiToken(token: string): Promise<TokenPrincipal | undefined> {
    if (!API_TOKEN.test(token)) return undefined;
    const row = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash(token))
      .executeTakeFirst();
    if (!row) return undefined;
    const identity = toIdentity(row.role, row.customer_id);
    if (!identity) return undefined;
    const now = this.now();
    if (
      row.last_used_at === null ||
      Date.parse(row.last_used_at) <= now.getTime() - LAST_USED_RESOLUTION_MS
    ) {
      await this.db
        .updateTable('api_tokens')
        .set({ last_used_at: now.toISOString() })
        .where('id', '=', row.id)
        .execute();
    }
    return {
      ...identity,
      username: null,
      userId: null,
      via: 'token',
      tokenId: row.id,
      tokenName: row.name,
      scope: row.scope,
    };
  }

  /** Every API token, newest first; the tokens themselves are never kept, only their hashes. */
  async listApiTokens(): Promise<ApiTokenInfo[]> {
    const rows = await this.db.selectFrom('api_tokens').selectAll().orderBy('id', 'desc').execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      role: row.role,
      customerId: row.customer_id,
      scope: row.scope,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
    }));
  }

  async revokeApiToken(id: number): Promise<boolean> {
    const result = await this.db.deleteFrom('api_tokens').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** A link that opens one customer's Backups page; lives `ttlSeconds` (at most 5 minutes). */
  signLink(customerId: string, ttlSeconds = 120): { token: string; expiresAt: Date } {
    return this.links.sign(customerId, ttlSeconds, this.now());
  }

  /** A session for the link's customer, if the link is genuine, unexpired and not used before. */
  async redeemLink(token: string): Promise<LinkRedemption> {
    const now = this.now();
    const check = this.links.check(token, now);
    if (!check.ok) return check;
    const { customerId, expiresAt, nonce } = check.claims;
    await this.db
      .deleteFrom('signed_link_uses')
      .where('expires_at', '<=', now.toISOString())
      .execute();
    // The primary key makes the first redemption win, even across processes.
    const result = await this.db
      .insertInto('signed_link_uses')
      .values({ nonce, expires_at: expiresAt.toISOString() })
      .onConflict((oc) => oc.column('nonce').doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) !== 1) return { ok: false, reason: 'used' };
    const session = await this.createSession({
      role: 'customer',
      customerId,
      userId: null,
      username: null,
    });
    return { ok: true, session };
  }

  private rememberAddress(nameKey: string): void {
    this.knownAddresses.delete(nameKey);
    this.knownAddresses.add(nameKey);
    // Set order is insertion order: past the bound, the longest unseen go first.
    for (const key of this.knownAddresses) {
      if (this.knownAddresses.size <= MAX_KNOWN_ADDRESSES) break;
      this.knownAddresses.delete(key);
    }
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomToken(), this.cost);
    return this.dummyHash;
  }
}

function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/** The one rule for a new password, whoever sets it. */
function checkPassword(password: string, field: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH)
    throw new AuthInputError(
      field,
      'user.password_too_short',
      `Password must be at least ${MIN_PASSWORD_LENGTH} characters long`,
      { minLength: MIN_PASSWORD_LENGTH },
    );
}

function toUser(row: UserRow): User {
  return { id: row.id, username: row.username, role: row.role, customerId: row.customer_id };
}

function toIdentity(role: Role, customerId: string | null): Identity | undefined {
  if (role === 'admin' && customerId === null) return { role, customerId };
  if (role === 'customer' && customerId !== null && customerId !== '') return { role, customerId };
  return undefined;
}

function retry(attempt: { retryAfterSeconds: number }): { retryAfterSeconds: number } {
  return { retryAfterSeconds: attempt.retryAfterSeconds };
}
