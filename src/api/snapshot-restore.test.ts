/**
 * "Restore" on the Restore tab, through the route and the one restore service behind it (the CLI
 * and the restore job use the same service): paths that are not canonical refused at once in the
 * customer's words, a customer's restores limited to the provider's number, snapshots found by
 * their full id or a unique prefix of the customer's own, and every refusal leaving no job.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { InventoryService } from '../inventory/inventory-service.js';
import { Keyring } from '../repository/keyring.js';
import { RepositoryService } from '../repository/repository-service.js';
import { RestoreService } from '../restore-job/restore-service.js';
import { ScheduleService } from '../schedule/schedule-service.js';
import { snapshotRoutes } from './snapshot-routes.js';
import { harness, signIn, type Harness } from '../../test/support/api-harness.js';

let home: string;
let WEB: string;
/** Alice's snapshots: two share the prefix "abcd1234"; bob's shares "feed0000" with hers. */
const ALICE_SNAPSHOT = `abcd1234${'0'.repeat(56)}`;
const ALICE_TWIN = `abcd1234${'1'.repeat(56)}`;
const ALICE_OTHER = `feed0000${'2'.repeat(56)}`;
const BOB_SNAPSHOT = `feed0000${'3'.repeat(56)}`;

let h: Harness;
let woken: number;
/** Each customer's repository: alice's is 1, bob's 2. */
const REPOSITORY: Record<string, number> = {};
let alice: { cookie: string; csrf: string };
let bob: { cookie: string; csrf: string };

async function makeHarness(limit: number): Promise<void> {
  woken = 0;
  home = await mkdtemp(join(tmpdir(), 'hv-restore-request-'));
  for (const name of ['c-alice', 'c-bob'])
    await mkdir(join(home, name, 'www'), { recursive: true });
  WEB = join(home, 'c-alice/www');
  const late: { restores?: RestoreService } = {};
  h = await harness(
    {},
    {
      modules: [
        snapshotRoutes({
          store: undefined as never,
          // Browse and download only: the restore route reaches nothing but the service.
          repositories: undefined as never,
          agent: undefined as never,
          restores: {
            request: (...args) => late.restores!.request(...args),
            preview: (...args) => late.restores!.preview(...args),
          },
        }),
      ],
    },
  );
  const inventory = new InventoryService({ store: h.store });
  await inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 3 },
    ],
    customers: ['alice', 'bob'].map((name, i) => ({
      id: `c-${name}`,
      name,
      linuxUser: name,
      uid: 2000 + i,
      gid: 2000 + i,
      packageId: 'basic',
      webRoot: join(home, `c-${name}/www`),
      databases: [`${name}_shop`],
    })),
  });
  const keyring = new Keyring(randomBytes(32));
  const schedules = new ScheduleService({
    store: h.store,
    keyring,
    customers: inventory,
    jobs: h.jobs,
    localRepositoryDir: '/var/lib/hostvault/repositories',
  });
  const repositories = new RepositoryService({ store: h.store, keyring });
  late.restores = new RestoreService({
    store: h.store,
    repositories,
    customers: inventory,
    jobs: h.jobs,
    maxActivePerCustomer: limit,
    onQueued: () => woken++,
  });
  for (const [customer, ids] of [
    ['c-alice', [ALICE_SNAPSHOT, ALICE_TWIN, ALICE_OTHER]],
    ['c-bob', [BOB_SNAPSHOT]],
  ] as const) {
    const schedule = await schedules.create({ role: 'admin' }, customer, {
      name: 'Nightly',
      scope: 'web',
      frequency: 'daily',
      retention: 3,
      target: { kind: 'local', path: join(home, 'repos') },
    });
    // The customer's repository, reached through the schedule's target, as a backup makes it.
    const target = await schedules.targetRecord(
      await schedules.getRow({ role: 'admin' }, schedule.id),
    );
    REPOSITORY[customer] = (
      await repositories.access(target.target, customer, { targetId: target.id })
    ).repositoryId;
    for (const id of ids)
      await h.store.db
        .insertInto('snapshots')
        .values({
          id,
          repository_id: REPOSITORY[customer]!,
          schedule_id: schedule.id,
          customer_id: customer,
          time: '2026-11-27T02:00:00Z',
          scope: 'web',
          contents: JSON.stringify(['web']),
          roots: JSON.stringify({ web: [join(home, customer, 'www')] }),
          size: 1000,
          tags: '[]',
        })
        .execute();
  }
  alice = await signIn(h, 'alice');
  bob = await signIn(h, 'bob');
}

async function done(): Promise<void> {
  await h.close();
  await rm(home, { recursive: true, force: true });
}

function restore(
  who: { cookie: string; csrf: string },
  snapshot: string,
  body: unknown,
  repositoryId = REPOSITORY[who === bob ? 'c-bob' : 'c-alice'],
) {
  return h.app.inject({
    method: 'POST',
    url: `/api/snapshots/${repositoryId}/${snapshot}/restore`,
    headers: { cookie: who.cookie, 'x-csrf-token': who.csrf },
    payload: body as object,
  });
}

