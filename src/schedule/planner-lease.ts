/**
 * Who plans: several controllers may share one PostgreSQL store, and exactly one of them queues
 * scheduled backups and maintenance at a time. It holds the planner lease, a row in
 * `planner_leases` (migration 0011) with its holder id and an expiry it renews every few seconds;
 * the others try to take the row every few seconds and succeed once it has expired.
 *
 * Why a row with an expiry and not a session advisory lock (pg_try_advisory_lock): both are freed
 * when a controller is killed with kill -9 on a live host (the kernel closes its connection and
 * PostgreSQL drops the lock at once). But an advisory lock is held for as long as its connection
 * looks alive, not for as long as its holder does its work: a controller that hangs, is stopped
 * (SIGSTOP, a frozen VM) or whose host vanishes keeps the lock until TCP keepalive gives up
 * (two hours with Linux's defaults), and connection poolers in transaction mode lose session
 * locks altogether. A lease is held only while its holder keeps renewing it, so every way of
 * dying hands over after the same bounded time, and the row says who plans and since when
 * (`select * from planner_leases`).
 *
 * Timing (defaults): the lease lasts 15 s from each renewal, renewed every 3 s; a stand-by tries
 * every 3 s, so after the holder's death another holds it within 18 s, and the planner ticks at
 * once when it takes the lease (src/planning.ts), well within the 30 s allowed.
 *
 * Times are the clock's of each controller (injected in tests), compared in the database. The
 * holder stops planning `marginMs` before the expiry it wrote, counted from when it sent the
 * renewal, so a controller whose clock runs up to that margin ahead of the holder's never takes
 * over while the holder still plans. Beyond that (a broken NTP, a process paused for longer than
 * the lease) two planners could overlap for a moment; the store still starts each schedule slot
 * once (the unique slot of jobs, migration 0011) and never two backups of one schedule at once
 * (migration 0008), so the lease is what keeps the planners from doing the work twice, not the
 * last guard against a double run.
 *
 * SQLite is one process's store: the lease there is trivially held (soleLease).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Store } from '../store/index.js';
import { systemClock, type Clock } from './scheduler.js';

export interface PlannerLease {
  /** Who this process is in the lease's row. */
  readonly holder: string;
  /** True while this process may plan: it holds the lease and its own deadline has not passed. */
  held(): boolean;
  /** One attempt to take or renew the lease; answers held() after it. */
  renew(): Promise<boolean>;
  /** Renews (or tries to take) the lease every renewEveryMs until stop(). */
  start(): void;
  /** Stops renewing; a held lease is released, so a stand-by takes it at its next try. */
  stop(): Promise<void>;
}

export interface LeaseOptions {
  /** The lease's row; default 'planner'. */
  name?: string;
  /** Default: host name, process id and a random part, new at every start. */
  holder?: string;
  /** How long a renewal holds the lease; default 15 s. */
  ttlMs?: number;
  /** How often the holder renews and a stand-by tries; default a fifth of the lease. */
  renewEveryMs?: number;
  /** The holder stops planning this long before the expiry it wrote; default a fifth of the lease. */
  marginMs?: number;
  clock?: Clock;
  /** Told when this process takes or loses the lease. */
  onChange?: (held: boolean, term: number) => void;
  /** A renewal that failed (the store unreachable); the lease stays held until its deadline. */
  onError?: (error: unknown) => void;
}

export const DEFAULT_LEASE_TTL_MS = 15_000;

/**
 * The lease a store's planner needs: a row lease on PostgreSQL, where several controllers may
 * share the store; trivially held on SQLite, which one process serves.
 */
export function plannerLease(store: Store, options: LeaseOptions = {}): PlannerLease {
  return store.dialect === 'postgres' ? new RowLease(store, options) : soleLease(options);
}

/** Held from the start, never lost: the only planner of a one-process store. */
export function soleLease(options: Pick<LeaseOptions, 'holder' | 'onChange'> = {}): PlannerLease {
  let started = false;
  return {
    holder: options.holder ?? defaultHolder(),
    held: () => true,
    renew: async () => true,
    start() {
      if (started) return;
      started = true;
      options.onChange?.(true, 1);
    },
    stop: async () => undefined,
  };
}

