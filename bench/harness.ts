/**
 * What every benchmark case shares: the sample and row shapes, the round context, timing, the
 * raw-restic baseline runner, page-cache control and memory watching.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Restic, RepositoryLocation } from '../src/engine/index.js';
import type { Dataset } from './data.js';
import type { BenchJob, BenchService } from './service.js';

export interface Target {
  /** What the target applies to: measured / baseline, or the measured value itself. */
  on: 'ratio' | 'measured';
  op: '<=' | '>=';
  value: number;
}

/** One measurement of one round; rows aggregate the samples of a case over the rounds. */
export interface Sample {
  case: string;
  measured: number;
  /** Absent for figures without a baseline (absolute targets, informational values). */
  baseline?: number;
  unit: string;
  target?: Target;
  notes?: string;
}

/** A line of the results table and of bench/results/latest.json. */
export interface Row {
  case: string;
  measured: number;
  baseline: number | null;
  ratio: number | null;
  target: string | null;
  met: boolean | null;
  unit: string;
  /** How many rounds the medians are taken over. */
  rounds: number;
  notes?: string;
}

export type Side = 'engine' | 'raw';

export interface BenchContext {
  dataset: Dataset;
  restic: Restic;
  /** restic's --cache-dir, shared by engine and raw so both see the same cache state. */
  cacheDir: string;
  /** The --host both sides write into snapshots. */
  host: string;
  /** Where this run keeps repositories and restore targets. */
  workDir: string;
  cache: CacheControl;
  rounds: number;
  /** Share of all CPUs others may use when a measured command starts (1 = do not wait). */
  maxBusy: number;
  /** How long to wait for that before measuring anyway. */
  quietWaitMs: number;
  /** Row data of the database case's MariaDB databases, in bytes (bench/database-data.ts). */
  databaseBytes: number;
  /** Entries of the memory case's generated tree (bench/cases/memory.ts). */
  memoryEntries: number;
  /** Seconds of load per endpoint in the API case (bench/cases/api.ts), after its warm-up. */
  apiSeconds: number;
  /** Entries of the browse case's snapshot (bench/cases/browse.ts); its target is for 1,000,000. */
  browseEntries: number;
  /** Jobs in the history of the fleet case's PostgreSQL store (bench/cases/fleet.ts). */
  fleetJobs: number;
  /** Size of the file the fleet-browse case downloads (bench/cases/fleet-browse.ts). */
  fleetDownloadBytes: number;
  log: (line: string) => void;
}

/** State of the web-backup chain (first backup → re-runs → restore) within one round. */
export interface WebChain {
  /** The service's schedule over the bench tree (the engine side of the chain). */
  scheduleId: number;
  /** The raw side's tags. */
  tags: string[];
  keepLast: number;
  /** Latest snapshot of each side. */
  snapshot: Partial<Record<Side, string>>;
  firstBackupSeconds: Partial<Record<Side, number>>;
}

export interface RoundContext extends BenchContext {
  /** 0-based. */
  round: number;
  /**
   * Fresh, initialised repositories for this round; the engine's is the service customer's.
   */
  repos: Record<Side, RepositoryLocation>;
  /** `hostvault serve` over this round's data directory, customer web root = the bench tree. */
  service: BenchService;
  web: WebChain;
  /** The scrypt parameters both repositories' keys share, e.g. "N=32768 r=8 p=9". */
  kdf: string;
  /** Work to undo at the end of the round (reverting the tree, removing restore targets). */
  defer: (cleanup: () => void | Promise<void>) => void;
}

export interface BenchCase {
  name: string;
  /** Cases run in list order in each round; later ones may use what earlier ones left. */
  run: (ctx: RoundContext) => Promise<Sample[]>;
  /** Lines printed after the table: the case's verdict in its own words, from every round. */
  summary?: (samples: Sample[]) => string[];
}

/** What a case that stands alone gets: no web tree, service or repositories. */
export type StandaloneContext = Omit<BenchContext, 'dataset' | 'cache'> & {
  /** 0-based. */
  round: number;
  /** Work to undo at the end of the round. */
  defer: (cleanup: () => void | Promise<void>) => void;
};

