/**
 * The hosting servers of a fleet as records: the one reader and writer of the `servers` and
 * `server_enrollments` tables (migration 0015).
 *
 * - Enrollment: an administrator makes a one-time token for a server name; the agent on that
 *   server sends it with its public nkey (its seed never leaves the machine); the token is then
 *   used up. Only a SHA-256 of a token is stored, so a copy of the store or a backup of it
 *   enrolls nothing; a token is 32 random bytes, so a plain hash is enough (nothing to guess).
 * - Sealing: the agent also sends the public part of its curve key, recorded as `curve_key`
 *   (migration 0019); the controller seals each request's secrets to it (src/fleet/sealing.ts).
 *   A server enrolled before has none: its requests go unsealed until it enrolls again.
 * - States: `enrolled`, `draining` (jobs of its customers wait, src/job/job-store.ts), `revoked`
 *   (its key leaves nats-server's authorization: src/fleet/fleet-authorization.ts).
 * - Presence: the controller records each agent's heartbeat (last heard, facts) here, so every
 *   controller of the fleet and the Servers page read the same.
 */
import { createHash, randomBytes } from 'node:crypto';
import { fromPublic } from '@nats-io/nkeys';
import { HostvaultError } from '../errors/index.js';
import type { ServerRow, Store } from '../store/index.js';
import type { Presence } from './messages.js';
import { isPublicCurveKey } from './sealing.js';
import { LOCAL_SERVER, validateServerId } from './subjects.js';

export type ServerState = 'enrolled' | 'draining' | 'revoked';

/** A presence older than this reads as offline: three missed 15-second heartbeats. */
export const ONLINE_WITHIN_MS = 45_000;
/** How long an enrollment token is good for unless the administrator says otherwise. */
export const DEFAULT_ENROLLMENT_TTL_MS = 24 * 3600_000;

export interface ServerFacts {
  resticVersion?: string;
  mariadbVersion?: string;
  freeBytes?: number;
  /** Dispatch ids the agent said it runs. */
  running: string[];
  /** The agent's own word at its last heartbeat (`offline` when it stopped cleanly). */
  state: 'online' | 'offline';
}

export interface ServerRecord {
  id: string;
  state: ServerState;
  nkey: string | null;
  /** The agent's public curve key; null: enrolled before requests were sealed. */
  curveKey: string | null;
  enrolledAt: string | null;
  stateChangedAt: string;
  lastSeenAt: string | null;
  facts: ServerFacts | null;
  /** Heard from within ONLINE_WITHIN_MS and not signed off. */
  online: boolean;
}

export interface Enrollment {
  server: string;
  /** Shown once: only its hash is stored. */
  token: string;
  expiresAt: string;
}

export class ServerRecords {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<ServerRecord[]> {
    const rows = await this.store.db.selectFrom('servers').selectAll().orderBy('id').execute();
    return rows.map((r) => this.record(r));
  }

