/**
 * The service's memory while it backs up a tree of 1,000,000 entries (restic's own aside): a
 * fresh `hostvault serve` whose customer's web root is a generated tree of mostly empty files
 * (entries, not bytes, are what a backup's bookkeeping grows with), Run now, the service's RSS
 * sampled until the job is done and then until the browse index it builds right after the
 * backup is finished. Once per run (round 0): the backup alone takes minutes at full size.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateBrowseTree } from '../../test/support/browse-tree.js';
import { benchDir } from '../data.js';
import {
  MB,
  processCpu,
  rss,
  waitForQuiet,
  watchMemory,
  type BenchCase,
  type Sample,
} from '../harness.js';
import { BenchService } from '../service.js';
import { statsOf } from './first-backup.js';

const FULL_ENTRIES = 1_000_000;

export const serviceMemory: BenchCase = {
  name: 'memory',
  async run(ctx) {
    if (ctx.round !== 0) return [];
    const entries = ctx.memoryEntries;
    const tree = await generateBrowseTree(join(benchDir(), 'memory', `tree-${entries}`), {
      entries,
      seed: 1,
    });
    ctx.log(
      `memory: ${tree.entries} entries (${tree.files} files, ${tree.dirs} directories) ` +
        (tree.generatedIn ? `generated in ${tree.generatedIn.toFixed(0)} s` : 'cached'),
    );
    const dir = join(ctx.workDir, 'memory-service');
    const service = await BenchService.start(dir, tree.root);
    try {
      const scheduleId = await service.createSchedule(1);
      await waitForQuiet(ctx);
      const idle = rss(service.pid) ?? 0;
      const memory = watchMemory({ parent: service.pid, intervalMs: 100 });
      const run = await service.runNow(scheduleId);
      const during = memory();
      // The browse index of the new snapshot is built right after the job: keep watching.
      const after = watchMemory({ parent: service.pid, intervalMs: 100 });
      const indexSeconds = await untilIdle(service.pid, 180);
      const indexing = after();
      const stats = statsOf(run.job);
      ctx.log(
        `memory: backup ${run.seconds.toFixed(0)} s, service peak ${(during.selfPeak / MB).toFixed(0)} MB ` +
          `(idle ${(idle / MB).toFixed(0)} MB), then ${(indexing.selfPeak / MB).toFixed(0)} MB ` +
          `while indexing for ${indexSeconds.toFixed(0)} s; restic peak ${((during.childPeak ?? 0) / MB).toFixed(0)} MB`,
      );
      const scale = `${stats.totalFilesProcessed} files backed up in ${run.seconds.toFixed(0)} s`;
      const samples: Sample[] = [
        {
          case: 'memory: service RSS during a backup',
          measured: during.selfPeak / MB,
          unit: 'MB',
          // The target is stated for a million entries; smaller sizes only show the trend.
          ...(entries >= FULL_ENTRIES ? { target: { on: 'measured', op: '<=', value: 300 } } : {}),
          notes: `${tree.entries} entries, ${scale}; idle service ${(idle / MB).toFixed(0)} MB`,
        },
        {
          case: 'memory: service RSS building the browse index after it',
          measured: indexing.selfPeak / MB,
          unit: 'MB',
          notes: `informational; ${indexSeconds.toFixed(0)} s until the service was idle again`,
        },
      ];
      if (during.childPeak !== undefined)
        samples.push({
          case: 'memory: restic peak RSS, same backup',
          measured: during.childPeak / MB,
          unit: 'MB',
          notes: "informational; restic's own, aside from the target",
        });
      return samples;
    } finally {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** Seconds until the process and its children used under 5% of a CPU for two seconds. */
async function untilIdle(pid: number, limitSeconds: number): Promise<number> {
  const started = performance.now();
  let quiet = 0;
  let last = processCpu(pid);
  while ((performance.now() - started) / 1000 < limitSeconds) {
    await sleep(1000);
    const now = processCpu(pid);
    // Children still running count only once reaped; a listing restic keeps the process busy
    // reading its output, so the parent's own ticks show it too.
    quiet = now - last <= 0.05 ? quiet + 1 : 0;
    last = now;
    if (quiet >= 2) break;
  }
  return (performance.now() - started) / 1000 - quiet;
}
