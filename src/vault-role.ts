/**
 * `hostvault vault`: the append-only endpoint agents back up through (src/vault). It runs on a
 * trusted host (the controller's, or a storage host of its own) and serves until stopped.
 * Credentials issued or revoked meanwhile take effect at once: rclone (1.60) reads its htpasswd
 * file again when it changes (test/vault/role.int.test.ts).
 *
 * In a fleet (HOSTVAULT_NATS_URL set) it also takes the controllers' maintenance of the
 * repositories it fronts (retention, prune, check, a deleted schedule's forget) from its own
 * queue on the fleet's NATS, with its own identity (src/vault/vault-agent.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';
import { Restic } from './engine/index.js';
import { AgentServer } from './fleet/agent-server.js';
import { connectFleet } from './fleet/connect.js';
import { loadFleetSettings } from './fleet/settings.js';
import { VAULT_NODE, vaultSubjects } from './fleet/subjects.js';
import { vaultExecutor, vaultHostAgent, type VaultWork } from './vault/vault-agent.js';
import { loadVaultSettings, type VaultSettings } from './vault/settings.js';
import { startVaultServer } from './vault/vault-server.js';

export interface VaultRole {
  url: string;
  settings: VaultSettings;
  stop(): Promise<void>;
}

/**
 * The vault's NATS seed when HOSTVAULT_NATS_SEED_FILE names none (`hostvault fleet nkey` makes
 * one).
 */
export const vaultSeedFile = (dataDir: string) => join(dataDir, 'vault.nkey');

export async function startVault(
  config: Config,
  opts: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<VaultRole> {
  const log =
    opts.log ??
    ((line: string) => console.log(JSON.stringify({ time: new Date().toISOString(), msg: line })));
  const env = opts.env ?? process.env;
  const settings = loadVaultSettings(env, config.dataDir);
  if (!settings)
    throw new Error(
      'hostvault vault needs its TLS certificate: set HOSTVAULT_VAULT_CERT and HOSTVAULT_VAULT_KEY (see docs/operator-guide.md)',
    );
  const server = await startVaultServer({ ...settings, log });
  log(`hostvault vault serving ${settings.target.kind} target on ${server.url} (append-only)`);
  let fleet: { stop(): Promise<void> } | undefined;
  try {
    fleet = await joinFleet(config, settings, env, log);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    url: server.url,
    settings,
    stop: async () => {
      await fleet?.stop();
      await server.stop();
    },
  };
}

async function joinFleet(
  config: Config,
  settings: VaultSettings,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<{ stop(): Promise<void> } | undefined> {
  // The vault is no hosting server: it needs no HOSTVAULT_SERVER_ID.
  const fleet = loadFleetSettings(env, 'controller');
  if (!fleet) return undefined;
  const seedFile =
    fleet.seedFile ??
    (existsSync(vaultSeedFile(config.dataDir)) ? vaultSeedFile(config.dataDir) : undefined);
  const work: VaultWork = {
    restic: await Restic.detect({
      binary: config.resticBinary,
      cacheDir: join(config.dataDir, 'vault-cache'),
    }),
    target: settings.target,
    certDir: join(settings.workDir, 'maintenance-certs'),
    workDir: settings.workDir,
    log,
  };
  const nc = await connectFleet({ ...fleet, ...(seedFile ? { seedFile } : {}) }, 'vault').catch(
    (error: unknown) => {
      throw new Error(`cannot reach the fleet at ${fleet.url}: ${(error as Error).message}`);
    },
  );
  let agentServer: AgentServer;
  try {
    agentServer = await AgentServer.start({
      nc,
      serverId: VAULT_NODE,
      subjects: vaultSubjects(),
      agent: vaultHostAgent(work),
      vault: vaultExecutor(work),
      dataDir: settings.workDir,
      concurrency: config.concurrency,
      log,
    });
  } catch (error) {
    await nc.close();
    throw error;
  }
  log(`hostvault vault takes its maintenance from the fleet at ${fleet.url}`);
  return {
    async stop() {
      await agentServer.stop();
      await nc.drain().catch(() => undefined);
    },
  };
}