  async get(id: string): Promise<ServerRecord | undefined> {
    const row = await this.store.db
      .selectFrom('servers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && this.record(row);
  }

  /**
   * A one-time token for `server`. A server not yet known is recorded as revoked until the token
   * is used (it has no key, so nothing may connect as it); a revoked server may be enrolled again
   * this way, with a new key.
   */
  async createEnrollment(input: {
    server: string;
    createdBy: string;
    ttlMs?: number;
  }): Promise<Enrollment> {
    const server = serverName(input.server);
    if (server === LOCAL_SERVER)
      throw new HostvaultError(
        'validation.failed',
        `"${LOCAL_SERVER}" is the implicit server of hostvault serve and cannot be enrolled.`,
        {
          fields: [
            {
              field: 'server',
              code: 'field.invalid',
              message: 'Reserved name.',
              params: { label: 'Server name' },
            },
          ],
        },
      );
    const ttlMs = input.ttlMs ?? DEFAULT_ENROLLMENT_TTL_MS;
    const token = `hvenroll_${randomBytes(32).toString('base64url')}`;
    const now = this.now();
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    await this.store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('servers')
        .values({
          id: server,
          state: 'revoked',
          nkey: null,
          curve_key: null,
          enrolled_at: null,
          state_changed_at: now.toISOString(),
          last_seen_at: null,
          facts: null,
          created_at: now.toISOString(),
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      await trx
        .insertInto('server_enrollments')
        .values({
          server_id: server,
          token_hash: hashToken(token),
          created_by: input.createdBy,
          created_at: now.toISOString(),
          expires_at: expiresAt,
          used_at: null,
        })
        .execute();
    });
    return { server, token, expiresAt };
  }

  /**
   * Uses up `token` and records `nkey` as its server's key. An unknown, used or expired token is
   * one answer (`server.enrollment_invalid`) and changes nothing; so is a key refused. An agent
   * that sends no curve key (one from before requests were sealed) is recorded without.
   */
  async enroll(input: { token: string; nkey: string; curveKey?: string }): Promise<ServerRecord> {
    const nkey = publicUserKey(input.nkey);
    const curveKey = input.curveKey === undefined ? null : publicCurveKey(input.curveKey);
    const now = this.now().toISOString();
    const server = await this.store.db.transaction().execute(async (trx) => {
      // Used up by a conditional update: of two enrollments with one token, one wins.
      const used = await trx
        .updateTable('server_enrollments')
        .set({ used_at: now })
        .where('token_hash', '=', hashToken(input.token))
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returning('server_id')
        .executeTakeFirst();
      if (!used)
        throw new HostvaultError(
          'server.enrollment_invalid',
          'The enrollment token is unknown, already used or expired.',
        );
      const other = await trx
        .selectFrom('servers')
        .select('id')
        .where('nkey', '=', nkey)
        .where('id', '!=', used.server_id)
        .executeTakeFirst();
      if (other)
        throw new HostvaultError('server.key_invalid', 'Another server already has this key.');
      await trx
        .updateTable('servers')
        .set({
          state: 'enrolled',
          nkey,
          curve_key: curveKey,
          enrolled_at: now,
          state_changed_at: now,
        })
        .where('id', '=', used.server_id)
        .execute();
      return used.server_id;
    });
    return (await this.get(server))!;
  }

  /** Takes the server's key out of the fleet: its agent is refused from the next reload on. */
  async revoke(id: string): Promise<ServerRecord> {
    return this.setState(id, 'revoked', ['enrolled', 'draining', 'revoked']);
  }

  /** Draining: no new job of its customers starts; queued ones wait. Undrain lets them go. */
  async drain(id: string, draining: boolean): Promise<ServerRecord> {
    const record = await this.required(id);
    if (record.state === 'revoked')
      throw new HostvaultError('server.revoked', `Server ${id} is revoked.`, {
        params: { server: id },
      });
    return this.setState(id, draining ? 'draining' : 'enrolled', ['enrolled', 'draining']);
  }

  /** The agent's heartbeat; ignored for a server that is not (or no longer) enrolled. */
  async recordPresence(presence: Presence): Promise<void> {
    const facts: ServerFacts = {
      ...(presence.facts
        ? {
            resticVersion: presence.facts.restic.version,
            ...(presence.facts.mariadb ? { mariadbVersion: presence.facts.mariadb.version } : {}),
            freeBytes: presence.facts.dataDirFreeBytes,
          }
        : {}),
      running: presence.running,
      state: presence.state,
    };
    await this.store.db
      .updateTable('servers')
      .set({ last_seen_at: this.now().toISOString(), facts: JSON.stringify(facts) })
      .where('id', '=', presence.server)
      .where('state', '!=', 'revoked')
      .execute();
  }

  /** The agent's public curve key, which its requests are sealed to; null when none is recorded. */
  async curveKey(id: string): Promise<string | null> {
    const row = await this.store.db
      .selectFrom('servers')
      .select('curve_key')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.curve_key ?? null;
  }

  /** Servers whose agents nats-server lets in: enrolled or draining, with a key. */
  async authorizedAgents(): Promise<{ server: string; nkey: string }[]> {
    const rows = await this.store.db
      .selectFrom('servers')
      .select(['id', 'nkey'])
      .where('state', 'in', ['enrolled', 'draining'])
      .where('nkey', 'is not', null)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ server: r.id, nkey: r.nkey! }));
  }

  private async required(id: string): Promise<ServerRecord> {
    const record = await this.get(id);
    if (!record)
      throw new HostvaultError('server.unknown', `There is no server ${id}.`, {
        params: { server: id },
      });
    return record;
  }

  private async setState(id: string, state: ServerState, from: ServerState[]) {
    const record = await this.required(id);
    if (!from.includes(record.state))
      throw new HostvaultError('server.revoked', `Server ${id} is revoked.`, {
        params: { server: id },
      });
    if (record.state !== state)
      await this.store.db
        .updateTable('servers')
        .set({ state, state_changed_at: this.now().toISOString() })
        .where('id', '=', id)
        .execute();
    return (await this.get(id))!;
  }

  private record(row: ServerRow): ServerRecord {
    const facts = row.facts === null ? null : parseFacts(row.facts);
    const online =
      row.state !== 'revoked' &&
      row.last_seen_at !== null &&
      facts?.state === 'online' &&
      this.now().getTime() - Date.parse(row.last_seen_at) <= ONLINE_WITHIN_MS;
    return {
      id: row.id,
      state: row.state,
      nkey: row.nkey,
      curveKey: row.curve_key,
      enrolledAt: row.enrolled_at,
      stateChangedAt: row.state_changed_at,
      lastSeenAt: row.last_seen_at,
      facts,
      online,
    };
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function serverName(name: string): string {
  try {
    return validateServerId(name);
  } catch (error) {
    throw new HostvaultError('validation.failed', (error as Error).message, {
      fields: [
        {
          field: 'server',
          code: 'field.invalid',
          message: (error as Error).message,
          params: { label: 'Server name' },
        },
      ],
    });
  }
}

function publicUserKey(nkey: string): string {
  let ok = false;
  try {
    fromPublic(nkey);
    ok = nkey.startsWith('U');
  } catch {
    ok = false;
  }
  if (!ok)
    throw new HostvaultError(
      'server.key_invalid',
      'The agent sent no public NATS user key (it starts with "U").',
    );
  return nkey;
}

function publicCurveKey(key: string): string {
  if (!isPublicCurveKey(key))
    throw new HostvaultError(
      'server.key_invalid',
      'The agent sent no public curve key (it starts with "X").',
    );
  return key;
}

/** Written only by recordPresence; a damaged value reads as no facts rather than failing a page. */
function parseFacts(text: string): ServerFacts | null {
  try {
    const value = JSON.parse(text) as ServerFacts;
    return typeof value === 'object' && value !== null ? value : null;
  } catch {
    return null;
  }
}