export class RowLease implements PlannerLease {
  readonly holder: string;
  readonly #store: Store;
  readonly #name: string;
  readonly #ttlMs: number;
  readonly #renewEveryMs: number;
  readonly #marginMs: number;
  readonly #clock: Clock;
  readonly #options: LeaseOptions;
  /** Until when (this clock) this process may plan; 0 when it does not hold the lease. */
  #deadline = 0;
  #term = 0;
  #inFlight: Promise<boolean> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(store: Store, options: LeaseOptions = {}) {
    this.#store = store;
    this.#options = options;
    this.#name = options.name ?? 'planner';
    this.holder = options.holder ?? defaultHolder();
    this.#ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#renewEveryMs = options.renewEveryMs ?? Math.round(this.#ttlMs / 5);
    this.#marginMs = options.marginMs ?? Math.round(this.#ttlMs / 5);
    if (!(this.#ttlMs > 0) || !(this.#renewEveryMs > 0) || !(this.#marginMs >= 0))
      throw new RangeError('lease times must be positive');
    // A renewal must come before the holder's own deadline, or it would lose the lease between two.
    if (this.#renewEveryMs >= this.#ttlMs - this.#marginMs)
      throw new RangeError('the lease must be renewed more often than it lasts (less its margin)');
    this.#clock = options.clock ?? systemClock;
  }

  held(): boolean {
    return this.#clock.now().getTime() < this.#deadline;
  }

  renew(): Promise<boolean> {
    this.#inFlight ??= this.#renew().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #renew(): Promise<boolean> {
    const sent = this.#clock.now().getTime();
    const stamp = new Date(sent).toISOString();
    let term: number | undefined;
    try {
      // Take the row when it is ours or has expired, in one statement: two stand-bys trying at
      // once both run it, PostgreSQL applies them one after the other and the second finds the
      // row taken by the first (not expired, not its own), so it gets nothing back.
      const row = await this.#store.db
        .insertInto('planner_leases')
        .values({
          name: this.#name,
          holder: this.holder,
          expires_at: new Date(sent + this.#ttlMs).toISOString(),
          term: 1,
          acquired_at: stamp,
        })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet({
              holder: (eb) => eb.ref('excluded.holder'),
              expires_at: (eb) => eb.ref('excluded.expires_at'),
              term: sql<number>`case when planner_leases.holder = excluded.holder
                then planner_leases.term else planner_leases.term + 1 end`,
              acquired_at: sql<string>`case when planner_leases.holder = excluded.holder
                then planner_leases.acquired_at else excluded.acquired_at end`,
            })
            .where((eb) =>
              eb.or([
                eb('planner_leases.holder', '=', this.holder),
                eb('planner_leases.expires_at', '<', stamp),
              ]),
            ),
        )
        .returning('term')
        .executeTakeFirst();
      term = row?.term;
    } catch (error) {
      // Unknown whether the renewal landed: keep the deadline of the last one that did.
      this.#options.onError?.(error);
      this.#report();
      return this.held();
    }
    const was = this.#deadline > 0;
    if (term === undefined) {
      this.#deadline = 0;
    } else {
      this.#deadline = sent + this.#ttlMs - this.#marginMs;
      this.#term = term;
    }
    if (was !== (term !== undefined)) this.#options.onChange?.(term !== undefined, this.#term);
    return this.held();
  }

  /** Tells onChange of a lease that ran out while renewals failed. */
  #report(): void {
    if (this.#deadline > 0 && !this.held()) {
      this.#deadline = 0;
      this.#options.onChange?.(false, this.#term);
    }
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const loop = (): void => {
      void this.renew().finally(() => {
        if (this.#running) {
          this.#timer = setTimeout(loop, this.#renewEveryMs);
          this.#timer.unref();
        }
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight?.catch(() => undefined);
    if (this.#deadline === 0) return;
    this.#deadline = 0;
    // Expired at once, term kept: the next stand-by to try takes it.
    await this.#store.db
      .updateTable('planner_leases')
      .set({ expires_at: new Date(0).toISOString() })
      .where('name', '=', this.#name)
      .where('holder', '=', this.holder)
      .execute();
    this.#options.onChange?.(false, this.#term);
  }
}

function defaultHolder(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}
