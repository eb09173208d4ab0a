/**
 * Fault drill: the service is killed with `kill -9` in the middle of a web restore, at four
 * moments: while restic fills the staging directory, as soon as the journal records the commit,
 * as soon as the swap moves the live web root, and between the swap and the safety snapshot of
 * the old tree (which recovery must then make, restorable to the old tree byte for byte). Each time its restic must not go on alone,
 * the job must read as interrupted ("left as it was") after a restart if the restore had not
 * committed, and as successful if recovery completed it, and recovery must leave the web root
 * exactly as before the restore (killed before the commit point) or exactly as in the snapshot
 * (after it), with no staging directory or journal left. A restore afterwards must succeed and
 * the repository must check clean.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, watch } from 'node:fs';
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { processesMentioning } from '../support/expect.js';
import {
  ADMIN_PASSWORD,
  assertRepositoryClean,
  prepareCustomer,
  serviceEnv,
  session,
  snapshotTags,
  startServe,
} from '../support/service-process.js';
import { readTree, type TreeEntry } from '../support/tree.js';

const BIG_FILES = 32;
const BIG_SIZE = 4 * 1024 * 1024;
const SMALL_DIRS = 12;
const SMALL_PER_DIR = 25;
const STAGING_PREFIX = '.hostvault-restore-';

type Call = Awaited<ReturnType<typeof session>>;
type Journal = { state: 'staging' | 'committed' | 'swapped' | 'cleanup' };
interface Running {
  child: ChildProcess;
  call: Call;
  /** The provider's session: the raw log, with the server's paths, is theirs to read. */
  admin: Call;
}
/** Every entry below the web root (content digest, mode, owner, mtime) and the root's mode. */
interface State {
  rootMode: number;
  entries: TreeEntry[];
}

let work: string;
let web: string;
let dataDir: string;
let journalDir: string;
let repoDir: string;
let env: NodeJS.ProcessEnv;
let service: Running | undefined;
let snapshotUrl: string;
let scheduleId: number;
let snapshotState: State;
/** The live web root before the restore under test. */
let liveState: State;

async function makeWebRoot(): Promise<void> {
  await mkdir(join(web, 'media'), { recursive: true });
  for (let i = 0; i < BIG_FILES; i++)
    await writeFile(join(web, `media/big-${i}.bin`), randomBytes(BIG_SIZE));
  const modes = [0o644, 0o600, 0o640, 0o755, 0o444];
  for (let d = 0; d < SMALL_DIRS; d++) {
    const dir = join(web, `site/dir-${d}`);
    await mkdir(dir, { recursive: true });
    for (let f = 0; f < SMALL_PER_DIR; f++) {
      const file = join(dir, `page-${f}.html`);
      await writeFile(file, `<p>${d}/${f} ${randomBytes(16 + f * 7).toString('hex')}</p>\n`);
      await chmod(file, modes[(d + f) % modes.length]!);
      if (f % 7 === 0) await chown(file, 3000, 3000);
      const when = new Date(Date.UTC(2024, d, 1 + f, f % 24, d));
      await utimes(file, when, when);
    }
  }
  await chmod(join(web, 'site/dir-3'), 0o750);
  await chmod(web, 0o751);
}

/** Edits, removes and adds files, and changes a mode: the web root then differs from the snapshot. */
async function changeWebRoot(): Promise<void> {
  for (let i = 0; i < 5; i++)
    await writeFile(join(web, `site/dir-${i}/page-${i}.html`), randomBytes(40).toString('hex'));
  for (let i = 0; i < 5; i++) await rm(join(web, `site/dir-${i + 5}/page-${i + 10}.html`));
  await writeFile(join(web, 'media/big-0.bin'), randomBytes(BIG_SIZE));
  await rm(join(web, 'media/big-1.bin'));
  await mkdir(join(web, 'site/new-dir'), { recursive: true });
  await writeFile(join(web, 'site/new-dir/new.txt'), randomBytes(40).toString('hex'));
  await chmod(join(web, 'site/dir-2/page-3.html'), 0o604);
}

async function readState(): Promise<State> {
  return { rootMode: (await stat(web)).mode & 0o7777, entries: await readTree(web) };
}

