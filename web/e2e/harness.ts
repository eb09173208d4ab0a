/**
 * What the browser tests share: the SPA built when dist/web is missing or older than its sources,
 * the real service (restic, MariaDB, SQLite) on a temporary data directory and port 0 with two
 * customers, and Debian's Chromium driven by playwright-core with a fresh profile.
 *
 * restic runs through a wrapper that adds `--limit-upload`, so a backup of a few megabytes lasts
 * long enough for the banner (polled every 5 s) to show it running. Everything else is as in
 * production.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { AuthService } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config.js';
import { startService, type Service } from '../../src/serve.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'web-e2e');

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

function newest(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let max = info.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

function builtIsFresh(): boolean {
  let built = 0;
  try {
    built = statSync(join(ROOT, 'dist/web/index.html')).mtimeMs;
  } catch {
    return false;
  }
  const sources = Math.max(
    newest(join(ROOT, 'web/src')),
    newest(join(ROOT, 'web/index.html')),
    newest(join(ROOT, 'web/vite.config.ts')),
    newest(join(ROOT, 'web/precompress.ts')),
    newest(join(ROOT, 'web/sign-in-html.ts')),
  );
  return built > sources;
}

/**
 * Builds the SPA into dist/web unless it is newer than every source file. Test files run in
 * parallel processes: a lock directory makes the second one wait for the first one's build.
 */
