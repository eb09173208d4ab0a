/**
 * The Restore tab's actions on one snapshot: Browse Files (its directories under friendly roots:
 * Web files, Databases, Email, SSL, Configuration), Download (one file as it is, a directory as
 * tar.gz) and Restore (a job, through the restore service).
 */
import { Transform } from 'node:stream';
import { z } from 'zod';
import type { Authenticated } from '../auth/index.js';
import { EngineError, type Restic } from '../engine/index.js';
import type { RepositoryService } from '../repository/repository-service.js';
import { RestoreRequestError, restoreRequestSchema } from '../restore/restore-request.js';
import { RestoreLimitError, type RestoreService } from '../restore/restore-service.js';
import { NotFoundError, type ScheduleService } from '../schedule/schedule-service.js';
import { AmbiguousSnapshotError } from '../snapshot/records.js';
import {
  BrowseError,
  checkDownloadable,
  downloadDirectory,
  downloadFile,
  type FriendlyRoots,
  type SnapshotBrowser,
} from '../snapshot/index.js';
import type { SnapshotRow, Store } from '../store/index.js';
import { ApiError, ErrorBodySchema, GENERIC_FAILURE, notFound } from './errors.js';
import { reachSnapshot, viewerOf } from './snapshot-access.js';
import type { RouteRegistry } from './registry.js';

export interface SnapshotRouteDeps {
  store: Store;
  schedules: ScheduleService;
  repositories: RepositoryService;
  restic: Restic;
  browser: SnapshotBrowser;
  restores: Pick<RestoreService, 'request'>;
  /** The service log: a download that fails once it has started can only be reported there. */
  log?: (line: string) => void;
}

const SnapshotParams = z.strictObject({
  repositoryId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  snapshotId: z.string().regex(/^[0-9a-f]{8,64}$/, 'Snapshot ID must be a hexadecimal id'),
});
const PathQuery = z.strictObject({
  path: z
    .string()
    .max(4096, 'The path is too long')
    .refine((p) => !p.includes('\0'), 'The path contains a NUL character')
    .default('/'),
  offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(200),
});
const EntrySchema = z.object({
  name: z.string(),
  type: z.string(),
  path: z.string().describe('The path to browse or download, under the friendly roots.'),
  realPath: z
    .string()
    .optional()
    .describe(
      'The file in your areas, for "Restore" of a single file; absent where there is none (Databases restore as a whole).',
    ),
  size: z.number().nullable().optional(),
  mtime: z.string().nullable().optional(),
});
const ListingSchema = z.object({
  path: z.string(),
  entries: z.array(EntrySchema),
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
});

