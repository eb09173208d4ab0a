/**
 * Browse benchmark (issue 6, "browse: list a directory"; issue 3, first open ≤ one `restic ls`):
 *
 *   node --import tsx src/snapshot/browse.bench.ts [--entries=1000000] [--rounds=3] [--samples=1000]
 *
 * Generates (once) a tree of `entries` entries and backs it up (once), both cached under
 * HOSTVAULT_BROWSE_BENCH_DIR (default /var/tmp/hostvault-browse-bench). Then, per round and in
 * alternating order, times the first open of the snapshot (index built from scratch) against one
 * raw `restic ls --json <snapshot>` into /dev/null, the strictest baseline, and against the same
 * listing through the engine with every entry dropped (what listing alone costs the service); CPU
 * seconds of restic (children) and of this process are recorded too, since a shared machine makes
 * wall times noisy.
 * Finally measures `list` over `samples` directories drawn uniformly from all directories of the
 * tree, pages deep inside the largest directory, friendly listings, and this process's peak RSS.
 * Results go to stdout and to <dir>/results.json.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Restic, type RepositoryLocation } from '../engine/index.js';
import { generateBrowseTree, mulberry32 } from './fixtures.js';
import { SnapshotBrowser } from './index.js';

const { values: args } = parseArgs({
  options: {
    entries: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    samples: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
  },
});
const entries = Number(args.entries);
const rounds = Number(args.rounds);
const samples = Number(args.samples);
const seed = Number(args.seed);

const dir = process.env.HOSTVAULT_BROWSE_BENCH_DIR || '/var/tmp/hostvault-browse-bench';
const suffix = entries === 1_000_000 ? '' : `-${entries}`;
const treeRoot = join(dir, `tree${suffix}`);
const repo: RepositoryLocation = {
  url: join(dir, `repo${suffix}`),
  password: 'hostvault-browse-bench',
};
const cacheDir = join(dir, 'cache');
const indexDir = join(dir, `indexes${suffix}`);
const TAG = 'browse-bench';

const log = (line: string): void => console.error(`[browse-bench] ${line}`);
const MB = 1024 * 1024;

/** CPU seconds of this process and of its waited-for children (restic), from /proc/self/stat. */
function cpuSeconds(): { self: number; children: number } {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // After "pid (comm) ": state is field 3, so utime..cstime (14..17) sit at 11..14.
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]) / 100);
  return { self: utime! + stime!, children: cutime! + cstime! };
}

