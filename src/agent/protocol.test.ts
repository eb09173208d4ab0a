/**
 * The agent's messages must cross a network unchanged (issue 12 puts NATS under them): each
 * request, answer and event, as a real example of it, goes through JSON and back and through its
 * schema, and comes out equal. A field that is a function, a Buffer, a Date, a class instance or
 * undefined would fail here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { z } from 'zod';
import { AgentError, failureOf } from './errors.js';
import * as p from './protocol.js';

const target = { kind: 's3' as const, endpoint: 'https://127.0.0.1:9000', bucket: 'backups' };
const repository: p.RepositoryAccess = {
  repositoryId: 7,
  url: 's3:https://127.0.0.1:9000/backups/alice',
  owner: 'alice',
  target: p.repositoryAccessSchema.shape.target.parse({
    ...target,
    accessKeyId: 'AKIAEXAMPLE',
    secretAccessKey: 'secret-key-example',
  }),
  password: 'x'.repeat(43),
  initialized: true,
};
const customer = p.backupRequestSchema.shape.customer.parse({
  id: 'alice',
  name: 'Alice',
  linuxUser: 'alice',
  uid: 1000,
  gid: 1000,
  packageId: 'basic',
  webRoot: '/home/alice/www',
  databases: ['alice_wp'],
  mailboxes: [{ address: 'info@alice.test', maildir: '/home/alice/mail/info' }],
  sslFiles: ['/home/alice/ssl/cert.pem'],
  configFiles: [],
});
const summary = {
  filesNew: 3,
  filesChanged: 0,
  filesUnmodified: 12,
  dirsNew: 1,
  dirsChanged: 0,
  dirsUnmodified: 4,
  dataBlobs: 3,
  treeBlobs: 2,
  dataAdded: 20480,
  totalFilesProcessed: 15,
  totalBytesProcessed: 1048576,
  totalDuration: 1.25,
  snapshotId: '1a2b3c4d',
};
const roots = { web: ['/home/alice/www'], db: ['/var/lib/hostvault/staging/alice/3/databases'] };

/** [name, schema, one real example]: every message of the protocol. */
const examples: [string, z.ZodType, unknown][] = [
  ['RepositoryAccess', p.repositoryAccessSchema, repository],
  ['event: log', p.agentEventSchema, { kind: 'log', line: 'Dumping 1 database(s): alice_wp' }],
  [
    'event: progress',
    p.agentEventSchema,
    {
      kind: 'progress',
      fraction: 0.42,
      bytesDone: 440401,
      bytesTotal: 1048576,
      filesDone: 6,
      filesTotal: 15,
      currentFile: '/home/alice/www/index.php',
      etaSeconds: 3,
    },
  ],
  [
    'event: repository-initialized',
    p.agentEventSchema,
    { kind: 'repository-initialized', repositoryId: 7 },
  ],
  [
    'event: safety-snapshot',
    p.agentEventSchema,
    {
      kind: 'safety-snapshot',
      id: '5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
      time: '2025-01-02T03:04:05.678Z',
      content: 'mail',
      roots: ['/var/mail/example.com/alice/Maildir'],
      tags: ['safety', 'job=14', 'customer=alice', 'content=mail'],
      undo: { what: 'mailbox', mailbox: 'alice@example.com', keepNewerMail: false },
      holds: 'mailbox alice@example.com',
    },
  ],
  [
    'event: safety-forgotten',
    p.agentEventSchema,
    { kind: 'safety-forgotten', repositoryId: 7, ids: ['1a2b3c4d5e6f7a8b'] },
  ],
  [
    'failure',
    p.agentFailureSchema,
    {
      code: 'unreachable',
      message: 'The backup target could not be reached.',
      detail: 'dial tcp 127.0.0.1:9000: connect: connection refused',
      from: 'restic',
    },
  ],
  [
    'backup request',
    p.backupRequestSchema,
    {
      jobId: 12,
      repository,
      customer,
      scheduleId: 3,
      scope: 'full',
      parent: null,
      knownSnapshots: 0,
      previousAdded: 20480,
      quota: { limit: 1073741824 },
      retention: 7,
      indexAfter: true,
    },
  ],
  [
    "backup request (with held snapshots and the mass-change guard's inputs)",
    p.backupRequestSchema,
    {
      jobId: 16,
      repository,
      customer,
      scheduleId: 3,
      scope: 'web',
      parent: '0f0e0d0c',
      knownSnapshots: 4,
      retention: 2,
      held: ['aabbccdd', '11223344556677889900aabbccddeeff'],
      sampleSince: '2025-01-01T03:04:05.678Z',
      guard: { previousFiles: 2008, changeShares: [0.01, 0.012], randomShares: [0, 0.001] },
    },
  ],
  [
    'backup answer',
    p.backupAnswerSchema,
    {
      snapshotId: '1a2b3c4d',
      time: '2025-01-02T03:04:05.678Z',
      parent: '0f0e0d0c0b0a09080706050403020100',
      summary,
      contents: ['web', 'db'],
      roots,
      forgotten: ['99887766554433221100ffeeddccbbaa'],
      unreadable: ['/home/alice/www/private.key'],
      sample: { modified: 1205, sampled: 64, random: 62 },
    },
  ],
  [
    'maintain request',
    p.maintainRequestSchema,
    { jobId: 13, repository, task: 'check', checkSubset: '5%' },
  ],
  [
    'maintain request (prune, with the retention of safety snapshots)',
    p.maintainRequestSchema,
    {
      jobId: 15,
      repository,
      task: 'prune',
      safetyRetention: {
        keepLast: 10,
        keepDays: 7,
        now: '2025-01-09T00:00:00.000Z',
        held: ['aabbccdd'],
      },
    },
  ],
  ['maintain answer', p.maintainAnswerSchema, { task: 'check' }],
  [
    'maintain request (copy to a second repository, with its retention)',
    p.maintainRequestSchema,
    {
      jobId: 16,
      repository,
      task: 'copy',
      copyTo: { ...repository, repositoryId: 8, url: '/srv/copies/alice', initialized: false },
      snapshotIds: ['1a2b3c4d'],
      copyRetention: { tags: ['customer=alice', 'schedule=3'], keepLast: 5 },
    },
  ],
  [
    'maintain answer (copy)',
    p.maintainAnswerSchema,
    {
      task: 'copy',
      copies: [
        { id: '9f8e7d6c5b4a3928', original: '1a2b3c4d5e6f7a8b', time: '2025-01-09T02:17:00Z' },
      ],
    },
  ],
  [
    "maintain request (a path removed from the customer's snapshots)",
    p.maintainRequestSchema,
    {
      jobId: 17,
      repository,
      task: 'rewrite',
      customerId: 'alice',
      excludes: ['/home/alice/www/secret.txt'],
      held: ['aabbccdd'],
    },
  ],
  [
    'maintain answer (rewrite)',
    p.maintainAnswerSchema,
    { task: 'rewrite', renamed: [{ from: '1a2b3c4d5e6f7a8b', to: '9f8e7d6c5b4a3928' }] },
  ],
  [
    'maintain request (purge of a terminated customer)',
    p.maintainRequestSchema,
    { jobId: 18, repository, task: 'purge', customerId: 'alice', held: [] },
  ],
  [
    'maintain answer (purge)',
    p.maintainAnswerSchema,
    { task: 'purge', snapshots: ['1a2b3c4d5e6f7a8b'], removed: true },
  ],
  [
    'drill request',
    p.drillRequestSchema,
    {
      jobId: 21,
      repository,
      snapshotId: '1a2b3c4d5e6f7a8b',
      customer,
      roots,
      contents: ['web', 'db'],
      sample: { files: 20, bytes: 67108864 },
    },
  ],
  [
    'drill answer',
    p.drillAnswerSchema,
    {
      differences: ['file /home/alice/www/index.php: content differs from the live file'],
      filesCompared: 19,
      filesChanged: 0,
      databasesCompared: 1,
    },
  ],
  [
    'forget request',
    p.forgetRequestSchema,
    {
      repository,
      scheduleId: 3,
      customerId: 'alice',
      also: ['aabbccdd11223344'],
      held: ['99887766'],
    },
  ],
  ['forget answer', p.forgetAnswerSchema, { forgotten: ['1a2b3c4d5e6f'] }],
  [
    'test connection request',
    p.testConnectionRequestSchema,
    { target: repository.target, audience: 'customer', reachAddress: '203.0.113.7' },
  ],
  [
    'test connection answer (failed)',
    p.testConnectionAnswerSchema,
    {
      ok: false,
      step: 'authenticate',
      message: 'The server refused the login.',
      steps: [{ step: 'reach', message: 'The server answered.' }],
    },
  ],
  [
    'browse open request',
    p.browseOpenRequestSchema,
    { repository, snapshotId: '1a2b3c4d', timeoutMs: 600000, stallMs: 120000 },
  ],
  [
    'browse open answer',
    p.browseOpenAnswerSchema,
    { snapshotId: '1a2b3c4d', reused: false, entries: 1500 },
  ],
  [
    'browse list request',
    p.browseListRequestSchema,
    {
      repository,
      snapshotId: '1a2b3c4d',
      roots,
      path: '/Web files',
      offset: 0,
      limit: 200,
    },
  ],
  [
    'browse list answer',
    p.browseListAnswerSchema,
    {
      path: '/Web files',
      entries: [
        {
          name: 'index.php',
          type: 'file',
          path: '/Web files/index.php',
          realPath: '/home/alice/www/index.php',
          group: 'web',
          size: 13,
          mtime: '2025-01-02T03:04:05.123456789+01:00',
          mode: 420,
          uid: 1000,
          gid: 1000,
        },
      ],
      total: 1,
      offset: 0,
      limit: 200,
    },
  ],
  [
    'browse stat request',
    p.browseStatRequestSchema,
    { repository, snapshotId: '1a2b3c4d', roots, path: '/Web files/index.php' },
  ],
  [
    'browse stat answer',
    p.browseStatAnswerSchema,
    {
      kind: 'real',
      path: '/Web files/index.php',
      realPath: '/home/alice/www/index.php',
      entry: { name: 'index.php', type: 'file', path: '/home/alice/www/index.php', size: 13 },
    },
  ],
  [
    'browse search request',
    p.browseSearchRequestSchema,
    { repository, snapshotId: '1a2b3c4d', roots, query: 'index', limit: 100 },
  ],
  [
    'browse search answer',
    p.browseSearchAnswerSchema,
    {
      query: 'index',
      entries: [
        {
          name: 'index.php',
          type: 'file',
          path: '/Web files/index.php',
          realPath: '/home/alice/www/index.php',
          group: 'web',
          size: 13,
        },
      ],
      more: false,
    },
  ],
  [
    'download request',
    p.downloadRequestSchema,
    { repository, snapshotId: '1a2b3c4d', roots, path: '/Web files' },
  ],
  [
    'download meta',
    p.downloadMetaSchema,
    { kind: 'dir', name: 'Web files', contentType: 'application/gzip' },
  ],
  [
    'restore request',
    p.restoreRequestSchema,
    {
      jobId: 14,
      repository,
      snapshotId: '1a2b3c4d',
      customer,
      roots,
      contents: ['web', 'db'],
      what: 'database',
      database: 'alice_wp',
      keepNewerMail: true,
    },
  ],
  ['restore answer', p.restoreAnswerSchema, { safetySnapshots: ['aabbccdd'] }],
  [
    'restore preview request',
    p.restorePreviewRequestSchema,
    {
      repository,
      snapshotId: '1a2b3c4d',
      customer,
      roots,
      contents: ['web', 'db'],
      what: 'everything',
      keepNewerMail: true,
      action: 'delete',
      offset: 50,
      limit: 50,
    },
  ],
  [
    'restore preview answer',
    p.restorePreviewAnswerSchema,
    {
      method: 'index',
      areas: [
        {
          group: 'web',
          part: 'area',
          mode: 'replace',
          add: 2,
          change: 1,
          delete: 51,
          unchanged: 1200,
          bytes: 40960,
        },
        {
          group: 'mail',
          part: 'area',
          name: 'info@alice.example',
          mode: 'keep-newer',
          add: 3,
          change: 0,
          delete: 0,
          unchanged: 300,
          bytes: 9000,
        },
      ],
      databases: ['alice_wp'],
      page: {
        action: 'delete',
        offset: 50,
        limit: 50,
        total: 51,
        items: [{ area: 0, path: 'wp-content/cache/page.html' }],
      },
    },
  ],

  [
    'sweep certificates request',
    p.sweepCertificatesRequestSchema,
    { inUse: ['-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n'] },
  ],
  [
    'sweep certificates answer',
    p.sweepCertificatesAnswerSchema,
    { removed: ['0123456789abcdef.pem'] },
  ],
  ['recover request', p.recoverRequestSchema, { customerIds: ['alice', 'bob'] }],
  [
    'recover answer',
    p.recoverAnswerSchema,
    {
      notes: [
        {
          jobId: 9,
          note: '/home/alice/www was left as it was before the restore.',
          restore: { journalId: '9-1', action: 'rolled-back' },
        },
        {
          jobId: 10,
          note: 'Database alice_wp was restored completely when the service started again.',
          restore: { database: 'alice_wp', action: 'rolled-forward' },
        },
      ],
      log: ['recovered interrupted restore of job 9: rolled-back /home/alice/www'],
    },
  ],
  [
    'facts',
    p.factsSchema,
    {
      restic: { version: 'restic 0.14.0', binary: '/usr/bin/restic' },
      mariadb: { version: '10.11.6-MariaDB-0+deb12u1' },
      dataDirFreeBytes: 52428800000,
    },
  ],
];

