export { Restic, DEFAULT_HOST, type ResticOptions } from './restic.js';
export { EngineError, PartialBackupError, classify, type EngineErrorKind } from './errors.js';
export type * from './types.js';
export { CommandFailedError, type BackupOptions } from './commands/backup.js';
export type {
  DryRunItem,
  DryRunOptions,
  RestoreOptions,
  RestoreProgress as ResticRestoreProgress,
  RestoreResult,
} from './commands/restore.js';
export type { ForgetOptions, ForgetResult } from './commands/forget.js';
export type { DiffResult, CheckResult } from './commands/maintenance.js';
export type { RepositoryConfig } from './commands/init.js';
export { parseVersion, featuresOf, type ResticVersion, type ResticFeatures } from './version.js';
export type { CopyOptions } from './commands/copy.js';
export { RewriteUnsupportedError, type RewriteOptions } from './commands/rewrite.js';
