import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import type { Customer } from '../inventory/schema.js';
import { packageInfoRoutes } from './package-info-routes.js';
import { harness, signIn, type Harness } from '../../test/support/api-harness.js';

let h: Harness;

beforeEach(async () => {
  h = await harness(
    {},
    {
      modules: [
        packageInfoRoutes({
          schedules: { list: () => Promise.resolve([]) },
          inventory: {
            getCustomer: (id) =>
              Promise.resolve(
                id === 'c-alice'
                  ? ({
                      id,
                      databases: ['alice_shop', 'alice_blog'],
                      mailboxes: [{ address: 'info@alice.example', maildir: '/var/mail/a' }],
                    } as unknown as Customer)
                  : undefined,
              ),
            getPackage: () => Promise.resolve(undefined),
          },
        }),
      ],
    },
  );
});
afterEach(async () => {
  await h.close();
});

async function areas(username: string) {
  const who = await signIn(h, username);
  return h.app.inject({ method: 'GET', url: '/api/me/areas', headers: { cookie: who.cookie } });
}

test('a customer gets the names of their own databases and mailboxes', async () => {
  const response = await areas('alice');
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), {
    databases: ['alice_shop', 'alice_blog'],
    mailboxes: ['info@alice.example'],
  });
});

test('another customer sees only theirs, and an administrator has none', async () => {
  assert.deepEqual((await areas('bob')).json(), { databases: [], mailboxes: [] });
  assert.equal((await areas('root')).statusCode, 403);
});
