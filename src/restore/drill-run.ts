/**
 * The host side of a restore drill: proves that a snapshot restores, without touching anything of
 * the customer's. Run by the agent with the repository open.
 *
 * - Files: a random sample of the snapshot's files (not its dumps), bounded in count and bytes,
 *   is restored into scratch space under the service's data directory (`drill-<job>-…`, removed
 *   afterwards). Each is compared byte for byte with the live file it came from when that file is
 *   unchanged since the backup (same size and modification time); a changed live file can only be
 *   checked for its recorded size. restic itself authenticates every blob it reads, so a damaged
 *   pack file fails the restore, which the drill reports as a difference.
 * - Databases: every dump of the snapshot (staged, or streamed into a snapshot of its own) is
 *   imported into a throw-away database with a random name and compared with the
 *   `CHECKSUM TABLE` values recorded at backup time, then dropped (src/database/restore.ts, drill
 *   mode): the same path a real restore takes up to its swap.
 *
 * DECISION — the live files as the reference: the browse index holds no content hashes, and
 * hashing every file at backup time would double the backup's reads. A file whose size and mtime
 * are unchanged is what restic itself treats as unchanged, so comparing it with the restored copy
 * checks the whole chain (read at backup, stored, restored).
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DrillAnswer, DrillRequest } from '../agent/protocol.js';
import type { Restic, RepositoryLocation } from '../engine/index.js';
import type { LsNode } from '../engine/types.js';
import { streamedDumps } from '../scope/scope.js';
import type { DatabaseRestorer } from './restore-run.js';

export interface DrillHostDeps {
  restic: Restic;
  databases: Pick<DatabaseRestorer, 'drill'>;
  dataDir: string;
}

export interface DrillRunContext {
  signal?: AbortSignal;
  log(line: string): void;
  /** From 0 to 1 of the drill's work. */
  progress?(fraction: number, message: string): void;
}

/** Differences named in the answer at most; the log has the count. */
const MAX_DIFFERENCES = 20;

