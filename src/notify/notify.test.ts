/**
 * Notifications against real servers on loopback: an SMTP server (smtp-server) that checks the
 * sign-in and keeps the mail, an HTTP server for the webhook. The overdue check runs on a clock
 * the test moves.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { InventoryService } from '../inventory/inventory-service.js';
import { JobStore } from '../job/job-store.js';
import { Worker } from '../job/worker.js';
import { Keyring } from '../repository/keyring.js';
import { ScheduleService } from '../schedule/schedule-service.js';
import type { Store } from '../store/index.js';
import { openTestStore } from '../../test/support/store.js';
import { EmailChannel, WebhookChannel, type Channel } from './channels.js';
import { Notifier, OVERDUE_CHECK_INTERVAL_MS, channelsFrom } from './notifier.js';
import type { NotifyEvent } from './message.js';
import { loadNotifySettings, parseSmtpUrl } from './settings.js';

const PASSWORD = 'p@ss:w0rd-Very-Secret';
const USER = 'hv@example.test';
const HOUR = 3_600_000;

class FakeClock {
  t = Date.parse('2025-03-10T12:00:00Z');
  now = (): Date => new Date(this.t);
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
}

interface Mail {
  from: string;
  to: string[];
  raw: string;
  secure: boolean;
}

/** An SMTP server that accepts USER/PASSWORD only and keeps every message. */
async function startSmtp(opts: { starttls: boolean }) {
  const mails: Mail[] = [];
  const auths: { user: string; ok: boolean; secure: boolean }[] = [];
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: !opts.starttls,
    disabledCommands: opts.starttls ? [] : ['STARTTLS'],
    logger: false,
    onAuth(auth, session, callback) {
      const ok = auth.username === USER && auth.password === PASSWORD;
      auths.push({ user: auth.username ?? '', ok, secure: session.secure });
      if (!ok) return callback(new Error('Invalid username or password'));
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    mails,
    auths,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Hook {
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP server that records each POST; `answer` decides the response (or none). */
async function startWebhook(answer: (hook: Hook) => number | 'hang' = () => 204) {
  const hooks: Hook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hook = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      hooks.push(hook);
      const status = answer(hook);
      if (status !== 'hang') res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/backup`;
  return {
    url,
    hooks,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The message with its headers unfolded and decoded, and its quoted-printable body decoded. */
function readMail(raw: string): string {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw
    .slice(0, split)
    .replace(/\r\n[ \t]+/g, ' ')
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?Q\?([^?]*)\?=/gi, (_, word: string) =>
      Buffer.from(
        word
          .replace(/_/g, ' ')
          .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
        'latin1',
      ).toString('utf8'),
    );
  const body = raw
    .slice(split + 4)
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return `${headers}\r\n\r\n${body}`;
}

let dir: string;
let store: Store;
let clock: FakeClock;
let inventory: InventoryService;
let jobs: JobStore;
let schedules: ScheduleService;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hv-notify-'));
});
after(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await store?.close();
  clock = new FakeClock();
  store = await openTestStore();
  inventory = new InventoryService({ store, now: clock.now });
  jobs = new JobStore(store, clock.now);
  schedules = new ScheduleService({
    store,
    keyring: new Keyring(randomBytes(32)),
    customers: inventory,
    jobs,
    localRepositoryDir: join(dir, 'repos'),
    now: clock.now,
  });
  await inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 3 },
    ],
    customers: [
      {
        id: 'alice',
        name: 'Alice Example',
        linuxUser: 'alice',
        uid: 2001,
        gid: 2001,
        packageId: 'basic',
        webRoot: dir,
      },
    ],
  });
});

async function dailySchedule(name = 'Nightly web') {
  return schedules.create({ role: 'admin' }, 'alice', {
    name,
    scope: 'web',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local', path: join(dir, 'repos') },
  });
}

/** A backup job of the schedule that ran and ended as given. */
async function finishedJob(scheduleId: number, status: 'successful' | 'failed', error?: string) {
  const created = await jobs.create({
    type: 'backup',
    trigger: 'schedule',
    scheduleId,
    customerId: 'alice',
    scheduleName: 'Nightly web',
    scope: 'web',
  });
  assert.ok(created.created);
  const claimed = await jobs.claimNext();
  assert.ok(claimed);
  await jobs.finish(claimed.id, { status, error });
  await schedules.recordOutcome(scheduleId, claimed.id, status);
  return claimed;
}

function notifier(channels: Channel[], log: string[], onSuccess = false) {
  return new Notifier({
    store,
    channels,
    onSuccess,
    customers: inventory,
    targets: schedules.targets,
    log: (line) => log.push(line),
    now: clock.now,
  });
}

describe('settings', () => {
  test('read the SMTP URL, its defaults and the switches', () => {
    const s = loadNotifySettings({
      HOSTVAULT_SMTP_URL: 'smtp://hv%40example.test:p%40ss%3Aw0rd@mail.example.test',
      HOSTVAULT_SMTP_FROM: 'Backups <backups@example.test>',
      HOSTVAULT_NOTIFY_EMAIL: 'ops@example.test, oncall@example.test',
      HOSTVAULT_NOTIFY_ON_SUCCESS: '1',
      HOSTVAULT_WEBHOOK_URL: 'https://hooks.example.test/x',
      HOSTVAULT_WEBHOOK_SECRET: 'shh',
    });
    assert.deepEqual(s.smtp, {
      host: 'mail.example.test',
      port: 587,
      secure: false,
      requireTls: false,
      ignoreTls: false,
      user: 'hv@example.test',
      password: 'p@ss:w0rd',
    });
    assert.deepEqual(s.to, ['ops@example.test', 'oncall@example.test']);
    assert.equal(s.onSuccess, true);
    assert.equal(s.webhookSecret, 'shh');
    assert.equal(parseSmtpUrl('smtps://relay:2465').port, 2465);
    assert.equal(parseSmtpUrl('smtps://relay').port, 465);
    assert.equal(parseSmtpUrl('smtp://relay?starttls=required').requireTls, true);
  });

  test('nothing is configured by default', () => {
    const s = loadNotifySettings({});
    assert.equal(s.smtp, undefined);
    assert.deepEqual(s.to, []);
    assert.equal(s.onSuccess, false);
    assert.match(s.from, /^hostvault@/);
    assert.deepEqual(channelsFrom(s), []);
  });

  test('a wrong URL is refused without repeating it (it holds the password)', () => {
    for (const url of [
      'http://u:secret-pw@host',
      'not a url secret-pw',
      'smtp://u:secret-pw@host?starttls=maybe',
    ]) {
      assert.throws(
        () => loadNotifySettings({ HOSTVAULT_SMTP_URL: url }),
        (error: Error) =>
          error.message.includes('HOSTVAULT_SMTP_URL') && !error.message.includes('secret-pw'),
      );
    }
    assert.throws(
      () => loadNotifySettings({ HOSTVAULT_WEBHOOK_URL: 'ftp://x' }),
      /HOSTVAULT_WEBHOOK_URL/,
    );
  });
});

describe('e-mail', () => {
  test('a failed backup sends a mail in plain words through the SMTP server, signed in', async () => {
    const smtp = await startSmtp({ starttls: false });
    const log: string[] = [];
    try {
      const settings = loadNotifySettings({
        HOSTVAULT_SMTP_URL: `smtp://${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${smtp.port}?starttls=never`,
        HOSTVAULT_SMTP_FROM: 'hostvault@panel.example.test',
        HOSTVAULT_NOTIFY_EMAIL: 'ops@example.test',
      });
      const n = notifier(channelsFrom(settings), log);
      const schedule = await dailySchedule();
      const job = await finishedJob(
        schedule.id,
        'failed',
        'Not enough disk space: needs about 3.0 GiB, 1.2 GiB free',
      );
      n.jobFinished(job, 'failed', 'ignored: the store has the outcome');
      await n.close();

      assert.deepEqual(smtp.auths, [{ user: USER, ok: true, secure: false }]);
      assert.equal(smtp.mails.length, 1);
      const mail = smtp.mails[0]!;
      assert.equal(mail.from, 'hostvault@panel.example.test');
      assert.deepEqual(mail.to, ['ops@example.test']);
      const text = readMail(mail.raw);
      assert.match(
        text,
        /^Subject: Backup failed: "Nightly web" for customer Alice Example \(alice\)/m,
      );
      assert.match(
        text,
        /What went wrong: Not enough disk space: needs about 3.0 GiB, 1.2 GiB free/,
      );
      // At alice's start minute (next-run.test.ts pins it: 18).
      assert.match(text, /Schedule: +Nightly web \(daily at 02:18 UTC, Web, local target\)/);
      assert.match(text, /Customer: +Alice Example \(alice\)/);
      assert.match(text, /Started: +2025-03-10 12:00:00 UTC/);
      assert.match(text, new RegExp(`hostvault jobs show ${job.id}`));
      assert.doesNotMatch(text, /https?:\/\//, 'no links');
      assert.deepEqual(log, []);
    } finally {
      await smtp.close();
    }
  });

  test('names stored before the control-character check add no header and no line of their own', async () => {
    const smtp = await startSmtp({ starttls: false });
    const hook = await startWebhook();
    const log: string[] = [];
    try {
      const settings = loadNotifySettings({
        HOSTVAULT_SMTP_URL: `smtp://${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${smtp.port}?starttls=never`,
        HOSTVAULT_NOTIFY_EMAIL: 'ops@example.test',
        HOSTVAULT_WEBHOOK_URL: hook.url,
      });
      const n = notifier(channelsFrom(settings), log);
      const schedule = await dailySchedule();
      // As an older version may have stored them, past today's validation.
      await store.db
        .updateTable('schedules')
        .set({ name: 'Nightly\r\nBcc: victim@example.test\r\n\r\nforged body' })
        .execute();
      await store.db.updateTable('customers').set({ name: 'Alice\u2028X-Evil: 1\u0085' }).execute();
      const job = await finishedJob(schedule.id, 'failed', 'it broke');
      n.jobFinished(job, 'failed', 'ignored');
      await n.close();

      assert.equal(smtp.mails.length, 1);
      const mail = smtp.mails[0]!;
      assert.deepEqual(mail.to, ['ops@example.test']);
      const text = readMail(mail.raw);
      assert.doesNotMatch(text, /^(Bcc|X-Evil|forged)/im, 'no line of its own, header or body');
      const subjects = text.split(/\r?\n/).filter((l) => /^Subject:/i.test(l));
      assert.deepEqual(subjects, [
        'Subject: Backup failed: "Nightly Bcc: victim@example.test forged body" for customer Alice X-Evil: 1  (alice)',
      ]);
      const summary = (JSON.parse(hook.hooks[0]!.body) as { text: string }).text;
      assert.doesNotMatch(summary, /[\r\n\u0085\u2028]/);
      assert.deepEqual(log, []);
    } finally {
      await smtp.close();
      await hook.close();
    }
  });

  test('a refused sign-in is logged without the password and never fails the caller', async () => {
    const smtp = await startSmtp({ starttls: false });
    const log: string[] = [];
    try {
      const wrong = `${PASSWORD}-wrong`;
      const channel = new EmailChannel(
        parseSmtpUrl(
          `smtp://${encodeURIComponent(USER)}:${encodeURIComponent(wrong)}@127.0.0.1:${smtp.port}?starttls=never`,
        ),
        'hostvault@panel.example.test',
        ['ops@example.test'],
      );
      const n = notifier([channel], log);
      const schedule = await dailySchedule();
      const job = await finishedJob(schedule.id, 'failed', 'boom');
      const event = await n.handleJobFinished(job, 'failed', 'boom');
      assert.equal(event?.event, 'backup.failed');
      await n.close();
      assert.equal(smtp.mails.length, 0);
      assert.equal(smtp.auths[0]?.ok, false);
      assert.equal(log.length, 1);
      assert.match(
        log[0]!,
        /^notify: backup.failed notification by e-mail to ops@example.test via 127.0.0.1:\d+ failed: /,
      );
      const all = log.join('\n');
      assert.ok(!all.includes(wrong) && !all.includes(PASSWORD), all);
      assert.ok(!all.includes(Buffer.from(`\0${USER}\0${wrong}`).toString('base64')), all);
    } finally {
      await smtp.close();
    }
  });

  test('STARTTLS: with starttls=required the mail goes only over TLS', async () => {
    const smtp = await startSmtp({ starttls: true });
    const log: string[] = [];
    try {
      const channel = new EmailChannel(
        parseSmtpUrl(
          `smtp://${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${smtp.port}?starttls=required`,
        ),
        'hostvault@panel.example.test',
        ['ops@example.test'],
        // smtp-server's built-in certificate is self-signed.
        { rejectUnauthorized: false },
      );
      const n = notifier([channel], log);
      const schedule = await dailySchedule();
      await n.handleJobFinished(await finishedJob(schedule.id, 'failed', 'boom'), 'failed');
      await n.close();
      assert.deepEqual(log, []);
      assert.deepEqual(smtp.auths, [{ user: USER, ok: true, secure: true }]);
      assert.equal(smtp.mails[0]?.secure, true);
    } finally {
      await smtp.close();
    }
  });
});

