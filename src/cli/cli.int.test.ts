/**
 * The operator's command line end to end, as an operator runs it (from the sources, see test/support/cli.ts) in a
 * child process with its own data directory and key file, real restic, and a local webhook
 * receiver for the notifications the child sends.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { CLI_FROM_SOURCES } from '../../test/support/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'cli-webhook-secret';

let work: string;
let webRoot: string;
let server: Server;
let hookUrl: string;
const hooks: { headers: IncomingHttpHeaders; body: string }[] = [];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function hv(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...CLI_FROM_SOURCES, ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          HOSTVAULT_DATA_DIR: join(work, 'data'),
          HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
          ...env,
        },
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** cli`run ${id} --wait`: the literal parts split into words, each interpolation one argument. */
function cli(parts: TemplateStringsArray, ...values: (string | number)[]): string[] {
  return parts.flatMap((part, i) => [
    ...part.split(/\s+/).filter(Boolean),
    ...(i < values.length ? [String(values[i])] : []),
  ]);
}

const withHook = {
  HOSTVAULT_WEBHOOK_URL: '',
  HOSTVAULT_WEBHOOK_SECRET: SECRET,
  HOSTVAULT_NOTIFY_ON_SUCCESS: '1',
};

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-cli-'));
  webRoot = join(work, 'home/alice/www');
  await mkdir(join(webRoot, 'sub'), { recursive: true });
  await writeFile(join(webRoot, 'index.php'), '<?php echo "alice";');
  await writeFile(join(webRoot, 'sub/page.html'), '<h1>alice</h1>');
  await writeFile(join(work, 'not-a-directory'), '');
  await writeFile(
    join(work, 'inventory.yaml'),
    `packages:
  - { id: basic, name: Basic, frequencies: [daily], maxRetention: 7, maxSchedules: 2 }
customers:
  - id: alice
    name: Alice Example
    linuxUser: alice
    uid: 2001
    gid: 2001
    packageId: basic
    webRoot: ${webRoot}
`,
  );
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  withHook.HOSTVAULT_WEBHOOK_URL = hookUrl;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

/** The rows of a printed table as objects keyed by its header. */
function table(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trimEnd().split('\n');
  const starts = [...header!.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], at: m.index }));
  return lines
    .filter((line) => line.trim() && !/^[a-z(]/.test(line))
    .map((line) =>
      Object.fromEntries(
        starts.map((s, i) => [s.name, line.slice(s.at, starts[i + 1]?.at ?? undefined).trim()]),
      ),
    );
}

function verified(hook: { headers: IncomingHttpHeaders; body: string }): {
  event: string;
  job: { id: number; error: string | null };
} {
  const expected = `sha256=${createHmac('sha256', SECRET).update(hook.body).digest('hex')}`;
  assert.equal(hook.headers['x-hostvault-signature'], expected);
  return JSON.parse(hook.body) as { event: string; job: { id: number; error: string | null } };
}

