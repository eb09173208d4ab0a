/**
 * Starts schedules when they are due. Each tick asks the store for enabled schedules whose next run
 * is not after now, enqueues a job for each, then moves its next run to the first slot after *now*
 * (not after the slot it was due for): after downtime a missed schedule runs once, not once per
 * missed slot.
 *
 * The scheduler keeps no state of its own between ticks: the store's `next_run_at` is the only
 * record. Only the holder of the planner lease ticks (planner-lease.ts; a tick without it starts
 * nothing), and should two ever tick at once, `enqueue` still refuses a schedule that already has
 * a pending or running job ('already-running') and a slot that was started before
 * ('already-started': each job records its slot, unique per schedule).
 *
 * Order within a tick: per schedule, compute the next run and enqueue; then record the batch's starts
 * (markStartedMany in one transaction where the store has it, else markStarted one by one). A
 * crash after enqueue and before the record leaves the schedule due; the next tick's enqueue (of
 * this planner or, after a handover, the next) finds the slot's job and answers 'already-running'
 * or, when that job has finished meanwhile, 'already-started', so nothing runs twice. The other
 * order could lose a run.
 *
 * A schedule that is still running when its next slot comes skips that slot (its next run moves
 * on as usual): one schedule never runs twice at once, and a backup that takes longer than its
 * interval does not pile up a queue behind it.
 *
 * The API sets `next_run_at = nextRun(schedule, now)` when a schedule is created, edited or
 * enabled; disabled schedules are never returned by findDue.
 */
import type { Frequency } from '../inventory/schema.js';
import { nextRun } from './next-run.js';

export type ScheduleId = number;

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** What the scheduler needs to know about a due schedule. */
export interface DueSchedule {
  id: ScheduleId;
  /** The slot it was due for; now minus this is how late it starts. */
  nextRunAt: Date;
  frequency: Frequency;
  hour: number;
  day: number | null;
  /** Minute of the hour its slots start at (next-run.ts, startMinute). */
  minute: number;
}

export interface ScheduleStore {
  /**
   * Enabled schedules with next run at or before `now`, earliest first, at most `limit`.
   * Backed by an index on (enabled, next_run_at).
   */
  findDue(now: Date, limit: number): Promise<DueSchedule[]>;
  /** Records that the schedule was started at `startedAt` and when it runs next. */
  markStarted(id: ScheduleId, nextRunAt: Date, startedAt: Date): Promise<void>;
  /**
   * Optional: markStarted for a whole batch in one transaction, all or nothing. On a store that
   * syncs every commit to disk this is one sync per batch instead of one per schedule.
   */
  markStartedMany?(starts: Start[], startedAt: Date): Promise<void>;
}

/** A schedule that was just started, and its next run. */
export interface Start {
  id: ScheduleId;
  nextRunAt: Date;
}

export type EnqueueResult = 'queued' | 'already-running' | 'already-started';

/**
 * Creates a pending backup job for the schedule's `slot` (the next run it was due for), or
 * answers 'already-running' when the schedule has a pending or running job (the same answer Run
 * now gives), or 'already-started' when a job was made for that slot before.
 */
export type Enqueue = (
  scheduleId: ScheduleId,
  reason: 'schedule',
  slot: Date,
) => EnqueueResult | Promise<EnqueueResult>;

export interface SchedulerOptions {
  store: ScheduleStore;
  enqueue: Enqueue;
  clock?: Clock;
  /** Schedules fetched per store query; a tick keeps fetching while batches come back full. */
  batchSize?: number;
  /**
   * Starts per tick at most (default 1,000); the rest stay due, the most overdue first, for the
   * next ticks. With thousands due at once (after downtime, or everyone on daily 02:00) a tick
   * recording them all took 60–150 ms; the worker runs two jobs at a time, so jobs queued a few
   * ticks later start no later.
   */
  maxStartsPerTick?: number;
  /**
   * Whether this process may plan (planner-lease.ts): a tick without the lease starts nothing, and
   * a tick that loses it stops before its next batch. Default: always (one process).
   */
  lease?: { held(): boolean };
  /**
   * Called for each schedule that could not be started (it stays due and is retried next tick),
   * and without an id when a tick started by start() failed as a whole (the store is down).
   */
  onError?: (error: unknown, scheduleId?: ScheduleId) => void;
}

export interface TickReport {
  /** The clock's time for this tick; every next run was computed from it. */
  at: Date;
  /** False when the tick did nothing because this process does not hold the planner lease. */
  planned: boolean;
  queued: ScheduleId[];
  alreadyRunning: ScheduleId[];
  /** Due again only because a planner stopped between starting them and recording it. */
  alreadyStarted: ScheduleId[];
  failed: { id: ScheduleId; error: unknown }[];
  /** How late the latest start of this tick was, in ms (0 when nothing was due). */
  maxLatenessMs: number;
}

/**
 * Large enough that a tick with every schedule of a big server due (after downtime) needs few
 * queries and commits, each a sync to disk; small enough that one batch's query and update stay
 * a few milliseconds of blocked event loop.
 */
