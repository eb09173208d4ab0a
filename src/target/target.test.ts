import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TargetRefusedError } from './address-policy.js';
import { caCertFileName, sweepCaCerts, writeCaCert } from '../host/ca-certs.js';
import { locate } from '../host/locate.js';
import { rcloneObscure } from '../host/obscure.js';
import { repositoryUrl } from './location.js';
import { publicTarget, targetSchema, type Target } from './schema.js';

test('obscures passwords exactly as rclone reveals them', () => {
  for (const plain of ['s3cret', 'p@ss wörd!', 'x'.repeat(200)]) {
    const obscured = rcloneObscure(plain);
    assert.notEqual(obscured, plain);
    assert.equal(
      execFileSync('rclone', ['reveal', '--', obscured], { encoding: 'utf8' }).trimEnd(),
      plain,
    );
  }
});

test('one repository per owner on each kind of target', () => {
  const local = targetSchema.parse({ kind: 'local', path: '/var/lib/hostvault/repos/' });
  assert.equal(repositoryUrl(local, 'c42'), '/var/lib/hostvault/repos/c42');
  assert.equal(repositoryUrl(local, 'server'), '/var/lib/hostvault/repos/server');
  const s3 = targetSchema.parse({
    kind: 's3',
    endpoint: 'https://s3.example.com/',
    bucket: 'backups',
    prefix: '/web01//hv/',
    accessKeyId: 'AKIA',
    secretAccessKey: 'secret',
  });
  assert.equal(repositoryUrl(s3, 'c42'), 's3:https://s3.example.com/backups/web01/hv/c42');
  const ftp = targetSchema.parse({
    kind: 'ftp',
    host: 'ftp.example.com',
    user: 'u',
    password: 'p',
  });
  assert.equal(repositoryUrl(ftp, 'c42'), 'rclone:hvftp:c42');
});

test('S3 and FTP credentials travel in the environment, never in the URL or options', async () => {
  const certDir = mkdtempSync(join(tmpdir(), 'hv-cert-'));
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const s3 = await locate(
    targetSchema.parse({
      kind: 's3',
      endpoint: 'https://127.0.0.1:9000',
      region: 'eu-central-1',
      bucket: 'bkt',
      accessKeyId: 'AK',
      secretAccessKey: 'very-secret-key',
      pathStyle: true,
      caCert: pem,
    }),
    'c1',
    { certDir },
  );
  assert.equal(s3.url, 's3:https://127.0.0.1:9000/bkt/c1');
  assert.deepEqual(s3.options, { 's3.bucket-lookup': 'path' });
  assert.equal(s3.env?.AWS_SECRET_ACCESS_KEY, 'very-secret-key');
  assert.equal(s3.env?.AWS_DEFAULT_REGION, 'eu-central-1');
  assert.equal(readFileSync(s3.caCertFile!, 'utf8'), pem);

  const ftp = await locate(
    targetSchema.parse({
      kind: 'ftp',
      host: '127.0.0.1',
      port: 2121,
      user: 'bk',
      password: 'ftp-pass-1',
      baseDir: 'hv',
      connections: 3,
    }),
    'c1',
    { certDir },
  );
  assert.equal(ftp.url, 'rclone:hvftp:hv/c1');
  assert.deepEqual(ftp.options, { 'rclone.connections': '3' });
  assert.equal(ftp.env?.RCLONE_CONFIG_HVFTP_CONCURRENCY, '3');
  assert.equal(ftp.env?.RCLONE_CONFIG_HVFTP_TYPE, 'ftp');
  assert.ok(!JSON.stringify([ftp.url, ftp.options, ftp.env]).includes('ftp-pass-1'));
  assert.deepEqual(ftp.secrets, ['ftp-pass-1']);
});

test('rejects bad targets with messages that name the problem', () => {
  const cases: [unknown, RegExp][] = [
    [{ kind: 'local', path: 'relative/dir' }, /must be absolute/],
    [{ kind: 'local', path: '/srv/../etc' }, /must not contain/],
    [{ kind: 'local', path: '/srv/\0x' }, /control characters/],
    [
      { kind: 's3', endpoint: 'ftp://x', bucket: 'bk1', accessKeyId: 'a', secretAccessKey: 'b' },
      /https:\/\//,
    ],
    [
      {
        kind: 's3',
        endpoint: 'https://x',
        bucket: 'Bad_Bucket',
        accessKeyId: 'a',
        secretAccessKey: 'b',
      },
      /bucket name/,
    ],
    [{ kind: 'ftp', host: 'a b', user: 'u', password: 'p' }, /server name/],
    [{ kind: 'ftp', host: 'h', user: 'u', password: 'p', baseDir: '../x' }, /must not contain/],
    [
      { kind: 'ftp', host: 'h', user: 'u', password: 'p', connections: 0 },
      /connections|>=1|too small/i,
    ],
    [{ kind: 'sftp' }, /kind|Invalid/i],
  ];
  for (const [input, message] of cases) {
    const result = targetSchema.safeParse(input);
    assert.equal(result.success, false, JSON.stringify(input));
    assert.match(JSON.stringify(result.error?.issues), message, JSON.stringify(input));
  }
});

