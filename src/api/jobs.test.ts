import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { addJob, harness, signIn, type Harness } from '../../test/support/api-harness.js';

let h: Harness;
let alice: { cookie: string; csrf: string };
let bob: { cookie: string; csrf: string };
beforeEach(async () => {
  h = await harness();
  alice = await signIn(h, 'alice');
  bob = await signIn(h, 'bob');
});
afterEach(async () => {
  await h.close();
});

const admin = () => ({ authorization: `Bearer ${h.adminToken}` });
const as = (who: { cookie: string; csrf: string }) => ({
  cookie: who.cookie,
  'x-csrf-token': who.csrf,
});

describe('customer isolation', () => {
  test("another customer's job answers exactly like a job that does not exist", async () => {
    const bobs = await addJob(
      h,
      { customerId: 'c-bob', scheduleId: 5, scheduleName: 'Bob daily' },
      'failed',
      {
        log: 'secret log line\n',
      },
    );
    const serverWide = await addJob(
      h,
      { customerId: null, scheduleName: 'Entire server' },
      'running',
    );
    const missing = 999_999;

    for (const method of ['GET', 'POST'] as const) {
      const path = (id: number) =>
        method === 'GET' ? `/api/jobs/${id}` : `/api/jobs/${id}/cancel`;
      const other = await h.app.inject({ method, url: path(bobs), headers: as(alice) });
      const server = await h.app.inject({ method, url: path(serverWide), headers: as(alice) });
      const none = await h.app.inject({ method, url: path(missing), headers: as(alice) });
      for (const response of [other, server, none]) {
        assert.equal(response.statusCode, 404, `${method} ${response.body}`);
        assert.equal(response.body, none.body);
        assert.equal(response.headers['content-type'], none.headers['content-type']);
        assert.equal(response.headers['content-length'], none.headers['content-length']);
      }
    }
    assert.deepEqual(h.canceled, [], 'no cancel reached the worker');
    assert.equal((await h.jobs.get(serverWide))?.status, 'running');

    const own = await h.app.inject({ url: `/api/jobs/${bobs}`, headers: as(bob) });
    assert.equal(own.statusCode, 200);
    // A customer reads the steps of the log in plain words; an unknown raw line is not one.
    assert.equal(own.json().log, '');
    assert.deepEqual(own.json().steps, []);
    const raw = await h.app.inject({ url: `/api/jobs/${bobs}`, headers: admin() });
    assert.equal(raw.json().log, 'secret log line\n', 'the provider reads the raw log');
    const byAdmin = await h.app.inject({ url: `/api/jobs/${serverWide}`, headers: admin() });
    assert.equal(byAdmin.statusCode, 200);
  });

  test('lists, active tasks and delete-old cover only the customer', async () => {
    await addJob(h, { customerId: 'c-alice' }, 'running');
    await addJob(h, { customerId: 'c-bob' }, 'running');
    await addJob(h, { customerId: null }, 'pending');
    const list = await h.app.inject({ url: '/api/jobs', headers: as(alice) });
    assert.deepEqual(
      list.json().jobs.map((j: { customerId: string }) => j.customerId),
      ['c-alice'],
    );
    assert.equal(list.json().total, 1);
    const probing = await h.app.inject({ url: '/api/jobs?customerId=c-bob', headers: as(alice) });
    assert.deepEqual(probing.json(), {
      jobs: [],
      total: 0,
      totalExact: true,
      offset: 0,
      limit: 50,
    });
    const tasks = await h.app.inject({ url: '/api/tasks/active', headers: as(alice) });
    assert.deepEqual(
      tasks.json().tasks.map((t: { customerId: string }) => t.customerId),
      ['c-alice'],
    );
    const all = await h.app.inject({ url: '/api/tasks/active', headers: admin() });
    assert.equal(all.json().tasks.length, 3);
  });
});

