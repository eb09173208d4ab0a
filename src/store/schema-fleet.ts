import type { Generated, Selectable } from 'kysely';

/** The hosting servers of a fleet (migration 0015; src/fleet/server-records.ts). */
export interface ServersTable {
  /** The server's name: one NATS subject token (src/fleet/subjects.ts). */
  id: string;
  state: 'enrolled' | 'draining' | 'revoked';
  /** The agent's public nkey (`U…`); null until it enrolled. */
  nkey: string | null;
  /** The agent's public curve key (`X…`, migration 0019): requests are sealed to it. */
  curve_key: string | null;
  enrolled_at: string | null;
  state_changed_at: string;
  /** The agent's last presence (ISO 8601 UTC, the controller's clock). */
  last_seen_at: string | null;
  /** JSON: the facts of its last presence (versions, free space) and its running dispatch ids. */
  facts: string | null;
  created_at: string;
}

/** One-time enrollment tokens (migration 0012): only a SHA-256 of each token is stored. */
export interface ServerEnrollmentsTable {
  id: Generated<number>;
  server_id: string;
  token_hash: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export type ServerRow = Selectable<ServersTable>;