for (const [name, schema, example] of examples) {
  test(`${name}: survives JSON and its schema unchanged`, () => {
    const parsed = schema.parse(example);
    assert.deepEqual(parsed, example, 'the example is a valid message as it is');
    const wire = JSON.stringify(parsed);
    assert.deepEqual(schema.parse(JSON.parse(wire)), example);
  });
}

test('every request and answer schema of the protocol has an example here', () => {
  const schemas = Object.entries(p).filter(
    ([key, value]) => key.endsWith('Schema') && typeof value === 'object',
  );
  const covered = new Set(examples.map(([, schema]) => schema));
  const parts = new Set([p.friendlyRootsSchema, p.friendlyEntrySchema, p.backupSummarySchema]);
  const events = new Set([
    p.logEventSchema,
    p.progressEventSchema,
    p.repositoryInitializedEventSchema,
    p.safetySnapshotEventSchema,
    p.safetyForgottenEventSchema,
  ]);
  const missing = schemas
    .filter(
      ([, s]) => !covered.has(s as z.ZodType) && !parts.has(s as never) && !events.has(s as never),
    )
    .map(([key]) => key);
  assert.deepEqual(missing, []);
});

test('a message that holds something other than plain data is refused', () => {
  assert.throws(() =>
    p.backupAnswerSchema.parse({
      snapshotId: '1a2b3c4d',
      time: new Date(),
      summary,
      contents: [],
      roots: {},
      forgotten: [],
      unreadable: [],
    }),
  );
  assert.throws(() =>
    p.agentEventSchema.parse({ kind: 'log', line: 'x', callback: () => undefined }),
  );
});

test("a host error becomes a failure with its code and restic's detail, and back", () => {
  const engineLike = Object.assign(new Error('There is no space left on the backup target.'), {
    name: 'EngineError',
    kind: 'no-space',
    detail: 'write /repo/data/ab: no space left on device',
  });
  const failure = failureOf(engineLike);
  assert.deepEqual(failure, {
    code: 'no-space',
    message: 'There is no space left on the backup target.',
    detail: 'write /repo/data/ab: no space left on device',
    from: 'restic',
  });
  const back = new AgentError(p.agentFailureSchema.parse(JSON.parse(JSON.stringify(failure))));
  assert.equal(back.code, 'no-space');
  assert.equal(back.message, engineLike.message);
  assert.deepEqual(back.toFailure(), failure);
  assert.deepEqual(failureOf(new Error('anything else')), {
    code: 'failed',
    message: 'anything else',
  });
});
