/**
 * Cases 2 and 3: the scheduled re-run as the service does it (backup with an explicit parent,
 * then retention over the schedule's tag), against raw restic's backup (parent found by host and
 * paths) followed by the same `forget`. First on the unchanged tree, then with ~1% of the files
 * edited.
 */
import type { BackupResult } from '../../src/engine/index.js';
import { mutate, revert } from '../data.js';
import {
  cpuSample,
  measurePair,
  raw,
  savedSnapshot,
  type RoundContext,
  type Sample,
} from '../harness.js';
import type { BenchCase } from '../harness.js';

async function rerun(ctx: RoundContext, salt: number) {
  const { dataset, restic, repos, web } = ctx;
  const parent = web.snapshot.engine;
  if (!parent || !web.snapshot.raw) throw new Error('re-run cases need the first-backup case');
  const pair = await measurePair(ctx, salt, {
    engine: async () => {
      const result = await restic.backup(repos.engine, {
        paths: [dataset.root],
        tags: web.tags,
        parent,
        onProgress: () => undefined,
      });
      const forgetStart = performance.now();
      await restic.forget(repos.engine, { tags: web.tags, keepLast: web.keepLast });
      return { result, forgetSeconds: (performance.now() - forgetStart) / 1000 };
    },
    raw: async () => {
      const out = await raw(ctx, repos.raw, [
        'backup',
        '--host',
        ctx.host,
        ...web.tags.flatMap((t) => ['--tag', t]),
        '--',
        dataset.root,
      ]);
      const forgetStart = performance.now();
      await raw(ctx, repos.raw, [
        'forget',
        '--tag',
        web.tags.join(','),
        '--group-by',
        '',
        '--keep-last',
        String(web.keepLast),
      ]);
      return { out, forgetSeconds: (performance.now() - forgetStart) / 1000 };
    },
  });
  web.snapshot = {
    engine: pair.engine.value.result.summary.snapshotId,
    raw: savedSnapshot(pair.raw.value.out.stdout),
  };
  // Retention must have done the same on both sides, or the pair measured different work.
  for (const side of ['engine', 'raw'] as const) {
    const left = await restic.snapshots(repos[side], { tags: web.tags });
    if (left.length !== web.keepLast || left[0]?.id.slice(0, 8) !== web.snapshot[side]!.slice(0, 8))
      throw new Error(`${side}: retention left ${left.length} snapshots, expected ${web.keepLast}`);
  }
  return pair;
}

/** Where the time of a re-run goes: restic's own backup duration and the separate forget. */
function split(pair: Awaited<ReturnType<typeof rerun>>): string {
  const e = pair.engine.value;
  return (
    `engine backup ${(pair.engine.seconds - e.forgetSeconds).toFixed(2)} s ` +
    `(restic total_duration ${e.result.summary.totalDuration.toFixed(2)} s) + forget ` +
    `${e.forgetSeconds.toFixed(2)} s; raw forget ${pair.raw.value.forgetSeconds.toFixed(2)} s`
  );
}

function describe(result: BackupResult): string {
  const s = result.summary;
  return (
    `engine: ${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnmodified} unmodified, ` +
    `${(s.dataAdded / 1e6).toFixed(1)} MB added`
  );
}

export const unchangedRerun: BenchCase = {
  name: 'unchanged-rerun',
  async run(ctx) {
    const pair = await rerun(ctx, 1);
    const { engine, raw: baseline } = pair;
    const s = engine.value.result.summary;
    if (s.filesNew + s.filesChanged > 0)
      throw new Error(`unchanged re-run saw changes: ${describe(engine.value.result)}`);
    ctx.log(
      `unchanged re-run: engine ${engine.seconds.toFixed(2)} s, raw ${baseline.seconds.toFixed(2)} s`,
    );
    const first = ctx.web.firstBackupSeconds.engine;
    const samples: Sample[] = [
      {
        case: 'unchanged re-run + forget',
        measured: engine.seconds,
        baseline: baseline.seconds,
        unit: 's',
        target: { on: 'ratio', op: '<=', value: 1.1 },
        notes: `${describe(engine.value.result)}; ${split(pair)}`,
      },
      cpuSample('unchanged re-run + forget', pair),
    ];
    if (first)
      samples.push({
        case: 'unchanged re-run / first backup',
        measured: engine.seconds,
        baseline: first,
        unit: 's',
        target: { on: 'ratio', op: '<=', value: 0.1 },
        // Two restic processes (backup, forget) each derive the key first: about 1 s that does
        // not shrink with the tree, so small sizes cannot meet this; the target means full size.
        notes: 'both engine; ~1 s of it is two key derivations, fixed whatever the tree size',
      });
    return samples;
  },
};

/** The same edits in every round, so rounds repeat the same work. */
const MUTATION_SEED = 1;

export const changedRerun: BenchCase = {
  name: 'changed-rerun',
  async run(ctx) {
    const changed = mutate(ctx.dataset.dir, 0.01, MUTATION_SEED);
    ctx.defer(() => void revert(ctx.dataset));
    const pair = await rerun(ctx, 0);
    const { engine, raw: baseline } = pair;
    const s = engine.value.result.summary;
    if (s.filesChanged === 0) throw new Error('changed re-run saw no changed files');
    ctx.log(
      `1% changed re-run (${changed.length} files): engine ${engine.seconds.toFixed(2)} s, ` +
        `raw ${baseline.seconds.toFixed(2)} s`,
    );
    return [
      {
        case: '1% changed re-run + forget',
        measured: engine.seconds,
        baseline: baseline.seconds,
        unit: 's',
        target: { on: 'ratio', op: '<=', value: 1.1 },
        notes: `${changed.length} files edited; ${describe(engine.value.result)}; ${split(pair)}`,
      },
      cpuSample('1% changed re-run + forget', pair),
    ];
  },
};