describe('history', () => {
  test('newest first, with filters, pagination and the total', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      h.clock.advance(60_000);
      ids.push(
        await addJob(
          h,
          {
            customerId: i % 2 ? 'c-bob' : 'c-alice',
            scheduleId: 100 + (i % 3),
            type: i === 6 ? 'restore' : 'backup',
          },
          i === 3 ? 'failed' : 'successful',
        ),
      );
    }
    const page = await h.app.inject({ url: '/api/jobs?limit=3&offset=1', headers: admin() });
    assert.equal(page.statusCode, 200);
    assert.deepEqual(
      page.json().jobs.map((j: { id: number }) => j.id),
      [ids[5], ids[4], ids[3]],
    );
    assert.equal(page.json().total, 7);
    assert.equal(page.json().totalExact, true);
    assert.equal(page.json().limit, 3);
    assert.equal(page.json().offset, 1);

    const get = async (query: string) =>
      (await h.app.inject({ url: `/api/jobs?${query}`, headers: admin() })).json() as {
        jobs: { id: number }[];
        total: number;
      };
    assert.deepEqual(
      (await get('status=failed')).jobs.map((j) => j.id),
      [ids[3]],
    );
    assert.deepEqual(
      (await get('type=restore')).jobs.map((j) => j.id),
      [ids[6]],
    );
    assert.deepEqual(
      (await get('scheduleId=101')).jobs.map((j) => j.id),
      [ids[4], ids[1]],
    );
    assert.deepEqual(
      (await get('customerId=c-bob')).jobs.map((j) => j.id),
      [ids[5], ids[3], ids[1]],
    );
    assert.equal((await get('customerId=c-bob&status=successful')).total, 2);
    // The store counts no further than it is asked to: a million jobs are not counted per page.
    assert.equal(await h.jobs.count({}, 4), 4);
    assert.equal(await h.jobs.count({ customerId: 'c-bob' }, 10), 3);
  });

  test('detail has the log, the error in words and ISO timestamps', async () => {
    const id = await addJob(
      h,
      { customerId: 'c-alice', scheduleName: 'Nightly', scope: 'web' },
      'failed',
      {
        log: '10:00:00 Backup started\n',
      },
    );
    const job = (await h.app.inject({ url: `/api/jobs/${id}`, headers: as(alice) })).json();
    assert.equal(job.status, 'failed');
    assert.equal(job.error, 'Not enough disk space: needs about 2 GB, 1 GB free');
    assert.equal(job.log, '10:00:00 Backup started\n');
    assert.equal(job.scheduleName, 'Nightly');
    assert.equal(job.createdAt, '2026-11-28T10:00:00.000Z');
    assert.ok(!('schedule_name' in job), 'camelCase only');
  });

  test('bad filters are named, in plain words', async () => {
    const response = await h.app.inject({
      url: '/api/jobs?status=done&limit=500&scheduleId=x',
      headers: admin(),
    });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json().error.fields, [
      {
        field: 'status',
        code: 'field.not_allowed',
        message: 'Status must be one of: pending, running, successful, failed, canceled',
        params: { label: 'Status', values: 'pending, running, successful, failed, canceled' },
      },
      {
        field: 'scheduleId',
        code: 'field.wrong_type',
        message: 'Schedule ID must be a number',
        params: { label: 'Schedule ID', expected: 'number' },
      },
      {
        field: 'limit',
        code: 'field.too_big',
        message: 'Limit must be at most 200',
        params: { label: 'Limit', maximum: 200 },
      },
    ]);
    const id = await h.app.inject({ url: '/api/jobs/1.5', headers: admin() });
    assert.deepEqual(id.json().error.fields, [
      {
        field: 'id',
        code: 'field.wrong_type',
        message: 'Job ID must be a whole number',
        params: { label: 'ID', expected: 'int' },
      },
    ]);
  });

  test('without credentials: 401, before any validation', async () => {
    const response = await h.app.inject({ url: '/api/jobs?limit=0' });
    assert.equal(response.statusCode, 401);
    assert.deepEqual(response.json(), {
      error: { code: 'auth.sign_in_required', message: 'Please sign in.' },
    });
  });
});

describe('cancel', () => {
  test('pending: canceled at once; running: 202 canceling; finished: 409', async () => {
    const pending = await addJob(h, { customerId: 'c-alice' });
    const running = await addJob(h, { customerId: 'c-alice', scheduleId: 2 }, 'running');
    const done = await addJob(h, { customerId: 'c-alice', scheduleId: 3 }, 'successful');
    const cancel = (id: number) =>
      h.app.inject({ method: 'POST', url: `/api/jobs/${id}/cancel`, headers: as(alice) });

    const a = await cancel(pending);
    assert.equal(a.statusCode, 200);
    assert.deepEqual(a.json(), { id: pending, status: 'canceled' });
    const b = await cancel(running);
    assert.equal(b.statusCode, 202);
    assert.deepEqual(b.json(), { id: running, status: 'canceling' });
    const c = await cancel(done);
    assert.equal(c.statusCode, 409);
    assert.deepEqual(c.json(), {
      error: { code: 'job.finished', message: 'This job has already finished.' },
    });
    assert.deepEqual(h.canceled, [pending, running]);
  });
});

