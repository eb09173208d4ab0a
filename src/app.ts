/**
 * The composition root: builds the services from the configuration. Everything that touches the
 * outside world (store, restic, MariaDB, key file) is created here and handed down. The control
 * plane (schedules, jobs, records, notices) reaches the hosting server only through `agent`, here
 * the in-process LocalAgent; a fleet's controller gives it a remote one instead.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.js';
import type { HostAgent } from './agent/agent.js';
import { LocalAgent } from './agent/local.js';
import { LocalRepositories } from './agent/local-repositories.js';
import { recoverySafety } from './recovery-safety.js';
import type { RecoveryOptions } from './restore/recover.js';
import { backupJobHandler } from './backup/backup-job.js';
import { BackupService } from './host/backup-service.js';
import { mariadbDumper } from './host/dumper.js';
import { restoreDatabase } from './database/index.js';
import { databaseSettings, drillPause, type DatabaseSettings } from './database/service.js';
import { Restic } from './engine/index.js';
import { InventoryService } from './inventory/inventory-service.js';
import { channelsFrom, Notifier } from './notify/index.js';
import { JobStore } from './job/job-store.js';
import { SnapshotBrowser } from './snapshot/index.js';
import { maintenanceJobHandler } from './maintenance/maintenance.js';
import { Worker, type WorkerOptions } from './job/worker.js';
import { Keyring, loadOrCreateMasterKey } from './repository/keyring.js';
import type { RepositoryService } from './repository/repository-service.js';
import { restoreJobHandler } from './restore-job/restore-job.js';
import type { DatabaseRestorer } from './restore/restore-run.js';
import { RestoreService } from './restore-job/restore-service.js';
import { ScheduleService } from './schedule/schedule-service.js';
import { AddressPolicy } from './target/address-policy.js';
import { openStore, type Store } from './store/index.js';

export interface App {
  config: Config;
  store: Store;
  restic: Restic;
  masterKey: Buffer;
  keyring: Keyring;
  /**
   * Repositories in one process, records and host together: for tools of one-server mode (the
   * demo, the bench, tests). The control plane uses `repositoryRecords` and `agent`.
   */
  repositories: LocalRepositories;
  /** The control plane's repositories: sealed passwords, resolved into requests for the agent. */
  repositoryRecords: RepositoryService;
  /** The hosting server, as the control plane reaches it. */
  agent: HostAgent;
  /** Where customers' targets may point (HOSTVAULT_TARGET_ALLOW, HOSTVAULT_TARGET_DENY). */
  addresses: AddressPolicy;
  inventory: InventoryService;
  jobs: JobStore;
  schedules: ScheduleService;
  /** "Request a restore" for the API, the CLI and the restore job alike. */
  restores: RestoreService;
  backups: BackupService;
  worker: Worker;
  /** Snapshot indexes for Browse Files. */
  browser: SnapshotBrowser;
  /** Failed backups, overdue schedules: e-mail and webhook. */
  notifier: Notifier;
  /** MariaDB as the database dumps and restores reach it, and their places on disk. */
  database: DatabaseSettings;
  /** The worker's handlers, for a worker of one's own (the CLI's `run --wait`). */
  handlers: WorkerOptions['handlers'];
  close(): Promise<void>;
}

