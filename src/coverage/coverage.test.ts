/**
 * The coverage view's numbers equal a hand count on seeded customers — unscheduled, overdue,
 * failed, partial, uncovered, verified — on the test store (SQLite; PostgreSQL under
 * scripts/test-postgres.sh), through the service and through the API with its CSV export.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { harness, type Harness } from '../../test/support/api-harness.js';
import { HAND_COUNT, seedCoverage } from '../../test/support/coverage-seed.js';
import { coverageRoutes, type CoverageRouteDeps } from '../api/admin/coverage-routes.js';
import { COVERAGE_STATES, CoverageService } from './coverage-service.js';

let h: Harness;
let coverage: CoverageService;
const now = new Date('2026-11-28T10:00:00.000Z');

before(async () => {
  const deps = {} as CoverageRouteDeps;
  h = await harness({}, { modules: [coverageRoutes(deps)] });
  coverage = new CoverageService({ store: h.store, server: 'web1', now: () => now });
  deps.coverage = coverage;
  await seedCoverage(h.store, now, 3);
});
after(async () => {
  await h.close();
});

const ids = (rows: { customerId: string }[]) => rows.map((r) => r.customerId).sort();

test('each condition counts exactly the customers counted by hand', async () => {
  const all = await coverage.list({ limit: 1000 });
  assert.equal(all.total, 9);
  const healthy = ['h-000000', 'h-000001', 'h-000002'];
  for (const state of COVERAGE_STATES) {
    const expected = state === 'ok' ? [...HAND_COUNT.ok, ...healthy] : HAND_COUNT[state];
    const listed = await coverage.list({ state, limit: 1000 });
    assert.deepEqual(ids(listed.rows), [...expected].sort(), state);
    assert.equal(all.counts[state], expected.length, `count of ${state}`);
  }
  const byId = new Map(all.rows.map((r) => [r.customerId, r]));
  assert.equal(byId.get('c-failed')?.state, 'failed');
  assert.deepEqual(byId.get('c-uncovered')?.unscheduledAreas, ['db']);
  assert.equal(byId.get('c-verified')?.repositoryBytes, HAND_COUNT.verifiedBytes);
  assert.equal(byId.get('c-verified')?.lastVerifiedAt, '2026-11-27T10:00:00.000Z');
  assert.equal(byId.get('c-overdue')?.lastSuccess.full, '2026-11-23T10:00:00.000Z');
  assert.equal(byId.get('c-unscheduled')?.lastSuccessAt, null);
});

test('filters, sorting and paging', async () => {
  assert.deepEqual(ids((await coverage.list({ scope: 'web' })).rows), ['c-uncovered']);
  assert.equal((await coverage.list({ server: 'web2' })).total, 0);
  assert.equal((await coverage.list({ server: 'web1' })).total, 9);
  // A customer the fleet placed on another server is counted there, not on this default one.
  await h.store.db
    .updateTable('customers')
    .set({ server_id: 'web2' })
    .where('id', '=', 'c-failed')
    .execute();
  assert.deepEqual(ids((await coverage.list({ server: 'web2' })).rows), ['c-failed']);
  assert.equal((await coverage.list({ server: 'web1' })).total, 8);
  await h.store.db
    .updateTable('customers')
    .set({ server_id: 'local' })
    .where('id', '=', 'c-failed')
    .execute();
  const bySize = await coverage.list({ sort: 'size', order: 'desc', limit: 1 });
  assert.equal(bySize.rows[0]?.customerId, 'h-000000');
  assert.equal(bySize.total, 9);
  const worst = await coverage.list({ sort: 'state', limit: 2, offset: 0 });
  assert.deepEqual(
    worst.rows.map((r) => r.state),
    ['failed', 'overdue'],
  );
  const page2 = await coverage.list({ sort: 'customer', limit: 4, offset: 5 });
  assert.deepEqual(ids(page2.rows), ['c-verified', 'h-000000', 'h-000001', 'h-000002']);
});

test('the API answers pages as JSON and every matching row as CSV; admins only', async () => {
  const auth = { authorization: `Bearer ${h.adminToken}` };
  const json = await h.app.inject({
    method: 'GET',
    url: '/api/admin/coverage?state=overdue',
    headers: auth,
  });
  assert.equal(json.statusCode, 200, json.body);
  assert.deepEqual(ids(json.json().rows), ['c-overdue']);
  for (const url of [
    '/api/admin/coverage?format=csv&state=unverified',
    '/api/admin/coverage.csv?state=unverified',
  ]) {
    const csv = await h.app.inject({ method: 'GET', url, headers: auth });
    assert.equal(csv.statusCode, 200, csv.body);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    assert.match(lines[0]!, /^customer,name,package,server,state,/);
    assert.deepEqual(
      lines
        .slice(1)
        .map((l) => l.split(',')[0])
        .sort(),
      [...HAND_COUNT.unverified].sort(),
    );
  }
  const bad = await h.app.inject({
    method: 'GET',
    url: '/api/admin/coverage?state=nope',
    headers: auth,
  });
  assert.equal(bad.statusCode, 400);
  const anonymous = await h.app.inject({ method: 'GET', url: '/api/admin/coverage' });
  assert.equal(anonymous.statusCode, 401);
});
