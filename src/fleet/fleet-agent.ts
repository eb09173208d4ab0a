/**
 * The controller's HostAgent for a whole fleet: one NatsAgent per hosting server, and each
 * request sent to the agent of the server it concerns. The control plane keeps calling one
 * HostAgent as in `hostvault serve`; which server runs a job is decided here, by the customer the
 * request is for (the backup's or restore's customer, the repository's owner for maintenance,
 * forget, browse and download), read from the store at each call so a customer moved to another
 * server is served there from its next request on.
 *
 * Customers of the implicit server `local` (every customer an inventory names no server for) go
 * to the controller's default server (HOSTVAULT_SERVER_ID), so a one-server controller configured
 * as before keeps working. Server-wide (provider) work that names no customer (its repository's
 * prune and check, browse of its snapshots, forget of a schedule without a server) goes to the
 * schedule's server (`schedules.server_id`) or else the default server.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Download, HostAgent, RunContext } from '../agent/agent.js';
import { AgentError } from '../agent/errors.js';
import type * as p from '../agent/protocol.js';
import { NatsAgent, type NatsAgentOptions } from './nats-agent.js';
import { LOCAL_SERVER } from './subjects.js';

/** What the router reads from the store. */
export interface FleetRoutes {
  /** The server a customer lives on (`local` when the inventory names none). */
  serverOfCustomer(customerId: string): Promise<string | undefined>;
  /** The server a server-wide schedule names; undefined for a customer's schedule. */
  serverOfSchedule(scheduleId: number): Promise<string | undefined>;
  /** Every customer with its server, for the start's recovery. */
  customers(): Promise<{ id: string; server: string }[]>;
  /** The servers whose agents may connect (enrolled or draining). */
  servers(): Promise<string[]>;
}

export interface FleetAgentOptions extends Omit<NatsAgentOptions, 'serverId'> {
  routes: FleetRoutes;
  /** Where customers of the implicit server `local` and server-wide work go. */
  defaultServer?: string;
}

