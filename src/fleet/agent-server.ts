/**
 * The hosting server's side of the fleet transport (`hostvault agent`): it takes its own server's
 * jobs from JetStream, runs them on the agent it is given (the LocalAgent of this server),
 * publishes their events and outcomes, answers browse, download, Test connection, facts and cancel
 * requests, and says it is alive on its presence subject. Its NATS identity may use only
 * `hv.<server>.…` (nats-config.ts), so it can neither read nor answer for another server.
 *
 * Run at most once: each job's id is recorded on disk as running before it starts, and with its
 * outcome before that is published (job-record.ts). A job delivered again is not run again: the
 * recorded outcome is sent once more. A job the previous run of the agent died in is answered at
 * start as interrupted (with what recovery put right), not run again: restic may have left half a
 * backup, and the control plane decides whether to run it anew.
 *
 * Sealed requests: an agent enrolled with a curve key opens each job and each request carrying
 * secrets only when its controller's key sealed it to this agent's key, for this server and this
 * job or method (src/fleet/sealing.ts); one sealed otherwise, or sent unsealed, is refused.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, type Consumer, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { HostAgent, RunContext } from '../agent/agent.js';
import { AgentError, failureOf } from '../agent/errors.js';
import * as p from '../agent/protocol.js';
import { JobRecord } from './job-record.js';
import {
  adoptCallSchema,
  browseCallSchema,
  cancelCallSchema,
  CHUNK_HEADER,
  dispatchSchema,
  downloadCallSchema,
  JOB_KINDS,
  jsonOf,
  sealedBodySchema,
  type Dispatch,
  type JobKind,
  type JobMessage,
  type JobOutcome,
  type Presence,
} from './messages.js';
import { jobPurpose, openFrom, rpcPurpose, SEALED_METHODS, type AgentSealing } from './sealing.js';
import { serverSubjects, type RpcMethod, type ServerSubjects } from './subjects.js';
import type { VaultAnswer, VaultRequest } from './vault-protocol.js';

export interface AgentServerOptions {
  nc: NatsConnection;
  serverId: string;
  /** The agent that executes: this server's LocalAgent. */
  agent: HostAgent;
  /** Its subjects when it is no hosting server: the fleet's vault (vaultSubjects()). */
  subjects?: ServerSubjects;
  /** The vault's maintenance: given only to the fleet's vault, which alone gets `vault` jobs. */
  vault?: (request: VaultRequest, ctx: RunContext) => Promise<VaultAnswer>;
  /** Where the job record is kept (the agent's data directory). */
  dataDir: string;
  /** Jobs run at once; the repository mutex still serializes work on one repository. */
  concurrency?: number;
  /** Presence every this many ms (default 15 s). */
  heartbeatMs?: number;
  /** A download not read for this long is closed (default 60 s). */
  downloadIdleMs?: number;
  /**
   * This agent's curve key and its controller's public one (from enrollment): jobs and requests
   * carrying secrets must come sealed by that controller to this key. Unset: an agent enrolled
   * before requests were sealed, which takes them unsealed.
   */
  sealing?: AgentSealing;
  log?: (line: string) => void;
}

/** Bytes per download reply: big enough for throughput, well below NATS's 1 MB payload limit. */
const CHUNK_BYTES = 512 * 1024;
/** Progress is sent at most this often; log lines and other events always. */
const PROGRESS_EVERY_MS = 500;

interface Running {
  abort: AbortController;
  /** The newest delivery of the job: acks and "working" go to it. */
  msg: JsMsg;
  /** Why it was aborted: a cancel, or the agent stopping. */
  reason?: 'cancel' | 'stop';
}

interface OpenDownload {
  iterator: AsyncIterator<Uint8Array>;
  leftover?: Uint8Array;
  /** The agent's stream has ended; what is left over is still to be sent. */
  ended: boolean;
  timer: NodeJS.Timeout;
  busy: boolean;
  /** The next chunk, read while the last one travels (undefined: the download has ended). */
  ahead?: Promise<Uint8Array | undefined>;
}

