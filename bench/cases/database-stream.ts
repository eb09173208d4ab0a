/**
 * Database backup streamed vs staged (issue 15): the same bench databases (bench/database-data.ts,
 * size `--db-mb=N` or the size's default) backed up by BackupService for a Databases schedule,
 * - streamed: restic 0.18, each dump run by restic (`--stdin-from-command`) into the repository;
 * - staged: restic 0.14 (Debian 12), dumps written into the staging directory first;
 * - staged with 0.18 too, so the version's own speed is told apart from the path's.
 * Each side gets a fresh data directory, repository and restic cache. Peak extra disk is the
 * largest size of the service's data directory (staging, option files) seen while the backup
 * ran, sampled every 50 ms; restic's cache is reported beside it (the target allows it).
 * Target: no extra disk for the streamed side.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { LocalRepositories } from '../../src/agent/local-repositories.js';
import { Restic } from '../../src/engine/index.js';
import { BackupService } from '../../src/host/backup-service.js';
import { mariadbDumper } from '../../src/host/dumper.js';
import { sizeOf } from '../../src/host/preflight.js';
import { customerSchema } from '../../src/inventory/schema.js';
import { Keyring } from '../../src/repository/keyring.js';
import { openStore } from '../../src/store/index.js';
import { targetSchema } from '../../src/target/schema.js';
import { ensureDatabases, type DatabaseSet } from '../database-data.js';
import { MB, type StandaloneCase, type StandaloneContext } from '../harness.js';

let databases: Promise<DatabaseSet> | undefined;

/** restic 0.18: `$HOSTVAULT_RESTIC_018`, or where scripts/fetch-restic-0.18.sh puts it. */
function restic018(): string {
  const named = process.env.HOSTVAULT_RESTIC_018;
  if (named) return named;
  const dir = execFileSync('bash', ['scripts/fetch-restic-0.18.sh'], { encoding: 'utf8' }).trim();
  return join(dir, 'restic');
}

interface Side {
  name: string;
  binary: string;
  stream: boolean;
}

interface SideResult {
  seconds: number;
  /** Largest size of the data directory while the backup ran. */
  peakExtra: number;
  /** restic's cache after the backup. */
  cache: number;
  streamed: boolean;
  bytes: number;
}

export const databaseStream: StandaloneCase = {
  name: 'database-stream',
  standalone: true,
  async run(ctx) {
    databases ??= ensureDatabases({ bytes: ctx.databaseBytes, seed: 1 }, ctx.log);
    const set = await databases;
    const sides: Side[] = [
      { name: 'streamed (0.18)', binary: restic018(), stream: true },
      {
        name: 'staged (0.14)',
        binary: process.env.HOSTVAULT_RESTIC_014 ?? '/usr/bin/restic',
        stream: false,
      },
      { name: 'staged (0.18)', binary: restic018(), stream: false },
    ];
    const results: Record<string, SideResult> = {};
    for (const side of sides) results[side.name] = await measure(ctx, set, side);
    const streamed = results['streamed (0.18)']!;
    const staged = results['staged (0.14)']!;
    const staged18 = results['staged (0.18)']!;
    if (!streamed.streamed || staged.streamed || staged18.streamed)
      throw new Error('a side did not take the path it was meant to');
    const rows = `${set.names.length} databases, ${(set.rowBytes / MB).toFixed(0)} MB of rows, ${(streamed.bytes / MB).toFixed(0)} MB of dumps`;
    for (const [name, r] of Object.entries(results))
      ctx.log(
        `database-stream: ${name}: ${r.seconds.toFixed(2)} s, peak extra disk ${(r.peakExtra / MB).toFixed(1)} MB, restic cache ${(r.cache / MB).toFixed(1)} MB`,
      );
    return [
      {
        case: 'database backup streamed vs staged (0.14), time',
        measured: streamed.seconds,
        baseline: staged.seconds,
        unit: 's',
        notes: `${rows}; staged with 0.18: ${staged18.seconds.toFixed(1)} s`,
      },
      {
        case: 'database backup streamed, peak extra disk',
        measured: streamed.peakExtra / MB,
        baseline: staged.peakExtra / MB,
        unit: 'MB',
        target: { on: 'measured', op: '<=', value: 1 },
        notes:
          `data directory (staging, option files, checksum records) at its largest; ` +
          `restic cache streamed ${(streamed.cache / MB).toFixed(1)} MB, staged ${(staged.cache / MB).toFixed(1)} MB; ` +
          `staged with 0.18: ${(staged18.peakExtra / MB).toFixed(0)} MB`,
      },
    ];
  },
};

async function measure(ctx: StandaloneContext, set: DatabaseSet, side: Side): Promise<SideResult> {
  const dir = join(
    ctx.workDir,
    `db-stream-${ctx.round}-${side.stream ? 's' : 'f'}-${side.binary.length}`,
  );
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'www'), { recursive: true });
  const dataDir = join(dir, 'data');
  const cacheDir = join(dir, 'cache');
  const store = await openStore({ memory: true });
  try {
    const restic = await Restic.detect({ binary: side.binary, cacheDir });
    const repositories = LocalRepositories.open({
      store,
      keyring: new Keyring(randomBytes(32)),
      restic,
      certDir: join(dir, 'certs'),
    });
    const target = targetSchema.parse({ kind: 'local', path: join(dir, 'repositories') });
    const customer = customerSchema.parse({
      id: 'hvbench',
      name: 'Bench',
      linuxUser: 'hvbench',
      uid: 3901,
      gid: 3901,
      packageId: 'bench',
      webRoot: join(dir, 'www'),
      databases: set.names,
    });
    const backups = new BackupService({
      restic,
      repositories: repositories.host,
      databases: mariadbDumper({}),
      dataDir,
      streamDumps: side.stream,
    });
    const repository = await repositories.records.access(target, customer.id);
    // The repository exists before the clock starts, as after a provider's setup.
    await repositories.host.withRepository(
      repository,
      async () => undefined,
      () => repositories.records.markInitialized(repository.repositoryId),
    );
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        if (existsSync(dataDir)) peak = Math.max(peak, await sizeOf([dataDir]));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    let streamed = false;
    const started = performance.now();
    const outcome = await backups.run({
      customer,
      schedule: 1,
      scope: 'databases',
      repository: { ...repository, initialized: true },
      parent: null,
      onLog: (line) => {
        if (line.startsWith('Streaming ')) streamed = true;
      },
    });
    const seconds = (performance.now() - started) / 1000;
    sampling = false;
    await sampler;
    return {
      seconds,
      peakExtra: peak,
      cache: await sizeOf([cacheDir]),
      streamed,
      bytes: outcome.summary.totalBytesProcessed,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
