// How a controller or an agent reaches the fleet's NATS: read from the environment (config.ts
// gathers it). Unset HOSTVAULT_NATS_URL: no fleet (`hostvault serve` and the tools).
import { validateServerId } from './subjects.js';

export interface FleetSettings {
  /** HOSTVAULT_NATS_URL, e.g. `tls://nats.example.net:4222`. */
  url: string;
  /**
   * HOSTVAULT_SERVER_ID: for an agent its own hosting server (required); for a controller its
   * default server (optional): where customers of the implicit server `local` go.
   */
  serverId?: string;
  /**
   * HOSTVAULT_NATS_CA (the fleet CA that signed nats-server's certificate), HOSTVAULT_NATS_CERT
   * and HOSTVAULT_NATS_KEY (this client's certificate from that CA): PEM files.
   */
  tls?: { caFile: string; certFile?: string; keyFile?: string };
  /** HOSTVAULT_NATS_SEED_FILE: this client's nkey seed (`SU…`), in a file only root reads. */
  seedFile?: string;
}

export function loadFleetSettings(
  env: NodeJS.ProcessEnv,
  role: 'controller' | 'agent' = 'agent',
): FleetSettings | undefined {
  const url = env.HOSTVAULT_NATS_URL?.trim();
  if (!url) return undefined;
  const serverId = env.HOSTVAULT_SERVER_ID?.trim() || undefined;
  if (!serverId && role === 'agent')
    throw new Error(
      'HOSTVAULT_SERVER_ID must name the hosting server when HOSTVAULT_NATS_URL is set',
    );
  if (serverId) validateServerId(serverId);
  const ca = env.HOSTVAULT_NATS_CA?.trim();
  const cert = env.HOSTVAULT_NATS_CERT?.trim();
  const key = env.HOSTVAULT_NATS_KEY?.trim();
  if (!!cert !== !!key)
    throw new Error('HOSTVAULT_NATS_CERT and HOSTVAULT_NATS_KEY must be set together');
  if ((cert || key) && !ca)
    throw new Error('HOSTVAULT_NATS_CA must name the fleet CA when a client certificate is set');
  return {
    url,
    ...(serverId ? { serverId } : {}),
    ...(ca
      ? { tls: { caFile: ca, ...(cert && key ? { certFile: cert, keyFile: key } : {}) } }
      : {}),
    ...(env.HOSTVAULT_NATS_SEED_FILE?.trim()
      ? { seedFile: env.HOSTVAULT_NATS_SEED_FILE.trim() }
      : {}),
  };
}

/** What a controller needs besides its connection to manage the fleet's servers. */
export interface ControllerFleetSettings {
  /** HOSTVAULT_NATS_AUTH_FILE: the authorization file nats-server's configuration includes. */
  authFile?: string;
  /** HOSTVAULT_NATS_PID_FILE: nats-server's pid file, to signal a reload. */
  pidFile?: string;
  /** HOSTVAULT_NATS_RELOAD_COMMAND: run by /bin/sh to reload nats-server instead. */
  reloadCommand?: string;
  /** HOSTVAULT_NATS_CONTROLLER_KEYS: the other controllers' public nkeys, comma-separated. */
  otherControllerKeys: string[];
  /** HOSTVAULT_NATS_AGENT_URL: the NATS address agents are told at enrollment (default: ours). */
  agentUrl?: string;
  /**
   * HOSTVAULT_NATS_VAULT_KEY: the public nkey of the fleet's vault (`hostvault fleet nkey`
   * prints it), let in with its own subjects only.
   */
  vaultKey?: string;
  /**
   * HOSTVAULT_ADOPTION_WAIT_MS: how long a job adopted from a controller that died waits for its
   * agent to come back online (src/fleet/nats-agent.ts); 1 hour when unset.
   */
  adoptionWaitMs?: number;
}

export function loadControllerFleetSettings(env: NodeJS.ProcessEnv): ControllerFleetSettings {
  const get = (name: string) => env[name]?.trim() || undefined;
  const pidFile = get('HOSTVAULT_NATS_PID_FILE');
  const reloadCommand = get('HOSTVAULT_NATS_RELOAD_COMMAND');
  if (pidFile && reloadCommand)
    throw new Error('Set HOSTVAULT_NATS_PID_FILE or HOSTVAULT_NATS_RELOAD_COMMAND, not both');
  const authFile = get('HOSTVAULT_NATS_AUTH_FILE');
  const agentUrl = get('HOSTVAULT_NATS_AGENT_URL');
  const vaultKey = get('HOSTVAULT_NATS_VAULT_KEY');
  const adoptionWait = get('HOSTVAULT_ADOPTION_WAIT_MS');
  const adoptionWaitMs = adoptionWait === undefined ? undefined : Number(adoptionWait);
  if (adoptionWaitMs !== undefined && !(Number.isInteger(adoptionWaitMs) && adoptionWaitMs > 0))
    throw new Error('HOSTVAULT_ADOPTION_WAIT_MS must be a whole number of milliseconds above 0');
  return {
    ...(authFile ? { authFile } : {}),
    ...(pidFile ? { pidFile } : {}),
    ...(reloadCommand ? { reloadCommand } : {}),
    otherControllerKeys: (get('HOSTVAULT_NATS_CONTROLLER_KEYS') ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
    ...(agentUrl ? { agentUrl } : {}),
    ...(vaultKey ? { vaultKey } : {}),
    ...(adoptionWaitMs !== undefined ? { adoptionWaitMs } : {}),
  };
}
