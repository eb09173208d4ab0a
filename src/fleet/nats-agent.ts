/**
 * The controller's side of the fleet transport: a HostAgent whose hosting server is reached over
 * NATS (issue 12). The control plane uses it exactly as it uses the in-process LocalAgent.
 *
 * - Jobs (backup, restore, maintain, forget, sweep of certificates) go durably through the
 *   server's JetStream work queue (`hv.<server>.jobs`), so one queued while the agent is offline
 *   runs when it returns. Before publishing, the controller makes a durable consumer of the job's
 *   events subject and reads the job's log, progress and final answer (or failure) from it; each
 *   message is checked against the protocol's schemas here.
 * - A job's id on the wire is derived from the store's job (`backup-<job>-<customer>`), and is
 *   also its `Nats-Msg-Id`: a publish repeated within JetStream's duplicate window is dropped, and
 *   the agent refuses an id it has run or is running (its durable record, src/fleet/job-record.ts).
 * - Cancel is a message by that id to the agent; when no agent answers, the queued job is taken
 *   out of the stream instead, so it never runs.
 * - Browse, downloads, Test connection, facts and the start's recovery notes are request–reply:
 *   the customer waits for them, so an absent agent is an immediate, clear failure
 *   (`unreachable`), not a queue. A download is pulled one chunk per request: neither side holds
 *   more than a chunk, and a reader that stops early closes it on the agent.
 * - Requests carrying secrets (every job, browse, download's start, Test connection, restore
 *   preview) are sealed to the agent's curve key recorded at its enrollment (src/fleet/sealing.ts),
 *   so a queued job's passwords are not readable in nats-server's store. An agent with no key on
 *   record (enrolled before sealing, or a default server never enrolled) gets them unsealed, with
 *   a warning here and on the Servers page.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import {
  NoRespondersError,
  RequestError,
  TimeoutError,
  type NatsConnection,
} from '@nats-io/transport-node';
import type { z } from 'zod';
import { currentAdoption, currentDetach } from '../agent/adoption.js';
import type { Download, HostAgent, RunContext } from '../agent/agent.js';
import { AgentError } from '../agent/errors.js';
import * as p from '../agent/protocol.js';
import {
  adoptAnswerSchema,
  cancelAnswerSchema,
  CHUNK_HEADER,
  downloadStartedSchema,
  JOB_KINDS,
  jobMessageSchema,
  jsonOf,
  rpcReplySchema,
  type JobKind,
} from './messages.js';
import {
  eventsStreamConfig,
  jobEventsConsumerConfig,
  jobsConsumerConfig,
  jobsStreamConfig,
} from './streams.js';
import {
  jobPurpose,
  rpcPurpose,
  sealFor,
  SEALED_METHODS,
  type ControllerSealing,
  type KeyPair,
} from './sealing.js';
import { EVENTS_STREAM, serverSubjects, type RpcMethod, type ServerSubjects } from './subjects.js';
import type { VaultRequest } from './vault-protocol.js';

export interface NatsAgentOptions {
  /** The hosting server this agent stands for. */
  serverId: string;
  /** Its subjects when it is no hosting server: the fleet's vault (vaultSubjects()). */
  subjects?: ServerSubjects;
  /**
   * How long a request–reply call (browse, Test connection, facts, one chunk of a download) may
   * take. Keep it within nats-server's reply window for agents (`rpcReplyWindow`, 2 minutes).
   */
  rpcTimeoutMs?: number;
  /** How long the agent has to confirm a cancel before the controller treats it as absent. */
  cancelTimeoutMs?: number;
  /** Passed to the server's jobs consumer: how long a job taken by a dead agent waits. */
  ackWaitMs?: number;
  /** Unset: requests go unsealed (tests of the transport alone). */
  sealing?: ControllerSealing;
  /**
   * A job adopted from a controller that died while its agent is offline stays running here and
   * the agent is asked again until it answers, for at most this long (HOSTVAULT_ADOPTION_WAIT_MS;
   * default 1 hour); then the job fails, saying so.
   */
  adoptionWaitMs?: number;
  log?: (line: string) => void;
}

