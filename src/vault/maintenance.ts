/**
 * Retention, prune and check of a vault-fronted repository, on the vault host with full rights:
 * restic opens the backing target directly (the agent's append-only endpoint would refuse the
 * deletes). The repository password comes from the control plane, which holds it sealed.
 */
import type { Restic, RepositoryLocation, SnapshotSummary } from '../engine/index.js';
import { isHeld } from '../host/held.js';
import { planRetention } from '../host/backup-groups.js';
import { tag } from '../scope/scope.js';
import { ownerSchema } from '../target/schema.js';
import { streamedDumps } from '../scope/scope.js';
import { forgetExpiredSafety } from '../host/safety-retention.js';
import type { VaultAnswer, VaultRepository, VaultTaskInput } from '../fleet/vault-protocol.js';
import { directLocation, type BackingTarget } from './backing.js';

export type { VaultRepository, VaultTask } from '../fleet/vault-protocol.js';

/** The repository as the vault needs it: its URL only keys the caller's mutex. */
type OnVault = Pick<VaultRepository, 'agent' | 'owner' | 'password'>;

export interface VaultMaintenanceDeps {
  restic: Restic;
  target: BackingTarget;
  /** Where CA certificates of a private S3 endpoint are written for restic. */
  certDir: string;
}

export type VaultTaskResult = VaultAnswer;

export async function repositoryOnVault(
  deps: VaultMaintenanceDeps,
  repo: OnVault,
): Promise<RepositoryLocation> {
  const location = await directLocation(
    deps.target,
    repo.agent,
    ownerSchema.parse(repo.owner),
    deps.certDir,
  );
  return { ...location, password: repo.password };
}

export async function maintainOnVault(
  deps: VaultMaintenanceDeps,
  repo: OnVault,
  work: VaultTaskInput,
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
    case 'prune': {
      // Expired safety snapshots of restores first, so this prune already frees their data.
      const removed = work.safetyRetention
        ? await forgetExpiredSafety({
            restic: deps.restic,
            location,
            policy: work.safetyRetention,
            now: new Date(work.safetyRetention.now),
            held: work.safetyRetention.held,
            signal: opts.signal,
            onLog: opts.onLog,
          })
        : [];
      opts.onLog?.(`Pruning ${repo.agent}/${repo.owner} on the vault`);
      await deps.restic.prune(location, opts);
      return { task: 'prune', removed };
    }
    case 'forget': {
      // As the agent's forget does where it may delete (src/agent/local.ts): the schedule's
      // snapshots of the customer, held ones and the dumps' snapshots they name left.
      const list = await deps.restic.snapshots(location, {
        tags: [tag.schedule(work.schedule), tag.customer(work.customerId)],
        signal: opts.signal,
      });
      const held = work.held ?? [];
      const keep = list.filter((s) => isHeld(s.id, held));
      const named = keep.flatMap((s) => [...streamedDumps(s.tags).values()]);
      const ids = [
        ...list.filter((s) => !keep.includes(s) && !isHeld(s.id, named)).map((s) => s.id),
        ...(work.also ?? []).filter((id) => !isHeld(id, held)),
      ];
      if (ids.length > 0) await deps.restic.forgetIds(location, ids, opts);
      opts.onLog?.(
        `Forgot ${ids.length} snapshot(s) of schedule ${work.schedule} in ${repo.agent}/${repo.owner} on the vault` +
          (keep.length > 0 ? `; ${keep.length} held snapshot(s) kept` : ''),
      );
      return { task: 'forget', removed: ids };
    }
    case 'check':
      opts.onLog?.(`Checking ${repo.agent}/${repo.owner} on the vault`);
      await deps.restic.check(location, { readDataSubset: work.readDataSubset, ...opts });
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
