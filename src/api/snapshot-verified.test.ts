/**
 * The Restore tab's "Last verified restore": the snapshot list answers, per snapshot, when a
 * restore drill last verified it, and the customer's last verified restore over all schedules;
 * a failed drill verifies nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { harness, type Harness } from '../../test/support/api-harness.js';
import { seedCoverage } from '../../test/support/coverage-seed.js';
import { recordDrill } from '../drill/drill-records.js';
import { InventoryService } from '../inventory/inventory-service.js';
import { Keyring } from '../repository/keyring.js';
import { recordBackupSnapshot } from '../repository/snapshot-records.js';
import { ScheduleService } from '../schedule/schedule-service.js';
import { scheduleRoutes, type ScheduleRouteDeps } from './schedule-routes.js';

let h: Harness;
let scheduleId: number;
const older = 'aaaaaaaa11111111';
const newer = 'bbbbbbbb22222222';

before(async () => {
  const deps = {} as ScheduleRouteDeps;
  h = await harness({}, { modules: [scheduleRoutes(deps)] });
  deps.store = h.store;
  deps.deletion = {
    delete: async () => ({ forgotten: 0 }),
  } as unknown as ScheduleRouteDeps['deletion'];
  deps.schedules = new ScheduleService({
    store: h.store,
    keyring: new Keyring(randomBytes(32)),
    customers: new InventoryService({ store: h.store }),
    jobs: h.jobs,
    localRepositoryDir: '/nonexistent',
  });
  await seedCoverage(h.store, h.clock.now);
  const schedule = await h.store.db
    .selectFrom('schedules')
    .select('id')
    .where('customer_id', '=', 'c-verified')
    .executeTakeFirstOrThrow();
  scheduleId = schedule.id;
  const repository = await h.store.db
    .insertInto('repositories')
    .values({
      url: '/srv/backup/c-verified',
      owner: 'c-verified',
      target_kind: 'local',
      password_sealed: 'x',
      created_at: h.clock.now.toISOString(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const [id, time] of [
    [older, '2026-11-26T02:00:00.000Z'],
    [newer, '2026-11-27T02:00:00.000Z'],
  ] as const)
    await recordBackupSnapshot(h.store, {
      id,
      repositoryId: repository.id,
      scheduleId,
      customerId: 'c-verified',
      time,
      scope: 'full',
      contents: ['web'],
      roots: { web: ['/srv/www/c-verified'] },
      size: 10,
      forgotten: [],
    });
  const drill = {
    jobId: null,
    repositoryId: repository.id,
    customerId: 'c-verified',
    filesCompared: 3,
    databasesCompared: 0,
  };
  await recordDrill(h.store, {
    ...drill,
    snapshotId: older,
    status: 'verified',
    finishedAt: '2026-11-26T05:00:00.000Z',
  });
  await recordDrill(h.store, {
    ...drill,
    snapshotId: newer,
    status: 'failed',
    finishedAt: '2026-11-28T05:00:00.000Z',
    difference: 'file /x differs',
  });
});
after(async () => {
  await h.close();
});

test('each snapshot carries its verified date, the list the last verified restore', async () => {
  const answer = await h.app.inject({
    method: 'GET',
    url: `/api/schedules/${scheduleId}/snapshots`,
    headers: { authorization: `Bearer ${h.adminToken}` },
  });
  assert.equal(answer.statusCode, 200, answer.body);
  const body = answer.json() as {
    lastVerifiedAt: string | null;
    snapshots: { id: string; verifiedAt: string | null }[];
  };
  const byId = new Map(body.snapshots.map((s) => [s.id, s.verifiedAt]));
  assert.equal(byId.get(older), '2026-11-26T05:00:00.000Z');
  assert.equal(byId.get(newer), null, 'a failed drill verifies nothing');
  // The seeded verified drill of c-verified (a day before the clock) is the latest verified one.
  assert.equal(body.lastVerifiedAt, '2026-11-27T10:00:00.000Z');
});
