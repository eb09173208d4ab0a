/**
 * `npm run bench [-- --quick | --size=quick|engine|full] [--rounds=N] [--seed=N]
 *   [--cache=auto|cold|warm] [--max-busy=0.3] [--only=case,...] [--keep]`
 *
 * Generates (or reuses) a seeded web root under HOSTVAULT_BENCH_DIR, runs every case against
 * raw restic in the same run on the same data, prints one table and writes
 * bench/results/latest.json (rows) and latest.meta.json (machine, data set, every sample).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Restic, DEFAULT_HOST } from '../src/engine/index.js';
import { cases } from './cases/index.js';
import { benchDir, ensureDataset, type DataSpec, type Dataset } from './data.js';
import { BenchService } from './service.js';
import {
  MB,
  aggregate,
  cacheControl,
  initRawLike,
  table,
  type BenchCase,
  type BenchContext,
  type RoundContext,
  type Sample,
  type StandaloneCase,
  type StandaloneContext,
} from './harness.js';

/** quick: under 2 minutes; engine: issue 2's ≥ 20,000 files ≥ 1 GB; full: issue 6's targets. */
const SIZES = {
  // quick keeps its 2-minute budget by waiting only briefly for a busy machine to calm down.
  quick: { files: 3_000, bytes: 200_000_000, rounds: 1, quietWaitMs: 5_000 },
  engine: { files: 20_000, bytes: 1_100_000_000, rounds: 3, quietWaitMs: 90_000 },
  full: { files: 50_000, bytes: 2_300_000_000, rounds: 3, quietWaitMs: 90_000 },
} as const;
type SizeName = keyof typeof SIZES;
/** Row data of the database case's MariaDB databases: ≥ 500 MB is its target size. */
const DATABASE_BYTES: Record<SizeName, number> = { quick: 30e6, engine: 200e6, full: 500e6 };
/** Entries of the memory case's tree: its target is stated for 1,000,000. */
const MEMORY_ENTRIES: Record<SizeName, number> = {
  quick: 30_000,
  engine: 200_000,
  full: 1_000_000,
};
/** Seconds of load per API endpoint, and the browse case's entries (its target: 1,000,000). */
const API_SECONDS: Record<SizeName, number> = { quick: 2, engine: 5, full: 5 };
/** The fleet cases' job history (target: 1,000,000) and download size (target: 1 GB). */
const FLEET_JOBS: Record<SizeName, number> = { quick: 100_000, engine: 1_000_000, full: 1_000_000 };
const FLEET_DOWNLOAD_BYTES: Record<SizeName, number> = { quick: 200e6, engine: 1e9, full: 1e9 };
const BROWSE_ENTRIES: Record<SizeName, number> = {
  quick: 50_000,
  engine: 1_000_000,
  full: 1_000_000,
};

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    size: { type: 'string' },
    rounds: { type: 'string' },
    seed: { type: 'string', default: '1' },
    cache: { type: 'string', default: 'auto' },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'max-busy': { type: 'string', default: '0.3' },
    /** Row data of the database cases in MB, instead of the size's default. */
    'db-mb': { type: 'string' },
    /**
     * `0.18`: the web cases (service and raw side) run Debian 13's restic 0.18, fetched by
     * scripts/fetch-restic-0.18.sh, instead of the restic on PATH: the same cases on both
     * versions, one run each (issue 15: restore with 0.18 vs 0.14).
     */
    restic: { type: 'string' },
  },
});

if (args.restic !== undefined) {
  if (args.restic !== '0.18')
    throw new Error('--restic: only 0.18 (the default is the restic on PATH)');
  const dir = execFileSync(
    'bash',
    [fileURLToPath(new URL('../scripts/fetch-restic-0.18.sh', import.meta.url))],
    {
      encoding: 'utf8',
    },
  ).trim();
  // First on PATH for this process and everything it starts: the service, raw restic, the cases.
  process.env.PATH = `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`;
}

const sizeName = (args.size ?? (args.quick ? 'quick' : 'full')) as SizeName;
const size = SIZES[sizeName];
if (!size) throw new Error(`--size must be one of ${Object.keys(SIZES).join(', ')}`);
const rounds = args.rounds ? Number(args.rounds) : size.rounds;
const cacheMode = args.cache as 'auto' | 'cold' | 'warm';
if (!['auto', 'cold', 'warm'].includes(cacheMode)) throw new Error('--cache: auto, cold or warm');
const only = args.only?.split(',');
const selected = only ? cases.filter((c) => only.includes(c.name)) : cases;
const web = selected.filter((c): c is BenchCase => !('standalone' in c));
const standalone = selected.filter((c): c is StandaloneCase => 'standalone' in c);

const started = performance.now();
const log = (line: string): void =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

const spec: DataSpec = { files: size.files, bytes: size.bytes, seed: Number(args.seed) };
// A run of only standalone cases needs no web data set (nor a service, below).
const dataset = web.length ? ensureDataset(spec, log) : undefined;
if (dataset)
  log(
    `data: ${dataset.plan.length} files in ${dataset.dirs} directories, ` +
      `${(dataset.totalBytes / MB).toFixed(0)} MB (${((100 * dataset.textBytes) / dataset.totalBytes).toFixed(0)}% text) ` +
      (dataset.generatedIn ? `generated in ${dataset.generatedIn.toFixed(1)} s` : 'cached'),
  );

