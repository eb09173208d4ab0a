/**
 * The scheduler's tick with 10,000 schedules: find what is due, enqueue it, move each started
 * schedule's next run on. Target: at most 50 ms per tick. The store is the service's own: a file
 * opened by openStore (WAL, synchronous=FULL, every migration) and ScheduleService as the
 * scheduler's ScheduleStore, as `hostvault serve` wires them.
 *
 * The enqueue is a no-op answering 'queued': this measures the scheduler and its store; creating
 * the jobs is the job store's work and is not part of the tick's target.
 *
 * Per round, from the same starting state: the usual tick (nothing due), a simulated day (a
 * tick every 30 s for 24 hours: the realistic busiest tick is 02:00, the default hour), and every
 * enabled schedule due at once (after downtime), three times.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FREQUENCIES } from '../../src/inventory/schema.js';
import { JobStore } from '../../src/job/job-store.js';
import { Keyring } from '../../src/repository/keyring.js';
import { nextRun } from '../../src/schedule/next-run.js';
import { ScheduleService } from '../../src/schedule/schedule-service.js';
import {
  DEFAULT_MAX_STARTS_PER_TICK,
  Scheduler,
  type TickReport,
} from '../../src/schedule/scheduler.js';
import { openStore, type Store } from '../../src/store/index.js';
import { mulberry32 } from '../data.js';
import {
  median,
  waitForQuiet,
  type StandaloneCase,
  type StandaloneContext,
  type Sample,
} from '../harness.js';

const COUNT = 10_000;
/** A Monday just after midnight, so the simulated day covers daily, weekly and monthly slots. */
const START = Date.parse('2025-03-10T00:00:10Z');
const TICK_MS = 30_000;
const IDLE_TICKS = 300;
const ALL_DUE_REPEATS = 3;
const TARGET = { on: 'measured', op: '<=', value: 50 } as const;

interface World {
  store: Store;
  service: ScheduleService;
  /** Each schedule's next run as created, restored before every scenario. */
  initial: { id: number; next: string | null }[];
  enabled: number;
}

/** Made once per run: 10,000 inserts with a sync each would otherwise repeat every round. */
let world: Promise<World> | undefined;

export const scheduler: StandaloneCase = {
  name: 'scheduler',
  standalone: true,
  async run(ctx) {
    world ??= build(ctx);
    const w = await world;
    if (ctx.round === ctx.rounds - 1) ctx.defer(() => w.store.close());
    const at = (ms: number) => ({ now: () => new Date(ms) });

    // The usual tick: nothing due.
    await reset(w, (row) => row.next);
    await waitForQuiet(ctx);
    const idle = new Scheduler({ store: w.service, enqueue: () => 'queued', clock: at(START) });
    const idleMs: number[] = [];
    for (let i = 0; i < IDLE_TICKS; i++) {
      const { ms, report } = await timedTick(idle);
      if (report.queued.length) throw new Error('the idle tick started schedules');
      idleMs.push(ms);
    }

    // A day of ticks from the same state.
    let t = START;
    const day = new Scheduler({
      store: w.service,
      enqueue: () => 'queued',
      clock: { now: () => new Date(t) },
    });
    const dayMs: number[] = [];
    let started = 0;
    let busiest = { due: 0, ms: 0, at: '' };
    await waitForQuiet(ctx);
    for (let i = 0; i < (24 * 3600_000) / TICK_MS; i++) {
      t += TICK_MS;
      const { ms, report } = await timedTick(day);
      dayMs.push(ms);
      started += report.queued.length;
      if (report.queued.length > busiest.due)
        busiest = { due: report.queued.length, ms, at: new Date(t).toISOString().slice(11, 16) };
    }

    // Everything due at once, as after a long downtime.
    const allMs: number[] = [];
    let allTicks = 0;
    for (let i = 0; i < ALL_DUE_REPEATS; i++) {
      await reset(w, () => new Date(START - 86_400_000).toISOString());
      await waitForQuiet(ctx);
      // A tick starts at most DEFAULT_MAX_STARTS_PER_TICK; the ticks that follow (5 s apart
      // in the service) start the rest. Each tick is measured; the row takes the slowest.
      let clock = START;
      const all = new Scheduler({
        store: w.service,
        enqueue: () => 'queued',
        clock: { now: () => new Date(clock) },
      });
      let startedAll = 0;
      for (allTicks = 0; startedAll < w.enabled; allTicks++) {
        const { ms, report } = await timedTick(all);
        if (report.failed.length || report.queued.length === 0)
          throw new Error(`all due: started ${startedAll} of ${w.enabled}, then stuck`);
        startedAll += report.queued.length;
        allMs.push(ms);
        clock += TICK_MS;
      }
      if (startedAll !== w.enabled || (await all.tick()).queued.length !== 0)
        throw new Error(`all due: started ${startedAll} of ${w.enabled}`);
    }

    ctx.log(
      `scheduler: idle p95 ${pct(idleMs, 0.95).toFixed(2)} ms; day p95 ${pct(dayMs, 0.95).toFixed(2)} ms, ` +
        `busiest tick ${busiest.due} started at ${busiest.at} in ${busiest.ms.toFixed(1)} ms; ` +
        `all ${w.enabled} due: ${allMs.map((ms) => ms.toFixed(1)).join(', ')} ms`,
    );
    const store = 'file store, WAL, synchronous=FULL; enqueue is a no-op';
    return [
      {
        case: `scheduler tick, none due (usual), p95`,
        measured: pct(idleMs, 0.95),
        unit: 'ms',
        target: TARGET,
        notes: `${COUNT} schedules, ${IDLE_TICKS} ticks, max ${Math.max(...idleMs).toFixed(2)} ms; ${store}`,
      },
      {
        case: 'scheduler tick, simulated day, p95',
        measured: pct(dayMs, 0.95),
        unit: 'ms',
        target: TARGET,
        notes: `${dayMs.length} ticks 30 s apart, ${started} starts, median ${median(dayMs).toFixed(2)} ms`,
      },
      {
        case: 'scheduler tick, simulated day, busiest',
        measured: busiest.ms,
        unit: 'ms',
        target: TARGET,
        notes: `${busiest.due} started in that tick at ${busiest.at}`,
      },
      {
        case: `scheduler tick, all ${w.enabled} due at once, max`,
        measured: Math.max(...allMs),
        unit: 'ms',
        target: TARGET,
        notes: `every enabled schedule due (after downtime): started over ${allTicks} ticks of at most ${DEFAULT_MAX_STARTS_PER_TICK}, slowest of ${allMs.length} ticks in ${ALL_DUE_REPEATS} repeats`,
      },
    ] satisfies Sample[];
  },
};

