// One `hostvault controller` (its HTTP API, in the test's process) over a private nats-server
// whose users are the authorization file the controller writes and reloads, and the agents of
// hosting servers as `hostvault agent` child processes configured only by `hostvault agent
// enroll`, with real restic. Shared by the fleet tests (fleet-servers, customer-move):
//
//   const fleet = await startFleetController({ work, servers: ['web1', 'web2'] });
//   await fleet.enrollAndStart('web1');        // token through the admin API, enroll, start
//   fleet.admin.call('GET', '/api/admin/servers');
//   await fleet.stop();                        // controller, agents, nats-server
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import { startController } from '../../src/controller.js';
import type { Service } from '../../src/serve.js';
import type { JobRow } from '../../src/store/index.js';
import { CLI_FROM_SOURCES } from './cli.js';
import { startNatsServer, type NatsTestServer } from './nats-server.js';
import { VAULT_NODE } from '../../src/fleet/subjects.js';

/** The admin area's API, signed in as the administrator. */
export class Admin {
  private cookie = '';
  private csrf = '';
  constructor(
    readonly base: string,
    private readonly password: string,
  ) {}

  async signIn(): Promise<void> {
    const response = await fetch(`${this.base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: this.password }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    this.cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    this.csrf = ((await response.json()) as { csrfToken: string }).csrfToken;
  }

  // The answers of every admin route: each test reads the fields of what it asked for.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        cookie: this.cookie,
        'x-csrf-token': this.csrf,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  }
}

/** `hostvault <args>` from the sources, to its end. */
export function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI_FROM_SOURCES, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

/**
 * `hostvault <role>` from the sources as a process of its own (an agent, a vault), started again
 * as often as a test needs; `output` keeps everything it printed across its starts.
 */
export class RoleProcess {
  child?: ChildProcess;
  output = '';
  constructor(
    readonly role: string,
    readonly env: NodeJS.ProcessEnv,
    private readonly opts: {
      stopSignal?: NodeJS.Signals;
      ready?: RegExp;
      /** Named so in its errors (default: its role). */
      name?: string;
      /** How long waitFor waits by default. */
      timeoutMs?: number;
    } = {},
  ) {}

  get name(): string {
    return this.opts.name ?? this.role;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const from = this.output.length;
    const child = spawn(process.execPath, [...CLI_FROM_SOURCES, this.role], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const append = (chunk: Buffer) => void (this.output += chunk.toString('utf8'));
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    await this.waitFor(this.opts.ready ?? /is taking jobs/, { from, exitFails: true });
  }

  /** Waits for a line of its log matching `pattern` (after `from` characters). */
  async waitFor(
    pattern: RegExp,
    opts: { from?: number; timeoutMs?: number; exitFails?: boolean } = {},
  ): Promise<void> {
    const deadline = Date.now() + (opts.timeoutMs ?? this.opts.timeoutMs ?? 60_000);
    while (!pattern.test(this.output.slice(opts.from ?? 0))) {
      if (opts.exitFails && this.child?.exitCode !== null)
        throw new Error(`${this.name} exited:\n${this.output}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} log has no ${pattern}:\n${this.output}`);
      await sleep(50);
    }
  }

  async stop(signal: NodeJS.Signals = this.opts.stopSignal ?? 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}

/** A hosting server's agent: `hostvault agent`, nothing but its data directory given. */
export class AgentProcess extends RoleProcess {
  constructor(env: NodeJS.ProcessEnv) {
    super('agent', env, { stopSignal: 'SIGKILL' });
  }
}

export interface FleetController {
  nats: NatsTestServer;
  service: Service;
  admin: Admin;
  agents: Map<string, AgentProcess>;
  /** The agent's data directory (its settings, key and job record). */
  agentDir(server: string): string;
  /** Only what a hosting server's operator sets: where its data lives. No fleet settings. */
  agentEnv(server: string): NodeJS.ProcessEnv;
  /** The environment of a `hostvault` command on the controller's host, on its store. */
  controllerEnv(): NodeJS.ProcessEnv;
  makeToken(server: string): Promise<string>;
  enroll(server: string, token: string): Promise<{ code: number | null; out: string }>;
  /** A token from the admin API, `hostvault agent enroll`, then `hostvault agent` started. */
  enrollAndStart(server: string): Promise<AgentProcess>;
  /** The job once it is neither pending nor running. */
  finished(jobId: number, timeoutMs?: number): Promise<JobRow>;
  stop(): Promise<void>;
}

export async function startFleetController(opts: {
  work: string;
  servers: string[];
  adminPassword: string;
  /** More of the controller's configuration, e.g. HOSTVAULT_TARGET_ALLOW. */
  configEnv?: NodeJS.ProcessEnv;
  /** The fleet has a vault: its NATS identity, let in by the controller (HOSTVAULT_NATS_VAULT_KEY). */
  vault?: boolean;
}): Promise<FleetController> {
  const { work } = opts;
  const nats = await startNatsServer({
    servers: opts.servers,
    managedAuthorization: true,
    ...(opts.vault ? { vault: true } : {}),
  });
  const controllerId = nats.identity('controller');
  const seedFile = join(work, 'controller.seed');
  await writeFile(seedFile, new TextDecoder().decode(controllerId.seed), { mode: 0o600 });
  process.env.HOSTVAULT_ADMIN_PASSWORD = opts.adminPassword;
  const dataDir = join(work, 'controller');
  const keyFile = join(work, 'keys/master.key');
  const config = {
    ...loadConfig({ ...opts.configEnv, HOSTVAULT_DATA_DIR: dataDir, HOSTVAULT_KEY_FILE: keyFile }),
    listen: { host: '127.0.0.1', port: 0 },
  };
  const natsEnv = {
    HOSTVAULT_NATS_URL: nats.url,
    HOSTVAULT_NATS_CA: nats.caFile,
    HOSTVAULT_NATS_CERT: controllerId.certFile,
    HOSTVAULT_NATS_KEY: controllerId.keyFile,
    HOSTVAULT_NATS_SEED_FILE: seedFile,
    HOSTVAULT_NATS_AUTH_FILE: nats.authorizationFile,
    HOSTVAULT_NATS_PID_FILE: nats.pidFile,
    ...(opts.vault ? { HOSTVAULT_NATS_VAULT_KEY: nats.identity(VAULT_NODE).publicKey } : {}),
  };
  let service: Service;
  try {
    // No HOSTVAULT_SERVER_ID: this controller serves whichever servers enroll.
    service = await startController(config, { log: () => undefined, env: natsEnv });
  } catch (error) {
    await nats.stop();
    throw error;
  }
  const admin = new Admin(service.url, opts.adminPassword);
  await admin.signIn();
  const agents = new Map<string, AgentProcess>();
  const agentDir = (server: string) => join(work, `agent-${server}`);
  const agentEnv = (server: string): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOSTVAULT_DATA_DIR: agentDir(server) };
    for (const key of Object.keys(env)) if (key.startsWith('HOSTVAULT_NATS')) delete env[key];
    delete env.HOSTVAULT_SERVER_ID;
    return env;
  };
  const makeToken = async (server: string) => {
    const { status, json } = await admin.call('POST', '/api/admin/servers/enrollments', {
      server,
    });
    assert.equal(status, 201, JSON.stringify(json));
    assert.equal(json.server, server);
    return json.token as string;
  };
  const enroll = (server: string, token: string) => {
    const id = nats.identity(server);
    return cli(
      [
        'agent',
        'enroll',
        '--controller',
        service.url,
        '--token',
        token,
        '--nats-ca',
        nats.caFile,
        '--nats-cert',
        id.certFile,
        '--nats-key',
        id.keyFile,
      ],
      agentEnv(server),
    );
  };
  return {
    nats,
    service,
    admin,
    agents,
    agentDir,
    agentEnv,
    controllerEnv: () => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...natsEnv,
        HOSTVAULT_DATA_DIR: dataDir,
        HOSTVAULT_KEY_FILE: keyFile,
      };
      delete env.HOSTVAULT_SERVER_ID;
      delete env.HOSTVAULT_DATABASE_URL;
      return env;
    },
    makeToken,
    enroll,
    async enrollAndStart(server) {
      const enrolled = await enroll(server, await makeToken(server));
      assert.equal(enrolled.code, 0, enrolled.out);
      const agent = new AgentProcess(agentEnv(server));
      agents.set(server, agent);
      await agent.start();
      return agent;
    },
    async finished(jobId, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await service.app.jobs.get(jobId);
        if (job && !['pending', 'running'].includes(job.status)) return job;
        if (Date.now() > deadline) throw new Error(`job ${jobId} did not finish:\n${job?.log}`);
        await sleep(100);
      }
    },
    async stop() {
      if (process.env.HOSTVAULT_TEST_AGENT_LOG)
        for (const [server, a] of agents) console.log(`--- ${server}\n${a.output}`);
      await service.stop();
      for (const a of agents.values()) await a.stop();
      await nats.stop();
      delete process.env.HOSTVAULT_ADMIN_PASSWORD;
    },
  };
}
