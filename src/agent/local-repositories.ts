/**
 * Repositories in one process: the control plane's records (sealed passwords) joined with the
 * host's handling (init, mutex, stale locks), as one object with the shape tools of one-server
 * mode use (the demo, the bench, tests: `withRepository(target, owner, work)`). The control
 * plane itself never uses it: it sends RepositoryAccess in requests to the agent.
 */
import type { Restic } from '../engine/index.js';
import { HostRepositories, type OpenRepository } from '../host/repositories.js';
import type { Keyring } from '../repository/keyring.js';
import { RepositoryService } from '../repository/repository-service.js';
import type { TargetRecords } from '../repository/target-records.js';
import type { Store } from '../store/index.js';
import type { Owner, Target } from '../target/schema.js';

export type { OpenRepository };

export class LocalRepositories {
  constructor(
    readonly records: RepositoryService,
    readonly host: HostRepositories,
  ) {}

  /** Both halves over one store and one restic, as `hostvault serve` has them. */
  static open(deps: {
    store: Store;
    keyring: Keyring;
    /** The target records; by default over the same store and keyring. */
    targets?: TargetRecords;
    restic: Restic;
    certDir: string;
    /** The host's repositories, when the agent of this process has them already (one mutex). */
    host?: HostRepositories;
    admit?: (target: Target) => Promise<void>;
    now?: () => Date;
  }): LocalRepositories {
    const host = deps.host ?? new HostRepositories({ restic: deps.restic, certDir: deps.certDir });
    const records = new RepositoryService({
      store: deps.store,
      keyring: deps.keyring,
      targets: deps.targets,
      admit: deps.admit,
      now: deps.now,
      verifyKey: (access) => host.verifyKey(access),
    });
    return new LocalRepositories(records, host);
  }

  /** Runs `work` with exclusive use of the owner's repository, created on first use. */
  async withRepository<T>(
    target: Target,
    owner: Owner,
    work: (repo: OpenRepository) => Promise<T>,
  ): Promise<T> {
    const access = await this.records.access(target, owner);
    return this.host.withRepository(access, work, () =>
      this.records.markInitialized(access.repositoryId),
    );
  }

  /** The repository without its mutex, for read-only work beside a backup. */
  async locationFor(target: Target, owner: Owner): Promise<OpenRepository> {
    const access = await this.records.access(target, owner);
    return this.host.open(access, () => this.records.markInitialized(access.repositoryId));
  }

  exportKey(target: Target, owner: Owner) {
    return this.records.exportKey(target, owner);
  }

  importKey(target: Target, owner: Owner, keyFile: string) {
    return this.records.importKey(target, owner, keyFile);
  }
}
