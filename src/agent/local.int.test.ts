/**
 * The in-process agent speaks the protocol: with real restic, each answer and event it gives is
 * valid under its schema and survives JSON unchanged, a download's bytes are the file's, and a
 * failure arrives as an AgentError with its code (a refusal before the first byte, restic's
 * wrong password with restic's detail). A transport under the interface carries exactly these.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { z } from 'zod';
import { openApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import { customerSchema, type Customer } from '../inventory/schema.js';
import { targetSchema, type Target } from '../target/schema.js';
import { AgentError } from './errors.js';
import * as p from './protocol.js';

let work: string;
let app: App;
let target: Target;
let customer: Customer;

/** The message as a transport would deliver it: valid, and equal after JSON. */
function delivered<T>(schema: z.ZodType<T>, message: unknown): T {
  const parsed = schema.parse(message);
  assert.deepEqual(schema.parse(JSON.parse(JSON.stringify(message))), parsed);
  assert.deepEqual(parsed, message, 'nothing in the message that its schema does not know');
  return parsed;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-agent-'));
  app = await openApp(
    loadConfig({
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
    }),
    { log: () => undefined },
  );
  const www = join(work, 'home/alice/www');
  await mkdir(join(www, 'site'), { recursive: true });
  await writeFile(join(www, 'site/index.php'), '<?php echo "hello";');
  await symlink('/etc/passwd', join(www, 'site/passwd'));
  customer = customerSchema.parse({
    id: 'alice',
    name: 'Alice',
    linuxUser: 'alice',
    uid: 2000,
    gid: 2000,
    packageId: 'basic',
    webRoot: www,
  });
  target = targetSchema.parse({ kind: 'local', path: join(work, 'repos') });
});
after(async () => {
  await app.close();
  await rm(work, { recursive: true, force: true });
});

test('backup, browse, download and forget answer in protocol messages', async () => {
  const events: p.AgentEvent[] = [];
  const repository = await app.repositoryRecords.access(target, 'alice');
  assert.equal(repository.initialized, false, 'a new repository: the agent runs init');
  const request = delivered(p.backupRequestSchema, {
    jobId: 1,
    repository,
    customer,
    scheduleId: 4,
    scope: 'web',
    parent: null,
    knownSnapshots: 0,
    retention: 3,
  });
  const answer = delivered(
    p.backupAnswerSchema,
    await app.agent.backup(request, { onEvent: (e) => events.push(e) }),
  );
  assert.deepEqual(answer.contents, ['web']);
  for (const event of events) delivered(p.agentEventSchema, event);
  assert.ok(
    events.some(
      (e) => e.kind === 'repository-initialized' && e.repositoryId === repository.repositoryId,
    ),
    'the init is reported, for the control plane to record',
  );

  const opened = { repository, snapshotId: answer.snapshotId, roots: answer.roots };
  const listing = delivered(
    p.browseListAnswerSchema,
    await app.agent.browse.list(
      delivered(p.browseListRequestSchema, {
        ...opened,
        path: '/Web files/site',
        offset: 0,
        limit: 50,
      }),
    ),
  );
  assert.deepEqual(
    listing.entries.map((e) => [e.name, e.type]),
    [
      ['index.php', 'file'],
      ['passwd', 'symlink'],
    ],
  );
  const stat = delivered(
    p.browseStatAnswerSchema,
    await app.agent.browse.stat({ ...opened, path: '/Web files/site/index.php' }),
  );
  assert.equal(stat.kind === 'real' && stat.entry?.size, 19);

  const download = await app.agent.download({ ...opened, path: '/Web files/site/index.php' });
  delivered(p.downloadMetaSchema, download.meta);
  assert.deepEqual(download.meta, {
    kind: 'file',
    name: 'index.php',
    contentType: 'application/octet-stream',
  });
  const chunks: Uint8Array[] = [];
  for await (const chunk of download.chunks) chunks.push(chunk);
  assert.equal(Buffer.concat(chunks).toString(), '<?php echo "hello";');

  // A link has no content: refused before any byte, as a failure with its code.
  const refused = await app.agent
    .download({ ...opened, path: '/Web files/site/passwd' })
    .catch((e: unknown) => e);
  assert.ok(refused instanceof AgentError, String(refused));
  assert.equal(refused.code, 'no-content');
  assert.match(refused.message, /symbolic link to \/etc\/passwd/);
  delivered(p.agentFailureSchema, refused.toFailure());

  const forgotten = delivered(
    p.forgetAnswerSchema,
    await app.agent.forget({
      repository: { ...repository, initialized: true },
      scheduleId: 4,
      customerId: 'alice',
    }),
  );
  assert.deepEqual(
    forgotten.forgotten.map((id) => id.slice(0, 8)),
    [answer.snapshotId.slice(0, 8)],
  );
});

test("restic's failure crosses as a code with restic's own words", async () => {
  const repository = await app.repositoryRecords.access(target, 'alice');
  const failed = await app.agent
    .maintain({
      jobId: 2,
      repository: { ...repository, initialized: true, password: 'not-the-password' },
      task: 'check',
    })
    .catch((e: unknown) => e);
  assert.ok(failed instanceof AgentError, String(failed));
  const failure = delivered(p.agentFailureSchema, failed.toFailure());
  assert.equal(failure.code, 'wrong-password');
  assert.equal(failure.from, 'restic');
  assert.ok(failure.detail, "restic's own words for the log");
  assert.ok(!failure.detail.includes('not-the-password'));
});

test('facts name restic as the engine detected it, and the free space', async () => {
  const facts = delivered(p.factsSchema, await app.agent.facts());
  assert.equal(facts.restic.version, app.restic.version.text);
  assert.ok(facts.dataDirFreeBytes > 0);
});
