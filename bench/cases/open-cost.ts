/**
 * What every restic command pays before doing any work: start the process and open the
 * repository, which derives the key with scrypt (parameters calibrated at `init` to about half a
 * second on the machine that made the repository). The ratio isolates the engine's own
 * per-command overhead (node spawn, setpriv, password pipe); the absolute figure explains why a
 * re-run of a small tree cannot reach a tenth of its first backup.
 */
import { measurePair, raw, type BenchCase } from '../harness.js';

export const openCost: BenchCase = {
  name: 'open-cost',
  async run(ctx) {
    const { engine, raw: baseline } = await measurePair(ctx, 0, {
      engine: () => ctx.restic.catConfig(ctx.repos.engine),
      raw: () => raw(ctx, ctx.repos.raw, ['cat', 'config', '--no-lock']),
    });
    return [
      {
        case: 'restic start + open repository',
        measured: engine.seconds,
        baseline: baseline.seconds,
        unit: 's',
        notes: `informational; \`cat config\`, mostly scrypt key derivation (${ctx.kdf}), paid by every command`,
      },
    ];
  },
};
