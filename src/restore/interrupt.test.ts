/**
 * kill -9 at every step of a restore and at random moments, then recovery: the live area must
 * equal either its state before the restore or the restored state, never something between.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstat, readdir, rm, writeFile, unlink, chmod, mkdir, chown } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { recoverInterruptedRestores, restoreArea, restoreFile } from './index.js';
import {
  UID,
  GID,
  makeCustomer,
  makeWorld,
  readArea,
  type AreaState,
  type World,
} from '../../test/support/restore-test-world.js';
import { nodeArgsFor } from '../../test/support/cli.js';

const CHILD = fileURLToPath(
  new URL('../../test/support/restore-child.fixture.ts', import.meta.url),
);
const run = promisify(execFile);

let w: World;
let area: string;
let template: string;
let restored: AreaState;
let kept: AreaState;
/** The area after a single-file restore of index.php from that state. */
let fileRestored: AreaState;
let file: string;
let jobs = 0;
/** Per replace run with a safety snapshot: whether recovery had to make it. */
const outcomeSafety: string[] = [];

/** The area as a safety snapshot holds it, restored into a scratch directory. */
async function savedArea(snapshotId: string): Promise<AreaState> {
  const target = join(w.work, `saved-${snapshotId.slice(0, 8)}`);
  await w.restic.restore(w.repo, snapshotId, { target, include: [area] });
  try {
    return await readArea(join(target, area));
  } finally {
    await rm(target, { recursive: true, force: true });
  }
}

before(async () => {
  const base = await makeWorld('hv-interrupt-');
  // carol's home is root-owned (as chroot SFTP needs), so staging goes right beside the area.
  await makeCustomer(base.work, 'carol', { homeOwnedByRoot: true });
  const backup = await base.restic.backup(base.repo, { paths: [join(base.work, 'srv')] });
  w = { ...base, snapshotId: backup.summary.snapshotId };
  area = w.web('carol');
  restored = await readArea(area);

  // The state before each run: edited, deleted and added files, more entries than a few.
  await writeFile(join(area, 'index.php'), '<?php echo "edited";\n');
  await unlink(join(area, 'wp-config.php'));
  await chmod(join(area, '.htaccess'), 0o600);
  await mkdir(join(area, 'cache/pages'), { recursive: true });
  for (let i = 0; i < 30; i++) await writeFile(join(area, `cache/pages/p${i}.html`), `page ${i}`);
  await writeFile(join(area, 'wp-content/uploads/new.jpg'), 'new upload');
  await chown(join(area, 'wp-content/uploads/new.jpg'), UID, GID);
  template = join(w.work, 'template');
  await mkdir(template);
  await run('cp', ['-a', area, template]);

  // What keep-newer yields from that state, uninterrupted.
  await restoreArea({ ...options('keep-newer', 'reference'), restic: w.restic });
  kept = await readArea(area);
  await reset();
  file = join(area, 'index.php');
  const { mode: _mode, area: _area, ...common } = options('replace', 'reference-file');
  await restoreFile({ ...common, path: file, restic: w.restic });
  fileRestored = await readArea(area);
  await reset();
});

after(async () => {
  if (w) await rm(w.work, { recursive: true, force: true });
});

function options(mode: 'replace' | 'keep-newer', jobId: string) {
  return {
    repo: w.repo,
    snapshotId: w.snapshotId,
    area,
    confinement: [w.home('carol')],
    jobId,
    journalDir: w.journalDir,
    mode,
    safetySnapshot: false,
  };
}

async function reset(): Promise<AreaState> {
  await rm(area, { recursive: true, force: true });
  await run('cp', ['-a', join(template, 'public_html'), w.home('carol')]);
  return readArea(area);
}

interface Outcome {
  steps: string[];
  exited: 'killed' | 'done';
  ms: number;
}

interface KillPlan {
  /** Kill when the child stops at this step (`step` or `step#n`). */
  pauseAt?: string;
  /** Kill this long after the child reports `anchor` (default: its checks passed). */
  killAfterMs?: number;
  anchor?: string;
  safetySnapshot?: boolean;
  /** Restore this one file instead of the area. */
  file?: string;
}

/** Runs a restore in a child process and kills it as planned. */
async function runChild(mode: 'replace' | 'keep-newer', opts: KillPlan): Promise<Outcome> {
  const config = {
    ...options(mode, `kill-${++jobs}`),
    safetySnapshot: opts.safetySnapshot ?? false,
    cacheDir: join(w.work, 'cache'),
    pauseAt: opts.pauseAt,
    file: opts.file,
  };
  const started = Date.now();
  const child = spawn(process.execPath, [...nodeArgsFor(CHILD), JSON.stringify(config)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const steps: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const kill = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // exited already
    }
  };
  let timer: NodeJS.Timeout | undefined;
  let checkedAt = 0;
  child.stdout.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) {
      steps.push(line);
      if (line === 'paused') kill();
      if (line === 'step checked') checkedAt = Date.now();
      if (line === `step ${opts.anchor ?? 'checked'}` && opts.killAfterMs !== undefined)
        timer = setTimeout(kill, opts.killAfterMs);
    }
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  if (signal !== 'SIGKILL' && code !== 0) assert.fail(`child failed (${code}): ${stderr}`);
  const ms = Date.now() - (checkedAt || started);
  return { steps, exited: signal === 'SIGKILL' ? 'killed' : 'done', ms };
}

async function assertNoLeftovers(): Promise<void> {
  assert.deepEqual(await readdir(w.journalDir), [], 'journal directory is empty');
  assert.deepEqual(
    (await readdir(w.home('carol'))).filter((n) => n.startsWith('.hostvault')),
    [],
    'no staging directory left',
  );
}

