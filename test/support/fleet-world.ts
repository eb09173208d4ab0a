/**
 * A whole fleet on this machine, for drills that cut links and kill processes: N hosting servers
 * as network namespaces, each with its own hosting root and `hostvault agent` running inside it,
 * M controllers per server in the root namespace, and the shared services they reach over veth —
 * nats-server (JetStream, TLS from a private CA, the per-server authorization of
 * src/fleet/nats-config.ts), a PostgreSQL instance of its own and the S3 test server.
 *
 *   root namespace                              namespace hvft-web<i>
 *   ┌──────────────────────────────┐            ┌──────────────────────────┐
 *   │ bridge hvft-br0 10.231.77.1  │─ hvft-v<i> ═ hvft-p<i> 10.231.77.<10+i> │
 *   │  nats-server, postgres, S3   │            │  hostvault agent (web<i>) │
 *   │  hostvault controller(s)     │            └──────────────────────────┘
 *   └──────────────────────────────┘
 *
 * Cutting `hvft-v<i>` (linkDown/linkUp) isolates server i exactly as a cable pull would: its agent
 * loses NATS and the S3 target, everything else keeps running.
 *
 * Why these choices:
 * - 10.231.77.0/24 and the `hvft-` prefix: a private range unlikely to collide with a machine's or
 *   CI's own networks; every name the world makes starts with the prefix, so a run after a crash
 *   (a killed test runner never reaches its cleanup) first deletes what a previous run left:
 *   processes recorded in `<state>/pids`, processes in the namespaces, the namespaces, the links
 *   and the state directory.
 * - Its own PostgreSQL (initdb into the state directory, own port, listening only on the bridge
 *   address): a drill that restarts it disturbs no other suite using the machine's PostgreSQL.
 *   One database per hosting server, as long as a controller drives a single server
 *   (src/controller.ts); the controllers of one server share its database (planner lease).
 * - A fixed state directory (/tmp/hvft-world, HOSTVAULT_FLEET_WORLD_DIR to move it) rather than a
 *   random one: it is how the next run finds the leftovers. Two runs at once on one machine are
 *   therefore not supported (scripts/test-fleet.sh takes a lock).
 * - Needs root (ip netns, runuser postgres). The agent runs as root inside its namespace, as on a
 *   hosting server.
 *
 *   const world = await FleetWorld.start({ controllers: [2, 1, 1] });   // three servers
 *   const s1 = world.server(1); await s1.linkDown(); await s1.linkUp();
 *   await s1.agent.kill('SIGKILL'); await s1.agent.start();
 *   await world.pg.restart(); await world.nats.stop({ keepData: true }); await world.nats.start();
 *   await world.stop();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { appendFile, chown, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CLI_FROM_SOURCES } from './cli.js';
import { startNatsServer, type NatsTestServer } from './nats-server.js';
import { startS3Server, type S3TestServer } from './s3-server.js';
import { ADMIN_PASSWORD, session } from './service-process.js';

const execFileAsync = promisify(execFile);

export const PREFIX = 'hvft';
const SUBNET = '10.231.77';
export const BRIDGE_IP = `${SUBNET}.1`;
const BRIDGE = `${PREFIX}-br0`;
const STATE_DIR = process.env.HOSTVAULT_FLEET_WORLD_DIR ?? `/tmp/${PREFIX}-world`;

async function run(cmd: string, args: string[], opts: { allowFail?: boolean } = {}) {
  try {
    return (await execFileAsync(cmd, args, { maxBuffer: 16 << 20 })).stdout;
  } catch (error) {
    if (opts.allowFail) return '';
    const e = error as Error & { stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr || e.message}`);
  }
}

const ip = (...args: string[]) => run('ip', args);

/** Records a pid for the cleanup of a later run, in case this one is killed. */
async function recordPid(pid: number | undefined): Promise<void> {
  if (pid) await appendFile(join(STATE_DIR, 'pids'), `${pid}\n`);
}

/**
 * Removes everything a previous run may have left: its processes, namespaces, links and state.
 * Synchronous parts only where the kernel needs them in order (processes before namespaces).
 */
