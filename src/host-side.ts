/**
 * The hosting server's half of the composition: restic, repositories as the host meets them,
 * backup runs, browse indexes, MariaDB and the LocalAgent over them. `hostvault serve` builds it
 * inside openApp (src/app.ts) beside the control plane; `hostvault agent` builds it alone
 * (src/agent-role.ts), with no store and no master key: what it needs of a repository comes in
 * each request.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.js';
import { LocalAgent } from './agent/local.js';
import { BackupService } from './host/backup-service.js';
import { mariadbDumper } from './host/dumper.js';
import { HostRepositories } from './host/repositories.js';
import { restoreDatabase } from './database/index.js';
import { databaseSettings, drillPause, type DatabaseSettings } from './database/service.js';
import { Restic } from './engine/index.js';
import type { RecoveryOptions } from './restore/recover.js';
import type { DatabaseRestorer } from './restore/restore-run.js';
import { SnapshotBrowser } from './snapshot/index.js';

export interface HostSide {
  restic: Restic;
  /** One mutex per repository on this server: every user of a repository here shares it. */
  repositories: HostRepositories;
  backups: BackupService;
  browser: SnapshotBrowser;
  database: DatabaseSettings;
  certDir: string;
  agent: LocalAgent;
  close(): void;
}

export async function openHostSide(
  config: Config,
  opts: {
    log: (line: string) => void;
    /** Makes and records a safety snapshot a web restore still owed (one process only). */
    withSafety?: RecoveryOptions['withSafety'];
  },
): Promise<HostSide> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const restic = await Restic.detect({
    binary: config.resticBinary,
    cacheDir: join(config.dataDir, 'cache'),
  });
  const certDir = join(config.dataDir, 'certs');
  const repositories = new HostRepositories({ restic, certDir });
  const database = await databaseSettings(config.dataDir, config.instanceId);
  const backups = new BackupService({
    restic,
    repositories,
    databases: mariadbDumper(database.connection),
    dataDir: config.dataDir,
  });
  const browser = new SnapshotBrowser({ restic, indexDir: join(config.dataDir, 'browse-index') });
  const agent = new LocalAgent({
    restic,
    resticBinary: config.resticBinary,
    repositories,
    backups,
    browser,
    database,
    certDir,
    dataDir: config.dataDir,
    log: opts.log,
    restores: {
      databases: mariadbRestorer(database),
      // A failed removal leaves the restore's journal in its cleanup state: the next start of
      // the service finishes it.
      background: (work) =>
        void work().catch((error: unknown) =>
          opts.log(`removing the previous content of a restore failed: ${String(error)}`),
        ),
    },
    withSafety: opts.withSafety,
  });
  return {
    restic,
    repositories,
    backups,
    browser,
    database,
    certDir,
    agent,
    close: () => browser.close(),
  };
}

function mariadbRestorer(database: DatabaseSettings): DatabaseRestorer {
  const onStep = drillPause(process.env);
  return {
    async restore(opts) {
      await restoreDatabase({
        database: opts.database,
        dumpFile: opts.dumpFile,
        checksumFile: opts.checksumFile,
        owner: { customerId: opts.customerId, allowedDatabases: opts.allowedDatabases },
        connection: database.connection,
        journalDir: database.journalDir,
        jobId: opts.jobId,
        safetyDir: opts.safetyDir,
        saveSafety: (dump) => opts.saveSafety(dump.file),
        signal: opts.signal,
        onLog: opts.onLog,
        onStep,
      });
    },
    async drill(opts) {
      await restoreDatabase({
        database: opts.database,
        dumpFile: opts.dumpFile,
        checksumFile: opts.checksumFile,
        owner: { customerId: opts.customerId, allowedDatabases: opts.allowedDatabases },
        connection: database.connection,
        journalDir: database.journalDir,
        jobId: opts.jobId,
        signal: opts.signal,
        onLog: opts.onLog,
        drill: true,
      });
    },
  };
}
