/**
 * The Restore tab's actions on one snapshot: Browse Files (its directories under friendly roots:
 * Web files, Databases, Email, SSL, Configuration), Download (one file as it is, a directory as
 * tar.gz) and Restore (a job, through the restore service).
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { HostAgent } from '../agent/agent.js';
import type { BrowseListAnswer } from '../agent/protocol.js';
import { PREVIEW_PAGE_MAX } from '../agent/protocol.js';
import { asAgentError, refusalOf } from '../agent/errors.js';
import type { Authenticated } from '../auth/index.js';
import { COMPARE_LIMIT_BYTES, FileVersions } from '../repository/file-versions.js';
import type { RepositoryService } from '../repository/repository-service.js';
import { restoreRequestSchema } from '../restore-job/restore-request.js';
import type { RestoreService } from '../restore-job/restore-service.js';
import { snapshotRoots } from '../repository/snapshot-records.js';
import { HostvaultError, ValidationError } from '../errors/index.js';
import type { Store } from '../store/index.js';
import { ErrorBodySchema, notFound } from './errors.js';
import { reachSnapshot, viewerOf } from './snapshot-access.js';
import type { RouteRegistry } from './registry.js';

export interface SnapshotRouteDeps {
  store: Store;
  /** The snapshot's repository, found by its id, and the target it is reached through. */
  repositories: Pick<RepositoryService, 'place' | 'access'>;
  /** The hosting server: browse indexes and downloads are built and read there. */
  agent: Pick<HostAgent, 'browse' | 'download'>;
  restores: Pick<RestoreService, 'request' | 'preview'>;
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
const EntrySchema = z
  .object({
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
  })
  .meta({ id: 'BrowseEntry' });
const ListingSchema = z
  .object({
    path: z.string(),
    entries: z.array(EntrySchema),
    total: z.number().int(),
    offset: z.number().int(),
    limit: z.number().int(),
  })
  .meta({ id: 'BrowseListing' });
const SearchQuery = z.strictObject({
  q: z
    .string()
    .max(4096, 'The search text is too long')
    .describe('Part of a file or folder name; letters match in any case.'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const SearchSchema = z
  .object({
    query: z.string().describe('The text searched for, trimmed.'),
    entries: z.array(EntrySchema),
    more: z
      .boolean()
      .describe('True when more names match than were returned: a longer search text narrows it.'),
  })
  .meta({ id: 'BrowseSearch' });
const FileQuery = z.strictObject({
  path: PathQuery.shape.path.describe('The file, under the friendly roots.'),
});
const CompareQuery = FileQuery.extend({
  with: SnapshotParams.shape.snapshotId.describe(
    'The other snapshot of the same repository to compare with; older or newer.',
  ),
});
const VersionSchema = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('present'),
      snapshotId: z.string().describe('The newest snapshot holding this version.'),
      time: z.string(),
      since: z.string().describe('The oldest snapshot of the run holding this version.'),
      snapshots: z.number().int(),
      size: z.number().nullable(),
      mtime: z.string().nullable(),
      realPath: z.string().optional(),
    }),
    z.object({
      kind: z.literal('absent'),
      time: z.string(),
      since: z.string(),
      snapshots: z.number().int(),
    }),
  ])
  .meta({ id: 'FileVersion' });
const HistorySchema = z
  .object({
    path: z.string(),
    versions: z.array(VersionSchema),
    snapshots: z.number().int().describe('Snapshots looked at, the newest 100 at most.'),
  })
  .meta({ id: 'FileHistory' });
const DiffLineSchema = z.object({
  op: z.enum(['same', 'added', 'removed']),
  text: z.string(),
});
const CompareSchema = z
  .object({
    older: z.object({ snapshotId: z.string(), time: z.string() }),
    newer: z.object({ snapshotId: z.string(), time: z.string() }),
    diff: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('same') }),
      z.object({
        kind: z.literal('changed'),
        added: z.number().int(),
        removed: z.number().int(),
        hunks: z.array(
          z.object({
            oldStart: z.number().int(),
            newStart: z.number().int(),
            lines: z.array(DiffLineSchema),
          }),
        ),
      }),
      z.object({
        kind: z.literal('too-different'),
        oldLines: z.number().int(),
        newLines: z.number().int(),
      }),
      z.object({ kind: z.literal('binary') }),
      z.object({ kind: z.literal('too-large'), limitBytes: z.number().int() }),
    ]),
  })
  .meta({ id: 'FileComparison' });
/** The restore request as the route takes it (its answer forms, such as a safety snapshot's undo, fill in defaults). */
const RestoreRequestBody = restoreRequestSchema.meta({ id: 'RestoreRequest' });

