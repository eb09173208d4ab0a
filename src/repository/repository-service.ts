/**
 * Repositories as the control plane keeps them: one per (target, owner), each with its own random
 * password sealed under the master key, stored before `restic init` ever runs. The control plane
 * unseals a password only into a request for the agent (RepositoryAccess); opening, `init`,
 * locks and the mutex are the agent's (src/host/repositories.ts).
 *
 * Each repository points at the target record it is reached through (target-records.ts), so a
 * snapshot reaches its repository, and through it the target, by `snapshots.repository_id` alone,
 * whether or not the schedule that made it still exists.
 */
import type { RepositoryAccess } from '../agent/protocol.js';
import { NotFoundError } from '../errors/index.js';
import type { Repository, Store } from '../store/index.js';
import { repositoryUrl } from '../target/location.js';
import type { Owner, Target, TargetKind } from '../target/schema.js';
import { generateRepositoryPassword, type Keyring } from './keyring.js';
import { storedKind, TargetRecords, type TargetRecord } from './target-records.js';

export interface RepositoryServiceDeps {
  store: Store;
  keyring: Keyring;
  /**
   * Asked before a request to reach a target is made, every time: throws when the target may not
   * be used (a customer's server that leads to a private network; see AddressPolicy.admit).
   */
  admit?: (target: Target) => Promise<void>;
  /**
   * Tests an imported key against its repository (the agent opens it); throws when it does not
   * open it.
   */
  verifyKey?: (access: RepositoryAccess) => Promise<void>;
  /** The target records; by default over the same store and keyring. */
  targets?: TargetRecords;
  /** Injected for tests. */
  now?: () => Date;
}

/** Raised when there is no repository to act on. */
export class RepositoryError extends NotFoundError {
  constructor(
    message: string,
    /** Which of the two: for the log and the CLI; the API answers its one 404 for both. */
    readonly reason: 'unknown-repository' | 'unknown-target' = 'unknown-repository',
  ) {
    super(message);
    this.name = 'RepositoryError';
  }
}

/** A repository as the admin area lists it: never its password. */
export interface RepositorySummary {
  id: number;
  url: string;
  owner: string;
  targetKind: TargetKind;
  createdAt: string;
  initializedAt: string | null;
}

/**
 * A repository's key file and what names it. SECRET: `keyFile` is the password in clear; it goes
 * to the admin who asked for it and nowhere else (never a log).
 */
export interface ExportedKey {
  url: string;
  /** A customer id, or "server". */
  owner: string;
  keyFile: string;
}

/** A repository found by its id, with the target it is reached through. */
export interface RepositoryPlace {
  repositoryId: number;
  url: string;
  owner: Owner;
  /** SECRET: the target's credentials. */
  target: TargetRecord;
}

export class RepositoryService {
  private readonly now: () => Date;
  readonly targets: TargetRecords;

  constructor(private readonly deps: RepositoryServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.targets =
      deps.targets ??
      new TargetRecords({ store: deps.store, keyring: deps.keyring, now: deps.now });
  }

  /**
   * What the agent needs to open the owner's repository on the target, creating its record (and
   * password) on first use. `targetId`: the target record the caller reached it through (a
   * schedule's); the repository points at it from now on, as the target whose credentials are in
   * use. SECRET: the answer holds the password; it goes into a request for the agent and nowhere
   * else.
   */
  async access(
    target: Target,
    owner: Owner,
    opts: { targetId?: number } = {},
  ): Promise<RepositoryAccess> {
    // Before each run, not only at save: the name may lead somewhere else by now.
    await this.deps.admit?.(target);
    const url = repositoryUrl(target, owner);
    let row = await this.row(url);
    if (!row) {
      // The password is stored before `restic init` runs: a repository must never exist whose
      // password was not saved first.
      await this.save(target, owner, generateRepositoryPassword(), null, false, opts.targetId);
      row = await this.row(url);
    }
    if (!row) throw new Error(`repository ${url} vanished from the store`);
    if (opts.targetId !== undefined && row.target_id !== opts.targetId)
      await this.pointAt(row.id, row.target_id, opts.targetId);
    return {
      repositoryId: row.id,
      url,
      owner,
      target,
      password: this.deps.keyring.open(row.password_sealed, url),
      initialized: row.initialized_at !== null,
    };
  }