export async function cleanupLeftovers(): Promise<void> {
  const pidFile = join(STATE_DIR, 'pids');
  const pids = existsSync(pidFile)
    ? readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number)
    : [];
  const pgPid = join(STATE_DIR, 'pg', 'postmaster.pid');
  if (existsSync(pgPid)) pids.push(Number(readFileSync(pgPid, 'utf8').split('\n')[0]));
  const namespaces = (await ip('netns', 'list'))
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`${PREFIX}-`));
  for (const ns of namespaces)
    pids.push(...(await ip('netns', 'pids', ns)).split('\n').filter(Boolean).map(Number));
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (pids.length > 0) await sleep(300);
  for (const ns of namespaces) await ip('netns', 'del', ns);
  const links = (await ip('-o', 'link', 'show'))
    .split('\n')
    .map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1] ?? '')
    .filter((name) => name.startsWith(`${PREFIX}-`));
  for (const link of links) await run('ip', ['link', 'del', link], { allowFail: true });
  // The temp dirs of nats-server and the S3 server, which their helpers remove only on a clean exit.
  const dirsFile = join(STATE_DIR, 'dirs');
  if (existsSync(dirsFile))
    for (const dir of readFileSync(dirsFile, 'utf8').split('\n').filter(Boolean))
      rmSync(dir, { recursive: true, force: true });
  rmSync(STATE_DIR, { recursive: true, force: true });
}

/** A child process with its output kept, to wait for log lines and to kill it. */
export class WorldProcess {
  child?: ChildProcess;
  output = '';

  constructor(
    readonly name: string,
    private readonly command: () => { cmd: string; args: string[]; env: NodeJS.ProcessEnv },
    private readonly ready: RegExp,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const from = this.output.length;
    const { cmd, args, env } = this.command();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    await recordPid(child.pid);
    const append = (chunk: Buffer) => void (this.output += chunk.toString('utf8'));
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    await this.waitFor(this.ready, { from, exitFails: true, timeoutMs: 120_000 });
  }

  /** Waits for a line of the output matching `pattern` (after `from` characters). */
  async waitFor(
    pattern: RegExp,
    opts: { from?: number; timeoutMs?: number; exitFails?: boolean } = {},
  ): Promise<RegExpExecArray> {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      const found = pattern.exec(this.output.slice(opts.from ?? 0));
      if (found) return found;
      if (opts.exitFails && !this.running)
        throw new Error(`${this.name} exited:\n${this.output.slice(-4000)}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} logged no ${pattern}:\n${this.output.slice(-4000)}`);
      await sleep(50);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  }
}

/** The world's own PostgreSQL: a cluster in the state directory, on the bridge address. */
export class WorldPostgres {
  readonly dir = join(STATE_DIR, 'pg');
  readonly bin: string;

  constructor(readonly port: number) {
    const versions = readdirVersions();
    if (versions.length === 0) throw new Error('no PostgreSQL in /usr/lib/postgresql');
    this.bin = `/usr/lib/postgresql/${versions.at(-1)}/bin`;
  }

  url(database: string): string {
    return `postgresql://postgres@${BRIDGE_IP}:${this.port}/${database}`;
  }

  private asPostgres(tool: string, args: string[]) {
    return run('runuser', ['-u', 'postgres', '--', join(this.bin, tool), ...args]);
  }

  async init(databases: string[]): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chown(this.dir, uidOf('postgres'), gidOf('postgres'));
    await this.asPostgres('initdb', [
      '-D',
      this.dir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
    ]);
    // Only the world's own subnet, without a password: nothing else can reach the bridge address.
    await appendFile(join(this.dir, 'pg_hba.conf'), `host all all ${SUBNET}.0/24 trust\n`);
    await this.start();
    for (const db of databases)
      await run(join(this.bin, 'psql'), [this.url('postgres'), '-qc', `create database ${db}`]);
  }

  async start(): Promise<void> {
    await this.asPostgres('pg_ctl', [
      '-D', this.dir, '-l', join(this.dir, 'server.log'), '-w', '-t', '60',
      '-o', `-h ${BRIDGE_IP} -p ${this.port} -k ${this.dir} -c max_connections=200 -c fsync=off`,
      'start',
    ]); // prettier-ignore
  }

  /** CPU of the postmasters stopped before (a restart starts a new one). */
  private cpuOfStopped = 0;

  /** CPU time of this cluster's postmasters and their ended backends, in seconds (Linux /proc). */
  cpuSeconds(): number {
    return this.cpuOfStopped + (this.currentCpuSeconds() ?? 0);
  }

  private currentCpuSeconds(): number | undefined {
    try {
      const pid = readFileSync(join(this.dir, 'postmaster.pid'), 'utf8').split('\n')[0];
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      // utime, stime, cutime, cstime: fields 14–17 of stat, 11–14 after "(comm) ".
      const ticks = fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0);
      return ticks / 100;
    } catch {
      return undefined;
    }
  }

  /** `fast` disconnects every client at once, as an operator's restart does. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    this.cpuOfStopped += this.currentCpuSeconds() ?? 0;
    await this.asPostgres('pg_ctl', ['-D', this.dir, '-m', mode, '-w', 'stop']).catch(() => '');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async query(database: string, sqlText: string): Promise<string[][]> {
    const out = await run(join(this.bin, 'psql'), [
      this.url(database),
      '-AtF',
      '\t',
      '-c',
      sqlText,
    ]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t'));
  }
}

function readdirVersions(): string[] {
  if (!existsSync('/usr/lib/postgresql')) return [];
  return readdirSync('/usr/lib/postgresql')
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => +a - +b);
}

function uidOf(user: string): number {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user}`);
  return Number(line.split(':')[2]);
}

function gidOf(user: string): number {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user}`);
  return Number(line.split(':')[3]);
}

/** One hosting server: its namespace, address, hosting root, agent and controllers. */
export class FleetServer {
  readonly id: string;
  readonly netns: string;
  readonly hostVeth: string;
  readonly ip: string;
  readonly root: string;
  readonly agent: WorldProcess;
  readonly controllers: Controller[] = [];

