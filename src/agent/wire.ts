/**
 * A HostAgent in front of another that makes every message cross as a network transport would
 * carry it: through JSON, then its schema (src/agent/protocol.ts). Requests, answers, events and
 * failures that are not plain data fail here instead of in a fleet; a download's chunks arrive as
 * plain byte arrays. The transport of issue 12 starts from this; tests run the whole service
 * through it.
 */
import type { z } from 'zod';
import type { Download, HostAgent, RunContext } from './agent.js';
import { AgentError, asAgentError } from './errors.js';
import * as p from './protocol.js';

export interface WireOptions {
  /** Sees every message after it crossed: what, and the message. Never log it: secrets. */
  onMessage?: (what: string, message: unknown) => void;
}

export class WireAgent implements HostAgent {
  constructor(
    private readonly inner: HostAgent,
    private readonly opts: WireOptions = {},
  ) {}

  backup(request: p.BackupRequest, ctx?: RunContext) {
    return this.call('backup', p.backupRequestSchema, p.backupAnswerSchema, request, ctx, (r, c) =>
      this.inner.backup(r, c),
    );
  }

  drill(request: p.DrillRequest, ctx?: RunContext) {
    return this.call('drill', p.drillRequestSchema, p.drillAnswerSchema, request, ctx, (r, c) =>
      this.inner.drill(r, c),
    );
  }

  maintain(request: p.MaintainRequest, ctx?: RunContext) {
    return this.call(
      'maintain',
      p.maintainRequestSchema,
      p.maintainAnswerSchema,
      request,
      ctx,
      (r, c) => this.inner.maintain(r, c),
    );
  }

  forget(request: p.ForgetRequest, ctx?: RunContext) {
    return this.call('forget', p.forgetRequestSchema, p.forgetAnswerSchema, request, ctx, (r, c) =>
      this.inner.forget(r, c),
    );
  }

  restore(request: p.RestoreRequest, ctx?: RunContext) {
    return this.call(
      'restore',
      p.restoreRequestSchema,
      p.restoreAnswerSchema,
      request,
      ctx,
      (r, c) => this.inner.restore(r, c),
    );
  }

  restorePreview(request: p.RestorePreviewRequest) {
    return this.call(
      'restorePreview',
      p.restorePreviewRequestSchema,
      p.restorePreviewAnswerSchema,
      request,
      undefined,
      (r) => this.inner.restorePreview(r),
    );
  }

  testConnection(request: p.TestConnectionRequest) {
    return this.call(
      'testConnection',
      p.testConnectionRequestSchema,
      p.testConnectionAnswerSchema,
      request,
      undefined,
      (r) => this.inner.testConnection(r),
    );
  }

  readonly browse = {
    open: (request: p.BrowseOpenRequest) =>
      this.call(
        'browse.open',
        p.browseOpenRequestSchema,
        p.browseOpenAnswerSchema,
        request,
        undefined,
        (r) => this.inner.browse.open(r),
      ),
    list: (request: p.BrowseListRequest) =>
      this.call(
        'browse.list',
        p.browseListRequestSchema,
        p.browseListAnswerSchema,
        request,
        undefined,
        (r) => this.inner.browse.list(r),
      ),
    stat: (request: p.BrowseStatRequest) =>
      this.call(
        'browse.stat',
        p.browseStatRequestSchema,
        p.browseStatAnswerSchema,
        request,
        undefined,
        (r) => this.inner.browse.stat(r),
      ),
    search: (request: p.BrowseSearchRequest) =>
      this.call(
        'browse.search',
        p.browseSearchRequestSchema,
        p.browseSearchAnswerSchema,
        request,
        undefined,
        (r) => this.inner.browse.search(r),
      ),
  };

  async download(request: p.DownloadRequest, ctx?: RunContext): Promise<Download> {
    const crossed = this.cross('download', p.downloadRequestSchema, request);
    const started = await this.fail(() => this.inner.download(crossed, this.events(ctx)));
    const meta = this.cross('download meta', p.downloadMetaSchema, started.meta);
    const fail = (error: unknown) => this.failure(error);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        // A copy of each chunk's bytes: what arrives is bytes, never the sender's Buffer.
        for await (const chunk of started.chunks) yield Uint8Array.from(chunk);
      } catch (error) {
        throw fail(error);
      }
    }
    return { meta, chunks: chunks() };
  }

  recover(request: p.RecoverRequest) {
    return this.call(
      'recover',
      p.recoverRequestSchema,
      p.recoverAnswerSchema,
      request,
      undefined,
      (r) => this.inner.recover(r),
    );
  }

  sweepCertificates(request: p.SweepCertificatesRequest) {
    return this.call(
      'sweepCertificates',
      p.sweepCertificatesRequestSchema,
      p.sweepCertificatesAnswerSchema,
      request,
      undefined,
      (r) => this.inner.sweepCertificates(r),
    );
  }

  async facts() {
    const facts = await this.fail(() => this.inner.facts());
    return this.cross('facts', p.factsSchema, facts);
  }

  private async call<Q, A>(
    what: string,
    requestSchema: z.ZodType<Q>,
    answerSchema: z.ZodType<A>,
    request: Q,
    ctx: RunContext | undefined,
    send: (request: Q, ctx: RunContext | undefined) => Promise<A>,
  ): Promise<A> {
    const crossed = this.cross(what, requestSchema, request);
    const answer = await this.fail(() => send(crossed, this.events(ctx)));
    return this.cross(`${what} answer`, answerSchema, answer);
  }

  /** The events as they would come back: each one crossed before the caller sees it. */
  private events(ctx: RunContext | undefined): RunContext | undefined {
    if (!ctx) return undefined;
    const onEvent = ctx.onEvent;
    return {
      signal: ctx.signal,
      onEvent: onEvent && ((event) => onEvent(this.cross('event', p.agentEventSchema, event))),
    };
  }

  private async fail<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.failure(error);
    }
  }

  private failure(error: unknown): AgentError {
    return new AgentError(
      this.cross('failure', p.agentFailureSchema, asAgentError(error).toFailure()),
    );
  }

  private cross<T>(what: string, schema: z.ZodType<T>, message: T): T {
    const crossed = schema.parse(JSON.parse(JSON.stringify(message)));
    this.opts.onMessage?.(what, crossed);
    return crossed;
  }
}
