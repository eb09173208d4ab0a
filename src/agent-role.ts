/**
 * `hostvault agent`: the hosting server's side of a fleet. It builds this server's host side (the
 * LocalAgent over restic, MariaDB and the customers' files; no store, no master key: passwords
 * come in each request), connects to the fleet's NATS with this server's own identity and serves
 * its jobs and requests (src/fleet/agent-server.ts).
 */
import type { Config } from './config.js';
import { AgentServer } from './fleet/agent-server.js';
import { connectFleet } from './fleet/connect.js';
import { agentSettingsFile, readAgentSettings } from './fleet/enroll.js';
import { loadAgentSealing } from './fleet/sealing.js';
import { loadFleetSettings } from './fleet/settings.js';
import { openHostSide } from './host-side.js';
import { collectStartupGarbageLater } from './startup-gc.js';

export interface AgentRole {
  serverId: string;
  stop(): Promise<void>;
}

export async function startAgent(
  config: Config,
  opts: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<AgentRole> {
  const log =
    opts.log ??
    ((line: string) => console.log(JSON.stringify({ time: new Date().toISOString(), msg: line })));
  // What `hostvault agent enroll` wrote, under what the environment says.
  const env = opts.env ?? process.env;
  const merged = { ...(await readAgentSettings(agentSettingsFile(config.dataDir, env))), ...env };
  const settings = loadFleetSettings(merged);
  if (!settings?.serverId)
    throw new Error(
      'hostvault agent needs the fleet: run `hostvault agent enroll`, or set HOSTVAULT_NATS_URL and HOSTVAULT_SERVER_ID (see docs/operator-guide.md)',
    );
  const sealing = await loadAgentSealing(merged);
  if (!sealing)
    log(
      'this agent has no sealing key (enrolled before requests were sealed): passwords reach it unsealed; enroll it again (hostvault agent enroll)',
    );
  const host = await openHostSide(config, { log });
  const nc = await connectFleet(settings, 'agent').catch((error: unknown) => {
    host.close();
    throw new Error(`cannot reach the fleet at ${settings.url}: ${(error as Error).message}`);
  });
  const serverId = settings.serverId;
  let server: AgentServer;
  try {
    server = await AgentServer.start({
      nc,
      serverId,
      agent: host.agent,
      dataDir: config.dataDir,
      concurrency: config.concurrency,
      ...(sealing ? { sealing } : {}),
      log,
    });
  } catch (error) {
    await nc.close();
    host.close();
    throw error;
  }
  log(
    `hostvault agent of server ${serverId} connected to ${settings.url}, data in ${config.dataDir}`,
  );
  // An agent idles most of the day: what its start left behind goes (src/startup-gc.ts).
  const cancelCollect = collectStartupGarbageLater();
  return {
    serverId,
    async stop() {
      cancelCollect();
      await server.stop();
      await nc.drain().catch(() => undefined);
      host.close();
    },
  };
}
