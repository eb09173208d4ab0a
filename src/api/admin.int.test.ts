/**
 * The downloaded repository key opens the repository with plain restic, without hostvault: the
 * provider's way back after losing the server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { Restic } from '../engine/index.js';
import { Keyring } from '../repository/keyring.js';
import { RepositoryService } from '../repository/repository-service.js';
import { LocalRepositories } from '../agent/local-repositories.js';
import { adminRoutes, type AdminRouteDeps } from './admin/index.js';
import { harness, type Harness } from '../../test/support/api-harness.js';

const run = promisify(execFile);

let work: string;
let h: Harness;
let repositories: LocalRepositories;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-admin-key-'));
  const deps = {} as AdminRouteDeps;
  h = await harness({}, { modules: adminRoutes(deps) });
  const keyring = new Keyring(randomBytes(32));
  deps.repositories = new RepositoryService({ store: h.store, keyring });
  repositories = LocalRepositories.open({
    store: h.store,
    keyring,
    restic: await Restic.detect({ cacheDir: join(work, 'cache') }),
    certDir: join(work, 'certs'),
  });
});
after(async () => {
  await h.close();
  await rm(work, { recursive: true, force: true });
});

test('the downloaded key opens the repository with plain restic', async () => {
  const target = { kind: 'local' as const, path: join(work, 'repos') };
  await repositories.withRepository(target, 'c-alice', async () => undefined);

  const list = await h.app.inject({
    url: '/api/admin/repositories',
    headers: { authorization: `Bearer ${h.adminToken}` },
  });
  const [repo] = list.json().repositories as { id: number; url: string; owner: string }[];
  assert.ok(repo);
  assert.equal(repo.url, join(work, 'repos', 'c-alice'));

  const response = await h.app.inject({
    url: `/api/admin/repositories/${repo.id}/key`,
    headers: { authorization: `Bearer ${h.adminToken}` },
  });
  assert.equal(response.statusCode, 200);
  assert.equal(
    response.headers['content-disposition'],
    'attachment; filename="hostvault-c-alice.key"',
  );
  const keyFile = join(work, 'hostvault-c-alice.key');
  await writeFile(keyFile, response.body, { mode: 0o600 });

  const { stdout } = await run(
    'restic',
    ['-r', repo.url, '--password-file', keyFile, '--no-cache', 'cat', 'config'],
    { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
  );
  assert.match(stdout, /"id":/);

  const exported = await repositories.exportKey(target, 'c-alice');
  assert.equal(response.body, exported.keyFile, 'the same file as `hostvault key export`');
});