async function restoreJobs(): Promise<{ customer_id: string | null; params: unknown }[]> {
  const rows = await h.store.db
    .selectFrom('jobs')
    .select(['customer_id', 'params'])
    .where('type', '=', 'restore')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ customer_id: r.customer_id, params: JSON.parse(r.params ?? 'null') }));
}

describe('restore requests', () => {
  beforeEach(() => makeHarness(2));
  afterEach(done);

  test('a restore queues one job with the full snapshot id and wakes the worker once', async () => {
    const answer = await restore(alice, ALICE_SNAPSHOT, { what: 'web' });
    assert.equal(answer.statusCode, 202, answer.body);
    assert.deepEqual(Object.keys(answer.json()), ['jobId']);
    assert.deepEqual(await restoreJobs(), [
      {
        customer_id: 'c-alice',
        params: {
          repositoryId: 1,
          snapshotId: ALICE_SNAPSHOT,
          request: { what: 'web', keepNewerMail: true },
          snapshotTime: '2026-11-27T02:00:00Z',
        },
      },
    ]);
    assert.equal(woken, 1);
  });

  test('a prefix names a snapshot when it names exactly one of the customer’s own', async () => {
    // bob's snapshot shares the prefix, but he is not asked about: alice's prefix stays unique.
    const unique = await restore(alice, 'feed0000', { what: 'web' });
    assert.equal(unique.statusCode, 202, unique.body);
    const [job] = await restoreJobs();
    assert.equal((job?.params as { snapshotId: string }).snapshotId, ALICE_OTHER);

    const twice = await restore(alice, 'abcd1234', { what: 'web' });
    assert.equal(twice.statusCode, 400);
    assert.equal(
      twice.json().error.message,
      'Snapshot ID abcd1234 names more than one snapshot; give more of it.',
    );
    // Another customer's snapshot, by full id or prefix, in their repository or one's own: the
    // one 404, as for a missing id.
    const missing = await restore(bob, 'abcd1234', { what: 'web' }, REPOSITORY['c-alice']);
    const foreign = await restore(bob, ALICE_SNAPSHOT, { what: 'web' }, REPOSITORY['c-alice']);
    const elsewhere = await restore(bob, ALICE_SNAPSHOT, { what: 'web' });
    const nothing = await restore(bob, 'deadbeef', { what: 'web' });
    for (const answer of [missing, foreign, elsewhere, nothing]) {
      assert.equal(answer.statusCode, 404);
      assert.equal(answer.body, nothing.body);
    }
    assert.equal((await restoreJobs()).length, 1);
  });

  test('History and the banner name each restore by what it restores, its snapshot and the restore it undoes', async () => {
    const SAFETY = `5afe${'4'.repeat(60)}`;
    await h.store.db
      .insertInto('snapshots')
      .values({
        id: SAFETY,
        repository_id: 1,
        schedule_id: (await h.store.db.selectFrom('schedules').select('id').executeTakeFirst())!.id,
        customer_id: 'c-alice',
        time: '2026-11-28T09:30:00Z',
        scope: null,
        contents: JSON.stringify(['web']),
        roots: JSON.stringify({ web: [WEB] }),
        size: 10,
        tags: '[]',
        kind: 'safety',
        restore_job_id: 12,
        undo: JSON.stringify({ what: 'web', keepNewerMail: true }),
      })
      .execute();
    const file = await restore(alice, ALICE_SNAPSHOT, { what: 'file', path: `${WEB}/index.php` });
    assert.equal(file.statusCode, 202, file.body);
    const undo = await restore(alice, SAFETY, { what: 'web', keepNewerMail: true });
    assert.equal(undo.statusCode, 202, undo.body);

    const headers = { cookie: alice.cookie };
    const listed = await h.app.inject({ url: '/api/jobs', headers });
    assert.equal(listed.statusCode, 200, listed.body);
    const restores = (listed.json() as { jobs: { id: number; restore: unknown }[] }).jobs;
    assert.deepEqual(
      restores.map((j) => [j.id, j.restore]),
      [
        [
          undo.json().jobId,
          {
            what: 'web',
            repositoryId: 1,
            snapshotId: SAFETY,
            snapshotTime: '2026-11-28T09:30:00.000Z',
            undoes: 12,
          },
        ],
        [
          file.json().jobId,
          {
            what: 'file',
            // In the customer's words: the area and the path in it, never the server's path.
            path: 'Web files/index.php',
            repositoryId: 1,
            snapshotId: ALICE_SNAPSHOT,
            snapshotTime: '2026-11-27T02:00:00.000Z',
            undoes: null,
          },
        ],
      ],
    );
    const active = await h.app.inject({ url: '/api/tasks/active', headers });
    assert.equal(active.statusCode, 200, active.body);
    const tasks = (active.json() as { tasks: { restore: { undoes: number | null } }[] }).tasks;
    assert.deepEqual(tasks.map((t) => t.restore.undoes).sort(), [12, null]);
  });

  test('paths that are not canonical are refused at once, each with its reason, and queue nothing', async () => {
    const cases: [string, string][] = [
      [`${WEB}/./index.php`, 'The path contains "/./": give the path without "." parts'],
      [`${WEB}/.`, 'The path contains "/./": give the path without "." parts'],
      [`${WEB}//index.php`, 'The path contains "//": give the path with single slashes.'],
      [`${WEB}/`, 'The path ends with "/": give the path without it.'],
      [`${WEB}/../c-bob/x`, 'The path contains "..": give the path of the file itself'],
      [`${WEB}/a\0b`, 'The path contains a NUL character, which no file name can hold.'],
      [
        `${WEB}/${'n'.repeat(256)}`,
        'The name "nnnnnnnnnnnnnnnnnnnnnnnn…" in the path is longer than 255 bytes',
      ],
      // 128 two-byte characters: 256 bytes in a name of 128 characters.
      [`${WEB}/${'é'.repeat(128)}`, 'is longer than 255 bytes, the most a file name can have.'],
      [
        `${WEB}/${`${'d'.repeat(200)}/`.repeat(21)}f`,
        'The path is longer than 4,096 bytes, the most a path can have.',
      ],
      // Under 4,096 characters but over 4,096 bytes.
      [
        `${WEB}/${`${'é'.repeat(100)}/`.repeat(21)}f`,
        'The path is longer than 4,096 bytes, the most a path can have.',
      ],
      ['www/index.php', 'Choose a file from this snapshot.'],
      ['/etc/passwd', 'Choose a file from this snapshot.'],
    ];
    for (const [path, message] of cases) {
      const answer = await restore(alice, ALICE_SNAPSHOT, { what: 'file', path });
      assert.equal(answer.statusCode, 400, `${JSON.stringify(path.slice(0, 80))}: ${answer.body}`);
      const { error } = answer.json();
      assert.ok(
        error.message.startsWith(message) || error.message.endsWith(message),
        error.message,
      );
      assert.deepEqual(
        error.fields.map((f: { field: string }) => f.field),
        ['path'],
      );
    }
    assert.deepEqual(await restoreJobs(), []);
    assert.equal(woken, 0);

    // The longest name and path the file system holds are accepted.
    const longest = `${WEB}/${`${'d'.repeat(255)}/`.repeat(15)}${'f'.repeat(4096 - WEB.length - 1 - 256 * 15)}`;
    assert.equal(Buffer.byteLength(longest), 4096);
    const ok = await restore(alice, ALICE_SNAPSHOT, { what: 'file', path: longest });
    assert.equal(ok.statusCode, 202, ok.body);
  });

  test('ten restores in a second: two are queued, eight refused with 409, none for the others', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => restore(alice, ALICE_SNAPSHOT, { what: 'web' })),
    );
    assert.deepEqual(
      answers.map((a) => a.statusCode).sort(),
      [202, 202, 409, 409, 409, 409, 409, 409, 409, 409],
    );
    const refused = answers.find((a) => a.statusCode === 409)!;
    assert.deepEqual(refused.json(), {
      error: {
        code: 'restore.limit_reached',
        message:
          'You already have 2 restores waiting or running. Please wait until one has finished, then start this one.',
        params: { limit: 2 },
      },
    });
    assert.equal((await restoreJobs()).length, 2);
    assert.equal(woken, 2);

    // Another customer has a limit of their own.
    assert.equal((await restore(bob, BOB_SNAPSHOT, { what: 'web' })).statusCode, 202);
    // A running restore counts; a finished one frees its place.
    const [first, second] = (
      await h.store.db
        .selectFrom('jobs')
        .select('id')
        .where('customer_id', '=', 'c-alice')
        .execute()
    ).map((j) => j.id);
    await h.store.db
      .updateTable('jobs')
      .set({ status: 'running' })
      .where('id', '=', first!)
      .execute();
    assert.equal((await restore(alice, ALICE_SNAPSHOT, { what: 'web' })).statusCode, 409);
    await h.jobs.finish(second!, { status: 'successful' });
    assert.equal((await restore(alice, ALICE_SNAPSHOT, { what: 'web' })).statusCode, 202);
    assert.equal((await restore(alice, ALICE_SNAPSHOT, { what: 'web' })).statusCode, 409);
  });
});

describe('a provider who allows one restore at a time', () => {
  beforeEach(() => makeHarness(1));
  afterEach(done);

  test('the second is refused in words for one', async () => {
    assert.equal((await restore(alice, ALICE_SNAPSHOT, { what: 'web' })).statusCode, 202);
    const second = await restore(alice, ALICE_SNAPSHOT, { what: 'web' });
    assert.equal(second.statusCode, 409);
    assert.equal(
      second.json().error.message,
      'You already have a restore waiting or running. Please wait until it has finished, then start this one.',
    );
  });
});