describe('webhook', () => {
  test('posts the event as JSON with a signature that verifies', async () => {
    const hook = await startWebhook();
    const log: string[] = [];
    try {
      const settings = loadNotifySettings({
        HOSTVAULT_WEBHOOK_URL: hook.url,
        HOSTVAULT_WEBHOOK_SECRET: 'webhook-secret',
      });
      const n = notifier(channelsFrom(settings), log);
      const schedule = await dailySchedule();
      const job = await finishedJob(schedule.id, 'failed', 'The repository is locked.');
      await n.handleJobFinished(job, 'failed');
      await n.close();

      assert.equal(hook.hooks.length, 1);
      const { headers, body } = hook.hooks[0]!;
      assert.equal(headers['content-type'], 'application/json');
      assert.equal(headers['x-hostvault-event'], 'backup.failed');
      const expected = `sha256=${createHmac('sha256', 'webhook-secret').update(body).digest('hex')}`;
      assert.equal(headers['x-hostvault-signature'], expected);
      const event = JSON.parse(body) as NotifyEvent;
      assert.equal(event.event, 'backup.failed');
      assert.equal(event.customerId, 'alice');
      assert.equal(event.customerName, 'Alice Example');
      assert.equal(event.job?.id, job.id);
      assert.equal(event.job?.status, 'failed');
      assert.equal(event.job?.error, 'The repository is locked.');
      assert.equal(event.schedule?.id, schedule.id);
      assert.equal(event.schedule?.name, 'Nightly web');
      assert.equal(event.schedule?.frequency, 'daily');
      assert.ok(!('target' in (event.schedule ?? {})), 'the target (credentials) is not sent');
      assert.equal(event.text, 'Backup failed: "Nightly web" for customer Alice Example (alice)');
      assert.deepEqual(log, []);
    } finally {
      await hook.close();
    }
  });

  test('success is sent only when asked for; canceled jobs never', async () => {
    const hook = await startWebhook();
    try {
      const schedule = await dailySchedule();
      const job = await finishedJob(schedule.id, 'successful');
      const quiet = notifier([new WebhookChannel(hook.url, undefined)], []);
      assert.equal(await quiet.handleJobFinished(job, 'successful'), undefined);
      assert.equal(await quiet.handleJobFinished(job, 'canceled'), undefined);
      const loud = notifier([new WebhookChannel(hook.url, undefined)], [], true);
      assert.equal((await loud.handleJobFinished(job, 'successful'))?.event, 'backup.succeeded');
      assert.equal(hook.hooks.length, 1);
      assert.equal(
        hook.hooks[0]!.headers['x-hostvault-signature'],
        undefined,
        'no secret, no signature',
      );
      assert.equal((JSON.parse(hook.hooks[0]!.body) as NotifyEvent).event, 'backup.succeeded');
    } finally {
      await hook.close();
    }
  });

  test('an error answer and a server that never answers are logged, not thrown', async () => {
    const failing = await startWebhook(() => 500);
    const hanging = await startWebhook(() => 'hang');
    const log: string[] = [];
    try {
      const n = notifier(
        [
          new WebhookChannel(
            failing.url.replace('http://', 'http://hook-user:url-secret@'),
            undefined,
          ),
          new WebhookChannel(hanging.url, 'key', 200),
        ],
        log,
      );
      const schedule = await dailySchedule();
      await n.handleJobFinished(await finishedJob(schedule.id, 'failed', 'boom'), 'failed');
      await n.close();
      assert.equal(log.length, 2);
      assert.ok(
        log.some((l) =>
          /webhook http:\/\/127.0.0.1:\d+\/hooks\/backup failed: answered 500/.test(l),
        ),
        log.join('\n'),
      );
      assert.ok(
        log.some((l) => /failed: no answer within 0.2 s/.test(l)),
        log.join('\n'),
      );
      assert.ok(!log.join('\n').includes('url-secret'));
      const basic = Buffer.from('hook-user:url-secret').toString('base64');
      assert.equal(failing.hooks[0]?.headers.authorization, `Basic ${basic}`);
    } finally {
      await failing.close();
      await hanging.close();
    }
  });

  test('the worker notifies a failed backup and a failed restore, not a failed maintenance', async () => {
    const hook = await startWebhook();
    try {
      const n = notifier([new WebhookChannel(hook.url, undefined)], []);
      const worker = new Worker({
        jobs,
        now: clock.now,
        handlers: {
          backup: () => Promise.reject(new Error('restic could not read the repository')),
          restore: () => Promise.reject(new Error('The snapshot no longer exists.')),
          maintenance: () => Promise.reject(new Error('prune failed')),
        },
        onFinished: (job, status, error) => n.jobFinished(job, status, error),
      });
      const schedule = await dailySchedule();
      await schedules.runNow({ role: 'admin' }, schedule.id);
      await jobs.create({
        type: 'restore',
        trigger: 'manual',
        customerId: 'alice',
        scheduleName: 'Restore web',
      });
      await jobs.create({ type: 'maintenance', trigger: 'system' });
      worker.start();
      await new Promise((r) => setTimeout(r, 50));
      await worker.idle();
      await worker.stop();
      await n.close();
      const events = hook.hooks.map((h) => JSON.parse(h.body) as NotifyEvent);
      assert.deepEqual(events.map((e) => e.event).sort(), ['backup.failed', 'restore.failed']);
      const restore = events.find((e) => e.event === 'restore.failed')!;
      assert.equal(restore.job?.error, 'The snapshot no longer exists.');
      assert.equal(restore.text, 'Restore failed for customer Alice Example (alice)');
    } finally {
      await hook.close();
    }
  });
});

