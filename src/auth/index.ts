export * from './auth-service.js';
export { ensureAdmin, BOOTSTRAP_USERNAME, type BootstrapResult } from './bootstrap.js';
export { MAX_LINK_TTL_SECONDS } from './signed-link.js';
export { hashPassword, verifyPasswordHash, DEFAULT_COST, type ScryptCost } from './password.js';