async function timedTick(s: Scheduler): Promise<{ ms: number; report: TickReport }> {
  const before = performance.now();
  const report = await s.tick();
  return { ms: performance.now() - before, report };
}

function pct(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

async function build(ctx: StandaloneContext): Promise<World> {
  const started = performance.now();
  const dir = join(ctx.workDir, 'scheduler');
  mkdirSync(dir, { recursive: true });
  const store = await openStore({ file: join(dir, 'store.db') });
  const keyring = new Keyring(randomBytes(32));
  const service = new ScheduleService({
    store,
    keyring,
    // The scheduler's side of the service reads neither customers nor jobs.
    customers: { getCustomer: async () => undefined, getPackage: async () => undefined },
    jobs: new JobStore(store),
    localRepositoryDir: dir,
  });
  // The spread the old standalone benchmark used: every frequency, half of them at the default
  // hour 2, 5% disabled. Targets are records of their own (the scheduler never reads them).
  const random = mulberry32(42);
  const stamp = new Date(START).toISOString();
  const rows = Array.from({ length: COUNT }, (_, i) => {
    const frequency = FREQUENCIES[Math.floor(random() * 4)] ?? 'daily';
    const hour = random() < 0.5 ? 2 : Math.floor(random() * 24);
    const day =
      frequency === 'weekly'
        ? Math.floor(random() * 7)
        : frequency === 'monthly'
          ? 1 + Math.floor(random() * 31)
          : null;
    const enabled = random() < 0.95 ? 1 : 0;
    return {
      owner_kind: 'customer' as const,
      customer_id: `c${i % 2000}`,
      name: `Schedule ${i}`,
      scope: 'full',
      frequency,
      hour,
      day,
      retention: 14,
      enabled,
      next_run_at: enabled
        ? nextRun({ frequency, hour, day }, new Date(START)).toISOString()
        : null,
      created_at: stamp,
      updated_at: stamp,
    };
  });
  await store.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 500)
      await trx
        .insertInto('schedules')
        .values(rows.slice(i, i + 500))
        .execute();
  });
  const initial = (
    await store.db.selectFrom('schedules').select(['id', 'next_run_at']).orderBy('id').execute()
  ).map((r) => ({ id: r.id, next: r.next_run_at }));
  ctx.log(
    `scheduler: ${COUNT} schedules in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { store, service, initial, enabled: rows.filter((r) => r.enabled).length };
}

/** Sets every enabled schedule's next run; untimed, one transaction. */
async function reset(
  w: World,
  next: (row: World['initial'][number]) => string | null,
): Promise<void> {
  await w.store.db.transaction().execute(async (trx) => {
    for (const row of w.initial) {
      if (row.next === null) continue;
      await trx
        .updateTable('schedules')
        .set({ next_run_at: next(row) })
        .where('id', '=', row.id)
        .execute();
    }
  });
}
