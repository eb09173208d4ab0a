/** What every operator command gets: the configuration, where to print, and the services. */
import { join } from 'node:path';
import { openApp, type App } from '../app.js';
import type { Config } from '../config.js';
import { openStore, type Store } from '../store/index.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** The whole service (restic, master key, store), closed when `fn` is done. */
export async function withApp<T>(config: Config, fn: (app: App) => Promise<T>): Promise<T> {
  const app = await openApp(config, {
    log: (line) => process.stderr.write(`hostvault: ${line}\n`),
  });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** Only the store: commands that read history need neither restic nor the master key. */
export async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ file: join(config.dataDir, 'store.db') });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
