/**
 * The sign-in page on a slow phone line (issue 16, point 9): Debian's Chromium loads the page of
 * a real `hostvault serve` five times, each in a fresh context (empty cache, no cookie), with
 * DevTools' "Fast 3G" (562.5 ms latency, 180,000 B/s down, 84,375 B/s up) and the CPU slowed 4×,
 * both through the DevTools protocol. Measured from the start of the navigation to the page's
 * `sign-in-form` mark (the form is there and takes input: web/sign-in-html.ts, or the app's form
 * where the page has no plain one); the row is the median of the five. Beside it, informational:
 * the first contentful paint, the moment the app took the form over (`sign-in-app`) and the
 * bytes that came over the line until the form was usable.
 *
 * HOSTVAULT_BENCH_WEB_ROOT serves another build (e.g. the main branch's dist/web) for a
 * before/after comparison; the default is this checkout's dist/web, built when missing.
 * Target: ≤ 2,500 ms.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { loadConfig } from '../../src/config.js';
import { startService } from '../../src/serve.js';
import { DEFAULT_WEB_ROOT } from '../../src/api/web.js';
import { waitForQuiet, type Sample, type StandaloneCase } from '../harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOADS = 5;
const TARGET_MS = 2500;
/** Chrome DevTools' "Fast 3G" preset. */
const FAST_3G = {
  offline: false,
  latency: 562.5,
  downloadThroughput: 180_000,
  uploadThroughput: 84_375,
  connectionType: 'cellular3g',
} as const;
const CPU_SLOWDOWN = 4;
/** The e2e tests' flags (DESIGN.md): headless Debian Chromium, nothing in the background. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface Load {
  formMs: number;
  paintMs: number | null;
  appMs: number | null;
  bytes: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

export const signIn: StandaloneCase = {
  name: 'sign-in',
  standalone: true,
  async run(ctx) {
    const webRoot = process.env.HOSTVAULT_BENCH_WEB_ROOT ?? DEFAULT_WEB_ROOT;
    if (!existsSync(join(webRoot, 'index.html'))) {
      ctx.log('sign-in: building the web UI (npm run build:web)');
      execFileSync('npm', ['run', '--silent', 'build:web'], { cwd: ROOT, stdio: 'inherit' });
    }
    const dir = await mkdtemp(join(tmpdir(), 'hv-bench-sign-in-'));
    process.env.HOSTVAULT_ADMIN_PASSWORD ??= 'bench-admin-password';
    const config = {
      ...loadConfig({
        HOSTVAULT_DATA_DIR: join(dir, 'data'),
        HOSTVAULT_KEY_FILE: join(dir, 'master.key'),
      }),
      listen: { host: '127.0.0.1', port: 0 },
    };
    const service = await startService(config, { log: () => undefined, webRoot });
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    });
    const loads: Load[] = [];
    const loadBefore = loadAverage();
    try {
      for (let i = 0; i < LOADS; i++) {
        await waitForQuiet(ctx);
        const context = await browser.newContext({ locale: 'en-US' });
        try {
          const page = await context.newPage();
          const cdp = await context.newCDPSession(page);
          await cdp.send('Network.enable');
          await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
          await cdp.send('Network.emulateNetworkConditions', FAST_3G);
          await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
          await page.goto(service.url, { waitUntil: 'commit', timeout: 60_000 });
          await page.waitForFunction(
            () => performance.getEntriesByName('sign-in-form').length > 0,
            undefined,
            { timeout: 60_000, polling: 50 },
          );
          // The app's own form: taken over from the plain one, or the only one (an older build).
          await page
            .getByRole('button', { name: 'Sign in' })
            .and(page.locator('#root *'))
            .waitFor({ timeout: 60_000 });
          // A string, not a function: tsx's name helper (__name) does not exist in the page.
          const load = (await page.evaluate(`(() => {
            const at = (name) => performance.getEntriesByName(name)[0]?.startTime ?? null;
            const formMs = at('sign-in-form');
            const [navigation] = performance.getEntriesByType('navigation');
            const bytes =
              (navigation?.transferSize ?? 0) +
              performance
                .getEntriesByType('resource')
                .filter((r) => r.responseEnd <= formMs)
                .reduce((sum, r) => sum + r.transferSize, 0);
            return {
              formMs,
              paintMs: at('first-contentful-paint'),
              appMs: at('sign-in-app') ?? formMs,
              bytes,
            };
          })()`)) as Load;
          ctx.log(
            `sign-in: load ${i + 1}: form ${load.formMs.toFixed(0)} ms, first paint ${load.paintMs?.toFixed(0)} ms, app ${load.appMs?.toFixed(0)} ms, ${load.bytes} bytes before the form`,
          );
          loads.push(load);
        } finally {
          await context.close();
        }
      }
    } finally {
      await browser.close();
      await service.stop();
      await rm(dir, { recursive: true, force: true });
    }
    const notes = `median of ${LOADS} loads, Fast 3G, CPU ${CPU_SLOWDOWN}× slower, ${webRoot}; load average ${loadBefore} before, ${loadAverage()} after`;
    const paints = loads.flatMap((l) => (l.paintMs === null ? [] : [l.paintMs]));
    return [
      {
        case: 'sign-in form usable, Fast 3G, 4× CPU',
        measured: Math.round(median(loads.map((l) => l.formMs))),
        unit: 'ms',
        target: { on: 'measured', op: '<=', value: TARGET_MS },
        notes,
      },
      {
        case: 'sign-in: first contentful paint',
        measured: Math.round(median(paints)),
        unit: 'ms',
        notes: 'informational',
      },
      {
        case: "sign-in: the app's form took over",
        measured: Math.round(median(loads.map((l) => l.appMs ?? l.formMs))),
        unit: 'ms',
        notes: 'informational: the app has loaded and runs the form',
      },
      {
        case: 'sign-in: bytes over the line until the form',
        measured: Math.round(median(loads.map((l) => l.bytes))),
        unit: 'bytes',
        notes: 'informational',
      },
    ] satisfies Sample[];
  },
};