const PreviewAction = z.enum(['add', 'change', 'delete']);
/** The restore request, and which page of which list of the preview. */
const RestorePreviewBody = restoreRequestSchema
  .extend({
    action: PreviewAction.default('add').describe('Which list to page through.'),
    offset: z.number().int().min(0).max(1_000_000_000).default(0),
    limit: z.number().int().min(1).max(PREVIEW_PAGE_MAX).default(50),
  })
  .meta({ id: 'RestorePreviewRequest' });
const RestorePreviewSchema = z
  .object({
    method: z
      .enum(['dry-run', 'index'])
      .describe(
        "dry-run: restic's own dry run (0.17+) decided; index: the snapshot's listing against the live files by size and modification time (restic 0.14).",
      ),
    areas: z.array(
      z
        .object({
          group: z.enum(['web', 'mail', 'ssl', 'config']),
          part: z
            .enum(['area', 'filters', 'file'])
            .describe(
              "area: a web root or Maildir; filters: a mailbox's Sieve filters; file: one file.",
            ),
          name: z
            .string()
            .optional()
            .describe("The mailbox's address, or the file's path in its group."),
          mode: z
            .enum(['replace', 'keep-newer'])
            .describe(
              'replace: afterwards the area is as in the snapshot; keep-newer: nothing is deleted.',
            ),
          add: z.number().int(),
          change: z.number().int(),
          delete: z.number().int(),
          unchanged: z.number().int(),
          bytes: z.number().int().describe('Bytes of the files added and changed.'),
        })
        .meta({ id: 'RestorePreviewArea' }),
    ),
    databases: z.array(z.string()).describe('Databases replaced as a whole.'),
    page: z.object({
      action: PreviewAction,
      offset: z.number().int(),
      limit: z.number().int(),
      total: z.number().int(),
      items: z.array(
        z.object({
          area: z.number().int().describe('Index into areas.'),
          path: z
            .string()
            .describe('Relative to the area; empty for a file area (the file itself).'),
          size: z.number().int().optional(),
        }),
      ),
    }),
  })
  .meta({ id: 'RestorePreview' });