  /**
   * The repository with this id and the target it is reached through, for work on what is in it
   * (a snapshot's browse, download, restore, forget) without the schedule that made it.
   * RepositoryError when there is no such repository, or no target record is known for it.
   */
  async place(repositoryId: number): Promise<RepositoryPlace> {
    const row = await this.deps.store.db
      .selectFrom('repositories')
      .selectAll()
      .where('id', '=', repositoryId)
      .executeTakeFirst();
    if (!row)
      throw new RepositoryError(`There is no repository ${repositoryId}.`, 'unknown-repository');
    if (row.target_id === null)
      throw new RepositoryError(
        `The target of repository ${repositoryId} (${row.url}) is unknown: no schedule on it has run since targets became records. Import its key with the target to reach it again.`,
        'unknown-target',
      );
    const target = await this.targets.get(row.target_id);
    return { repositoryId: row.id, url: row.url, owner: row.owner, target };
  }

  /** What the agent needs to open the repository with this id (see place). SECRET, as access. */
  async accessById(repositoryId: number): Promise<RepositoryAccess> {
    const place = await this.place(repositoryId);
    const access = await this.access(place.target.target, place.owner);
    if (access.repositoryId !== repositoryId)
      throw new Error(`target ${place.target.id} no longer leads to repository ${place.url}`);
    return access;
  }

  /**
   * Points the repositories no target record is known for at the record of their place, where
   * one is: the step of migration 0010 that needs the keyring, run at each start (cheap when
   * every repository is linked). Of several records on one place (schedules of one owner on one
   * target), the one changed last, whose credentials are the newest. Answers how many it linked.
   */
  async linkTargets(): Promise<number> {
    const unlinked = await this.deps.store.db
      .selectFrom('repositories')
      .select(['id', 'url', 'owner'])
      .where('target_id', 'is', null)
      .execute();
    if (unlinked.length === 0) return 0;
    const records = await this.targets.list();
    let linked = 0;
    for (const repository of unlinked) {
      // Records come in id order: the last match is the newest.
      const match = records
        .filter(
          (record) =>
            record.owner === repository.owner &&
            repositoryUrl(record.target, repository.owner) === repository.url,
        )
        .at(-1);
      if (!match) continue;
      await this.deps.store.db
        .updateTable('repositories')
        .set({ target_id: match.id })
        .where('id', '=', repository.id)
        .where('target_id', 'is', null)
        .execute();
      linked++;
    }
    return linked;
  }

  /** The repository is reached through another target record now; the old one may go. */
  private async pointAt(repositoryId: number, before: number | null, targetId: number) {
    await this.deps.store.db
      .updateTable('repositories')
      .set({ target_id: targetId })
      .where('id', '=', repositoryId)
      .execute();
    if (before !== null) await this.targets.dropUnused([before]);
  }

  /** The agent ran `restic init` on the repository successfully. */
  async markInitialized(repositoryId: number): Promise<void> {
    await this.deps.store.db
      .updateTable('repositories')
      .set({ initialized_at: this.now().toISOString() })
      .where('id', '=', repositoryId)
      .where('initialized_at', 'is', null)
      .execute();
  }

  /**
   * Forgets a repository that is gone (a terminated customer's, purged): its row and sealed
   * password. A later backup to the same place starts a new one. The caller drops its snapshots'
   * rows first (snapshot-records.ts).
   */
  async drop(repositoryId: number): Promise<void> {
    await this.deps.store.db.deleteFrom('repositories').where('id', '=', repositoryId).execute();
  }

