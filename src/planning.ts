/**
 * The planner: the scheduler (due schedules → backup jobs) and the maintenance planner (due prunes
 * and checks → maintenance jobs), run by whichever process holds the planner lease
 * (src/schedule/planner-lease.ts). `hostvault serve` runs it on its SQLite store, where the lease
 * is trivially held; every controller of a fleet runs it on the shared PostgreSQL store, and only
 * the lease's holder plans. A process that takes the lease ticks and plans maintenance at once,
 * rather than at its next interval, so a handover leaves no more than the lease's expiry unplanned.
 */
import type { JobStore } from './job/job-store.js';
import { planWeeklyDrills } from './drill/drill-planner.js';
import { planMaintenance } from './maintenance/maintenance.js';
import { plannerLease, type LeaseOptions, type PlannerLease } from './schedule/planner-lease.js';
import type { SnapshotHolds } from './repository/snapshot-holds.js';
import type { ScheduleService } from './schedule/schedule-service.js';
import { DEFAULT_TICK_INTERVAL_MS, Scheduler, type Clock } from './schedule/scheduler.js';
import type { Store } from './store/index.js';

export interface PlanningOptions {
  store: Store;
  schedules: ScheduleService;
  jobs: JobStore;
  log: (line: string) => void;
  /** Told when maintenance jobs were queued, so the worker starts them at once. */
  onQueued?: () => void;
  /** The lease's timing (default 15 s; HOSTVAULT_PLANNER_LEASE_MS) and holder id. */
  lease?: Pick<LeaseOptions, 'ttlMs' | 'holder'>;
  /**
   * The scheduler's and the maintenance planner's clock (tests run hours in seconds). The lease
   * keeps real time: its expiry is how long a dead controller goes unnoticed.
   */
  clock?: Clock;
  tickEveryMs?: number;
  /** How often maintenance is looked at; default hourly. */
  maintenanceEveryMs?: number;
  /** Held snapshots, which a vault's retention keeps (they do not make it due). */
  holds?: Pick<SnapshotHolds, 'heldIds'>;
  /** Terminated customers' purges once their kept days are over, planned with maintenance. */
  purges?: (opts: { lease: { held(): boolean } }) => Promise<number[]>;
}

export interface Planning {
  readonly lease: PlannerLease;
  readonly scheduler: Scheduler;
  /** Stops planning and releases the lease, so another controller takes it at once. */
  stop(): Promise<void>;
}

export function startPlanning(options: PlanningOptions): Planning {
  const { log } = options;
  const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
  const planMaintenanceNow = () =>
    void planMaintenance({
      store: options.store,
      schedules: options.schedules,
      jobs: options.jobs,
      lease,
      ...(options.holds ? { holds: options.holds } : {}),
      ...(options.clock ? { now: () => options.clock!.now() } : {}),
    })
      .then((ids) => ids.length && options.onQueued?.())
      .catch((error: unknown) => log(`maintenance: ${message(error)}`))
      // The weekly restore drill of every repository, planned with maintenance.
      .then(() =>
        planWeeklyDrills({
          store: options.store,
          jobs: options.jobs,
          lease,
          ...(options.clock ? { now: () => options.clock!.now() } : {}),
        }),
      )
      .then((ids) => ids && ids.length && options.onQueued?.())
      .catch((error: unknown) => log(`drills: ${message(error)}`))
      .then(() => options.purges?.({ lease }))
      .then((ids) => ids && ids.length && options.onQueued?.())
      .catch((error: unknown) => log(`purges: ${message(error)}`));
  const lease: PlannerLease = plannerLease(options.store, {
    ...options.lease,
    onChange: (held, term) => {
      log(
        held
          ? `planner: this process plans schedules and maintenance (lease term ${term})`
          : `planner: this process no longer plans (lease term ${term} ended)`,
      );
      if (!held) return;
      void scheduler.tick().catch((error: unknown) => log(`scheduler: ${message(error)}`));
      planMaintenanceNow();
    },
    onError: (error) => log(`planner lease: ${message(error)}`),
  });
  const scheduler = new Scheduler({
    store: options.schedules,
    // The schedule service tells the worker of its jobs itself (its onQueued).
    enqueue: (id, _reason, slot) => options.schedules.enqueueScheduled(id, slot),
    clock: options.clock,
    lease,
    onError: (error) => log(`scheduler: ${message(error)}`),
  });
  scheduler.start(options.tickEveryMs ?? DEFAULT_TICK_INTERVAL_MS);
  const maintenance = setInterval(planMaintenanceNow, options.maintenanceEveryMs ?? 3600_000);
  maintenance.unref();
  // Takes the lease (at once where it is trivially held), which ticks and plans right away.
  lease.start();
  return {
    lease,
    scheduler,
    async stop() {
      clearInterval(maintenance);
      await scheduler.stop();
      await lease.stop();
    },
  };
}
