/**
 * A whole fleet on this machine, for drills that cut links and kill processes: N hosting servers
 * as network namespaces, each with its own hosting root and `hostvault agent` running inside it,
 * enrolled as a provider enrolls one, and one control plane of M controllers in the root
 * namespace serving all of them (src/controller.ts, FleetAgent routing each call by the
 * customer's server) on one PostgreSQL database, with the shared services they reach over veth —
 * nats-server (JetStream, TLS from a private CA, the authorization file the controllers write on
 * enrollment and revocation), PostgreSQL, MariaDB and the S3 test server of the world's own.
 *
 *   root namespace                              namespace hvft-web<i>
 *   ┌──────────────────────────────┐            ┌──────────────────────────────┐
 *   │ bridge hvft-br0 10.231.77.1  │─ hvft-v<i> ═ hvft-p<i> 10.231.77.<10+i>     │
 *   │  nats-server, postgres,      │            │  hostvault agent (web<i>)     │
 *   │  mariadbd, S3                │            │  /run/mysqld/mysqld.sock ─────┼─> mariadbd
 *   │  hostvault controller 1..M   │            │  <state>/www = its own root   │   over veth
 *   └──────────────────────────────┘            └──────────────────────────────┘
 *
 * Cutting `hvft-v<i>` (linkDown/linkUp) isolates server i exactly as a cable pull would: its agent
 * loses NATS, MariaDB and the S3 target, everything else keeps running.
 *
 * With the option `vault` (issue 13), `hostvault vault` runs in the root namespace too, on the
 * bridge address, in front of an S3 server of its own on the root namespace's 127.0.0.1: the
 * servers' agents reach the vault, never that S3 server (WorldVault).
 *
 * Why these choices:
 * - 10.231.77.0/24 and the `hvft-` prefix: a private range unlikely to collide with a machine's or
 *   CI's own networks; every name the world makes starts with the prefix, so a run after a crash
 *   (a killed test runner never reaches its cleanup) first deletes what a previous run left:
 *   processes recorded in `<state>/pids`, processes in the namespaces, the namespaces, the links
 *   and the state directory.
 * - Its own PostgreSQL and mariadbd (in the state directory, own ports, listening only on the
 *   bridge address): a drill that restarts one disturbs no other suite using the machine's.
 * - Each agent sees the paths of a hosting server, in a mount namespace of its own (`ip netns
 *   exec` makes one per process): `<state>/www` is its server's `<state>/servers/web<i>/www`,
 *   so customers' web roots are the same path on every server (as /var/www on real ones) and a
 *   customer restored onto another server lands in that server's root; `/run/mysqld` holds a
 *   socket that socat, inside the namespace, forwards over veth to the world's mariadbd (a relay
 *   on the bridge address, to its socket): the agent dumps and restores as root over the local
 *   socket, as on a hosting server (src/database), and the bytes still cross the server's link.
 * - A fixed state directory (/tmp/hvft-world, HOSTVAULT_FLEET_WORLD_DIR to move it) rather than a
 *   random one: it is how the next run finds the leftovers. Two runs at once on one machine are
 *   therefore not supported (scripts/test-fleet.sh takes a lock).
 * - Needs root (ip netns, mount, runuser postgres). The agent runs as root inside its namespace,
 *   as on a hosting server.
 *
 *   const world = await FleetWorld.start({ servers: 3, controllers: 2 });
 *   const s1 = world.server(1); await s1.linkDown(); await s1.linkUp();
 *   await s1.agent.kill('SIGKILL'); await s1.agent.start();
 *   await world.pg.restart(); await world.nats.stop({ keepData: true }); await world.nats.start();
 *   await world.mariadb.sql('CHECKSUM TABLE shop.orders');
 *   await s1.destroy();                          // the server is lost: agent, link, disk
 *   await world.stop();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { appendFile, chown, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { VAULT_NODE } from '../../src/fleet/subjects.js';
import type { VaultTarget } from '../../src/target/schema.js';
import { issueCredential } from '../../src/vault/htpasswd.js';
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
    /** How often a start that ends in the process's exit is tried (default once). */
    private readonly startAttempts = 1,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    // As systemd's Restart=on-failure (packaging/systemd): a process that gave up at its start
    // (an agent that reached no nats-server within its connect timeout on a machine this busy)
    // is started again, a few times.
    for (let attempt = 1; ; attempt++) {
      const from = this.output.length;
      const { cmd, args, env } = this.command();
      const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      await recordPid(child.pid);
      const append = (chunk: Buffer) => void (this.output += chunk.toString('utf8'));
      child.stdout!.on('data', append);
      child.stderr!.on('data', append);
      try {
        await this.waitFor(this.ready, { from, exitFails: true, timeoutMs: 120_000 });
        return;
      } catch (error) {
        if (this.running || attempt >= this.startAttempts) throw error;
        this.output += `\n[${this.name} exited at its start; started again]\n`;
        await sleep(1000);
      }
    }
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