export async function executeDrill(
  deps: DrillHostDeps,
  repo: RepositoryLocation,
  request: DrillRequest,
  ctx: DrillRunContext,
): Promise<DrillAnswer> {
  const started = Date.now();
  const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const differences: string[] = [];
  const differ = (line: string) => {
    ctx.log(`difference: ${line}`);
    differences.push(line);
  };
  const dbRoot = request.roots.db?.[0];
  const fileRoots = Object.entries(request.roots)
    .filter(([content]) => content !== 'db')
    .flatMap(([, paths]) => paths ?? []);

  // One listing of the snapshot: the files to sample and the dumps it holds.
  const files: LsNode[] = [];
  const dumpNames = new Set<string>();
  const checksumNames = new Set<string>();
  await deps.restic.ls(repo, request.snapshotId, {
    signal: ctx.signal,
    onNode: (node) => {
      if (node.type !== 'file') return;
      if (dbRoot && parentOf(node.path) === dbRoot) {
        const sql = /^(.+)\.sql$/.exec(node.name);
        const sums = /^(.+)\.checksums\.json$/.exec(node.name);
        if (sql) dumpNames.add(sql[1]!);
        if (sums) checksumNames.add(sums[1]!);
        return;
      }
      if (fileRoots.some((root) => within(node.path, root))) files.push(node);
    },
  });
  const sample = pickSample(files, request.sample);
  ctx.log(`Listed the snapshot: ${files.length} files, ${dumpNames.size} dump(s) (${seconds()})`);
  ctx.progress?.(0.1, 'Listing done');

  const databases = dbRoot ? [...new Set([...dumpNames, ...checksumNames])].sort() : [];
  const scratch = await mkdtemp(join(deps.dataDir, `drill-${request.jobId}-`));
  let filesCompared = 0;
  let filesChanged = 0;
  let databasesCompared = 0;
  try {
    // One restore of the sample and the staged dumps: each restic run loads the index and walks
    // the snapshot's tree, which costs more than the few files themselves.
    const target = join(scratch, 'restore');
    const dir = join(target, dbRoot ?? '/');
    const include = [
      ...sample.map((n) => n.path),
      ...databases.flatMap((name) => [
        join(dbRoot!, `${name}.sql`),
        join(dbRoot!, `${name}.checksums.json`),
      ]),
    ];
    let restored = include.length > 0;
    if (restored) {
      ctx.log(
        `Restoring ${sample.length} sampled file(s) of ${files.length} and ${databases.length} dump(s) into scratch space`,
      );
      try {
        await deps.restic.restore(repo, request.snapshotId, {
          target,
          include,
          signal: ctx.signal,
          onLog: ctx.log,
        });
        await restoreStreamedDumps(
          deps.restic,
          repo,
          request.snapshotId,
          dumpNames,
          databases,
          dir,
          ctx,
        );
      } catch (error) {
        if (ctx.signal?.aborted) throw error;
        restored = false;
        differ(`the snapshot did not restore: ${detailOf(error)}`);
      }
    }
    if (restored) {
      for (const node of sample) {
        const outcome = await compareFile(node, join(target, node.path));
        if (outcome === 'same') filesCompared++;
        else if (outcome === 'changed') filesChanged++;
        else differ(outcome);
      }
      ctx.log(
        `Files: ${filesCompared} compared with the live files and equal, ${filesChanged} changed since the backup (size checked only) (${seconds()})`,
      );
      ctx.progress?.(0.5, 'Files compared');
      for (const name of databases) {
        if (!request.customer.databases.includes(name)) {
          ctx.log(`database ${name} no longer belongs to this customer; not drilled`);
          continue;
        }
        ctx.log(`Importing database ${name} into a throw-away database`);
        try {
          await deps.databases.drill({
            database: name,
            dumpFile: join(dir, `${name}.sql`),
            checksumFile: join(dir, `${name}.checksums.json`),
            customerId: request.customer.id,
            allowedDatabases: request.customer.databases,
            jobId: `drill-${request.jobId}`,
            signal: ctx.signal,
            onLog: ctx.log,
          });
          databasesCompared++;
          ctx.log(`Database ${name} matches its recorded checksums (${seconds()})`);
        } catch (error) {
          if (ctx.signal?.aborted) throw error;
          differ(`database ${name}: ${detailOf(error)}`);
        }
      }
    }
    ctx.progress?.(1, 'Drill done');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  if (differences.length > MAX_DIFFERENCES)
    differences.splice(
      MAX_DIFFERENCES,
      differences.length,
      `and ${differences.length - MAX_DIFFERENCES} more`,
    );
  return { differences, filesCompared, filesChanged, databasesCompared };
}

/** Dumps streamed into snapshots of their own (restic 0.17+) are found through the tags. */
async function restoreStreamedDumps(
  restic: Restic,
  repo: RepositoryLocation,
  snapshotId: string,
  staged: Set<string>,
  databases: string[],
  dir: string,
  ctx: DrillRunContext,
): Promise<void> {
  const missing = databases.filter((name) => !staged.has(name));
  if (missing.length === 0) return;
  const [snapshot] = await restic.snapshots(repo, { ids: [snapshotId], signal: ctx.signal });
  const parts = streamedDumps(snapshot?.tags ?? []);
  for (const name of missing) {
    const part = parts.get(name);
    if (!part) throw new Error(`the snapshot holds no dump of database ${name}`);
    await restic.restore(repo, part, {
      target: dir,
      include: [`/${name}.sql`],
      signal: ctx.signal,
      onLog: ctx.log,
    });
  }
}

/**
 * A random sample, bounded in count and bytes: a file larger than the bytes left is passed over
 * for smaller ones, so one big file does not crowd out the rest.
 */
export function pickSample(
  files: LsNode[],
  limit: { files: number; bytes: number },
  random: () => number = Math.random,
): LsNode[] {
  const shuffled = [...files];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const picked: LsNode[] = [];
  let bytes = 0;
  for (const node of shuffled) {
    if (picked.length >= limit.files) break;
    const size = node.size ?? 0;
    if (bytes + size > limit.bytes) continue;
    picked.push(node);
    bytes += size;
  }
  return picked;
}

/**
 * 'same' when the restored copy equals the live file, 'changed' when the live file changed since
 * the backup (its recorded size still checked), or the difference in words.
 */
async function compareFile(node: LsNode, restored: string): Promise<'same' | 'changed' | string> {
  const restoredStat = await lstat(restored).catch(() => undefined);
  if (!restoredStat?.isFile()) return `file ${node.path}: missing from the restore`;
  if (node.size !== undefined && restoredStat.size !== node.size)
    return `file ${node.path}: restored with ${restoredStat.size} bytes, the snapshot records ${node.size}`;
  const live = await lstat(node.path).catch(() => undefined);
  if (!live?.isFile()) return 'changed';
  const recorded = node.mtime ? Date.parse(node.mtime) : NaN;
  if (live.size !== node.size || !(Math.abs(Math.floor(live.mtimeMs) - recorded) <= 1))
    return 'changed';
  const [a, b] = await Promise.all([hashOf(restored), hashOf(node.path, true)]);
  if (b === undefined) return 'changed';
  if (a !== b)
    return `file ${node.path}: content differs from the live file, though its size and time are as at the backup`;
  return 'same';
}

/** sha256 of a file; the live one opened without following a symlink put in its place. */
async function hashOf(path: string, live = false): Promise<string | undefined> {
  const handle = await open(path, constants.O_RDONLY | (live ? constants.O_NOFOLLOW : 0)).catch(
    () => undefined,
  );
  if (!handle) return undefined;
  const hash = createHash('sha256');
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false }))
      hash.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

function within(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}

function detailOf(error: unknown): string {
  const e = error as { message?: string; detail?: string };
  const text = e.detail ? `${e.message ?? ''} (${e.detail})` : (e.message ?? String(error));
  return text.replace(/\s+/g, ' ').slice(0, 500);
}
