/**
 * Restores keep every bit of metadata restic has: times to the nanosecond, extended attributes
 * and ACLs, sparse files as sparse, and the times of the directories around what they restore.
 * A hosting tree built for it (test/support/metadata-tree.ts) goes through a Full backup and the
 * restore job's every path: "Restore everything" (the web root replaced, the mailbox merged
 * keeping newer mail, SSL and configuration files one by one) and single files.
 *
 * With HOSTVAULT_RESTIC pointing at restic 0.15 or newer, the same runs check `restore --sparse`;
 * with Debian 12's 0.14 they check the holes punched back after staging.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import type { Customer } from '../inventory/schema.js';
import type { SnapshotRow } from '../store/index.js';
import {
  GiB,
  MiB,
  goTimeNs,
  makeMetadataTree,
  oddTime,
  readMetadata,
  readMetadataTree,
  setTimes,
  type MetaEntry,
} from '../../test/support/metadata-tree.js';
import type { RestoreRequest } from '../restore-job/restore-request.js';

const run = promisify(execFile);
const UID = 1234;
const GID = 2345;
const admin = { role: 'admin' as const };
let work: string;
let app: App;
let bob: Customer;
let full: SnapshotRow;
/** What restic recorded as each path's atime (it keeps mtime as atime; the snapshot decides). */
let atimes: Map<string, string>;
let original: {
  web: MetaEntry[];
  webRoot: MetaEntry;
  mail: MetaEntry[];
  ssl: MetaEntry;
  config: MetaEntry;
};
let timeSeed = 0;

const paths = {
  home: () => join(work, 'home'),
  web: () => join(work, 'home/bob/web'),
  mailRoot: () => join(work, 'mail'),
  maildir: () => join(work, 'mail/bob/Maildir'),
  ssl: () => join(work, 'etc/ssl/private'),
  config: () => join(work, 'etc/nginx/sites'),
};

async function waitForJob(id: number) {
  for (let i = 0; i < 3000; i++) {
    const job = await app.jobs.get(id);
    if (job && !['pending', 'running'].includes(job.status)) return job;
    await sleep(100);
  }
  throw new Error(`job ${id} did not finish`);
}

/** Until the previous content removed after the job (in the background) is gone. */
async function waitForCleanup(): Promise<void> {
  const journal = join(work, 'data/restore-journal');
  for (let i = 0; i < 600; i++) {
    if ((await readdir(journal).catch(() => [])).length === 0) return;
    await sleep(100);
  }
  throw new Error('the restore journal was not emptied');
}

async function restore(request: Partial<RestoreRequest> & { what: RestoreRequest['what'] }) {
  const created = await app.jobs.create({
    type: 'restore',
    trigger: 'manual',
    customerId: 'bob',
    params: {
      repositoryId: full.repository_id,
      snapshotId: full.id,
      request: { keepNewerMail: true, ...request },
    },
  });
  assert.ok(created.created);
  app.worker.notify();
  const job = await waitForJob(created.id);
  assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
  await waitForCleanup();
  return job;
}

/** The entry as the snapshot holds it: restic decides the atime it keeps. */
function restored(entry: MetaEntry, absolute: string): MetaEntry {
  if (entry.atime === undefined) return entry;
  const atime = atimes.get(absolute);
  assert.ok(atime, `the snapshot lists ${absolute}`);
  return { ...entry, atime };
}

/**
 * Every field of `got` that differs from `want`, as `path field: got, want`. A sparse file may
 * keep a little more than the original's few KiB (restic's --sparse skips whole zero chunks, at
 * least 512 KiB each), never its full size.
 */
