import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StoredValueError } from '../store/index.js';
import { customerList, customerMailboxes, packageFrequencies } from './inventory-service.js';

const customer = {
  id: 'bob',
  databases: '["bob_shop"]',
  ssl_files: '[]',
  config_files: '["/etc/bob.conf"]',
  mailboxes: JSON.stringify([
    { address: 'a@bob.example', maildir: '/var/mail/bob/a', sieveDir: '/var/sieve/bob/a' },
    { address: 'b@bob.example', maildir: '/var/mail/bob/b' },
  ]),
};

const damaged = (row: string, column: string) => (error: unknown) =>
  error instanceof StoredValueError && error.row === row && error.column === column;

describe('inventory rows: stored JSON', () => {
  test('valid package and customer columns decode', () => {
    assert.deepEqual(packageFrequencies({ id: 'basic', frequencies: '["daily","weekly"]' }), [
      'daily',
      'weekly',
    ]);
    assert.deepEqual(customerList(customer, 'databases'), ['bob_shop']);
    assert.deepEqual(customerList(customer, 'ssl_files'), []);
    assert.deepEqual(customerList(customer, 'config_files'), ['/etc/bob.conf']);
    assert.deepEqual(customerMailboxes(customer), [
      { address: 'a@bob.example', maildir: '/var/mail/bob/a', sieveDir: '/var/sieve/bob/a' },
      { address: 'b@bob.example', maildir: '/var/mail/bob/b' },
    ]);
  });

  test('damaged columns name the record and the column', () => {
    assert.throws(
      () => packageFrequencies({ id: 'basic', frequencies: '["daily","yearly"]' }),
      damaged('package basic', 'frequencies'),
    );
    assert.throws(() => customerList({ ...customer, databases: '["bob_shop"' }, 'databases'), {
      message: 'The stored databases of customer bob is damaged (not valid JSON).',
    });
    assert.throws(
      () => customerList({ ...customer, ssl_files: '{"a":1}' }, 'ssl_files'),
      damaged('customer bob', 'ssl_files'),
    );
    assert.throws(
      () => customerMailboxes({ ...customer, mailboxes: '[{"address":"a@bob.example"}]' }),
      damaged('customer bob', 'mailboxes'),
    );
  });
});
