/**
 * Database backup: a customer's MariaDB databases backed up as the service does it for a
 * databases-scope schedule (BackupService.run: `mariadb-dump` of each database into the root-only
 * staging directory, then `restic backup` of that directory, staging removed; with restic 0.17+
 * each dump streamed by restic into a snapshot of its own instead), against what an
 * administrator would type: one `mariadb-dump --databases ...` with the same options piped into
 * `restic backup --stdin`. Both are first backups into fresh repositories whose keys cost the
 * same; afterwards both snapshots are checked to hold about the same dump bytes, and every
 * database's dump in the engine's snapshot to hold all its tables and the end-of-dump line.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { openApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { DUMP_ARGS } from '../../src/database/dump.js';
import type { BackupOutcome } from '../../src/host/backup-service.js';
import type { RepositoryLocation } from '../../src/engine/index.js';
import { streamedDumps } from '../../src/scope/scope.js';
import { targetSchema } from '../../src/target/schema.js';
import { ensureDatabases, type DatabaseSet } from '../database-data.js';
import {
  MB,
  cpuSample,
  initRepos,
  measurePair,
  raw,
  savedSnapshot,
  type BenchCase,
  type RoundContext,
  type Sample,
} from '../harness.js';

const CUSTOMER = 'hvbench';
/** What the raw side names its one stdin file in the snapshot. */
const RAW_FILE = 'hvbench-databases.sql';

/** Generated (or found) once per bench process, before the first round measures anything. */
let databases: Promise<DatabaseSet> | undefined;

export const databaseBackup: BenchCase = {
  name: 'database-backup',
  async run(ctx) {
    databases ??= ensureDatabases(
      { bytes: ctx.databaseBytes, seed: ctx.dataset.spec.seed },
      ctx.log,
    ).then((set) => {
      ctx.log(
        `databases: ${set.names.length} (${set.names.join(', ')}), ${set.rows} rows, ` +
          `${(set.rowBytes / MB).toFixed(0)} MB of rows, ` +
          (set.generatedIn ? `generated in ${set.generatedIn.toFixed(1)} s` : 'cached'),
      );
      return set;
    });
    const set = await databases;
    return measureRound(ctx, set);
  },
};

async function measureRound(ctx: RoundContext, set: DatabaseSet): Promise<Sample[]> {
  // The service's own data directory, store and key, as on a hosting server; one customer who
  // owns the bench databases, backing up to a local target.
  const dir = join(ctx.workDir, `db-${ctx.round}`);
  const webRoot = join(dir, 'www');
  mkdirSync(webRoot, { recursive: true });
  ctx.defer(() => rmSync(dir, { recursive: true, force: true }));
  const target = targetSchema.parse({ kind: 'local', path: join(dir, 'repositories') });
  const repos: Record<'engine' | 'raw', RepositoryLocation> = {
    engine: { url: join(dir, 'repositories', CUSTOMER), password: randomBytes(32).toString('hex') },
    raw: { url: join(dir, 'raw-repository'), password: randomBytes(32).toString('hex') },
  };
  const kdf = await initRepos(ctx, repos);
  const app = await openApp(
    loadConfig({ HOSTVAULT_DATA_DIR: join(dir, 'data'), HOSTVAULT_KEY_FILE: join(dir, 'key') }),
    { log: ctx.log },
  );
  try {
    await app.inventory.importInventory({
      packages: [
        { id: 'bench', name: 'Bench', frequencies: ['daily'], maxRetention: 30, maxSchedules: 5 },
      ],
      customers: [
        {
          id: CUSTOMER,
          name: 'Bench database customer',
          linuxUser: 'hvbench',
          uid: 3901,
          gid: 3901,
          packageId: 'bench',
          webRoot,
          databases: set.names,
        },
      ],
    });
    const customer = await app.inventory.getCustomer(CUSTOMER);
    if (!customer) throw new Error('the bench customer was not imported');
    // The repository the engine initialised above becomes the customer's, as an imported key
    // would make it: the service then opens it without `init`, and its key costs what the raw
    // side's costs.
    await app.repositories.importKey(target, CUSTOMER, repos.engine.password);

    const pair = await measurePair(ctx, 0, {
      engine: async () => {
        const started = performance.now();
        let dumped = 0;
        let dumpSeconds = 0;
        const outcome = await app.backups.run({
          customer,
          schedule: 1,
          scope: 'databases',
          repository: await app.repositoryRecords.access(target, CUSTOMER),
          // As the backup job passes them for a schedule's first run: the store knows there is
          // no parent and nothing for retention to forget.
          parent: null,
          knownSnapshots: 0,
          retention: 1,
          onLog: (line) => {
            // dumpDatabases logs "<db>: dumped <size> in <ms> ms" per database; the last one
            // ends the dump phase, whatever order they finish in.
            if (/^\S+: dumped /.test(line) && ++dumped === set.names.length)
              dumpSeconds = (performance.now() - started) / 1000;
          },
        });
        return { outcome, dumpSeconds };
      },
      raw: () =>
        raw(
          ctx,
          repos.raw,
          [
            'backup',
            '--host',
            ctx.host,
            '--tag',
            'bench-databases',
            '--stdin',
            '--stdin-filename',
            RAW_FILE,
          ],
          {
            stdinFrom: [
              'mariadb-dump',
              '--user=root',
              '--protocol=socket',
              '--single-transaction',
              '--skip-lock-tables',
              ...DUMP_ARGS,
              '--databases',
              ...set.names,
            ],
          },
        ),
    });
    const { engine, raw: baseline } = pair;
    const { outcome, dumpSeconds } = engine.value;

    // After the clock: the same data on both sides, and complete dumps on the engine's.
    const location = (await app.repositories.locationFor(target, CUSTOMER)).location;
    const check = await verify(ctx, app.restic, location, outcome, set);
    const rawSnapshot = savedSnapshot(baseline.value.stdout);
    const rawNodes = await ctx.restic.list(repos.raw, rawSnapshot, '/');
    const rawBytes = rawNodes.find((n) => n.name === RAW_FILE)?.size ?? 0;
    const difference = Math.abs(check.bytes - rawBytes) / rawBytes;
    if (!(difference < 0.03))
      throw new Error(
        `engine dumps hold ${check.bytes} bytes, the raw stream ${rawBytes}: not the same data`,
      );

    const s = outcome.summary;
    ctx.log(
      `database backup: engine ${engine.seconds.toFixed(2)} s (dumps ${dumpSeconds.toFixed(2)} s, ` +
        `then ${(engine.seconds - dumpSeconds).toFixed(2)} s, restic total_duration ` +
        `${s.totalDuration.toFixed(2)} s), raw ${baseline.seconds.toFixed(2)} s; ` +
        `${(check.bytes / MB).toFixed(0)} MB of dumps, raw stream ${(rawBytes / MB).toFixed(0)} MB`,
    );
    return [
      {
        case: 'database backup',
        measured: engine.seconds,
        baseline: baseline.seconds,
        unit: 's',
        target: { on: 'ratio', op: '<=', value: 1.1 },
        notes:
          `${set.names.length} databases, ${set.rows} rows, ${(check.bytes / MB).toFixed(0)} MB of dumps ` +
          `(raw stream ${(rawBytes / MB).toFixed(0)} MB); engine: dumps ${dumpSeconds.toFixed(1)} s, ` +
          `then restic ${(engine.seconds - dumpSeconds).toFixed(1)} s (backup total_duration ` +
          `${s.totalDuration.toFixed(1)} s); raw ${(rawBytes / MB / baseline.seconds).toFixed(0)} MB/s; keys ${kdf}`,
      },
      cpuSample('database backup', pair),
    ];
  } finally {
    await app.close();
  }
}

