/** A restored file's friendly name agrees with how Browse Files names the same place. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeRoots } from '../snapshot/paths.js';
import { friendlyPathOf } from './friendly-path.js';

test('one web root: its content directly under "Web files"', () => {
  const roots = { web: ['/var/www/carol/public_html'] };
  assert.equal(
    friendlyPathOf(roots, '/var/www/carol/public_html/robots.txt'),
    'Web files/robots.txt',
  );
  assert.equal(friendlyPathOf(roots, '/var/www/carol/public_html/a/b.php'), 'Web files/a/b.php');
  assert.equal(friendlyPathOf(roots, '/etc/passwd'), undefined);
  assert.equal(friendlyPathOf(roots, '/var/www/carol/public_html/../x'), undefined);
});

test('several roots of a group are named as describeRoots names them', () => {
  const roots = {
    config: ['/etc/nginx/sites-available/carol.conf', '/etc/php/fpm/pool.d/carol.conf'],
    mail: ['/var/mail/a/info', '/var/mail/b/info'],
  };
  const names = describeRoots(roots).flatMap((v) =>
    v.roots.map((r) => `${v.label}/${r.displayName}`),
  );
  assert.deepEqual(
    [
      friendlyPathOf(roots, '/etc/nginx/sites-available/carol.conf'),
      friendlyPathOf(roots, '/etc/php/fpm/pool.d/carol.conf'),
    ],
    names.slice(2, 4),
  );
  assert.equal(friendlyPathOf(roots, '/var/mail/b/info/cur/1.eml'), `${names[1]}/cur/1.eml`);
});
