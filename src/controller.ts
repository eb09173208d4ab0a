/**
 * `hostvault controller`: the service of `hostvault serve` (API, web UI, scheduler, worker) for
 * a whole fleet: every hosting server is reached over the fleet's NATS through its own agent,
 * each request routed by the customer it concerns (src/fleet/fleet-agent.ts), and the store is in
 * PostgreSQL when HOSTVAULT_DATABASE_URL is set.
 *
 * - HOSTVAULT_SERVER_ID is optional here: the default server, where customers the inventory names
 *   no server for (the implicit `local`) go, so a one-server controller configured as before
 *   keeps working.
 * - Agents' presence is recorded in the store (the Servers page).
 * - Requests carrying secrets are sealed to each agent's curve key, by the controller's curve key
 *   derived from the master key (src/fleet/sealing.ts): the same for every controller of a fleet.
 * - With HOSTVAULT_NATS_AUTH_FILE the controller manages who nats-server lets in: enrollment and
 *   revocation rewrite that file and reload nats-server (src/fleet/fleet-authorization.ts).
 */
import type { Config } from './config.js';
import { connectFleet } from './fleet/connect.js';
import { FleetAgent, type FleetRoutes } from './fleet/fleet-agent.js';
import { fleetAuthorizationFromEnv } from './fleet/fleet-authorization.js';
import { presenceSchema, jsonOf, type Presence } from './fleet/messages.js';
import { controllerCurveKey, type ControllerSealing, type KeyPair } from './fleet/sealing.js';
import { ServerAdmin } from './fleet/server-admin.js';
import { ONLINE_WITHIN_MS, ServerRecords } from './fleet/server-records.js';
import { loadControllerFleetSettings, loadFleetSettings } from './fleet/settings.js';
import { ALL_PRESENCE, LOCAL_SERVER, serverOfSubject } from './fleet/subjects.js';
import { fleetVault } from './fleet/nats-vault.js';
import type { App } from './app.js';
import { startService, type Service } from './serve.js';

