/**
 * The composition root: builds the services from the configuration. Everything that touches the
 * outside world (store, restic, key file) is created here and handed down.
 */
import { join } from 'node:path';
import type { Config } from './config.js';
import { Restic } from './engine/index.js';
import { Keyring, loadOrCreateMasterKey } from './repository/keyring.js';
import { RepositoryService } from './repository/repository-service.js';
import { openStore, type Store } from './store/index.js';

export interface App {
  config: Config;
  store: Store;
  restic: Restic;
  repositories: RepositoryService;
  close(): Promise<void>;
}

export async function openApp(config: Config): Promise<App> {
  const restic = await Restic.detect({
    binary: config.resticBinary,
    cacheDir: join(config.dataDir, 'cache'),
  });
  const keyring = new Keyring(await loadOrCreateMasterKey(config.keyFile));
  const store = await openStore({ file: join(config.dataDir, 'store.db') });
  const repositories = new RepositoryService({
    store,
    keyring,
    restic,
    certDir: join(config.dataDir, 'certs'),
  });
  return { config, store, restic, repositories, close: () => store.close() };
}
