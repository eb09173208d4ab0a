/**
 * Repositories as the hosting server meets them: the location restic opens (from the target and
 * the password the control plane sent), `restic init` on first use, all work on one repository
 * serialized, and stale locks removed. The passwords themselves are the control plane's
 * (src/repository/repository-service.ts): it stores each one before this ever runs `init`.
 */
import type { RepositoryAccess } from '../agent/protocol.js';
import { EngineError, type Restic, type RepositoryLocation } from '../engine/index.js';
import { locate } from './locate.js';
import { KeyedMutex } from './mutex.js';

/** Raised when the repository's state needs a person: a repository made with another key. */
export class RepositoryStateError extends Error {
  constructor(
    message: string,
    readonly code: 'foreign-repository' | 'key-rejected',
  ) {
    super(message);
    this.name = 'RepositoryStateError';
  }
}

export interface OpenRepository {
  id: number;
  url: string;
  owner: string;
  location: RepositoryLocation;
}

export interface HostRepositoriesDeps {
  restic: Restic;
  /** Where CA certificates of private S3 endpoints are written. */
  certDir: string;
}

export class HostRepositories {
  private readonly mutex = new KeyedMutex();
  /** Repositories initialized by this process, so a retry of one request does not init again. */
  private readonly initialized = new Set<string>();

  constructor(private readonly deps: HostRepositoriesDeps) {}

  /**
   * Runs `work` with exclusive use of the repository, initializing it first when the control
   * plane has no record of that (`onInitialized` then tells it). A lock left by a crashed run
   * (its process gone) is removed and the work tried once more; a lock held by a live process is
   * reported as it is.
   */
  async withRepository<T>(
    access: RepositoryAccess,
    work: (repo: OpenRepository) => Promise<T>,
    onInitialized?: () => void | Promise<void>,
  ): Promise<T> {
    return this.mutex.run(access.url, async () => {
      const repo = await this.open(access, onInitialized);
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
   * The repository without taking its mutex: for read-only work that takes no restic lock
   * (`ls`, `dump`, `snapshots --no-lock`), which may run beside a backup.
   */
  async open(
    access: RepositoryAccess,
    onInitialized?: () => void | Promise<void>,
  ): Promise<OpenRepository> {
    const location = {
      ...(await locate(access.target, access.owner, { certDir: this.deps.certDir })),
      password: access.password,
    };
    if (!access.initialized && !this.initialized.has(access.url)) {
      await this.initialize(location);
      this.initialized.add(access.url);
      await onInitialized?.();
    }
    return { id: access.repositoryId, url: access.url, owner: access.owner, location };
  }

  /**
   * Runs `work` holding this repository's mutex without opening it here: the vault's maintenance
   * in `hostvault serve` (src/vault/maintenance.ts) reaches the same repository by its backing
   * path, and waits for this server's own backups through the vault rather than meeting their
   * restic locks.
   */
  exclusive<T>(url: string, work: () => Promise<T>): Promise<T> {
    return this.mutex.run(url, work);
  }

  /** Whether a job of this server is using or waiting for this repository right now. */
  isBusy(url: string): boolean {
    return this.mutex.isBusy(url);
  }

  /** Whether `password` opens the repository: an imported key is tested before it is stored. */
  async verifyKey(access: RepositoryAccess): Promise<void> {
    await this.mutex.run(access.url, async () => {
      const location = {
        ...(await locate(access.target, access.owner, { certDir: this.deps.certDir })),
        password: access.password,
      };
      try {
        await this.deps.restic.catConfig(location, { timeoutMs: 120_000, stallMs: 60_000 });
      } catch (error) {
        if (error instanceof EngineError && error.kind === 'wrong-password') {
          throw new RepositoryStateError(
            'This key does not open the repository at this target.',
            'key-rejected',
          );
        }
        throw error;
      }
    });
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
          throw new RepositoryStateError(
            'A backup repository made with another key already exists at this target. Import its key to use it, or choose another target directory.',
            'foreign-repository',
          );
        }
        throw probe;
      }
    }
  }
}
