// How a controller or an agent reaches the fleet's NATS: read from the environment (config.ts
// gathers it). Unset HOSTVAULT_NATS_URL: no fleet (`hostvault serve` and the tools).
import { validateServerId } from './subjects.js';

export interface FleetSettings {
  /** HOSTVAULT_NATS_URL, e.g. `tls://nats.example.net:4222`. */
  url: string;
  /**
   * HOSTVAULT_SERVER_ID: for an agent its own hosting server, for a controller the server whose
   * agent it drives.
   */
  serverId: string;
  /**
   * HOSTVAULT_NATS_CA (the fleet CA that signed nats-server's certificate), HOSTVAULT_NATS_CERT
   * and HOSTVAULT_NATS_KEY (this client's certificate from that CA): PEM files.
   */
  tls?: { caFile: string; certFile?: string; keyFile?: string };
  /** HOSTVAULT_NATS_SEED_FILE: this client's nkey seed (`SU…`), in a file only root reads. */
  seedFile?: string;
}

export function loadFleetSettings(env: NodeJS.ProcessEnv): FleetSettings | undefined {
  const url = env.HOSTVAULT_NATS_URL?.trim();
  if (!url) return undefined;
  const serverId = env.HOSTVAULT_SERVER_ID?.trim();
  if (!serverId)
    throw new Error(
      'HOSTVAULT_SERVER_ID must name the hosting server when HOSTVAULT_NATS_URL is set',
    );
  validateServerId(serverId);
  const ca = env.HOSTVAULT_NATS_CA?.trim();
  const cert = env.HOSTVAULT_NATS_CERT?.trim();
  const key = env.HOSTVAULT_NATS_KEY?.trim();
  if (!!cert !== !!key)
    throw new Error('HOSTVAULT_NATS_CERT and HOSTVAULT_NATS_KEY must be set together');
  if ((cert || key) && !ca)
    throw new Error('HOSTVAULT_NATS_CA must name the fleet CA when a client certificate is set');
  return {
    url,
    serverId,
    ...(ca
      ? { tls: { caFile: ca, ...(cert && key ? { certFile: cert, keyFile: key } : {}) } }
      : {}),
    ...(env.HOSTVAULT_NATS_SEED_FILE?.trim()
      ? { seedFile: env.HOSTVAULT_NATS_SEED_FILE.trim() }
      : {}),
  };
}