export class FleetAgent implements HostAgent {
  private readonly agents = new Map<string, NatsAgent>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: FleetAgentOptions,
  ) {}

  /** The transport to one server's agent (made on first use, then kept). */
  agentFor(server: string): NatsAgent {
    let agent = this.agents.get(server);
    if (!agent) {
      const { routes: _routes, defaultServer: _default, ...natsOptions } = this.opts;
      agent = new NatsAgent(this.nc, { ...natsOptions, serverId: server });
      this.agents.set(server, agent);
    }
    return agent;
  }

  /** The streams of every known server, so its agent finds its queue when it connects. */
  async ensureStreams(): Promise<void> {
    const servers = new Set(await this.opts.routes.servers());
    if (this.opts.defaultServer) servers.add(this.opts.defaultServer);
    for (const server of servers) await this.agentFor(server).ensureStreams();
  }

  /**
   * Where the customer's files are: also for a server-wide schedule, whose run backs up each
   * customer on that customer's own server into the one repository of its target.
   */
  async backup(request: p.BackupRequest, ctx?: RunContext) {
    return (await this.forCustomer(request.customer.id)).backup(request, ctx);
  }

  async restore(request: p.RestoreRequest, ctx?: RunContext) {
    return (await this.forCustomer(request.customer.id)).restore(request, ctx);
  }

  /** On the customer's server: the preview compares the snapshot with the live areas there. */
  async restorePreview(request: p.RestorePreviewRequest) {
    return (await this.forCustomer(request.customer.id)).restorePreview(request);
  }

  /** On the customer's server: the drill compares what it restores with the live files there. */
  async drill(request: p.DrillRequest, ctx?: RunContext) {
    return (await this.forCustomer(request.customer.id)).drill(request, ctx);
  }

  async maintain(request: p.MaintainRequest, ctx?: RunContext) {
    return (await this.forOwner(request.repository.owner)).maintain(request, ctx);
  }

  async forget(request: p.ForgetRequest, ctx?: RunContext) {
    const server =
      request.customerId === 'server'
        ? await this.serverOfSchedule(request.scheduleId)
        : await this.serverOfCustomer(request.customerId);
    return this.agentFor(server).forget(request, ctx);
  }

  readonly browse = {
    open: async (request: p.BrowseOpenRequest) =>
      (await this.forOwner(request.repository.owner)).browse.open(request),
    list: async (request: p.BrowseListRequest) =>
      (await this.forOwner(request.repository.owner)).browse.list(request),
    stat: async (request: p.BrowseStatRequest) =>
      (await this.forOwner(request.repository.owner)).browse.stat(request),

    search: async (request: p.BrowseSearchRequest) =>
      (await this.forOwner(request.repository.owner)).browse.search(request),
  };

  async download(request: p.DownloadRequest, ctx?: RunContext): Promise<Download> {
    return (await this.forOwner(request.repository.owner)).download(request, ctx);
  }

  /**
   * Test connection names no customer: it runs on the default server, or else on the first
   * server that answers, since a target reachable from one server of the fleet is what the form
   * can check before a schedule exists.
   */
  async testConnection(request: p.TestConnectionRequest) {
    if (this.opts.defaultServer)
      return this.agentFor(this.opts.defaultServer).testConnection(request);
    let last: unknown;
    for (const server of await this.opts.routes.servers()) {
      try {
        return await this.agentFor(server).testConnection(request);
      } catch (error) {
        if (!(error instanceof AgentError && error.code === 'unreachable')) throw error;
        last = error;
      }
    }
    throw last ?? noServer('Test connection');
  }

  /**
   * Every server keeps only the CA files still in use, side by side: a server offline sweeps when
   * it returns, without holding up the others.
   */
  async sweepCertificates(request: p.SweepCertificatesRequest) {
    const results = await Promise.allSettled(
      (await this.allServers()).map((server) => this.agentFor(server).sweepCertificates(request)),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed && results.every((r) => r.status === 'rejected')) throw failed.reason;
    return { removed: results.flatMap((r) => (r.status === 'fulfilled' ? r.value.removed : [])) };
  }

  /**
   * What each agent found at its own start, for its own customers. An agent that does not answer
   * is left out: its notes come with each job's answer instead (src/serve.ts says so).
   */
  async recover(request: p.RecoverRequest) {
    const wanted = new Set(request.customerIds);
    const byServer = new Map<string, string[]>();
    for (const server of await this.allServers()) byServer.set(server, []);
    for (const c of await this.opts.routes.customers()) {
      if (!wanted.has(c.id)) continue;
      const server = this.resolve(c.server);
      if (server) byServer.set(server, [...(byServer.get(server) ?? []), c.id]);
    }
    const answer: p.RecoverAnswer = { notes: [], log: [] };
    for (const [server, customerIds] of byServer) {
      try {
        const one = await this.agentFor(server).recover({ customerIds });
        answer.notes.push(...one.notes);
        answer.log.push(...one.log.map((line) => `${server}: ${line}`));
      } catch (error) {
        answer.log.push(`${server}: recovery notes not read: ${(error as Error).message}`);
      }
    }
    return answer;
  }

  /** The default server's facts; the Servers page reads every server's from its presence. */
  async facts() {
    const server = this.opts.defaultServer ?? (await this.opts.routes.servers())[0];
    if (!server) throw noServer('facts');
    return this.agentFor(server).facts();
  }

  private async allServers(): Promise<string[]> {
    const servers = new Set(await this.opts.routes.servers());
    if (this.opts.defaultServer) servers.add(this.opts.defaultServer);
    return [...servers];
  }

  private resolve(server: string | undefined): string | undefined {
    if (server === undefined || server === LOCAL_SERVER) return this.opts.defaultServer;
    return server;
  }

  private async serverOfCustomer(customerId: string): Promise<string> {
    const server = this.resolve(await this.opts.routes.serverOfCustomer(customerId));
    if (!server)
      throw new AgentError({
        code: 'unreachable',
        message: `Customer ${customerId} lives on no server of this fleet: name its server in the inventory.`,
      });
    return server;
  }

  private async serverOfSchedule(scheduleId: number): Promise<string> {
    const server = this.resolve(await this.opts.routes.serverOfSchedule(scheduleId));
    if (!server) throw noServer(`server-wide schedule ${scheduleId}`);
    return server;
  }

  private async forCustomer(customerId: string): Promise<NatsAgent> {
    return this.agentFor(await this.serverOfCustomer(customerId));
  }

  /** A repository's owner: a customer, or `server` (the default server's own repositories). */
  private async forOwner(owner: string): Promise<NatsAgent> {
    if (owner === 'server') {
      const server = this.resolve(undefined);
      if (!server) throw noServer('server-wide repositories');
      return this.agentFor(server);
    }
    return this.forCustomer(owner);
  }
}

function noServer(what: string): AgentError {
  return new AgentError({
    code: 'unreachable',
    message: `No server of this fleet can take the ${what}: enroll a server, or set the controller's default server (HOSTVAULT_SERVER_ID).`,
  });
}
