import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BrowseError } from './errors.js';
import { ROOT_GROUPS, ROOT_LABELS } from '../scope/labels.js';
import {
  assertWithinRoots,
  describeRoots,
  isWithin,
  normalizePath,
  pathSegments,
} from './paths.js';

function refused(run: () => unknown, kind: BrowseError['kind'], message?: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof BrowseError, String(e));
    assert.equal(e.kind, kind);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('snapshot paths', () => {
  test('canonical form tolerates repeated and trailing slashes', () => {
    assert.equal(normalizePath('/'), '/');
    assert.equal(normalizePath('//srv//www/'), '/srv/www');
    assert.deepEqual(pathSegments('/Web files/wp-content/'), ['Web files', 'wp-content']);
  });

  test('refuses .., ., NUL, relative, empty and absurdly long paths with a clear message', () => {
    refused(() => normalizePath('/srv/../etc/passwd'), 'invalid-path', /must not contain "\.\."/);
    refused(() => normalizePath('/srv/./www'), 'invalid-path', /"\."/);
    refused(() => normalizePath('/srv/www\0/x'), 'invalid-path', /NUL/);
    refused(() => normalizePath('srv/www'), 'invalid-path', /start with "\/"/);
    refused(() => normalizePath(''), 'invalid-path', /empty/);
    refused(() => normalizePath('/' + 'a'.repeat(5000)), 'invalid-path', /longer than/);
    // A name that merely contains dots is a name.
    assert.equal(normalizePath('/srv/..hidden/a..b/...'), '/srv/..hidden/a..b/...');
  });

  test('within a root means the root itself or beneath it, never a sibling with a common prefix', () => {
    assert.ok(isWithin('/srv/www/alice', '/srv/www/alice'));
    assert.ok(isWithin('/srv/www/alice', '/srv/www/alice/x'));
    assert.ok(!isWithin('/srv/www/alice', '/srv/www/alice2/x'));
    assert.ok(!isWithin('/srv/www/alice', '/srv/www'));
  });

  test('assertWithinRoots refuses other customers and climbing out', () => {
    const roots = { web: ['/srv/www/alice/public_html'], ssl: ['/etc/ssl/alice/cert.pem'] };
    assert.equal(
      assertWithinRoots(roots, '/srv/www/alice/public_html/a/'),
      '/srv/www/alice/public_html/a',
    );
    assert.equal(assertWithinRoots(roots, '/etc/ssl/alice/cert.pem'), '/etc/ssl/alice/cert.pem');
    refused(
      () => assertWithinRoots(roots, '/srv/www/bob/public_html'),
      'outside-roots',
      /\/srv\/www\/bob/,
    );
    refused(() => assertWithinRoots(roots, '/etc/ssl/alice/key.pem'), 'outside-roots');
    refused(() => assertWithinRoots(roots, '/srv/www/alice/public_html/../../bob'), 'invalid-path');
  });

  test('labels are data, in display order, one per content tag', () => {
    assert.deepEqual(
      ROOT_GROUPS.map((g) => g.label),
      ['Web files', 'Databases', 'Email', 'SSL', 'Configuration'],
    );
    assert.equal(ROOT_LABELS.db, 'Databases');
  });

  test('roots are named by base name, disambiguated by parent when two share one', () => {
    const views = describeRoots({
      config: ['/etc/nginx/sites-available/alice.conf', '/etc/php/8.2/fpm/pool.d/alice.conf'],
      mail: ['/var/mail/example.com/alice/', '/var/mail/example.com/alice', '/var/sieve/alice'],
      web: [],
    });
    assert.deepEqual(
      views.map((v) => v.group),
      ['mail', 'config'],
      'display order, empty groups left out',
    );
    const [mail, config] = views;
    assert.deepEqual(
      config?.roots.map((r) => r.displayName),
      ['alice.conf (sites-available)', 'alice.conf (pool.d)'],
    );
    // Duplicates collapse; same base name under different parents gets the parent.
    assert.deepEqual(
      mail?.roots.map((r) => [r.displayName, r.path]),
      [
        ['alice (example.com)', '/var/mail/example.com/alice'],
        ['alice (sieve)', '/var/sieve/alice'],
      ],
    );
    refused(() => describeRoots({ web: ['relative/path'] }), 'invalid-path', /Web files root/);
  });
});
