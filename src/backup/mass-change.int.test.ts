/**
 * The mass-change guard end to end, with real restic, the real worker and a real SMTP server on
 * loopback: the demo's web root (alice's WordPress, ~2,000 files) backed up, edited as on a
 * normal day (1 % of the files), then 60 % of it encrypted in place and renamed as ransomware
 * does. The normal day is not flagged; the attack is: the job says so in History and its log,
 * provider and customer get a mail, the snapshots before it are held for 30 days and its
 * retention is withheld. 31 days later (injected clock) the holds have ended and retention
 * removes them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';
import { openApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import { planWebRoot } from '../demo/web.js';
import { syncTree } from '../demo/tree.js';
import { targetSchema } from '../target/schema.js';

let work: string;
let app: App;
let smtp: SMTPServer;
const mails: { to: string[]; raw: string }[] = [];
let clock = new Date('2026-11-28T03:00:00Z');
const now = () => clock;
const webRoot = () => join(work, 'alice/www');

async function finish(id: number) {
  for (let i = 0; i < 1200; i++) {
    const job = await app.jobs.get(id);
    if (job && !['pending', 'running'].includes(job.status)) return job;
    await sleep(100);
  }
  throw new Error(`job ${id} did not finish`);
}

/** MIME encoded words (`=?UTF-8?Q?…?=`, as nodemailer writes the subject) as plain text. */
function decodeWords(text: string): string {
  return text.replace(/\?= =\?UTF-8\?Q\?/g, '').replace(/=\?UTF-8\?Q\?(.*?)\?=/g, (_, q: string) =>
    Buffer.from(
      q
        .replace(/_/g, ' ')
        .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8'),
  );
}

/** Every file under `dir`, relative. */
function filesOf(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    return e.isDirectory() ? filesOf(dir, rel) : e.isFile() ? [rel] : [];
  });
}