test('the public form of a target hides its secrets', () => {
  const shown = JSON.stringify(
    publicTarget(targetSchema.parse({ kind: 'ftp', host: 'h', user: 'u', password: 'hunter2-pw' })),
  );
  assert.ok(!shown.includes('hunter2-pw'));
});

const FTP = { kind: 'ftp', host: 'ftp.example.net', user: 'u', password: 'p', baseDir: 'b' };
const S3 = {
  kind: 's3',
  endpoint: 'https://s3.example.net',
  region: 'eu-1',
  bucket: 'bkt',
  prefix: 'p',
  accessKeyId: 'AK',
  secretAccessKey: 'SK',
};
/** Line breaks in every form a protocol or terminal reads as one, and other controls. */
const CONTROLS = ['\r\n', '\n', '\r', '\0', '\x1b', '\x7f', '\u0085', '\u2028', '\u2029'];

test('every text field of a target refuses control characters, in words that name the field', () => {
  const fields: [object, string, string][] = [
    [FTP, 'host', 'The server name'],
    [FTP, 'user', 'The user name'],
    [FTP, 'password', 'The password'],
    [FTP, 'baseDir', 'The directory'],
    [S3, 'endpoint', 'The endpoint'],
    [S3, 'region', 'The region'],
    [S3, 'bucket', 'The bucket name'],
    [S3, 'prefix', 'The directory'],
    [S3, 'accessKeyId', 'The access key'],
    [S3, 'secretAccessKey', 'The secret key'],
    [{ kind: 'local', path: '/srv' }, 'path', 'The path'],
  ];
  for (const [base, field, subject] of fields) {
    assert.equal(targetSchema.safeParse(base).success, true, JSON.stringify(base));
    for (const control of CONTROLS) {
      const value = `${String((base as Record<string, unknown>)[field])}${control}x`;
      const result = targetSchema.safeParse({ ...base, [field]: value });
      assert.equal(result.success, false, `${field} with ${JSON.stringify(control)}`);
      assert.deepEqual(
        result.error?.issues.map((i) => [i.path.join('.'), i.message]),
        [[field, `${subject} must not contain line breaks or other control characters.`]],
      );
    }
  }
  const pem = '-----BEGIN CERTIFICATE-----\r\nMIIB\n\t-----END CERTIFICATE-----\n';
  assert.equal(targetSchema.safeParse({ ...S3, caCert: pem }).success, true, 'PEM lines pass');
  assert.equal(targetSchema.safeParse({ ...S3, caCert: `${pem}\0` }).success, false);
});

test('a target stored before the check never reaches rclone: locate refuses it', async () => {
  const certDir = mkdtempSync(join(tmpdir(), 'hv-cert-'));
  const attack = { ...FTP, port: 21, connections: 2, explicitTls: false };
  attack.user = 'x\r\nHELO a\r\nMAIL FROM:<a@b.c>';
  await assert.rejects(
    locate(attack as Target, 'c1', { certDir }),
    (error: unknown) =>
      error instanceof TargetRefusedError &&
      error.message ===
        "This target's settings cannot be used: The user name must not contain line breaks or other control characters. Edit the schedule and enter them again." &&
      !error.message.includes('HELO'),
  );
});

test('CA certificate files: one per certificate, and the sweep keeps only those in use', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hv-certs-'));
  const pems = Array.from(
    { length: 20 },
    (_, i) => `-----BEGIN CERTIFICATE-----\nMII${i}\n-----END CERTIFICATE-----\n`,
  );
  for (const pem of pems) await writeCaCert(pem, dir);
  await writeCaCert(pems[0]!, dir);
  writeFileSync(join(dir, 'README'), 'not a certificate of ours');
  assert.equal(readdirSync(dir).length, 21);
  const removed = await sweepCaCerts(dir, [pems[3]!, pems[7]!, pems[3]!]);
  assert.equal(removed.length, 18);
  assert.deepEqual(
    readdirSync(dir).sort(),
    [caCertFileName(pems[3]!), caCertFileName(pems[7]!), 'README'].sort(),
  );
  assert.deepEqual(await sweepCaCerts(join(dir, 'missing'), []), []);
});