export async function startController(
  config: Config,
  opts: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<Service> {
  const env = opts.env ?? process.env;
  const log =
    opts.log ??
    ((line: string) => console.log(JSON.stringify({ time: new Date().toISOString(), msg: line })));
  const settings = loadFleetSettings(env, 'controller');
  if (!settings)
    throw new Error(
      'hostvault controller needs the fleet: set HOSTVAULT_NATS_URL (see docs/operator-guide.md)',
    );
  const controllerSettings = loadControllerFleetSettings(env);
  const nc = await connectFleet(settings, 'controller').catch((error: unknown) => {
    throw new Error(`cannot reach the fleet at ${settings.url}: ${(error as Error).message}`);
  });
  try {
    // The routes read the app's inventory and schedules; the app is made by startService and
    // told here (onApp) before anything asks the agent.
    // openApp already sweeps certificates through the agent; that call waits here until the app
    // is told.
    let told!: (composed: { app: App; records: ServerRecords }) => void;
    const composed = new Promise<{ app: App; records: ServerRecords }>(
      (resolve) => (told = resolve),
    );
    let records: ServerRecords | undefined;
    const ready = () => composed;
    const routes: FleetRoutes = {
      serverOfCustomer: async (id) => {
        const customer = await (await ready()).app.inventory.getCustomer(id);
        return customer && (customer.server ?? LOCAL_SERVER);
      },
      serverOfSchedule: async (id) => {
        const row = await (
          await ready()
        ).app.schedules
          .getRow({ role: 'admin' }, id)
          .catch(() => undefined);
        return (
          row?.server_id ??
          (row?.customer_id ? routes.serverOfCustomer(row.customer_id) : undefined)
        );
      },
      customers: async () =>
        (await (await ready()).app.inventory.listCustomers()).map((c) => ({
          id: c.id,
          server: c.server ?? LOCAL_SERVER,
        })),
      servers: async () => (await (await ready()).records.authorizedAgents()).map((a) => a.server),
    };
    let curveKey: Promise<KeyPair> | undefined;
    const sealing: ControllerSealing = {
      controllerKey: () =>
        (curveKey ??= ready().then(({ app }) => controllerCurveKey(app.masterKey))),
      agentKey: async (server) => (await ready()).records.curveKey(server),
    };
    const agent = new FleetAgent(nc, {
      routes,
      sealing,
      ...(settings.serverId ? { defaultServer: settings.serverId } : {}),
      ...(controllerSettings.adoptionWaitMs !== undefined
        ? { adoptionWaitMs: controllerSettings.adoptionWaitMs }
        : {}),
      log,
    });
    // The fleet's vault (`hostvault vault` on NATS): vault-fronted repositories' retention, prune,
    // check and deletes, as durable jobs on its own queue (a vault offline runs them on return).
    const vault = fleetVault(nc, { log });
    let presence: ReturnType<typeof nc.subscribe> | undefined;
    const service = await startService(config, {
      log,
      fleet: {
        agent,
        vault,
        store: config.databaseUrl ? { url: config.databaseUrl } : undefined,
        serverId: settings.serverId,
        onApp(made) {
          records = new ServerRecords(made.store);
          told({ app: made, records });
        },
        async servers(made) {
          const serverRecords = records ?? new ServerRecords(made.store);
          const authorization = await fleetAuthorizationFromEnv(serverRecords, env, log);
          // Every known server's queue exists before its agent connects or a job is queued; the
          // vault's too.
          await agent.ensureStreams();
          await vault.ensureStreams();
          // Rewritten at each start: who may connect is what the store says.
          await authorization?.apply();
          // The default server may have no record (configured, not enrolled): its last presence
          // is kept here for the Servers page.
          let defaultPresence: { at: number; presence: Presence } | undefined;
          presence = nc.subscribe(ALL_PRESENCE, {
            callback: (error, msg) => {
              if (error) return;
              const parsed = presenceSchema.safeParse(jsonOf(msg));
              // An agent speaks only for its own server (nats-server enforces the subject).
              if (!parsed.success || serverOfSubject(msg.subject) !== parsed.data.server) return;
              if (parsed.data.server === settings.serverId)
                defaultPresence = { at: Date.now(), presence: parsed.data };
              void serverRecords
                .recordPresence(parsed.data)
                .catch((e: unknown) => log(`presence of ${parsed.data.server}: ${String(e)}`));
            },
          });
          const defaultServer = settings.serverId;
          return new ServerAdmin({
            records: serverRecords,
            activeJobs: () => made.jobs.activeByServer(),
            ...(authorization ? { authorization } : {}),
            agentNatsUrl: controllerSettings.agentUrl ?? settings.url,
            controllerCurveKey: controllerCurveKey(made.masterKey).getPublicKey(),
            prepareServer: (server) => agent.agentFor(server).ensureStreams(),
            ...(defaultServer
              ? {
                  implicit: {
                    id: defaultServer,
                    // Configured, never enrolled: no curve key of its agent is known.
                    sealed: false,
                    facts: async () => {
                      const last = defaultPresence;
                      if (
                        !last ||
                        last.presence.state !== 'online' ||
                        Date.now() - last.at > ONLINE_WITHIN_MS
                      )
                        return null;
                      const f = last.presence.facts;
                      return {
                        ...(f
                          ? {
                              resticVersion: f.restic.version,
                              ...(f.mariadb ? { mariadbVersion: f.mariadb.version } : {}),
                              freeBytes: f.dataDirFreeBytes,
                            }
                          : {}),
                        running: last.presence.running,
                        state: 'online' as const,
                      };
                    },
                  },
                }
              : {}),
          });
        },
      },
    });
    return {
      ...service,
      async stop() {
        presence?.unsubscribe();
        await service.stop();
        await nc.drain().catch(() => undefined);
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}
