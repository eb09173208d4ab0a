import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import type { ScheduleView } from '../schedule/schedule-service.js';
import { targetAdminRoutes } from './target-admin-routes.js';
import { harness, signIn, type Harness } from '../../test/support/api-harness.js';

let h: Harness;

function view(
  id: number,
  customerId: string | null,
  target: Record<string, unknown>,
): ScheduleView {
  return {
    id,
    ownerKind: customerId === null ? 'server' : 'customer',
    customerId,
    server: null,
    name: `Schedule ${id}`,
    scope: 'web',
    frequency: 'daily',
    hour: 2,
    day: null,
    startMinute: 0,
    retention: 7,
    target,
    enabled: true,
    nextRunAt: null,
    lastStatus: null,
    lastJobId: null,
    lastSuccessAt: null,
    overdue: false,
    copy: null,
  };
}

const s3 = {
  kind: 's3',
  endpoint: 'https://s3.example.com',
  region: '',
  bucket: 'backups',
  prefix: 'web',
  accessKeyId: 'AK',
  secretAccessKey: '********',
  pathStyle: true,
};

beforeEach(async () => {
  const list = [
    view(1, 'c-alice', s3),
    view(2, 'c-bob', s3),
    view(3, null, { kind: 'local', path: '/srv/repos' }),
  ];
  h = await harness(
    {},
    { modules: [targetAdminRoutes({ schedules: { list: () => Promise.resolve(list) } })] },
  );
});
afterEach(async () => {
  await h.close();
});

test('an administrator gets one entry per distinct target, with its schedules and repositories', async () => {
  const admin = await signIn(h, 'root');
  const response = await h.app.inject({
    method: 'GET',
    url: '/api/admin/targets',
    headers: { cookie: admin.cookie },
  });
  assert.equal(response.statusCode, 200);
  const { targets } = response.json() as {
    targets: {
      kind: string;
      location: string;
      container: string;
      target: Record<string, unknown>;
      testScheduleId: number;
      uses: { scheduleId: number; owner: string; repository: string }[];
    }[];
  };
  assert.equal(targets.length, 2);
  const [shared, local] = targets;
  assert.equal(shared?.kind, 's3');
  assert.equal(shared?.location, 'https://s3.example.com');
  assert.equal(shared?.container, 'backups/web');
  assert.equal(shared?.testScheduleId, 1);
  assert.equal(shared?.target.secretAccessKey, '********');
  assert.deepEqual(
    shared?.uses.map((u) => [u.scheduleId, u.owner, u.repository]),
    [
      [1, 'c-alice', 's3:https://s3.example.com/backups/web/c-alice'],
      [2, 'c-bob', 's3:https://s3.example.com/backups/web/c-bob'],
    ],
  );
  assert.deepEqual(local?.uses, [
    { scheduleId: 3, scheduleName: 'Schedule 3', owner: 'server', repository: '/srv/repos/server' },
  ]);
});

test('customers may not list targets', async () => {
  const alice = await signIn(h, 'alice');
  const response = await h.app.inject({
    method: 'GET',
    url: '/api/admin/targets',
    headers: { cookie: alice.cookie },
  });
  assert.equal(response.statusCode, 403);
});
