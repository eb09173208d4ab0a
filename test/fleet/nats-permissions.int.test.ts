// The fleet's NATS permissions on a real nats-server (TLS with a private CA, nkey users, the
// configuration src/fleet/nats-config.ts generates): agent web1 gets its own jobs and nothing of
// web2's. Every refusal asserted here is the server's: a `-ERR 'Permissions Violation …'` the
// client received (the client library checks no permissions itself) and the matching line in
// nats-server's log.
//   node --import tsx --test --test-reporter=spec test/fleet/nats-permissions.int.test.ts
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  jetstream,
  jetstreamManager,
  type Consumer,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { createUser } from '@nats-io/nkeys';
import {
  connect,
  createInbox,
  nkeyAuthenticator,
  PermissionViolationError,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { EVENTS_STREAM, serverSubjects } from '../../src/fleet/subjects.js';
import {
  eventsStreamConfig,
  jobsConsumerConfig,
  jobsStreamConfig,
} from '../../src/fleet/streams.js';
import { startNatsServer, type NatsTestServer } from '../support/nats-server.js';

const web1 = serverSubjects('web1');
const web2 = serverSubjects('web2');
const ACK_WAIT_MS = 1500;

const jobBody = (id: string): string => JSON.stringify({ jobId: id, kind: 'backup' });
const jobIds = (msgs: JsMsg[]): string[] => msgs.map((m) => (m.json() as { jobId: string }).jobId);

/** Jobs pulled within `expires` ms (or once `max` arrived); unacked until the caller acks them. */
async function fetchJobs(consumer: Consumer, expires = 1000, max = 10): Promise<JsMsg[]> {
  const out: JsMsg[] = [];
  for await (const m of await consumer.fetch({ max_messages: max, expires })) out.push(m);
  return out;
}

/** Permission errors the server sent on this connection, as the client received them. */
function watchRefusals(nc: NatsConnection): PermissionViolationError[] {
  const seen: PermissionViolationError[] = [];
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'error' && s.error instanceof PermissionViolationError) seen.push(s.error);
    }
  })();
  return seen;
}

/**
 * How a subscription ended within `ms`: the server's refusal closes it with the error; one the
 * server allowed stays open, which resolves as 'still open' instead of hanging the suite.
 */