export function ensureBuilt(): void {
  if (builtIsFresh()) return;
  const lock = join(ROOT, 'dist/.web-build.lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} is held; remove it if no build runs`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    if (builtIsFresh()) return;
    const result = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (result.status !== 0)
      throw new Error(`vite build failed:\n${result.stdout}${result.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Customer {
  id: string;
  username: string;
  password: string;
  webRoot: string;
  database: string;
}

export interface World {
  service: Service;
  url: string;
  dir: string;
  alice: Customer;
  bob: Customer;
  admin: { username: string; password: string };
  mariadb: (sql: string) => Promise<string>;
  close(): Promise<void>;
}

const ADMIN_PASSWORD = 'e2e-admin-password-1';

/**
 * The service with customers `alice` (web files owned by uid 2000, one MariaDB database, a few
 * megabytes of data) and `bob` (files whose content must never show to alice), on package
 * `basic` (daily and weekly, at most 7 snapshots, 3 schedules).
 */
export async function startWorld(
  opts: {
    uploadKiBs?: number;
    /** restic's reads from the repository too (`--limit-download`): a restore that lasts. */
    downloadKiBs?: number;
    /** More service settings, e.g. HOSTVAULT_TARGET_ALLOW for a target on this machine. */
    env?: Record<string, string>;
  } = {},
): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'hv-web-e2e-'));
  const tag = randomBytes(3).toString('hex');
  const wrapper = join(dir, 'restic-throttled');
  await writeFile(
    wrapper,
    `#!/bin/sh\nexec restic --limit-upload ${opts.uploadKiBs ?? 600}${opts.downloadKiBs ? ` --limit-download ${opts.downloadKiBs}` : ''} "$@"\n`,
    { mode: 0o755 },
  );
  const mariadb = async (sql: string) =>
    (await run('mariadb', ['-uroot', '-N', '-B', '-e', sql])).stdout.trim();

  const make = async (name: string, uid: number): Promise<Customer> => {
    const id = `e2e${tag}-${name}`;
    const webRoot = join(dir, 'home', name, 'www');
    await mkdir(join(webRoot, 'sub'), { recursive: true });
    await writeFile(join(webRoot, 'index.php'), `<?php echo "${name}";\n`);
    await writeFile(join(webRoot, 'sub', 'page.html'), `<h1>${name}-secret-page</h1>\n`);
    await chmod(join(webRoot, 'sub', 'page.html'), 0o640);
    if (name === 'alice') {
      await mkdir(join(webRoot, 'media'));
      for (let i = 0; i < 3; i++)
        await writeFile(join(webRoot, 'media', `photo-${i}.jpg`), randomBytes(1_500_000));
    }
    for (const path of [webRoot, join(webRoot, 'sub'), join(webRoot, 'sub', 'page.html')])
      await chown(path, uid, uid);
    const database = `hvw${tag}_${name}`;
    await mariadb(
      `CREATE DATABASE ${database}; CREATE TABLE ${database}.posts (id INT PRIMARY KEY, title VARCHAR(100)) ENGINE=InnoDB; INSERT INTO ${database}.posts VALUES (1, '${name} first post');`,
    );
    return {
      id,
      username: `${name}-${tag}`,
      password: `${name}-password-${tag}`,
      webRoot,
      database,
    };
  };

  const alice = await make('alice', 2000);
  const bob = await make('bob', 2001);
  process.env.HOSTVAULT_ADMIN_PASSWORD = ADMIN_PASSWORD;
  const config = {
    ...loadConfig({
      HOSTVAULT_DATA_DIR: join(dir, 'data'),
      HOSTVAULT_KEY_FILE: join(dir, 'keys/master.key'),
      HOSTVAULT_RESTIC: wrapper,
      ...opts.env,
    }),
    listen: { host: '127.0.0.1', port: 0 },
  };
  const service = await startService(config, { log: () => undefined });
  await service.app.inventory.importInventory({
    packages: [
      {
        id: 'basic',
        name: 'Basic',
        frequencies: ['daily', 'weekly'],
        maxRetention: 7,
        maxSchedules: 3,
      },
    ],
    customers: [alice, bob].map((c, i) => ({
      id: c.id,
      name: c === alice ? 'Alice Example' : 'Bob Example',
      linuxUser: `u${tag}${i}`,
      uid: 2000 + i,
      gid: 2000 + i,
      packageId: 'basic',
      webRoot: c.webRoot,
      databases: [c.database],
    })),
  });
  const auth = new AuthService({ store: service.app.store, masterKey: service.app.masterKey });
  for (const c of [alice, bob])
    await auth.createUser({
      username: c.username,
      password: c.password,
      role: 'customer',
      customerId: c.id,
    });

  return {
    service,
    url: service.url,
    dir,
    alice,
    bob,
    admin: { username: 'admin', password: ADMIN_PASSWORD },
    mariadb,
    async close() {
      await service.stop();
      delete process.env.HOSTVAULT_ADMIN_PASSWORD;
      // The owner accounts the database restores made carry this service's instance id.
      const owner = (id: string) => `hv_${service.app.database.connection.instance}_${id}`;
      await mariadb(
        `DROP DATABASE IF EXISTS ${alice.database}; DROP DATABASE IF EXISTS ${bob.database}; DROP USER IF EXISTS '${owner(alice.id)}'@'localhost'; DROP USER IF EXISTS '${owner(bob.id)}'@'localhost';`,
      ).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Saves a screenshot under test-artifacts/web-e2e/. */
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Chromium with a fresh profile, 1024 px wide unless a viewport is given (PHONE for the phone
 * layout), in American English unless a locale is given.
 */
export async function openBrowser(
  prefix: string,
  viewport: { width: number; height: number } = { width: 1024, height: 800 },
  /** The browser's language, which the page follows until its DE/EN switch is used. */
  locale = 'en-US',
): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'hv-chromium-'));
  await mkdir(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    // A phone's viewport is also a touch screen with a phone's pixel density.
    ...(viewport.width < 600 ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    acceptDownloads: true,
    locale,
    timezoneId: 'Europe/Berlin',
    // The page skips its transitions then, so screenshots show settled dialogs.
    reducedMotion: 'reduce',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return {
    context,
    page,
    async shot(name) {
      await page.screenshot({ path: join(ARTIFACTS, `${prefix}-${name}.png`), fullPage: true });
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
      if (errors.length) throw new Error(`errors in the page: ${errors.join('; ')}`);
    },
  };
}

export async function signIn(page: Page, url: string, username: string, password: string) {
  await page.goto(url);
  await page.getByRole('textbox', { name: 'User name' }).fill(username);
  await page.getByRole('textbox', { name: 'Password' }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function ownerAndMode(
  path: string,
): Promise<{ uid: number; gid: number; mode: number }> {
  const info = await stat(path);
  return { uid: info.uid, gid: info.gid, mode: info.mode & 0o7777 };
}

const AXE_SOURCE = join(ROOT, 'node_modules/axe-core/axe.min.js');
let axeSource: string | undefined;

/**
 * Runs axe-core on the page as it is and fails on a serious or critical violation, naming the
 * rule, the elements and axe's explanation. The source goes in through the DevTools protocol
 * (page.evaluate), which the page's content security policy does not apply to, as it would to an
 * added script tag. Minor and moderate findings are left to review: the issue asks for none of
 * the two worst kinds on any view.
 */
export async function expectAccessible(page: Page, view: string): Promise<void> {
  axeSource ??= await readFile(AXE_SOURCE, 'utf8');
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: AxeGlobal }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        rule: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`),
      }));
  });
  if (violations.length)
    throw new Error(
      `axe finds ${violations.length} serious or critical violation(s) on ${view}:\n` +
        violations
          .map((v) => `- ${v.rule} (${v.impact}): ${v.help}\n    ${v.nodes.join('\n    ')}`)
          .join('\n'),
    );
}

/** The part of axe-core's API the check uses (axe's own types are not imported into the page). */
interface AxeGlobal {
  run(
    context: Document,
    options: { resultTypes: string[] },
  ): Promise<{
    violations: {
      id: string;
      impact?: string | null;
      help: string;
      nodes: { target: string[]; failureSummary?: string }[];
    }[];
  }>;
}

/** A phone in portrait: the size the issue was tried at. */
export const PHONE = { width: 390, height: 844 };

/**
 * The page does not scroll sideways, and each of `visible` is shown whole inside the viewport's
 * width (scrolled into view first: below the fold is fine, beside it is not).
 */
export async function expectFitsWidth(page: Page, view: string, visible: Locator[] = []) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.scrollingElement?.scrollWidth ?? 0,
    innerWidth: window.innerWidth,
  }));
  if (scrollWidth > innerWidth)
    throw new Error(`${view} scrolls sideways: ${scrollWidth} px wide in ${innerWidth} px`);
  for (const locator of visible) {
    await locator.scrollIntoViewIfNeeded();
    const box = await locator.boundingBox();
    if (!box) throw new Error(`${view}: ${String(locator)} is not shown`);
    if (box.x < 0 || box.x + box.width > innerWidth + 0.5)
      throw new Error(
        `${view}: ${String(locator)} is cut off (${Math.round(box.x)}–${Math.round(box.x + box.width)} px of ${innerWidth})`,
      );
    // Its label is not cut either: the text fits the button's own box.
    const clipped = await locator.evaluate((el) => el.scrollWidth > el.clientWidth + 1);
    if (clipped) throw new Error(`${view}: the label of ${String(locator)} is cut off`);
  }
}
