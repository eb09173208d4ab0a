/**
 * The fleet's vault on NATS (`hostvault vault` with HOSTVAULT_NATS_URL): it takes the `vault`
 * jobs the controllers queue on its own subjects (retention, prune with the safety snapshots'
 * retention, check, a deleted schedule's forget) and runs them here, with full rights on the
 * backing target, one at a time per repository. The transport is a hosting server's
 * (src/fleet/agent-server.ts: durable queue, run at most once, outcome kept and sent again), and
 * its identity's permissions are an agent's over `hv._vault.…` alone (src/fleet/nats-config.ts):
 * no hosting server's identity may queue it work.
 *
 * It is no hosting server: every request of a hosting server's agent is refused.
 */
import type { HostAgent, RunContext } from '../agent/agent.js';
import { AgentError } from '../agent/errors.js';
import type { Restic } from '../engine/index.js';
import type { VaultAnswer, VaultRequest } from '../fleet/vault-protocol.js';
import { freeSpace } from '../host/preflight.js';
import { KeyedMutex } from '../host/mutex.js';
import type { BackingTarget } from './backing.js';
import { maintainOnVault } from './maintenance.js';

export interface VaultWork {
  restic: Restic;
  target: BackingTarget;
  certDir: string;
  /** Where the vault keeps its own files (free space is reported from here). */
  workDir: string;
  log?: (line: string) => void;
}

/** Runs one `vault` job: on the backing target, under that repository's mutex. */
export function vaultExecutor(
  work: VaultWork,
): (request: VaultRequest, ctx: RunContext) => Promise<VaultAnswer> {
  const mutex = new KeyedMutex();
  return (request, ctx) =>
    mutex.run(request.repository.url, async () => {
      work.log?.(
        `vault ${request.task.task} of ${request.repository.agent}/${request.repository.owner}` +
          (request.jobId ? ` (job ${request.jobId})` : ''),
      );
      return maintainOnVault(
        { restic: work.restic, target: work.target, certDir: work.certDir },
        request.repository,
        request.task,
        {
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          onLog: (line) => ctx.onEvent?.({ kind: 'log', line }),
        },
      );
    });
}

const refuse = (): never => {
  throw new AgentError({
    code: 'failed',
    message: 'This is the vault: it runs maintenance only, no hosting server’s work.',
  });
};

/** What the transport asks of every agent (its recovery notes, its facts); the rest refused. */
export function vaultHostAgent(work: VaultWork): HostAgent {
  return {
    backup: async () => refuse(),
    maintain: async () => refuse(),
    forget: async () => refuse(),
    restore: async () => refuse(),
    drill: async () => refuse(),
    restorePreview: async () => refuse(),
    testConnection: async () => refuse(),
    browse: {
      open: async () => refuse(),
      list: async () => refuse(),
      stat: async () => refuse(),
      search: async () => refuse(),
    },
    download: async () => refuse(),
    sweepCertificates: async () => refuse(),
    recover: async () => ({ notes: [], log: [] }),
    facts: async () => ({
      restic: { version: work.restic.version.text, binary: 'restic' },
      mariadb: null,
      dataDirFreeBytes: await freeSpace(work.workDir),
    }),
  };
}
