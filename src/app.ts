/**
 * The composition root: builds the services from the configuration. Everything that touches the
 * outside world (store, restic, MariaDB, key file) is created here and handed down, so each part
 * can run alone (a worker on another server) or all together (`hostvault serve`).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.js';
import { backupJobHandler } from './backup/backup-job.js';
import { BackupService, type DatabaseDumper } from './backup/backup-service.js';
import { dumpDatabases, restoreDatabase } from './database/index.js';
import { Restic } from './engine/index.js';
import { InventoryService } from './inventory/inventory-service.js';
import { JobStore } from './job/job-store.js';
import { Worker } from './job/worker.js';
import { Keyring, loadOrCreateMasterKey } from './repository/keyring.js';
import { RepositoryService } from './repository/repository-service.js';
import { restoreJobHandler, type DatabaseRestorer } from './restore/restore-job.js';
import { ScheduleService } from './schedule/schedule-service.js';
import { openStore, type Store } from './store/index.js';
import { rm } from 'node:fs/promises';

export interface App {
  config: Config;
  store: Store;
  restic: Restic;
  masterKey: Buffer;
  keyring: Keyring;
  repositories: RepositoryService;
  inventory: InventoryService;
  jobs: JobStore;
  schedules: ScheduleService;
  backups: BackupService;
  worker: Worker;
  close(): Promise<void>;
}

export async function openApp(config: Config, opts: { now?: () => Date } = {}): Promise<App> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const restic = await Restic.detect({
    binary: config.resticBinary,
    cacheDir: join(config.dataDir, 'cache'),
  });
  const masterKey = await loadOrCreateMasterKey(config.keyFile);
  const keyring = new Keyring(masterKey);
  const store = await openStore({ file: join(config.dataDir, 'store.db') });
  const repositories = new RepositoryService({
    store,
    keyring,
    restic,
    certDir: join(config.dataDir, 'certs'),
  });
  const inventory = new InventoryService({ store, now: opts.now });
  const jobs = new JobStore(store, opts.now);
  const backups = new BackupService({
    restic,
    repositories,
    databases: mariadbDumper(),
    dataDir: config.dataDir,
  });
  // The schedule service tells the worker about new jobs; the worker needs the schedule service.
  const late: { worker?: Worker } = {};
  const schedules = new ScheduleService({
    store,
    keyring,
    customers: inventory,
    jobs,
    localRepositoryDir: config.localRepositoryDir,
    onQueued: () => late.worker?.notify(),
    now: opts.now,
  });
  const worker = new Worker({
    jobs,
    concurrency: config.concurrency,
    now: opts.now,
    handlers: {
      backup: backupJobHandler({ store, schedules, backups, customers: inventory }),
      restore: restoreJobHandler({
        store,
        restic,
        repositories,
        schedules,
        customers: inventory,
        databases: mariadbRestorer(),
        dataDir: config.dataDir,
      }),
    },
  });
  late.worker = worker;
  const app: App = {
    config,
    store,
    restic,
    masterKey,
    keyring,
    repositories,
    inventory,
    jobs,
    schedules,
    backups,
    worker,
    close: async () => {
      await app.worker.stop();
      await store.close();
    },
  };
  return app;
}

/** mariadb-dump as root over the local socket, as the hosting server's own MariaDB. */
function mariadbDumper(): DatabaseDumper {
  return {
    async dump(opts) {
      await dumpDatabases({ ...opts, connection: {} });
    },
  };
}

function mariadbRestorer(): DatabaseRestorer {
  return {
    async restore(opts) {
      const result = await restoreDatabase({
        database: opts.database,
        dumpFile: opts.dumpFile,
        owner: { customerId: opts.customerId, allowedDatabases: opts.allowedDatabases },
        connection: {},
        signal: opts.signal,
        onLog: opts.onLog,
      });
      // The undo of a database restore is the snapshot it came from's predecessor; the
      // safety dump only protected the import itself.
      if (result.safetyDump) await rm(result.safetyDump.dir, { recursive: true, force: true });
    },
  };
}
