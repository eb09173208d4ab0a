/**
 * Case 1: the first backup of the web root into the customer's new repository, through the
 * service (Run now → job done) against raw `restic backup`. Also records, for the record,
 * restic's and the service's peak memory and what the repository costs on disk.
 */
import { spawnSync } from 'node:child_process';
import {
  MB,
  cpuSample,
  measurePair,
  raw,
  savedSnapshot,
  watchedJob,
  type BenchCase,
  type Sample,
} from '../harness.js';

/** The summary restic gave the service, as the job's statistics hold it. */
export interface JobStats {
  snapshotId: string;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  dataAdded: number;
  totalFilesProcessed: number;
  totalDuration: number;
}

export function statsOf(job: { stats: unknown }): JobStats {
  const [stats] = job.stats as JobStats[];
  if (!stats) throw new Error('the job holds no statistics');
  return stats;
}

export const firstBackup: BenchCase = {
  name: 'first-backup',
  async run(ctx) {
    const { dataset, repos, web, service } = ctx;
    const pair = await measurePair(ctx, 0, {
      engine: () => watchedJob(service, () => service.runNow(web.scheduleId)),
      raw: () =>
        raw(ctx, repos.raw, [
          'backup',
          '--host',
          ctx.host,
          ...web.tags.flatMap((t) => ['--tag', t]),
          '--',
          dataset.root,
        ]),
    });
    const { engine, raw: baseline } = pair;
    const summary = statsOf(engine.value.job);
    if (summary.totalFilesProcessed !== dataset.plan.length)
      throw new Error(
        `the service backed up ${summary.totalFilesProcessed} files, the tree has ${dataset.plan.length}`,
      );
    web.snapshot = { engine: summary.snapshotId, raw: savedSnapshot(baseline.value.stdout) };
    web.firstBackupSeconds = { engine: engine.seconds, raw: baseline.seconds };
    ctx.log(
      `first backup: service ${engine.seconds.toFixed(2)} s (restic's own total_duration ` +
        `${summary.totalDuration.toFixed(2)} s), raw ${baseline.seconds.toFixed(2)} s`,
    );

    const mem = engine.value.memory;
    const samples: Sample[] = [
      {
        case: 'first backup (Run now → job done)',
        measured: engine.seconds,
        baseline: baseline.seconds,
        unit: 's',
        target: { on: 'ratio', op: '<=', value: 1.05 },
        notes: `${dataset.plan.length} files, ${(dataset.totalBytes / MB).toFixed(0)} MB; raw ${(dataset.totalBytes / MB / baseline.seconds).toFixed(0)} MB/s`,
      },
      cpuSample('first backup', pair),
      ...jobSplit('first backup', engine.seconds, summary),
    ];
    if (mem.childPeak !== undefined && baseline.value.peakRss !== undefined)
      samples.push({
        case: 'restic peak RSS, first backup',
        measured: mem.childPeak / MB,
        baseline: baseline.value.peakRss / MB,
        unit: 'MB',
        notes: 'informational; engine side sampled from /proc, raw side from GNU time',
      });
    samples.push({
      case: 'service RSS peak, first backup',
      measured: mem.selfPeak / MB,
      unit: 'MB',
      notes: `informational; ${dataset.plan.length} files (the 300 MB target applies to 1,000,000)`,
    });

    // Storage figures do not change between rounds: take them once.
    if (ctx.round === 0) {
      const stats = await ctx.restic.stats(repos.engine, { mode: 'raw-data' });
      const onDisk = diskUsage(repos.engine.url);
      const rawOnDisk = diskUsage(repos.raw.url);
      // restic 0.14's raw-data stats give only the stored (compressed) size, so the split
      // into dedup and compression uses what the generator knows about duplicate files.
      const unique = dataset.uniqueBytes;
      samples.push({
        case: 'repository size vs data',
        measured: onDisk / MB,
        baseline: dataset.totalBytes / MB,
        unit: 'MB',
        notes:
          `informational; ${stats.totalBlobCount ?? '?'} blobs, ${(stats.totalSize / MB).toFixed(0)} MB stored; ` +
          `file-level duplicates ${((dataset.totalBytes - unique) / MB).toFixed(0)} MB, ` +
          `so compression ~${(unique / stats.totalSize).toFixed(3)}x on ${(unique / MB).toFixed(0)} MB unique; ` +
          `raw repository ${(rawOnDisk / MB).toFixed(0)} MB; ` +
          `text ${((100 * dataset.textBytes) / dataset.totalBytes).toFixed(0)}% of the data`,
      });
    }
    return samples;
  },
};

/** Bytes under `dir` as stored (du's apparent size would hide filesystem block overhead). */
function diskUsage(dir: string): number {
  const out = spawnSync('du', ['-s', '-B1', dir], { encoding: 'utf8' });
  const bytes = Number(out.stdout.split(/\s/)[0]);
  if (!Number.isFinite(bytes)) throw new Error(`du failed: ${out.stderr}`);
  return bytes;
}

/**
 * Where a job's time goes besides restic's backup proper: the job's wall time less restic's own
 * total_duration, which leaves restic's start and key derivation, retention's `forget`, the
 * pre-flight, the queue, the bookkeeping and the poll.
 */
export function jobSplit(name: string, seconds: number, summary: JobStats): Sample[] {
  return [
    {
      case: `${name}, service time outside restic backup`,
      measured: seconds - summary.totalDuration,
      unit: 's',
      notes: "informational; the job's wall time less restic's own total_duration",
    },
  ];
}