export class AgentServer {
  private readonly s: ServerSubjects;
  private readonly js: JetStreamClient;
  private readonly log: (line: string) => void;
  private readonly running = new Map<string, Running>();
  private readonly downloads = new Map<string, OpenDownload>();
  private readonly jobsDone = new Set<Promise<void>>();
  private recovered: p.RecoverAnswer = { notes: [], log: [] };
  private subscription?: Subscription;
  private heartbeat?: NodeJS.Timeout;
  private loop?: Promise<void>;
  private stopping = false;
  private readonly startedAt = new Date().toISOString();

  private constructor(
    private readonly opts: AgentServerOptions,
    private readonly record: JobRecord,
  ) {
    this.s = opts.subjects ?? serverSubjects(opts.serverId);
    this.js = jetstream(opts.nc);
    this.log = opts.log ?? (() => undefined);
  }

  /**
   * Recovers what a crash left (restores, dumps), answers the jobs the previous run died in, then
   * starts answering requests and taking jobs.
   */
  static async start(opts: AgentServerOptions): Promise<AgentServer> {
    const record = await JobRecord.open(join(opts.dataDir, 'fleet-jobs.json'));
    const server = new AgentServer(opts, record);
    await server.recover();
    server.subscription = opts.nc.subscribe(server.s.rpcAll, {
      callback: (error, msg) => {
        if (error) server.log(`requests: ${error.message}`);
        else void server.request(msg);
      },
    });
    await opts.nc.flush();
    server.loop = server.takeJobs();
    const beat = () => void server.presence('online');
    beat();
    server.heartbeat = setInterval(beat, server.heartbeatMs());
    server.log(`agent of server ${server.s.server} is taking jobs`);
    return server;
  }