function differences(got: MetaEntry | undefined, want: MetaEntry): string[] {
  if (!got) return [`${want.path}: missing`];
  const out: string[] = [];
  for (const key of new Set([...Object.keys(got), ...Object.keys(want)]) as Set<keyof MetaEntry>) {
    const [a, b] = [got[key], want[key]];
    if (key === 'blocks' && want.size > 64 * MiB && want.blocks * 512 < want.size / 100) {
      if (got.blocks * 512 > want.blocks * 512 + 4 * MiB)
        out.push(`${want.path} allocated: ${got.blocks * 512} bytes, ${want.blocks * 512} before`);
    } else if (JSON.stringify(a) !== JSON.stringify(b))
      out.push(`${want.path} ${key}: ${JSON.stringify(a)}, ${JSON.stringify(b)} before`);
  }
  return out;
}

function compareTree(got: MetaEntry[], want: MetaEntry[], root: string): string[] {
  const byPath = new Map(got.map((e) => [e.path, e]));
  return want.flatMap((entry) =>
    differences(byPath.get(entry.path), restored(entry, join(root, entry.path))),
  );
}

/** Directories the restore only passes through: their times are set apart from everything else. */
async function markParents(dirs: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const dir of dirs) {
    await setTimes(dir, oddTime(1_700_000_000 + ++timeSeed * 3_600, timeSeed));
    out.set(dir, (await readMetadata(dir)).mtime);
  }
  return out;
}

async function changedParents(marked: Map<string, string>): Promise<string[]> {
  const out: string[] = [];
  for (const [dir, mtime] of marked) {
    const now = (await readMetadata(dir)).mtime;
    if (now !== mtime) out.push(`${dir.slice(work.length)} mtime: ${now}, ${mtime} before`);
  }
  return out;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-metadata-'));
  app = await openApp(
    loadConfig({
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'master.key'),
      ...(process.env.HOSTVAULT_RESTIC ? { HOSTVAULT_RESTIC: process.env.HOSTVAULT_RESTIC } : {}),
    }),
  );
  console.log(`restic ${app.restic.version.text}`);

  // Customer-owned home and mail directories under root-owned ones, as a panel makes them.
  await mkdir(join(work, 'home/bob'), { recursive: true });
  await chown(join(work, 'home/bob'), UID, GID);
  await makeMetadataTree(paths.web(), { uid: UID, gid: GID });
  await makeMaildir(paths.maildir());
  await chown(join(work, 'mail/bob'), UID, GID);
  // SSL and configuration files sit in directories shared with other customers.
  await mkdir(paths.ssl(), { recursive: true, mode: 0o700 });
  await mkdir(paths.config(), { recursive: true });
  for (const [dir, name, body] of [
    [paths.ssl(), 'bob.key', '-----BEGIN PRIVATE KEY-----\nbob\n-----END PRIVATE KEY-----\n'],
    [paths.ssl(), 'carol.key', '-----BEGIN PRIVATE KEY-----\ncarol\n-----END PRIVATE KEY-----\n'],
    [paths.config(), 'bob.conf', 'server { server_name bob.example; }\n'],
    [paths.config(), 'carol.conf', 'server { server_name carol.example; }\n'],
  ] as const) {
    await writeFile(join(dir, name), body, { mode: 0o600 });
    await setTimes(join(dir, name), oddTime(1_620_000_000, name.length), oddTime(1_630_000_000, 7));
  }
  await run('setfattr', ['-n', 'user.issuer', '-v', 'test CA', join(paths.ssl(), 'bob.key')]);
  await run('setfacl', ['-m', 'u:33:r', join(paths.config(), 'bob.conf')]);
  await setTimes(
    join(paths.ssl(), 'bob.key'),
    oddTime(1_621_000_000, 3),
    oddTime(1_631_000_000, 4),
  );
  await setTimes(join(paths.config(), 'bob.conf'), oddTime(1_622_000_000, 5));

  await app.inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 5 },
    ],
    customers: [
      {
        id: 'bob',
        name: 'Bob',
        linuxUser: 'bob',
        uid: UID,
        gid: GID,
        packageId: 'basic',
        webRoot: paths.web(),
        mailboxes: [{ address: 'bob@example.com', maildir: paths.maildir() }],
        sslFiles: [join(paths.ssl(), 'bob.key')],
        configFiles: [join(paths.config(), 'bob.conf')],
      },
    ],
  });
  bob = (await app.inventory.getCustomer('bob'))!;
  app.worker.start();

  const schedule = await app.schedules.create(admin, 'bob', {
    name: 'Full',
    scope: 'full',
    frequency: 'daily',
    retention: 5,
    target: { kind: 'local', path: join(work, 'repos') },
  });
  original = {
    web: await readMetadataTree(paths.web()),
    webRoot: await readMetadata(paths.web()),
    mail: await readMetadataTree(paths.maildir()),
    ssl: await readMetadata(bob.sslFiles[0]!),
    config: await readMetadata(bob.configFiles[0]!),
  };
  const backup = await app.schedules.runNow(admin, schedule.id);
  const job = await waitForJob(backup.jobId);
  assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
  full = await app.store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('schedule_id', '=', schedule.id)
    .executeTakeFirstOrThrow();
  atimes = new Map();
  // restic's own listing: the engine's nodes leave atime out (the browse index has no use for it).
  await app.repositories.withRepository(
    await app.schedules.target(await app.schedules.getRow(admin, schedule.id)),
    'bob',
    async (repo) => {
      const { stdout } = await run(
        process.env.HOSTVAULT_RESTIC ?? 'restic',
        ['ls', '--json', '--no-lock', '--repo', repo.location.url, full.id],
        {
          env: { PATH: process.env.PATH, RESTIC_PASSWORD: repo.location.password },
          maxBuffer: 64 * MiB,
        },
      );
      for (const line of stdout.split('\n')) {
        const node = line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {};
        if (node.struct_type === 'node' && typeof node.atime === 'string')
          atimes.set(String(node.path), String(goTimeNs(node.atime)));
      }
    },
  );
  assert.ok(atimes.size > 20, `${atimes.size} entries listed`);
});

