/**
 * Path checks done before anything else: a path is accepted only in canonical absolute form,
 * and only inside one of the customer's areas. Whether its components are real directories (not
 * symlinks) is checked when it is opened, component by component (see safe-fs.ts).
 */
import { posix } from 'node:path';
import { RestoreError } from './errors.js';

export function checkAbsolute(path: string, what: string): void {
  const shown = JSON.stringify(path);
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw new RestoreError('invalid-path', `The ${what} must be an absolute path, not ${shown}.`);
  if (path.includes('\0'))
    throw new RestoreError('invalid-path', `The ${what} ${shown} contains a NUL byte.`);
  if (path === '/') return;
  const parts = path.split('/').slice(1);
  if (parts.some((p) => p === '..' || p === '.'))
    throw new RestoreError(
      'invalid-path',
      `The ${what} ${shown} contains "." or "..": give the path without them.`,
    );
  if (parts.some((p) => p === ''))
    throw new RestoreError(
      'invalid-path',
      `The ${what} ${shown} contains an empty component or a trailing slash.`,
    );
}

/** True when `path` is `root` itself or lies beneath it (textually; both canonical). */
export function isWithin(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}

/** Validates the confinement roots and returns the one that contains `path`. */
export function confiningRoot(path: string, confinement: readonly string[], what: string): string {
  if (!Array.isArray(confinement) || confinement.length === 0)
    throw new RestoreError('outside-confinement', 'No customer areas were given for this restore.');
  for (const root of confinement) {
    checkAbsolute(root, 'customer area');
    if (root === '/')
      throw new RestoreError('invalid-path', 'A customer area cannot be the root directory.');
  }
  const root = confinement.find((r) => isWithin(path, r));
  if (!root)
    throw new RestoreError(
      'outside-confinement',
      `The ${what} ${path} is outside the customer's areas (${confinement.join(', ')}); the restore was refused.`,
    );
  return root;
}

/** Validates a job id for use in file names (staging directory, journal, temporary files). */
export function checkJobId(jobId: string): void {
  if (typeof jobId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(jobId))
    throw new RestoreError(
      'invalid-path',
      `The job id ${JSON.stringify(jobId)} is not usable in a file name (letters, digits, ".", "_", "-").`,
    );
}

/** restic's include patterns are globs: match the area literally. */
export function escapeGlob(path: string): string {
  return path.replace(/[\\*?[\]]/g, '\\$&');
}

export const dirname = posix.dirname;
export const basename = posix.basename;
