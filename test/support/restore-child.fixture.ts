/**
 * Child process for the kill -9 tests: runs one restore, prints each step, and when told to,
 * stops at a step (the parent then kills it with SIGKILL).
 */
import { Restic } from '../../src/engine/index.js';
import {
  restoreArea,
  restoreFile,
  type RestoreAreaOptions,
  type RestoreStep,
} from '../../src/restore/index.js';

interface ChildConfig {
  repo: { url: string; password: string };
  cacheDir: string;
  snapshotId: string;
  area: string;
  confinement: string[];
  jobId: string;
  journalDir: string;
  mode: RestoreAreaOptions['mode'];
  /** Restore this one file instead of the area. */
  file?: string;
  safetySnapshot: boolean;
  /** `step` or `step#n` (the n-th time the step is reached). */
  pauseAt?: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const [pauseStep, pauseCount] = (config.pauseAt ?? '').split('#');
let seen = 0;
const restic = await Restic.detect({ cacheDir: config.cacheDir });
const onStep = async (step: RestoreStep): Promise<void> => {
  process.stdout.write(`step ${step}\n`);
  if (step === pauseStep && ++seen === Number(pauseCount ?? 1)) {
    process.stdout.write('paused\n');
    await new Promise(() => setInterval(() => undefined, 1000));
  }
};
const common = {
  restic,
  repo: config.repo,
  snapshotId: config.snapshotId,
  confinement: config.confinement,
  jobId: config.jobId,
  journalDir: config.journalDir,
  safetySnapshot: config.safetySnapshot,
  onStep,
};
if (config.file) await restoreFile({ ...common, path: config.file });
else await restoreArea({ ...common, area: config.area, mode: config.mode });
process.stdout.write('done\n');
