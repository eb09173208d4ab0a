/**
 * The cases, in the order each round runs them. The web cases form a chain (first backup →
 * re-runs → restore of the latest snapshot); cases added later that stand alone can go anywhere.
 */
import type { BenchCase, StandaloneCase } from '../harness.js';
import { firstBackup } from './first-backup.js';
import { openCost } from './open-cost.js';
import { fullRestore } from './restore.js';
import { changedRerun, unchangedRerun } from './reruns.js';
import { databaseBackup } from './database.js';
import { databaseStream } from './database-stream.js';
import { serviceMemory } from './memory.js';
import { api } from './api.js';
import { scheduler } from './scheduler.js';
import { schedulerFleet } from './scheduler-fleet.js';
import { browse } from './browse.js';
import { coverage } from './coverage.js';
import { drillCost } from './drill.js';
import { vaultBackup } from './vault.js';
import { idleRss } from './idle-rss.js';
import { fleet } from './fleet.js';
import { fleetAgent } from './fleet-agent.js';
import { signIn } from './sign-in.js';

export const cases: (BenchCase | StandaloneCase)[] = [
  firstBackup,
  unchangedRerun,
  changedRerun,
  fullRestore,
  openCost,
  databaseBackup,
  databaseStream,
  serviceMemory,
  api,
  scheduler,
  schedulerFleet,
  browse,
  coverage,
  drillCost,
  vaultBackup,
  idleRss,
  fleet,
  fleetAgent,
  signIn,
];