/**
 * A case that needs none of the web chain's state (API, scheduler, browse). Its rounds run after
 * the web rounds, with no service running beside them; a run of only such cases makes neither
 * the web data set nor a service. It makes what it needs once per run and keeps it itself.
 */
export interface StandaloneCase {
  name: string;
  standalone: true;
  run: (ctx: StandaloneContext) => Promise<Sample[]>;
}

// ---------------------------------------------------------------------------------------------
// Timing and fairness

export interface Timed<T> {
  seconds: number;
  /**
   * CPU seconds (user + system) of this process and the children it waited for during the
   * call: restic's own work plus our parsing. Other sessions' load on a shared machine moves
   * wall time far more than this, so it backs the wall-clock ratio up.
   */
  cpu: number;
  value: T;
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * This process's CPU plus its reaped children's (cutime + cstime, which include theirs), and as
 * much again for `other` (the service, whose restic processes are its children).
 */
function cpuSeconds(other?: number): number {
  const self = process.cpuUsage();
  return (
    procCpu('self', [13, 14]) +
    (self.user + self.system) / 1e6 +
    (other === undefined ? 0 : processCpu(other))
  );
}

/** CPU seconds of a process and of the children it has reaped (user + system). */
export function processCpu(pid: number): number {
  return procCpu(pid, [11, 12, 13, 14]);
}

/** processCpu in its two parts: the process's own, and its reaped children's (restic). */
export function processCpuParts(pid: number): { own: number; children: number } {
  return { own: procCpu(pid, [11, 12]), children: procCpu(pid, [13, 14]) };
}

/** Sums fields of /proc/<pid>/stat, counted after the command name, in seconds. */
function procCpu(pid: number | 'self', fields: number[]): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const values = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields.reduce((sum, i) => sum + Number(values[i]), 0) / CLK_TCK;
}

export async function timed<T>(fn: () => Promise<T>, otherPid?: number): Promise<Timed<T>> {
  const cpu = cpuSeconds(otherPid);
  const started = performance.now();
  const value = await fn();
  return {
    seconds: (performance.now() - started) / 1000,
    cpu: cpuSeconds(otherPid) - cpu,
    value,
  };
}

/**
 * A side's result that carries a better clock than the call's wall time: a service job's own
 * finish stamp, which the poll that notices it trails by up to a poll interval.
 */
export interface SelfTimed {
  selfSeconds: number;
}

/**
 * Runs the engine and raw side of one measurement one after the other, the order alternating
 * with the round (and a per-case salt), each after the same cache preparation, so neither side
 * always profits from the other's warm-up or suffers the other's writeback.
 */
export async function measurePair<E, R>(
  ctx: RoundContext,
  salt: number,
  sides: { engine: () => Promise<E>; raw: () => Promise<R> },
): Promise<{ engine: Timed<E>; raw: Timed<R> }> {
  const order: Side[] = (ctx.round + salt) % 2 === 0 ? ['engine', 'raw'] : ['raw', 'engine'];
  const out: Partial<Record<Side, Timed<unknown>>> = {};
  for (const side of order) {
    if (side === 'engine' && ctx.service) await waitForIdleService(ctx, ctx.service.pid);
    await waitForQuiet(ctx);
    await ctx.cache.prepare();
    // The service's own CPU counts on its side; it idles while the raw side runs.
    const result = await timed<unknown>(
      sides[side],
      side === 'engine' ? ctx.service?.pid : undefined,
    );
    const own = (result.value as Partial<SelfTimed> | undefined)?.selfSeconds;
    if (typeof own === 'number') result.seconds = own;
    out[side] = result;
  }
  return out as { engine: Timed<E>; raw: Timed<R> };
}

/**
 * Waits, up to a minute, until the service runs no restic: after a backup it builds the new
 * snapshot's browse index in the background (a `restic ls` of the whole snapshot), and a
 * measurement started meanwhile would count that listing's CPU as the measured job's (a restore
 * then also lists the snapshot for its progress totals, which the finished index knows).
 */
