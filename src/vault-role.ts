/**
 * `hostvault vault`: the append-only endpoint agents back up through (src/vault). It runs on a
 * trusted host (the controller's, or a storage host of its own), serves until stopped, and
 * restarts its rclone when the credentials file changes, as rclone reads that file only at start.
 */
import { unwatchFile, watchFile } from 'node:fs';
import type { Config } from './config.js';
import { loadVaultSettings, type VaultSettings } from './vault/settings.js';
import { startVaultServer, type VaultServer } from './vault/vault-server.js';

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
  const start = () => startVaultServer({ ...settings, log });
  let server: VaultServer = await start();
  let restarting: Promise<void> = Promise.resolve();
  const onChange = () => {
    restarting = restarting.then(async () => {
      await server.stop();
      server = await start();
      log('vault: credentials changed, rclone restarted');
    });
  };
  watchFile(settings.htpasswdFile, { interval: 1_000 }, onChange);
  log(`hostvault vault serving ${settings.target.kind} target on ${server.url} (append-only)`);
  return {
    url: server.url,
    settings,
    async stop() {
      unwatchFile(settings.htpasswdFile, onChange);
      await restarting.catch(() => undefined);
      await server.stop();
    },
  };
}
