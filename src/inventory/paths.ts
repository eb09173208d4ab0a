/**
 * Checks of a customer's paths against the disk and against the other customers.
 *
 * The service runs as root and backs up and restores these paths on the customer's behalf, so a
 * path must be the real thing: a web root that is a symbolic link (or lies under one) could be
 * pointed elsewhere, and two customers whose areas overlap could read or overwrite each other's
 * files through a restore.
 */
import { lstat, realpath } from 'node:fs/promises';
import { serverPath, type Customer } from './schema.js';
import type { InventoryIssue } from './issues.js';

export type PathKind = 'directory' | 'file';

export interface CustomerPath {
  /** Field path relative to the customer, e.g. `webRoot` or `mailboxes[1].sieveDir`. */
  field: string;
  /** What the field is, in words, for messages: "web root", "maildir"… */
  label: string;
  path: string;
  kind: PathKind;
}

/** Every path a customer owns, with what it must be on disk. */
export function customerPaths(customer: Customer): CustomerPath[] {
  const out: CustomerPath[] = [
    { field: 'webRoot', label: 'web root', path: customer.webRoot, kind: 'directory' },
  ];
  customer.mailboxes.forEach((m, i) => {
    out.push({
      field: `mailboxes[${i}].maildir`,
      label: 'maildir',
      path: m.maildir,
      kind: 'directory',
    });
    if (m.sieveDir !== undefined) {
      out.push({
        field: `mailboxes[${i}].sieveDir`,
        label: 'Sieve directory',
        path: m.sieveDir,
        kind: 'directory',
      });
    }
  });
  customer.sslFiles.forEach((path, i) =>
    out.push({ field: `sslFiles[${i}]`, label: 'SSL file', path, kind: 'file' }),
  );
  customer.configFiles.forEach((path, i) =>
    out.push({ field: `configFiles[${i}]`, label: 'configuration file', path, kind: 'file' }),
  );
  return out;
}

/**
 * Checks that each of the customer's paths exists, is of the right kind (directory or regular
 * file), and is neither a symbolic link nor under one. `prefix` is the customer's own field path
 * (`customers[2]`), or '' when checking one customer on its own.
 */
export async function checkCustomerPaths(
  customer: Customer,
  prefix = '',
): Promise<InventoryIssue[]> {
  return checkPaths(customerPaths(customer), prefix);
}

/** Like checkCustomerPaths, for any list of paths (those of a record that is only partly valid). */
export async function checkPaths(
  paths: readonly CustomerPath[],
  prefix = '',
): Promise<InventoryIssue[]> {
  const issues = await Promise.all(
    paths.map(async (p) => {
      const message = await checkPath(p);
      return message === undefined ? undefined : { path: join(prefix, p.field), message };
    }),
  );
  return issues.filter((i): i is InventoryIssue => i !== undefined);
}

/**
 * The well-formed paths of a customer record that failed validation as a whole, so that its
 * missing directories are reported together with its other problems.
 */
export function wellFormedPaths(raw: unknown): CustomerPath[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const r = raw as Record<string, unknown>;
  const out: CustomerPath[] = [];
  const add = (field: string, label: string, value: unknown, kind: PathKind) => {
    const parsed = serverPath.safeParse(value);
    if (parsed.success) out.push({ field, label, path: parsed.data, kind });
  };
  add('webRoot', 'web root', r.webRoot, 'directory');
  list(r.mailboxes).forEach((m, i) => {
    if (typeof m !== 'object' || m === null) return;
    const box = m as Record<string, unknown>;
    add(`mailboxes[${i}].maildir`, 'maildir', box.maildir, 'directory');
    if (box.sieveDir !== undefined) {
      add(`mailboxes[${i}].sieveDir`, 'Sieve directory', box.sieveDir, 'directory');
    }
  });
  list(r.sslFiles).forEach((p, i) => add(`sslFiles[${i}]`, 'SSL file', p, 'file'));
  list(r.configFiles).forEach((p, i) => add(`configFiles[${i}]`, 'configuration file', p, 'file'));
  return out;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

async function checkPath({ path, kind }: CustomerPath): Promise<string | undefined> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${path} does not exist.`;
    if (code === 'ENOTDIR') return `${path} does not exist (a part of it is not a directory).`;
    return `${path} cannot be checked: ${(error as Error).message}`;
  }
  if (stats.isSymbolicLink()) {
    return `${path} is a symbolic link; give the real path${await resolvedHint(path)}.`;
  }
  if (kind === 'directory' && !stats.isDirectory()) return `${path} is not a directory.`;
  if (kind === 'file' && !stats.isFile()) return `${path} is not a regular file.`;
  const real = await realpath(path).catch(() => path);
  if (real !== path) return `${path} lies under a symbolic link; give the real path (${real}).`;
  return undefined;
}

async function resolvedHint(path: string): Promise<string> {
  try {
    return ` (${await realpath(path)})`;
  } catch {
    return '';
  }
}

function join(prefix: string, field: string): string {
  return prefix === '' ? field : `${prefix}.${field}`;
}

export interface OwnedPath extends CustomerPath {
  /** The customer's id. */
  owner: string;
  /** How issues name the customer's fields: `customers[2]` in a document, '' for a lone record. */
  prefix: string;
  /**
   * Where the customer comes in the document; -1 for a stored customer, whose paths only serve as
   * reference and are never reported on.
   */
  order: number;
}

/**
 * Paths that two customers share or nest: one customer's directory inside (or around) another's,
 * or the same file claimed twice. Each clash is reported once, on the customer that comes later
 * in the document, once per (field, other customer).
 */
export function findOverlaps(paths: readonly OwnedPath[]): InventoryIssue[] {
  // Sorting with '/' as the lowest character puts every path right after its ancestors, so one
  // pass with a stack of open ancestors finds every nesting.
  const keyed = paths.map((p) => ({ p, key: p.path.replaceAll('/', '\0') }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const issues: InventoryIssue[] = [];
  const reported = new Set<string>();
  const stack: OwnedPath[] = [];
  for (const { p: entry } of keyed) {
    while (stack.length > 0 && !contains(stack[stack.length - 1]!.path, entry.path)) stack.pop();
    for (const outer of stack) {
      if (outer.owner === entry.owner) continue;
      const [mine, other] = entry.order >= outer.order ? [entry, outer] : [outer, entry];
      if (mine.order < 0) continue;
      const field = join(mine.prefix, mine.field);
      const once = `${field}\0${other.owner}`;
      if (reported.has(once)) continue;
      reported.add(once);
      const how =
        outer.path === entry.path
          ? `is also the ${other.label} of customer ${other.owner}`
          : mine === entry
            ? `lies inside the ${other.label} of customer ${other.owner} (${other.path})`
            : `contains the ${other.label} of customer ${other.owner} (${other.path})`;
      issues.push({
        path: field,
        message: `${mine.path} ${how}; customers must not share files or directories.`,
      });
    }
    stack.push(entry);
  }
  return issues;
}

function contains(outer: string, inner: string): boolean {
  return inner === outer || inner.startsWith(outer === '/' ? '/' : `${outer}/`);
}
