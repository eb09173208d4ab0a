import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runFleetCommand } from './fleet.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hv-cli-fleet-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function nkey(name: string): Promise<string> {
  let out = '';
  assert.equal(await runFleetCommand(['nkey', join(dir, name)], (t) => (out += t)), 0);
  return out.trim();
}

test('nkey writes a seed only root reads and prints its public key; never overwrites one', async () => {
  const publicKey = await nkey('controller.seed');
  assert.match(publicKey, /^U[A-Z2-7]{55}$/);
  const file = join(dir, 'controller.seed');
  assert.match(await readFile(file, 'utf8'), /^SU[A-Z2-7]+\n$/);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  await assert.rejects(runFleetCommand(['nkey', file]), /exists already/);
});

test("nats-config prints the configuration with each agent limited to its server's subjects", async () => {
  const controller = await nkey('c.seed');
  const web1 = await nkey('web1.seed');
  const fleet = join(dir, 'fleet.json');
  await writeFile(
    fleet,
    JSON.stringify({
      listen: { host: '0.0.0.0', port: 4222 },
      tls: { certFile: '/etc/nats/server.pem', keyFile: '/etc/nats/server.key', caFile: '/ca.pem' },
      jetStream: { storeDir: '/var/lib/nats' },
      controllers: [{ nkey: controller }],
      agents: [{ server: 'web1', nkey: web1 }],
    }),
  );
  let out = '';
  assert.equal(await runFleetCommand(['nats-config', fleet], (t) => (out += t)), 0);
  assert.match(out, new RegExp(`nkey: "${web1}"[\\s\\S]*"hv\\.web1\\.events\\.\\*"`));
  assert.match(out, /verify: true/);

  await writeFile(fleet, JSON.stringify({ listen: { host: 'x', port: 0 } }));
  await assert.rejects(runFleetCommand(['nats-config', fleet]), /fleet\.json: listen\.port/);
});