describe('overdue schedules', () => {
  test('warn once per episode: after twice the interval without success, again after a new success lapses', async () => {
    const hook = await startWebhook();
    try {
      const created = '2025-03-10T12:00:00Z';
      clock.set(created);
      const schedule = await dailySchedule();
      await schedules.create({ role: 'admin' }, 'alice', {
        name: 'Disabled',
        scope: 'web',
        frequency: 'daily',
        retention: 3,
        enabled: false,
        target: { kind: 'local', path: join(dir, 'repos') },
      });
      const log: string[] = [];
      const n = notifier([new WebhookChannel(hook.url, undefined)], log);
      const at = (hours: number) =>
        clock.set(new Date(Date.parse(created) + hours * HOUR).toISOString());

      at(47);
      assert.deepEqual(await n.checkOverdue(), []);
      at(48);
      assert.deepEqual(await n.checkOverdue(), [], 'exactly twice the interval is not yet overdue');
      at(48.5);
      const [warning] = await n.checkOverdue();
      assert.equal(warning?.event, 'backup.overdue');
      assert.equal(warning?.schedule?.id, schedule.id);
      assert.equal(
        warning?.text,
        'Backup overdue: "Nightly web" for customer Alice Example (alice) has not succeeded for 2 days',
      );
      assert.equal(hook.hooks.length, 1);

      at(49);
      assert.deepEqual(await n.checkOverdue(), [], 'the same episode is not warned again');
      const restarted = notifier([new WebhookChannel(hook.url, undefined)], log);
      assert.deepEqual(await restarted.checkOverdue(), [], 'nor after a restart');

      // A failed run keeps it overdue; a success ends the episode.
      at(50);
      await finishedJob(schedule.id, 'failed', 'boom');
      assert.deepEqual(await n.checkOverdue(), []);
      at(51);
      await finishedJob(schedule.id, 'successful');
      assert.deepEqual(await n.checkOverdue(), []);
      const rows = await store.db.selectFrom('overdue_warnings').selectAll().execute();
      assert.deepEqual(rows, [], 'the ended episode is forgotten');

      at(51 + 48.5);
      await finishedJob(schedule.id, 'failed', 'Not enough disk space');
      const [again] = await n.checkOverdue();
      assert.equal(again?.event, 'backup.overdue');
      assert.equal(again?.job?.status, 'failed', 'the latest job comes with the warning');
      assert.equal(again?.job?.error, 'Not enough disk space');
      assert.equal(hook.hooks.length, 2);
      assert.deepEqual(
        hook.hooks.map((h) => (JSON.parse(h.body) as NotifyEvent).schedule?.name),
        ['Nightly web', 'Nightly web'],
        'the disabled schedule is never warned about',
      );
      assert.deepEqual(log, []);
    } finally {
      await hook.close();
    }
  });

  test('the overdue e-mail says since when and what the latest job said', async () => {
    const sent: NotifyEvent[] = [];
    const channel: Channel = { name: 'memory', secrets: [], send: async (e) => void sent.push(e) };
    const schedule = await dailySchedule();
    clock.set('2025-03-12T13:00:00Z');
    await finishedJob(schedule.id, 'failed', 'The FTP server refused the password.');
    const n = notifier([channel], []);
    await n.checkOverdue();
    assert.equal(sent.length, 1);
    const { bodyOf } = await import('./message.js');
    const body = bodyOf(sent[0]!);
    assert.match(body, /has not succeeded for more than 2 days/);
    assert.match(body, /Last success: +never \(schedule created 2025-03-10 12:00:00 UTC\)/);
    assert.match(body, /Latest job: +\d+, failed: The FTP server refused the password\./);
  });

  test('the check runs at start and every 15 minutes', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const n = notifier([{ name: 'memory', secrets: [], send: async () => undefined }], []);
    const check = t.mock.method(n, 'checkOverdue', async () => []);
    n.start();
    assert.equal(check.mock.callCount(), 1);
    t.mock.timers.tick(OVERDUE_CHECK_INTERVAL_MS - 1);
    assert.equal(check.mock.callCount(), 1);
    t.mock.timers.tick(1);
    assert.equal(check.mock.callCount(), 2);
    t.mock.timers.tick(OVERDUE_CHECK_INTERVAL_MS);
    assert.equal(check.mock.callCount(), 3);
    await n.close();
    t.mock.timers.tick(OVERDUE_CHECK_INTERVAL_MS);
    assert.equal(check.mock.callCount(), 3, 'stopped by close()');
  });
});
