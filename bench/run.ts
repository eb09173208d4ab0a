/**
 * `npm run bench [-- --quick | --size=quick|engine|full] [--rounds=N] [--seed=N]
 *   [--cache=auto|cold|warm] [--max-busy=0.3] [--only=case,...] [--keep]`
 *
 * Generates (or reuses) a seeded web root under HOSTVAULT_BENCH_DIR, runs every case against
 * raw restic in the same run on the same data, prints one table and writes
 * bench/results/latest.json (rows) and latest.meta.json (machine, data set, every sample).
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Restic, DEFAULT_HOST } from '../src/engine/index.js';
import { cases } from './cases/index.js';
import { benchDir, ensureDataset, type DataSpec } from './data.js';
import {
  MB,
  aggregate,
  cacheControl,
  initRepos,
  table,
  type BenchContext,
  type RoundContext,
  type Sample,
} from './harness.js';

/** quick: under 2 minutes; engine: issue 2's ≥ 20,000 files ≥ 1 GB; full: issue 6's targets. */
const SIZES = {
  // quick keeps its 2-minute budget by waiting only briefly for a busy machine to calm down.
  quick: { files: 3_000, bytes: 200_000_000, rounds: 3, quietWaitMs: 5_000 },
  engine: { files: 20_000, bytes: 1_100_000_000, rounds: 3, quietWaitMs: 90_000 },
  full: { files: 50_000, bytes: 2_300_000_000, rounds: 3, quietWaitMs: 90_000 },
} as const;
type SizeName = keyof typeof SIZES;

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
  },
});

const sizeName = (args.size ?? (args.quick ? 'quick' : 'full')) as SizeName;
const size = SIZES[sizeName];
if (!size) throw new Error(`--size must be one of ${Object.keys(SIZES).join(', ')}`);
const rounds = args.rounds ? Number(args.rounds) : size.rounds;
const cacheMode = args.cache as 'auto' | 'cold' | 'warm';
if (!['auto', 'cold', 'warm'].includes(cacheMode)) throw new Error('--cache: auto, cold or warm');
const only = args.only?.split(',');
const selected = only ? cases.filter((c) => only.includes(c.name)) : cases;

const started = performance.now();
const log = (line: string): void =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

const spec: DataSpec = { files: size.files, bytes: size.bytes, seed: Number(args.seed) };
const dataset = ensureDataset(spec, log);
log(
  `data: ${dataset.plan.length} files in ${dataset.dirs} directories, ` +
    `${(dataset.totalBytes / MB).toFixed(0)} MB (${((100 * dataset.textBytes) / dataset.totalBytes).toFixed(0)}% text) ` +
    (dataset.generatedIn ? `generated in ${dataset.generatedIn.toFixed(1)} s` : 'cached'),
);

const workDir = join(benchDir(), `run-${process.pid}`);
const cacheDir = join(workDir, 'restic-cache');
mkdirSync(cacheDir, { recursive: true });
const restic = await Restic.detect({ cacheDir });
const cache = cacheControl(cacheMode, dataset.root);
log(
  `${restic.version.text}, node ${process.version}, ${cpus().length} CPUs, ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM; page cache ${cache.mode} before each measured command; ` +
    `${rounds} round(s), size ${sizeName}`,
);

const ctx: BenchContext = {
  dataset,
  restic,
  cacheDir,
  host: DEFAULT_HOST,
  workDir,
  cache,
  rounds,
  maxBusy: Number(args['max-busy']),
  quietWaitMs: size.quietWaitMs,
  log,
};

const samples: (Sample & { round: number })[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    // Other sessions share this machine; their load is the main source of noise, so say it.
    log(`round ${round + 1} of ${rounds}, load average ${loadavg()[0]!.toFixed(2)}`);
    const cleanups: (() => void | Promise<void>)[] = [];
    const repo = (side: string) => ({
      url: join(workDir, `repo-${side}-${round}`),
      password: randomBytes(32).toString('hex'),
    });
    const repos = { engine: repo('engine'), raw: repo('raw') };
    const kdf = await initRepos(ctx, repos);
    const rctx: RoundContext = {
      ...ctx,
      round,
      repos,
      kdf,
      web: { tags: ['bench', 'schedule-bench'], keepLast: 1, snapshot: {}, firstBackupSeconds: {} },
      defer: (fn) => cleanups.push(fn),
    };
    try {
      for (const c of selected) {
        for (const s of await c.run(rctx)) samples.push({ ...s, round });
      }
    } finally {
      for (const fn of cleanups.reverse()) await fn();
      if (!args.keep)
        for (const r of Object.values(rctx.repos)) rmSync(r.url, { recursive: true, force: true });
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
      data: {
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