const workDir = join(benchDir(), `run-${process.pid}`);
const cacheDir = join(workDir, 'restic-cache');
mkdirSync(cacheDir, { recursive: true });
const restic = await Restic.detect({ cacheDir });
const cache = cacheControl(cacheMode, dataset?.root ?? workDir);
log(
  `${restic.version.text}, node ${process.version}, ${cpus().length} CPUs, ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM; page cache ${cache.mode} before each measured command; ` +
    `${rounds} round(s), size ${sizeName}`,
);

const ctx: BenchContext = {
  // Read by web cases only, which run only when it was made.
  dataset: dataset as Dataset,
  restic,
  cacheDir,
  host: DEFAULT_HOST,
  workDir,
  cache,
  rounds,
  maxBusy: Number(args['max-busy']),
  quietWaitMs: size.quietWaitMs,
  databaseBytes: args['db-mb'] ? Number(args['db-mb']) * 1e6 : DATABASE_BYTES[sizeName],
  memoryEntries: MEMORY_ENTRIES[sizeName],
  apiSeconds: API_SECONDS[sizeName],
  browseEntries: BROWSE_ENTRIES[sizeName],
  fleetJobs: FLEET_JOBS[sizeName],
  fleetDownloadBytes: FLEET_DOWNLOAD_BYTES[sizeName],
  log,
};

const samples: (Sample & { round: number })[] = [];
try {
  for (let round = 0; round < (web.length ? rounds : 0); round++) {
    // Other sessions share this machine; their load is the main source of noise, so say it.
    log(`round ${round + 1} of ${rounds}, load average ${loadavg()[0]!.toFixed(2)}`);
    const cleanups: (() => void | Promise<void>)[] = [];
    // A fresh service per round: its customer's repository is new, as for a first backup.
    const serviceDir = join(workDir, `service-${round}`);
    const service = await BenchService.start(serviceDir, ctx.dataset.root);
    cleanups.push(async () => {
      await service.stop();
      if (!args.keep) rmSync(serviceDir, { recursive: true, force: true });
    });
    const keepLast = 1;
    const scheduleId = await service.createSchedule(keepLast);
    const repos = {
      engine: service.repository,
      raw: { url: join(workDir, `repo-raw-${round}`), password: randomBytes(32).toString('hex') },
    };
    const kdf = await initRawLike(ctx, repos.engine.url, repos.raw);
    const rctx: RoundContext = {
      ...ctx,
      round,
      repos,
      kdf,
      service,
      web: {
        scheduleId,
        tags: ['bench', 'schedule-bench'],
        keepLast,
        snapshot: {},
        firstBackupSeconds: {},
      },
      defer: (fn) => cleanups.push(fn),
    };
    try {
      for (const c of web) {
        for (const s of await c.run(rctx)) samples.push({ ...s, round });
      }
    } finally {
      for (const fn of cleanups.reverse()) await fn();
      if (!args.keep) rmSync(repos.raw.url, { recursive: true, force: true });
    }
  }
  // Standalone cases after the web rounds, so no service of those runs beside them.
  for (let round = 0; round < (standalone.length ? rounds : 0); round++) {
    log(`standalone round ${round + 1} of ${rounds}, load average ${loadavg()[0]!.toFixed(2)}`);
    const cleanups: (() => void | Promise<void>)[] = [];
    const sctx: StandaloneContext = { ...ctx, round, defer: (fn) => void cleanups.push(fn) };
    try {
      for (const c of standalone) for (const s of await c.run(sctx)) samples.push({ ...s, round });
    } finally {
      for (const fn of cleanups.reverse()) await fn();
    }
  }
} finally {
  if (!args.keep) rmSync(workDir, { recursive: true, force: true });
}

const rows = aggregate(samples);
console.log(`\nhostvault bench, size ${sizeName}, ${rounds} round(s), medians\n`);
console.log(table(rows));
console.log('\nper round (measured / baseline):');
for (const row of rows) {
  const list = samples.filter((s) => s.case === row.case);
  const each = list
    .map((s) =>
      s.baseline === undefined
        ? s.measured.toFixed(2)
        : `${s.measured.toFixed(2)} / ${s.baseline.toFixed(2)}`,
    )
    .join(', ');
  console.log(`  ${row.case}: ${each} ${row.unit}${row.notes ? `  (${row.notes})` : ''}`);
}
for (const c of web) {
  const lines = c.summary?.(samples) ?? [];
  if (lines.length) console.log(`\n${lines.join('\n')}`);
}
const missed = rows.filter((r) => r.met === false);
console.log(
  `\n${rows.filter((r) => r.met).length} of ${rows.filter((r) => r.met !== null).length} targets met` +
    (missed.length ? `; missed: ${missed.map((r) => r.case).join(', ')}` : '') +
    `; total ${((performance.now() - started) / 1000).toFixed(0)} s`,
);

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
// latest.json is what the issue asks for; the per-size copy keeps quick runs from overwriting
// the last full-size table.
for (const name of ['latest.json', `${sizeName}.json`])
  writeFileSync(join(resultsDir, name), JSON.stringify(rows, null, 2) + '\n');
writeFileSync(
  join(resultsDir, 'latest.meta.json'),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      size: sizeName,
      rounds,
      spec,
      data: dataset && {
        files: dataset.plan.length,
        dirs: dataset.dirs,
        bytes: dataset.totalBytes,
        textBytes: dataset.textBytes,
        path: dataset.root,
      },
      machine: {
        cpus: cpus().length,
        memory: totalmem(),
        restic: restic.version.text,
        node: process.version,
        pageCache: cache.mode,
      },
      samples,
    },
    null,
    2,
  ) + '\n',
);
log(`wrote ${join(resultsDir, 'latest.json')}`);
