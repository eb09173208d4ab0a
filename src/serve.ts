/**
 * `hostvault serve`: API, scheduler and worker in one process on embedded defaults. On start it
 * first repairs what a crash may have left: restores half swapped, jobs marked running, database
 * dumps in staging.
 */
import { CoverageService } from './coverage/coverage-service.js';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { buildAndImport } from './demo/engine-demo.js';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer, storeHealth, storeJobMetrics } from './api/index.js';
import { adminRoutes } from './api/admin/index.js';
import { packageInfoRoutes } from './api/package-info-routes.js';
import { DEFAULT_WEB_ROOT } from './api/web.js';
import { proxyApiOptions } from './api/proxy-options.js';
import { scheduleRoutes } from './api/schedule-routes.js';
import { targetRoutes } from './api/target-routes.js';
import { targetAdminRoutes } from './api/target-admin-routes.js';
import { snapshotRoutes } from './api/snapshot-routes.js';
import { holdRoutes } from './api/hold-routes.js';
import { openApp, type App } from './app.js';
import { AuthService, ensureAdmin } from './auth/index.js';
import { writeSecretFile } from './auth/secret-file.js';
import type { Config } from './config.js';
import type { HostAgent } from './agent/agent.js';
import type { StoreOptions } from './store/index.js';
import type { RecoveredRestore } from './restore-job/restore-plan.js';
import { startPlanning } from './planning.js';
import { loadVaultSettings } from './vault/settings.js';
import type { VaultMaintainer } from './fleet/vault-protocol.js';
import { serverRoutes } from './api/admin/server-routes.js';
import { ServerAdmin } from './fleet/server-admin.js';
import { CustomerMove } from './fleet/customer-move.js';
import { ServerRecovery } from './fleet/server-recovery.js';
import { ServerRecords } from './fleet/server-records.js';
import { LOCAL_SERVER } from './fleet/subjects.js';
import { collectStartupGarbageLater } from './startup-gc.js';

export interface Service {
  app: App;
  /** The HTTP server, listening at `url`. */
  server: FastifyInstance;
  url: string;
  stop(): Promise<void>;
}