async function waitForIdleService(ctx: Pick<BenchContext, 'log'>, pid: number): Promise<void> {
  const started = Date.now();
  while (findChild(pid) !== undefined) {
    if (Date.now() - started > 60_000) {
      ctx.log('the service still runs restic after 60 s; measuring anyway');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const waited = (Date.now() - started) / 1000;
  if (waited > 1) ctx.log(`waited ${waited.toFixed(0)} s for the service's background work`);
}

/** Share of CPU time spent busy, over all CPUs, from two /proc/stat readings. */
function cpuBusy(): () => number {
  const read = (): { busy: number; total: number } => {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    // idle and iowait: a CPU waiting for the disk is free for us.
    return { busy: total - v[3]! - v[4]!, total };
  };
  const a = read();
  return () => {
    const b = read();
    return b.total === a.total ? 0 : (b.busy - a.busy) / (b.total - a.total);
  };
}

const QUIET_WINDOW_MS = 500;

/**
 * The machine is shared with other sessions (test suites, compilers); a command measured while
 * they run competes for two CPUs and its time says little. Waits, up to a limit, until the
 * others leave at most `ctx.maxBusy` of the CPU; this process is idle meanwhile, so what is
 * busy is someone else.
 */
export async function waitForQuiet(
  ctx: Pick<BenchContext, 'maxBusy' | 'quietWaitMs' | 'log'>,
): Promise<void> {
  if (ctx.maxBusy >= 1) return;
  const started = Date.now();
  let busy = 1;
  while (Date.now() - started < ctx.quietWaitMs) {
    const sample = cpuBusy();
    await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
    busy = sample();
    if (busy <= ctx.maxBusy) break;
  }
  const waited = (Date.now() - started) / 1000;
  if (busy > ctx.maxBusy)
    ctx.log(
      `machine still ${(busy * 100).toFixed(0)}% busy after ${waited.toFixed(0)} s; measuring anyway`,
    );
  else if (waited > 2) ctx.log(`waited ${waited.toFixed(0)} s for other load to settle`);
}

export interface CacheControl {
  mode: 'cold' | 'warm';
  /** Called before every measured command. */
  prepare: () => Promise<void>;
}

/**
 * Cold: flush and drop the page cache before each measured command (needs root and a kernel
 * that allows it). Warm: flush, and read the tree once so both sides find it cached. Either
 * way `sync` first, so one side's writeback never lands in the other's time.
 */
export function cacheControl(mode: 'cold' | 'warm' | 'auto', root: string): CacheControl {
  const sync = (): void => void spawnSync('sync');
  const drop = (): boolean => {
    sync();
    try {
      writeFileSync('/proc/sys/vm/drop_caches', '3');
      return true;
    } catch {
      return false;
    }
  };
  if (mode !== 'warm' && drop()) {
    return { mode: 'cold', prepare: async () => void drop() };
  }
  if (mode === 'cold') throw new Error('cannot drop the page cache here (needs root)');
  return {
    mode: 'warm',
    prepare: async () => {
      sync();
      await readTree(root);
    },
  };
}

async function readTree(dir: string): Promise<void> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await readTree(path);
    else if (entry.isFile()) await readFile(path);
  }
}

/** The informational CPU-time twin of a timed pair's row. */
export function cpuSample(name: string, pair: { engine: Timed<unknown>; raw: Timed<unknown> }) {
  return {
    case: `${name}, CPU`,
    measured: pair.engine.cpu,
    baseline: pair.raw.cpu,
    unit: 's',
    notes:
      'informational; user + system of restic, this process and the service, immune to idle waits',
  } satisfies Sample;
}

// ---------------------------------------------------------------------------------------------
// Repositories

function keyParams(url: string): string {
  const dir = join(url, 'keys');
  const [file] = readdirSync(dir);
  const key = JSON.parse(readFileSync(join(dir, file!), 'utf8')) as {
    N: number;
    r: number;
    p: number;
  };
  return `N=${key.N} r=${key.r} p=${key.p}`;
}

/**
 * Makes the raw side's repository next to the engine's (already made, by the engine or the
 * service). restic calibrates scrypt at init to about 0.5 s on the machine as loaded at that
 * moment, so a repository made while others use the CPU gets a cheaper key and every later
 * command on it opens faster (seen here: 0.13 s against 0.5 s). Both sides must pay the same, so
 * the raw one is made again until its key parameters match.
 */
