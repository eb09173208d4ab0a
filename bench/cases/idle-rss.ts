/**
 * Idle resident memory of `hostvault serve` (issue 15): built JavaScript (`npm run build`,
 * `node dist/cli.js`, as the .deb and scripts/start.sh run it) against tsx from the sources, each
 * on a fresh data directory, RSS read 30 s after it listened (bench/idle-rss.sh). Twice: with an
 * empty store (the service's floor) and with `--demo` (three customers, their files, databases
 * and mail). Target: the built service ≤ 100 MB idle. Builds dist/ first when it is missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Sample, StandaloneCase } from '../harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IDLE_SECONDS = 30;

export const idleRss: StandaloneCase = {
  name: 'idle-rss',
  standalone: true,
  run(ctx) {
    if (!existsSync(`${ROOT}dist/cli.js`)) {
      ctx.log('idle-rss: building dist/ (npm run build)');
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    const samples: Sample[] = [];
    for (const demo of [false, true]) {
      const out = execFileSync(
        'bash',
        ['bench/idle-rss.sh', String(IDLE_SECONDS), ...(demo ? [] : ['--no-demo'])],
        { cwd: ROOT, encoding: 'utf8' },
      );
      const rss = (label: string): number => {
        const line = out.split('\n').find((l) => l.startsWith(label));
        const mb = Number(/RSS (\d+) MB/.exec(line ?? '')?.[1]);
        if (!Number.isFinite(mb)) throw new Error(`idle-rss.sh printed no ${label} line:\n${out}`);
        ctx.log(`idle-rss: ${line}`);
        return mb;
      };
      const tsx = rss('tsx');
      const built = rss('built');
      samples.push({
        case: `idle RSS, built vs tsx${demo ? ', --demo' : ', empty store'}`,
        measured: built,
        baseline: tsx,
        unit: 'MB',
        target: { on: 'measured', op: '<=', value: 100 },
        notes: `${IDLE_SECONDS} s after it listened, fresh data directory each`,
      });
    }
    return Promise.resolve(samples);
  },
};