/** Where every agent sees its own server's hosting root (a bind mount in its mount namespace). */
export const HOSTING_ROOT = join(STATE_DIR, 'www');

/**
 * The world's own MariaDB: a datadir in the state directory, reached from the servers at the
 * bridge address. The product's agent speaks to MariaDB as a hosting server's does, as root over
 * the local socket, and makes the customers' owner accounts at `localhost` (src/database): so
 * mariadbd itself listens only on its socket, and socat relays the bridge address's port to it —
 * a server's connection crosses its veth and still arrives as a local one.
 */
export class WorldMariaDb {
  readonly dir = join(STATE_DIR, 'mariadb');
  readonly socket = join(this.dir, 'mysqld.sock');
  readonly process: WorldProcess;
  /** The bridge address's port, relayed to the socket. */
  readonly relay: WorldProcess;

  constructor(readonly port: number) {
    this.process = new WorldProcess(
      'mariadbd',
      () => ({
        cmd: '/usr/sbin/mariadbd',
        // --no-defaults: nothing of the machine's own MariaDB configuration. Small and unsafe on
        // power loss (no doublewrite, no flush per commit): a test instance, and quick to start.
        args: [
          '--no-defaults', `--datadir=${join(this.dir, 'data')}`, '--user=mysql',
          '--skip-networking', `--socket=${this.socket}`,
          `--pid-file=${join(this.dir, 'mariadbd.pid')}`, '--skip-name-resolve', '--skip-log-bin',
          '--innodb-buffer-pool-size=64M', '--innodb-log-file-size=32M',
          '--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0',
          '--performance-schema=OFF', '--max-connections=200',
        ],
        env: process.env,
      }), // prettier-ignore
      /ready for connections/,
    );
    this.relay = new WorldProcess(
      'mariadb relay',
      () => ({
        cmd: 'socat',
        args: [
          '-d', '-d', `TCP-LISTEN:${this.port},bind=${BRIDGE_IP},fork,reuseaddr`,
          `UNIX-CONNECT:${this.socket}`,
        ], // prettier-ignore
        env: process.env,
      }),
      /listening on/,
    );
  }

