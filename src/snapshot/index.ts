export {
  SnapshotBrowser,
  type SnapshotBrowserOptions,
  type PageRequest,
  type ListResult,
  type OpenResult,
  type FriendlyEntry,
  type FriendlyListResult,
  type FriendlyTarget,
} from './browser.js';
export { INDEX_FORMAT, type BrowseEntry, type EntryType, type IndexMeta } from './browse-index.js';
export {
  checkDownloadable,
  downloadFile,
  downloadDirectory,
  type DownloadOptions,
} from './download.js';
export { BrowseError, type BrowseErrorKind } from './errors.js';
export { ROOT_GROUPS, ROOT_LABELS, type FriendlyRoots, type RootGroup } from '../scope/labels.js';
export { assertWithinRoots, describeRoots, normalizePath } from './paths.js';
