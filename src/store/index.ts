export { openStore, DEFAULT_BUSY_TIMEOUT_MS, type Store, type StoreOptions } from './store.js';
export { migrateToLatest, MigrationError } from './migrate.js';
export { migrations } from './migrations/index.js';
export type * from './schema.js';
export { decodeStored, StoredValueError } from './stored-json.js';