  async init(): Promise<void> {
    await mkdir(join(this.dir, 'data'), { recursive: true });
    await chown(this.dir, uidOf('mysql'), gidOf('mysql'));
    await chown(join(this.dir, 'data'), uidOf('mysql'), gidOf('mysql'));
    await run('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${join(this.dir, 'data')}`,
      '--user=mysql',
      // root without a password over the socket, as the agents reach it (no unix_socket plugin:
      // the relay's connections are socat's, not the agent's process).
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ]);
    await this.process.start();
    await this.relay.start();
  }

  /** Rows of `query` as root, tab-separated fields. */
  async sql(query: string, database?: string): Promise<string[][]> {
    const out = await run('mariadb', [
      '--no-defaults', '--user=root', `--socket=${this.socket}`, '--batch', '--skip-column-names',
      ...(database ? [`--database=${database}`] : []), '-e', query,
    ]); // prettier-ignore
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t'));
  }

  /** `CHECKSUM TABLE … EXTENDED` of every base table of `database`, by table name. */
  async checksums(database: string): Promise<Record<string, string>> {
    const tables = await this.sql(
      `SELECT TABLE_NAME FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = '${database}' AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
    );
    if (tables.length === 0) return {};
    const rows = await this.sql(
      `CHECKSUM TABLE ${tables.map(([t]) => `\`${database}\`.\`${t}\``).join(', ')} EXTENDED`,
    );
    return Object.fromEntries(rows.map(([table, sum]) => [table!, sum!]));
  }

  async stop(): Promise<void> {
    await this.relay.kill('SIGKILL');
    await this.process.kill('SIGTERM');
  }
}

/** One hosting server: its namespace, address, hosting root and agent. */
export class FleetServer {
  readonly id: string;
  readonly netns: string;
  readonly hostVeth: string;
  readonly ip: string;
  /** Everything of this server on the machine's disk: hosting root, agent data, sockets. */
  readonly root: string;
  readonly agentDataDir: string;
  readonly agent: WorldProcess;
  /** Forwards the agent's /run/mysqld/mysqld.sock to the world's mariadbd over veth. */
  readonly mariadbLink?: WorldProcess;

  constructor(
    readonly index: number,
    readonly world: FleetWorld,
  ) {
    this.id = `web${index}`;
    this.netns = `${PREFIX}-${this.id}`;
    this.hostVeth = `${PREFIX}-v${index}`;
    this.ip = `${SUBNET}.${10 + index}`;
    this.root = join(STATE_DIR, 'servers', this.id);
    this.agentDataDir = join(this.root, 'var/lib/hostvault');
    const runMysqld = join(this.root, 'run/mysqld');
    this.agent = new WorldProcess(
      `agent of ${this.id}`,
      () => ({
        cmd: 'ip',
        // The hosting root and MariaDB socket of this server where a hosting server has them, in
        // the agent's own mount namespace (gone with the process, so a restart makes it again).
        args: [
          'netns', 'exec', this.netns, 'sh', '-c',
          'mount --bind "$1" "$2" && mount --bind "$3" /run/mysqld && shift 3 && exec "$@"',
          'sh', join(this.root, 'www'), HOSTING_ROOT, runMysqld,
          process.execPath, ...CLI_FROM_SOURCES, 'agent',
        ], // prettier-ignore
        env: this.operatorEnv(),
      }),
      /is taking jobs/,
      3,
    );
    this.mariadbLink = new WorldProcess(
      `mariadb link of ${this.id}`,
      () => ({
        cmd: 'ip',
        args: [
          'netns', 'exec', this.netns, 'socat', '-d', '-d',
          `UNIX-LISTEN:${join(runMysqld, 'mysqld.sock')},fork,unlink-early,mode=0777`,
          `TCP:${BRIDGE_IP}:${this.world.mariadb.port}`,
        ], // prettier-ignore
        env: process.env,
      }),
      /listening on/,
    );
  }

  /**
   * Only what a hosting server's operator sets: where the agent's data lives. Server id, NATS
   * address and identity come from `hostvault agent enroll` (its agent.env).
   */
  operatorEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, HOSTVAULT_DATA_DIR: this.agentDataDir };
    for (const key of Object.keys(env)) if (key.startsWith('HOSTVAULT_NATS')) delete env[key];
    delete env.HOSTVAULT_SERVER_ID;
    delete env.HOSTVAULT_DATABASE_URL;
    return env;
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

  /** Its hosting root and MariaDB link, ready for the agent. */
  async setUpDisk(): Promise<void> {
    await mkdir(join(this.root, 'www'), { recursive: true });
    await mkdir(join(this.root, 'run/mysqld'), { recursive: true });
    await this.mariadbLink!.start();
  }

  /**
   * Enrolls the server as a provider does: a one-time token from the admin API, then
   * `hostvault agent enroll` on the server (in its namespace, reaching the controller over veth).
   */
  async enroll(controller: Controller): Promise<void> {
    const a = await controller.admin();
    const made = await a('POST', '/api/admin/servers/enrollments', { server: this.id });
    if (!made.token) throw new Error(`no enrollment token for ${this.id}: ${JSON.stringify(made)}`);
    const nats = this.world.nats;
    const tls = nats.identity(this.id);
    const env = this.operatorEnv();
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'ip',
        [
          'netns', 'exec', this.netns, process.execPath, ...CLI_FROM_SOURCES, 'agent', 'enroll',
          '--controller', controller.url, '--token', made.token,
          '--nats-ca', nats.caFile, '--nats-cert', tls.certFile, '--nats-key', tls.keyFile,
        ], // prettier-ignore
        { env },
        (error, stdout, stderr) =>
          error ? reject(new Error(`enroll of ${this.id}: ${stdout}${stderr}`)) : resolve(stdout),
      ),
    );
    if (!out.includes(`enrolled as server ${this.id}`))
      throw new Error(`enroll of ${this.id} said: ${out}`);
  }

  /** Cuts the server's cable: its agent reaches nothing until linkUp. */
  linkDown(): Promise<string> {
    return ip('link', 'set', this.hostVeth, 'down');
  }

  linkUp(): Promise<string> {
    return ip('link', 'set', this.hostVeth, 'up');
  }

  /** The web root of customer `id` as the server's agent (and the inventory) sees it. */
  webRoot(customerId: string): string {
    return join(HOSTING_ROOT, customerId, 'public_html');
  }

  /** The same directory as the test, in the root namespace, sees it on this server's disk. */
  webRootOnDisk(customerId: string): string {
    return join(this.root, 'www', customerId, 'public_html');
  }

  /** The server is lost: agent and MariaDB link killed, namespace and link gone, disk wiped. */
  async destroy(): Promise<void> {
    await this.agent.kill('SIGKILL');
    await this.mariadbLink?.kill('SIGKILL');
    await ip('netns', 'del', this.netns);
    await run('ip', ['link', 'del', this.hostVeth], { allowFail: true });
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** One `hostvault controller` process: its URL once started, and an admin session on it. */
export class Controller extends WorldProcess {
  url = '';

  constructor(
    readonly index: number,
    env: () => NodeJS.ProcessEnv,
  ) {
    super(
      `controller ${index}`,
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

/**
 * The fleet's vault: `hostvault vault` in the root namespace, serving agents on the bridge
 * address over TLS (a certificate from the fleet's CA, the one nats-server's is from) and backing
 * onto `s3`, an S3 server on 127.0.0.1 of the root namespace: a namespace's 127.0.0.1 is its own,
 * and nothing listens for it on the bridge, so only the vault reaches the S3 server and only the
 * vault's target file (0600, in `dir`) holds its keys.
 */
export class WorldVault {
  readonly dir = join(STATE_DIR, 'vault');
  readonly targetFile = join(this.dir, 'vault-target.yaml');
  readonly htpasswdFile = join(this.dir, 'vault.htpasswd');
  /** Each server's vault password, by server id (what `hostvault vault credential` prints). */
  readonly credentials: Record<string, string> = {};
  readonly process: WorldProcess;
  s3!: S3TestServer;
  caCertPem = '';
  port = 0;

  constructor(private readonly world: FleetWorld) {
    this.process = new WorldProcess(
      'vault',
      () => {
        const env: NodeJS.ProcessEnv = { ...process.env };
        for (const key of Object.keys(env)) if (key.startsWith('HOSTVAULT_')) delete env[key];
        return {
          cmd: process.execPath,
          args: [...CLI_FROM_SOURCES, 'vault'],
          env: {
            ...env,
            ...this.world.natsEnv(VAULT_NODE),
            HOSTVAULT_DATA_DIR: this.dir,
            HOSTVAULT_VAULT_CERT: join(this.dir, 'vault.pem'),
            HOSTVAULT_VAULT_KEY: join(this.dir, 'vault.key'),
            HOSTVAULT_VAULT_LISTEN: `${BRIDGE_IP}:${this.port}`,
            HOSTVAULT_VAULT_HTPASSWD: this.htpasswdFile,
            HOSTVAULT_VAULT_TARGET: this.targetFile,
          },
        };
      },
      /agent of server _vault is taking jobs/,
      3,
    );
  }

  get url(): string {
    return `https://${BRIDGE_IP}:${this.port}`;
  }

  /** The vault target of server `serverId`'s schedules, as a provider enters it. */
  target(serverId: string): VaultTarget {
    const password = this.credentials[serverId];
    if (!password) throw new Error(`no vault credential for ${serverId}`);
    return { kind: 'vault', url: this.url, user: serverId, password, caCert: this.caCertPem };
  }

  /** Its S3 server, certificate, credentials and seed; the process is started by start(). */
  async prepare(): Promise<void> {
    const nats = this.world.nats;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.s3 = await startS3Server({ host: '127.0.0.1', bucket: 'hostvault-vault' });
    await appendFile(
      join(STATE_DIR, 'dirs'),
      `${dirname(this.s3.dataDir)}
`,
    );
    await writeFile(
      this.targetFile,
      JSON.stringify({
        kind: 's3',
        endpoint: this.s3.endpoint,
        bucket: this.s3.bucket,
        accessKeyId: this.s3.accessKeyId,
        secretAccessKey: this.s3.secretAccessKey,
        pathStyle: true,
        caCert: this.s3.caCertPem,
      }),
      { mode: 0o600 },
    );
    const p = (name: string) => join(this.dir, name);
    await writeFile(
      p('vault.ext'),
      `subjectAltName=IP:${BRIDGE_IP}\nbasicConstraints=CA:FALSE\n` +
        'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
    );
    await run('openssl', [
      'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', p('vault.key'), '-out', p('vault.csr'), '-subj', '/CN=hostvault vault',
    ]); // prettier-ignore
    await run('openssl', [
      'x509', '-req', '-in', p('vault.csr'), '-CA', nats.caFile, '-CAkey', nats.caKeyFile,
      '-CAcreateserial', '-out', p('vault.pem'), '-days', '30', '-extfile', p('vault.ext'),
    ]); // prettier-ignore
    this.caCertPem = readFileSync(nats.caFile, 'utf8');
    for (const s of this.world.servers)
      this.credentials[s.id] = await issueCredential(this.htpasswdFile, s.id);
    await writeFile(
      join(STATE_DIR, 'seeds', `${VAULT_NODE}.seed`),
      new TextDecoder().decode(nats.identity(VAULT_NODE).seed),
      { mode: 0o600 },
    );
    this.port = await freePortOn(BRIDGE_IP);
  }

  async stop(): Promise<void> {
    await this.process.kill('SIGTERM').catch(() => undefined);
    await this.s3?.stop();
  }
}