async function killAndRecover(
  mode: 'replace' | 'keep-newer',
  opts: KillPlan,
): Promise<{ result: 'before' | 'restored'; outcome: Outcome }> {
  const before = await reset();
  const homeMtime = (await lstat(w.home('carol'), { bigint: true })).mtimeNs;
  const outcome = await runChild(mode, opts);
  const recovered = await recoverInterruptedRestores(w.journalDir, {
    withSafety: (_journal, save) =>
      save({ restic: w.restic, repo: w.repo, onSafetySnapshot: () => Promise.resolve() }),
  });
  for (const r of recovered) assert.notEqual(r.action, 'failed', r.detail);
  if (opts.safetySnapshot && mode === 'replace' && !opts.file) {
    // A replace killed after its swap: recovery saved the previous tree before removing it.
    const owed = recovered.find((r) => r.safetySnapshotId);
    if (owed) assert.deepEqual(await savedArea(owed.safetySnapshotId!), before);
    outcomeSafety.push(owed ? 'made by recovery' : 'none owed');
  }
  const now = await readArea(area);
  const target = opts.file ? fileRestored : mode === 'replace' ? restored : kept;
  const what = `${mode} ${JSON.stringify(opts)} after ${outcome.steps.join(',')}`;
  let result: 'before' | 'restored';
  if (isDeepEqual(now, target)) result = 'restored';
  else if (isDeepEqual(now, before)) result = 'before';
  else assert.fail(`${what}: the area is neither as before nor restored`);
  if (opts.pauseAt) {
    assert.ok(outcome.steps.includes('paused'), `${what}: reached the pause`);
    // The home holds the area and the staging directory: its listing ends as it was, and so
    // does its mtime. (Random kills can land between the staging directory's mkdir and the
    // note of the home's time, a short window; only the steps check this.)
    assert.equal(
      (await lstat(w.home('carol'), { bigint: true })).mtimeNs,
      homeMtime,
      `${what}: the home keeps its mtime`,
    );
  }
  await assertNoLeftovers();
  return { result, outcome };
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

test('kill -9 at every step, then recovery: the area is as before or fully restored', async () => {
  const plan: [mode: 'replace' | 'keep-newer', pauseAt: string, expect: 'before' | 'restored'][] = [
    ['replace', 'checked', 'before'],
    ['replace', 'staged', 'before'],
    // replace saves the previous tree after the swap: a kill once it is saved finds it restored.
    ['replace', 'safety-snapshot', 'restored'],
    ['replace', 'committed', 'restored'],
    ['replace', 'moved-old', 'restored'],
    ['replace', 'swapped', 'restored'],
    ['replace', 'cleaned', 'restored'],
    ['keep-newer', 'staged', 'before'],
    ['keep-newer', 'committed', 'restored'],
    ['keep-newer', 'merge-entry#3', 'restored'],
    ['keep-newer', 'merge-entry#12', 'restored'],
    ['keep-newer', 'merged', 'restored'],
  ];
  for (const [mode, pauseAt, expect] of plan) {
    const { result } = await killAndRecover(mode, {
      pauseAt,
      safetySnapshot: pauseAt === 'safety-snapshot',
    });
    assert.equal(result, expect, `${mode} killed at ${pauseAt}`);
  }
});

test('replace killed after the swap, before the safety snapshot: recovery saves the previous tree', async () => {
  outcomeSafety.length = 0;
  for (const pauseAt of ['committed', 'moved-old', 'swapped', 'safety-snapshot']) {
    const { result } = await killAndRecover('replace', { pauseAt, safetySnapshot: true });
    assert.equal(result, 'restored', `replace killed at ${pauseAt}`);
  }
  // At safety-snapshot the snapshot was made already; before it, recovery had to make it.
  assert.deepEqual(outcomeSafety, [
    'made by recovery',
    'made by recovery',
    'made by recovery',
    'none owed',
  ]);
});

test('kill -9 at random moments (10 runs), then recovery', async () => {
  // An uninterrupted run measures how long a restore takes here, from its checks to the end.
  await reset();
  const full = await runChild('keep-newer', {});
  assert.equal(full.exited, 'done');
  await assertNoLeftovers();
  const results: string[] = [];
  for (let i = 0; i < 10; i++) {
    const mode = i % 2 ? 'keep-newer' : 'replace';
    // Half anywhere in the run, half in the short stretch from the staged tree to the end.
    const plan =
      i < 5
        ? { killAfterMs: Math.round(Math.random() * full.ms * 1.1) }
        : { killAfterMs: Math.round(Math.random() * 40), anchor: 'staged' };
    const { result, outcome } = await killAndRecover(mode, plan);
    results.push(
      `${mode}@${plan.anchor ?? 'checked'}+${plan.killAfterMs}ms:${outcome.exited}:${result}`,
    );
  }
  console.log(`restore ${full.ms} ms after its checks; ${results.join(' ')}`);
});

test('single file: kill -9 at every step, then recovery: the file is as before or restored', async () => {
  const plan: [pauseAt: string, expect: 'before' | 'restored'][] = [
    ['checked', 'before'],
    ['staged', 'before'],
    ['safety-snapshot', 'before'],
    ['committed', 'restored'],
    ['swapped', 'restored'],
    ['cleaned', 'restored'],
  ];
  for (const [pauseAt, expect] of plan) {
    const { result } = await killAndRecover('replace', {
      pauseAt,
      file,
      safetySnapshot: pauseAt === 'safety-snapshot',
    });
    assert.equal(result, expect, `single file killed at ${pauseAt}`);
  }
  assert.notDeepEqual(fileRestored, restored, 'only the one file is restored');
});