const DEFAULT_ADOPTION_WAIT_MS = 3600_000;
/** How often an adopted job asks an agent that is offline again. */
const ADOPTION_ASK_EVERY_MS = 5000;

/** A wait in words, for a job's message: "1 hour", "20 seconds". */
function duration(ms: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (ms >= 3600_000 && ms % 3600_000 === 0) return unit(ms / 3600_000, 'hour');
  if (ms >= 60_000 && ms % 60_000 === 0) return unit(ms / 60_000, 'minute');
  return unit(Math.round(ms / 1000), 'second');
}

type Answer<K extends JobKind> = z.infer<(typeof JOB_KINDS)[K]['answer']>;
type Request<K extends JobKind> = z.infer<(typeof JOB_KINDS)[K]['request']>;

export class NatsAgent implements HostAgent {
  private readonly s: ServerSubjects;
  private readonly js: JetStreamClient;
  private manager?: Promise<JetStreamManager>;
  private streams?: Promise<void>;
  private unsealedSaid = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: NatsAgentOptions,
  ) {
    this.s = opts.subjects ?? serverSubjects(opts.serverId);
    this.js = jetstream(nc);
  }

  /**
   * Makes (or brings up to date) the server's jobs stream and the agent's consumer, and the
   * events stream: the controller owns JetStream's configuration, the agent may only read its own
   * consumer. Called before the first job; safe to call again.
   */
  ensureStreams(): Promise<void> {
    this.streams ??= (async () => {
      const jsm = await this.jsm();
      for (const [stream, config] of [
        [this.s.jobsStream, jobsStreamConfig(this.s)],
        [EVENTS_STREAM, eventsStreamConfig()],
      ] as const) {
        const exists = await jsm.streams.info(stream).then(
          () => true,
          () => false,
        );
        if (exists) await jsm.streams.update(stream, config);
        else await jsm.streams.add(config);
      }
      await jsm.consumers.add(
        this.s.jobsStream,
        jobsConsumerConfig(this.s, { ackWaitMs: this.opts.ackWaitMs }),
      );
    })().catch((error: unknown) => {
      this.streams = undefined;
      throw this.transportFailure(error);
    });
    return this.streams;
  }

  backup(request: p.BackupRequest, ctx?: RunContext) {
    return this.job('backup', `backup-${request.jobId}-${request.customer.id}`, request, ctx);
  }

  drill(request: p.DrillRequest, ctx?: RunContext) {
    return this.job('drill', `drill-${request.jobId}`, request, ctx);
  }

  maintain(request: p.MaintainRequest, ctx?: RunContext) {
    // One job may maintain several repositories (a customer's purge: one per target), each a
    // delivery of its own: the repository is part of the id JetStream deduplicates by.
    return this.job(
      'maintain',
      `maintain-${request.jobId}-${request.task}-${request.repository.repositoryId}`,
      request,
      ctx,
    );
  }

  restore(request: p.RestoreRequest, ctx?: RunContext) {
    return this.job('restore', `restore-${request.jobId}`, request, ctx);
  }

  // Not a job of the store: a fresh id, run once all the same (and never known to an agent
  // before, so an adopted job sends it anew).
  forget(request: p.ForgetRequest, ctx?: RunContext) {
    return this.job('forget', `forget-${randomUUID()}`, request, ctx, { fresh: true });
  }

  sweepCertificates(request: p.SweepCertificatesRequest) {
    return this.job('sweepCertificates', `sweep-${randomUUID()}`, request, undefined, {
      fresh: true,
    });
  }

  /**
   * Maintenance on the fleet's vault (an instance made with `subjects: vaultSubjects()`): durable
   * like any job, so one queued while the vault is offline runs when it returns.
   */
  vault(request: VaultRequest, ctx?: RunContext) {
    const id =
      request.jobId === undefined
        ? `vault-${request.task.task}-${randomUUID()}`
        : `vault-${request.jobId}-${request.task.task}-${createHash('sha256').update(request.repository.url).digest('hex').slice(0, 16)}`;
    return this.job('vault', id, request, ctx, { fresh: request.jobId === undefined });
  }

  restorePreview(request: p.RestorePreviewRequest) {
    return this.rpc(
      'restore-preview',
      plain('restorePreview', p.restorePreviewRequestSchema, request),
      p.restorePreviewAnswerSchema,
    );
  }

  testConnection(request: p.TestConnectionRequest) {
    return this.rpc(
      'test-connection',
      plain('testConnection', p.testConnectionRequestSchema, request),
      p.testConnectionAnswerSchema,
    );
  }

  readonly browse = {
    open: (request: p.BrowseOpenRequest) =>
      this.rpc(
        'browse',
        { op: 'open', request: plain('browse.open', p.browseOpenRequestSchema, request) },
        p.browseOpenAnswerSchema,
      ),
    list: (request: p.BrowseListRequest) =>
      this.rpc(
        'browse',
        { op: 'list', request: plain('browse.list', p.browseListRequestSchema, request) },
        p.browseListAnswerSchema,
      ),
    stat: (request: p.BrowseStatRequest) =>
      this.rpc(
        'browse',
        { op: 'stat', request: plain('browse.stat', p.browseStatRequestSchema, request) },
        p.browseStatAnswerSchema,
      ),
    search: (request: p.BrowseSearchRequest) =>
      this.rpc(
        'browse',
        { op: 'search', request: plain('browse.search', p.browseSearchRequestSchema, request) },
        p.browseSearchAnswerSchema,
      ),
  };

  /**
   * The agent recovers at its own start, before it takes any job (recovering on a controller's
   * request while restores run would undo them): this asks what it found then.
   */
  recover(request: p.RecoverRequest) {
    return this.rpc(
      'recover',
      plain('recover', p.recoverRequestSchema, request),
      p.recoverAnswerSchema,
    );
  }

  facts() {
    return this.rpc('facts', {}, p.factsSchema);
  }

  async download(request: p.DownloadRequest, ctx: RunContext = {}): Promise<Download> {
    const crossed = plain('download', p.downloadRequestSchema, request);
    const started = await this.rpc(
      'download',
      { op: 'start', request: crossed },
      downloadStartedSchema,
    );
    const { streamId } = started;
    const subject = this.s.rpc('download');
    const next = () =>
      this.nc.request(subject, JSON.stringify({ op: 'next', streamId }), {
        timeout: this.rpcTimeout(),
      });
    const close = () => {
      // Not awaited: a reader that stops early must not wait for the agent.
      try {
        this.nc.publish(subject, JSON.stringify({ op: 'close', streamId }));
      } catch {
        // The connection is gone: the agent ends the stream itself after its idle time.
      }
    };
    const failure = (error: unknown) => this.transportFailure(error);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      let ended = false;
      try {
        for (;;) {
          if (ctx.signal?.aborted)
            throw new AgentError({ code: 'canceled', message: 'The download was canceled.' });
          const reply = await next().catch((error: unknown) => {
            throw failure(error);
          });
          const kind = reply.headers?.get(CHUNK_HEADER);
          if (kind === 'data') {
            // A copy: the client may reuse the buffer the message arrived in.
            yield new Uint8Array(reply.data);
          } else if (kind === 'end') {
            ended = true;
            return;
          } else if (kind === 'failure') {
            ended = true;
            throw new AgentError(received('download failure', p.agentFailureSchema, jsonOf(reply)));
          } else {
            throw new AgentError({
              code: 'failed',
              message: 'The agent sent a download chunk this controller does not understand.',
            });
          }
        }
      } finally {
        if (!ended) close();
      }
    }
    return { meta: started.meta, chunks: chunks() };
  }

  /**
   * Dispatches one job and waits for its outcome, passing its events on as they arrive. In a job
   * adopted from a controller that died (src/agent/adoption.ts), the agent is first asked what
   * became of the job's first dispatch id: one it ran or runs is followed (not sent again), one
   * it never took fails the job (and is refused should it still arrive).
   */
  private async job<K extends JobKind>(
    kind: K,
    id: string,
    request: Request<K>,
    ctx: RunContext | undefined,
    opts: { fresh?: boolean } = {},
  ): Promise<Answer<K>> {
    const schemas = JOB_KINDS[kind];
    const crossed = plain(kind, schemas.request as unknown as z.ZodType<Request<K>>, request);
    const dispatch = await this.sealedOrPlain(
      (key, agent) => ({
        id,
        kind,
        sealed: sealFor(key, agent, jobPurpose(this.s.server, id, kind), crossed),
      }),
      { id, kind, request: crossed },
    );
    if (ctx?.signal?.aborted)
      throw new AgentError({ code: 'canceled', message: 'The job was canceled.' });
    const adoption = currentAdoption();
    const detached = currentDetach();
    await this.ensureStreams();
    const jsm = await this.jsm();
    const consumerConfig = jobEventsConsumerConfig(this.s, id);
    let messages: ConsumerMessages;
    try {
      // Adopted: the events consumer of the controller that ran the job is made anew, so a reader
      // still holding it (a controller that lost its lease but lives) gets nothing more, and what
      // it was handed unacknowledged comes here at once rather than after the ack wait.
      if (adoption && !opts.fresh)
        await jsm.consumers.delete(EVENTS_STREAM, consumerConfig.durable_name).catch(() => false);
      await jsm.consumers.add(EVENTS_STREAM, consumerConfig);
      const consumer = await this.js.consumers.get(EVENTS_STREAM, consumerConfig.durable_name);
      messages = await consumer.consume({ max_messages: 64 });
    } catch (error) {
      throw this.transportFailure(error);
    }
    let onAbort: (() => void) | undefined;
    let onDetach: (() => void) | undefined;
    let reask: NodeJS.Timeout | undefined;
    try {
      // Asked once the events consumer exists: an outcome published again reaches it. Once the
      // agent knew a call of the job, the later ones are sent as usual: the agent's record runs
      // each id at most once, and answers one it had again with its outcome.
      const follow =
        adoption && !opts.fresh && !adoption.followed
          ? await this.adoptedStateOnceHeard(id, ctx, detached)
          : undefined;
      if (follow === 'unknown')
        throw new AgentError({
          code: 'failed',
          message:
            `The controller running this job stopped, and the agent of server "${this.s.server}" ` +
            'has no record of it: it was not run.',
        });
      if (adoption && (follow === 'running' || follow === 'done')) {
        adoption.followed = true;
        // Asked again now and then: an outcome a controller that lost the job read and
        // acknowledged is published once more (the agent keeps it, src/fleet/job-record.ts).
        reask = setInterval(() => void this.adoptedState(id).catch(() => undefined), 15_000);
        reask.unref();
      }
      const outcome = new Promise<Answer<K>>((resolve, reject) => {
        void (async () => {
          for await (const m of messages) {
            const message = received(`${kind} message`, jobMessageSchema, jsonOf(m));
            m.ack();
            if (message.type === 'event') ctx?.onEvent?.(message.event);
            else if (message.type === 'failure') return reject(new AgentError(message.failure));
            else
              return resolve(
                received(
                  `${kind} answer`,
                  schemas.answer as unknown as z.ZodType<Answer<K>>,
                  message.answer,
                ),
              );
          }
          reject(
            new AgentError({
              code: 'unreachable',
              message: `The connection to the fleet closed before the agent of server "${this.s.server}" answered.`,
            }),
          );
        })().catch(reject);
      });
      // Followed, the job is not sent again; its place in the queue is unknown here (a cancel
      // then goes to the agent only).
      let seq: number | undefined;
      if (follow !== 'running' && follow !== 'done') {
        try {
          const ack = await this.js.publish(this.s.jobs, JSON.stringify(dispatch), { msgID: id });
          seq = ack.seq;
        } catch (error) {
          throw this.transportFailure(error);
        }
      }
      const canceled = new Promise<never>((_resolve, reject) => {
        onAbort = () =>
          void this.cancel(id, seq).then(
            (gone) =>
              gone &&
              reject(
                new AgentError({
                  code: 'canceled',
                  message: 'The job was canceled before the agent took it.',
                }),
              ),
            (error: unknown) => this.opts.log?.(`cancel of ${id}: ${String(error)}`),
          );
        ctx?.signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (ctx?.signal?.aborted) onAbort?.();
      // Another controller adopted the job: stop reading its events, cancel nothing.
      const letGo = new Promise<never>((_resolve, reject) => {
        onDetach = () =>
          reject(
            new AgentError({
              code: 'failed',
              message: 'Another controller took this job over; this one follows it no further.',
            }),
          );
        detached?.addEventListener('abort', onDetach, { once: true });
      });
      if (detached?.aborted) onDetach?.();
      return await Promise.race([outcome, canceled, letGo]);
    } finally {
      clearInterval(reask);
      if (onAbort) ctx?.signal?.removeEventListener('abort', onAbort);
      if (onDetach) detached?.removeEventListener('abort', onDetach);
      messages.stop();
      // The events consumer is the adopter's now when this controller let go.
      if (!detached?.aborted)
        await jsm.consumers.delete(EVENTS_STREAM, consumerConfig.durable_name).catch(() => false);
    }
  }

  /**
   * Asks the agent to cancel the job. True when the job will never run because it was taken out
   * of the queue here (no agent answered); otherwise the agent's failure `canceled` (or the
   * answer, if it had finished) ends the wait.
   */
  private async cancel(id: string, seq: number | undefined): Promise<boolean> {
    try {
      const reply = await this.nc.request(this.s.rpc('cancel'), JSON.stringify({ id }), {
        timeout: this.opts.cancelTimeoutMs ?? 5000,
      });
      const answer = received('cancel', rpcReplySchema, jsonOf(reply));
      if (answer.ok) received('cancel answer', cancelAnswerSchema, answer.answer);
      return false;
    } catch (error) {
      if (!(error instanceof AgentError)) {
        // No agent answered: the job may still be queued, or held by an agent that died.
        if (seq === undefined) return false;
        const jsm = await this.jsm();
        return await jsm.streams.deleteMessage(this.s.jobsStream, seq).catch(() => false);
      }
      throw error;
    }
  }

  private async rpc<T>(method: RpcMethod, body: unknown, schema: z.ZodType<T>): Promise<T> {
    if (SEALED_METHODS.includes(method))
      body = await this.sealedOrPlain(
        (key, agent) => ({ sealed: sealFor(key, agent, rpcPurpose(this.s.server, method), body) }),
        body,
      );
    let reply;
    try {
      reply = await this.nc.request(this.s.rpc(method), JSON.stringify(body), {
        timeout: this.rpcTimeout(),
      });
    } catch (error) {
      throw this.transportFailure(error);
    }
    const answer = received(`${method} reply`, rpcReplySchema, jsonOf(reply));
    if (!answer.ok) throw new AgentError(answer.failure);
    return received(`${method} answer`, schema, answer.answer);
  }

  /**
   * `sealed` made with the controller's key and the agent's, or `plain` when the agent has no
   * curve key on record (said once in the log: the Servers page shows it too).
   */
  private async sealedOrPlain(
    sealed: (key: KeyPair, agent: string) => unknown,
    plainBody: unknown,
  ): Promise<unknown> {
    const sealing = this.opts.sealing;
    if (!sealing) return plainBody;
    let key: KeyPair;
    let agent: string | null | undefined;
    try {
      agent = await sealing.agentKey(this.s.server);
      key = await sealing.controllerKey();
    } catch (error) {
      throw new AgentError({
        code: 'failed',
        message: `The sealing key of server "${this.s.server}" could not be read.`,
        detail: error instanceof Error ? error.message : String(error),
      });
    }
    if (!agent) {
      if (!this.unsealedSaid)
        this.opts.log?.(
          `requests to server ${this.s.server} go unsealed: its agent has no curve key on record (enrolled before requests were sealed); enroll it again`,
        );
      this.unsealedSaid = true;
      return plainBody;
    }
    return sealed(key, agent);
  }

  /**
   * adoptedState, waiting for an agent that is not connected: the job stays running (and owned
   * here) and the agent is asked again every few seconds until it returns, so a job it ran, or
   * finished while no controller listened, gets its real outcome. Bounded (adoptionWaitMs): an
   * agent gone for good fails the job with a message that says so. Cancel and a takeover by
   * another controller end the wait.
   */
  private async adoptedStateOnceHeard(
    id: string,
    ctx: RunContext | undefined,
    detached: AbortSignal | undefined,
  ): Promise<'running' | 'done' | 'unknown'> {
    const limitMs = this.opts.adoptionWaitMs ?? DEFAULT_ADOPTION_WAIT_MS;
    const since = Date.now();
    let told = false;
    for (;;) {
      try {
        return await this.adoptedState(id);
      } catch (error) {
        const absent =
          error instanceof AgentError && (error.code === 'unreachable' || error.code === 'timeout');
        if (!absent) throw error;
        const waited = Date.now() - since;
        if (waited >= limitMs)
          throw new AgentError({
            code: 'failed',
            message:
              `The controller running this job stopped, and the agent of server "${this.s.server}" ` +
              `did not answer for ${duration(limitMs)} after: what became of the job is not known. ` +
              'Look at the server, then run the job again if it is needed.',
          });
        if (!told)
          ctx?.onEvent?.({
            kind: 'log',
            line: `The agent of server "${this.s.server}" is offline: the job waits up to ${duration(limitMs)} for it to return and say what became of it.`,
          });
        told = true;
        const stop = [ctx?.signal, detached].filter((s): s is AbortSignal => s !== undefined);
        await sleep(Math.min(ADOPTION_ASK_EVERY_MS, limitMs - waited), undefined, {
          ...(stop.length > 0 ? { signal: AbortSignal.any(stop) } : {}),
        }).catch(() => undefined);
        if (ctx?.signal?.aborted)
          throw new AgentError({ code: 'canceled', message: 'The job was canceled.' });
        if (detached?.aborted)
          throw new AgentError({
            code: 'failed',
            message: 'Another controller took this job over; this one follows it no further.',
          });
      }
    }
  }

  /** What the agent knows of a dispatch id, for a job adopted from a controller that died. */
  private async adoptedState(id: string): Promise<'running' | 'done' | 'unknown'> {
    const answer = await this.rpc('adopt', { id }, adoptAnswerSchema);
    return answer.state;
  }

  private rpcTimeout(): number {
    return this.opts.rpcTimeoutMs ?? 110_000;
  }

  private jsm(): Promise<JetStreamManager> {
    this.manager ??= jetstreamManager(this.nc).catch((error: unknown) => {
      this.manager = undefined;
      throw error;
    });
    return this.manager;
  }

  /** NATS's own errors in the words of the control plane. */
  private transportFailure(error: unknown): AgentError {
    if (error instanceof AgentError) return error;
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
    const server = this.s.server;
    // The fleet's vault has no server name to say.
    const who = this.opts.subjects ? "The fleet's vault" : `The agent of server "${server}"`;
    if (
      error instanceof NoRespondersError ||
      cause instanceof NoRespondersError ||
      (error instanceof RequestError && error.isNoResponders())
    )
      return new AgentError({
        code: 'unreachable',
        message: `${who} is not connected.`,
      });
    if (error instanceof TimeoutError || cause instanceof TimeoutError)
      return new AgentError({
        code: 'timeout',
        message: `${who} did not answer in time.`,
      });
    return new AgentError({
      code: 'unreachable',
      message: `The fleet's message server could not be used to reach server "${server}".`,
      detail: error instanceof Error ? error.message : String(error),
    });
  }
}

/** A request as it will arrive: through JSON and its schema, so what is not plain data fails here. */
function plain<T>(what: string, schema: z.ZodType<T>, value: T): T {
  const parsed = schema.safeParse(JSON.parse(JSON.stringify(value)));
  if (!parsed.success)
    throw new AgentError({
      code: 'failed',
      message: `The ${what} request is not plain protocol data.`,
      detail: parsed.error.message,
    });
  return parsed.data;
}

/** A message from the agent, checked against its schema. */
function received<T>(what: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new AgentError({
      code: 'failed',
      message: `The agent sent a ${what} this controller does not understand.`,
      detail: parsed.error.message,
    });
  return parsed.data;
}
