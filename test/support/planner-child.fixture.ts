/**
 * One controller's planner for src/planning.int.test.ts: startPlanning on a PostgreSQL store
 * shared with another such process, the lease on real time (HOSTVAULT_PLANNER_LEASE_MS), the
 * scheduler on a clock that runs `speed` times faster from `simStart`, so hours of hourly slots
 * pass in seconds. A worker finishes each job at once, so a slot's job is long done when a
 * planner that took over looks at the slot. Prints one JSON line per log line and per tick time.
 */
import { JobStore } from '../../src/job/job-store.js';
import { loadConfig } from '../../src/config.js';
import { startPlanning } from '../../src/planning.js';
import { Keyring } from '../../src/repository/keyring.js';
import { ScheduleService } from '../../src/schedule/schedule-service.js';
import { openStore } from '../../src/store/index.js';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  schema: string;
  holder: string;
  realStart: number;
  simStart: number;
  speed: number;
  tickEveryMs: number;
};
const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const clock = {
  now: () => new Date(args.simStart + (Date.now() - args.realStart) * args.speed),
};
const store = await openStore({ url: args.url, schema: args.schema, poolSize: 3 });
const jobs = new JobStore(store, clock.now);
const schedules = new ScheduleService({
  store,
  keyring: new Keyring(Buffer.alloc(32, 7)),
  customers: { getCustomer: async () => undefined, getPackage: async () => undefined },
  jobs,
  localRepositoryDir: '/var/backups/hostvault',
  now: clock.now,
});
const planning = startPlanning({
  store,
  schedules,
  jobs,
  log: (msg) => print({ holder: args.holder, msg, at: Date.now() }),
  lease: { ttlMs: loadConfig().plannerLeaseMs, holder: args.holder },
  clock,
  tickEveryMs: args.tickEveryMs,
});
const worker = setInterval(() => {
  void (async () => {
    for (let job = await jobs.claimNext(); job; job = await jobs.claimNext())
      await jobs.finish(job.id, { status: 'successful' });
  })().catch((error: unknown) => print({ holder: args.holder, error: String(error) }));
}, 50);
// Stopping: one more tick first, after any in flight, so every slot due by its time is started;
// on a busy machine the last timed tick can lie many simulated minutes back. The test expects
// every slot up to `tickedAt`, and none after `stoppedAt`.
process.on('SIGTERM', () => {
  clearInterval(worker);
  void planning.scheduler
    .tick()
    .then(() => planning.scheduler.tick())
    .then(async (last) => {
      await planning.stop();
      print({
        holder: args.holder,
        tickedAt: last.planned ? last.at.toISOString() : undefined,
        stoppedAt: clock.now().toISOString(),
      });
    })
    .then(() => store.close())
    .then(() => process.exit(0));
});
print({ holder: args.holder, ready: true });
