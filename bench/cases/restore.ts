/**
 * Case 4: full restore of the latest snapshot into an empty directory, engine against raw
 * `restic restore`. The service will stage and swap; until then this measures the engine call.
 * Both restored trees are checked against the source after the clock stops.
 */
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data.js';
import {
  MB,
  cpuSample,
  measurePair,
  raw,
  watchMemory,
  type BenchCase,
  type Sample,
} from '../harness.js';

export const fullRestore: BenchCase = {
  name: 'restore',
  async run(ctx) {
    const { dataset, restic, repos, web } = ctx;
    const ids = web.snapshot;
    if (!ids.engine || !ids.raw) throw new Error('the restore case needs a backup case before it');
    const target = (side: string): string => join(ctx.workDir, `restore-${side}-${ctx.round}`);
    for (const side of ['engine', 'raw']) {
      rmSync(target(side), { recursive: true, force: true });
      mkdirSync(target(side), { recursive: true });
      ctx.defer(() => rmSync(target(side), { recursive: true, force: true }));
    }
    const pair = await measurePair(ctx, 1, {
      engine: async () => {
        const memory = watchMemory();
        try {
          const result = await restic.restore(repos.engine, ids.engine!, {
            target: target('engine'),
          });
          if (result.errors.length) throw new Error(`engine restore: ${result.errors[0]}`);
          return memory();
        } catch (error) {
          memory();
          throw error;
        }
      },
      raw: () => raw(ctx, repos.raw, ['restore', ids.raw!, '--target', target('raw')]),
    });
    const { engine, raw: baseline } = pair;
    verify(dataset, join(target('engine'), dataset.root));
    verify(dataset, join(target('raw'), dataset.root));
    ctx.log(
      `full restore: engine ${engine.seconds.toFixed(2)} s, raw ${baseline.seconds.toFixed(2)} s`,
    );
    const samples: Sample[] = [
      {
        case: 'full restore (direct, no staging yet)',
        measured: engine.seconds,
        baseline: baseline.seconds,
        unit: 's',
        target: { on: 'ratio', op: '<=', value: 1.2 },
        notes: 'engine restore into an empty directory; staged restore + swap comes later',
      },
      cpuSample('full restore', pair),
    ];
    if (engine.value.childPeak !== undefined && baseline.value.peakRss !== undefined)
      samples.push({
        case: 'restic peak RSS, restore',
        measured: engine.value.childPeak / MB,
        baseline: baseline.value.peakRss / MB,
        unit: 'MB',
        notes: 'informational',
      });
    return samples;
  },
};

/** Every file present with its size; a spread sample of files equal byte for byte. */
function verify(dataset: Dataset, restored: string): void {
  const step = Math.max(1, Math.floor(dataset.plan.length / 40));
  dataset.plan.forEach((e, i) => {
    const copy = join(restored, e.path);
    const source = join(dataset.root, e.path);
    const size = statSync(copy).size;
    if (size !== statSync(source).size) throw new Error(`restored ${copy} has the wrong size`);
    if (i % step === 0 && !readFileSync(copy).equals(readFileSync(source)))
      throw new Error(`restored ${copy} differs from the source`);
  });
}
