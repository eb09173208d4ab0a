import type { Migration } from 'kysely';
import * as m0001 from './0001-repositories.js';

/**
 * Every migration, listed by hand rather than found by scanning the folder, so that a bundled
 * build carries them. Names sort in the order they run; never rename or edit one that shipped.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-repositories': m0001,
};
