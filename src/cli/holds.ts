/**
 * `holds …`: the operator's side of snapshot holds, over the same service as the API
 * (src/repository/snapshot-holds.ts). `list` shows the holds in force; `add` puts the provider's
 * hold (legal hold) on a snapshot, `release` ends it (or, with --guard, the mass-change guard's);
 * `keep`/`unkeep` mark a snapshot "keep" for its customer, within the package's keep limit.
 */
import type { Config } from '../config.js';
import { HostvaultError } from '../errors/index.js';
import { DEFAULT_KEEP_LIMIT } from '../inventory/schema.js';
import { InventoryService } from '../inventory/inventory-service.js';
import { findSnapshotByRef } from '../repository/snapshot-records.js';
import { SnapshotHolds, type Hold } from '../repository/snapshot-holds.js';
import type { Store } from '../store/index.js';
import { CliError, id, parse, text } from './args.js';
import { withStore, type Io } from './context.js';
import { formatTable, time } from './format.js';

function holdsOf(store: Store): SnapshotHolds {
  const inventory = new InventoryService({ store });
  return new SnapshotHolds({
    store,
    keepLimit: async (customerId) => {
      const customer = await inventory.getCustomer(customerId);
      const pkg = customer && (await inventory.getPackage(customer.packageId));
      return pkg?.keepLimit ?? DEFAULT_KEEP_LIMIT;
    },
  });
}

/** The snapshot named by `<repository-id> <snapshot-id>` (a prefix will do), or a CliError. */
async function snapshotOf(store: Store, positionals: string[]) {
  const repositoryId = id(positionals[0]!, 'repository id');
  const ref = positionals[1]!;
  const snapshot = await findSnapshotByRef(store, repositoryId, ref).catch((error: unknown) => {
    if (error instanceof HostvaultError) throw new CliError(error.message);
    throw error;
  });
  if (!snapshot) throw new CliError(`no snapshot ${ref} in repository ${repositoryId}`);
  return snapshot;
}

/** A refusal of the service (keep limit, a past end) as the one line the CLI prints. */
async function refusing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HostvaultError && error.code !== 'internal')
      throw new CliError(error.message);
    throw error;
  }
}

export function holdsTable(holds: readonly Hold[]): string {
  return formatTable(
    ['REPOSITORY', 'SNAPSHOT', 'CUSTOMER', 'KIND', 'UNTIL (UTC)', 'REASON'],
    holds.map((h) => [
      String(h.repositoryId),
      h.snapshotId,
      h.customerId,
      h.kind,
      h.expiresAt ? time(h.expiresAt) : 'released by hand',
      h.reason,
    ]),
  );
}

export async function holdsList(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(args, { customer: { type: 'string' } });
  return withStore(config, async (store) => {
    const holds = await holdsOf(store).list({ customerId: text(parsed, 'customer') });
    io.out(holds.length === 0 ? 'no snapshot is held\n' : holdsTable(holds));
    return 0;
  });
}

export async function holdsAdd(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(args, { reason: { type: 'string' }, until: { type: 'string' } }, [
    'repository id',
    'snapshot id',
  ]);
  const reason = text(parsed, 'reason');
  if (!reason?.trim()) throw new CliError('--reason is missing: say why the snapshot is held');
  const until = text(parsed, 'until');
  if (until !== undefined && Number.isNaN(Date.parse(until)))
    throw new CliError('--until: give a date and time, e.g. 2027-06-30T00:00:00Z');
  return withStore(config, async (store) => {
    const snapshot = await snapshotOf(store, parsed.positionals);
    const hold = await refusing(() =>
      holdsOf(store).hold(snapshot, {
        reason,
        expiresAt: until === undefined ? null : new Date(until).toISOString(),
      }),
    );
    io.out(
      `held snapshot ${hold.snapshotId} of ${hold.customerId} ${hold.expiresAt ? `until ${time(hold.expiresAt)} UTC` : 'until released'}: retention and deletion leave it alone\n`,
    );
    return 0;
  });
}

export async function holdsRelease(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(args, { guard: { type: 'boolean' } }, ['repository id', 'snapshot id']);
  const kind = parsed.values.guard === true ? 'guard' : 'legal';
  return withStore(config, async (store) => {
    const snapshot = await snapshotOf(store, parsed.positionals);
    await refusing(() => holdsOf(store).release(snapshot, kind)).catch((error: unknown) => {
      if (error instanceof CliError)
        throw new CliError(
          `snapshot ${snapshot.id} has no ${kind === 'guard' ? "guard's" : "provider's"} hold`,
        );
      throw error;
    });
    io.out(
      `released the ${kind === 'guard' ? "guard's" : "provider's"} hold on snapshot ${snapshot.id}\n`,
    );
    return 0;
  });
}

export async function holdsKeep(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(args, {}, ['repository id', 'snapshot id']);
  return withStore(config, async (store) => {
    const snapshot = await snapshotOf(store, parsed.positionals);
    await refusing(() => holdsOf(store).keep(snapshot));
    io.out(`snapshot ${snapshot.id} of ${snapshot.customer_id} is kept\n`);
    return 0;
  });
}

export async function holdsUnkeep(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(args, {}, ['repository id', 'snapshot id']);
  return withStore(config, async (store) => {
    const snapshot = await snapshotOf(store, parsed.positionals);
    await holdsOf(store).unkeep(snapshot);
    io.out(`snapshot ${snapshot.id} of ${snapshot.customer_id} is no longer kept\n`);
    return 0;
  });
}