function isState(actual: State, expected: State): boolean {
  try {
    assert.deepStrictEqual(actual, expected);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => T | Promise<T>, ms: number, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

async function finished(call: Call, id: number): Promise<any> {
  return until(
    `job ${id} to finish`,
    async () => {
      const job = await call('GET', `/api/jobs/${id}`);
      return job.status !== 'pending' && job.status !== 'running' ? job : undefined;
    },
    120_000,
    200,
  );
}

async function start(): Promise<Running> {
  const { child, url } = await startServe(env);
  service = {
    child,
    call: await session(url, 'dora', 'dora-password-1'),
    admin: await session(url, 'admin', ADMIN_PASSWORD),
  };
  return service;
}

/** The service left running by the previous step, or a fresh one if that step failed. */
async function current(): Promise<Running> {
  return service ?? start();
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

function journals(): string[] {
  return existsSync(journalDir) ? readdirSync(journalDir) : [];
}

function journalStates(): string[] {
  const states: string[] = [];
  for (const name of journals().filter((n) => n.endsWith('.json'))) {
    try {
      states.push((JSON.parse(readFileSync(join(journalDir, name), 'utf8')) as Journal).state);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return states;
}

function stagingOf(jobId: number): string {
  return join(work, `${STAGING_PREFIX}${jobId}-1`);
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => []))
    n += entry.isDirectory() ? await countFiles(join(dir, entry.name)) : 1;
  return n;
}

/** Makes the web root differ from the snapshot (unless it does already), then restores it. */
async function startRestore(call: Call): Promise<number> {
  if (isState(liveState, snapshotState)) {
    await changeWebRoot();
    liveState = await readState();
    assert.ok(!isState(liveState, snapshotState));
  }
  const { jobId } = await call('POST', `/api/snapshots/${snapshotUrl}/restore`, { what: 'web' });
  assert.ok(jobId, 'restore queued');
  return jobId as number;
}

/** Not only restic: any process whose command line mentions `needle` (e.g. `sync`). */
function anyProcessMentioning(needle: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(needle) && !/^\s*\d+\s+Z/.test(l));
}

/** Kills the service; nothing it started may outlive it. Returns the journal state it left. */
async function kill9(running: Running): Promise<string> {
  running.child.kill('SIGKILL');
  if (running.child.exitCode === null && running.child.signalCode === null)
    await once(running.child, 'exit');
  service = undefined;
  for (let i = 0; i < 50 && anyProcessMentioning(work).length > 0; i++) await sleep(100);
  assert.deepEqual(processesMentioning(repoDir), [], 'restic ends with the service (pdeathsig)');
  assert.deepEqual(anyProcessMentioning(work), [], 'nothing started for the restore runs on');
  const states = journalStates();
  assert.equal(states.length, 1, `one restore journal at the kill: ${journals().join(', ')}`);
  return states[0]!;
}

/**
 * Sends SIGKILL from a watch callback on `dir` the moment `hit` says so: a fixed point of the
 * restore, reached within the few milliseconds that the service needs for its next steps.
 */
async function killWhen(running: Running, dir: string, hit: (name: string | null) => boolean) {
  let fired = false;
  const watcher = watch(dir, (_event, name) => {
    if (fired || !hit(name)) return;
    fired = true;
    running.child.kill('SIGKILL');
  });
  try {
    await until('the moment to kill', () => fired || running.child.exitCode !== null, 60_000, 20);
  } finally {
    watcher.close();
  }
  assert.ok(fired, 'the service was still running at the moment to kill');
}

/** Where the interrupted restore stood, from its staging directory. */
async function whereItStood(jobId: number, state: string): Promise<string> {
  const staging = stagingOf(jobId);
  if (state === 'staging') return `${await countFiles(join(staging, 'tree'))} files staged`;
  const old = existsSync(join(staging, 'old/area'));
  const staged = existsSync(join(staging, 'tree', web));
  if (staged && !old) return 'swap not begun';
  if (staged) return 'web root moved away, restored tree not yet in place';
  if (state === 'swapped') return 'swapped, safety snapshot of the old tree not yet made';
  return old ? 'swapped, old tree not yet removed' : 'swapped, old tree removed';
}

/**
 * Kills the service, restarts it and checks the recovery; reports where the restore stood and
 * what recovery made of it. Returns the journal state at the kill.
 */
async function killAndRecover(t: TestContext, running: Running, jobId: number): Promise<string> {
  const state = await kill9(running);
  const stood = await whereItStood(jobId, state);
  const outcome = await restartAndRecover(jobId, state);
  t.diagnostic(
    `at the kill: journal ${state}, ${stood}; after recovery the web root is ${outcome}`,
  );
  return state;
}

/** Nothing of a restore remains next to the web root or in the data directory. */
function assertNoLeftovers(): void {
  assert.deepEqual(readdirSync(work).sort(), ['data', 'master.key', 'www']);
  assert.deepEqual(journals(), [], 'no restore journal left');
  assert.deepEqual(
    readdirSync(dataDir).filter((n) => n === 'staging' || n.startsWith('restore-db-')),
    [],
  );
}

/**
 * Restarts the service after a kill and checks the recovery: the job interrupted, nothing left
 * behind, and the web root exactly as before the restore if the journal was still staging,
 * exactly as in the snapshot if the restore had committed.
 */
async function restartAndRecover(jobId: number, journalState: string): Promise<string> {
  const { admin } = await start();
  const job = await admin('GET', `/api/jobs/${jobId}`);
  if (journalState === 'staging') {
    assert.equal(job.status, 'failed', JSON.stringify(job));
    assert.match(job.error, /Interrupted: the service stopped/);
    assert.ok(job.error.includes(`${web} was left as it was before the restore.`), job.error);
  } else {
    // The web root was the job's only area: recovery finished all the job was asked to do.
    assert.equal(job.status, 'successful', JSON.stringify(job));
    assert.equal(job.error, null);
    assert.ok(
      job.log.includes(`${web} was restored completely when the service started again.`),
      job.log,
    );
    assert.match(job.log, /Restore completed when the service started again/);
  }
  assertNoLeftovers();
  const live = await readState();
  const observed = isState(live, liveState)
    ? 'as before the restore'
    : isState(live, snapshotState)
      ? 'as in the snapshot'
      : 'a mix';
  const expected = journalState === 'staging' ? liveState : snapshotState;
  assert.deepStrictEqual(live, expected, `web root is ${observed} after a kill in ${journalState}`);
  liveState = live;
  return observed;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-drill-restore-'));
  web = join(work, 'www');
  dataDir = join(work, 'data');
  journalDir = join(dataDir, 'restore-journal');
  repoDir = join(dataDir, 'repositories/dora');
  env = serviceEnv(work);
  await makeWebRoot();
  await prepareCustomer(env, { id: 'dora', uid: 3000, webRoot: web, password: 'dora-password-1' });

  const { call } = await start();
  const schedule = await call('POST', '/api/schedules', {
    name: 'Web',
    scope: 'web',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local' },
  });
  const run = await call('POST', `/api/schedules/${schedule.id}/run`);
  const backup = await finished(call, run.jobId);
  assert.equal(backup.status, 'successful', JSON.stringify(backup));
  snapshotState = await readState();
  // As the Restore tab does: the schedule's snapshots, then a restore of one of them.
  const { snapshots } = await call('GET', `/api/schedules/${schedule.id}/snapshots`);
  assert.equal(snapshots.length, 1, JSON.stringify(snapshots));
  snapshotUrl = `${snapshots[0].repositoryId}/${snapshots[0].id}`;
  scheduleId = schedule.id;
  liveState = snapshotState;
});

after(async () => {
  if (service) await stop(service.child);
  await rm(work, { recursive: true, force: true });
});

test('kill -9 while restic restores into the staging directory', async (t) => {
  const running = await current();
  const jobId = await startRestore(running.call);
  const staging = stagingOf(jobId);
  await until('restic to restore files', async () => (await countFiles(staging)) >= 4, 60_000);
  assert.equal((await running.call('GET', `/api/jobs/${jobId}`)).status, 'running');
  const resticRuns = processesMentioning(repoDir);
  assert.ok(
    resticRuns.some((l) => / restore .*--target /.test(l) && l.includes(staging)),
    `restic restore is running at the kill: ${resticRuns.join('\n')}`,
  );
  // The safety snapshot may run alongside; it must end with the service as well.
  const safety = resticRuns.some((l) => / backup .*--tag safety/.test(l));
  t.diagnostic(`restic restore${safety ? ' and the safety snapshot' : ''} running at the kill`);
  assert.equal(await killAndRecover(t, running, jobId), 'staging');
});

test('kill -9 as soon as the journal records the commit', async (t) => {
  const running = await current();
  const jobId = await startRestore(running.call);
  // The journal directory exists once the staging directory does.
  await until('the staging directory', () => existsSync(stagingOf(jobId)), 60_000);
  await killWhen(running, journalDir, () => journalStates().some((s) => s !== 'staging'));
  assert.notEqual(await killAndRecover(t, running, jobId), 'staging');
});

test('kill -9 as soon as the swap moves the web root', async (t) => {
  const running = await current();
  const jobId = await startRestore(running.call);
  // Only a rename of the web root past the commit point is the swap.
  await killWhen(running, work, (name) => name === 'www' && !journalStates().includes('staging'));
  assert.notEqual(await killAndRecover(t, running, jobId), 'staging');
});

test('kill -9 between the swap and the safety snapshot of the old tree', async (t) => {
  const running = await current();
  const jobId = await startRestore(running.call);
  const previous = liveState;
  // The journal says "swapped" once the web root is restored and before its old tree is saved.
  await until('the staging directory', () => existsSync(stagingOf(jobId)), 60_000);
  await killWhen(running, journalDir, () => journalStates().includes('swapped'));
  assert.equal(await killAndRecover(t, running, jobId), 'swapped');

  // Recovery saved the old tree before removing it: the job names the safety snapshot, tagged
  // safety and for the job, and restoring it gives the web root before the restore, byte for byte.
  const { call, admin } = await current();
  const job = await admin('GET', `/api/jobs/${jobId}`);
  const short = /Its previous content is in safety snapshot ([0-9a-f]{8})/.exec(job.log)?.[1];
  assert.ok(short, job.log);
  const { snapshots } = await call('GET', `/api/schedules/${scheduleId}/snapshots`);
  const safety = (snapshots as { id: string; repositoryId: number; kind: string }[]).find((s) =>
    s.id.startsWith(short),
  );
  assert.ok(safety, `safety snapshot ${short} is in the schedule's list`);
  assert.equal(safety.kind, 'safety');
  // restic's own tags, read with the service stopped (it holds the repository's password).
  await stop(service!.child);
  service = undefined;
  const tagged = await snapshotTags(env, 'dora', ['safety', `job=${jobId}`]);
  assert.ok(
    [...tagged.keys()].some((id) => id.startsWith(safety.id) || safety.id.startsWith(id)),
    `${safety.id} tagged safety,job=${jobId}: ${[...tagged.keys()].join(', ')}`,
  );
  const { call: again } = await current();
  const undo = await again('POST', `/api/snapshots/${safety.repositoryId}/${safety.id}/restore`, {
    what: 'web',
  });
  const undone = await finished(again, undo.jobId);
  assert.equal(undone.status, 'successful', JSON.stringify(undone));
  assert.deepStrictEqual(await readState(), previous, 'the safety snapshot holds the old tree');
  liveState = previous;
  await until('the previous content removed', () => readdirSync(work).length === 3, 30_000);
});

test('afterwards a restore succeeds and the repository checks clean', async () => {
  const { call, child } = await current();
  const jobId = await startRestore(call);
  const job = await finished(call, jobId);
  assert.equal(job.status, 'successful', JSON.stringify(job));
  assert.deepStrictEqual(await readState(), snapshotState);
  // The previous content is removed after the job has answered, and its journal last of all.
  await until(
    'the previous content and the journal removed',
    () => readdirSync(work).length === 3 && journals().length === 0,
    30_000,
  );
  assertNoLeftovers();
  await stop(child);
  service = undefined;
  assert.deepEqual(anyProcessMentioning(work), []);

  await assertRepositoryClean(env, 'dora');
});