  /**
   * Stops taking jobs and answering requests. Jobs still running are stopped and answered as
   * interrupted (the control plane may run them again); then the server is announced offline.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.heartbeat);
    this.subscription?.unsubscribe();
    for (const run of this.running.values()) {
      run.reason ??= 'stop';
      run.abort.abort();
    }
    await Promise.allSettled([...this.jobsDone]);
    for (const id of [...this.downloads.keys()]) this.closeDownload(id);
    await this.presence('offline');
    await this.opts.nc.flush().catch(() => undefined);
    // Not waiting for the pull in flight (up to its expiry): a job it still brings is handed back.
    void this.loop?.catch(() => undefined);
  }

  private heartbeatMs(): number {
    return this.opts.heartbeatMs ?? 15_000;
  }

  private async recover(): Promise<void> {
    // The customers are the control plane's; the accounts of this instance are locked by name.
    this.recovered = await this.opts.agent.recover({ customerIds: [] }).catch((error: unknown) => {
      this.log(`recovery at start failed: ${failureOf(error).message}`);
      return { notes: [], log: [] };
    });
    for (const line of this.recovered.log) this.log(line);
    for (const entry of this.record.running()) {
      const notes = this.recovered.notes
        .filter((n) => entry.jobId !== undefined && n.jobId === entry.jobId)
        .map((n) => n.note);
      const outcome: JobOutcome = {
        type: 'failure',
        failure: {
          code: 'failed',
          message: [
            `The agent of server "${this.s.server}" stopped while this job ran; it was not run again.`,
            ...notes,
          ].join(' '),
        },
      };
      await this.record.finish(entry.id, entry.kind, outcome);
      this.log(`job ${entry.id} was interrupted by a stop of the agent`);
      await this.publish(entry.id, outcome).catch((error: unknown) =>
        this.log(`job ${entry.id}: its outcome could not be sent yet: ${String(error)}`),
      );
    }
  }

  // ---- Jobs ----

  private async takeJobs(): Promise<void> {
    const concurrency = this.opts.concurrency ?? 4;
    let consumer: Consumer | undefined;
    let waitingSaid = false;
    while (!this.stopping) {
      if (this.running.size >= concurrency) {
        await Promise.race([...this.jobsDone, sleep(1000)]);
        continue;
      }
      let msg: JsMsg | null;
      try {
        consumer ??= await this.js.consumers.get(this.s.jobsStream, this.s.jobsConsumer);
        msg = await consumer.next({ expires: 5000 });
        waitingSaid = false;
      } catch (error) {
        if (this.stopping) return;
        // The controller makes the stream; until then (or while NATS is away) try again.
        if (!waitingSaid)
          this.log(`waiting for the jobs of server ${this.s.server}: ${(error as Error).message}`);
        waitingSaid = true;
        consumer = undefined;
        await sleep(2000);
        continue;
      }
      if (!msg) continue;
      const done = this.job(msg).catch((error: unknown) =>
        this.log(`job message ${msg.seq}: ${String(error)}`),
      );
      this.jobsDone.add(done);
      void done.finally(() => this.jobsDone.delete(done));
    }
  }

  private async job(msg: JsMsg): Promise<void> {
    if (this.stopping) {
      // Taken while stopping: back to the queue at once, for the next start of the agent.
      msg.nak();
      return;
    }
    const parsed = dispatchSchema.safeParse(jsonOf(msg));
    if (!parsed.success) {
      // Nobody can be told: without an id there is no events subject. Never delivered again.
      this.log(`refused a job message that is not a job (${parsed.error.issues[0]?.message})`);
      msg.term();
      return;
    }
    const dispatch = parsed.data;
    const { id } = dispatch;
    const live = this.running.get(id);
    if (live) {
      // Delivered again while it runs (its ack wait passed): it keeps running, once.
      live.msg = msg;
      msg.working();
      return;
    }
    const recorded = this.record.get(id);
    if (recorded) {
      this.log(`job ${id} was delivered again; it ran already and is not run again`);
      if (recorded.outcome) await this.publish(id, recorded.outcome);
      await msg.ackAck().catch(() => false);
      return;
    }
    let opened: unknown;
    try {
      opened = this.openJob(dispatch);
    } catch (error) {
      const failure = failureOf(error);
      this.log(`job ${id} (${dispatch.kind}) refused: ${failure.message}`);
      const outcome: JobOutcome = { type: 'failure', failure };
      await this.record.finish(id, dispatch.kind, outcome);
      await this.publish(id, outcome);
      await msg.ackAck().catch(() => false);
      return;
    }
    const request = JOB_KINDS[dispatch.kind].request.safeParse(opened);
    if (!request.success) {
      const outcome: JobOutcome = {
        type: 'failure',
        failure: {
          code: 'failed',
          message: `The agent of server "${this.s.server}" could not read this ${dispatch.kind} request.`,
          detail: request.error.message,
        },
      };
      await this.record.finish(id, dispatch.kind, outcome);
      await this.publish(id, outcome);
      await msg.ackAck().catch(() => false);
      return;
    }
    const jobId = (request.data as { jobId?: number }).jobId;
    await this.record.begin(id, dispatch.kind, jobId);
    const run: Running = { abort: new AbortController(), msg };
    this.running.set(id, run);
    // The consumer's ack wait is 60 s: "working" keeps a long job from being delivered again.
    const keepAlive = setInterval(() => run.msg.working(), 15_000);
    const events = this.eventSender(id);
    let outcome: JobOutcome;
    this.log(`job ${id} (${dispatch.kind}) started`);
    try {
      const answer = await this.execute(dispatch.kind, request.data, {
        signal: run.abort.signal,
        onEvent: events.send,
      });
      outcome = { type: 'answer', answer: JSON.parse(JSON.stringify(answer)) as unknown };
    } catch (error) {
      const failure = failureOf(error);
      outcome = {
        type: 'failure',
        failure:
          run.reason === 'stop'
            ? {
                ...failure,
                code: 'failed',
                message: `The agent of server "${this.s.server}" stopped while this job ran.`,
              }
            : failure,
      };
    } finally {
      clearInterval(keepAlive);
    }
    await events.flush();
    await this.record.finish(id, dispatch.kind, outcome);
    this.running.delete(id);
    this.log(
      `job ${id} (${dispatch.kind}) ended: ${outcome.type === 'answer' ? 'done' : outcome.failure.code}`,
    );
    await this.publish(id, outcome).catch((error: unknown) =>
      // Recorded: a delivery of the job again sends it.
      this.log(`job ${id}: its outcome could not be sent: ${String(error)}`),
    );
    await run.msg.ackAck().catch(() => false);
  }

  /** The job's request: opened when sealed; refused when it should be and is not, or cannot be. */
  private openJob(dispatch: Dispatch): unknown {
    const what = `this ${dispatch.kind} request`;
    if (dispatch.sealed === undefined) {
      if (this.opts.sealing) throw this.refusal(what, 'unsealed');
      return dispatch.request;
    }
    return this.opened(
      what,
      jobPurpose(this.s.server, dispatch.id, dispatch.kind),
      dispatch.sealed,
    );
  }