  /** The repositories of `owner` written through target record `targetId` (a schedule's second copy). */
  async initializedOnTarget(targetId: number, owner: Owner): Promise<number[]> {
    const rows = await this.deps.store.db
      .selectFrom('repositories')
      .select('id')
      .where('target_id', '=', targetId)
      .where('owner', '=', owner)
      .where('initialized_at', 'is not', null)
      .execute();
    return rows.map((r) => r.id);
  }

  /** Every repository, by id, for the admin area; one owner's when asked. */
  async list(filter: { owner?: Owner } = {}): Promise<RepositorySummary[]> {
    let query = this.deps.store.db.selectFrom('repositories').selectAll();
    if (filter.owner !== undefined) query = query.where('owner', '=', filter.owner);
    const rows = await query.orderBy('id').execute();
    return rows.map((row) => ({
      id: row.id,
      url: row.url,
      owner: row.owner,
      targetKind: row.target_kind,
      createdAt: row.created_at,
      initializedAt: row.initialized_at,
    }));
  }

  /**
   * The owner's repository key on the target as a file (the CLI's `key export`); RepositoryError
   * when there is no repository there yet.
   */
  async exportKey(target: Target, owner: Owner): Promise<ExportedKey> {
    const row = await this.row(repositoryUrl(target, owner));
    if (!row) throw new RepositoryError(`There is no repository for ${owner} at this target yet.`);
    return this.keyFileOf(row);
  }

  /** The key file of the repository with this id (the admin area's download); RepositoryError when none has it. */
  async exportKeyById(id: number): Promise<ExportedKey> {
    const row = await this.deps.store.db
      .selectFrom('repositories')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new RepositoryError(`There is no repository ${id}.`);
    return this.keyFileOf(row);
  }

  /**
   * The one place a key file is made: the repository's password and a newline, which opens the
   * repository with plain restic (`restic -r <url> --password-file <file>`) plus the target's own
   * credentials.
   */
  private keyFileOf(row: Pick<Repository, 'url' | 'owner' | 'password_sealed'>): ExportedKey {
    const keyFile = `${this.deps.keyring.open(row.password_sealed, row.url)}\n`;
    return { url: row.url, owner: row.owner, keyFile };
  }

  /**
   * Adopts an existing repository with its exported key, e.g. after reinstalling the server.
   * The key is tested against the repository before it is stored.
   */
  async importKey(target: Target, owner: Owner, keyFile: string): Promise<void> {
    const url = repositoryUrl(target, owner);
    const password = keyFile.trim();
    await this.deps.admit?.(target);
    const existing = await this.row(url);
    await this.deps.verifyKey?.({
      repositoryId: existing?.id ?? 1,
      url,
      owner,
      target,
      password,
      initialized: true,
    });
    const stamp = this.now().toISOString();
    await this.save(target, owner, password, stamp, true);
  }

  /**
   * Stores a repository's password, sealed with its url as context. `replace`: an imported key
   * that opened the repository takes the place of whatever was stored; otherwise a row that
   * exists already wins.
   */
  private async save(
    target: Target,
    owner: Owner,
    password: string,
    initializedAt: string | null,
    replace: boolean,
    targetId?: number,
  ): Promise<void> {
    const url = repositoryUrl(target, owner);
    const sealed = this.deps.keyring.seal(password, url);
    await this.deps.store.db
      .insertInto('repositories')
      .values({
        url,
        owner,
        target_kind: storedKind(target.kind),
        password_sealed: sealed,
        created_at: this.now().toISOString(),
        initialized_at: initializedAt,
        target_id: targetId ?? null,
      })
      .onConflict((oc) =>
        replace
          ? oc.column('url').doUpdateSet({ password_sealed: sealed, initialized_at: initializedAt })
          : oc.column('url').doNothing(),
      )
      .execute();
  }

  private async row(url: string) {
    return this.deps.store.db
      .selectFrom('repositories')
      .selectAll()
      .where('url', '=', url)
      .executeTakeFirst();
  }
}