/**
 * Every bench database has its `<db>.checksums.json` in the engine's snapshot and its `<db>.sql`
 * there too, or, streamed by restic 0.17+, in the snapshot of its own that the engine's snapshot
 * names in a `dump=` tag; each dump holds a CREATE TABLE for each of its tables and ends with
 * mariadb-dump's "-- Dump completed" line, which it writes only after the last table. Reads the
 * dumps back with `restic dump`.
 */
async function verify(
  ctx: RoundContext,
  restic: RoundContext['restic'],
  location: RepositoryLocation,
  outcome: BackupOutcome,
  set: DatabaseSet,
): Promise<{ bytes: number }> {
  const stagingDir = outcome.roots.db?.[0];
  if (!stagingDir) throw new Error('the engine snapshot has no database root');
  const snapshot = outcome.summary.snapshotId;
  const nodes = await restic.list(location, snapshot, stagingDir);
  const [summary] = await restic.snapshots(location, { ids: [snapshot] });
  const streamed = streamedDumps(summary?.tags ?? []);
  let bytes = 0;
  for (const db of set.databases) {
    const part = streamed.get(db.name);
    const from = part ?? snapshot;
    const node = (part ? await restic.list(location, part, '/') : nodes).find(
      (n) => n.name === `${db.name}.sql`,
    );
    if (!node?.size) throw new Error(`the engine snapshot has no dump of ${db.name}`);
    const scan = new DumpScan();
    await restic.dump(location, from, node.path, scan);
    if (scan.bytes !== node.size)
      throw new Error(`${db.name}.sql: read ${scan.bytes} bytes, listed ${node.size}`);
    if (!scan.tail.endsWith('-- Dump completed\n'))
      throw new Error(`${db.name}.sql does not end with the end-of-dump line`);
    const missing = db.tables.filter((t) => !scan.tables.has(t));
    if (missing.length) throw new Error(`${db.name}.sql lacks tables ${missing.join(', ')}`);
    if (!nodes.some((n) => n.name === `${db.name}.checksums.json` && n.size))
      throw new Error(`the engine snapshot has no table checksums of ${db.name}`);
    bytes += node.size;
  }
  // Staged: a dump and its checksums per database; streamed: the checksums alone.
  const expected = (streamed.size > 0 ? 1 : 2) * set.databases.length;
  if (nodes.length !== expected)
    throw new Error(
      `the staging directory held ${nodes.length} entries, not ${expected} (${streamed.size > 0 ? 'checksums' : 'a dump and its checksums'} per database)`,
    );
  if (ctx.round === 0)
    ctx.log(
      `engine snapshot verified: ${set.databases.length} complete dumps${streamed.size > 0 ? ', streamed into snapshots of their own' : ''}`,
    );
  return { bytes };
}

/** Counts a dump's bytes, collects its CREATE TABLE names and keeps its last bytes. */
class DumpScan extends Writable {
  bytes = 0;
  tail = '';
  readonly tables = new Set<string>();

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.bytes += chunk.length;
    // The tail carries over, so a statement split between two chunks is still seen whole.
    const text = this.tail + chunk.toString('latin1');
    for (const m of text.matchAll(/CREATE TABLE `([^`]+)`/g)) this.tables.add(m[1]!);
    this.tail = text.slice(-256);
    done();
  }
}
