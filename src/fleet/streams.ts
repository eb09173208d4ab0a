// JetStream streams and consumers of the fleet, as the controller creates them. Their names come
// from subjects.ts, which the permissions in nats-config.ts are built from too.
import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import {
  EVENTS_STREAM,
  EVENTS_STREAM_SUBJECTS,
  serverSubjects,
  type ServerSubjects,
} from './subjects.js';

/** A server by id, or by its subjects (the fleet's vault has no server id). */
const subjectsOf = (server: string | ServerSubjects): ServerSubjects =>
  typeof server === 'string' ? serverSubjects(server) : server;

/**
 * A server's jobs: a work queue on disk, so a job waits while the agent is offline and survives a
 * restart of nats-server; a message leaves the stream once the agent acks it. The controller
 * publishes each job with its id as `Nats-Msg-Id`, so a controller that retries a publish after a
 * crash does not enqueue the job twice within the duplicate window.
 */
export function jobsStreamConfig(
  serverId: string | ServerSubjects,
): Partial<StreamConfig> & { name: string } {
  const s = subjectsOf(serverId);
  return {
    name: s.jobsStream,
    subjects: [s.jobs],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(10 * 60_000),
  };
}

/**
 * The agent's durable pull consumer. Explicit acks: a job the agent took but never acked (it died
 * mid-run) is delivered again after `ackWaitMs`; the agent refuses a job id it has run or is
 * running, so "at least once" here becomes "at most once" in effect. A running agent extends the
 * wait with "working" acks while restic runs.
 */
export function jobsConsumerConfig(
  serverId: string | ServerSubjects,
  opts: { ackWaitMs?: number } = {},
): Partial<ConsumerConfig> & { durable_name: string } {
  const s = subjectsOf(serverId);
  return {
    durable_name: s.jobsConsumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(opts.ackWaitMs ?? 60_000),
    filter_subject: s.jobs,
  };
}

/**
 * Every server's progress, log and results, kept until the controller waiting for that job has
 * read and acked them. A job's messages whose controller went away (it stopped mid-job, and marks
 * the job interrupted at its next start) expire after a week instead of staying for ever.
 */
export function eventsStreamConfig(): Partial<StreamConfig> & { name: string } {
  return {
    name: EVENTS_STREAM,
    subjects: EVENTS_STREAM_SUBJECTS,
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    max_age: nanos(7 * 24 * 3600_000),
  };
}

/**
 * The consumer of one job's events, made by the controller that dispatched the job before it
 * publishes it. Durable, so events published while the controller reconnects wait for it;
 * filtered to the job's subject, so it never overlaps another (a work-queue stream allows
 * several consumers only when their subjects do not overlap). Removed when the job has ended; one
 * left by a controller that died goes after an hour without a reader.
 */
export function jobEventsConsumerConfig(
  serverId: string | ServerSubjects,
  dispatchId: string,
): Partial<ConsumerConfig> & { durable_name: string } {
  const s = subjectsOf(serverId);
  return {
    durable_name: s.eventsConsumer(dispatchId),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    filter_subject: s.events(dispatchId),
    inactive_threshold: nanos(3600_000),
  };
}
