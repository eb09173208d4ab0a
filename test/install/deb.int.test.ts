/**
 * The .deb as a provider installs it: built by scripts/build-deb.sh, installed with apt into a
 * fresh Debian 13 (trixie) made by debootstrap (test/install/debian-root.sh), the service started
 * as hostvault.service's ExecStart= starts it (there is no systemd in a chroot), asked over HTTP,
 * then removed and purged. On a fresh Debian 12 (bookworm), whose Node.js is 18, apt must refuse
 * it and say why (the operator's guide adds NodeSource's Node.js 20 there; this machine's only
 * network is the Debian mirror).
 *
 * Needs root and the Debian mirror. HOSTVAULT_SKIP_DEB_TEST=1 skips it for quick local runs.
 * The first run makes both Debian systems with debootstrap (about three minutes each); later runs
 * unpack them from /var/cache/hostvault-test and reuse the packages downloaded there: about 80 s
 * in all, the largest part building the package.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = process.env.HOSTVAULT_TEST_CACHE ?? '/var/cache/hostvault-test';
const UNIT = '/usr/lib/systemd/system/hostvault.service';
const PATH_INSIDE = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const run = promisify(execFile);

const skip =
  process.env.HOSTVAULT_SKIP_DEB_TEST === '1'
    ? 'HOSTVAULT_SKIP_DEB_TEST=1'
    : process.getuid?.() !== 0
      ? 'needs root (debootstrap, chroot)'
      : false;

/** Runs a command on this machine; its output goes into the error when it fails. */
async function sh(command: string, args: string[], timeoutMs = 600_000): Promise<string> {
  try {
    const { stdout } = await run(command, args, {
      cwd: ROOT,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout}\n${e.stderr}`);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** `NAME=value` lines as systemd's EnvironmentFile= reads them. */
function environmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!.replace(/^"(.*)"$|^'(.*)'$/, '$1$2');
  }
  return env;
}

/** A `Key=` of the unit's [Service] section; the last one counts, as in systemd. */
function unitSetting(unit: string, key: string): string | undefined {
  const service = unit.split(/^\[Service\]$/m)[1]?.split(/^\[/m)[0] ?? '';
  const values = [...service.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);
  return values.at(-1);
}

/** A fresh Debian system in a chroot, with /proc and a shared cache of downloaded packages. */
class DebianSystem {
  readonly root: string;
  private readonly mounts: string[] = [];

  constructor(
    readonly suite: string,
    work: string,
  ) {
    this.root = join(work, suite);
  }

  async prepare(): Promise<void> {
    await sh('bash', ['test/install/debian-root.sh', this.suite, this.root]);
    await sh('mount', ['-t', 'proc', 'proc', join(this.root, 'proc')]);
    this.mounts.push(join(this.root, 'proc'));
    // Packages downloaded once serve every later run.
    const archives = join(CACHE, `apt-archives-${this.suite}`);
    await mkdir(join(archives, 'partial'), { recursive: true });
    await sh('mount', ['--bind', archives, join(this.root, 'var/cache/apt/archives')]);
    this.mounts.push(join(this.root, 'var/cache/apt/archives'));
    await copyFile('/etc/resolv.conf', join(this.root, 'etc/resolv.conf'));
    await this.apt('update');
  }

  async close(): Promise<void> {
    for (const mount of this.mounts.reverse()) {
      await sh('umount', ['--lazy', mount]).catch(() => {});
    }
    await rm(this.root, { recursive: true, force: true });
  }

  /** The environment a command inside gets: a root shell's, and no prompts. */
  env(extra: Record<string, string> = {}): string[] {
    const env = {
      PATH: PATH_INSIDE,
      HOME: '/root',
      LANG: 'C.UTF-8',
      DEBIAN_FRONTEND: 'noninteractive',
      ...extra,
    };
    return ['/usr/bin/env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  }

  /** Runs a command inside and returns its output. */
  run(command: string[]): Promise<string> {
    return sh('chroot', [this.root, ...this.env(), ...command]);
  }

  apt(...args: string[]): Promise<string> {
    return this.run(['apt-get', '-y', '-q', '-o', 'APT::Sandbox::User=root', ...args]);
  }

  /** Copies the package in and returns its path inside. */
  async add(deb: string): Promise<string> {
    await copyFile(deb, join(this.root, 'root', basename(deb)));
    return `/root/${basename(deb)}`;
  }

  path(path: string): string {
    return join(this.root, path);
  }
}

describe('the .deb', { skip, timeout: 1_200_000 }, () => {
  let work: string;
  let deb: string;
  const timings: string[] = [];
  let started = Date.now();
  const lap = (what: string) => {
    timings.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    started = Date.now();
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'hv-deb-'));
    deb = (await sh('bash', ['scripts/build-deb.sh', join(work, 'out')])).trim();
    lap('build .deb');
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
    console.log(`deb test timings: ${timings.join(', ')}`);
  });

  describe('on a fresh Debian 13 (trixie)', () => {
    let debian: DebianSystem;
    let service: ChildProcess | undefined;
    const inside = (command: string[]) => debian.run(command);

    before(async () => {
      debian = new DebianSystem('trixie', work);
      await debian.prepare();
      lap('Debian 13 system');
    });

    after(async () => {
      if (service && service.exitCode === null) service.kill('SIGKILL');
      await debian?.close();
    });
    test('apt installs it with its dependencies', async () => {
      await debian.apt('install', '--no-install-recommends', await debian.add(deb));
      lap('apt install');
      const status = await inside(['dpkg-query', '-W', '-f=${Status} ${Version}', 'hostvault']);
      assert.match(status, /^install ok installed 0\.1\.0-1$/);
      for (const path of [
        'usr/bin/hostvault',
        UNIT.slice(1),
        'usr/lib/hostvault/dist/cli.js',
        'usr/lib/hostvault/dist/web/index.html',
        'usr/lib/hostvault/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
        'etc/hostvault/hostvault.env',
      ]) {
        assert.ok(await exists(debian.path(path)), `${path} is installed`);
      }
      // Made by postinst, for root only: the store and the master key are sealed secrets.
      assert.equal((await stat(debian.path('var/lib/hostvault'))).mode & 0o777, 0o700);
      assert.equal((await stat(debian.path('etc/hostvault'))).mode & 0o777, 0o700);
      assert.equal((await stat(debian.path('etc/hostvault/hostvault.env'))).mode & 0o777, 0o600);
      // The dependencies came from Debian 13 itself: its Node.js 20 runs the compiled addon.
      assert.match(await inside(['node', '--version']), /^v20\./);
      assert.match(await inside(['restic', 'version']), /^restic 0\.18\./);
    });

    test('the service starts as the unit starts it and answers on its port', async () => {
      const unit = await readFile(debian.path(UNIT), 'utf8');
      const execStart = unitSetting(unit, 'ExecStart');
      const envFile = unitSetting(unit, 'EnvironmentFile')?.replace(/^-/, '');
      assert.equal(execStart, '/usr/bin/hostvault serve');
      assert.equal(envFile, '/etc/hostvault/hostvault.env');
      // The operator's way to move the port: the settings file, which the unit reads.
      const port = await freePort();
      const settings = debian.path(envFile);
      await writeFile(settings, `${await readFile(settings, 'utf8')}\nHOSTVAULT_PORT=${port}\n`);
      const env = environmentFile(await readFile(settings, 'utf8'));
      assert.equal(env.HOSTVAULT_PORT, String(port));

      const child = spawn(
        'chroot',
        [
          debian.root,
          // As systemd starts it: only PATH and the unit's settings in the environment.
          '/usr/bin/env',
          '-i',
          `PATH=${PATH_INSIDE}`,
          ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
          ...execStart.split(' '),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      service = child;
      let output = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 60_000;
      let health: Response | undefined;
      while (!health && Date.now() < deadline) {
        assert.equal(child.exitCode, null, `the service exited:\n${output}`);
        health = await fetch(`${url}/api/health`).catch(() => undefined);
        if (!health) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.ok(health, `no answer on ${url} within 60 s:\n${output}`);
      lap('service start');
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok', checks: { store: 'ok' } });
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<div id="root">/);

      // First start on defaults: the master key, the store and the administrator's password.
      assert.equal((await stat(debian.path('etc/hostvault/master.key'))).mode & 0o777, 0o600);
      assert.ok(await exists(debian.path('var/lib/hostvault/store.db')));
      const password = (
        await readFile(debian.path('var/lib/hostvault/initial-admin-password'), 'utf8')
      ).trim();
      const signIn = await fetch(`${url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      assert.equal(signIn.status, 200, await signIn.clone().text());

      // The operator's command line runs on the same Node.js and restic.
      assert.match(await inside(['hostvault', 'version']), /^hostvault 0\.1\.0, restic 0\.18\./);

      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0, `the service did not stop cleanly:\n${output}`);
    });

    test('remove keeps the data and settings; purge leaves nothing behind', async () => {
      await debian.apt('remove', 'hostvault');
      for (const path of ['usr/bin/hostvault', 'usr/lib/hostvault', UNIT.slice(1)]) {
        assert.equal(await exists(debian.path(path)), false, `${path} is removed`);
      }
      for (const path of [
        'var/lib/hostvault/store.db',
        'etc/hostvault/master.key',
        'etc/hostvault/hostvault.env',
      ]) {
        assert.ok(await exists(debian.path(path)), `${path} is kept by remove`);
      }
      assert.match(
        await inside(['dpkg-query', '-W', '-f=${Status}', 'hostvault']),
        /^deinstall ok config-files$/,
      );

      await debian.apt('purge', 'hostvault');
      lap('remove and purge');
      for (const path of ['var/lib/hostvault', 'etc/hostvault', 'usr/lib/hostvault']) {
        assert.equal(await exists(debian.path(path)), false, `${path} is gone after purge`);
      }
      // dpkg has forgotten the package altogether.
      const known = await inside(['dpkg-query', '-W', '-f=${Status}', 'hostvault']).catch(
        (error: Error) => error.message,
      );
      assert.match(known, /no packages found matching hostvault/);
      // Its dependencies stay: purge removes only what the package brought itself.
      assert.match(await inside(['restic', 'version']), /^restic 0\.18\./);
    });
  });

  describe('on a fresh Debian 12 (bookworm)', () => {
    let debian: DebianSystem;

    before(async () => {
      debian = new DebianSystem('bookworm', work);
      await debian.prepare();
      lap('Debian 12 system');
    });

    after(async () => {
      await debian?.close();
    });

    test('apt refuses it without Node.js 20, naming what is missing, and installs nothing', async () => {
      const refused = await debian
        .apt('install', '--no-install-recommends', await debian.add(deb))
        .then(
          () => 'installed',
          (error: Error) => error.message,
        );
      lap('apt refusal');
      assert.match(
        refused,
        /hostvault : Depends: nodejs \(>= 20\) but 18\.[^ ]+ is to be installed/,
      );
      assert.equal(await exists(debian.path('usr/lib/hostvault')), false);
      assert.equal(await exists(debian.path('usr/bin/node')), false, 'nor Node.js 18 itself');
    });
  });
});
