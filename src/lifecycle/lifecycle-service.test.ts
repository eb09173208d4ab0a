import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../config.js';
import { HostvaultError } from '../errors/index.js';
import { escapePattern } from '../host/repository-tasks.js';
import { canRewrite, checkedPath, DEFAULT_TERMINATED_KEEP_DAYS } from './lifecycle-service.js';

test('restic rewrites snapshots from 0.15 on, by the version the agent reports', () => {
  assert.equal(canRewrite('restic 0.14.0'), false);
  assert.equal(canRewrite('restic 0.15.0'), true);
  assert.equal(canRewrite('restic 0.18.0 compiled with go1.24.4 on linux/amd64'), true);
  assert.equal(canRewrite('1.0.0'), true);
  assert.equal(canRewrite('unknown'), false);
});

test('the path to purge is absolute and plain, or refused naming it', () => {
  assert.equal(checkedPath('/home/c1/www/secret.txt'), '/home/c1/www/secret.txt');
  assert.equal(checkedPath('/home/c1/www/uploads/'), '/home/c1/www/uploads');
  for (const bad of ['', '/', 'www/secret.txt', '/home/../etc', '/home//c1', '/a/./b', '/a\nb', 42])
    assert.throws(
      () => checkedPath(bad),
      (e: unknown) => e instanceof HostvaultError && e.code === 'lifecycle.path_invalid',
      JSON.stringify(bad),
    );
});

test("restic's pattern characters in a file name match only that name", () => {
  assert.equal(escapePattern('/w/a*b?[1].txt'), '/w/a\\*b\\?\\[1\\].txt');
  assert.equal(escapePattern('/w/plain.txt'), '/w/plain.txt');
  assert.equal(escapePattern('/w/back\\slash'), '/w/back\\\\slash');
});

test('HOSTVAULT_TERMINATED_KEEP_DAYS: a whole number of days, 0 allowed, default 30', () => {
  assert.equal(loadConfig({}).terminatedKeepDays, DEFAULT_TERMINATED_KEEP_DAYS);
  assert.equal(DEFAULT_TERMINATED_KEEP_DAYS, 30);
  assert.equal(loadConfig({ HOSTVAULT_TERMINATED_KEEP_DAYS: '0' }).terminatedKeepDays, 0);
  assert.equal(loadConfig({ HOSTVAULT_TERMINATED_KEEP_DAYS: '90' }).terminatedKeepDays, 90);
  assert.throws(
    () => loadConfig({ HOSTVAULT_TERMINATED_KEEP_DAYS: 'a month' }),
    /HOSTVAULT_TERMINATED_KEEP_DAYS must be a whole number/,
  );
});
