import type { Migration } from 'kysely';
import * as m0001 from './0001-repositories.js';
import * as m0002 from './0002-inventory.js';
import * as m0003 from './0003-control-plane.js';
import * as m0004 from './0004-auth.js';
import * as m0005 from './0005-notify.js';
import * as m0006 from './0006-maintenance.js';
import * as m0007 from './0007-target-origin.js';
import * as m0008 from './0008-fleet-store.js';
import * as m0009 from './0009-safety-snapshots.js';
import * as m0010 from './0010-targets.js';
import * as m0011 from './0011-planner.js';
import * as m0012 from './0012-token-scope.js';
import * as m0013 from './0013-holds.js';
import * as m0014 from './0014-drills.js';
import * as m0015 from './0015-servers.js';
import * as m0016 from './0016-job-owners.js';
import * as m0017 from './0017-vault-targets.js';
import * as m0018 from './0018-copies-lifecycle.js';
import * as m0019 from './0019-server-curve-keys.js';

/**
 * Every migration, listed by hand rather than found by scanning the folder, so that a bundled
 * build carries them. Names sort in the order they run; never rename or edit one that shipped.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-repositories': m0001,
  '0002-inventory': m0002,
  '0003-control-plane': m0003,
  '0004-auth': m0004,
  '0005-notify': m0005,
  '0006-maintenance': m0006,
  '0007-target-origin': m0007,
  '0008-fleet-store': m0008,
  '0009-safety-snapshots': m0009,
  '0010-targets': m0010,
  '0011-planner': m0011,
  '0012-token-scope': m0012,
  '0013-holds': m0013,
  '0014-drills': m0014,
  '0015-servers': m0015,
  '0016-job-owners': m0016,
  '0017-vault-targets': m0017,
  '0018-copies-lifecycle': m0018,
  '0019-server-curve-keys': m0019,
};
