export { dumpDatabases, removeStaging } from './dump.js';
export type { DumpOptions, DumpedDatabase } from './dump.js';
export { restoreDatabase } from './restore.js';
export type { RestoreOptions, RestoreResult } from './restore.js';
export { checksumDatabase } from './checksum.js';
export { ownerAccount } from './account.js';
export { DatabaseError } from './types.js';
export type { DatabaseErrorKind, LogFn, MariaDbConnection } from './types.js';
