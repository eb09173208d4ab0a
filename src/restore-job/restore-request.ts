/**
 * A restore as a customer asks for it on the Restore tab (or an admin through the CLI), and the
 * checks it must pass before a job exists: nothing is queued that cannot work.
 */
import { z } from 'zod';
import { ValidationError, type ErrorCode, type ErrorParams } from '../errors/index.js';
import type { Customer } from '../inventory/schema.js';
import type { Content } from '../scope/scope.js';
import { SERVICE_GROUPS, type RootGroup } from '../scope/labels.js';
import type { SnapshotRow } from '../store/index.js';

export const RESTORE_WHAT = [
  'web',
  'databases',
  'email',
  'everything',
  'file',
  'database',
  'mailbox',
] as const;

/** Linux's limits (NAME_MAX, PATH_MAX): a longer path could only fail deep inside the restore. */
export const MAX_NAME_BYTES = 255;
export const MAX_PATH_BYTES = 4096;
const TOO_LONG = 'The path is longer than 4,096 bytes, the most a path can have.';

export const restoreRequestSchema = z
  .object({
    what: z.enum(RESTORE_WHAT, {
      error: `What to restore must be one of: ${RESTORE_WHAT.join(', ')}`,
    }),
    /** For "file": the file's absolute path as shown when browsing. */
    path: z.string().max(MAX_PATH_BYTES, TOO_LONG).optional(),
    database: z.string().max(64).optional(),
    /** For "mailbox": its address. */
    mailbox: z.string().max(320).optional(),
    /** Email restores keep messages that arrived after the snapshot unless this is false. */
    keepNewerMail: z.boolean().default(true),
  })
  .strict();
export type RestoreRequest = z.infer<typeof restoreRequestSchema>;

/** A request the snapshot or the customer cannot satisfy; `field` names the request's field. */
export class RestoreRequestError extends ValidationError {
  constructor(
    readonly field: string,
    code: ErrorCode,
    message: string,
    params?: ErrorParams,
  ) {
    super([{ field, code, message, ...(params ? { params } : {}) }]);
    this.name = 'RestoreRequestError';
  }
}

/**
 * What is wrong with a file path a customer sent, in their words, or undefined when it is an
 * absolute path in canonical form (as browsing shows paths) that the file system can hold.
 */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'Choose a file from this snapshot.';
  if (path.includes('\0')) return 'The path contains a NUL character, which no file name can hold.';
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return TOO_LONG;
  if (path === '/') return 'Choose a file from this snapshot.';
  const names = path.slice(1).split('/');
  if (names.includes('..'))
    return 'The path contains "..": give the path of the file itself, as browsing shows it.';
  if (names.includes('.'))
    return 'The path contains "/./": give the path without "." parts, as browsing shows it.';
  if (names.at(-1) === '') return 'The path ends with "/": give the path without it.';
  if (names.includes('')) return 'The path contains "//": give the path with single slashes.';
  const long = names.find((name) => Buffer.byteLength(name) > MAX_NAME_BYTES);
  if (long !== undefined)
    return `The name "${long.slice(0, 24)}…" in the path is longer than 255 bytes, the most a file name can have.`;
  return undefined;
}

/**
 * Checks a request against the snapshot and its customer; throws RestoreRequestError. The
 * snapshot's contents and roots come decoded by their owner (snapshotContents, snapshotRoots).
 */
export function checkRestoreRequest(
  snapshot: Pick<SnapshotRow, 'kind' | 'undo' | 'scope'>,
  stored: { contents: readonly Content[]; roots: Partial<Record<Content, readonly string[]>> },
  customer: Customer,
  request: RestoreRequest,
): void {
  const { contents, roots } = stored;
  if (snapshot.kind === 'safety') checkUndoRequest(snapshot, request);
  const need = (content: Content, label: string) => {
    if (!contents.includes(content))
      throw new RestoreRequestError(
        'what',
        'restore.content_missing',
        `This snapshot contains no ${label}.`,
        { content },
      );
  };
  switch (request.what) {
    case 'web':
      return need('web', 'web files');
    case 'databases':
      return need('db', 'databases');
    case 'email':
      return need('mail', 'email');
    case 'everything':
      if (snapshot.scope !== 'full')
        throw new RestoreRequestError(
          'what',
          'restore.everything_needs_full',
          '"Restore everything" is only possible from a Full backup.',
        );
      return;
    case 'database':
      need('db', 'databases');
      if (!request.database || !customer.databases.includes(request.database))
        throw new RestoreRequestError(
          'database',
          'restore.database_unknown',
          'Choose one of your databases.',
        );
      return;
    case 'mailbox':
      need('mail', 'email');
      if (!request.mailbox || !customer.mailboxes.some((m) => m.address === request.mailbox))
        throw new RestoreRequestError(
          'mailbox',
          'restore.mailbox_unknown',
          'Choose one of your mailboxes.',
        );
      return;
    case 'file': {
      const path = request.path ?? '';
      const problem = pathProblem(path);
      if (problem) throw new RestoreRequestError('path', 'restore.path_invalid', problem);
      // Only the customer's own places: a database dump restores as a database, and its place
      // in the snapshot is the service's staging directory.
      const inside = Object.entries(roots)
        .filter(([content]) => !SERVICE_GROUPS.has(content as RootGroup))
        .flatMap(([, paths]) => paths ?? [])
        .some((root) => path === root || path.startsWith(`${root}/`));
      if (!inside)
        throw new RestoreRequestError(
          'path',
          'restore.path_invalid',
          'Choose a file from this snapshot.',
        );
    }
  }
}

/**
 * A safety snapshot holds one area, one file or one database: it restores that and nothing
 * else (a web files restore from the safety copy of one file would empty the web root but that
 * file). Mail may be merged or replaced, as the customer chooses.
 */
function checkUndoRequest(
  snapshot: Pick<SnapshotRow, 'kind' | 'undo'>,
  request: RestoreRequest,
): void {
  const undo = undoOf(snapshot);
  const same =
    undo !== undefined &&
    undo.what === request.what &&
    (undo.path ?? null) === (request.path ?? null) &&
    (undo.database ?? null) === (request.database ?? null) &&
    (undo.mailbox ?? null) === (request.mailbox ?? null);
  if (!same)
    throw new RestoreRequestError(
      'what',
      'restore.safety_mismatch',
      `This safety copy can only restore what it saved: ${undo ? describeUndo(undo) : 'nothing'}.`,
      { saved: undo ? describeUndo(undo) : 'nothing' },
    );
}

/** The restore request that puts back what a safety snapshot saved, decoded and checked. */
export function undoOf(snapshot: Pick<SnapshotRow, 'kind' | 'undo'>): RestoreRequest | undefined {
  if (snapshot.kind !== 'safety' || snapshot.undo == null) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(snapshot.undo);
  } catch {
    return undefined;
  }
  const parsed = restoreRequestSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** What a safety snapshot saved, in the Restore tab's words. */
export function describeUndo(undo: RestoreRequest): string {
  switch (undo.what) {
    case 'web':
      return 'web files';
    case 'file':
      return `the file ${undo.path ?? ''}`;
    case 'database':
      return `database ${undo.database ?? ''}`;
    case 'mailbox':
      return `mailbox ${undo.mailbox ?? ''}`;
    default:
      return undo.what;
  }
}

/**
 * What a restore keeps in its journal for the record of a safety snapshot (JSON): recovery after
 * a crash makes a snapshot the restore still owed, and records it with this.
 */
export interface SafetyRecord {
  content: Content;
  roots: Partial<Record<Content, string[]>>;
  undo: RestoreRequest;
}
