/**
 * The plan of a restore job, and what recovery after a crash reads from it: a job reads
 * successful only when the restore recovery finished was the plan's last.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Customer } from '../inventory/schema.js';
import type { SnapshotRow } from '../store/index.js';
import { completedByRecovery, planRestore } from './restore-plan.js';
import { restoreRequestSchema } from './restore-request.js';

const customer: Customer = {
  id: 'bob',
  name: 'Bob',
  linuxUser: 'bob',
  uid: 2001,
  gid: 2001,
  packageId: 'p',
  webRoot: '/home/bob/www',
  databases: ['bob_shop', 'bob_blog'],
  mailboxes: [
    { address: 'a@bob.example', maildir: '/var/mail/bob/a', sieveDir: '/var/sieve/bob/a' },
    { address: 'b@bob.example', maildir: '/var/mail/bob/b', sieveDir: '/var/sieve/bob/b' },
  ],
  sslFiles: ['/etc/ssl/bob.pem'],
  configFiles: [],
};
const full: SnapshotRow = {
  id: 'abcd1234',
  kind: 'backup',
  restore_job_id: null,
  undo: null,
  files: null,
  change_share: null,
  random_share: null,
  copy_of: null,
  repository_id: 1,
  schedule_id: 1,
  customer_id: 'bob',
  time: '2026-11-27T02:00:00Z',
  scope: 'full',
  contents: JSON.stringify(['web', 'db', 'mail', 'ssl']),
  // Only a's Sieve filters are in the snapshot.
  roots: JSON.stringify({
    web: ['/home/bob/www'],
    db: ['/var/lib/hostvault/staging/bob/1/databases'],
    mail: ['/var/mail/bob/a', '/var/sieve/bob/a', '/var/mail/bob/b'],
    ssl: ['/etc/ssl/bob.pem'],
  }),
  size: 1,
  tags: '[]',
};
const request = (body: object) => restoreRequestSchema.parse(body);

describe('restore plans', () => {
  test('"everything": web, databases, mailboxes with their filters, then files, in that order', () => {
    const plan = planRestore(full, customer, request({ what: 'everything' }));
    assert.deepEqual(
      plan.parts.map((p) => p.kind),
      ['web', 'databases', 'mail', 'file'],
    );
    // web, a, a's filters, b, the certificate: the journals <job>-1 … <job>-5.
    assert.equal(plan.areas, 5);
  });

  test('recovery completes a job only when it finished the plan’s last restore', () => {
    const everything = planRestore(full, customer, request({ what: 'everything' }));
    const forward = (journalId: string) => ({ journalId, action: 'rolled-forward' as const });
    assert.equal(completedByRecovery(everything, 7, [forward('7-1')]), false, 'web of five areas');
    assert.equal(completedByRecovery(everything, 7, [forward('7-5')]), true);
    assert.equal(
      completedByRecovery(everything, 7, [forward('7-5'), { journalId: '7-4', action: 'failed' }]),
      false,
    );

    const web = planRestore(full, customer, request({ what: 'web' }));
    assert.equal(completedByRecovery(web, 7, [forward('7-1')]), true);
    assert.equal(completedByRecovery(web, 7, [{ journalId: '7-1', action: 'rolled-back' }]), false);
    assert.equal(completedByRecovery(web, 7, []), false);

    const databases = planRestore(full, customer, request({ what: 'databases' }));
    const db = (database: string) => ({ database, action: 'rolled-forward' as const });
    assert.equal(completedByRecovery(databases, 7, [db('bob_shop')]), false);
    assert.equal(completedByRecovery(databases, 7, [db('bob_blog')]), true);
  });
});
