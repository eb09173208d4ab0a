/**
 * Retention, prune and check of a vault-fronted repository, on the vault host with full rights:
 * restic opens the backing target directly (the agent's append-only endpoint would refuse the
 * deletes). The repository password comes from the control plane, which holds it sealed.
 */
import type { Restic, RepositoryLocation, SnapshotSummary } from '../engine/index.js';
import { isHeld } from '../host/held.js';
import { planRetention } from '../host/backup-groups.js';
import { tag } from '../scope/scope.js';
import type { Owner } from '../target/schema.js';
import { directLocation, type BackingTarget } from './backing.js';

export interface VaultRepository {
  /** The agent whose repository it is (its vault user, the first part of its path). */
  agent: string;
  owner: Owner;
  password: string;
}

export type VaultTask =
  /**
   * One schedule's retention, as the agent's backup applies it to a repository it may delete
   * from (src/host/backup-service.ts): keep-last over that schedule's backups of each customer,
   * their dumps' snapshots with them, held snapshots kept beyond it.
   */
  | { task: 'retention'; schedule: string | number; keepLast: number; held?: readonly string[] }
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
      const list = await deps.restic.snapshots(location, {
        tags: [tag.schedule(work.schedule)],
        signal: opts.signal,
      });
      const held = work.held ?? [];
      const forget: string[] = [];
      let keptHeld = 0;
      // A server-wide schedule backs up every customer into one repository: each customer's
      // backups are counted on their own, as each customer's backup run counts them.
      for (const group of byCustomer(list).values()) {
        const plan = planRetention(group, work.keepLast, held);
        forget.push(...plan.forget);
        keptHeld += plan.keep.filter((id) => isHeld(id, held)).length;
      }
      if (keptHeld > 0)
        opts.onLog?.(
          `Retention on the vault: ${keptHeld} held snapshot(s) kept beyond ${work.keepLast}`,
        );
      if (forget.length > 0) await deps.restic.forgetIds(location, forget, opts);
      opts.onLog?.(
        `Retention on the vault: forgot ${forget.length} snapshot(s) of ${repo.agent}/${repo.owner} beyond ${work.keepLast}`,
      );
      return { task: 'retention', removed: forget };
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

function byCustomer(list: readonly SnapshotSummary[]): Map<string, SnapshotSummary[]> {
  const groups = new Map<string, SnapshotSummary[]>();
  for (const snapshot of list) {
    const customer = snapshot.tags.find((t) => t.startsWith(tag.customer(''))) ?? '';
    groups.set(customer, [...(groups.get(customer) ?? []), snapshot]);
  }
  return groups;
}
