import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Runner } from '../engine/runner.js';
import { locate } from '../host/locate.js';
import { repositoryUrl } from './location.js';
import { unmask } from './masked-secret.js';
import {
  directTargetSchema,
  publicTarget,
  scheduleTargetSchema,
  targetSchema,
  vaultTargetSchema,
} from './schema.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const vault = vaultTargetSchema.parse({
  kind: 'vault',
  url: 'https://vault.example.com:8421/',
  user: 'web1',
  password: 'p@ss:w/rd',
  caCert: PEM,
});

test('a vault target: https only, a plain user name, repositories below the user', () => {
  assert.equal(repositoryUrl(vault, 'c42'), 'rest:https://vault.example.com:8421/web1/c42');
  for (const bad of [
    { url: 'http://vault.example.com:8421' },
    { url: 'https://vault.example.com:8421/other' },
    { url: 'https://me:pw@vault.example.com' },
    { user: '../web2' },
    { user: 'Web1' },
    { password: 'a\nb' },
  ])
    assert.equal(targetSchema.safeParse({ ...vault, ...bad }).success, false, JSON.stringify(bad));
  assert.equal(publicTarget(vault).password, '********');
  // A schedule holds one (migration 0017); what a vault fronts never is one.
  assert.equal(scheduleTargetSchema.safeParse(vault).success, true);
  assert.equal(directTargetSchema.safeParse(vault).success, false);
});

test('the vault credential goes to restic in its environment, never in argv', async () => {
  const certDir = mkdtempSync(join(tmpdir(), 'hv-vault-certs-'));
  const location = await locate(vault, 'c42', { certDir });
  assert.equal(location.url, 'rest:https://vault.example.com:8421/web1/c42');
  assert.equal(
    location.env?.RESTIC_REPOSITORY,
    'rest:https://web1:p%40ss%3Aw%2Frd@vault.example.com:8421/web1/c42',
  );
  assert.equal(location.appendOnly, true);
  assert.equal(readFileSync(location.caCertFile!, 'utf8'), PEM);
  assert.ok(
    location.secrets?.includes('p@ss:w/rd') && location.secrets.includes('p%40ss%3Aw%2Frd'),
  );
  const runner = new Runner({} as never);
  const argv = runner.globalArgs({ ...location, password: 'x' });
  assert.ok(!argv.includes('--repo'), argv.join(' '));
  assert.ok(!argv.join(' ').includes('p%40ss'), argv.join(' '));
});

test('a masked vault password is kept only for the same vault and user', () => {
  const masked = { ...vault, password: '********' };
  const same = unmask(masked, vault);
  assert.ok(same.ok && same.target.kind === 'vault' && same.target.password === vault.password);
  assert.equal(unmask({ ...masked, user: 'web2' }, vault).ok, false);
  assert.equal(unmask({ ...masked, url: 'https://elsewhere.example.com' }, vault).ok, false);
});