/** Evenly spread picks of `share` of `files`. */
function pick(files: string[], share: number): string[] {
  const count = Math.round(files.length * share);
  const step = files.length / count;
  return Array.from({ length: count }, (_, i) => files[Math.floor(i * step)]!);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-guard-'));
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  app = await openApp(
    loadConfig({
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'master.key'),
      HOSTVAULT_SMTP_URL: `smtp://127.0.0.1:${port}?starttls=never`,
      HOSTVAULT_NOTIFY_EMAIL: 'ops@provider.test',
    }),
    { now, log: () => undefined },
  );
  const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const plan = planWebRoot({
    customer: 'alice',
    siteName: 'Bäckerei am Markt',
    domain: 'alice-bakery.example',
    owner: me,
    themes: ['twentytwentyfive'],
    plugins: ['akismet', 'contact-form-7', 'classic-editor'],
    images: 30,
    media: [],
    seed: 'guard-test',
  });
  syncTree(webRoot(), plan, { chown: false });
  await app.inventory.importInventory({
    packages: [{ id: 'p', name: 'P', frequencies: ['daily'], maxRetention: 5, maxSchedules: 5 }],
    customers: [
      {
        id: 'alice',
        name: 'Alice',
        linuxUser: 'alice',
        uid: me.uid,
        gid: me.gid,
        packageId: 'p',
        webRoot: webRoot(),
        contactEmail: 'alice@customer.test',
      },
    ],
  });
  app.worker.start();
});
after(async () => {
  await app?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

test('60 % of a web root encrypted and renamed: flagged, notified, earlier snapshots held; a normal day is not', async (t) => {
  const admin = { role: 'admin' as const };
  const repos = join(work, 'repos');
  const schedule = await app.schedules.create(admin, 'alice', {
    name: 'Web daily',
    scope: 'web',
    frequency: 'daily',
    retention: 2,
    target: { kind: 'local', path: repos },
  });
  const run = async () => {
    const job = await finish((await app.schedules.runNow(admin, schedule.id)).jobId);
    assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
    await app.notifier.idle();
    return job;
  };
  const inRestic = () =>
    app.repositories.withRepository(
      targetSchema.parse({ kind: 'local', path: repos }),
      'alice',
      (repo) => app.restic.snapshots(repo.location),
    );

  const first = await run();
  assert.equal(first.flag, null);

  // A normal day: the demo's 1 % edit (text appended to 1 % of the files).
  const files = filesOf(webRoot()).sort();
  for (const rel of pick(files, 0.01))
    writeFileSync(join(webRoot(), rel), `\n/* edited ${rel} */\n`, { flag: 'a' });
  const normal = await run();
  assert.equal(normal.flag, null, normal.log ?? '');
  assert.doesNotMatch(normal.log ?? '', /Mass-change guard/);
  assert.equal(mails.length, 0, 'a normal day sends nothing');

  // The attack: 60 % of the files overwritten with random bytes and renamed, as ransomware does.
  const victims = pick(files, 0.6);
  for (const rel of victims) {
    const path = join(webRoot(), rel);
    const size = Math.max(256, statSync(path).size);
    writeFileSync(path, randomBytes(Math.min(size, 256 * 1024)));
    renameSync(path, `${path}.locked`);
  }
  const attacked = await run();
  const log = attacked.log ?? '';
  t.diagnostic(
    log
      .split('\n')
      .filter((l) => /guard|Retention|Files:/.test(l))
      .join('\n'),
  );
  assert.equal(attacked.flag, 'mass_change');
  assert.match(
    log,
    /Mass-change guard: 60 % of the files of the previous backup were changed or deleted at once/,
  );
  assert.match(log, /read as random bytes/);
  assert.match(log, /Retention withheld: the mass-change guard flagged this backup/);

  // The snapshots before it are held for 30 days.
  const held = await app.holds.list({ customerId: 'alice' });
  assert.deepEqual(
    held.map((h) => [h.snapshotId, h.kind, h.expiresAt, h.jobId]).sort(),
    [first.snapshot_id, normal.snapshot_id]
      .map((id) => [
        id,
        'guard',
        new Date(clock.getTime() + 30 * 86_400_000).toISOString(),
        attacked.id,
      ])
      .sort(),
  );
  // Retention (2) would have forgotten the first snapshot: all three are still in restic.
  assert.equal((await inRestic()).length, 3);

  // The provider and the customer were told.
  const recipients = mails.flatMap((m) => m.to).sort();
  assert.deepEqual(recipients, ['alice@customer.test', 'ops@provider.test']);
  for (const mail of mails) {
    // Headers unfolded, body lines joined as the reader sees them.
    const split = mail.raw.indexOf('\r\n\r\n');
    const text =
      decodeWords(mail.raw.slice(0, split).replace(/\r?\n[ \t]+/g, ' ')) +
      mail.raw.slice(split).replace(/=\r?\n/g, '');
    assert.match(text, /X-Hostvault-Event: backup.mass_change/);
    assert.match(
      text,
      /Subject: Warning: backup "Web daily" for customer Alice \(alice\) found many files changed or encrypted at once/,
    );
    assert.match(text, /held for 30 days/);
    assert.match(text, /60 % of the files of the previous backup/);
  }

  // History shows the flag.
  const [summary] = await app.jobs.list({ scheduleId: schedule.id, limit: 1 });
  assert.equal(summary?.flag, 'mass_change');

  // 31 days later the holds have ended: the next backup's retention keeps the last 2 only.
  clock = new Date(clock.getTime() + 31 * 86_400_000);
  assert.deepEqual(await app.holds.list({ customerId: 'alice' }), []);
  const later = await run();
  assert.equal(later.flag, null, 'nothing changed since: not flagged');
  assert.match(later.log ?? '', /Retention: forgot 2 snapshot\(s\) beyond 2/);
  const left = (await inRestic()).map((s) => s.id);
  assert.equal(left.length, 2);
  assert.ok(!left.some((id) => id.startsWith(first.snapshot_id!)));
});
