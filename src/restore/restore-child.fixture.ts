/**
 * Child process for the kill -9 tests: runs one restore, prints each step, and when told to,
 * stops at a step (the parent then kills it with SIGKILL).
 */
import { Restic } from '../engine/index.js';
import { restoreArea, type RestoreAreaOptions } from './index.js';

interface ChildConfig {
  repo: { url: string; password: string };
  cacheDir: string;
  snapshotId: string;
  area: string;
  confinement: string[];
  jobId: string;
  journalDir: string;
  mode: RestoreAreaOptions['mode'];
  safetySnapshot: boolean;
  /** `step` or `step#n` (the n-th time the step is reached). */
  pauseAt?: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const [pauseStep, pauseCount] = (config.pauseAt ?? '').split('#');
let seen = 0;
const restic = await Restic.detect({ cacheDir: config.cacheDir });
await restoreArea({
  restic,
  repo: config.repo,
  snapshotId: config.snapshotId,
  area: config.area,
  confinement: config.confinement,
  jobId: config.jobId,
  journalDir: config.journalDir,
  mode: config.mode,
  safetySnapshot: config.safetySnapshot,
  onStep: async (step) => {
    process.stdout.write(`step ${step}\n`);
    if (step === pauseStep && ++seen === Number(pauseCount ?? 1)) {
      process.stdout.write('paused\n');
      await new Promise(() => setInterval(() => undefined, 1000));
    }
  },
});
process.stdout.write('done\n');
