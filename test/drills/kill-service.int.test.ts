/**
 * Fault drill: the service is killed with `kill -9` in the middle of a backup. Its restic must
 * not go on alone, the job must read as interrupted after a restart, the next backup must
 * succeed and the repository must check clean.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { processesMentioning } from '../support/expect.js';
import {
  assertRepositoryClean,
  prepareCustomer,
  serviceEnv,
  session,
  startServe,
} from '../support/service-process.js';

let work: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-drill-'));
  env = serviceEnv(work);
  const web = join(work, 'www');
  await mkdir(web, { recursive: true });
  for (let i = 0; i < 60; i++)
    await writeFile(join(web, `media-${i}.bin`), randomBytes(4 * 1024 * 1024));
  await prepareCustomer(env, { id: 'dora', uid: 3000, webRoot: web, password: 'dora-password-1' });
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('kill -9 of the service during a backup: nothing runs on, the job reads as interrupted, the next backup succeeds', async () => {
  const first = await startServe(env);
  let call = await session(first.url, 'dora', 'dora-password-1');
  const schedule = await call('POST', '/api/schedules', {
    name: 'Web',
    scope: 'web',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local' },
  });
  const run = await call('POST', `/api/schedules/${schedule.id}/run`);
  for (let i = 0; i < 300; i++) {
    const job = await call('GET', `/api/jobs/${run.jobId}`);
    if (job.status === 'running' && job.progress?.bytesDone > 0) break;
    await sleep(100);
  }
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  const repoDir = join(work, 'data/repositories/dora');
  for (let i = 0; i < 50 && processesMentioning(repoDir).length > 0; i++) await sleep(100);
  assert.deepEqual(processesMentioning(repoDir), [], 'restic ends with the service (pdeathsig)');

  const second = await startServe(env);
  try {
    call = await session(second.url, 'dora', 'dora-password-1');
    const interrupted = await call('GET', `/api/jobs/${run.jobId}`);
    assert.equal(interrupted.status, 'failed');
    assert.match(interrupted.error, /Interrupted: the service stopped/);
    const again = await call('POST', `/api/schedules/${schedule.id}/run`);
    let job: any;
    for (let i = 0; i < 600; i++) {
      job = await call('GET', `/api/jobs/${again.jobId}`);
      if (job.status !== 'pending' && job.status !== 'running') break;
      await sleep(200);
    }
    assert.equal(job.status, 'successful', JSON.stringify(job));
  } finally {
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
  }
  await assertRepositoryClean(env, 'dora');
});
