// The controller's side of the fleet's vault (`hostvault vault` on NATS): the vault's maintenance
// as the control plane calls it (VaultMaintainer), each call a durable `vault` job on the vault's
// own queue (`hv._vault.jobs`), its log lines passed on, its answer or failure returned.
import type { NatsConnection } from '@nats-io/transport-node';
import { NatsAgent } from './nats-agent.js';
import { VAULT_NODE, vaultSubjects } from './subjects.js';
import { vaultTaskSchema, type VaultMaintainer } from './vault-protocol.js';

export interface FleetVault extends VaultMaintainer {
  /** The vault's queue and its consumer exist (the controller makes them, the vault reads). */
  ensureStreams(): Promise<void>;
}

export function fleetVault(
  nc: NatsConnection,
  opts: { log?: (line: string) => void; ackWaitMs?: number } = {},
): FleetVault {
  const agent = new NatsAgent(nc, { serverId: VAULT_NODE, subjects: vaultSubjects(), ...opts });
  return {
    ensureStreams: () => agent.ensureStreams(),
    maintain: (repo, task, run) =>
      agent.vault(
        {
          ...(run.jobId ? { jobId: run.jobId } : {}),
          repository: repo,
          task: vaultTaskSchema.parse(task),
        },
        {
          ...(run.signal ? { signal: run.signal } : {}),
          onEvent: (event) => {
            if (event.kind === 'log') run.onLog?.(event.line);
          },
        },
      ),
  };
}