  constructor(
    readonly index: number,
    readonly world: FleetWorld,
  ) {
    this.id = `web${index}`;
    this.netns = `${PREFIX}-${this.id}`;
    this.hostVeth = `${PREFIX}-v${index}`;
    this.ip = `${SUBNET}.${10 + index}`;
    this.root = join(STATE_DIR, 'servers', this.id);
    this.agent = new WorldProcess(
      `agent of ${this.id}`,
      () => ({
        cmd: 'ip',
        args: ['netns', 'exec', this.netns, process.execPath, ...CLI_FROM_SOURCES, 'agent'],
        env: {
          ...process.env,
          ...this.world.natsEnv(this.id),
          HOSTVAULT_DATA_DIR: join(this.root, 'var/lib/hostvault'),
          HOSTVAULT_SERVER_ID: this.id,
        },
      }),
      /is taking jobs/,
    );
  }

  async setUpNetwork(): Promise<void> {
    const peer = `${PREFIX}-p${this.index}`;
    await ip('netns', 'add', this.netns);
    await ip('link', 'add', this.hostVeth, 'type', 'veth', 'peer', 'name', peer);
    await ip('link', 'set', peer, 'netns', this.netns);
    await ip('link', 'set', this.hostVeth, 'master', BRIDGE, 'up');
    await ip('-n', this.netns, 'addr', 'add', `${this.ip}/24`, 'dev', peer);
    await ip('-n', this.netns, 'link', 'set', peer, 'up');
    await ip('-n', this.netns, 'link', 'set', 'lo', 'up');
  }

  /** Cuts the server's cable: its agent reaches nothing until linkUp. */
  linkDown(): Promise<string> {
    return ip('link', 'set', this.hostVeth, 'down');
  }

  linkUp(): Promise<string> {
    return ip('link', 'set', this.hostVeth, 'up');
  }

  /** The web root of customer `id` on this server (the demo layout's /var/www/<id>/public_html). */
  webRoot(customerId: string): string {
    return join(this.root, 'var/www', customerId, 'public_html');
  }
}

/** One `hostvault controller` process: its URL once started, and an admin session on it. */
export class Controller extends WorldProcess {
  url = '';

  constructor(
    readonly server: FleetServer,
    readonly index: number,
    env: () => NodeJS.ProcessEnv,
  ) {
    super(
      `controller ${index} of ${server.id}`,
      () => ({ cmd: process.execPath, args: [...CLI_FROM_SOURCES, 'controller'], env: env() }),
      /listening on (http:\/\/[0-9.:]+)/,
    );
  }

  override async start(): Promise<void> {
    const from = this.output.length;
    await super.start();
    this.url = (await this.waitFor(/listening on (http:\/\/[0-9.:]+)/, { from }))[1]!;
  }

  /** Signs in as the administrator (a fresh session each time: a restarted controller). */
  admin(): ReturnType<typeof session> {
    return session(this.url, 'admin', ADMIN_PASSWORD);
  }
}

export interface FleetWorldOptions {
  /** Controllers per server; its length is the number of servers (default [1, 1, 1]). */
  controllers?: number[];
  /** HOSTVAULT_PLANNER_LEASE_MS of the controllers (default 4000: a fast take-over). */
  plannerLeaseMs?: number;
  log?: (line: string) => void;
}

export class FleetWorld {
  readonly servers: FleetServer[] = [];
  nats!: NatsTestServer;
  s3!: S3TestServer;
  pg!: WorldPostgres;
  readonly dir = STATE_DIR;

  private constructor(private readonly opts: FleetWorldOptions) {}

  static async start(opts: FleetWorldOptions = {}): Promise<FleetWorld> {
    const world = new FleetWorld(opts);
    try {
      await world.build();
    } catch (error) {
      await world.stop();
      throw error;
    }
    return world;
  }

  server(index: number): FleetServer {
    const s = this.servers[index - 1];
    if (!s) throw new Error(`no server ${index}`);
    return s;
  }

