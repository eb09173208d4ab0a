/**
 * The fleet's servers as the admin area, the CLI and an enrolling agent act on them: one service
 * per action (list, make an enrollment token, enroll, revoke, drain), so the API and the CLI do
 * the same thing. Enroll and revoke change who nats-server lets in (FleetAuthorization); without
 * it (`hostvault serve`, or a controller without HOSTVAULT_NATS_AUTH_FILE) they are refused, and
 * the list shows the one implicit server of `hostvault serve`.
 */
import { HostvaultError } from '../errors/index.js';
import type { FleetAuthorization } from './fleet-authorization.js';
import type { ServerFacts, ServerRecords, ServerState } from './server-records.js';
import { LOCAL_SERVER } from './subjects.js';

export interface ServerView {
  id: string;
  /** `awaiting`: an enrollment token was made, no agent has enrolled with one yet. */
  state: ServerState | 'awaiting';
  online: boolean;
  lastSeenAt: string | null;
  enrolledAt: string | null;
  resticVersion: string | null;
  mariadbVersion: string | null;
  freeBytes: number | null;
  runningJobs: number;
  queuedJobs: number;
  /** The implicit server of `hostvault serve` (or a controller's default server): not enrolled. */
  implicit: boolean;
  /**
   * Requests to its agent are sealed to its curve key (src/fleet/sealing.ts). False for an agent
   * enrolled before requests were sealed and for a controller's default server: their requests,
   * passwords included, cross NATS and wait in its store unsealed until they enroll (again).
   */
  sealed: boolean;
}

export interface ServerAdminOptions {
  records: ServerRecords;
  /** Pending and running jobs per server (JobStore.activeByServer). */
  activeJobs(): Promise<Map<string, { running: number; queued: number }>>;
  /** Unset: no fleet to manage (serve, or a controller without its authorization file). */
  authorization?: FleetAuthorization;
  /** The NATS address an enrolled agent is told to connect to. */
  agentNatsUrl?: string;
  /** The controller's public curve key, told to an enrolling agent (src/fleet/sealing.ts). */
  controllerCurveKey?: string;
  /** Makes the server's jobs stream before its agent connects. */
  prepareServer?(server: string): Promise<void>;
  /**
   * `hostvault serve`: the facts of the in-process agent, shown as the implicit server.
   * A controller: its default server, if any, whose customers are those of `local`.
   */
  implicit?: {
    id: string;
    facts(): Promise<ServerFacts | null>;
    /** False for a controller's default server: never enrolled, its requests go unsealed. */
    sealed?: boolean;
  };
}

export class ServerAdmin {
  constructor(private readonly opts: ServerAdminOptions) {}

  async list(): Promise<ServerView[]> {
    const [records, active] = await Promise.all([this.opts.records.list(), this.opts.activeJobs()]);
    const counts = (id: string) => {
      const own = active.get(id) ?? { running: 0, queued: 0 };
      // A controller's default server also runs the customers of the implicit server.
      if (this.opts.implicit && id === this.opts.implicit.id && id !== LOCAL_SERVER) {
        const local = active.get(LOCAL_SERVER);
        if (local)
          return { running: own.running + local.running, queued: own.queued + local.queued };
      }
      return own;
    };
    const views: ServerView[] = records.map((r) => ({
      id: r.id,
      state: r.state === 'revoked' && r.enrolledAt === null ? 'awaiting' : r.state,
      online: r.online,
      lastSeenAt: r.lastSeenAt,
      enrolledAt: r.enrolledAt,
      resticVersion: r.facts?.resticVersion ?? null,
      mariadbVersion: r.facts?.mariadbVersion ?? null,
      freeBytes: r.facts?.freeBytes ?? null,
      runningJobs: counts(r.id).running,
      queuedJobs: counts(r.id).queued,
      implicit: false,
      sealed: r.curveKey !== null,
    }));
    const implicit = this.opts.implicit;
    if (implicit && !records.some((r) => r.id === implicit.id)) {
      const facts = await implicit.facts().catch(() => null);
      const c = counts(implicit.id);
      views.unshift({
        id: implicit.id,
        state: 'enrolled',
        online: facts !== null,
        lastSeenAt: facts ? new Date().toISOString() : null,
        enrolledAt: null,
        resticVersion: facts?.resticVersion ?? null,
        mariadbVersion: facts?.mariadbVersion ?? null,
        freeBytes: facts?.freeBytes ?? null,
        runningJobs: c.running,
        queuedJobs: c.queued,
        implicit: true,
        // `hostvault serve` runs its agent in process: nothing crosses NATS.
        sealed: implicit.sealed ?? true,
      });
    }
    return views;
  }

  async get(id: string): Promise<ServerView> {
    const view = (await this.list()).find((v) => v.id === id);
    if (!view)
      throw new HostvaultError('server.unknown', `There is no server ${id}.`, {
        params: { server: id },
      });
    return view;
  }

  /** A one-time token for `server`, shown once; valid for `ttlMs` (24 hours by default). */
  createEnrollment(input: { server: string; createdBy: string; ttlMs?: number }) {
    return this.opts.records.createEnrollment(input);
  }

  /**
   * The agent's side of enrollment: its token and public keys in; its server, NATS and the
   * controller's public curve key (which its requests are sealed by) out.
   */
  async enroll(input: { token: string; nkey: string; curveKey?: string }) {
    const authorization = this.managed();
    const record = await this.opts.records.enroll(input);
    await this.opts.prepareServer?.(record.id);
    await authorization.apply();
    return {
      server: record.id,
      natsUrl: this.opts.agentNatsUrl ?? null,
      controllerCurveKey: this.opts.controllerCurveKey ?? null,
    };
  }

  /** Out of nats-server's authorization: disconnected at the reload, refused afterwards. */
  async revoke(id: string): Promise<ServerView> {
    const authorization = this.managed();
    await this.opts.records.revoke(id);
    await authorization.apply();
    return this.get(id);
  }

  async drain(id: string, draining: boolean): Promise<ServerView> {
    await this.opts.records.drain(id, draining);
    return this.get(id);
  }

  private managed(): FleetAuthorization {
    if (!this.opts.authorization)
      throw new HostvaultError(
        'server.fleet_not_configured',
        'This service manages no fleet: enroll and revoke need a controller with HOSTVAULT_NATS_AUTH_FILE set.',
      );
    return this.opts.authorization;
  }
}