function peakRssSinceStart(): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return Number(kb) * 1024;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function stats(ms: number[]): { p50: number; p95: number; p99: number; max: number; n: number } {
  const s = [...ms].sort((a, b) => a - b);
  return {
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.at(-1)!,
    n: s.length,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function rawLs(snapshotId: string): Promise<{ seconds: number; cpu: number }> {
  const before = cpuSeconds();
  const started = process.hrtime.bigint();
  const child = spawn(
    'restic',
    ['--repo', repo.url, '--cache-dir', cacheDir, 'ls', '--json', '--no-lock', snapshotId],
    {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/root',
        RESTIC_PASSWORD: repo.password,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`raw restic ls failed (${code}): ${stderr}`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, cpu: cpuSeconds().children - before.children };
}

/** One `restic ls` of the whole snapshot through the engine, entries dropped: listing alone. */
async function engineLs(
  restic: Restic,
  snapshotId: string,
): Promise<{ seconds: number; cpu: number }> {
  const before = cpuSeconds();
  const started = process.hrtime.bigint();
  let n = 0;
  await restic.ls(repo, snapshotId, { onNode: () => n++ });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = cpuSeconds();
  return { seconds, cpu: after.children - before.children + after.self - before.self };
}

async function firstOpen(
  restic: Restic,
  snapshotId: string,
): Promise<{
  seconds: number;
  resticCpu: number;
  nodeCpu: number;
  peakRss: number;
  entries: number;
}> {
  rmSync(indexDir, { recursive: true, force: true });
  const browser = new SnapshotBrowser({ restic, indexDir });
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 25);
  const before = cpuSeconds();
  const started = process.hrtime.bigint();
  const opened = await browser.open(repo, snapshotId);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = cpuSeconds();
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  browser.close();
  if (opened.reused) throw new Error('the index was reused; the first open was not measured');
  return {
    seconds,
    resticCpu: after.children - before.children,
    nodeCpu: after.self - before.self,
    peakRss,
    entries: opened.meta.entries,
  };
}

async function ensureSnapshot(restic: Restic, fresh: boolean): Promise<string> {
  try {
    await restic.catConfig(repo);
  } catch {
    log(`initializing ${repo.url}`);
    await restic.init(repo);
  }
  if (!fresh) {
    const existing = (await restic.snapshots(repo)).filter(
      (s) => s.tags.includes(TAG) && s.paths.length === 1 && s.paths[0] === treeRoot,
    );
    const latest = existing.at(-1);
    if (latest) return latest.id;
  }
  log(`backing up ${treeRoot} (once; cached for reruns)`);
  const started = Date.now();
  const result = await restic.backup(repo, { paths: [treeRoot], tags: [TAG] });
  log(`backup took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const all = await restic.snapshots(repo);
  return all.find((s) => s.id.startsWith(result.summary.snapshotId))!.id;
}

async function main(): Promise<void> {
  log(
    `machine: ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const tree = await generateBrowseTree(treeRoot, { entries, seed });
  log(
    tree.generatedIn
      ? `generated ${tree.entries} entries (${tree.dirs} directories) in ${tree.generatedIn.toFixed(1)} s`
      : `reusing the cached tree of ${tree.entries} entries (${tree.dirs} directories)`,
  );
  const restic = await Restic.detect({ cacheDir });
  const snapshotId = await ensureSnapshot(restic, tree.generatedIn > 0);
  log(`snapshot ${snapshotId.slice(0, 8)}`);

  // Warm the restic cache and the page cache for both sides alike.
  await rawLs(snapshotId);

  const raws: { seconds: number; cpu: number }[] = [];
  const engines: { seconds: number; cpu: number }[] = [];
  const opens: Awaited<ReturnType<typeof firstOpen>>[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['raw', 'engine', 'open'] : ['open', 'engine', 'raw'];
    for (const side of order) {
      if (side === 'raw') raws.push(await rawLs(snapshotId));
      else if (side === 'engine') engines.push(await engineLs(restic, snapshotId));
      else opens.push(await firstOpen(restic, snapshotId));
    }
    const r = raws.at(-1)!;
    const e = engines.at(-1)!;
    const o = opens.at(-1)!;
    log(
      `round ${round + 1}: raw ls ${r.seconds.toFixed(2)} s (cpu ${r.cpu.toFixed(1)} s) | engine ls ${e.seconds.toFixed(2)} s (cpu ${e.cpu.toFixed(1)} s) | first open ${o.seconds.toFixed(2)} s (restic cpu ${o.resticCpu.toFixed(1)} s, node cpu ${o.nodeCpu.toFixed(1)} s, rss ${(o.peakRss / MB).toFixed(0)} MB) | load ${loadavg()[0]!.toFixed(2)}`,
    );
  }
  const engineMedian = median(engines.map((e) => e.seconds));

  // The index of the last round stays; a new browser measures what a restarted service sees.
  const browser = new SnapshotBrowser({ restic, indexDir });
  let started = process.hrtime.bigint();
  await browser.open(repo, snapshotId);
  const reopenMs = Number(process.hrtime.bigint() - started) / 1e6;

  const allDirs = readFileSync(tree.dirsFile, 'utf8').split('\n').slice(0, -1);
  const random = mulberry32(seed + 7);
  const picked = Array.from(
    { length: samples },
    () => allDirs[Math.floor(random() * allDirs.length)]!,
  );
  const real = (rel: string): string => (rel ? `${treeRoot}/${rel}` : treeRoot);
  const listMs: number[] = [];
  let listed = 0;
  for (const rel of picked) {
    started = process.hrtime.bigint();
    const page = browser.list(snapshotId, real(rel), { offset: 0, limit: 200 });
    listMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    listed += page.entries.length;
  }
  const bigTotal = browser.list(snapshotId, real(tree.bigDir), { limit: 1 }).total;
  const deepMs: number[] = [];
  for (let i = 0; i < 100; i++) {
    const offset = Math.floor(random() * bigTotal);
    started = process.hrtime.bigint();
    browser.list(snapshotId, real(tree.bigDir), { offset, limit: 200 });
    deepMs.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const roots = { web: [treeRoot] };
  const friendlyMs: number[] = [];
  for (const rel of picked) {
    started = process.hrtime.bigint();
    browser.listFriendly(snapshotId, roots, rel ? `/Web files/${rel}` : '/Web files', {
      limit: 200,
    });
    friendlyMs.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  browser.close();

  const list = stats(listMs);
  const deep = stats(deepMs);
  const friendly = stats(friendlyMs);
  const rawMedian = median(raws.map((r) => r.seconds));
  const openMedian = median(opens.map((o) => o.seconds));
  const peakOpenRss = Math.max(...opens.map((o) => o.peakRss));
  const rows = [
    {
      case: 'browse: first open (index build) vs raw restic ls --json of the whole snapshot',
      measured: openMedian,
      baseline: rawMedian,
      ratio: openMedian / rawMedian,
      target: '<= 1.00',
      met: openMedian <= rawMedian,
      unit: 's',
    },
    {
      case: 'browse: first open vs restic.ls through the engine, entries dropped (informational)',
      measured: openMedian,
      baseline: engineMedian,
      ratio: openMedian / engineMedian,
      target: null,
      met: null,
      unit: 's',
    },
    {
      case: 'browse: first open CPU (restic + node) vs raw restic ls CPU',
      measured: median(opens.map((o) => o.resticCpu + o.nodeCpu)),
      baseline: median(raws.map((r) => r.cpu)),
      ratio: median(opens.map((o) => o.resticCpu + o.nodeCpu)) / median(raws.map((r) => r.cpu)),
      target: null,
      met: null,
      unit: 'cpu s',
    },
    {
      case: `browse: list a directory, p95 over ${samples} random directories`,
      measured: list.p95,
      baseline: null,
      ratio: null,
      target: '<= 100',
      met: list.p95 <= 100,
      unit: 'ms',
    },
    {
      case: 'memory: service peak RSS while building the index',
      measured: peakOpenRss / MB,
      baseline: null,
      ratio: null,
      target: '<= 300',
      met: peakOpenRss <= 300 * MB,
      unit: 'MB',
    },
  ];
  const details = {
    machine: { cores: cpus().length, load: loadavg() },
    tree: { entries: tree.entries, dirs: tree.dirs, files: tree.files, bigDir: bigTotal },
    snapshotId,
    indexEntries: opens[0]?.entries,
    raw: raws,
    engine: engines,
    open: opens,
    reopenMs,
    list,
    listedEntries: listed,
    deepPagesInBigDir: deep,
    friendly,
    peakRssWholeRun: peakRssSinceStart(),
  };
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ rows, details }, null, 2));

  const f = (n: number) => n.toFixed(2);
  console.log(`\nbrowse benchmark: ${tree.entries.toLocaleString('en')} entries, ${rounds} rounds`);
  console.log(
    `  raw restic ls --json (median)    ${f(rawMedian)} s   [${raws.map((r) => f(r.seconds)).join(', ')}]`,
  );
  console.log(
    `  first open, index build (median) ${f(openMedian)} s   [${opens.map((o) => f(o.seconds)).join(', ')}]  ratio ${f(openMedian / rawMedian)}`,
  );
  console.log(
    `  engine restic.ls, no-op (median) ${f(engineMedian)} s   [${engines.map((e) => f(e.seconds)).join(', ')}]  open/engine ${f(openMedian / engineMedian)}`,
  );
  console.log(
    `  CPU: raw restic ${f(rows[2]!.baseline!)} s, open ${f(rows[2]!.measured)} s (node ${f(median(opens.map((o) => o.nodeCpu)))} s)`,
  );
  console.log(`  reopen after restart             ${f(reopenMs)} ms`);
  console.log(
    `  list (limit 200), ${samples} random dirs  p50 ${f(list.p50)}  p95 ${f(list.p95)}  p99 ${f(list.p99)}  max ${f(list.max)} ms`,
  );
  console.log(
    `  list deep pages of ${bigTotal.toLocaleString('en')}-entry dir  p50 ${f(deep.p50)}  p95 ${f(deep.p95)}  p99 ${f(deep.p99)} ms`,
  );
  console.log(
    `  listFriendly, same dirs          p50 ${f(friendly.p50)}  p95 ${f(friendly.p95)}  p99 ${f(friendly.p99)} ms`,
  );
  console.log(
    `  peak RSS while building          ${(peakOpenRss / MB).toFixed(0)} MB (whole run ${(details.peakRssWholeRun / MB).toFixed(0)} MB)`,
  );
  console.log(`  results: ${join(dir, 'results.json')}`);
}

await main();
