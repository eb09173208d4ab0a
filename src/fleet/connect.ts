// One connection to the fleet's NATS, for a controller or an agent: TLS with the fleet CA, the
// client's nkey (its seed read from a file, never from argv or the environment), and for an agent
// its own inbox prefix, the only inbox its permissions let it read (nats-config.ts).
import { readFile } from 'node:fs/promises';
import {
  connect,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from '@nats-io/transport-node';
import type { FleetSettings } from './settings.js';
import { serverSubjects, vaultSubjects } from './subjects.js';

export async function connectFleet(
  settings: FleetSettings,
  role: 'controller' | 'agent' | 'vault',
  extra: Partial<ConnectionOptions> = {},
): Promise<NatsConnection> {
  let authenticator: ConnectionOptions['authenticator'];
  if (settings.seedFile) {
    const seed = (await readFile(settings.seedFile, 'utf8')).trim();
    if (!seed.startsWith('SU'))
      throw new Error(`${settings.seedFile} does not hold a NATS user seed (it starts with "SU").`);
    authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  return connect({
    servers: settings.url,
    name:
      role === 'vault' ? 'hostvault-vault' : `hostvault-${role}-${settings.serverId ?? 'fleet'}`,
    ...(settings.tls ? { tls: { ...settings.tls } } : {}),
    ...(authenticator ? { authenticator } : {}),
    ...(role === 'agent' && settings.serverId
      ? { inboxPrefix: serverSubjects(settings.serverId).inboxPrefix }
      : {}),
    // The vault's replies arrive under its own prefix too, the only inbox it may read.
    ...(role === 'vault' ? { inboxPrefix: vaultSubjects().inboxPrefix } : {}),
    // A fleet outlives restarts of nats-server: keep trying, never give up on the connection.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    ...extra,
  });
}
