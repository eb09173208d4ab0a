/**
 * What the service gives the database module: how to reach MariaDB (root over the local
 * socket), its instance id, and the root-only places under its data directory where option
 * files, restore journals and kept undo dumps live, so that the start after a crash finds them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInstanceId } from './instance.js';
import type { DatabaseRestoreStep } from './swap.js';
import type { MariaDbConnection } from './types.js';

export interface DatabaseSettings {
  connection: MariaDbConnection;
  journalDir: string;
  undoDir: string;
}

export async function databaseSettings(
  dataDir: string,
  instanceId?: string,
): Promise<DatabaseSettings> {
  return {
    connection: {
      instance: await loadInstanceId(dataDir, instanceId),
      sessionDir: join(dataDir, 'database-sessions'),
    },
    journalDir: join(dataDir, 'database-restore-journal'),
    undoDir: join(dataDir, 'database-undo'),
  };
}

/**
 * For the kill drills only: with `HOSTVAULT_TEST_PAUSE_DB_RESTORE=<step>` and
 * `HOSTVAULT_TEST_PAUSE_FILE=<file>`, a database restore that reaches the step writes the step's
 * name into the file and waits there for ever (until the drill kills the service).
 */
export function drillPause(
  env: NodeJS.ProcessEnv,
): ((step: DatabaseRestoreStep) => Promise<void>) | undefined {
  const at = env.HOSTVAULT_TEST_PAUSE_DB_RESTORE;
  const file = env.HOSTVAULT_TEST_PAUSE_FILE;
  if (!at || !file) return undefined;
  return async (step) => {
    if (step !== at) return;
    writeFileSync(file, `${step}\n`);
    await new Promise<never>(() => undefined);
  };
}