export async function openApp(
  config: Config,
  opts: {
    now?: () => Date;
    log?: (line: string) => void;
    /**
     * What the control plane talks to, given the in-process agent: a transport in front of it,
     * or the WireAgent that makes every message cross as plain data (tests). Default: itself.
     */
    agent?: (local: HostAgent) => HostAgent;
  } = {},
): Promise<App> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const restic = await Restic.detect({
    binary: config.resticBinary,
    cacheDir: join(config.dataDir, 'cache'),
  });
  const masterKey = await loadOrCreateMasterKey(config.keyFile);
  const keyring = new Keyring(masterKey);
  const store = await openStore({ file: join(config.dataDir, 'store.db') });
  const addresses = new AddressPolicy(config.targetAddresses);
  const certDir = join(config.dataDir, 'certs');
  const log = opts.log ?? ((line: string) => console.error(`hostvault: ${line}`));
  const repositories = LocalRepositories.open({
    store,
    keyring,
    restic,
    certDir,
    admit: (target) => addresses.admit(target),
    now: opts.now,
  });
  // One mutex per repository on this server: the tools' shortcut and the agent share it.
  const repositoryRecords = repositories.records;
  const inventory = new InventoryService({ store, now: opts.now });
  const database = await databaseSettings(config.dataDir, config.instanceId);
  const jobs = new JobStore(store, opts.now);
  const backups = new BackupService({
    restic,
    repositories: repositories.host,
    databases: mariadbDumper(database.connection),
    dataDir: config.dataDir,
  });
  const browser = new SnapshotBrowser({ restic, indexDir: join(config.dataDir, 'browse-index') });
  const local = new LocalAgent({
    restic,
    resticBinary: config.resticBinary,
    repositories: repositories.host,
    backups,
    browser,
    database,
    certDir,
    dataDir: config.dataDir,
    log,
    restores: {
      databases: mariadbRestorer(database),
      // A failed removal leaves the restore's journal in its cleanup state: the next start of
      // the service finishes it.
      background: (work) =>
        void work().catch((error: unknown) =>
          (opts.log ?? console.error)(
            `removing the previous content of a restore failed: ${String(error)}`,
          ),
        ),
    },
    // Built below; recovery runs only once the service starts, after openApp.
    withSafety: (journal, save) => {
      if (!late.withSafety) throw new Error('recovery ran before the service was composed');
      return late.withSafety(journal, save);
    },
  });
  const agent = opts.agent ? opts.agent(local) : local;
  // The services tell the worker about new jobs; the worker needs the services. This is the one
  // place that wakes it for a new job.
  const late: { worker?: Worker; withSafety?: RecoveryOptions['withSafety'] } = {};
  const wakeWorker = () => late.worker?.notify();
  const schedules = new ScheduleService({
    store,
    keyring,
    customers: inventory,
    jobs,
    localRepositoryDir: config.localRepositoryDir,
    addresses,
    sweepCertificates: async (inUse) => (await agent.sweepCertificates({ inUse })).removed,
    onQueued: wakeWorker,
    now: opts.now,
  });
  const restores = new RestoreService({
    store,
    schedules,
    customers: inventory,
    jobs,
    maxActivePerCustomer: config.restoresPerCustomer,
    onQueued: wakeWorker,
  });
  late.withSafety = recoverySafety({ store, jobs, restores, repositories, restic });
  // Certificates of targets changed or deleted while the service was down, or before files were
  // removed at all.
  await schedules.sweepCertificates();
  const notifier = new Notifier({
    store,
    channels: channelsFrom(config.notify),
    onSuccess: config.notify.onSuccess,
    customers: inventory,
    log: opts.log ?? ((line) => console.error(`hostvault: ${line}`)),
    now: opts.now,
  });
  const handlers: WorkerOptions['handlers'] = {
    backup: backupJobHandler({
      store,
      schedules,
      agent,
      repositories: repositoryRecords,
      customers: inventory,
      // The browse index is built right after the backup, so a customer who opens the snapshot
      // never waits for a listing of it.
      indexAfter: true,
      log,
    }),
    restore: restoreJobHandler({
      store,
      restores,
      repositories: repositoryRecords,
      agent,
      log,
    }),
    maintenance: maintenanceJobHandler({
      store,
      schedules,
      repositories: repositoryRecords,
      agent,
      now: opts.now,
      log,
    }),
  };
  const worker = new Worker({
    jobs,
    concurrency: config.concurrency,
    now: opts.now,
    handlers,
    onFinished: (job, status, error) => notifier.jobFinished(job, status, error),
  });
  late.worker = worker;
  const app: App = {
    config,
    store,
    restic,
    masterKey,
    keyring,
    repositories,
    repositoryRecords,
    agent,
    addresses,
    inventory,
    jobs,
    schedules,
    restores,
    backups,
    worker,
    notifier,
    database,
    browser,
    handlers,
    close: async () => {
      await app.worker.stop();
      await notifier.close();
      browser.close();
      await store.close();
    },
  };
  return app;
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
  };
}
