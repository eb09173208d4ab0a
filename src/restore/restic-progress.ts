/**
 * restic 0.16+ reports a restore's progress itself: exact bytes and files, and a pace to estimate
 * the time left. Where it does, a restore uses that instead of listing the snapshot's totals and
 * following restic's written bytes (StagingProgress in common.ts, the 0.14 path).
 */
import type { Restic, ResticRestoreProgress } from '../engine/index.js';
import { PHASE_START, type RestoreProgress } from './common.js';

/** The engine's progress callback for a staging restore, or undefined where restic reports none. */
export function resticRestoreProgress(
  restic: Restic,
  report: ((progress: RestoreProgress) => void) | undefined,
): ((progress: ResticRestoreProgress) => void) | undefined {
  if (!report || !restic.features.restoreProgress) return undefined;
  const span = PHASE_START['safety-snapshot'] - PHASE_START.restoring;
  return (p) =>
    report({
      phase: 'restoring',
      percentDone: PHASE_START.restoring + span * p.percentDone,
      filesDone: p.filesRestored,
      totalFiles: p.totalFiles,
      bytesDone: p.bytesRestored,
      totalBytes: p.totalBytes,
      secondsRemaining: p.secondsRemaining,
    });
}
