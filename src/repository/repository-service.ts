/**
 * Repositories as the control plane keeps them: one per (target, owner), each with its own random
 * password sealed under the master key, stored before `restic init` ever runs. The control plane
 * unseals a password only into a request for the agent (RepositoryAccess); opening, `init`,
 * locks and the mutex are the agent's (src/host/repositories.ts).
 */
import type { RepositoryAccess } from '../agent/protocol.js';
import { NotFoundError } from '../errors/index.js';
import type { Repository, Store } from '../store/index.js';
import { repositoryUrl } from '../target/location.js';
import type { Owner, Target, TargetKind } from '../target/schema.js';
import { generateRepositoryPassword, type Keyring } from './keyring.js';

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
  /** Injected for tests. */
  now?: () => Date;
}

/** Raised when there is no repository to act on. */
export class RepositoryError extends NotFoundError {
  constructor(message: string) {
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

export class RepositoryService {
  private readonly now: () => Date;

  constructor(private readonly deps: RepositoryServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * What the agent needs to open the owner's repository on the target, creating its record (and
   * password) on first use. SECRET: the answer holds the password; it goes into a request for
   * the agent and nowhere else.
   */
  async access(target: Target, owner: Owner): Promise<RepositoryAccess> {
    // Before each run, not only at save: the name may lead somewhere else by now.
    await this.deps.admit?.(target);
    const url = repositoryUrl(target, owner);
    let row = await this.row(url);
    if (!row) {
      // The password is stored before `restic init` runs: a repository must never exist whose
      // password was not saved first.
      await this.save(target, owner, generateRepositoryPassword(), null, false);
      row = await this.row(url);
    }
    if (!row) throw new Error(`repository ${url} vanished from the store`);
    return {
      repositoryId: row.id,
      url,
      owner,
      target,
      password: this.deps.keyring.open(row.password_sealed, url),
      initialized: row.initialized_at !== null,
    };
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

  /** Every repository, by id, for the admin area. */
  async list(): Promise<RepositorySummary[]> {
    const rows = await this.deps.store.db
      .selectFrom('repositories')
      .selectAll()
      .orderBy('id')
      .execute();
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
  ): Promise<void> {
    const url = repositoryUrl(target, owner);
    const sealed = this.deps.keyring.seal(password, url);
    await this.deps.store.db
      .insertInto('repositories')
      .values({
        url,
        owner,
        target_kind: target.kind,
        password_sealed: sealed,
        created_at: this.now().toISOString(),
        initialized_at: initializedAt,
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