export async function initRawLike(
  ctx: BenchContext,
  engineUrl: string,
  rawRepo: RepositoryLocation,
): Promise<string> {
  const engine = keyParams(engineUrl);
  for (let attempt = 1; ; attempt++) {
    await waitForQuiet(ctx);
    rmSync(rawRepo.url, { recursive: true, force: true });
    await raw(ctx, rawRepo, ['init', '--repository-version', '2']);
    const baseline = keyParams(rawRepo.url);
    if (engine === baseline) return engine;
    if (attempt >= 12) {
      ctx.log(`repository keys differ (engine ${engine}, raw ${baseline}); measuring anyway`);
      return `engine ${engine}, raw ${baseline}`;
    }
  }
}

/** Both sides' repositories, the engine's through the engine, as initRawLike matches them. */
export async function initRepos(
  ctx: BenchContext,
  repos: Record<Side, RepositoryLocation>,
): Promise<string> {
  rmSync(repos.engine.url, { recursive: true, force: true });
  await ctx.restic.init(repos.engine);
  return initRawLike(ctx, repos.engine.url, repos.raw);
}

// ---------------------------------------------------------------------------------------------
// The baseline: plain restic, as an administrator would run it

const TIME = '/usr/bin/time';

export interface RawResult {
  stdout: string;
  /** restic's peak resident memory in bytes, from GNU time (undefined without it). */
  peakRss?: number;
}

/**
 * Runs `restic` with the password in RESTIC_PASSWORD (the baseline need not hide it), the same
 * --cache-dir as the engine, and output to a pipe that is read but not parsed. Under GNU time
 * when present, whose wait4() reports restic's exact peak RSS at the cost of one extra exec.
 */
export async function raw(
  ctx: BenchContext,
  repo: RepositoryLocation,
  args: string[],
  opts: { stdinFrom?: string[] } = {},
): Promise<RawResult> {
  const memFile = join(ctx.workDir, `time-${process.pid}.out`);
  const restic = ['restic', '--repo', repo.url, '--cache-dir', ctx.cacheDir, ...args];
  const useTime = existsSync(TIME);
  const timedRestic = useTime ? [TIME, '-f', '%M', '-o', memFile, ...restic] : restic;
  // `stdinFrom`: that program's stdout piped straight into restic, as `producer | restic ...
  // --stdin` in a shell would (no copy through this process); pipefail fails on either side.
  const sh = (list: string[]): string => list.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const [command, ...argv] = opts.stdinFrom
    ? ['bash', '-c', `set -o pipefail; ${sh(opts.stdinFrom)} | ${sh(timedRestic)}`]
    : timedRestic;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    RESTIC_PASSWORD: repo.password,
  };
  const child = spawn(command!, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`restic ${args[0]} exited ${code}: ${stderr.trim()}`);
  let peakRss: number | undefined;
  if (useTime) {
    const kb = Number(/(\d+)\s*$/.exec(readFileSync(memFile, 'utf8'))?.[1]);
    if (Number.isFinite(kb)) peakRss = kb * 1024;
    rmSync(memFile, { force: true });
  }
  return { stdout, peakRss };
}

