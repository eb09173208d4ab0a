import type { Generated, Selectable } from 'kysely';

/** Table types of users, sessions, API tokens and signed-link uses (migration 0004). */
export type Role = 'admin' | 'customer';

export interface UsersTable {
  id: Generated<number>;
  /** Lower-case. */
  username: string;
  password_hash: string;
  role: Role;
  /** Set for customers, null for admins. */
  customer_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the session token; the token itself is only in the browser's cookie. */
  token_hash: string;
  /** Null for a session opened with a signed link. */
  user_id: number | null;
  role: Role;
  customer_id: string | null;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface ApiTokensTable {
  id: Generated<number>;
  name: string;
  /** SHA-256 (hex) of the token. */
  token_hash: string;
  role: Role;
  customer_id: string | null;
  created_at: string;
  last_used_at: string | null;
  /** 'full', or 'read': GET requests only (migration 0012). */
  scope: Generated<TokenScope>;
}

export type TokenScope = 'full' | 'read';

export interface SignedLinkUsesTable {
  nonce: string;
  expires_at: string;
}

export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
