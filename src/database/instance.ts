/**
 * The service's instance id: a short name that is part of every MariaDB account the service
 * creates (`hv_<instance>_<customer>`), so two services on one MariaDB server (servers of a fleet
 * sharing a database server, two test runs) never use, or grant, each other's accounts.
 *
 * It is made once, at random, and kept in `<dataDir>/instance-id`, so it survives restarts and
 * upgrades; `HOSTVAULT_INSTANCE_ID` sets it instead (e.g. to keep it when the data directory is
 * rebuilt). Changing it later makes the service create new accounts; the old ones stay (see
 * README: objects name their DEFINER).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseError, INSTANCE_ID } from './types.js';

export const INSTANCE_FILE = 'instance-id';

export async function loadInstanceId(dataDir: string, configured?: string): Promise<string> {
  if (configured !== undefined && configured !== '') {
    if (!INSTANCE_ID.test(configured)) {
      throw new DatabaseError(
        'invalid',
        `The instance id "${configured.slice(0, 40)}" must be 1 to 16 lower-case letters or digits.`,
      );
    }
    return configured;
  }
  const file = join(dataDir, INSTANCE_FILE);
  try {
    return checked(await readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const id = randomBytes(4).toString('hex');
  try {
    const handle = await open(
      file,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      await handle.writeFile(`${id}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return id;
  } catch (error) {
    // Another process of this service made it first: take that one.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return checked(await readFile(file, 'utf8'), file);
    throw error;
  }
}

function checked(text: string, file: string): string {
  const id = text.trim();
  if (!INSTANCE_ID.test(id)) {
    throw new DatabaseError('invalid', `${file} does not hold a valid instance id.`);
  }
  return id;
}
