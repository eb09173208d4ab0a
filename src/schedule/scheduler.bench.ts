/**
 * How long a scheduler tick takes with 10,000 schedules in SQLite (target: ≤ 50 ms).
 *
 *   node --import tsx src/schedule/scheduler.bench.ts
 *
 * Scenarios, each on an in-memory database and on a file in WAL mode with synchronous=FULL (as
 * the service's store opens it):
 * - steady: schedules spread over the week (every frequency, hours 0–23, default hour 2 weighted),
 *   one tick every 30 s for 24 hours of fake time; each tick finds and starts what is due then.
 * - idle: findDue when nothing is due (the usual tick).
 * - all due: every one of the 10,000 due at once (after downtime, or everyone on daily 02:00):
 *   findDue in batches of 500, an enqueue per schedule and one markStartedMany transaction per
 *   batch.
 * The enqueue is a no-op answering 'queued': this measures the scheduler and its store, not jobs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import { FREQUENCIES } from '../inventory/schema.js';
import { nextRun } from './next-run.js';
import { Scheduler, type Clock } from './scheduler.js';
import { createSchedulesTable, SqliteScheduleStore } from './sqlite-store.js';

const COUNT = 10_000;
const START = Date.parse('2025-03-10T00:00:10Z');

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function open(kind: 'memory' | 'file'): { db: BetterSqlite3.Database; cleanup: () => void } {
  if (kind === 'memory') {
    const db = new BetterSqlite3(':memory:');
    return { db, cleanup: () => db.close() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'hv-sched-bench-'));
  const db = new BetterSqlite3(join(dir, 'store.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return {
    db,
    cleanup: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function fill(db: BetterSqlite3.Database, nextRunAt: (i: number) => Date | undefined): void {
  createSchedulesTable(db);
  const rnd = random(42);
  const insert = db.prepare(
    'insert into schedules (enabled, frequency, hour, day, next_run_at) values (?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let i = 0; i < COUNT; i++) {
      const frequency = FREQUENCIES[Math.floor(rnd() * 4)] ?? 'daily';
      const hour = rnd() < 0.5 ? 2 : Math.floor(rnd() * 24);
      const day =
        frequency === 'weekly'
          ? Math.floor(rnd() * 7)
          : frequency === 'monthly'
            ? 1 + Math.floor(rnd() * 31)
            : null;
      const enabled = rnd() < 0.95 ? 1 : 0;
      const at = nextRunAt(i) ?? nextRun({ frequency, hour, day }, new Date(START));
      insert.run(enabled, frequency, hour, day, at.toISOString());
    }
  })();
  db.pragma('optimize');
}

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return `median ${at(0.5).toFixed(3)} ms, p99 ${at(0.99).toFixed(3)} ms, max ${at(1).toFixed(3)} ms`;
}

async function steady(kind: 'memory' | 'file'): Promise<void> {
  const { db, cleanup } = open(kind);
  fill(db, () => undefined);
  let t = START;
  const clock: Clock = { now: () => new Date(t) };
  const scheduler = new Scheduler({
    store: new SqliteScheduleStore(db),
    enqueue: () => 'queued',
    clock,
  });
  const times: number[] = [];
  let started = 0;
  let busiest = 0;
  let busiestMs = 0;
  for (let i = 0; i < 24 * 120; i++) {
    t += 30_000;
    const before = performance.now();
    const report = await scheduler.tick();
    const ms = performance.now() - before;
    times.push(ms);
    started += report.queued.length;
    if (report.queued.length > busiest) [busiest, busiestMs] = [report.queued.length, ms];
  }
  console.log(
    `steady   ${kind.padEnd(6)} ${times.length} ticks over 24 h, ${started} starts (busiest tick: ${busiest} in ${busiestMs.toFixed(1)} ms): ${stats(times)}`,
  );
  cleanup();
}

async function idle(kind: 'memory' | 'file'): Promise<void> {
  const { db, cleanup } = open(kind);
  fill(db, () => undefined);
  const store = new SqliteScheduleStore(db);
  const now = new Date(START);
  const times: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const before = performance.now();
    const due = await store.findDue(now, 500);
    times.push(performance.now() - before);
    if (due.length !== 0) throw new Error('expected nothing due');
  }
  console.log(`idle     ${kind.padEnd(6)} findDue, 0 of ${COUNT} due, 1000 runs: ${stats(times)}`);
  cleanup();
}

async function allDue(kind: 'memory' | 'file'): Promise<void> {
  const times: number[] = [];
  const findTimes: number[] = [];
  for (let round = 0; round < 5; round++) {
    const { db, cleanup } = open(kind);
    fill(db, (i) => new Date(START - 86_400_000 - i * 1000));
    const store = new SqliteScheduleStore(db);
    const now = new Date(START);
    let before = performance.now();
    await store.findDue(now, COUNT);
    findTimes.push(performance.now() - before);
    const scheduler = new Scheduler({ store, enqueue: () => 'queued', clock: { now: () => now } });
    before = performance.now();
    const report = await scheduler.tick();
    times.push(performance.now() - before);
    if (report.queued.length < 9000) {
      throw new Error(`expected ~9,500 starts, got ${report.queued.length}`);
    }
    if ((await scheduler.tick()).queued.length !== 0) throw new Error('started twice');
    cleanup();
  }
  console.log(`all due  ${kind.padEnd(6)} findDue of ~9,500 due (one query): ${stats(findTimes)}`);
  console.log(`all due  ${kind.padEnd(6)} full tick starting ~9,500, 5 rounds: ${stats(times)}`);
}

console.log(
  `Scheduler with ${COUNT} schedules in SQLite (better-sqlite3), Node ${process.version}`,
);
for (const kind of ['memory', 'file'] as const) {
  await idle(kind);
  await steady(kind);
  await allDue(kind);
}
