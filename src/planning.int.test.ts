/**
 * Two controllers' planners in two real processes against one PostgreSQL database: the one that
 * holds the planner lease is killed with kill -9, the other takes over within 30 s, and every
 * slot of every schedule is started exactly once, none skipped. The lease is shortened for the
 * test (HOSTVAULT_PLANNER_LEASE_MS=3000) and the schedules' clock runs 240 times faster (a tick
 * every 125 ms is the service's 30 s), so three hours of hourly slots pass in 45 s.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import { openStore, type Store } from './store/index.js';
import { customerScheduleRows } from '../test/support/schedule-rows.js';
import { nodeArgsFor } from '../test/support/cli.js';
import { nextRun, scheduleStartMinute } from './schedule/next-run.js';

const CHILD = fileURLToPath(new URL('../test/support/planner-child.fixture.ts', import.meta.url));
const URL_ =
  process.env.HOSTVAULT_TEST_STORE_URL ??
  'postgresql://root@localhost/postgres?host=/var/run/postgresql';
const SPEED = 240;
const SIM_START = Date.parse('2025-03-10T00:00:00Z');

let store: Store | undefined;
const children: ChildProcess[] = [];
after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (store) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
  await store?.close();
});
const schema = `hvt_${randomBytes(6).toString('hex')}`;

interface Line {
  holder: string;
  msg?: string;
  at?: number;
  ready?: boolean;
  stoppedAt?: string;
  tickedAt?: string;
  error?: string;
}

function start(holder: string, realStart: number) {
  const child = spawn(
    process.execPath,
    [
      ...nodeArgsFor(CHILD),
      JSON.stringify({
        url: URL_,
        schema,
        holder,
        realStart,
        simStart: SIM_START,
        speed: SPEED,
        tickEveryMs: 125,
      }),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, HOSTVAULT_PLANNER_LEASE_MS: '3000' },
    },
  );
  children.push(child);
  const lines: Line[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    lines.push(JSON.parse(text) as Line);
    for (const wake of waiters.splice(0)) wake();
  });
  const until = async (match: (line: Line) => boolean, ms: number): Promise<Line> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = lines.find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`${holder}: no such line in ${ms} ms: ${JSON.stringify(lines)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  return { child, lines, until, holder };
}

test(
  'kill -9 of the planning controller: the other plans within 30 s, each slot runs once',
  { timeout: 180_000 },
  async () => {
    store = await openStore({ url: URL_, schema, poolSize: 2 });
    // 60 customers' hourly schedules and 30 daily ones at the default 02:00, at their minutes.
    const rows = customerScheduleRows({ hourly: 60, daily: 30 }, new Date(SIM_START));
    await store.db.insertInto('schedules').values(rows).execute();

    const realStart = Date.now() + 3_000; // both children up before the simulated day begins
    const a = start('a', realStart);
    const b = start('b', realStart);
    await Promise.all([
      a.until((l) => l.ready === true, 30_000),
      b.until((l) => l.ready === true, 30_000),
    ]);
    const plans = (l: Line) => l.msg?.startsWith('planner: this process plans') === true;
    const first = await Promise.race([a.until(plans, 30_000), b.until(plans, 30_000)]);
    const [leader, standBy] = first.holder === 'a' ? [a, b] : [b, a];
    assert.equal(standBy.lines.some(plans), false, 'one planner at a time');

    // Let the leader plan for a simulated hour and a half, then kill it without warning.
    await new Promise((resolve) => setTimeout(resolve, realStart - Date.now() + 22_500));
    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    const took = await standBy.until(plans, 30_000);
    const handover = took.at! - killedAt;
    assert.ok(handover <= 30_000, `took over after ${handover} ms`);

    // Another simulated hour and a half, then a clean stop.
    await new Promise((resolve) => setTimeout(resolve, 22_500));
    standBy.child.kill('SIGTERM');
    const stopped = await standBy.until((l) => l.stoppedAt !== undefined, 30_000);
    const stopSim = Date.parse(stopped.stoppedAt!);
    assert.ok(stopped.tickedAt, 'the stand-by still planned when it stopped');
    const tickedSim = Date.parse(stopped.tickedAt);
    const errors = [...a.lines, ...b.lines].filter((l) => l.error);
    assert.deepEqual(errors, []);

    const made = await store.db
      .selectFrom('jobs')
      .select(['schedule_id', 'slot'])
      .orderBy('id')
      .execute();
    let slotsChecked = 0;
    for (const row of rows) {
      const timing = {
        frequency: row.frequency,
        hour: 2,
        minute: scheduleStartMinute({ id: row.id, customerId: row.customer_id }),
      };
      const slots = made.filter((j) => j.schedule_id === row.id).map((j) => j.slot!);
      // Every slot up to the stand-by's last tick, in order, once; none after its stop.
      const expected: string[] = [];
      for (let t = new Date(row.next_run_at); t.getTime() <= stopSim; t = nextRun(timing, t))
        expected.push(t.toISOString());
      const sure = expected.filter((slot) => Date.parse(slot) <= tickedSim);
      assert.deepEqual(slots.slice(0, sure.length), sure, `schedule ${row.id}`);
      assert.deepEqual(slots, expected.slice(0, slots.length), `schedule ${row.id}: nothing after`);
      slotsChecked += sure.length;
    }
    // Three simulated hours: about three slots per hourly schedule, one per daily one.
    assert.ok(slotsChecked >= 60 * 2 + 30, `${slotsChecked} slots`);
    console.log(
      `handover after ${handover} ms; ${made.length} jobs, ${slotsChecked} slots checked`,
    );
  },
);
