/**
 * Repositories as the control plane keeps them: one per (target, owner), each with its own random
 * password sealed under the master key, stored before `restic init` ever runs. The control plane
 * unseals a password only into a request for the agent (RepositoryAccess); opening, `init`,
 * locks and the mutex are the agent's (src/host/repositories.ts).
 */
import type { RepositoryAccess } from '../agent/protocol.js';
import type { Store } from '../store/index.js';
import { repositoryUrl } from '../target/location.js';
import type { Owner, Target } from '../target/schema.js';
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
export class RepositoryError extends Error {
  constructor(
    message: string,
    readonly code: 'unknown-repository',
  ) {
    super(message);
    this.name = 'RepositoryError';
  }
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

  /**
   * The repository key as a file: its password, which opens the repository with plain restic
   * (`restic -r <url> --password-file <file>`) plus the target's own credentials.
   */
  async exportKey(target: Target, owner: Owner): Promise<{ url: string; keyFile: string }> {
    const url = repositoryUrl(target, owner);
    const row = await this.row(url);
    if (!row)
      throw new RepositoryError(
        `There is no repository for ${owner} at this target yet.`,
        'unknown-repository',
      );
    return { url, keyFile: `${this.deps.keyring.open(row.password_sealed, url)}\n` };
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
