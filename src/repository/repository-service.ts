/**
 * Repositories as hostvault owns them: one per (target, owner), created on first use, each with
 * its own random password sealed under the master key, and all work on one repository
 * serialized.
 */
import { EngineError, type Restic, type RepositoryLocation } from '../engine/index.js';
import type { Store } from '../store/index.js';
import { locate, repositoryUrl } from '../target/location.js';
import type { Owner, Target } from '../target/schema.js';
import { generateRepositoryPassword, type Keyring } from './keyring.js';
import { KeyedMutex } from './mutex.js';

export interface RepositoryServiceDeps {
  store: Store;
  keyring: Keyring;
  restic: Restic;
  /** Where CA certificates of private S3 endpoints are written. */
  certDir: string;
  /**
   * Asked before restic touches a target, every time: throws when the target may not be used
   * (a customer's server that leads to a private network; see AddressPolicy.admit).
   */
  admit?: (target: Target) => Promise<void>;
  /** Injected for tests. */
  now?: () => Date;
}

/** Raised when the repository's state needs a person: a foreign repository, a lost key. */
export class RepositoryError extends Error {
  constructor(
    message: string,
    readonly code: 'foreign-repository' | 'unknown-repository' | 'key-rejected',
  ) {
    super(message);
    this.name = 'RepositoryError';
  }
}

export interface OpenRepository {
  id: number;
  url: string;
  owner: Owner;
  location: RepositoryLocation;
}

export class RepositoryService {
  private readonly mutex = new KeyedMutex();
  private readonly now: () => Date;

  constructor(private readonly deps: RepositoryServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Runs `work` with exclusive use of the owner's repository on the target, creating the
   * repository on first use. A lock left by a crashed run (its process gone) is removed and the
   * work tried once more; a lock held by a live process is reported as it is.
   */
  async withRepository<T>(
    target: Target,
    owner: Owner,
    work: (repo: OpenRepository) => Promise<T>,
  ): Promise<T> {
    const url = repositoryUrl(target, owner);
    return this.mutex.run(url, async () => {
      const repo = await this.open(target, owner);
      try {
        return await work(repo);
      } catch (error) {
        if (!(error instanceof EngineError) || error.kind !== 'locked') throw error;
        // Our mutex is held, so no job of ours owns that lock: it is stale or somebody else's.
        await this.deps.restic.unlock(repo.location, { timeoutMs: 120_000, stallMs: 60_000 });
        return await work(repo);
      }
    });
  }

  /**
   * The repository's location without taking its mutex: for read-only work that takes no restic
   * lock (`ls`, `dump`, `snapshots --no-lock`), which may run beside a backup.
   */
  async locationFor(target: Target, owner: Owner): Promise<OpenRepository> {
    return this.open(target, owner);
  }

  /** Whether a job of ours is using or waiting for this repository right now. */
  isBusy(target: Target, owner: Owner): boolean {
    return this.mutex.isBusy(repositoryUrl(target, owner));
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
    await this.mutex.run(url, async () => {
      await this.deps.admit?.(target);
      const location = {
        ...(await locate(target, owner, { certDir: this.deps.certDir })),
        password,
      };
      try {
        await this.deps.restic.catConfig(location, { timeoutMs: 120_000, stallMs: 60_000 });
      } catch (error) {
        if (error instanceof EngineError && error.kind === 'wrong-password') {
          throw new RepositoryError(
            'This key does not open the repository at this target.',
            'key-rejected',
          );
        }
        throw error;
      }
      const stamp = this.now().toISOString();
      await this.save(target, owner, password, stamp, true);
    });
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

  private async open(target: Target, owner: Owner): Promise<OpenRepository> {
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
    const location = {
      ...(await locate(target, owner, { certDir: this.deps.certDir })),
      password: this.deps.keyring.open(row.password_sealed, url),
    };
    if (!row.initialized_at) {
      await this.initialize(location);
      await this.deps.store.db
        .updateTable('repositories')
        .set({ initialized_at: this.now().toISOString() })
        .where('id', '=', row.id)
        .execute();
    }
    return { id: row.id, url, owner, location };
  }

  private async initialize(location: RepositoryLocation): Promise<void> {
    const limits = { timeoutMs: 300_000, stallMs: 120_000 };
    try {
      await this.deps.restic.init(location, limits);
    } catch (error) {
      if (!(error instanceof EngineError) || error.kind !== 'already-exists') throw error;
      // A repository is already there: ours from an init whose success was not recorded, or one
      // made elsewhere. Only our password tells which.
      try {
        await this.deps.restic.catConfig(location, limits);
      } catch (probe) {
        if (probe instanceof EngineError && probe.kind === 'wrong-password') {
          throw new RepositoryError(
            'A backup repository made with another key already exists at this target. Import its key to use it, or choose another target directory.',
            'foreign-repository',
          );
        }
        throw probe;
      }
    }
  }
}
