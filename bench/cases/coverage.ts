/**
 * The coverage view with 10,000 customers: the answer time of one page (state order, the admin
 * panel's default) and of the CSV export of every customer. Target: under a second. The store is
 * the service's own file store (WAL, every migration), seeded as the test seeds it
 * (test/support/coverage-seed.ts): six hand-made customers with a problem each, the rest healthy,
 * each with a schedule, a successful backup job and a verified drill.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HAND_COUNT, seedCoverage } from '../../test/support/coverage-seed.js';
import { CoverageService, coverageCsv } from '../../src/coverage/coverage-service.js';
import { openStore, type Store } from '../../src/store/index.js';
import { median, waitForQuiet, type Sample, type StandaloneCase } from '../harness.js';

const CUSTOMERS = 10_000;
const REPEATS = 5;
const TARGET = { on: 'measured', op: '<=', value: 1000 } as const;
const NOW = new Date('2026-11-28T10:00:00.000Z');

let world: Promise<Store> | undefined;

export const coverage: StandaloneCase = {
  name: 'coverage',
  standalone: true,
  async run(ctx) {
    world ??= (async () => {
      const dir = join(ctx.workDir, 'coverage');
      mkdirSync(dir, { recursive: true });
      const store = await openStore({ file: join(dir, 'store.db') });
      const started = performance.now();
      await seedCoverage(store, NOW, CUSTOMERS - 6);
      ctx.log(
        `coverage: ${CUSTOMERS} customers seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      return store;
    })();
    const store = await world;
    if (ctx.round === ctx.rounds - 1) ctx.defer(() => store.close());
    const service = new CoverageService({ store, server: 'local', now: () => NOW });
    await waitForQuiet(ctx);
    const page: number[] = [];
    const csv: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      let t = performance.now();
      const answer = await service.list({ sort: 'state', limit: 100 });
      page.push(performance.now() - t);
      if (answer.total !== CUSTOMERS || answer.counts.overdue !== HAND_COUNT.overdue.length)
        throw new Error(`coverage: wrong answer (${answer.total} customers)`);
      t = performance.now();
      const text = coverageCsv(await service.all());
      csv.push(performance.now() - t);
      if (text.split('\r\n').length !== CUSTOMERS + 2) throw new Error('coverage: CSV rows');
    }
    return [
      {
        case: `coverage view, ${CUSTOMERS} customers, one page`,
        measured: median(page),
        unit: 'ms',
        target: TARGET,
        notes: `median of ${REPEATS}, max ${Math.max(...page).toFixed(0)} ms; file store (SQLite)`,
      },
      {
        case: `coverage view, ${CUSTOMERS} customers, CSV of all`,
        measured: median(csv),
        unit: 'ms',
        target: TARGET,
        notes: `median of ${REPEATS}, max ${Math.max(...csv).toFixed(0)} ms`,
      },
    ] satisfies Sample[];
  },
};