  /** A request–reply body: opened when sealed; refused as openJob refuses. */
  private openBody(method: RpcMethod, body: unknown): unknown {
    const sealed = sealedBodySchema.safeParse(body);
    if (sealed.success)
      return this.opened(
        `this ${method} request`,
        rpcPurpose(this.s.server, method),
        sealed.data.sealed,
      );
    const secret =
      SEALED_METHODS.includes(method) &&
      (method !== 'download' || (body as { op?: unknown } | undefined)?.op === 'start');
    if (secret && this.opts.sealing) throw this.refusal(`this ${method} request`, 'unsealed');
    return body;
  }

  private opened(what: string, purpose: string, sealed: string): unknown {
    const sealing = this.opts.sealing;
    if (!sealing) throw this.refusal(what, 'no key');
    try {
      return openFrom(sealing.keyPair, sealing.controllerKey, purpose, sealed);
    } catch (error) {
      throw this.refusal(what, 'not opened', (error as Error).message);
    }
  }

  private refusal(
    what: string,
    why: 'unsealed' | 'no key' | 'not opened',
    detail?: string,
  ): AgentError {
    const who = `The agent of server "${this.s.server}"`;
    const message =
      why === 'unsealed'
        ? `${who} refused ${what}: it came unsealed, and this agent takes secrets only sealed by its controller. The controller has no sealing key on record for this server: enroll the agent again.`
        : why === 'no key'
          ? `${who} cannot open ${what}: it came sealed, and this agent has no sealing key (it enrolled before requests were sealed): enroll it again.`
          : `${who} refused ${what}: it was not sealed by its controller to this agent.`;
    return new AgentError({ code: 'failed', message, ...(detail ? { detail } : {}) });
  }

  private execute(kind: JobKind, request: unknown, ctx: RunContext): Promise<unknown> {
    const agent = this.opts.agent;
    switch (kind) {
      case 'backup':
        return agent.backup(request as p.BackupRequest, ctx);
      case 'maintain':
        return agent.maintain(request as p.MaintainRequest, ctx);
      case 'forget':
        return agent.forget(request as p.ForgetRequest, ctx);
      case 'restore':
        return agent.restore(request as p.RestoreRequest, ctx);
      case 'drill':
        return agent.drill(request as p.DrillRequest, ctx);
      case 'sweepCertificates':
        return agent.sweepCertificates(request as p.SweepCertificatesRequest);
      case 'vault':
        if (!this.opts.vault)
          throw new AgentError({ code: 'failed', message: 'This agent is not the vault.' });
        return this.opts.vault(request as VaultRequest, ctx);
    }
  }

  /**
   * A job's events in order, each stored by JetStream before the next is sent. Progress is
   * thinned to one each PROGRESS_EVERY_MS, keeping the latest.
   */
  private eventSender(id: string) {
    let chain = Promise.resolve();
    let lastProgress = 0;
    let heldProgress: p.AgentEvent | undefined;
    let timer: NodeJS.Timeout | undefined;
    const enqueue = (event: p.AgentEvent) => {
      chain = chain
        .then(() => this.publish(id, { type: 'event', event }))
        .catch((error: unknown) => this.log(`job ${id}: an event was lost: ${String(error)}`));
    };
    const releaseProgress = () => {
      timer = undefined;
      if (heldProgress) enqueue(heldProgress);
      heldProgress = undefined;
      lastProgress = Date.now();
    };
    return {
      send: (event: p.AgentEvent) => {
        if (event.kind !== 'progress') {
          if (heldProgress) releaseProgress();
          return enqueue(event);
        }
        heldProgress = event;
        const wait = lastProgress + PROGRESS_EVERY_MS - Date.now();
        if (wait <= 0) releaseProgress();
        else timer ??= setTimeout(releaseProgress, wait);
      },
      flush: async () => {
        clearTimeout(timer);
        if (heldProgress) releaseProgress();
        await chain;
      },
    };
  }

