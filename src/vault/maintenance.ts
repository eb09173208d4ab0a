/**
 * Retention, prune and check of a vault-fronted repository, on the vault host with full rights:
 * restic opens the backing target directly (the agent's append-only endpoint would refuse the
 * deletes). The repository password comes from the control plane, which holds it sealed.
 */
import type { Restic, RepositoryLocation } from '../engine/index.js';
import type { Owner } from '../target/schema.js';
import { directLocation, type BackingTarget } from './backing.js';

export interface VaultRepository {
  /** The agent whose repository it is (its vault user, the first part of its path). */
  agent: string;
  owner: Owner;
  password: string;
}

export type VaultTask =
  | { task: 'retention'; tags: string[]; keepLast: number }
  | { task: 'prune' }
  | { task: 'check'; readDataSubset?: string };

export interface VaultMaintenanceDeps {
  restic: Restic;
  target: BackingTarget;
  /** Where CA certificates of a private S3 endpoint are written for restic. */
  certDir: string;
}

export interface VaultTaskResult {
  task: VaultTask['task'];
  /** Snapshots retention forgot. */
  removed?: string[];
}

export async function repositoryOnVault(
  deps: VaultMaintenanceDeps,
  repo: VaultRepository,
): Promise<RepositoryLocation> {
  const location = await directLocation(deps.target, repo.agent, repo.owner, deps.certDir);
  return { ...location, password: repo.password };
}

export async function maintainOnVault(
  deps: VaultMaintenanceDeps,
  repo: VaultRepository,
  work: VaultTask,
  opts: { signal?: AbortSignal; onLog?: (line: string) => void } = {},
): Promise<VaultTaskResult> {
  const location = await repositoryOnVault(deps, repo);
  switch (work.task) {
    case 'retention': {
      const result = await deps.restic.forget(location, {
        tags: work.tags,
        keepLast: work.keepLast,
        ...opts,
      });
      opts.onLog?.(
        `Retention on the vault: forgot ${result.removed.length} snapshot(s) of ${repo.agent}/${repo.owner}`,
      );
      return { task: 'retention', removed: result.removed };
    }
    case 'prune':
      opts.onLog?.(`Pruning ${repo.agent}/${repo.owner} on the vault`);
      await deps.restic.prune(location, opts);
      return { task: 'prune' };
    case 'check':
      opts.onLog?.(`Checking ${repo.agent}/${repo.owner} on the vault`);
      await deps.restic.check(location, { readDataSubset: work.readDataSubset ?? '5%', ...opts });
      return { task: 'check' };
  }
}
