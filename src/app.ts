/**
 * The composition root: builds the services from the configuration. Everything that touches the
 * outside world (store, restic, MariaDB, key file) is created here and handed down. The control
 * plane (schedules, jobs, records, notices) reaches the hosting server only through `agent`, here
 * the in-process LocalAgent; a fleet's controller gives it a remote one instead.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from './config.js';
import type { HostAgent } from './agent/agent.js';
import { LocalRepositories } from './agent/local-repositories.js';
import { recoverySafety } from './recovery-safety.js';
import type { RecoveryOptions } from './restore/recover.js';
import { backupJobHandler } from './backup/backup-job.js';
import type { BackupService } from './host/backup-service.js';
import type { DatabaseSettings } from './database/service.js';
import type { Restic } from './engine/index.js';
import { openHostSide } from './host-side.js';
import { InventoryService } from './inventory/inventory-service.js';
import { channelsFrom, EmailChannel, Notifier } from './notify/index.js';
import { JobStore } from './job/job-store.js';
import type { SnapshotBrowser } from './snapshot/index.js';
import { copyJobHandler, queueCopyAfterBackup } from './copy/copy-job.js';
import { drillJobHandler } from './drill/drill-job.js';
import { planDrillAfterBackup } from './drill/drill-planner.js';
import { maintenanceJobHandler, type VaultMaintainer } from './maintenance/maintenance.js';
import type { BackingTarget } from './vault/backing.js';
import { maintainOnVault } from './vault/maintenance.js';
import type { HostRepositories } from './host/repositories.js';
import { Worker, type WorkerOptions } from './job/worker.js';
import { Keyring, loadOrCreateMasterKey } from './repository/keyring.js';
import type { RepositoryService } from './repository/repository-service.js';
import { TargetRecords } from './repository/target-records.js';
import { restoreJobHandler } from './restore-job/restore-job.js';
import { RestoreService } from './restore-job/restore-service.js';
import { ScheduleDeletion } from './schedule/schedule-deletion.js';
import { LifecycleService } from './lifecycle/lifecycle-service.js';
import { lifecycleJobHandler } from './lifecycle/lifecycle-job.js';
import { SnapshotHolds } from './repository/snapshot-holds.js';
import { DEFAULT_KEEP_LIMIT } from './inventory/schema.js';
import { ScheduleService } from './schedule/schedule-service.js';
import { AddressPolicy } from './target/address-policy.js';
import { openStore, type Store, type StoreOptions } from './store/index.js';

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
  /** Targets with their sealed credentials, which schedules and repositories point at. */
  targets: TargetRecords;
  /** The hosting server, as the control plane reaches it. */
  agent: HostAgent;
  /** Where customers' targets may point (HOSTVAULT_TARGET_ALLOW, HOSTVAULT_TARGET_DENY). */
  addresses: AddressPolicy;
  inventory: InventoryService;
  jobs: JobStore;
  schedules: ScheduleService;
  /** "Delete a schedule", keeping or forgetting its snapshots, for the API and the CLI alike. */
  scheduleDeletion: ScheduleDeletion;
  /** Suspend, terminate, purge after the kept days, a path purged: for the API and the CLI. */
  lifecycle: LifecycleService;
  /** Holds on snapshots: the provider's, customers' "keep", the mass-change guard's. */
  holds: SnapshotHolds;
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
    /** The agent runs on another server (a fleet's controller): the start never waits for it. */
    remoteAgent?: boolean;
    /** Default: SQLite in the data directory; a fleet's controllers share PostgreSQL. */
    store?: StoreOptions;
    /**
     * The vault this process runs (`hostvault serve` with HOSTVAULT_VAULT_CERT): maintenance of
     * vault-fronted repositories runs here, on its backing target with full rights.
     */
    vault?: { target: BackingTarget; certDir: string };
    /** The fleet's vault, reached over NATS by a controller that runs none (src/controller.ts). */
    remoteVault?: VaultMaintainer;
  } = {},
): Promise<App> {
  const late: { worker?: Worker; withSafety?: RecoveryOptions['withSafety'] } = {};
  const log = opts.log ?? ((line: string) => console.error(`hostvault: ${line}`));
  const hostSide = await openHostSide(config, {
    log,
    // Built below; recovery runs only once the service starts, after openApp.
    withSafety: (journal, save) => {
      if (!late.withSafety) throw new Error('recovery ran before the service was composed');
      return late.withSafety(journal, save);
    },
  });
  const { restic, backups, browser, database, agent: local } = hostSide;
  const masterKey = await loadOrCreateMasterKey(config.keyFile);
  const keyring = new Keyring(masterKey);
  const store = await openStore(opts.store ?? { file: join(config.dataDir, 'store.db') });
  const addresses = new AddressPolicy(config.targetAddresses);
  const targets = new TargetRecords({ store, keyring, now: opts.now });
  const repositories = LocalRepositories.open({
    store,
    keyring,
    targets,
    restic,
    certDir: hostSide.certDir,
    host: hostSide.repositories,
    admit: (target) => addresses.admit(target),
    now: opts.now,
  });
  // One mutex per repository on this server: the tools' shortcut and the agent share it.
  const repositoryRecords = repositories.records;
  // Repositories from before targets were records learn theirs (migration 0010's keyed step).
  await repositoryRecords.linkTargets();
  const inventory = new InventoryService({
    store,
    now: opts.now,
    // A fleet's customers live on their servers' disks, which a controller does not have.
    pathsOnThisMachine: !opts.remoteAgent,
  });
  const jobs = new JobStore(store, opts.now);
  const agent = opts.agent ? opts.agent(local) : local;
  // The services tell the worker about new jobs; the worker needs the services. This is the one
  // place that wakes it for a new job.
  const wakeWorker = () => late.worker?.notify();
  const schedules = new ScheduleService({
    store,
    keyring,
    customers: inventory,
    jobs,
    localRepositoryDir: config.localRepositoryDir,
    addresses,
    targets,
    sweepCertificates: async (inUse) => (await agent.sweepCertificates({ inUse })).removed,
    onQueued: wakeWorker,
    now: opts.now,
  });
  const restores = new RestoreService({
    store,
    repositories: repositoryRecords,
    agent,
    customers: inventory,
    jobs,
    maxActivePerCustomer: config.restoresPerCustomer,
    onQueued: wakeWorker,
  });
  const holds = new SnapshotHolds({
    store,
    now: opts.now,
    keepLimit: async (customerId) => {
      const customer = await inventory.getCustomer(customerId);
      const pkg = customer && (await inventory.getPackage(customer.packageId));
      return pkg?.keepLimit ?? DEFAULT_KEEP_LIMIT;
    },
  });
  // Where a vault-fronted repository's deletes run: this process's vault, or the fleet's.
  const vault = opts.vault
    ? vaultMaintainer(restic, hostSide.repositories, opts.vault)
    : opts.remoteVault;
  const scheduleDeletion = new ScheduleDeletion({
    store,
    schedules,
    jobs,
    repositories: repositoryRecords,
    agent,
    holds,
    ...(vault ? { vault } : {}),
  });
  const lifecycle = new LifecycleService({
    store,
    schedules,
    jobs,
    customers: inventory,
    agent,
    keepDays: config.terminatedKeepDays,
    now: opts.now,
    onQueued: wakeWorker,
  });
  late.withSafety = recoverySafety({ store, jobs, restores, repositories, restic });
  // Certificates of targets changed or deleted while the service was down, or before files were
  // removed at all. An agent on another server may be offline: its sweep waits in its queue, and
  // the start does not wait for it.
  if (opts.remoteAgent)
    void schedules
      .sweepCertificates()
      .catch((error: unknown) => log(`sweeping certificates: ${String(error)}`));
  else await schedules.sweepCertificates();
  const notifier = new Notifier({
    store,
    channels: channelsFrom(config.notify),
    onSuccess: config.notify.onSuccess,
    customers: inventory,
    targets,
    log,
    now: opts.now,
    ...(config.notify.smtp
      ? {
          customerChannel: (address: string) =>
            new EmailChannel(config.notify.smtp!, config.notify.from, [address]),
        }
      : {}),
  });
  const handlers: WorkerOptions['handlers'] = {
    backup: backupJobHandler({
      store,
      schedules,
      agent,
      repositories: repositoryRecords,
      customers: inventory,
      holds,
      // The browse index is built right after the backup, so a customer who opens the snapshot
      // never waits for a listing of it.
      indexAfter: true,
      log,
      afterSnapshot: async (snapshot) => {
        // The second copy first: it is what the schedule promised; a drill is a sample.
        if (await queueCopyAfterBackup({ store, jobs }, snapshot)) wakeWorker();
        if (
          await planDrillAfterBackup(
            { store, jobs, now: opts.now, ...(config.drills ? { policy: config.drills } : {}) },
            snapshot,
          )
        )
          wakeWorker();
      },
    }),
    restore: restoreJobHandler({
      store,
      restores,
      repositories: repositoryRecords,
      agent,
      log,
      ...(opts.remoteAgent
        ? { recoveryNotes: (customerId: string) => agent.recover({ customerIds: [customerId] }) }
        : {}),
    }),
    drill: drillJobHandler({
      ...(config.drills ? { policy: config.drills } : {}),
      store,
      repositories: repositoryRecords,
      agent,
      customers: inventory,
      now: opts.now,
      log,
    }),
    copy: copyJobHandler({
      store,
      schedules,
      targets,
      repositories: repositoryRecords,
      agent,
      holds,
      now: opts.now,
      log,
    }),
    lifecycle: lifecycleJobHandler({
      store,
      repositories: repositoryRecords,
      agent,
      holds,
      now: opts.now,
      log,
    }),
    maintenance: maintenanceJobHandler({
      store,
      schedules,
      repositories: repositoryRecords,
      agent,
      holds,
      now: opts.now,
      log,
      ...(vault ? { vault } : {}),
    }),
  };
  const worker = new Worker({
    jobs,
    concurrency: config.concurrency,
    leaseMs: config.jobLeaseMs,
    // `serve` is one per data directory: the same id after a restart, so its start marks the jobs
    // it ran before. Each controller process is its own owner; controllers adopt the running jobs
    // of one that died.
    ownerId: opts.remoteAgent
      ? `controller-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`
      : `serve-${hostname()}`,
    adopt: opts.remoteAgent === true,
    now: opts.now,
    handlers,
    onFinished: (job, status, error) => notifier.jobFinished(job, status, error),
    log,
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
    targets,
    agent,
    addresses,
    inventory,
    jobs,
    schedules,
    scheduleDeletion,
    lifecycle,
    holds,
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
      hostSide.close();
      await store.close();
    },
  };
  return app;
}

/**
 * The vault's maintenance in this process, with this process's restic (one-box serve). It takes
 * the repository's mutex of this server's agent, so a backup of this server through the vault
 * and the vault's prune take turns; an agent on another host meets the prune's restic lock.
 */
function vaultMaintainer(
  restic: Restic,
  repositories: Pick<HostRepositories, 'exclusive'>,
  vault: { target: BackingTarget; certDir: string },
): VaultMaintainer {
  return {
    maintain: (repo, task, opts) =>
      repositories.exclusive(repo.url, () =>
        maintainOnVault({ restic, target: vault.target, certDir: vault.certDir }, repo, task, opts),
      ),
  };
}