  private async publish(id: string, message: JobMessage): Promise<void> {
    await this.js.publish(this.s.events(id), JSON.stringify(message));
  }

  // ---- Requests ----

  private async request(msg: Msg): Promise<void> {
    const method = msg.subject.slice(this.s.rpcAll.length - 1);
    const reply = (body: unknown) => {
      if (msg.reply) msg.respond(JSON.stringify(body));
    };
    try {
      if (this.stopping)
        throw new AgentError({ code: 'unreachable', message: 'The agent is stopping.' });
      const body = this.openBody(method as RpcMethod, jsonOf(msg));
      switch (method) {
        case 'browse': {
          const call = browseCallSchema.parse(body);
          const browse = this.opts.agent.browse;
          const answer =
            call.op === 'open'
              ? await browse.open(call.request)
              : call.op === 'list'
                ? await browse.list(call.request)
                : call.op === 'stat'
                  ? await browse.stat(call.request)
                  : await browse.search(call.request);
          return reply({ ok: true, answer });
        }
        case 'restore-preview':
          return reply({
            ok: true,
            answer: await this.opts.agent.restorePreview(p.restorePreviewRequestSchema.parse(body)),
          });
        case 'test-connection':
          return reply({
            ok: true,
            answer: await this.opts.agent.testConnection(p.testConnectionRequestSchema.parse(body)),
          });
        case 'facts':
          return reply({ ok: true, answer: await this.opts.agent.facts() });
        case 'recover':
          // Done at the agent's own start, before it took jobs: what it found then.
          p.recoverRequestSchema.parse(body);
          return reply({ ok: true, answer: this.recovered });
        case 'cancel':
          return reply({ ok: true, answer: await this.cancel(cancelCallSchema.parse(body).id) });
        case 'adopt':
          return reply({ ok: true, answer: await this.adopt(adoptCallSchema.parse(body).id) });
        case 'download':
          return await this.download(msg, body);
        default:
          throw new AgentError({ code: 'failed', message: `No such request: ${method}.` });
      }
    } catch (error) {
      reply({ ok: false, failure: failureOfRequest(error) });
    }
  }

  private async cancel(id: string): Promise<{ state: 'canceling' | 'canceled' | 'finished' }> {
    const run = this.running.get(id);
    if (run) {
      run.reason ??= 'cancel';
      run.abort.abort();
      return { state: 'canceling' };
    }
    if (this.record.get(id)?.state === 'done') return { state: 'finished' };
    // Not here yet (queued): recorded as canceled, so when it arrives it is refused.
    const outcome: JobOutcome = {
      type: 'failure',
      failure: { code: 'canceled', message: 'The job was canceled before it started.' },
    };
    await this.record.finish(id, 'unknown', outcome);
    await this.publish(id, outcome);
    return { state: 'canceled' };
  }

  /**
   * A controller took over the job from one that died: what became of it. Running, its events go
   * on as they are; done, its recorded outcome is published again (the dead controller may have
   * read it and died before recording it); unknown, it is recorded as given up, so a copy still
   * queued is refused when it arrives instead of running with no controller to hear it.
   */
  private async adopt(id: string): Promise<{ state: 'running' | 'done' | 'unknown' }> {
    if (this.running.has(id)) return { state: 'running' };
    const recorded = this.record.get(id);
    if (recorded?.outcome) {
      await this.publish(id, recorded.outcome);
      return { state: 'done' };
    }
    if (recorded) return { state: 'running' };
    const outcome: JobOutcome = {
      type: 'failure',
      failure: {
        code: 'failed',
        message: 'The controller that sent this job stopped before this agent took it.',
      },
    };
    await this.record.finish(id, 'unknown', outcome);
    return { state: 'unknown' };
  }

