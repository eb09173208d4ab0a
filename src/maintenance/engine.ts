import type { Restic } from '../engine/index.js';

/** The part of the engine maintenance uses. */
export type Engine = Pick<Restic, 'prune' | 'check' | 'snapshots' | 'forgetIds'>;
