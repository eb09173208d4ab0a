/**
 * Moving a customer to another hosting server with its history: the one service the admin API
 * (`POST /api/admin/customers/:id/move`), the CLI (`hostvault fleet move`) and the recovery of a
 * lost server (server-recovery.ts) use.
 *
 * What moves is the customer's server (`customers.server_id`, owned by the inventory): the
 * FleetAgent reads it at every call, so from then on backups, restores, browsing and the
 * maintenance of the customer's repositories go to the new server's agent. The repositories stay
 * where they are: on S3 or FTP the new server reaches the same repository with the same password,
 * its snapshots are still listed, and the next backup (with the schedule's last snapshot as its
 * explicit parent) adds only what changed. A repository in a local directory lives on the old
 * server's disk, which another server cannot reach: such a customer is refused until the
 * schedule's target is S3 or FTP.
 *
 * The customer's files, databases and mail on the new server are not copied here: that is the
 * hosting panel's job (it moves the account, then tells hostvault). To bring them back from the
 * backups instead, restore after the move (the recovery of a lost server does).
 */
import { HostvaultError } from '../errors/index.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import type { Customer } from '../inventory/schema.js';
import { ACTIVE } from '../job/job-store.js';
import type { Store } from '../store/index.js';
import type { ServerRecords } from './server-records.js';
import { LOCAL_SERVER } from './subjects.js';

export interface CustomerMoveDeps {
  store: Store;
  records: Pick<ServerRecords, 'get'>;
  inventory: Pick<InventoryService, 'getCustomer' | 'setServer'>;
  /**
   * Servers that take customers without an enrollment record: `local` in `hostvault serve`, or a
   * controller's default server (HOSTVAULT_SERVER_ID).
   */
  implicitServers?: readonly string[];
}

export interface MoveResult {
  customer: string;
  from: string;
  to: string;
}

/** A schedule that backs up to a directory on the customer's current server. */
export interface LocalSchedule {
  id: number;
  name: string;
}

export class CustomerMove {
  constructor(private readonly deps: CustomerMoveDeps) {}

  /**
   * Puts `customerId` on server `to`, after every check: the server is enrolled (or implicit),
   * the customer has no job waiting or running, and none of its schedules backs up to a local
   * directory. Refused with a HostvaultError, nothing changed, otherwise.
   */
  async move(customerId: string, to: string): Promise<MoveResult> {
    const customer = await this.customer(customerId);
    await this.requireServer(to);
    const from = customer.server ?? 'local';
    if (from === to)
      throw new HostvaultError(
        'server.move_same_server',
        `Customer ${customerId} is already on server ${to}.`,
        { params: { customer: customerId, server: to } },
      );
    await this.requireMovable(customerId, from);
    await this.deps.inventory.setServer(customerId, to);
    return { customer: customerId, from, to };
  }

  /**
   * Why `customerId` cannot leave server `from`, as the refusal `move` would throw; undefined
   * when it can. The target server is not checked here.
   */
  async refusal(customerId: string, from: string): Promise<HostvaultError | undefined> {
    try {
      await this.requireMovable(customerId, from);
      return undefined;
    } catch (error) {
      if (error instanceof HostvaultError) return error;
      throw error;
    }
  }

  /**
   * Servers a customer may be moved to (and a server-wide schedule may name): enrolled or
   * draining, not revoked or never enrolled. Answers the name the store keeps for it: `local`
   * for an implicit server, as customers the inventory names no server for are kept.
   */
  async requireServer(id: string): Promise<string> {
    if (this.deps.implicitServers?.includes(id)) return LOCAL_SERVER;
    const record = await this.deps.records.get(id);
    if (!record || record.enrolledAt === null)
      throw new HostvaultError('server.unknown', `There is no server ${id}.`, {
        params: { server: id },
      });
    if (record.state === 'revoked')
      throw new HostvaultError('server.revoked', `Server ${id} is revoked.`, {
        params: { server: id },
      });
    return id;
  }

  /** The customer's own schedules whose target is a directory (on the server it is on). */
  async localSchedules(customerId: string): Promise<LocalSchedule[]> {
    return this.deps.store.db
      .selectFrom('schedules as s')
      .innerJoin('targets as t', 't.id', 's.target_id')
      .select(['s.id as id', 's.name as name'])
      .where('s.customer_id', '=', customerId)
      .where('s.owner_kind', '=', 'customer')
      .where('t.kind', '=', 'local')
      .orderBy('s.id')
      .execute();
  }

  private async requireMovable(customerId: string, from: string): Promise<void> {
    // A job already sent to the old server's agent would go on there while the next one starts
    // on the new server; one waiting would run on the new server against the old plan.
    const active = await this.deps.store.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('customer_id', '=', customerId)
      .where('status', 'in', ACTIVE)
      .executeTakeFirstOrThrow();
    if (Number(active.n) > 0)
      throw new HostvaultError(
        'server.move_jobs_active',
        `Customer ${customerId} has ${Number(active.n)} job(s) waiting or running; wait until they have finished (or cancel them), then move the customer.`,
        { params: { customer: customerId, jobs: Number(active.n) } },
      );
    const [local] = await this.localSchedules(customerId);
    if (local)
      throw new HostvaultError(
        'server.move_local_target',
        `Schedule "${local.name}" of customer ${customerId} backs up to a directory on server ${from}: another server cannot reach that repository. Change the schedule's target to S3 or FTP first.`,
        { params: { customer: customerId, schedule: local.name, server: from } },
      );
  }

  private async customer(id: string): Promise<Customer> {
    const customer = await this.deps.inventory.getCustomer(id);
    if (!customer)
      throw new HostvaultError('customer.unknown', `There is no customer "${id}".`, {
        params: { customerId: id },
      });
    return customer;
  }
}