after(async () => {
  await app?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A Maildir with a folder, messages with odd times and one with an xattr. */
async function makeMaildir(maildir: string): Promise<void> {
  for (const sub of ['cur', 'new', 'tmp', '.Sent/cur', '.Sent/new', '.Sent/tmp'])
    await mkdir(join(maildir, sub), { recursive: true });
  const messages = [
    'cur/1001.M1.host:2,S',
    'cur/1002.M2.host:2,S',
    'cur/1003.M3.host:2,RS',
    'new/1004.M4.host',
    '.Sent/cur/1005.M5.host:2,S',
  ];
  let i = 0;
  for (const rel of messages) {
    await writeFile(join(maildir, rel), `Subject: message ${++i}\n\nbody ${i}\n`, { mode: 0o600 });
    await setTimes(
      join(maildir, rel),
      oddTime(1_640_000_000 + i * 600, i),
      oddTime(1_641_000_000, i),
    );
  }
  await run('setfattr', ['-n', 'user.flags', '-v', 'important', join(maildir, messages[0]!)]);
  await run('chown', ['-R', `${UID}:${GID}`, maildir]);
  await chmod(maildir, 0o700);
  for (const sub of ['cur', 'new', 'tmp', '.Sent/cur', '.Sent/new', '.Sent/tmp', '.Sent', ''])
    await setTimes(
      join(maildir, sub),
      oddTime(1_645_000_000, sub.length),
      oddTime(1_646_000_000, 1),
    );
}

describe('restores keep every bit of metadata', () => {
  test('"Restore everything": web root replaced, mailbox merged, SSL and configuration files, to the nanosecond', async () => {
    const web = paths.web();
    const maildir = paths.maildir();
    // Change what a customer changes: content, xattrs, ACLs, times, files gone, files added.
    await writeFile(join(web, 'index.php'), '<?php echo "defaced";\n');
    await run('setfattr', ['-x', 'user.checksum', join(web, 'a/b/c/d/deep.txt')]);
    await run('setfacl', ['-b', join(web, 'wp-config.php')]);
    await rm(join(web, 'vm/disk.img'));
    await rm(join(web, 'media/photo.jpg'));
    await writeFile(join(web, 'a/b/c/added.php'), 'new');
    await setTimes(join(web, 'a/one.txt'), oddTime(1_710_000_000, 1));
    await rm(join(maildir, 'cur/1001.M1.host:2,S'));
    await rm(join(maildir, '.Sent/cur/1005.M5.host:2,S'));
    const newer = join(maildir, 'new/2001.M9.host');
    await writeFile(newer, 'Subject: arrived after the backup\n\nhello\n', { mode: 0o600 });
    await setTimes(newer, oddTime(1_750_000_000, 9));
    const newerBefore = await readMetadata(newer);
    await writeFile(bob.sslFiles[0]!, 'replaced\n');
    await run('setfacl', ['-b', bob.configFiles[0]!]);
    const otherKey = await readMetadata(join(paths.ssl(), 'carol.key'));
    const marked = await markParents([
      join(work, 'home/bob'),
      paths.home(),
      join(work, 'mail/bob'),
      paths.mailRoot(),
      paths.ssl(),
      paths.config(),
      join(work, 'etc/ssl'),
      join(work, 'etc/nginx'),
    ]);

    await restore({ what: 'everything', keepNewerMail: true });

    // Web files (replaced): every entry as in the snapshot, the web root itself too. Mail
    // (merged, newer mail kept): the snapshot's entries exactly, directories included. SSL and
    // configuration files, restored one by one into directories shared with other customers.
    const problems = [
      ...compareTree(await readMetadataTree(web), original.web, web),
      ...differences(
        { ...(await readMetadata(web, work)), atime: undefined, xattrs: [] },
        { ...original.webRoot, path: 'home/bob/web', atime: undefined, xattrs: [] },
      ),
      ...compareTree(await readMetadataTree(maildir), original.mail, maildir),
      ...differences(await readMetadata(newer), newerBefore),
      ...differences(
        await readMetadata(bob.sslFiles[0]!),
        restored(original.ssl, bob.sslFiles[0]!),
      ),
      ...differences(
        await readMetadata(bob.configFiles[0]!),
        restored(original.config, bob.configFiles[0]!),
      ),
      ...differences(await readMetadata(join(paths.ssl(), 'carol.key')), otherKey),
      ...(await changedParents(marked)),
    ];
    assert.deepEqual(problems, []);
    assert.equal((await readdir(join(web, 'a/b/c'))).includes('added.php'), false);
  });

  test('single files: nanosecond times, xattrs, ACL and holes come back; their directories keep their times', async () => {
    const web = paths.web();
    const deep = join(web, 'a/b/c/d/deep.txt');
    const image = join(web, 'vm/disk.img');
    const config = join(web, 'wp-config.php');
    await writeFile(deep, 'changed\n');
    await run('setfattr', ['-x', 'user.checksum', deep]);
    // The image comes back sparse over a dense one: restic writes into staging, never over it.
    await writeFile(image, randomBytes(64 * 1024));
    await run('setfacl', ['-b', config]);
    await setTimes(config, oddTime(1_760_000_000, 1));
    const want = new Map(original.web.map((e) => [e.path, e]));
    const problems: string[] = [];

    for (const [file, rel] of [
      [deep, 'a/b/c/d/deep.txt'],
      [image, 'vm/disk.img'],
      [config, 'wp-config.php'],
    ] as const) {
      const marked = await markParents([
        join(file, '..'),
        web,
        join(work, 'home/bob'),
        paths.home(),
      ]);
      await restore({ what: 'file', path: file });
      problems.push(
        ...differences(await readMetadata(file, web), restored(want.get(rel)!, file)),
        ...(await changedParents(marked)),
      );
    }
    assert.deepEqual(problems, []);
    assert.equal((await readMetadata(image)).size, GiB);
  });
});