/** The snapshot id restic prints after a plain (non-JSON) backup. */
export function savedSnapshot(stdout: string): string {
  const id = /snapshot ([0-9a-f]{8,64}) saved/.exec(stdout)?.[1];
  if (!id) throw new Error(`raw restic backup printed no snapshot id:\n${stdout.slice(-2000)}`);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Memory

/**
 * Samples, every `intervalMs`, the peak RSS (VmHWM) of the restic child that `parent` (this
 * process, or the service) starts, and the parent's own RSS. The child is found through /proc by
 * parent pid, since neither the engine nor the service exposes it; VmHWM is a high-water mark,
 * so sampling misses at most the last interval of the child, the parent's peak is sampled.
 */
export function watchMemory(
  opts: { parent?: number; intervalMs?: number } = {},
): () => { childPeak?: number; selfPeak: number } {
  const parent = opts.parent ?? process.pid;
  let childPid: number | undefined;
  let childPeak: number | undefined;
  let selfPeak = 0;
  const sample = (): void => {
    selfPeak = Math.max(selfPeak, rss(parent) ?? 0);
    childPid ??= findChild(parent);
    if (childPid === undefined) return;
    try {
      const kb = /VmHWM:\s*(\d+)/.exec(readFileSync(`/proc/${childPid}/status`, 'utf8'))?.[1];
      if (kb) childPeak = Math.max(childPeak ?? 0, Number(kb) * 1024);
    } catch {
      childPid = undefined; // exited; a later one may follow (forget after backup)
    }
  };
  sample();
  const timer = setInterval(sample, opts.intervalMs ?? 200);
  return () => {
    clearInterval(timer);
    sample();
    return { childPeak, selfPeak };
  };
}

/**
 * A service job timed by its own finish stamp, with the service's and its restic's peak memory
 * sampled while it ran.
 */
export async function watchedJob(
  service: { pid: number },
  start: () => Promise<{ seconds: number; job: BenchJob }>,
): Promise<{
  job: BenchJob;
  memory: ReturnType<ReturnType<typeof watchMemory>>;
  selfSeconds: number;
}> {
  const stop = watchMemory({ parent: service.pid });
  let memory: ReturnType<typeof stop> | undefined;
  const run = await start().finally(() => (memory = stop()));
  return { job: run.job, memory: memory!, selfSeconds: run.seconds };
}

/** Resident memory of a process now (VmRSS), undefined once it is gone. */
export function rss(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function findChild(parent: number): number | undefined {
  for (const pid of childrenOf(parent)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm === 'restic' || comm === 'setpriv') return pid;
    } catch {
      // gone between the list and the read
    }
  }
  return undefined;
}

/**
 * The children of `parent`, from the kernel's list of its main thread's children (Node spawns from
 * the main thread). The watchers call this every 50-200 ms while a measured job runs, and their
 * CPU counts on the engine's side: reading the stat file of every process on the machine instead
 * cost 8% of a CPU here with 140 processes (0.6 s of a 7.5 s restore), more on a busier machine.
 */
export function childrenOf(parent: number): number[] {
  try {
    const list = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim();
    return list ? list.split(' ').map(Number) : [];
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Aggregation and output

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function describeTarget(t: Target | undefined, unit: string): string | null {
  if (!t) return null;
  return t.on === 'ratio' ? `ratio ${t.op} ${t.value}` : `${t.op} ${t.value} ${unit}`;
}

/**
 * One row per case name, in order of first appearance. Medians of measured and baseline; the
 * ratio is the median of the per-round ratios, since each round pairs the two sides on the
 * same state.
 */
export function aggregate(samples: Sample[]): Row[] {
  const byCase = new Map<string, Sample[]>();
  for (const s of samples) byCase.set(s.case, [...(byCase.get(s.case) ?? []), s]);
  return [...byCase.values()].map((list) => {
    const first = list[0]!;
    const baselines = list.map((s) => s.baseline).filter((b): b is number => b !== undefined);
    const ratios = list
      .filter((s) => s.baseline !== undefined && s.baseline > 0)
      .map((s) => s.measured / s.baseline!);
    const measured = median(list.map((s) => s.measured));
    const ratio = ratios.length ? median(ratios) : null;
    const t = first.target;
    const value = t?.on === 'ratio' ? ratio : measured;
    const met = !t || value === null ? null : t.op === '<=' ? value <= t.value : value >= t.value;
    const perRound =
      list.length > 1 && ratios.length === list.length
        ? `ratios ${ratios.map((r) => r.toFixed(3)).join(', ')}`
        : undefined;
    const notes = [first.notes, perRound].filter(Boolean).join('; ');
    return {
      case: first.case,
      measured,
      baseline: baselines.length ? median(baselines) : null,
      ratio,
      target: describeTarget(t, first.unit),
      met,
      unit: first.unit,
      rounds: list.length,
      ...(notes ? { notes } : {}),
    };
  });
}

function fmt(value: number | null, unit = ''): string {
  if (value === null) return '-';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export function table(rows: Row[]): string {
  const header = ['case', 'measured', 'baseline', 'ratio', 'target', 'met'];
  const lines = rows.map((r) => [
    r.case,
    fmt(r.measured, r.unit),
    fmt(r.baseline, r.baseline === null ? '' : r.unit),
    r.ratio === null ? '-' : r.ratio.toFixed(3),
    r.target ?? '-',
    r.met === null ? '-' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(render)].join(
    '\n',
  );
}

export const MB = 1e6;