  private async download(msg: Msg, body: unknown): Promise<void> {
    const call = downloadCallSchema.parse(body);
    if (call.op === 'start') {
      const download = await this.opts.agent.download(call.request);
      const streamId = randomUUID();
      this.downloads.set(streamId, {
        iterator: download.chunks[Symbol.asyncIterator](),
        timer: this.idleTimer(streamId),
        ended: false,
        busy: false,
      });
      msg.respond(JSON.stringify({ ok: true, answer: { streamId, meta: download.meta } }));
      return;
    }
    if (call.op === 'close') {
      this.closeDownload(call.streamId);
      if (msg.reply) msg.respond(JSON.stringify({ ok: true, answer: {} }));
      return;
    }
    const chunk = (kind: 'data' | 'end' | 'failure', data?: Uint8Array | string) => {
      const h = headers();
      h.set(CHUNK_HEADER, kind);
      msg.respond(data ?? new Uint8Array(0), { headers: h });
    };
    const open = this.downloads.get(call.streamId);
    if (!open || open.busy) {
      return chunk(
        'failure',
        JSON.stringify({
          code: 'failed',
          message:
            'This download ended on the server (it was not read for a while); start it again.',
        } satisfies p.AgentFailure),
      );
    }
    open.busy = true;
    clearTimeout(open.timer);
    try {
      const max = Math.min(
        CHUNK_BYTES,
        Math.max(64 * 1024, this.opts.nc.info?.max_payload ?? 0) - 4096,
      );
      const read = async (): Promise<Uint8Array | undefined> => {
        const parts: Uint8Array[] = open.leftover ? [open.leftover] : [];
        let size = open.leftover?.length ?? 0;
        open.leftover = undefined;
        while (size < max && !open.ended) {
          const next = await open.iterator.next();
          if (next.done) open.ended = true;
          else {
            parts.push(next.value);
            size += next.value.length;
          }
        }
        if (size === 0) return undefined;
        const all = Buffer.concat(parts);
        if (all.length > max) open.leftover = all.subarray(max);
        return all.subarray(0, max);
      };
      const data = await (open.ahead ?? read());
      open.ahead = undefined;
      if (!data) {
        this.closeDownload(call.streamId);
        return chunk('end');
      }
      chunk('data', data);
      // The next chunk is read while this one travels, so restic's reading and the network
      // overlap (one chunk more held here): a failure reaches the next request.
      if (!open.ended || open.leftover) {
        const ahead = read();
        ahead.catch(() => undefined);
        open.ahead = ahead;
      }
      open.busy = false;
      open.timer = this.idleTimer(call.streamId);
    } catch (error) {
      this.downloads.delete(call.streamId);
      chunk('failure', JSON.stringify(failureOf(error)));
    }
  }

  private idleTimer(streamId: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.log(`download ${streamId} was not read for a while and is closed`);
      this.closeDownload(streamId);
    }, this.opts.downloadIdleMs ?? 60_000);
    timer.unref();
    return timer;
  }

  private closeDownload(streamId: string): void {
    const open = this.downloads.get(streamId);
    if (!open) return;
    this.downloads.delete(streamId);
    clearTimeout(open.timer);
    // Ends the reading of the snapshot (restic) on the agent.
    void open.iterator.return?.()?.catch(() => undefined);
  }

  // ---- Presence ----

  private async presence(state: Presence['state']): Promise<void> {
    const facts =
      state === 'online' ? await this.opts.agent.facts().catch(() => undefined) : undefined;
    const presence: Presence = {
      server: this.s.server,
      state,
      at: new Date().toISOString(),
      startedAt: this.startedAt,
      intervalMs: this.heartbeatMs(),
      ...(facts ? { facts } : {}),
      running: [...this.running.keys()],
    };
    try {
      this.opts.nc.publish(this.s.presence, JSON.stringify(presence));
    } catch (error) {
      this.log(`presence: ${String(error)}`);
    }
  }
}

/** A request that did not parse is the controller's mistake, said as such. */
function failureOfRequest(error: unknown): p.AgentFailure {
  if (error instanceof Error && error.name === 'ZodError')
    return {
      code: 'failed',
      message: 'The agent could not read this request.',
      detail: error.message,
    };
  return failureOf(error);
}
