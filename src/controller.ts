/**
 * `hostvault controller`: the service of `hostvault serve` (API, web UI, scheduler, worker) with
 * the hosting server reached over the fleet's NATS instead of in-process, and its store in
 * PostgreSQL when HOSTVAULT_DATABASE_URL is set. One controller drives the agent of one named
 * server (HOSTVAULT_SERVER_ID) for now.
 */
import type { Config } from './config.js';
import { connectFleet } from './fleet/connect.js';
import { NatsAgent } from './fleet/nats-agent.js';
import { loadFleetSettings } from './fleet/settings.js';
import { startService, type Service } from './serve.js';

export async function startController(
  config: Config,
  opts: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<Service> {
  const settings = loadFleetSettings(opts.env ?? process.env);
  if (!settings)
    throw new Error(
      'hostvault controller needs the fleet: set HOSTVAULT_NATS_URL and HOSTVAULT_SERVER_ID (see docs/operator-guide.md)',
    );
  const nc = await connectFleet(settings, 'controller').catch((error: unknown) => {
    throw new Error(`cannot reach the fleet at ${settings.url}: ${(error as Error).message}`);
  });
  try {
    const agent = new NatsAgent(nc, { serverId: settings.serverId, log: opts.log });
    // The streams exist before the first job or agent needs them.
    await agent.ensureStreams();
    const service = await startService(config, {
      log: opts.log,
      fleet: {
        agent,
        store: config.databaseUrl ? { url: config.databaseUrl } : undefined,
        serverId: settings.serverId,
      },
    });
    return {
      ...service,
      async stop() {
        await service.stop();
        await nc.drain().catch(() => undefined);
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}