export const DEFAULT_BATCH_SIZE = 2000;
/**
 * Short ticks with a small cap keep each tick's work small: with starts spread over the hour by
 * the owners' start minutes, 100,000 schedules at 02:00 arrive at about 1,700 a minute, some 140
 * per 5 s tick. The cap (3,000 a minute at this interval, almost twice that rate) only bites
 * after downtime, where the most overdue start first and the rest follow tick by tick.
 */
export const DEFAULT_TICK_INTERVAL_MS = 5_000;
export const DEFAULT_MAX_STARTS_PER_TICK = 250;

export class Scheduler {
  readonly #store: ScheduleStore;
  readonly #enqueue: Enqueue;
  readonly #clock: Clock;
  readonly #batchSize: number;
  readonly #maxStarts: number;
  readonly #onError: SchedulerOptions['onError'];
  readonly #lease: SchedulerOptions['lease'];
  #inFlight: Promise<TickReport> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(options: SchedulerOptions) {
    this.#store = options.store;
    this.#enqueue = options.enqueue;
    this.#clock = options.clock ?? systemClock;
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1) {
      throw new RangeError('batchSize must be a positive integer');
    }
    this.#maxStarts = options.maxStartsPerTick ?? DEFAULT_MAX_STARTS_PER_TICK;
    if (!Number.isInteger(this.#maxStarts) || this.#maxStarts < 1) {
      throw new RangeError('maxStartsPerTick must be a positive integer');
    }
    this.#onError = options.onError;
    this.#lease = options.lease;
  }

  /**
   * Starts each due schedule once, up to maxStartsPerTick. A tick called while another is in progress returns that
   * tick's result instead of running a second one beside it.
   */
  tick(): Promise<TickReport> {
    if (!this.#inFlight) {
      this.#inFlight = this.#tick().finally(() => {
        this.#inFlight = undefined;
      });
    }
    return this.#inFlight;
  }

  async #tick(): Promise<TickReport> {
    const now = this.#clock.now();
    const report: TickReport = {
      at: now,
      planned: this.#lease?.held() ?? true,
      queued: [],
      alreadyRunning: [],
      alreadyStarted: [],
      failed: [],
      maxLatenessMs: 0,
    };
    const seen = new Set<ScheduleId>();
    if (!report.planned) return report;

    for (;;) {
      // Checked per batch: a planner that lost the lease in a long tick leaves the rest to the next.
      if (this.#lease && !this.#lease.held()) break;
      const room = this.#maxStarts - seen.size;
      if (room <= 0) break;
      const limit = Math.min(this.#batchSize, room);
      const batch = await this.#store.findDue(now, limit);
      const enqueued: (Start & { result: EnqueueResult; lateness: number })[] = [];
      for (const schedule of batch) {
        if (seen.has(schedule.id)) continue;
        seen.add(schedule.id);
        try {
          // First, so a schedule whose timing cannot be computed is never enqueued.
          const nextRunAt = nextRun(schedule, now);
          const result = await this.#enqueue(schedule.id, 'schedule', schedule.nextRunAt);
          const lateness = now.getTime() - schedule.nextRunAt.getTime();
          enqueued.push({ id: schedule.id, nextRunAt, result, lateness });
        } catch (error) {
          this.#fail(report, schedule.id, error);
        }
      }

      const recorded = await this.#record(enqueued, now, report);
      for (const start of recorded) {
        const list = {
          queued: report.queued,
          'already-running': report.alreadyRunning,
          'already-started': report.alreadyStarted,
        }[start.result];
        list.push(start.id);
        report.maxLatenessMs = Math.max(report.maxLatenessMs, start.lateness);
      }
      // A full batch may hide more due schedules; one that moved nothing on means the rest of
      // what is due keeps failing, so stop rather than spin.
      if (batch.length < limit || recorded.length === 0) break;
    }
    return report;
  }

  /** Records the starts (one transaction when the store can); returns those recorded. */
  async #record<T extends Start>(starts: T[], now: Date, report: TickReport): Promise<T[]> {
    if (starts.length === 0) return [];
    if (this.#store.markStartedMany) {
      try {
        await this.#store.markStartedMany(
          starts.map(({ id, nextRunAt }) => ({ id, nextRunAt })),
          now,
        );
        return starts;
      } catch (error) {
        for (const start of starts) this.#fail(report, start.id, error);
        return [];
      }
    }
    const recorded: T[] = [];
    for (const start of starts) {
      try {
        await this.#store.markStarted(start.id, start.nextRunAt, now);
        recorded.push(start);
      } catch (error) {
        this.#fail(report, start.id, error);
      }
    }
    return recorded;
  }

  #fail(report: TickReport, id: ScheduleId, error: unknown): void {
    report.failed.push({ id, error });
    this.#onError?.(error, id);
  }

  /** Ticks now and then every `intervalMs` until stop(). Errors go to onError, not the caller. */
  start(intervalMs: number = DEFAULT_TICK_INTERVAL_MS): void {
    if (this.#running) return;
    this.#running = true;
    const loop = (): void => {
      this.tick()
        .catch((error: unknown) => this.#onError?.(error))
        .finally(() => {
          if (this.#running) this.#timer = setTimeout(loop, intervalMs);
        });
    };
    loop();
  }

  /** Stops ticking; resolves once a tick in progress has finished. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight?.catch(() => undefined);
  }
}
