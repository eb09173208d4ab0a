/**
 * The cases, in the order each round runs them. The web cases form a chain (first backup →
 * re-runs → restore of the latest snapshot); cases added later that stand alone can go anywhere.
 */
import type { BenchCase } from '../harness.js';
import { firstBackup } from './first-backup.js';
import { openCost } from './open-cost.js';
import { fullRestore } from './restore.js';
import { changedRerun, unchangedRerun } from './reruns.js';

export const cases: BenchCase[] = [
  firstBackup,
  unchangedRerun,
  changedRerun,
  fullRestore,
  openCost,
];