export interface FleetWorldOptions {
  /** Hosting servers (default 3). */
  servers?: number;
  /** Controllers of the one control plane, sharing its database (default 2). */
  controllers?: number;
  /** HOSTVAULT_PLANNER_LEASE_MS of the controllers (default 4000: a fast take-over). */
  plannerLeaseMs?: number;
  /**
   * The fleet has a vault (issue 13): `hostvault vault` in the root namespace on the bridge,
   * fronting an S3 server of its own that listens on the root namespace's loopback only, so no
   * server's namespace can reach it; one vault credential per server, the vault on the fleet's
   * NATS (the controllers let it in with HOSTVAULT_NATS_VAULT_KEY).
   */
  vault?: boolean;
  log?: (line: string) => void;
}

/** The control plane's database in the world's PostgreSQL. */
export const FLEET_DATABASE = 'hv_fleet';

export class FleetWorld {
  readonly servers: FleetServer[] = [];
  readonly controllers: Controller[] = [];
  nats!: NatsTestServer;
  s3!: S3TestServer;
  pg!: WorldPostgres;
  mariadb!: WorldMariaDb;
  /** With the option `vault`. */
  vault?: WorldVault;
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
    await cleanupLeftovers();
    // Readable by others: PostgreSQL and mariadbd run as their own users under it. Secrets go to
    // 0700 subdirs.
    await mkdir(STATE_DIR, { recursive: true, mode: 0o755 });
    await mkdir(join(STATE_DIR, 'seeds'), { mode: 0o700 });
    await mkdir(HOSTING_ROOT);
    await writeFile(join(STATE_DIR, 'pids'), '');

