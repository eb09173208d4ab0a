/**
 * Case 1: the first backup of the web root into an empty repository, engine against raw restic.
 * Also records, for the record, restic's peak memory and what the repository costs on disk.
 */
import { spawnSync } from 'node:child_process';
import {
  MB,
  cpuSample,
  measurePair,
  raw,
  savedSnapshot,
  watchMemory,
  type BenchCase,
  type Sample,
} from '../harness.js';

export const firstBackup: BenchCase = {
  name: 'first-backup',
  async run(ctx) {
    const { dataset, restic, repos, web } = ctx;
    let progressEvents = 0;
    const pair = await measurePair(ctx, 0, {
      engine: async () => {
        const memory = watchMemory();
        try {
          const result = await restic.backup(repos.engine, {
            paths: [dataset.root],
            tags: web.tags,
            onProgress: () => progressEvents++,
          });
          return { result, memory: memory() };
        } catch (error) {
          memory();
          throw error;
        }
      },
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
    const summary = engine.value.result.summary;
    if (summary.totalFilesProcessed !== dataset.plan.length)
      throw new Error(
        `engine backed up ${summary.totalFilesProcessed} files, the tree has ${dataset.plan.length}`,
      );
    web.snapshot = { engine: summary.snapshotId, raw: savedSnapshot(baseline.value.stdout) };
    web.firstBackupSeconds = { engine: engine.seconds, raw: baseline.seconds };
    ctx.log(
      `first backup: engine ${engine.seconds.toFixed(2)} s (restic's own total_duration ` +
        `${summary.totalDuration.toFixed(2)} s, ${progressEvents} progress events), ` +
        `raw ${baseline.seconds.toFixed(2)} s`,
    );

    const mem = engine.value.memory;
    const samples: Sample[] = [
      {
        case: 'first backup',
        measured: engine.seconds,
        baseline: baseline.seconds,
        unit: 's',
        target: { on: 'ratio', op: '<=', value: 1.05 },
        notes: `${dataset.plan.length} files, ${(dataset.totalBytes / MB).toFixed(0)} MB; raw ${(dataset.totalBytes / MB / baseline.seconds).toFixed(0)} MB/s`,
      },
      cpuSample('first backup', pair),
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
      case: 'bench process RSS peak, engine backup',
      measured: mem.selfPeak / MB,
      unit: 'MB',
      notes: 'informational; the service-side memory target applies to 1,000,000 files',
    });

    // Storage figures do not change between rounds: take them once.
    if (ctx.round === 0) {
      const stats = await restic.stats(repos.engine, { mode: 'raw-data' });
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