  /** The NATS settings of `who` (a server id for its agent, or "controller"). */
  natsEnv(who: string): NodeJS.ProcessEnv {
    const id = this.nats.identity(who);
    return {
      HOSTVAULT_NATS_URL: this.nats.url,
      HOSTVAULT_NATS_CA: this.nats.caFile,
      HOSTVAULT_NATS_CERT: id.certFile,
      HOSTVAULT_NATS_KEY: id.keyFile,
      HOSTVAULT_NATS_SEED_FILE: join(STATE_DIR, 'seeds', `${who}.seed`),
    };
  }

  private async build(): Promise<void> {
    const log = this.opts.log ?? (() => undefined);
    const counts = this.opts.controllers ?? [1, 1, 1];
    await cleanupLeftovers();
    // Readable by others: PostgreSQL runs as its own user under it. Secrets go to 0700 subdirs.
    await mkdir(STATE_DIR, { recursive: true, mode: 0o755 });
    await mkdir(join(STATE_DIR, 'seeds'), { mode: 0o700 });
    await writeFile(join(STATE_DIR, 'pids'), '');

    await ip('link', 'add', BRIDGE, 'type', 'bridge');
    await ip('addr', 'add', `${BRIDGE_IP}/24`, 'dev', BRIDGE);
    await ip('link', 'set', BRIDGE, 'up');
    counts.forEach((_, i) => this.servers.push(new FleetServer(i + 1, this)));
    for (const s of this.servers) await s.setUpNetwork();
    log(`network: bridge ${BRIDGE} ${BRIDGE_IP}, ${this.servers.length} namespaces`);

    const ids = this.servers.map((s) => s.id);
    this.nats = await startNatsServer({ servers: ids, host: BRIDGE_IP });
    await recordPid(this.nats.pid());
    for (const who of ['controller', ...ids])
      await writeFile(
        join(STATE_DIR, 'seeds', `${who}.seed`),
        new TextDecoder().decode(this.nats.identity(who).seed),
        { mode: 0o600 },
      );
    this.s3 = await startS3Server({ host: BRIDGE_IP });
    await appendFile(join(STATE_DIR, 'dirs'), `${this.nats.dir}\n${dirname(this.s3.dataDir)}\n`);
    this.pg = new WorldPostgres(await freePortOn(BRIDGE_IP));
    await this.pg.init(ids.map((id) => `hv_${id}`));
    log(`services: nats ${this.nats.url}, s3 ${this.s3.endpoint}, pg ${this.pg.url('…')}`);

    for (const s of this.servers) {
      await mkdir(join(s.root, 'var/www'), { recursive: true });
      const keyFile = join(s.root, 'controller-master.key');
      for (let c = 1; c <= counts[s.index - 1]!; c++) {
        s.controllers.push(
          new Controller(s, c, () => ({
            ...process.env,
            ...this.natsEnv('controller'),
            HOSTVAULT_SERVER_ID: s.id,
            HOSTVAULT_DATABASE_URL: this.pg.url(`hv_${s.id}`),
            HOSTVAULT_DATA_DIR: join(STATE_DIR, 'controllers', `${s.id}-${c}`),
            // The controllers of one server share the store, so they share its master key.
            HOSTVAULT_KEY_FILE: keyFile,
            HOSTVAULT_HOST: '127.0.0.1',
            HOSTVAULT_PORT: '0',
            HOSTVAULT_ADMIN_PASSWORD: ADMIN_PASSWORD,
            HOSTVAULT_PLANNER_LEASE_MS: String(this.opts.plannerLeaseMs ?? 4000),
            // A dead controller's running jobs are adopted by another after this long.
            HOSTVAULT_JOB_LEASE_MS: String(this.opts.plannerLeaseMs ?? 4000),
          })),
        );
      }
    }
    // Controllers one after another: the first makes the store's schema, admin and master key.
    for (const s of this.servers) for (const c of s.controllers) await c.start();
    await Promise.all(this.servers.map((s) => s.agent.start()));
    log('controllers and agents started');
  }

  /** Records a process started outside the world (e.g. nats-server again) for the cleanup. */
  recordPid(pid: number | undefined): Promise<void> {
    return recordPid(pid);
  }

  async stop(): Promise<void> {
    // PostgreSQL runs detached from the test (pg_ctl), so a `time` of the run does not count it.
    const pgSeconds = this.pg?.cpuSeconds();
    if (pgSeconds !== undefined) this.opts.log?.(`PostgreSQL used ${pgSeconds.toFixed(1)} s CPU`);
    for (const s of this.servers) {
      await s.agent.kill('SIGKILL').catch(() => undefined);
      for (const c of s.controllers) await c.kill('SIGKILL').catch(() => undefined);
    }
    await this.pg?.stop('immediate');
    await this.nats?.stop();
    await this.s3?.stop();
    await cleanupLeftovers();
  }
}

async function freePortOn(host: string): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