    await ip('link', 'add', BRIDGE, 'type', 'bridge');
    await ip('addr', 'add', `${BRIDGE_IP}/24`, 'dev', BRIDGE);
    await ip('link', 'set', BRIDGE, 'up');
    for (let i = 1; i <= (this.opts.servers ?? 3); i++) this.servers.push(new FleetServer(i, this));
    for (const s of this.servers) await s.setUpNetwork();
    log(`network: bridge ${BRIDGE} ${BRIDGE_IP}, ${this.servers.length} namespaces`);

    const ids = this.servers.map((s) => s.id);
    // The controllers manage who nats-server lets in: an agent is let in once enrolled.
    this.nats = await startNatsServer({
      servers: ids,
      host: BRIDGE_IP,
      managedAuthorization: true,
      ...(this.opts.vault ? { vault: true } : {}),
    });
    await recordPid(this.nats.pid());
    await writeFile(
      join(STATE_DIR, 'seeds', 'controller.seed'),
      new TextDecoder().decode(this.nats.identity('controller').seed),
      { mode: 0o600 },
    );
    this.s3 = await startS3Server({ host: BRIDGE_IP });
    await appendFile(join(STATE_DIR, 'dirs'), `${this.nats.dir}\n${dirname(this.s3.dataDir)}\n`);
    this.pg = new WorldPostgres(await freePortOn(BRIDGE_IP));
    this.mariadb = new WorldMariaDb(await freePortOn(BRIDGE_IP));
    await Promise.all([this.pg.init([FLEET_DATABASE]), this.mariadb.init()]);
    log(
      `services: nats ${this.nats.url}, s3 ${this.s3.endpoint}, pg ${this.pg.url('…')}, mariadb ${BRIDGE_IP}:${this.mariadb.port}`,
    );