export function snapshotRoutes(deps: SnapshotRouteDeps) {
  /** The snapshot if the caller may see it, with a location to read it; else the one 404. */
  async function reach(principal: Authenticated, repositoryId: number, snapshotId: string) {
    const { snapshot, schedule } = await reachSnapshot(deps, principal, repositoryId, snapshotId);
    const owner = schedule.owner_kind === 'server' ? 'server' : snapshot.customer_id;
    const repo = await deps.repositories.locationFor(deps.schedules.target(schedule), owner);
    await deps.browser.open(repo.location, snapshot.id, { timeoutMs: 600_000, stallMs: 120_000 });
    return { snapshot, repo, roots: rootsOf(snapshot) };
  }

  return (api: RouteRegistry): void => {
    api.route({
      method: 'GET',
      path: '/api/snapshots/:repositoryId/:snapshotId/browse',
      operationId: 'browseSnapshot',
      summary: 'List a directory of a snapshot under friendly roots',
      description:
        '`/` lists Web files, Databases, Email, SSL and Configuration (those the snapshot holds). The first call on a snapshot builds its index with one listing of the whole snapshot; later calls answer from the index.',
      tags: ['snapshots'],
      access: 'signed-in',
      params: SnapshotParams,
      query: PathQuery,
      responses: { 200: { description: 'One page of the directory.', schema: ListingSchema } },
      async handler({ principal, params, query }) {
        const { snapshot, roots } = await reach(principal, params.repositoryId, params.snapshotId);
        return translate(() => {
          const listing = deps.browser.listFriendly(snapshot.id, roots, query.path, {
            offset: query.offset,
            limit: query.limit,
          });
          return {
            ...listing,
            entries: listing.entries.map((e) => ({
              name: e.name,
              type: e.type,
              path: e.path,
              realPath: e.realPath,
              size: e.size ?? null,
              mtime: e.mtime ?? null,
            })),
          };
        });
      },
    });

    api.route({
      method: 'GET',
      path: '/api/snapshots/:repositoryId/:snapshotId/download',
      operationId: 'downloadFromSnapshot',
      summary: 'Download a file as it is, or a directory as tar.gz, without restoring',
      tags: ['snapshots'],
      access: 'signed-in',
      params: SnapshotParams,
      query: PathQuery,
      responses: {
        200: {
          description:
            'The file, or a tar.gz of the directory (symbolic links in it stay links, named pipes stay pipes; device files are left out, listed in hostvault-download-note.txt at its top).',
          contentType: 'application/octet-stream',
        },
        422: {
          description:
            'A symbolic link (the message names its target), named pipe, socket or device file: it has no content of its own to download.',
          schema: ErrorBodySchema,
        },
      },
      async handler({ principal, params, query, reply }) {
        const { snapshot, repo, roots } = await reach(
          principal,
          params.repositoryId,
          params.snapshotId,
        );
        const target = await translate(async () =>
          deps.browser.resolveFriendly(snapshot.id, roots, query.path),
        );
        if (target.kind !== 'real')
          throw new ApiError(400, 'Choose a file or a folder to download.', [
            { field: 'path', message: 'Choose a file or a folder' },
          ]);
        const entry = deps.browser.stat(snapshot.id, target.realPath);
        if (!entry) throw notFound();
        // Refused here, before the answer starts: a refusal from the running download could
        // only cut the stream off (and Fastify then answered 500 with its own body).
        await translate(() =>
          checkDownloadable(deps.restic, repo.location, snapshot.id, entry, query.path),
        );
        // Named as the customer saw it: the snapshot path may be the service's own (Databases).
        const name = target.path.split('/').pop() || 'download';
        const isDir = entry.type === 'dir';
        // The answer starts with the first bytes: a failure before them (restic finds nothing,
        // the target is down) still gets a JSON error, where Fastify, with the download's
        // content type already set, could only answer a bare 500 of its own.
        let markStarted!: () => void;
        const started = new Promise<void>((resolve) => (markStarted = resolve));
        const stream = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            markStarted();
            done(null, chunk);
          },
          flush(done) {
            markStarted();
            done();
          },
        });
        // Its errors are the download's, handled through `work` below.
        stream.on('error', () => undefined);
        const options = { roots, browser: deps.browser, stallMs: 120_000, archiveName: name };
        const work = isDir
          ? downloadDirectory(
              deps.restic,
              repo.location,
              snapshot.id,
              target.realPath,
              stream,
              options,
            )
          : downloadFile(deps.restic, repo.location, snapshot.id, target.realPath, stream, options);
        const report = (error: unknown): void =>
          deps.log?.(
            `download of ${target.realPath} from snapshot ${snapshot.id.slice(0, 8)} (customer ${snapshot.customer_id}) failed: ${describeError(error)}`,
          );
        const failedEarly = await Promise.race([
          started.then(() => undefined),
          work.then(
            () => undefined,
            (error: unknown) => ({ error }),
          ),
        ]);
        if (failedEarly) {
          report(failedEarly.error);
          if (failedEarly.error instanceof BrowseError)
            await translate(() => Promise.reject(failedEarly.error));
          throw new ApiError(
            500,
            failedEarly.error instanceof EngineError
              ? `The download could not be read from the backup. ${failedEarly.error.message}`
              : GENERIC_FAILURE,
          );
        }
        let clientGone = false;
        reply.raw.once('close', () => (clientGone ||= !reply.raw.writableFinished));
        work.catch((error: unknown) => {
          // A customer who closes the page ends the download: nothing went wrong.
          if (!clientGone) report(error);
          stream.destroy(error as Error);
        });
        reply.header('content-type', isDir ? 'application/gzip' : 'application/octet-stream');
        reply.header(
          'content-disposition',
          `attachment; filename="${asciiName(isDir ? `${name}.tar.gz` : name)}"`,
        );
        return reply.send(stream);
      },
    });

    api.route({
      method: 'POST',
      path: '/api/snapshots/:repositoryId/:snapshotId/restore',
      operationId: 'restoreSnapshot',
      summary: 'Restore from a snapshot in the background',
      description:
        'what: web, databases, email, everything (Full snapshots only), file (with path), database (with database) or mailbox (with mailbox). The current data is backed up into a safety snapshot first. A customer may have a few restores waiting or running at once (the provider sets how many); a further one is refused with 409 until one has finished.',
      tags: ['snapshots'],
      access: 'signed-in',
      params: SnapshotParams,
      body: restoreRequestSchema,
      responses: {
        202: { description: 'Queued.', schema: z.object({ jobId: z.number().int() }) },
        409: {
          description: 'As many restores are waiting or running as the provider allows.',
          schema: ErrorBodySchema,
        },
      },
      async handler({ principal, params, body }) {
        const { jobId } = await translateRestore(() =>
          deps.restores.request(viewerOf(principal), params, body),
        );
        return { jobId };
      },
    });
  };
}

/** The restore service's refusals in the API's words; every "cannot reach it" is the one 404. */
async function translateRestore<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RestoreRequestError)
      throw new ApiError(400, error.message, [{ field: error.field, message: error.message }]);
    if (error instanceof AmbiguousSnapshotError)
      throw new ApiError(400, error.message, [{ field: 'snapshotId', message: error.message }]);
    if (error instanceof RestoreLimitError) throw new ApiError(409, error.message);
    if (error instanceof NotFoundError) throw notFound();
    throw error;
  }
}

function rootsOf(snapshot: SnapshotRow): FriendlyRoots {
  return JSON.parse(snapshot.roots ?? '{}') as FriendlyRoots;
}

async function translate<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BrowseError) {
      if (error.kind === 'not-found') throw notFound();
      if (error.kind === 'no-content')
        throw new ApiError(422, error.message, [{ field: 'path', message: error.message }]);
      throw new ApiError(400, error.message, [{ field: 'path', message: error.message }]);
    }
    throw error;
  }
}

/** An error for the service log: its message, and restic's own words when it has them. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const detail = (error as { detail?: unknown }).detail;
  return typeof detail === 'string' && detail ? `${error.message} (${detail})` : error.message;
}

function asciiName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || 'download';
}
