/**
 * The browse index of one snapshot: a SQLite file built by streaming `restic ls --json` once, so
 * that listing any directory afterwards is a B-tree range read instead of a repository open.
 *
 * Layout: one WITHOUT ROWID table keyed (parent, rank, name), rank 0 for directories and 1 for
 * everything else, so a page of a directory in display order (directories first, then by name) is
 * one contiguous range of the primary key: no sort, no secondary index to maintain while building.
 * Directories get small integer ids instead of storing path strings; a path is resolved by walking
 * its names from the root, one point lookup per level. Child counts are kept per directory so a
 * page's total costs one lookup even for a directory of 100,000 files.
 *
 * The build streams: restic lists depth first, so the parent of every entry is on a stack of the
 * directories currently open, and memory stays flat whatever the snapshot's size (about 160 MB
 * RSS for a million entries, most of it SQLite's page cache). Rows go in 64 per statement,
 * committed every 50,000, with journal and fsync off: the file is a temp file until it is
 * complete, marked complete in its last transaction, flushed once and renamed, so a crash at any
 * moment leaves either no index or a whole one. The build's own CPU (parsing restic's JSON lines
 * and inserting) runs beside restic's, so on an idle second core a build takes about as long as
 * restic needs to list the snapshot; after restic exits, finishing the file takes under 0.1 s.
 */
