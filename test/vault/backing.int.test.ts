/**
 * A vault in front of S3 and FTP (rclone remotes defined in the vault's environment only): the
 * agent backs up and restores through it, deletes are refused, and the vault's maintenance opens
 * the same repository directly with restic's own S3 backend or its rclone backend over FTP, so
 * both sides agree on where each file lies.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Restic } from '../../src/engine/index.js';
import { locate } from '../../src/host/locate.js';
import type { DirectTarget } from '../../src/target/schema.js';
import { issueCredential } from '../../src/vault/htpasswd.js';
import { maintainOnVault } from '../../src/vault/maintenance.js';
import { startVaultServer } from '../../src/vault/vault-server.js';
import { startFtpServer, type FtpTestServer } from '../support/ftp-server.js';
import { startS3Server, type S3TestServer } from '../support/s3-server.js';
import { makeCertificates, vaultRequest } from './vault-world.js';

let work: string;
let restic: Restic;
let s3: S3TestServer;
let ftp: FtpTestServer;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'hv-vault-backing-'));
  restic = await Restic.detect({ cacheDir: join(work, 'cache') });
  // The vault's rclone keeps its 4 FTP connections open while the direct maintenance opens
  // its own 4: the server must allow both at once (it refused the fifth once, under load).
  [s3, ftp] = await Promise.all([startS3Server(), startFtpServer({ maxConnectionsPerUser: 8 })]);
});

after(async () => {
  await Promise.all([s3?.stop(), ftp?.stop()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function roundTrip(name: string, target: DirectTarget): Promise<void> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const certs = makeCertificates(dir);
  const htpasswdFile = join(dir, 'vault.htpasswd');
  const credential = await issueCredential(htpasswdFile, 'web1');
  const server = await startVaultServer({
    target,
    listen: '127.0.0.1:0',
    certFile: certs.cert,
    keyFile: certs.key,
    htpasswdFile,
    workDir: join(dir, 'vault-work'),
  });
  try {
    const caCert = readFileSync(certs.ca, 'utf8');
    const password = randomBytes(16).toString('hex');
    const vaultTarget = {
      kind: 'vault' as const,
      url: server.url,
      user: 'web1',
      password: credential,
      caCert,
    };
    const location = {
      ...(await locate(vaultTarget, 'cust1', { certDir: join(dir, 'certs') })),
      password,
    };
    const site = join(dir, 'site');
    mkdirSync(site);
    const content = randomBytes(400_000);
    writeFileSync(join(site, 'upload.bin'), content);
    await restic.init(location);
    const { summary } = await restic.backup(location, { paths: [site], tags: ['t'] });

    const world = {
      server,
      caCert,
      backingDir: '',
      credentials: { web1: credential },
      targetOf: () => vaultTarget,
    };
    assert.equal(
      await vaultRequest(world, { method: 'DELETE', path: '/web1/cust1/config', agent: 'web1' }),
      403,
    );
    assert.equal(
      await vaultRequest(world, {
        method: 'POST',
        path: '/web1/cust1/config',
        agent: 'web1',
        body: randomBytes(8),
      }),
      403,
    );

    // The vault's side opens the very same repository directly, with full rights.
    const deps = { restic, target, certDir: join(dir, 'vault-certs') };
    await maintainOnVault(
      deps,
      { agent: 'web1', owner: 'cust1', password },
      { task: 'check', readDataSubset: '100%' },
    );

    const into = join(dir, 'restore');
    await restic.restore(location, summary.snapshotId, { target: into });
    assert.equal(sha(await readFile(join(into, site, 'upload.bin'))), sha(content));
  } finally {
    await server.stop();
  }
}

test('a vault in front of S3: back up, refuse deletes, maintain directly, restore', async () => {
  await roundTrip('s3', {
    kind: 's3',
    endpoint: s3.endpoint,
    region: '',
    bucket: s3.bucket,
    prefix: 'vault',
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    pathStyle: true,
    caCert: s3.caCertPem,
  });
});

test('a vault in front of FTP: back up, refuse deletes, maintain directly, restore', async () => {
  await roundTrip('ftp', {
    kind: 'ftp',
    host: ftp.host,
    port: ftp.port,
    user: ftp.user,
    password: ftp.password,
    baseDir: 'vault',
    explicitTls: false,
    connections: 4,
  });
});
