// What the controller and an agent send each other over NATS, around the agent's protocol
// (src/agent/protocol.ts): the envelope of a dispatched job, the messages on a job's events
// subject, the RPC envelopes and the agent's presence. Each side parses what it receives with
// these schemas, so a message that is not plain protocol data fails where it arrives.
import { z } from 'zod';
import * as p from '../agent/protocol.js';
import { vaultAnswerSchema, vaultRequestSchema } from './vault-protocol.js';

/**
 * The requests that run as jobs: dispatched durably through the server's JetStream work queue, so
 * one queued while the agent is offline runs when it returns. Their answers come back on the
 * job's events subject.
 */
export const JOB_KINDS = {
  backup: { request: p.backupRequestSchema, answer: p.backupAnswerSchema },
  maintain: { request: p.maintainRequestSchema, answer: p.maintainAnswerSchema },
  forget: { request: p.forgetRequestSchema, answer: p.forgetAnswerSchema },
  restore: { request: p.restoreRequestSchema, answer: p.restoreAnswerSchema },
  drill: { request: p.drillRequestSchema, answer: p.drillAnswerSchema },
  sweepCertificates: {
    request: p.sweepCertificatesRequestSchema,
    answer: p.sweepCertificatesAnswerSchema,
  },
  /** The fleet's vault only (its own subjects): maintenance with full rights on its target. */
  vault: { request: vaultRequestSchema, answer: vaultAnswerSchema },
} as const;
export type JobKind = keyof typeof JOB_KINDS;
const jobKinds = Object.keys(JOB_KINDS) as [JobKind, ...JobKind[]];

/**
 * One dispatch's id: a subject token (letters, digits, `-`, `_`). For a job of the store it is
 * derived from the job (`backup-<job>-<customer>`), so a controller that publishes it again is
 * refused by the agent instead of running it twice.
 */
export const dispatchIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,120}$/, 'A dispatch id holds only letters, digits, "-" and "_".');

/**
 * A job on `hv.<server>.jobs`: its request plain (an agent without a sealing key) or sealed to the
 * agent (src/fleet/sealing.ts), which then waits in JetStream's store with no secret readable.
 * NEVER LOG: a plain request holds secrets.
 */
export const dispatchSchema = z.strictObject({
  id: dispatchIdSchema,
  kind: z.enum(jobKinds),
  /** Checked against JOB_KINDS[kind].request by the agent before it runs anything. */
  request: z.unknown().optional(),
  /** The request sealed to the agent, bound to the server, the id and the kind. */
  sealed: z.string().optional(),
});
export type Dispatch = z.infer<typeof dispatchSchema>;

/** What the agent publishes on `hv.<server>.events.<dispatch id>`, in order. */
export const jobMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('event'), event: p.agentEventSchema }),
  /** The answer, checked against the kind's answer schema by the controller. */
  z.strictObject({ type: z.literal('answer'), answer: z.unknown() }),
  z.strictObject({ type: z.literal('failure'), failure: p.agentFailureSchema }),
]);
export type JobMessage = z.infer<typeof jobMessageSchema>;
/** The last message of a job: what the agent's record keeps to send again on a redelivery. */
export type JobOutcome = Extract<JobMessage, { type: 'answer' | 'failure' }>;

// ---- Request–reply ----

/**
 * A request–reply body sealed to the agent, bound to the server and method (browse, download's
 * start, Test connection, restore preview: the requests that carry secrets).
 */
export const sealedBodySchema = z.strictObject({ sealed: z.string() });

/** An RPC answer: the method's answer, or the failure as data. */
export const rpcReplySchema = z.union([
  z.strictObject({ ok: z.literal(true), answer: z.unknown() }),
  z.strictObject({ ok: z.literal(false), failure: p.agentFailureSchema }),
]);
export type RpcReply = z.infer<typeof rpcReplySchema>;

/** `browse`: one of its three operations. NEVER LOG: the request holds secrets. */
export const browseCallSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('open'), request: p.browseOpenRequestSchema }),
  z.strictObject({ op: z.literal('list'), request: p.browseListRequestSchema }),
  z.strictObject({ op: z.literal('stat'), request: p.browseStatRequestSchema }),
  z.strictObject({ op: z.literal('search'), request: p.browseSearchRequestSchema }),
]);

const streamId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
/**
 * `download`: start answers its meta and a stream id; each `next` answers one chunk of bytes (the
 * reader pulls, so neither side holds more than a chunk); `close` ends it early.
 */
export const downloadCallSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('start'), request: p.downloadRequestSchema }),
  z.strictObject({ op: z.literal('next'), streamId }),
  z.strictObject({ op: z.literal('close'), streamId }),
]);
export const downloadStartedSchema = z.strictObject({
  streamId,
  meta: p.downloadMetaSchema,
});
/** Header of a `next` reply: `data` (bytes in the body), `end`, or `failure` (JSON body). */
export const CHUNK_HEADER = 'Hv-Chunk';
export const CHUNK_KINDS = ['data', 'end', 'failure'] as const;

/** `cancel`: a job by dispatch id. */
export const cancelCallSchema = z.strictObject({ id: dispatchIdSchema });
export const cancelAnswerSchema = z.strictObject({
  /** canceling: it runs and was told to stop; canceled: it will be refused when it arrives. */
  state: z.enum(['canceling', 'canceled', 'finished']),
});

/**
 * `adopt`: a controller took over a job whose controller died and asks what became of it, by
 * dispatch id. running: it runs, its events follow; done: its recorded outcome was published
 * again; unknown: the agent never took it, and now refuses it if it still arrives (queued).
 */
export const adoptCallSchema = z.strictObject({ id: dispatchIdSchema });
export const adoptAnswerSchema = z.strictObject({
  state: z.enum(['running', 'done', 'unknown']),
});

// ---- Presence ----

/** The agent's heartbeat on `hv.<server>.presence`. */
export const presenceSchema = z.strictObject({
  server: z.string(),
  state: z.enum(['online', 'offline']),
  /** When the agent sent it (its clock). */
  at: z.string(),
  startedAt: z.string(),
  /** Milliseconds until the next heartbeat: three missed ones read as offline. */
  intervalMs: z.number().int().positive(),
  /** restic and MariaDB versions, free space; absent when they could not be read this time. */
  facts: p.factsSchema.optional(),
  /** Dispatch ids it is running. */
  running: z.array(dispatchIdSchema),
});
export type Presence = z.infer<typeof presenceSchema>;

/** A message's JSON body; what is not JSON reads as undefined, which no schema accepts. */
export function jsonOf(message: { json(): unknown }): unknown {
  try {
    return message.json();
  } catch {
    return undefined;
  }
}
