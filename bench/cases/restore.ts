/**
 * Case 4: the web restore through the service (Restore tab → job done: staged on the web root's
 * filesystem, a safety snapshot of the live tree, the swap, the old tree removed), against raw
 * `restic restore` into an empty directory. The service restores over the bench tree itself, so
 * the check after the clock stops compares the live tree with raw restic's copy.
 * Case 5: one file restored through the service, absolute target ≤ 2 s.
 */
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data.js';
import {
  MB,
  cpuSample,
  measurePair,
  raw,
  timed,
  waitForQuiet,
  watchedJob,
  type BenchCase,
  type Sample,
} from '../harness.js';

export const fullRestore: BenchCase = {
  name: 'restore',
  async run(ctx) {
    const { dataset, repos, web, service } = ctx;
    const ids = web.snapshot;
    if (!ids.engine || !ids.raw) throw new Error('the restore case needs a backup case before it');
    const snapshot = await service.latestSnapshot(web.scheduleId);
    if (snapshot.id.slice(0, 8) !== ids.engine.slice(0, 8))
      throw new Error(`the Restore tab lists ${snapshot.id}, the last backup made ${ids.engine}`);
    const rawTarget = join(ctx.workDir, `restore-raw-${ctx.round}`);
    rmSync(rawTarget, { recursive: true, force: true });
    mkdirSync(rawTarget, { recursive: true });
    ctx.defer(() => rmSync(rawTarget, { recursive: true, force: true }));

    const pair = await measurePair(ctx, 1, {
      engine: () => watchedJob(service, () => service.restore(snapshot, { what: 'web' })),
      raw: () => raw(ctx, repos.raw, ['restore', ids.raw!, '--target', rawTarget]),
    });
    const { engine, raw: baseline } = pair;
    verify(dataset, join(rawTarget, dataset.root), dataset.root);
    ctx.log(
      `web restore: service ${engine.seconds.toFixed(2)} s, raw ${baseline.seconds.toFixed(2)} s`,
    );
    const samples: Sample[] = [
      {
        case: 'web restore (staged + swap)',
        measured: engine.seconds,
        baseline: baseline.seconds,
        unit: 's',
        target: { on: 'ratio', op: '<=', value: 1.2 },
        notes:
          'through the service: restic restore into staging, fsync, safety snapshot of the live tree, swap; ' +
          phases(engine.value.job.log),
      },
      cpuSample('web restore', pair),
    ];
    const mem = engine.value.memory;
    if (mem.childPeak !== undefined && baseline.value.peakRss !== undefined)
      samples.push({
        case: 'restic peak RSS, restore',
        measured: mem.childPeak / MB,
        baseline: baseline.value.peakRss / MB,
        unit: 'MB',
        notes: 'informational; the largest restic the job ran (restore or safety snapshot)',
      });

    // One file of about 1 MB from deep in the tree, as a customer picks it in Browse Files.
    const pick =
      dataset.plan.find((e) => e.size > 500_000 && e.size < 2_000_000 && e.path.includes('/')) ??
      dataset.plan[Math.floor(dataset.plan.length / 2)]!;
    const path = join(dataset.root, pick.path);
    await waitForQuiet(ctx);
    await ctx.cache.prepare();
    const one = await timed(() => service.restore(snapshot, { what: 'file', path }));
    if (!readFileSync(path).equals(readFileSync(join(rawTarget, path))))
      throw new Error(`the restored ${path} differs from raw restic's copy`);
    ctx.log(`single file: ${one.value.seconds.toFixed(2)} s (${pick.size} bytes)`);
    samples.push({
      case: 'single-file restore',
      measured: one.value.seconds,
      unit: 's',
      target: { on: 'measured', op: '<=', value: 2 },
      notes: `${(pick.size / 1e6).toFixed(1)} MB file, Restore → job done; ${phases(one.value.job.log)}`,
    });
    return samples;
  },
};

/**
 * The job log condensed to where the time went: each line is stamped HH:MM:SS, so the steps that
 * took a second or more show (e.g. "safety snapshot… 2 s").
 */
function phases(log: string): string {
  const lines = log.split('\n').filter((l) => /^\d\d:\d\d:\d\d /.test(l));
  const at = (l: string): number => {
    const [h, m, sec] = l.slice(0, 8).split(':').map(Number);
    return h! * 3600 + m! * 60 + sec!;
  };
  const steps: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const seconds = (at(lines[i]!) - at(lines[i - 1]!) + 86_400) % 86_400;
    if (seconds >= 1) steps.push(`${lines[i - 1]!.slice(9, 60).trim()}… ${seconds} s`);
  }
  return steps.length ? `log: ${steps.join('; ')}` : 'every step under a second';
}

/** Every file present with its size in both trees; a spread sample equal byte for byte. */
function verify(dataset: Dataset, restored: string, live: string): void {
  const step = Math.max(1, Math.floor(dataset.plan.length / 40));
  dataset.plan.forEach((e, i) => {
    const copy = join(restored, e.path);
    const source = join(live, e.path);
    const size = statSync(copy).size;
    if (size !== statSync(source).size) throw new Error(`${source} differs in size from ${copy}`);
    if (i % step === 0 && !readFileSync(copy).equals(readFileSync(source)))
      throw new Error(`${source} differs from raw restic's ${copy}`);
  });
}