export function snapshotRoutes(deps: SnapshotRouteDeps) {
  const versions = new FileVersions(deps);
  /**
   * The snapshot if the caller may see it, with what the agent needs to read it (SECRET: the
   * repository's password; never logged); else the one 404.
   */
  async function reach(principal: Authenticated, repositoryId: number, snapshotId: string) {
    const { snapshot, place } = await reachSnapshot(deps, principal, repositoryId, snapshotId);
    const repository = await deps.repositories.access(place.target.target, place.owner);
    // The first request on a snapshot builds its index with one listing of the whole snapshot.
    const request = {
      repository,
      snapshotId: snapshot.id,
      roots: snapshotRoots(snapshot),
      timeoutMs: 600_000,
      stallMs: 120_000,
    };
    return { snapshot, request };
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
        const { request } = await reach(principal, params.repositoryId, params.snapshotId);
        const listing = await deps.agent.browse.list({
          ...request,
          path: query.path,
          offset: query.offset,
          limit: query.limit,
        });
        return { ...listing, entries: listing.entries.map(entryOf) };
      },
    });

    api.route({
      method: 'GET',
      path: '/api/snapshots/:repositoryId/:snapshotId/search',
      operationId: 'searchSnapshot',
      summary: 'Find files and folders of a snapshot by name',
      description:
        'Every file and folder under the friendly roots whose name holds `q`, named by the paths browsing uses, folder by folder. Like browsing, the first call on a snapshot builds its index.',
      tags: ['snapshots'],
      access: 'signed-in',
      params: SnapshotParams,
      query: SearchQuery,
      responses: { 200: { description: 'The first matches.', schema: SearchSchema } },
      async handler({ principal, params, query }) {
        const { request } = await reach(principal, params.repositoryId, params.snapshotId);
        const found = await deps.agent.browse.search({
          ...request,
          query: query.q,
          limit: query.limit,
        });
        return { ...found, entries: found.entries.map(entryOf) };
      },
    });

    api.route({
      method: 'GET',
      path: '/api/snapshots/:repositoryId/:snapshotId/versions',
      operationId: 'fileVersions',
      summary: 'Every version of one file across the snapshots of its schedule',
      description:
        'Newest first; consecutive snapshots holding the same version (same size and modification time) are one version, and runs of snapshots without the file are listed as absent.',
      tags: ['snapshots'],
      access: 'signed-in',
      params: SnapshotParams,
      query: FileQuery,
      responses: { 200: { description: 'The file history.', schema: HistorySchema } },
      async handler({ principal, params, query }) {
        const { snapshot, place } = await reachSnapshot(
          deps,
          principal,
          params.repositoryId,
          params.snapshotId,
        );
        return versions.history(snapshot, place, query.path);
      },
    });

    api.route({
      method: 'GET',
      path: '/api/snapshots/:repositoryId/:snapshotId/compare',
      operationId: 'compareFileVersions',
      summary: 'What changed in a text file between two snapshots',
      description: `Line by line, as \`diff -u\` shows it; files over ${COMPARE_LIMIT_BYTES / 1024 / 1024} MiB or with binary content are reported as such.`,
      tags: ['snapshots'],
      access: 'signed-in',
      params: SnapshotParams,
      query: CompareQuery,
      responses: { 200: { description: 'The differences.', schema: CompareSchema } },
      async handler({ principal, params, query }) {
        const one = await reachSnapshot(deps, principal, params.repositoryId, params.snapshotId);
        const other = await reachSnapshot(deps, principal, params.repositoryId, query.with);
        const [older, newer] =
          one.snapshot.time <= other.snapshot.time
            ? [one.snapshot, other.snapshot]
            : [other.snapshot, one.snapshot];
        const diff = await versions.compare(one.place, query.path, older, newer);
        return {
          older: { snapshotId: older.id, time: older.time },
          newer: { snapshotId: newer.id, time: newer.time },
          diff,
        };
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
        const { snapshot, request } = await reach(
          principal,
          params.repositoryId,
          params.snapshotId,
        );
        const found = await deps.agent.browse.stat({ ...request, path: query.path });
        if (found.kind !== 'real')
          throw new ValidationError(
            [
              {
                field: 'path',
                code: 'download.choose_entry',
                message: 'Choose a file or a folder',
              },
            ],
            'Choose a file or a folder to download.',
          );
        if (!found.entry) throw notFound();
        const report = (error: unknown): void =>
          deps.log?.(
            `download of ${found.realPath} from snapshot ${snapshot.id.slice(0, 8)} (customer ${snapshot.customer_id}) failed: ${describeError(error)}`,
          );
        // The agent answers once the first bytes are ready: a refusal (a link, a device file) or
        // a failure before them (restic finds nothing, the target is down) still gets a JSON
        // error, where Fastify, with the download's content type already set, could only answer
        // a bare 500 of its own.
        let download;
        try {
          download = await deps.agent.download({ ...request, path: query.path });
        } catch (caught) {
          const error = asAgentError(caught);
          // A refusal (a link, a device file, a path outside the areas) is the request's, not a
          // failure of the service.
          const refusal = refusalOf(error);
          if (refusal) throw refusal;
          report(error);
          if (error.from !== 'restic') throw error;
          throw new HostvaultError(
            'download.failed',
            `The download could not be read from the backup. ${error.message}`,
            { params: { reason: error.message }, cause: error },
          );
        }
        const { meta, chunks } = download;
        let clientGone = false;
        reply.raw.once('close', () => (clientGone ||= !reply.raw.writableFinished));
        async function* bytes(): AsyncGenerator<Uint8Array> {
          try {
            yield* chunks;
          } catch (error) {
            // A customer who closes the page ends the download: nothing went wrong.
            if (!clientGone) report(error);
            throw error;
          }
        }
        const stream = Readable.from(bytes(), { objectMode: false });
        reply.header('content-type', meta.contentType);
        reply.header(
          'content-disposition',
          `attachment; filename="${asciiName(meta.kind === 'dir' ? `${meta.name}.tar.gz` : meta.name)}"`,
        );
        return reply.send(stream);
      },
    });

    api.route({
      method: 'POST',
      path: '/api/snapshots/:repositoryId/:snapshotId/restore/preview',
      operationId: 'previewRestore',
      summary: 'What a restore would do, before it is asked for',
      description:
        'The same request as restoreSnapshot, checked the same way; nothing is queued or written. Per area: how many files the restore would add, change and delete (an area restored as a whole ends as in the snapshot, so what is live and not in the snapshot is deleted; its current content goes into the safety snapshot first), and the databases it replaces. One page of one list (action, offset, limit); the agent keeps the preview for two minutes, so further pages do not compare the area again.',
      tags: ['snapshots'],
      access: 'signed-in',
      params: SnapshotParams,
      body: RestorePreviewBody,
      responses: { 200: { description: 'Counts and one page.', schema: RestorePreviewSchema } },
      async handler({ principal, params, body }) {
        const { action, offset, limit, ...request } = body;
        return deps.restores.preview(viewerOf(principal), params, request, {
          action,
          offset,
          limit,
        });
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
      body: RestoreRequestBody,
      responses: {
        202: { description: 'Queued.', schema: z.object({ jobId: z.number().int() }) },
        409: {
          description: 'As many restores are waiting or running as the provider allows.',
          schema: ErrorBodySchema,
        },
      },
      async handler({ principal, params, body }) {
        const { jobId } = await deps.restores.request(viewerOf(principal), params, body);
        return { jobId };
      },
    });
  };
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

/** An entry as the API shows it: what a customer needs to browse, download and restore it. */
function entryOf(e: BrowseListAnswer['entries'][number]): z.infer<typeof EntrySchema> {
  return {
    name: e.name,
    type: e.type,
    path: e.path,
    realPath: e.realPath,
    size: e.size ?? null,
    mtime: e.mtime ?? null,
  };
}
