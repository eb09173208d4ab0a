export * from './schema.js';
export {
  InventoryService,
  type ChangeSummary,
  type CustomerInput,
  type ImportOptions,
  type ImportResult,
  type PackageInput,
} from './inventory-service.js';
export {
  InventoryValidationError,
  PackageInUseError,
  formatPath,
  type InventoryIssue,
} from './issues.js';
export { InventoryFileError, parseInventoryFile, parseInventoryText } from './file.js';
export { checkCustomerPaths, customerPaths, type CustomerPath } from './paths.js';