import Database from 'better-sqlite3';
import {
  chmodSync,
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type {
  LsNode,
  OperationOptions,
  RepositoryLocation,
  SnapshotSummary,
} from '../engine/index.js';
import type { Restic } from '../engine/index.js';
import { isServiceFile } from '../scope/labels.js';
import { streamedDumps, tag } from '../scope/scope.js';
import { BrowseError } from './errors.js';
import { baseName, joinPath, parentOf, pathSegments } from './paths.js';

/** Bump when the schema changes: indexes of another format are rebuilt. */
export const INDEX_FORMAT = 2;
const ROOT_ID = 1;
const COLUMNS = 11;
const ROWS = 64;
const COMMIT_ROWS = 50_000;
/** Matches read per statement of a search. */
const SEARCH_CHUNK = 256;

export type EntryType = LsNode['type'];

export interface BrowseEntry {
  name: string;
  type: EntryType;
  /** Absolute path inside the snapshot. */
  path: string;
  size?: number;
  /** As restic reports it (RFC 3339 with nanoseconds and the zone of the backed-up host). */
  mtime?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  linkTarget?: string;
}

/**
 * A database dump that a restic 0.17+ backup streamed into a snapshot of its own
 * (src/host/backup-groups.ts), listed in the index where a staged dump would be.
 */
export interface StreamedDumpSource {
  database: string;
  /** Where the index lists it: beside the dump's checksum record in the backup's snapshot. */
  path: string;
  /** The dump's own snapshot (full id) and the dump's path there (`/<db>.sql`). */
  snapshotId: string;
  source: string;
}

export interface IndexMeta {
  format: number;
  snapshot: SnapshotSummary;
  /** The dumps listed from snapshots of their own; absent for a backup that staged them. */
  dumps?: StreamedDumpSource[];
  entries: number;
  dirs: number;
  builtAt: string;
  buildSeconds: number;
}

export interface Page {
  offset: number;
  limit: number;
}

interface Row {
  name: string;
  type: string;
  size: number | null;
  mtime: string | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  link: string | null;
  dir: number | null;
}

const SCHEMA = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE entries (
    parent INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    size INTEGER,
    mtime TEXT,
    mode INTEGER,
    uid INTEGER,
    gid INTEGER,
    link TEXT,
    dir INTEGER,
    PRIMARY KEY (parent, rank, name)
  ) WITHOUT ROWID;
  CREATE TABLE dirs (id INTEGER PRIMARY KEY, count INTEGER NOT NULL);
`;

/**
 * Search by name (format 2), filled once the entries are in: every name with its parent in a
 * rowid table of its own, so that a substring search reads ~25 bytes a row instead of the
 * entries' ~90 (a scan of a million names takes ~45 ms where one of the entries took ~150 ms;
 * a trigram full-text index answered faster but took ~5 s per million names to build, on every
 * backup, for a search customers make now and then). `folders` gives each directory id its
 * parent and name, so a match's path is a few point lookups up to the root.
 */
const SEARCH_SCHEMA = `
  CREATE TABLE names (name TEXT NOT NULL, parent INTEGER NOT NULL);
  INSERT INTO names (name, parent) SELECT name, parent FROM entries;
  CREATE TABLE folders (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL, name TEXT NOT NULL);
  INSERT INTO folders (id, parent, name) SELECT dir, parent, name FROM entries WHERE rank = 0;
`;

interface Frame {
  path: string;
  id: number;
  count: number;
}

/**
 * Streams the whole snapshot into a new index at `tempFile`, then renames it to what
 * `finalName(fullSnapshotId)` returns. Removes the temp file on any failure.
 */
export async function buildIndex(
  restic: Restic,
  repo: RepositoryLocation,
  snapshotId: string,
  tempFile: string,
  finalName: (fullId: string) => string,
  opts: OperationOptions = {},
): Promise<{ file: string; meta: IndexMeta }> {
  const started = process.hrtime.bigint();
  const db = new Database(tempFile);
  try {
    // File names of a customer's data: for root's eyes only.
    chmodSync(tempFile, 0o600);
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('cache_size = -65536');
    db.exec(SCHEMA);

    const columns = '(parent, rank, name, type, size, mtime, mode, uid, gid, link, dir)';
    const values = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    // Rows go in ROWS at a time: one call into SQLite per batch instead of per entry.
    const insertBatch = db.prepare(
      `INSERT OR IGNORE INTO entries ${columns} VALUES ${Array(ROWS).fill(values).join(', ')}`,
    );
    const insertOne = db.prepare(`INSERT OR IGNORE INTO entries ${columns} VALUES ${values}`);
    const addCount = db.prepare(
      'INSERT INTO dirs (id, count) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET count = count + excluded.count',
    );
    const findDir = db.prepare(
      'SELECT dir FROM entries WHERE parent = ? AND rank = 0 AND name = ?',
    );
    findDir.pluck();

    let nextId = ROOT_ID + 1;
    let entries = 0;
    let dirs = 0;
    let uncommitted = 0;
    /**
     * Rows listed twice (never seen: restic trees hold unique names) or replaced by a streamed
     * dump; counts are then redone.
     */
    let ignored = 0;
    let batch: unknown[] = [];
    const writeRows = (): void => {
      const rows = batch.length / COLUMNS;
      if (rows === 0) return;
      let written = 0;
      if (rows === ROWS) written = insertBatch.run(batch).changes;
      else
        for (let i = 0; i < batch.length; i += COLUMNS)
          written += insertOne.run(batch.slice(i, i + COLUMNS)).changes;
      ignored += rows - written;
      batch = [];
      uncommitted += rows;
      if (uncommitted >= COMMIT_ROWS) {
        db.exec('COMMIT; BEGIN');
        uncommitted = 0;
      }
    };

    const stack: Frame[] = [{ path: '/', id: ROOT_ID, count: 0 }];
    /** Directories created because an entry came before them (empty when restic goes depth first). */
    const implied = new Map<string, number>();
    const describeDir = db.prepare(
      'UPDATE entries SET mtime = ?, mode = ?, uid = ?, gid = ? WHERE parent = ? AND rank = 0 AND name = ?',
    );
    const dropFile = db.prepare('DELETE FROM entries WHERE parent = ? AND rank = 1 AND name = ?');
    const flush = (frame: Frame): void => {
      addCount.run(frame.id, frame.count);
    };

    /** Queues a row under `parent`; returns the new directory's id, or null for other types. */
    const add = (
      parent: Frame,
      node: Pick<LsNode, 'name' | 'type'> & Partial<LsNode>,
    ): number | null => {
      const isDir = node.type === 'dir';
      const id = isDir ? nextId++ : null;
      batch.push(
        parent.id,
        isDir ? 0 : 1,
        node.name,
        node.type,
        node.size ?? null,
        node.mtime ?? null,
        node.mode ?? null,
        node.uid ?? null,
        node.gid ?? null,
        node.linkTarget ?? null,
        id,
      );
      if (batch.length === ROWS * COLUMNS) writeRows();
      parent.count++;
      entries++;
      if (isDir) dirs++;
      return id;
    };

    // The frame of directory `path`: on top of the stack when restic lists depth first (always,
    // in practice); otherwise found in what was written, or created when restic never listed it.
    const frameOf = (path: string): Frame => {
      for (;;) {
        const top = stack[stack.length - 1] as Frame;
        if (top.path === path) return top;
        if (top.path === '/' || path.startsWith(top.path + '/')) break;
        flush(stack.pop() as Frame);
      }
      const parent = frameOf(parentOf(path));
      const name = baseName(path);
      writeRows();
      let id = findDir.get(parent.id, name) as number | undefined;
      if (id === undefined) {
        id = add(parent, { name, type: 'dir', path }) as number;
        implied.set(path, parent.id);
      }
      const frame = { path, id, count: 0 };
      stack.push(frame);
      return frame;
    };

    db.exec('BEGIN');
    /** Where each database's checksum record is: its streamed dump is listed beside it. */
    const records = new Map<string, string>();
    const snapshot = await restic.ls(withLeanGc(repo), snapshotId, {
      ...opts,
      onNode: (node) => {
        if (node.type === 'file' && isServiceFile('db', node.name))
          records.set(node.name.slice(0, -'.checksums.json'.length), parentOf(node.path));
        const early = implied.size > 0 && node.type === 'dir' ? implied.get(node.path) : undefined;
        if (early !== undefined) {
          // Listed after its own entries: give the directory created for them its metadata.
          writeRows();
          implied.delete(node.path);
          describeDir.run(
            node.mtime ?? null,
            node.mode ?? null,
            node.uid ?? null,
            node.gid ?? null,
            early,
            node.name,
          );
          return;
        }
        const parent = frameOf(parentOf(node.path));
        const id = add(parent, node);
        if (id !== null) stack.push({ path: node.path, id, count: 0 });
      },
    });
    if (!snapshot) throw new Error(`restic ls printed no snapshot header for ${snapshotId}`);
    // A backup whose dumps were streamed names their snapshots in its tags: their files join
    // the index at the paths a staged dump has, so browsing shows both layouts alike.
    const dumps: StreamedDumpSource[] = [];
    for (const [database, partId] of streamedDumps(snapshot.tags)) {
      const dir = records.get(database) ?? dumpDirOf(snapshot, records);
      const source = `/${database}.sql`;
      let found: LsNode | undefined;
      const part = await restic.ls(withLeanGc(repo), partId, {
        ...opts,
        onNode: (node) => {
          if (node.path === source && node.type === 'file') found = node;
        },
      });
      // The tag is the backup's own word; the snapshot it names must be that database's dump.
      if (!part?.tags.includes(tag.database(database)) || !found)
        throw new Error(
          `snapshot ${partId.slice(0, 8)}, named by ${snapshot.shortId} as the dump of database ${database}, does not hold it`,
        );
      const name = `${database}.sql`;
      const path = joinPath(dir, name);
      writeRows();
      const parent = frameOf(dir);
      // A dump left staged by an earlier run (never read by restore or download): the streamed
      // one takes its place.
      if (dropFile.run(parent.id, name).changes > 0) ignored++;
      add(parent, { ...found, name, path });
      dumps.push({ database, path, snapshotId: part.id, source });
    }
    writeRows();
    while (stack.length > 0) flush(stack.pop() as Frame);
    if (ignored > 0) {
      // The first of two same-named entries won; counts are taken from what was kept.
      db.exec(
        'INSERT OR REPLACE INTO dirs (id, count) SELECT parent, count(*) FROM entries GROUP BY parent',
      );
      entries = db.prepare('SELECT count(*) FROM entries').pluck().get() as number;
      dirs = db.prepare('SELECT count(*) FROM entries WHERE rank = 0').pluck().get() as number;
    }

    db.exec(SEARCH_SCHEMA);

    const meta: IndexMeta = {
      format: INDEX_FORMAT,
      snapshot,
      ...(dumps.length ? { dumps } : {}),
      entries,
      dirs,
      builtAt: new Date().toISOString(),
      buildSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
    const putMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    putMeta.run('meta', JSON.stringify(meta));
    // Written last, in the same transaction: an index without it is not used.
    putMeta.run('complete', String(INDEX_FORMAT));
    db.exec('COMMIT');
    db.close();

    // One flush of the finished file and of the rename: a power cut leaves the old state or
    // the whole index, never a named file with holes.
    const fd = openSync(tempFile, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const file = finalName(snapshot.id);
    renameSync(tempFile, file);
    syncDir(dirname(file));
    return { file, meta };
  } catch (error) {
    if (db.open) db.close();
    rmSync(tempFile, { force: true });
    throw error;
  }
}

/**
 * Where a streamed dump goes when its checksum record is missing: beside the other records, or
 * in the one snapshot path that is the staging directory's (`.../databases`, src/host/collect.ts).
 */
function dumpDirOf(snapshot: SnapshotSummary, records: ReadonlyMap<string, string>): string {
  const [first] = records.values();
  if (first) return first;
  const staging = snapshot.paths.filter((p) => baseName(p) === 'databases');
  if (staging.length === 1) return staging[0]!;
  throw new Error(`snapshot ${snapshot.shortId} has no place for the dumps it names`);
}

/**
 * restic's Go garbage collector at GOGC=200 instead of 100: about 8% less CPU for `ls` of a
 * million entries, for about 30 MB more of restic's own memory while it runs. Kept when the
 * repository's settings choose a value already.
 */
function withLeanGc(repo: RepositoryLocation): RepositoryLocation {
  if (repo.env?.GOGC) return repo;
  return { ...repo, env: { ...repo.env, GOGC: '200' } };
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some filesystems refuse fsync on a directory; the rename itself is still atomic
  }
}

/** A finished index opened for reading. Synchronous: every call is a few B-tree lookups. */
export class BrowseIndex {
  readonly meta: IndexMeta;
  private readonly db: Database.Database;
  private readonly findDir: Database.Statement;
  private readonly findEntry: Database.Statement;
  private readonly countOf: Database.Statement;
  private readonly page: Database.Statement;
  private readonly matches: Database.Statement;
  private readonly folderOf: Database.Statement;

  private constructor(db: Database.Database, meta: IndexMeta) {
    this.db = db;
    this.meta = meta;
    this.findDir = db.prepare('SELECT dir FROM entries WHERE parent = ? AND rank = 0 AND name = ?');
    this.findDir.pluck();
    this.findEntry = db.prepare(
      'SELECT name, type, size, mtime, mode, uid, gid, link, dir FROM entries WHERE parent = ? AND rank IN (0, 1) AND name = ?',
    );
    this.countOf = db.prepare('SELECT count FROM dirs WHERE id = ?');
    this.countOf.pluck();
    this.page = db.prepare(
      'SELECT name, type, size, mtime, mode, uid, gid, link, dir FROM entries WHERE parent = ? ORDER BY rank, name LIMIT ? OFFSET ?',
    );
    this.matches = db.prepare(
      `SELECT rowid AS at, parent, name FROM names WHERE rowid > ? AND name LIKE ? ESCAPE '\\'
       ORDER BY rowid LIMIT ${SEARCH_CHUNK}`,
    );
    this.folderOf = db.prepare('SELECT parent, name FROM folders WHERE id = ?');
  }

  /**
   * Opens `file` if it is a complete index of the current format; returns undefined for anything
   * else (half-written, older format, not SQLite), which the caller then rebuilds.
   */
  static open(file: string): BrowseIndex | undefined {
    let db: Database.Database | undefined;
    try {
      if (!wholeFile(file)) return undefined;
      db = new Database(file, { readonly: true, fileMustExist: true });
      db.pragma('cache_size = -16384');
      const get = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
      if (get.get('complete') !== String(INDEX_FORMAT)) throw new Error('incomplete');
      const meta = JSON.parse(String(get.get('meta'))) as IndexMeta;
      if (meta.format !== INDEX_FORMAT) throw new Error('format');
      // Built before streamed dumps were listed: without them, so built again.
      if (!meta.dumps && streamedDumps(meta.snapshot.tags).size > 0) throw new Error('no dumps');
      return new BrowseIndex(db, meta);
    } catch {
      db?.close();
      return undefined;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** The entry at `path`, or undefined; `/` is the snapshot's root directory. */
  stat(path: string): BrowseEntry | undefined {
    const names = pathSegments(path);
    if (names.length === 0) return { name: '/', type: 'dir', path: '/' };
    let dir = ROOT_ID;
    for (let i = 0; i < names.length - 1; i++) {
      const next = this.findDir.get(dir, names[i]) as number | undefined;
      if (next === undefined) return undefined;
      dir = next;
    }
    const row = this.findEntry.get(dir, names[names.length - 1]) as Row | undefined;
    return row && toEntry(row, '/' + names.join('/'));
  }

  /**
   * Files at and below directory `path` and their bytes, or undefined when `path` is not a
   * directory of the snapshot: a restore's progress bar needs them, and asking restic costs a
   * listing of the whole snapshot.
   */
  totals(path: string): { files: number; bytes: number } | undefined {
    let id = ROOT_ID;
    for (const name of pathSegments(path)) {
      const next = this.findDir.get(id, name) as number | undefined;
      if (next === undefined) return undefined;
      id = next;
    }
    const row = this.db
      .prepare(
        `WITH RECURSIVE sub(id) AS (
           SELECT ? UNION ALL
           SELECT e.dir FROM entries e JOIN sub ON e.parent = sub.id WHERE e.rank = 0
         )
         SELECT count(*) AS files, coalesce(sum(e.size), 0) AS bytes
         FROM entries e JOIN sub ON e.parent = sub.id WHERE e.type = 'file'`,
      )
      .get(id) as { files: number; bytes: number };
    return row;
  }

  /**
   * Entries below directory `path` that are neither files, directories nor symlinks (named pipes,
   * device files), by absolute path: restic's tar of a folder cannot tell them from empty files.
   */
  specials(path: string): Map<string, EntryType> {
    const names = pathSegments(path);
    let id = ROOT_ID;
    for (const name of names) {
      const next = this.findDir.get(id, name) as number | undefined;
      if (next === undefined) return new Map();
      id = next;
    }
    const rows = this.db
      .prepare(
        `WITH RECURSIVE sub(id, path) AS (
           SELECT ?, ? UNION ALL
           SELECT e.dir, sub.path || '/' || e.name FROM entries e JOIN sub ON e.parent = sub.id
           WHERE e.rank = 0
         )
         SELECT sub.path || '/' || e.name AS path, e.type AS type
         FROM entries e JOIN sub ON e.parent = sub.id
         WHERE e.type NOT IN ('file', 'dir', 'symlink')`,
      )
      .all(id, names.length ? '/' + names.join('/') : '') as { path: string; type: EntryType }[];
    return new Map(rows.map((r) => [r.path, r.type]));
  }

  /**
   * Entries whose name holds `text` (ASCII letters in any case), folder by folder in the order
   * restic listed the folders, handed to `take` one by one with their absolute path until it
   * returns false. One scan of the names at most; `take` decides what counts (a customer's
   * areas) and when enough is found, so a search for `.php` stops at the first page while one
   * for a name that is nowhere reads every name once.
   */
  search(text: string, take: (entry: BrowseEntry) => boolean): void {
    const pattern = `%${text.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    /** Paths of the directories met so far: matches cluster, so most lookups are hits. */
    const paths = new Map<number, string>([[ROOT_ID, '']]);
    const pathOf = (id: number): string | undefined => {
      const known = paths.get(id);
      if (known !== undefined) return known;
      const row = this.folderOf.get(id) as { parent: number; name: string } | undefined;
      if (!row) return undefined;
      const parent = pathOf(row.parent);
      if (parent === undefined) return undefined;
      const path = `${parent}/${row.name}`;
      if (paths.size > 100_000) paths.clear();
      paths.set(id, path);
      return path;
    };
    // In chunks, each going on from where the last stopped: better-sqlite3 runs no other
    // statement on a connection while one iterates, and a match's path needs lookups.
    let after = 0;
    for (;;) {
      const hits = this.matches.all(after, pattern) as {
        at: number;
        parent: number;
        name: string;
      }[];
      for (const hit of hits) {
        const dir = pathOf(hit.parent);
        const row =
          dir === undefined
            ? undefined
            : (this.findEntry.get(hit.parent, hit.name) as Row | undefined);
        if (row && !take(toEntry(row, `${dir}/${hit.name}`))) return;
      }
      if (hits.length < SEARCH_CHUNK) return;
      after = hits[hits.length - 1]!.at;
    }
  }

  /**
   * Every entry below directory `path` that is not a directory (files, symlinks, the rest), with
   * its path relative to `path` (`a/b.txt`), one row at a time: a restore preview compares them
   * with the live tree. Nothing when `path` is no directory of the snapshot.
   */
  *below(path: string): Generator<BrowseEntry> {
    let id = ROOT_ID;
    for (const name of pathSegments(path)) {
      const next = this.findDir.get(id, name) as number | undefined;
      if (next === undefined) return;
      id = next;
    }
    const rows = this.db
      .prepare(
        `WITH RECURSIVE sub(id, path) AS (
           SELECT ?, '' UNION ALL
           SELECT e.dir, sub.path || e.name || '/' FROM entries e JOIN sub ON e.parent = sub.id
           WHERE e.rank = 0
         )
         SELECT e.name, e.type, e.size, e.mtime, e.mode, e.uid, e.gid, e.link, e.dir,
                sub.path || e.name AS rel
         FROM entries e JOIN sub ON e.parent = sub.id
         WHERE e.type != 'dir'`,
      )
      .iterate(id) as IterableIterator<Row & { rel: string }>;
    for (const row of rows) yield toEntry(row, row.rel);
  }

  /** Entries of directory `dir`, directories first, then by name (byte order, as restic sorts). */
  list(dir: string, { offset, limit }: Page): { entries: BrowseEntry[]; total: number } {
    const names = pathSegments(dir);
    const clean = '/' + names.join('/');
    let id = ROOT_ID;
    for (const name of names) {
      const next = this.findDir.get(id, name) as number | undefined;
      if (next === undefined) {
        const entry = this.stat(clean);
        if (entry)
          throw new BrowseError('not-a-directory', `${clean} is a ${entry.type}, not a directory.`);
        throw new BrowseError('not-found', `${clean} does not exist in this snapshot.`);
      }
      id = next;
    }
    const total = (this.countOf.get(id) as number | undefined) ?? 0;
    const rows = total > offset ? (this.page.all(id, limit, offset) as Row[]) : [];
    return { entries: rows.map((r) => toEntry(r, joinPath(clean, r.name))), total };
  }
}

/**
 * True when the file is as long as its SQLite header says: a truncated copy may still hold the
 * meta page that marks it complete, but never its full length.
 */
function wholeFile(file: string): boolean {
  const header = Buffer.alloc(100);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    if (readSync(fd, header, 0, 100, 0) < 100) return false;
    const size = fstatSync(fd).size;
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    return pageSize > 0 && header.readUInt32BE(28) * pageSize === size;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function toEntry(row: Row, path: string): BrowseEntry {
  const entry: BrowseEntry = { name: row.name, type: row.type as EntryType, path };
  if (row.size !== null) entry.size = row.size;
  if (row.mtime !== null) entry.mtime = row.mtime;
  if (row.mode !== null) entry.mode = row.mode;
  if (row.uid !== null) entry.uid = row.uid;
  if (row.gid !== null) entry.gid = row.gid;
  if (row.link !== null) entry.linkTarget = row.link;
  return entry;
}