export async function startService(
  config: Config,
  opts: {
    log?: (line: string) => void;
    demo?: boolean;
    /** The built web UI to serve; dist/web of this package unless a bench compares builds. */
    webRoot?: string;
    /**
     * A fleet's controller (src/controller.ts): the hosting server's agent behind a transport,
     * and the store it shares with other controllers. Unset: `hostvault serve`, all in one process.
     */
    fleet?: {
      agent: HostAgent;
      store?: StoreOptions;
      /** This controller's default server (the coverage view's server filter). */
      serverId?: string;
      /** Told the app before anything asks the agent (its routes read customers from it). */
      onApp?(app: App): void;
      /** The Servers page's service over the app's store: enroll, revoke, drain. */
      servers?(app: App): Promise<ServerAdmin>;
      /** The fleet's vault over NATS: vault-fronted repositories' maintenance and deletes. */
      vault?: VaultMaintainer;
    };
  } = {},
): Promise<Service> {
  const log =
    opts.log ??
    ((line: string) => console.log(JSON.stringify({ time: new Date().toISOString(), msg: line })));
  const fleet = opts.fleet;
  // One-server mode with a vault configured (HOSTVAULT_VAULT_CERT): its endpoint runs as this
  // process's child, for agents on other hosts; without one, nothing changes. First, so a
  // vault that cannot start (no certificate) stops the start before anything else runs.
  const vault =
    !opts.fleet && loadVaultSettings(process.env, config.dataDir)
      ? await (await import('./vault-role.js')).startVault(config, { log })
      : undefined;
  const app = await openApp(
    config,
    fleet
      ? {
          log,
          agent: () => fleet.agent,
          remoteAgent: true,
          store: fleet.store,
          ...(fleet.vault ? { remoteVault: fleet.vault } : {}),
        }
      : {
          log,
          // The vault's retention, prune and check run in this process, with full rights on
          // its backing target (src/maintenance/maintenance.ts).
          ...(vault
            ? {
                vault: {
                  target: vault.settings.target,
                  certDir: join(vault.settings.workDir, 'maintenance-certs'),
                },
              }
            : {}),
        },
  );
  fleet?.onApp?.(app);
  await recover(app, log, { remote: !!fleet });
  // `hostvault serve` has one implicit server, this one: shown with its agent's facts, and
  // nothing to enroll or revoke.
  const servers =
    (await fleet?.servers?.(app)) ??
    new ServerAdmin({
      records: new ServerRecords(app.store),
      activeJobs: () => app.jobs.activeByServer(),
      implicit: {
        id: LOCAL_SERVER,
        facts: async () => {
          const facts = await app.agent.facts();
          return {
            resticVersion: facts.restic.version,
            ...(facts.mariadb ? { mariadbVersion: facts.mariadb.version } : {}),
            freeBytes: facts.dataDirFreeBytes,
            running: [],
            state: 'online' as const,
          };
        },
      },
    });

  // The servers customers may be put on without an enrollment: serve's own, a controller's default.
  const moves = new CustomerMove({
    store: app.store,
    records: new ServerRecords(app.store),
    inventory: app.inventory,
    implicitServers: fleet ? (fleet.serverId ? [fleet.serverId] : []) : [LOCAL_SERVER],
  });
  const recovery = new ServerRecovery({
    store: app.store,
    records: new ServerRecords(app.store),
    inventory: app.inventory,
    moves,
    restores: app.restores,
  });

  const auth = new AuthService({ store: app.store, masterKey: app.masterKey });
  await ensureAdmin(auth, { passwordFile: join(config.dataDir, 'initial-admin-password') });
  if (opts.demo) await prepareDemo(app, auth);
  const server = buildServer({
    auth,
    jobs: app.jobs,
    worker: app.worker,
    health: storeHealth(app.store),
    metrics: storeJobMetrics(app.store),
    customers: app.inventory,
    modules: [
      snapshotRoutes({
        store: app.store,
        repositories: app.repositoryRecords,
        agent: app.agent,
        restores: app.restores,
        log,
      }),
      scheduleRoutes({
        schedules: app.schedules,
        store: app.store,
        deletion: app.scheduleDeletion,
        holds: app.holds,
      }),
      holdRoutes({ store: app.store, repositories: app.repositoryRecords, holds: app.holds }),
      ...adminRoutes({
        inventory: app.inventory,
        schedules: app.schedules,
        users: auth,
        repositories: app.repositoryRecords,
        // A controller drives the server it is named for; `serve` is the one server it runs on.
        coverage: new CoverageService({ store: app.store, server: fleet?.serverId ?? 'local' }),
        lifecycle: app.lifecycle,
        knownServers: moves,
      }),
      serverRoutes({ servers, moves, recovery }),
      packageInfoRoutes({ schedules: app.schedules, inventory: app.inventory }),
      targetAdminRoutes({ schedules: app.schedules }),
      targetRoutes({
        schedules: app.schedules,
        addresses: app.addresses,
        probe: (target, probeOptions) => app.agent.testConnection({ target, ...probeOptions }),
      }),
    ],
    options: { webRoot: opts.webRoot ?? DEFAULT_WEB_ROOT, ...proxyApiOptions(config.proxy) },
  });
  app.worker.start();
  // Schedules, and each repository's weekly prune and check (looked at hourly and once now), by
  // the holder of the planner lease: this process on its own store.
  const planning = startPlanning({
    store: app.store,
    schedules: app.schedules,
    jobs: app.jobs,
    log,
    onQueued: () => app.worker.notify(),
    lease: { ttlMs: config.plannerLeaseMs },
    holds: app.holds,
    purges: (opts) => app.lifecycle.planPurges(opts),
  });
  app.notifier.start();
  const url = await server.listen({ host: config.listen.host, port: config.listen.port });
  log(`hostvault listening on ${url}, data in ${config.dataDir}`);
  const cancelCollect = collectStartupGarbageLater();
  return {
    app,
    server,
    url,
    async stop() {
      cancelCollect();
      await planning.stop();
      await server.close();
      await vault?.stop();
      await app.close();
    },
  };
}

