/**
 * What restore drills add to backups: a customer's web root (2,000 files, about 100 MB) and a
 * MariaDB database (50,000 rows) backed up by the service's own jobs; per iteration 2% of the
 * files change, a backup runs (the usual incremental one), then a drill of its snapshot at the
 * default sample (20 files, every dump imported and checksummed). The row's ratio is the backup
 * plus the drill's share at the default rate (DEFAULT_DRILL_POLICY.afterBackupRate) against the backup
 * alone. Target: at most 1.10. A second row gives one drill against one backup, unweighted.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { runSql } from '../../src/database/client.js';
import { DEFAULT_DRILL_POLICY } from '../../src/drill/drill-policy.js';
import { queueDrill } from '../../src/drill/drill-planner.js';
import type { JobRow } from '../../src/store/index.js';
import { mulberry32 } from '../data.js';
import { median, waitForQuiet, type Sample, type StandaloneCase } from '../harness.js';

const FILES = 2_000;
const BYTES = 100_000_000;
const ROWS = 50_000;
const ITERATIONS = 3;
const CHANGED = 0.02;
const TARGET = { on: 'ratio', op: '<=', value: 1.1 } as const;
const instance = `b${randomBytes(3).toString('hex')}`;
const customerId = `hvbench-drill-${randomBytes(2).toString('hex')}`;
const database = `hvbench_drill_${randomBytes(3).toString('hex')}`;

interface World {
  app: App;
  scheduleId: number;
  web: string;
  sizes: number[];
}
let world: Promise<World> | undefined;

export const drillCost: StandaloneCase = {
  name: 'drill',
  standalone: true,
  async run(ctx) {
    world ??= build(ctx.workDir, ctx.log);
    const w = await world;
    if (ctx.round === ctx.rounds - 1)
      ctx.defer(async () => {
        await w.app.close();
        await runSql({ instance }, `DROP DATABASE IF EXISTS \`${database}\`;`);
        const users = await runSql(
          { instance },
          `SELECT User, Host FROM mysql.user WHERE User LIKE 'hv\\_${instance}\\_%';`,
        );
        for (const [user, host] of users)
          await runSql({ instance }, `DROP USER IF EXISTS '${user}'@'${host}';`);
      });
    const random = mulberry32(1000 + ctx.round);
    const backups: number[] = [];
    const drills: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      for (let f = 0; f < FILES * CHANGED; f++) {
        const n = Math.floor(random() * FILES);
        writeFileSync(fileOf(w.web, n), randomBytes(w.sizes[n]!));
      }
      await runSql(
        { instance },
        `UPDATE \`${database}\`.orders SET note = '${randomBytes(4).toString('hex')}' WHERE id % 50 = ${i};`,
      );
      await waitForQuiet(ctx);
      let t = performance.now();
      const { jobId } = await w.app.schedules.runNow({ role: 'admin' }, w.scheduleId);
      w.app.worker.notify();
      const backup = await finished(w.app, jobId);
      backups.push(performance.now() - t);
      const snapshot = await w.app.store.db
        .selectFrom('snapshots')
        .selectAll()
        .where('schedule_id', '=', w.scheduleId)
        .orderBy('time', 'desc')
        .executeTakeFirstOrThrow();
      if (!snapshot.id.startsWith(backup.snapshot_id ?? '-')) throw new Error('drill: snapshot');
      await waitForQuiet(ctx);
      t = performance.now();
      const id = await queueDrill(
        { jobs: w.app.jobs },
        {
          snapshotId: snapshot.id,
          repositoryId: snapshot.repository_id,
          customerId,
          reason: 'manual',
        },
      );
      w.app.worker.notify();
      const drill = await finished(w.app, id!);
      drills.push(performance.now() - t);
      if (drill.status !== 'successful') throw new Error(`drill failed: ${drill.error}`);
    }
    const rate = DEFAULT_DRILL_POLICY.afterBackupRate;
    const b = median(backups) / 1000;
    const d = median(drills) / 1000;
    ctx.log(
      `drill: backups ${backups.map((x) => (x / 1000).toFixed(2)).join(', ')} s; drills ${drills.map((x) => (x / 1000).toFixed(2)).join(', ')} s`,
    );
    return [
      {
        case: `backup with drills at the default rate (${rate})`,
        measured: b + rate * d,
        baseline: b,
        unit: 's',
        target: TARGET,
        notes: `incremental backup of ${FILES} files / ${BYTES / 1e6} MB (${CHANGED * 100}% changed) + ${ROWS} rows; drill ${d.toFixed(2)} s × ${rate}; medians of ${ITERATIONS}`,
      },
      {
        case: 'one drill against one backup',
        measured: d,
        baseline: b,
        unit: 's',
        notes: `sample of ${DEFAULT_DRILL_POLICY.sampleFiles} files, the database imported and checksummed; the weekly drill adds this once per week per repository (1/7 of it per backup when backed up daily); informational`,
      },
    ] satisfies Sample[];
  },
};

function fileOf(web: string, n: number): string {
  return join(web, `d${n % 40}`, `f${n}.dat`);
}

async function finished(app: App, jobId: number): Promise<JobRow> {
  for (;;) {
    const job = await app.jobs.get(jobId);
    if (job && !['pending', 'running'].includes(job.status)) {
      if (job.status !== 'successful' && job.type === 'backup')
        throw new Error(`backup failed: ${job.error}`);
      return job;
    }
    await sleep(20);
  }
}

async function build(workDir: string, log: (line: string) => void): Promise<World> {
  const started = performance.now();
  const dir = join(workDir, 'drill');
  const web = join(dir, 'www');
  const random = mulberry32(7);
  const sizes = Array.from({ length: FILES }, () => Math.floor(random() * ((2 * BYTES) / FILES)));
  for (let n = 0; n < FILES; n++) {
    mkdirSync(join(web, `d${n % 40}`), { recursive: true });
    writeFileSync(fileOf(web, n), randomBytes(sizes[n]!));
  }
  await runSql(
    { instance },
    `CREATE DATABASE \`${database}\`;
     CREATE TABLE \`${database}\`.orders (id INT PRIMARY KEY, item VARCHAR(60), note VARCHAR(20)) ENGINE=InnoDB;
     INSERT INTO \`${database}\`.orders SELECT seq, CONCAT('item ', seq, ' ', MD5(seq)), 'new' FROM \`${database}\`.seq_1_to_${ROWS};`,
  );
  const app = await openApp(
    loadConfig({
      HOSTVAULT_DATA_DIR: join(dir, 'data'),
      HOSTVAULT_KEY_FILE: join(dir, 'keys/master.key'),
      HOSTVAULT_INSTANCE_ID: instance,
      // The bench queues each drill itself, right after its backup.
      HOSTVAULT_DRILL_RATE: '0',
    }),
    { log: () => undefined },
  );
  await app.inventory.importInventory({
    packages: [
      { id: 'bench', name: 'Bench', frequencies: ['daily'], maxRetention: 50, maxSchedules: 2 },
    ],
    customers: [
      {
        id: customerId,
        name: 'Bench',
        linuxUser: 'bench',
        uid: 2000,
        gid: 2000,
        packageId: 'bench',
        webRoot: web,
        databases: [database],
      },
    ],
  });
  const schedule = await app.schedules.create({ role: 'admin' }, customerId, {
    name: 'Bench',
    scope: 'full',
    frequency: 'daily',
    retention: 50,
    target: { kind: 'local', path: join(dir, 'repos') },
  });
  app.worker.start();
  const { jobId } = await app.schedules.runNow({ role: 'admin' }, schedule.id);
  app.worker.notify();
  await finished(app, jobId);
  log(
    `drill: ${FILES} files and ${ROWS} rows, first backup done in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { app, scheduleId: schedule.id, web, sizes };
}
