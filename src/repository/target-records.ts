/**
 * Targets as records of their own: where repositories live and the credentials that open them,
 * sealed under the master key. A schedule points at the target it backs up to, a repository at
 * the target it is reached through, so a snapshot reaches its target through its repository even
 * after its schedule was deleted. This module is the one reader and writer of the `targets`
 * table; a target leaves it only when neither a schedule nor a repository points at it.
 */
import { sql, type Kysely } from 'kysely';
import {
  decodeStored,
  StoredValueError,
  type Database,
  type Store,
  type TargetRow,
  type TargetKind as StoredTargetKind,
} from '../store/index.js';
import { markOrigin, type TargetOrigin } from '../target/origin.js';
import { targetSchema, type Owner, type Target, type TargetKind } from '../target/schema.js';
import type { Keyring } from './keyring.js';

/** A target as its record holds it. SECRET: `target` has the credentials; never log it. */
export interface TargetRecord {
  id: number;
  /** A customer id, or 'server': as a repository's owner. */
  owner: Owner;
  /** Who chose its server; `target` carries the same as its mark (src/target/origin.ts). */
  origin: TargetOrigin;
  target: Target;
}

/**
 * A target whose stored settings cannot be used: sealed under another key, or written before a
 * check they fail (a control character in a user name). The schedule form still shows its kind
 * and takes new settings; every use of it fails with `damage`.
 */
export interface DamagedTargetRecord {
  id: number;
  owner: Owner;
  origin: TargetOrigin;
  kind: TargetKind;
  damage: TargetRecordError;
}

export function isDamaged(
  record: TargetRecord | DamagedTargetRecord,
): record is DamagedTargetRecord {
  return 'damage' in record;
}

/** A target record that is not there, or whose stored settings cannot be used. */
export class TargetRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetRecordError';
  }
}

/**
 * The kind as the store records it: every kind since migration 0017 (a vault's credential is
 * sealed like any other target's, below).
 */
export function storedKind(kind: TargetKind): StoredTargetKind {
  return kind;
}

/** The context a target's sealed text is bound to: a copy onto another row does not open. */
function sealContext(row: Pick<TargetRow, 'id' | 'sealed_as'>): string {
  return row.sealed_as === 'schedule' ? `schedule-target:${row.id}` : `target:${row.id}`;
}

export class TargetRecords {
  private readonly now: () => Date;

  constructor(
    private readonly deps: {
      store: Store;
      keyring: Keyring;
      now?: () => Date;
    },
  ) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * A new target record; its id. `db`: the caller's transaction, when the record belongs to a row
   * written in it (a new schedule).
   */
  async create(
    record: { owner: Owner; origin: TargetOrigin; target: Target },
    db: Kysely<Database> = this.deps.store.db,
  ): Promise<number> {
    const stamp = this.now().toISOString();
    const row = await db
      .insertInto('targets')
      .values({
        owner: record.owner,
        kind: storedKind(record.target.kind),
        // Sealed for real once the id (its context) is known, below.
        sealed: '',
        origin: record.origin,
        created_at: stamp,
        updated_at: stamp,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .updateTable('targets')
      .set({ sealed: this.seal(row.id, record.target) })
      .where('id', '=', row.id)
      .execute();
    return row.id;
  }

  /** The target of record `id` changed within its place (same repositories): new fields, origin. */
  async update(id: number, target: Target, origin: TargetOrigin): Promise<void> {
    await this.deps.store.db
      .updateTable('targets')
      .set({
        kind: storedKind(target.kind),
        sealed: this.seal(id, target),
        sealed_as: 'target',
        origin,
        updated_at: this.now().toISOString(),
      })
      .where('id', '=', id)
      .execute();
  }

  /** One record; TargetRecordError when there is none or it is damaged. */
  async get(id: number): Promise<TargetRecord> {
    const record = (await this.getMany([id])).get(id);
    if (!record) throw new TargetRecordError(`There is no target ${id}.`);
    if (isDamaged(record)) throw record.damage;
    return record;
  }

  /** The records of these ids that exist, by id, damaged ones as such. */
  async getMany(ids: readonly number[]): Promise<Map<number, TargetRecord | DamagedTargetRecord>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const rows = await this.deps.store.db
      .selectFrom('targets')
      .selectAll()
      .where('id', 'in', unique)
      .execute();
    return new Map(rows.map((row) => [row.id, this.open(row)]));
  }

  /** Every record that can be used, of one kind if asked, in id order. */
  async list(filter: { kind?: TargetKind } = {}): Promise<TargetRecord[]> {
    let query = this.deps.store.db.selectFrom('targets').selectAll();
    if (filter.kind !== undefined) query = query.where('kind', '=', storedKind(filter.kind));
    const rows = await query.orderBy('id').execute();
    return rows
      .map((row) => this.open(row))
      .filter((record): record is TargetRecord => !isDamaged(record));
  }

  /** The kinds of these targets, by id, without opening them (notices name the kind only). */
  async kinds(ids: readonly number[]): Promise<Map<number, TargetKind>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const rows = await this.deps.store.db
      .selectFrom('targets')
      .select(['id', 'kind'])
      .where('id', 'in', unique)
      .execute();
    return new Map(rows.map((row) => [row.id, row.kind]));
  }

  /**
   * Removes those of these records that no schedule and no repository points at any more (after
   * a schedule was deleted or moved to another place, or a repository was reached through
   * another target); answers the ids removed.
   */
  async dropUnused(ids: readonly number[]): Promise<number[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const dropped = await this.deps.store.db
      .deleteFrom('targets')
      .where('id', 'in', unique)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('schedules')
              .select(sql<number>`1`.as('used'))
              .where((eb) =>
                eb.or([
                  eb('schedules.target_id', '=', eb.ref('targets.id')),
                  // A second copy's target (migration 0018) is in use as much as a first one.
                  eb('schedules.copy_target_id', '=', eb.ref('targets.id')),
                ]),
              ),
          ),
        ),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('repositories')
              .select(sql<number>`1`.as('used'))
              .whereRef('repositories.target_id', '=', 'targets.id'),
          ),
        ),
      )
      .returning('id')
      .execute();
    return dropped.map((row) => row.id);
  }

  private seal(id: number, target: Target): string {
    return this.deps.keyring.seal(JSON.stringify(target), sealContext({ id, sealed_as: 'target' }));
  }

  /** Opens and checks a row once, here; the target comes out marked with its origin. */
  private open(row: TargetRow): TargetRecord | DamagedTargetRecord {
    const known = { id: row.id, owner: row.owner, origin: row.origin };
    let target: Target;
    try {
      const text = this.deps.keyring.open(row.sealed, sealContext(row));
      target = decodeStored(targetSchema, text, { row: `target ${row.id}`, column: 'settings' });
    } catch (error) {
      const why =
        error instanceof StoredValueError
          ? error.reason
          : `They cannot be opened (${error instanceof Error ? error.message : String(error)}).`;
      const damage = new TargetRecordError(
        `This target's settings cannot be used: ${why} Edit the schedule and enter them again.`,
      );
      return { ...known, kind: row.kind, damage };
    }
    return { ...known, target: markOrigin(target, row.origin) };
  }
}