/**
 * What a crash may have left: the agent finishes or undoes interrupted restores and removes dumps
 * in staging; the control plane marks the jobs that were running as interrupted, with the
 * agent's notes on what it put right: its own jobs and those whose owner's lease expired, never
 * one another process still runs (src/job/worker.ts). A fleet's controller marks none: its worker
 * adopts each job whose controller died and records what the agent made of it.
 */
async function recover(
  app: App,
  log: (line: string) => void,
  opts: { remote: boolean },
): Promise<void> {
  const request = { customerIds: (await app.inventory.listCustomers()).map((c) => c.id) };
  // A remote agent recovered at its own start: its notes are only logged here (they come with each
  // job's answer, and a restore job asks for them when its agent stopped, src/restore-job).
  const recovered = opts.remote
    ? await app.agent.recover(request).catch((error: unknown) => {
        log(`the agent's recovery notes could not be read: ${(error as Error).message}`);
        return { notes: [], log: [] };
      })
    : await app.agent.recover(request);
  for (const line of recovered.log) log(line);
  // The controllers' workers adopt the jobs of a controller that died (src/job/worker.ts).
  if (opts.remote) return;
  const notes = new Map<number, string>();
  const restores = new Map<number, RecoveredRestore[]>();
  for (const { jobId, note, restore } of recovered.notes) {
    notes.set(jobId, [notes.get(jobId), note].filter(Boolean).join(' '));
    restores.set(jobId, [...(restores.get(jobId) ?? []), restore]);
  }
  // A job whose last restore recovery finished has done all it was asked: it reads successful.
  const completed = new Set<number>();
  for (const [id, done] of restores) {
    const job = await app.jobs.get(id);
    if (job?.status === 'running' && (await app.restores.completedByRecovery(job, done)))
      completed.add(id);
  }
  const interrupted = await app.jobs.markInterrupted(notes, completed, app.worker.owner.id);
  for (const job of interrupted)
    log(
      completed.has(job.id)
        ? `job ${job.id} (${job.type}) was completed by recovery after a stop of the service`
        : `job ${job.id} (${job.type}) was interrupted by a stop of the service`,
    );
}

/**
 * `serve --demo`: a newcomer sees real data at once: the demo hosting layout imported, and a
 * sign-in for each demo customer (see demoSignIns).
 */
async function prepareDemo(app: App, auth: AuthService): Promise<void> {
  const layout = await buildAndImport(app.store, join(app.config.dataDir, 'demo'));
  await demoSignIns(
    app.store,
    auth,
    layout.customers.map((c) => c.id),
    join(app.config.dataDir, 'demo-sign-ins'),
  );
}

/**
 * A user for each demo customer that has none, with a random password. The passwords go to
 * `file` (0600, like the administrator's: demo data, but one rule is simpler to keep), one
 * "name password" line each, beside the lines of earlier runs; stdout only says where.
 */
export async function demoSignIns(
  store: App['store'],
  auth: AuthService,
  customerIds: string[],
  file: string,
  print: (text: string) => void = (text) => console.log(text),
): Promise<void> {
  const made = new Map<string, string>();
  for (const id of customerIds) {
    const exists = await store.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', id)
      .executeTakeFirst();
    if (exists) continue;
    const password = randomBytes(12).toString('base64url');
    await auth.createUser({ username: id, password, role: 'customer', customerId: id });
    made.set(id, password);
  }
  if (made.size === 0) return;
  const earlier = (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line !== '' && !made.has(line.split(' ')[0] ?? ''));
  const lines = [...earlier, ...[...made].map(([id, password]) => `${id} ${password}`)];
  await writeSecretFile(file, `${lines.join('\n')}\n`);
  print(
    `Demo customers ${[...made.keys()].join(', ')} can sign in; their passwords are in ${file} ` +
      '(readable by this user only, one "name password" line each).',
  );
}
