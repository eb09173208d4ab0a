/**
 * Fault drill: the service is killed with `kill -9` while a maintenance prune runs. Its restic
 * must not go on alone, the prune job must read as interrupted after a restart, a new prune must
 * succeed and the repository must check clean.
 *
 * The repository gets work for prune: 200 MB of random files backed up, a quarter of every file
 * rewritten and backed up again with retention 1, so the first snapshot is forgotten and its
 * packs are partly unused (repacked, not only deleted). The service's maintenance planner, which
 * runs once at start, queues the prune (the repository was never pruned).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { targetSchema } from '../../src/target/schema.js';
import { processesMentioning } from '../support/expect.js';
import {
  ADMIN_PASSWORD,
  prepareCustomer,
  serviceEnv,
  session,
  startServe,
} from '../support/service-process.js';

// Fewer files than the mass-change guard's minimum (src/agent/mass-change.ts, 50): rewriting a
// quarter of each with random bytes would otherwise read as ransomware, and a flagged backup
// withholds the retention this drill needs.
const FILES = 40;
const FILE_SIZE = 5 * 1024 * 1024;
let work: string;
let web: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-drill-prune-'));
  env = serviceEnv(work);
  web = join(work, 'www');
  await mkdir(web, { recursive: true });
  for (let i = 0; i < FILES; i++)
    await writeFile(join(web, `media-${i}.bin`), randomBytes(FILE_SIZE));
  await prepareCustomer(env, { id: 'pia', uid: 3100, webRoot: web, password: 'pia-password-12' });
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

type Call = Awaited<ReturnType<typeof session>>;

async function finished(call: Call, id: number, tries = 1200): Promise<any> {
  let job: any;
  for (let i = 0; i < tries; i++) {
    job = await call('GET', `/api/jobs/${id}`);
    if (job.status !== 'pending' && job.status !== 'running') return job;
    await sleep(200);
  }
  throw new Error(`job ${id} did not finish: ${JSON.stringify(job)}`);
}

async function prunes(admin: Call): Promise<any[]> {
  const list = await admin('GET', '/api/jobs?type=maintenance&limit=100');
  return (list.jobs as any[]).filter((j) => j.scheduleName === 'Prune unused data');
}

test('kill -9 of the service during a prune: nothing runs on, the job reads as interrupted, the next prune succeeds', async () => {
  const repoDir = join(work, 'data/repositories/pia');
  const first = await startServe(env);
  let scheduleId: number;
  try {
    const call = await session(first.url, 'pia', 'pia-password-12');
    const schedule = await call('POST', '/api/schedules', {
      name: 'Web',
      scope: 'web',
      frequency: 'daily',
      retention: 1,
      target: { kind: 'local' },
    });
    scheduleId = schedule.id;
    const one = await call('POST', `/api/schedules/${scheduleId}/run`);
    assert.equal((await finished(call, one.jobId)).status, 'successful');
    // A quarter of every file changes: the first snapshot's packs become partly unused.
    for (let i = 0; i < FILES; i++) {
      const file = await open(join(web, `media-${i}.bin`), 'r+');
      await file.write(randomBytes(FILE_SIZE / 4), 0, FILE_SIZE / 4, (i % 4) * (FILE_SIZE / 4));
      await file.close();
    }
    const two = await call('POST', `/api/schedules/${scheduleId}/run`);
    const second = await finished(call, two.jobId);
    assert.equal(second.status, 'successful', JSON.stringify(second));
    // Retention is the provider's line of the log, with the repository's words.
    const raw = await (
      await session(first.url, 'admin', ADMIN_PASSWORD)
    )('GET', `/api/jobs/${two.jobId}`);
    assert.match(raw.log, /forgot 1 snapshot/);
  } finally {
    await stop(first.child);
  }

  // A repository's first prune is due a week after it was made: age it, so the planner queues a
  // prune of the never-pruned repository at start; kill -9 while restic prunes.
  const setup = await openApp(loadConfig(env));
  try {
    await setup.store.db
      .updateTable('repositories')
      .set({ initialized_at: new Date(Date.now() - 8 * 86_400_000).toISOString() })
      .execute();
  } finally {
    await setup.close();
  }
  const victim = await startServe(env);
  let pruneId: number | undefined;
  try {
    const admin = await session(victim.url, 'admin', ADMIN_PASSWORD);
    for (let i = 0; i < 1500; i++) {
      const running = (await prunes(admin)).find((j) => j.status === 'running');
      if (running && processesMentioning(repoDir).some((l) => / prune/.test(l))) {
        pruneId = running.id as number;
        break;
      }
      await sleep(20);
    }
    assert.ok(pruneId, `no prune seen running: ${JSON.stringify(await prunes(admin))}`);
  } finally {
    victim.child.kill('SIGKILL');
    await once(victim.child, 'exit');
  }
  for (let i = 0; i < 50 && processesMentioning(repoDir).length > 0; i++) await sleep(100);
  assert.deepEqual(processesMentioning(repoDir), [], 'restic ends with the service (pdeathsig)');

  const third = await startServe(env);
  try {
    const admin = await session(third.url, 'admin', ADMIN_PASSWORD);
    const interrupted = await admin('GET', `/api/jobs/${pruneId}`);
    assert.equal(interrupted.status, 'failed', JSON.stringify(interrupted));
    assert.match(interrupted.error, /Interrupted: the service stopped/);
    // The repository is still not pruned: the planner at this start queued a new prune.
    let next: any;
    for (let i = 0; i < 100 && !next; i++) {
      next = (await prunes(admin)).find((j) => j.id > pruneId!);
      if (!next) await sleep(100);
    }
    assert.ok(next, 'a new prune is queued at restart');
    const done = await finished(admin, next.id);
    assert.equal(done.status, 'successful', JSON.stringify(done));
  } finally {
    await stop(third.child);
  }
  assert.deepEqual(processesMentioning(repoDir), []);

  const app = await openApp(loadConfig(env));
  try {
    const repo = await app.store.db
      .selectFrom('repositories')
      .selectAll()
      .where('url', 'like', '%pia%')
      .executeTakeFirstOrThrow();
    assert.ok(repo.last_prune_at, 'the successful prune is recorded');
    await app.repositories.withRepository(
      targetSchema.parse({ kind: 'local', path: join(work, 'data/repositories') }),
      'pia',
      async (r) => {
        await app.restic.check(r.location, { readDataSubset: '100%' });
        assert.deepEqual(await app.restic.locks(r.location), []);
        assert.equal((await app.restic.snapshots(r.location)).length, 1);
      },
    );
  } finally {
    await app.close();
  }
});
