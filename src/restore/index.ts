export { restoreArea, type RestoreAreaOptions, type RestoreAreaResult } from './area.js';
export { restoreFile, type RestoreFileOptions, type RestoreFileResult } from './file.js';
export { recoverInterruptedRestores, type RecoveryOutcome } from './recover.js';
export { RestoreError, type RestoreErrorKind } from './errors.js';
export type { CommonRestoreOptions, RestorePhase, RestoreProgress, RestoreStep } from './common.js';
export type { MergeStats } from './swap.js';