describe('delete old entries', () => {
  test('removes finished jobs older than 30 days, never pending or running ones; dry run counts', async () => {
    const oldDone = await addJob(h, { customerId: 'c-alice', scheduleId: 1 }, 'successful');
    const oldFailed = await addJob(h, { customerId: 'c-alice', scheduleId: 2 }, 'failed');
    const oldPending = await addJob(h, { customerId: 'c-alice', scheduleId: 3 });
    const oldRunning = await addJob(h, { customerId: 'c-alice', scheduleId: 4 }, 'running');
    const bobsOld = await addJob(h, { customerId: 'c-bob', scheduleId: 5 }, 'successful');
    h.clock.advance(31 * 86_400_000);
    const recent = await addJob(h, { customerId: 'c-alice', scheduleId: 6 }, 'successful');
    alice = await signIn(h, 'alice'); // the first session expired meanwhile

    const dry = await h.app.inject({
      method: 'POST',
      url: '/api/jobs/delete-old',
      headers: as(alice),
      payload: { dryRun: true },
    });
    assert.deepEqual(dry.json(), { count: 2, dryRun: true });
    assert.ok(await h.jobs.get(oldDone), 'a dry run deletes nothing');

    const real = await h.app.inject({
      method: 'POST',
      url: '/api/jobs/delete-old',
      headers: as(alice),
    });
    assert.deepEqual(real.json(), { count: 2, dryRun: false });
    assert.equal(await h.jobs.get(oldDone), undefined);
    assert.equal(await h.jobs.get(oldFailed), undefined);
    for (const kept of [oldPending, oldRunning, bobsOld, recent])
      assert.ok(await h.jobs.get(kept), `kept ${kept}`);

    const byAdmin = await h.app.inject({
      method: 'POST',
      url: '/api/jobs/delete-old',
      headers: admin(),
      payload: {},
    });
    assert.deepEqual(byAdmin.json(), { count: 1, dryRun: false });
    assert.equal(await h.jobs.get(bobsOld), undefined);
  });

  test('a bad body changes nothing', async () => {
    await addJob(h, { customerId: 'c-alice' }, 'successful');
    h.clock.advance(31 * 86_400_000);
    alice = await signIn(h, 'alice');
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/jobs/delete-old',
      headers: as(alice),
      payload: { dryRun: 'no', olderThan: 1 },
    });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json().error.fields, [
      {
        field: 'dryRun',
        code: 'field.wrong_type',
        message: 'Dry run must be true or false',
        params: { label: 'Dry run', expected: 'boolean' },
      },
      {
        field: 'olderThan',
        code: 'field.unknown',
        message: 'Older than is not a known field',
        params: { label: 'Older than' },
      },
    ]);
    assert.equal(await h.jobs.count(), 1);
  });
});

describe('active tasks', () => {
  test('running and pending jobs with type, schedule name, scope, status, start time and progress', async () => {
    const progress = {
      percent: 42.5,
      bytesDone: 425,
      bytesTotal: 1000,
      filesDone: 3,
      filesTotal: 9,
      currentFile: '/srv/a/x.php',
      etaSeconds: 12,
    };
    const running = await addJob(
      h,
      { customerId: 'c-alice', scheduleId: 1, scheduleName: 'Nightly', scope: 'full' },
      'running',
      { progress },
    );
    h.clock.advance(1000);
    const pending = await addJob(h, {
      customerId: 'c-alice',
      scheduleId: 2,
      scheduleName: 'Hourly web',
      scope: 'web',
      type: 'backup',
    });
    await addJob(h, { customerId: 'c-alice', scheduleId: 3 }, 'successful');
    const response = await h.app.inject({ url: '/api/tasks/active', headers: as(alice) });
    assert.equal(response.statusCode, 200);
    const { currentFile: _serverPath, ...shown } = progress;
    assert.deepEqual(response.json(), {
      tasks: [
        {
          id: running,
          type: 'backup',
          status: 'running',
          scheduleId: 1,
          scheduleName: 'Nightly',
          scope: 'full',
          customerId: 'c-alice',
          createdAt: '2026-11-28T10:00:00.000Z',
          startedAt: '2026-11-28T10:00:00.000Z',
          // The file restic is at is a server path: the customer gets everything but it.
          progress: shown,
          restore: null,
        },
        {
          id: pending,
          type: 'backup',
          status: 'pending',
          scheduleId: 2,
          scheduleName: 'Hourly web',
          scope: 'web',
          customerId: 'c-alice',
          createdAt: '2026-11-28T10:00:01.000Z',
          startedAt: null,
          progress: null,
          restore: null,
        },
      ],
    });
    assert.doesNotMatch(response.body, /srv/);
    // The provider sees where it is, in the banner, the history and the detail.
    const admin = { authorization: `Bearer ${h.adminToken}` };
    for (const url of ['/api/tasks/active', '/api/jobs', `/api/jobs/${running}`]) {
      const seen = await h.app.inject({ url, headers: admin });
      assert.match(seen.body, /\/srv\/a\/x\.php/, url);
      const customer = await h.app.inject({ url, headers: as(alice) });
      assert.doesNotMatch(customer.body, /\/srv\/a\/x\.php/, url);
    }
  });
});
