import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createCurve, createUser } from '@nats-io/nkeys';
import { loadConfig, type Config } from '../config.js';
import { ServerRecords } from '../fleet/server-records.js';
import { openStore } from '../store/index.js';
import { runFleetServersCommand } from './fleet-servers.js';

let dir: string;
let config: Config;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hv-cli-servers-'));
  config = loadConfig({ HOSTVAULT_DATA_DIR: dir, HOSTVAULT_KEY_FILE: join(dir, 'master.key') });
});
after(() => rm(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number | undefined; out: string }> {
  let out = '';
  const code = await runFleetServersCommand(config, args, {}, (t) => (out += t));
  return { code, out };
}

test('enroll-token prints a one-time token that enrolls once; servers, drain and undrain', async () => {
  const made = await run('enroll-token', '--server', 'web1', '--ttl-minutes', '5');
  assert.equal(made.code, 0);
  const token = made.out.trim();
  assert.match(token, /^hvenroll_[\w-]{43}$/);
  assert.match((await run('servers')).out, /^web1 +awaiting +offline/m);

  // The agent's side, as the controller's API does it.
  const store = await openStore({ file: join(dir, 'store.db') });
  try {
    await new ServerRecords(store).enroll({
      token,
      nkey: createUser().getPublicKey(),
      curveKey: createCurve().getPublicKey(),
    });
    // One enrolled before requests were sealed: no curve key.
    const old = await new ServerRecords(store).createEnrollment({ server: 'web0', createdBy: 't' });
    await new ServerRecords(store).enroll({ token: old.token, nkey: createUser().getPublicKey() });
  } finally {
    await store.close();
  }
  assert.match((await run('servers')).out, /^web1 +enrolled +offline/m);
  assert.match((await run('servers')).out, /^web0 +enrolled, unsealed +offline/m);
  assert.match((await run('drain', 'web1')).out, /^web1 +draining/m);
  assert.match((await run('undrain', 'web1')).out, /^web1 +enrolled/m);
});

test('revoke needs the controller’s authorization file; bad input changes nothing', async () => {
  await assert.rejects(run('revoke', 'web1'), /HOSTVAULT_NATS_AUTH_FILE/);
  assert.match((await run('servers')).out, /^web1 +enrolled/m);
  await assert.rejects(run('enroll-token', '--server', 'Web 1'), /cannot be used/);
  await assert.rejects(
    run('enroll-token', '--server', 'web2', '--ttl-minutes', 'x'),
    /whole number/,
  );
  assert.doesNotMatch((await run('servers')).out, /web2|Web/);
  assert.equal((await run('enroll-token')).code, undefined, 'usage, not a command');
});