    // Its controllers share the store, so they share its master key.
    const keyFile = join(STATE_DIR, 'controller-master.key');
    for (let c = 1; c <= (this.opts.controllers ?? 2); c++)
      this.controllers.push(
        new Controller(c, () => {
          const env: NodeJS.ProcessEnv = {
            ...process.env,
            ...this.natsEnv('controller'),
            HOSTVAULT_NATS_AUTH_FILE: this.nats.authorizationFile,
            HOSTVAULT_NATS_PID_FILE: this.nats.pidFile,
            HOSTVAULT_DATABASE_URL: this.pg.url(FLEET_DATABASE),
            HOSTVAULT_DATA_DIR: join(STATE_DIR, 'controllers', String(c)),
            HOSTVAULT_KEY_FILE: keyFile,
            // On the bridge: `hostvault agent enroll` on a server reaches it over veth.
            HOSTVAULT_HOST: BRIDGE_IP,
            HOSTVAULT_PORT: '0',
            HOSTVAULT_ADMIN_PASSWORD: ADMIN_PASSWORD,
            HOSTVAULT_PLANNER_LEASE_MS: String(this.opts.plannerLeaseMs ?? 4000),
            // A dead controller's running jobs are adopted by another after this long.
            HOSTVAULT_JOB_LEASE_MS: String(this.opts.plannerLeaseMs ?? 4000),
            ...(this.opts.vault
              ? { HOSTVAULT_NATS_VAULT_KEY: this.nats.identity(VAULT_NODE).publicKey }
              : {}),
          };
          // No default server: every customer names its own.
          delete env.HOSTVAULT_SERVER_ID;
          return env;
        }),
      );
    // The first controller makes the store's schema, admin and master key; the servers enroll
    // through it. The others start once every server is enrolled: a controller rewrites nats-
    // server's users from the store when it starts, so one starting during an enrollment could
    // write a list without that server.
    const [first, ...others] = this.controllers;
    if (this.opts.vault) {
      this.vault = new WorldVault(this);
      await this.vault.prepare();
    }
    await first!.start();
    // After a controller: it lets the vault's identity into nats-server and makes its queue.
    if (this.vault) {
      await this.vault.process.start();
      log(
        `vault: ${this.vault.url} in front of s3 ${this.vault.s3.endpoint} (root namespace only)`,
      );
    }
    await Promise.all(this.servers.map((s) => s.setUpDisk()));
    await Promise.all(this.servers.map((s) => s.enroll(first!)));
    log(`servers enrolled through ${first!.url}`);
    await Promise.all(this.servers.map((s) => s.agent.start()));
    for (const c of others) await c.start();
    log(`controllers: ${this.controllers.map((c) => c.url).join(', ')}`);
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
      await s.mariadbLink?.kill('SIGKILL').catch(() => undefined);
    }
    for (const c of this.controllers) await c.kill('SIGKILL').catch(() => undefined);
    await this.vault?.stop();
    await this.pg?.stop('immediate');
    await this.mariadb?.relay.kill('SIGKILL').catch(() => undefined);
    await this.mariadb?.process.kill('SIGKILL').catch(() => undefined);
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