async function closedWithin(sub: Subscription, ms = 3000): Promise<void | Error | 'still open'> {
  let timer: NodeJS.Timeout | undefined;
  const open = new Promise<'still open'>((resolve) => {
    timer = setTimeout(() => resolve('still open'), ms);
  });
  try {
    return await Promise.race([sub.closed, open]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves at the connection's next status event of `type` (e.g. `reconnect`). */
function waitForStatus(nc: NatsConnection, type: string, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "${type}" status within ${timeoutMs} ms`)),
      timeoutMs,
    );
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === type) {
          clearTimeout(timer);
          resolve();
          return;
        }
      }
    })();
  });
}

/** The server's refusal, as the client reports it: directly, or as the cause of a failed request. */
function isRefusal(e: unknown, subject: string): boolean {
  const pv = e instanceof PermissionViolationError ? e : (e as Error).cause;
  return (
    pv instanceof PermissionViolationError && pv.operation === 'publish' && pv.subject === subject
  );
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe(
  "fleet over NATS: each agent may use only its own server's subjects",
  { timeout: 90_000 },
  () => {
    let nats: NatsTestServer;
    let controller: NatsConnection;
    let jsm: JetStreamManager;
    let agent1: NatsConnection;
    let refusals1: PermissionViolationError[];
    const open: NatsConnection[] = [];

    /** Connects as `name`, closed after the suite whatever happens. */
    const agent = async (name: string): Promise<NatsConnection> => {
      const nc = await nats.connect(name, { reconnect: false });
      open.push(nc);
      return nc;
    };

    /**
     * The server refused `operation` on `subject` for agent web1: the client got the server's error
     * and nats-server logged the violation for web1's key.
     */
    const assertRefused = async (
      operation: 'publish' | 'subscription',
      subject: string,
    ): Promise<void> => {
      const deadline = Date.now() + 3000;
      while (!refusals1.some((e) => e.operation === operation && e.subject === subject)) {
        assert.ok(Date.now() < deadline, `no ${operation} refusal for ${subject} reached web1`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const kind = operation === 'publish' ? 'Publish' : 'Subscription';
      const line = await nats.waitForLog(
        new RegExp(
          `${kind} Violation.*${escape(nats.identity('web1').publicKey)}.*"${escape(subject)}"`,
        ),
      );
      assert.match(line, /\[ERR\]/);
    };

    before(async () => {
      nats = await startNatsServer({ servers: ['web1', 'web2'] });
      // Reconnects quickly after the restart below (the defaults wait 2 s plus up to 1 s for TLS).
      controller = await nats.connect('controller', {
        reconnectTimeWait: 200,
        reconnectJitterTLS: 100,
      });
      jsm = await jetstreamManager(controller);
      for (const server of ['web1', 'web2']) {
        await jsm.streams.add(jobsStreamConfig(server));
        await jsm.consumers.add(
          serverSubjects(server).jobsStream,
          jobsConsumerConfig(server, { ackWaitMs: ACK_WAIT_MS }),
        );
      }
      await jsm.streams.add(eventsStreamConfig());
    });

    after(async () => {
      for (const nc of [...open, controller]) await nc?.close().catch(() => undefined);
      await nats?.stop();
    });

    it('delivers the job the controller enqueued for web1 to web1, and only that one', async () => {
      const js = jetstream(controller);
      await js.publish(web1.jobs, jobBody('job-w1-a'), { msgID: 'job-w1-a' });
      await js.publish(web2.jobs, jobBody('job-w2-a'), { msgID: 'job-w2-a' });

      agent1 = await agent('web1');
      refusals1 = watchRefusals(agent1);
      const jobs = await fetchJobs(
        await jetstream(agent1).consumers.get(web1.jobsStream, web1.jobsConsumer),
      );
      assert.deepEqual(jobIds(jobs), ['job-w1-a']);
      for (const m of jobs) await m.ackAck();
      assert.equal(refusals1.length, 0, 'web1 using its own jobs was refused');
    });

    it("refuses web1 reading web2's jobs through any JetStream API", async () => {
      const stream = web2.jobsStream;
      // The consumer's info, which consumers.get() reads first.
      await assert.rejects(jetstream(agent1).consumers.get(stream, web2.jobsConsumer), (e: Error) =>
        /Permissions Violation/.test(e.message),
      );
      await assertRefused('publish', `$JS.API.CONSUMER.INFO.${stream}.${web2.jobsConsumer}`);

      // Pulling from web2's consumer, making a consumer of its own on web2's stream, reading a stored
      // message directly, purging the stream: each request is refused before JetStream sees it.
      const attempts: [string, unknown][] = [
        [`$JS.API.CONSUMER.MSG.NEXT.${stream}.${web2.jobsConsumer}`, { batch: 1, expires: 5e8 }],
        [
          `$JS.API.CONSUMER.CREATE.${stream}.thief`,
          { stream_name: stream, config: { name: 'thief' } },
        ],
        [
          `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.thief`,
          { stream_name: stream, config: { durable_name: 'thief' } },
        ],
        [`$JS.API.STREAM.MSG.GET.${stream}`, { seq: 1 }],
        [`$JS.API.DIRECT.GET.${stream}`, { seq: 1 }],
        [`$JS.API.STREAM.PURGE.${stream}`, {}],
        [`$JS.API.STREAM.INFO.${stream}`, {}],
      ];
      for (const [subject, body] of attempts) {
        await assert.rejects(
          agent1.request(subject, JSON.stringify(body), { timeout: 2000 }),
          (e) => isRefusal(e, subject),
          subject,
        );
        await assertRefused('publish', subject);
      }
      // Acking (dropping) web2's job with a forged ack subject.
      const forgedAck = `$JS.ACK.${stream}.${web2.jobsConsumer}.1.1.1.0.0`;
      agent1.publish(forgedAck, '+ACK');
      await assertRefused('publish', forgedAck);

      const info = await jsm.consumers.info(stream, web2.jobsConsumer);
      assert.equal(info.num_pending, 1, "web2's job is still waiting for web2");
      assert.equal(info.num_ack_pending, 0);
    });

    it("refuses web1 subscribing to web2's subjects or to other clients' inboxes", async () => {
      for (const subject of [
        'hv.web2.>',
        web2.jobs,
        web2.eventsAll,
        web2.inboxAll,
        '_INBOX.>',
        '>',
      ]) {
        const sub = agent1.subscribe(subject);
        const closed = await closedWithin(sub);
        assert.ok(
          closed instanceof PermissionViolationError,
          `subscription to ${subject} not refused`,
        );
        assert.equal(closed.operation, 'subscription');
        await assertRefused('subscription', subject);
      }
    });

    it("refuses web1 publishing web2's events or presence; web1's own reach the controller", async () => {
      const seenByController: Msg[] = [];
      const watch = controller.subscribe('hv.*.presence', {
        callback: (_e, m) => void seenByController.push(m),
      });
      const watchEvents = controller.subscribe('hv.*.events.*', {
        callback: (_e, m) => void seenByController.push(m),
      });
      await controller.flush();

      agent1.publish(web2.events('job-w2-a'), JSON.stringify({ state: 'successful' }));
      await assertRefused('publish', web2.events('job-w2-a'));
      agent1.publish(web2.presence, JSON.stringify({ online: true }));
      await assertRefused('publish', web2.presence);
      // Through JetStream (the way results are published) the store is refused too.
      await assert.rejects(
        jetstream(agent1).publish(web2.events('job-w2-a'), 'forged'),
        (e: Error) => /Permissions Violation/.test(e.message),
      );

      const ack = await jetstream(agent1).publish(
        web1.events('job-w1-a'),
        JSON.stringify({ state: 'successful' }),
      );
      assert.equal(ack.stream, EVENTS_STREAM);
      agent1.publish(web1.presence, JSON.stringify({ online: true }));
      await agent1.flush();
      await controller.flush();
      await new Promise((r) => setTimeout(r, 100));
      watch.unsubscribe();
      watchEvents.unsubscribe();

      assert.deepEqual(
        seenByController.map((m) => m.subject).sort(),
        [web1.events('job-w1-a'), web1.presence].sort(),
      );
      const stored = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: '>' });
      assert.deepEqual(stored.state.subjects, { [web1.events('job-w1-a')]: 1 });
    });

    it("refuses web1 answering web2's RPC; web2 answers it, web1 answers its own", async () => {
      const agent2 = await agent('web2');
      agent2.subscribe(web2.rpc('browse'), {
        callback: (_e, m) => void m.respond('listing from web2'),
      });
      await agent2.flush();

      const sub = agent1.subscribe(web2.rpc('browse'));
      assert.ok((await closedWithin(sub)) instanceof PermissionViolationError);
      await assertRefused('subscription', web2.rpc('browse'));
      // Calling web2's RPC is not web1's business either.
      await assert.rejects(agent1.request(web2.rpc('browse'), '/', { timeout: 2000 }), (e) =>
        isRefusal(e, web2.rpc('browse')),
      );
      await assertRefused('publish', web2.rpc('browse'));

      // Even knowing the controller's reply subject, web1 cannot slip in an answer.
      const inbox = createInbox();
      const answers: string[] = [];
      const replies = controller.subscribe(inbox, {
        callback: (_e, m) => void answers.push(m.string()),
      });
      await controller.flush();
      agent1.publish(inbox, 'forged listing');
      await assertRefused('publish', inbox);
      controller.publish(web2.rpc('browse'), '/', { reply: inbox });
      const deadline = Date.now() + 3000;
      while (answers.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      await agent1.flush();
      await controller.flush();
      replies.unsubscribe();
      assert.deepEqual(answers, ['listing from web2']);

      // web1's own RPC works, once per request (allow_responses): a second answer is refused.
      agent1.subscribe(web1.rpc('browse'), {
        callback: (_e, m) => {
          m.respond('listing from web1');
          m.respond('second answer');
        },
      });
      await agent1.flush();
      const reply = await controller.request(web1.rpc('browse'), '/', { timeout: 2000 });
      assert.equal(reply.string(), 'listing from web1');
      await assertRefused('publish', reply.subject);

      // web2's job is still there for web2, untouched by all of the above.
      const jobs = await fetchJobs(
        await jetstream(agent2).consumers.get(web2.jobsStream, web2.jobsConsumer),
      );
      assert.deepEqual(jobIds(jobs), ['job-w2-a']);
      assert.equal(jobs[0]?.info.redelivered, false);
      for (const m of jobs) await m.ackAck();
    });

    it('refuses at TLS a client without a certificate from the fleet CA, and a key it does not know', async () => {
      const base = nats.connectOptions('web1', { reconnect: false });
      const attempts: [string, Parameters<typeof connect>[0]][] = [
        ['no client certificate', { ...base, tls: { caFile: nats.caFile } }],
        [
          'a certificate from another CA',
          { ...base, tls: { caFile: nats.caFile, ...nats.untrustedCertificate } },
        ],
      ];
      for (const [what, opts] of attempts) {
        const from = nats.log().length;
        await assert.rejects(connect(opts), Error, what);
        const line = await nats.waitForLog(/TLS handshake error/, { from });
        assert.match(line, /certificate/i, `${what}: ${line}`);
      }
      // A certificate from the CA is not enough: the nkey must be one the configuration lists.
      const from = nats.log().length;
      await assert.rejects(
        connect({ ...base, authenticator: nkeyAuthenticator(createUser().getSeed()) }),
        /Authorization Violation/i,
      );
      await nats.waitForLog(/Authorization Error|authentication error/i, { from });
    });

    it("keeps web1's jobs while it is offline, never redelivers an acked job, redelivers an unacked one", async () => {
      await agent1.close();
      const js = jetstream(controller);
      await js.publish(web1.jobs, jobBody('job-w1-offline'), { msgID: 'job-w1-offline' });
      // nats-server itself restarting must not lose it either (file storage).
      const reconnected = waitForStatus(controller, 'reconnect');
      await nats.stop({ keepData: true });
      await nats.start();
      // The controller is back before it asks JetStream anything: a request sent while the client is
      // still reconnecting was seen to time out (5 s) instead of being answered after the reconnect.
      await reconnected;

      let nc = await agent('web1');
      let jobs = await fetchJobs(
        await jetstream(nc).consumers.get(web1.jobsStream, web1.jobsConsumer),
      );
      assert.deepEqual(jobIds(jobs), ['job-w1-offline']);
      for (const m of jobs) await m.ackAck();
      await nc.close();

      nc = await agent('web1');
      let consumer = await jetstream(nc).consumers.get(web1.jobsStream, web1.jobsConsumer);
      assert.deepEqual(jobIds(await fetchJobs(consumer)), [], 'an acked job came again');
      const info = await consumer.info();
      assert.equal(info.num_pending, 0);
      assert.equal(info.num_ack_pending, 0);
      assert.equal(
        (await jsm.streams.info(web1.jobsStream)).state.messages,
        0,
        'acked job left in stream',
      );

      // A job taken and never acked (the agent died mid-run) comes back after the ack wait.
      await js.publish(web1.jobs, jobBody('job-w1-unacked'), { msgID: 'job-w1-unacked' });
      jobs = await fetchJobs(consumer);
      assert.deepEqual(jobIds(jobs), ['job-w1-unacked']);
      await nc.close();
      nc = await agent('web1');
      consumer = await jetstream(nc).consumers.get(web1.jobsStream, web1.jobsConsumer);
      // One only: waiting longer unacked would let the ack wait pass again and bring a third copy.
      jobs = await fetchJobs(consumer, ACK_WAIT_MS + 1500, 1);
      assert.deepEqual(jobIds(jobs), ['job-w1-unacked']);
      assert.equal(jobs[0]?.info.redelivered, true);
      assert.equal(jobs[0]?.info.deliveryCount, 2);
      for (const m of jobs) await m.ackAck();
    });
  },
);
