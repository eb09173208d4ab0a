/**
 * The host side of the retention of safety snapshots (what restores saved before they overwrote
 * live data): per customer, the last `keepLast` are kept, and every one younger than `keepDays` —
 * whichever keeps more. The rest are forgotten before the weekly prune, which then frees their
 * data; the control plane drops their rows (src/maintenance/safety-retention.ts holds the policy).
 * A schedule's own retention never counts them (they carry no schedule tag), so undo copies never
 * push a customer's backups out, nor the other way round.
 */
import type { RepositoryLocation, Restic, SnapshotSummary } from '../engine/index.js';
import { tag } from '../scope/scope.js';
import { isHeld } from './held.js';

export interface SafetyRetention {
  keepLast: number;
  keepDays: number;
}

/** The safety snapshots the policy lets go, oldest last within each customer. */
export function expiredSafety(
  list: readonly SnapshotSummary[],
  now: Date,
  policy: SafetyRetention = { keepLast: 10, keepDays: 7 },
): SnapshotSummary[] {
  const byCustomer = new Map<string, SnapshotSummary[]>();
  for (const s of list) {
    // Safety snapshots of older versions carry no customer tag: they form a group of their own.
    const customer = s.tags.find((t) => t.startsWith('customer=')) ?? '';
    byCustomer.set(customer, [...(byCustomer.get(customer) ?? []), s]);
  }
  const since = now.getTime() - policy.keepDays * 86_400_000;
  const out: SnapshotSummary[] = [];
  for (const group of byCustomer.values()) {
    group.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    group.forEach((s, index) => {
      if (index >= policy.keepLast && Date.parse(s.time) < since) out.push(s);
    });
  }
  return out;
}

/** Forgets the expired safety snapshots of one repository; returns their ids. */
export async function forgetExpiredSafety(opts: {
  restic: Pick<Restic, 'snapshots' | 'forgetIds'>;
  location: RepositoryLocation;
  now: Date;
  policy: SafetyRetention;
  /** Held safety snapshots: never forgotten while held. */
  held?: readonly string[];
  signal?: AbortSignal;
  onLog?: (line: string) => void;
}): Promise<string[]> {
  const list = await opts.restic.snapshots(opts.location, {
    tags: [tag.safety],
    signal: opts.signal,
  });
  const held = opts.held ?? [];
  const expired = expiredSafety(list, opts.now, opts.policy)
    .map((s) => s.id)
    .filter((id) => !isHeld(id, held));
  if (expired.length === 0) return [];
  await opts.restic.forgetIds(opts.location, expired, {
    signal: opts.signal,
    onLog: opts.onLog,
  });
  opts.onLog?.(
    `Safety snapshots: forgot ${expired.length} beyond the last ${opts.policy.keepLast} per customer and older than ${opts.policy.keepDays} days`,
  );
  return expired;
}
