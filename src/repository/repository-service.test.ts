import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openStore, type Store } from '../store/index.js';
import { targetSchema } from '../target/schema.js';
import { Keyring } from './keyring.js';
import { RepositoryError, RepositoryService } from './repository-service.js';

let store: Store;
let service: RepositoryService;
const target = targetSchema.parse({ kind: 'local', path: '/srv/hostvault-repos' });

before(async () => {
  store = await openStore({ memory: true });
  service = new RepositoryService({ store, keyring: new Keyring(randomBytes(32)) });
});
after(async () => {
  await store.close();
});

describe('key export', () => {
  test('by (target, owner) and by id: the same file, made in one place', async () => {
    // access() creates the record and its sealed password, as before a first backup.
    const access = await service.access(target, 'c-bob');
    const byOwner = await service.exportKey(target, 'c-bob');
    const byId = await service.exportKeyById(access.repositoryId);
    assert.deepEqual(byId, byOwner);
    assert.equal(byOwner.keyFile, `${access.password}\n`);
    assert.equal(byOwner.url, '/srv/hostvault-repos/c-bob');
    assert.equal(byOwner.owner, 'c-bob');
    const [listed] = (await service.list()).filter((r) => r.id === access.repositoryId);
    assert.equal(listed?.url, byOwner.url);
    assert.ok(
      !('keyFile' in (listed ?? {})) && !('password' in (listed ?? {})),
      'no secret listed',
    );
  });

  test('no repository: a RepositoryError, nothing made', async () => {
    await assert.rejects(service.exportKeyById(999), (error: unknown) => {
      return error instanceof RepositoryError && error.code === 'not_found';
    });
    await assert.rejects(service.exportKey(target, 'c-nobody'), {
      message: 'There is no repository for c-nobody at this target yet.',
    });
    const count = await store.db
      .selectFrom('repositories')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 1);
  });
});