describe('hostvault command line', () => {
  test('import, create a schedule, run it, read history and snapshots, restore a file', async () => {
    const imported = await hv(cli`customers import ${join(work, 'inventory.yaml')}`);
    assert.equal(imported.code, 0, imported.stderr);

    // Mistakes exit 2 and name the option; nothing is created.
    const [badHour, noCustomer, unknown] = await Promise.all([
      hv(cli`schedules create --customer alice --name ${'Nightly web'} --scope web
        --frequency daily --hour 25 --retention 3`),
      hv(cli`schedules create --name x`),
      hv(cli`schedules list --customer bob`),
    ]);
    assert.equal(badHour.code, 2);
    assert.match(badHour.stderr, /--hour: Hour must be a whole number from 0 to 23 \(UTC\)/);
    assert.equal(noCustomer.code, 2);
    assert.match(noCustomer.stderr, /--customer is required/);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--customer: no customer "bob"/);

    const created = await hv(cli`schedules create --customer alice --name ${'Nightly web'}
      --scope web --frequency daily --hour 3 --retention 3`);
    assert.equal(created.code, 0, created.stderr);
    assert.match(
      created.stdout,
      /^created schedule 1 "Nightly web" for alice: daily at 03:\d\d UTC, Web/,
    );

    const listed = await hv(cli`schedules list`);
    assert.equal(listed.code, 0, listed.stderr);
    const [schedule] = table(listed.stdout);
    assert.equal(schedule?.ID, '1');
    assert.equal(schedule?.CUSTOMER, 'alice');
    assert.equal(schedule?.NAME, 'Nightly web');
    assert.equal(schedule?.LAST, 'never run');
    assert.equal(schedule?.TARGET, `local ${join(work, 'data/repositories')}`);

    const run = await hv(cli`run 1 --wait`, withHook);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^queued backup job 1 of schedule 1 "Nightly web"/);
    assert.match(run.stdout, /Files: 2 new, 0 changed, 0 unmodified/);
    assert.match(run.stdout, /job 1 successful\n$/);
    assert.equal(hooks.length, 1, 'the success was notified, as asked');
    assert.equal(verified(hooks[0]!).event, 'backup.succeeded');

    const [jobs, none, badStatus, snapshots] = await Promise.all([
      hv(cli`jobs list --customer alice`),
      hv(cli`jobs list --status failed`),
      hv(cli`jobs list --status done`),
      hv(cli`snapshots 1`),
    ]);
    assert.equal(jobs.code, 0, jobs.stderr);
    const [job] = table(jobs.stdout);
    assert.deepEqual(
      [job?.ID, job?.TYPE, job?.STATUS, job?.CUSTOMER, job?.SCHEDULE, job?.TRIGGER],
      ['1', 'backup', 'successful', 'alice', 'Nightly web (#1)', 'manual'],
    );
    assert.equal(none.stdout, 'no jobs\n');
    assert.equal(badStatus.code, 2);
    assert.match(badStatus.stderr, /--status must be one of: pending, running/);
    assert.equal(snapshots.code, 0, snapshots.stderr);
    const [snapshot] = table(snapshots.stdout);
    assert.equal(snapshot?.CUSTOMER, 'alice');
    assert.equal(snapshot?.CONTENTS, 'web files');
    assert.match(snapshot?.SNAPSHOT ?? '', /^[0-9a-f]{8,64}$/);
    const repository = snapshot!.REPOSITORY!;
    const id = snapshot!.SNAPSHOT!;

    const file = join(webRoot, 'index.php');
    await writeFile(file, 'broken by a bad deploy');
    const [noPath, badWhat] = await Promise.all([
      hv(cli`restore ${repository} ${id} --what file`),
      hv(cli`restore ${repository} ${id} --what all`),
    ]);
    assert.equal(noPath.code, 2);
    assert.match(noPath.stderr, /--path: Choose a file from this snapshot/);
    assert.equal(badWhat.code, 2);
    assert.match(badWhat.stderr, /--what: What to restore must be one of: web, databases/);

    const restored = await hv(cli`restore ${repository} ${id} --what file --path ${file} --wait`);
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    assert.match(restored.stdout, /^queued restore job 2 of snapshot/);
    assert.match(restored.stdout, /Restore finished successfully/);
    assert.equal(await readFile(file, 'utf8'), '<?php echo "alice";');

    const [shown, missing] = await Promise.all([hv(cli`jobs show 2`), hv(cli`jobs show 99`)]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^Job: +2$/m);
    assert.match(shown.stdout, /^Type: +restore$/m);
    assert.match(shown.stdout, /^Status: +successful$/m);
    assert.match(shown.stdout, /^Log:\n {2}\d\d:\d\d:\d\d Restore started$/m);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no job 99/);

    // The restore service's rules hold here as in the API: paths in canonical form only, a
    // snapshot by a unique prefix, and no more restores waiting or running than the provider
    // allows (one here); each refusal exits 2 and queues nothing.
    const one = { HOSTVAULT_RESTORES_PER_CUSTOMER: '1' };
    const dotted = await hv(
      cli`restore ${repository} ${id} --what file --path ${`${webRoot}/./index.php`}`,
    );
    assert.equal(dotted.code, 2);
    assert.match(
      dotted.stderr,
      /--path: The path contains "\/\.\/": give the path without "\." parts/,
    );
    const queued = await hv(cli`restore ${repository} ${id.slice(0, 8)} --what web`, one);
    assert.equal(queued.code, 0, queued.stderr);
    assert.match(queued.stdout, new RegExp(`^queued restore job 3 of snapshot ${id} for alice`));
    const refused = await hv(cli`restore ${repository} ${id} --what web`, one);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /customer alice already has 1 restore\(s\) waiting or running, the most allowed \(HOSTVAULT_RESTORES_PER_CUSTOMER\)/,
    );
    const unknownSnapshot = await hv(cli`restore ${repository} ffff0000 --what web`);
    assert.equal(unknownSnapshot.code, 2);
    assert.match(unknownSnapshot.stderr, /There is no snapshot ffff0000 in repository/);
    const restores = table((await hv(cli`jobs list --type restore`)).stdout);
    assert.deepEqual(
      restores.map((j) => [j.ID, j.STATUS]),
      [
        ['3', 'pending'],
        ['2', 'successful'],
      ],
    );
  });

  test('a failed backup exits 1, prints why, and is notified', async () => {
    const created = await hv(cli`schedules create --customer alice --name ${'Broken target'}
      --scope web --frequency daily --retention 3 --target-dir ${join(work, 'not-a-directory')}`);
    assert.equal(created.code, 0, created.stderr);
    const id = /created schedule (\d+)/.exec(created.stdout)?.[1];
    assert.ok(id);
    const before = hooks.length;
    const run = await hv(cli`run ${id} --wait`, withHook);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /Failed: .*not a directory/);
    assert.match(run.stdout, /job \d+ failed: .*not a directory/);
    assert.equal(hooks.length, before + 1);
    const event = verified(hooks.at(-1)!);
    assert.equal(event.event, 'backup.failed');
    assert.match(event.job.error ?? '', /not a directory/);

    const listed = table((await hv(cli`schedules list --customer alice`)).stdout);
    assert.deepEqual(
      listed.map((s) => [s.NAME, s.LAST]),
      [
        ['Nightly web', 'successful'],
        ['Broken target', 'failed'],
      ],
    );
  });

  test('holds: the provider holds and releases a snapshot, keeps one for its customer within the limit', async () => {
    const [snapshot] = table((await hv(cli`snapshots 1`)).stdout);
    const repository = snapshot!.REPOSITORY!;
    const id = snapshot!.SNAPSHOT!;
    const [noReason, past] = await Promise.all([
      hv(cli`holds add ${repository} ${id}`),
      hv(cli`holds add ${repository} ${id} --reason ${'Court order'} --until 2020-01-01T00:00:00Z`),
    ]);
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /--reason is missing/);
    assert.equal(past.code, 2);
    assert.match(past.stderr, /The end of the hold must be in the future/);
    const added = await hv(
      cli`holds add ${repository} ${id.slice(0, 8)} --reason ${'Court order'} --until 2099-01-01T00:00:00Z`,
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^held snapshot [0-9a-f]+ of alice until 2099-01-01 00:00:00 UTC/);
    const kept = await hv(cli`holds keep ${repository} ${id}`);
    assert.equal(kept.code, 0, kept.stderr);
    const listed = table((await hv(cli`holds list --customer alice`)).stdout);
    assert.deepEqual(listed.map((row) => row.KIND).sort(), ['keep', 'legal']);
    const released = await hv(cli`holds release ${repository} ${id}`);
    assert.equal(released.code, 0, released.stderr);
    const again = await hv(cli`holds release ${repository} ${id}`);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /has no provider's hold/);
    assert.equal((await hv(cli`holds unkeep ${repository} ${id}`)).code, 0);
    assert.equal((await hv(cli`holds list`)).stdout, 'no snapshot is held\n');
  });

  test("schedules delete keeps the snapshots, still listed by the schedule's id for a restore", async () => {
    const listed = table((await hv(cli`snapshots 1`)).stdout).map((row) => row.SNAPSHOT);
    assert.ok(listed.length > 0);
    const deleted = await hv(cli`schedules delete 1`);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /^deleted schedule 1; its snapshots stay/);
    const [left, again, kept] = await Promise.all([
      hv(cli`schedules list`),
      hv(cli`schedules delete 1`),
      hv(cli`snapshots 1`),
    ]);
    assert.deepEqual(
      table(left.stdout).map((row) => row.NAME),
      ['Broken target'],
    );
    assert.equal(again.code, 2);
    assert.match(again.stderr, /no schedule 1/);
    assert.equal(kept.code, 0, kept.stderr);
    assert.deepEqual(
      table(kept.stdout).map((row) => row.SNAPSHOT),
      listed,
    );
  });
});
