/**
 * What a scope means on disk for one customer: the paths restic is given, grouped by content.
 * Paths are sorted and stable from run to run, because restic compares path lists to find a
 * snapshot's parent and the browse view maps them back to friendly roots.
 */
import { join } from 'node:path';
import type { Customer } from '../inventory/schema.js';
import { SCOPE_CONTENTS, type Content, type Scope } from '../scope/scope.js';

export type Roots = Partial<Record<Content, string[]>>;

/** The stable, root-only place where one schedule's database dumps wait for restic. */
export function databaseStagingDir(
  dataDir: string,
  customerId: string,
  scheduleKey: string | number,
): string {
  return join(dataDir, 'staging', customerId, String(scheduleKey), 'databases');
}

export function collectRoots(customer: Customer, scope: Scope, dbStaging: string): Roots {
  const roots: Roots = {};
  for (const content of SCOPE_CONTENTS[scope]) {
    const paths = pathsFor(customer, content, dbStaging);
    if (paths.length > 0) roots[content] = [...new Set(paths)].sort();
  }
  return roots;
}

function pathsFor(customer: Customer, content: Content, dbStaging: string): string[] {
  switch (content) {
    case 'web':
      return [customer.webRoot];
    case 'db':
      return customer.databases.length > 0 ? [dbStaging] : [];
    case 'mail':
      return customer.mailboxes.flatMap((m) =>
        m.sieveDir ? [m.maildir, m.sieveDir] : [m.maildir],
      );
    case 'ssl':
      return customer.sslFiles;
    case 'config':
      return customer.configFiles;
  }
}

export function allPaths(roots: Roots): string[] {
  return [...new Set(Object.values(roots).flat())].sort();
}
