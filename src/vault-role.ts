/**
 * `hostvault vault`: the append-only endpoint agents back up through (src/vault). It runs on a
 * trusted host (the controller's, or a storage host of its own) and serves until stopped.
 * Credentials issued or revoked meanwhile take effect at once: rclone (1.60) reads its htpasswd
 * file again when it changes (test/vault/role.int.test.ts).
 */
import type { Config } from './config.js';
import { loadVaultSettings, type VaultSettings } from './vault/settings.js';
import { startVaultServer } from './vault/vault-server.js';

export interface VaultRole {
  url: string;
  settings: VaultSettings;
  stop(): Promise<void>;
}

export async function startVault(
  config: Config,
  opts: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<VaultRole> {
  const log =
    opts.log ??
    ((line: string) => console.log(JSON.stringify({ time: new Date().toISOString(), msg: line })));
  const settings = loadVaultSettings(opts.env ?? process.env, config.dataDir);
  if (!settings)
    throw new Error(
      'hostvault vault needs its TLS certificate: set HOSTVAULT_VAULT_CERT and HOSTVAULT_VAULT_KEY (see docs/operator-guide.md)',
    );
  const server = await startVaultServer({ ...settings, log });
  log(`hostvault vault serving ${settings.target.kind} target on ${server.url} (append-only)`);
  return { url: server.url, settings, stop: () => server.stop() };
}
