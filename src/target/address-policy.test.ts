import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AddressPolicy,
  AddressSettingError,
  TargetRefusedError,
  embeddedIpv4,
  parseNetworks,
  type AddressPolicyDeps,
} from './address-policy.js';
import { markOrigin } from './origin.js';
import { targetSchema, type Target } from './schema.js';

const NONE = { allow: [], deny: [] };
/** This machine as the tests pretend it is: one public and one ULA address. */
const OWN = ['192.0.2.2', 'fd00::2', '127.0.0.1', '::1'];

function policy(allow = '', deny = '', deps: AddressPolicyDeps = {}): AddressPolicy {
  return new AddressPolicy(
    { allow: parseNetworks(allow, 'ALLOW'), deny: parseNetworks(deny, 'DENY') },
    { ownAddresses: () => OWN, ...deps },
  );
}

const ftp = (host: string): Target =>
  targetSchema.parse({ kind: 'ftp', host, user: 'u', password: 'p' });
const s3 = (endpoint: string, extra: object = {}): Target =>
  targetSchema.parse({
    kind: 's3',
    endpoint,
    bucket: 'bkt',
    accessKeyId: 'a',
    secretAccessKey: 's',
    pathStyle: true,
    ...extra,
  });

describe('the provider settings', () => {
  test('addresses and networks, IPv4 and IPv6, an address alone being itself', () => {
    assert.deepEqual(parseNetworks(' 127.0.0.1/32, 10.0.5.0/24,fd00::/8,192.0.2.9 ,', 'X'), [
      { address: '127.0.0.1', prefix: 32, family: 'ipv4' },
      { address: '10.0.5.0', prefix: 24, family: 'ipv4' },
      { address: 'fd00::', prefix: 8, family: 'ipv6' },
      { address: '192.0.2.9', prefix: 32, family: 'ipv4' },
    ]);
    assert.deepEqual(parseNetworks(undefined, 'X'), []);
    assert.deepEqual(parseNetworks('', 'X'), []);
  });

  test('a wrong entry stops the start, naming the setting and the entry', () => {
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'example.com', '10.0.0.0/8/1', '1.2.3.4/x']) {
      assert.throws(
        () => parseNetworks(`127.0.0.1,${bad}`, 'HOSTVAULT_TARGET_ALLOW'),
        (error: unknown) =>
          error instanceof AddressSettingError &&
          error.message.startsWith(`HOSTVAULT_TARGET_ALLOW: "${bad}" is not an address`),
        bad,
      );
    }
  });
});

describe('which addresses a customer target may reach', () => {
  const refused = [
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.254',
    '192.168.1.1',
    '100.64.0.1',
    '100.127.255.254',
    '169.254.169.254',
    '0.0.0.0',
    '224.0.0.1',
    '239.255.255.250',
    '255.255.255.255',
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    // IPv4 inside IPv6: mapped, compatible, NAT64 and 6to4 reach the IPv4 host.
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '::10.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::1',
    // This server's own addresses, public or not.
    '192.0.2.2',
    'fd00::2',
    'fd00:0:0:0:0:0:0:2',
  ];
  const permitted = [
    '203.0.113.5',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '192.0.2.3',
    '2001:db8::1',
    '::ffff:8.8.8.8',
  ];

  test('loopback, private, link-local, special and own addresses are refused by default', () => {
    const p = policy();
    for (const address of refused) assert.equal(p.permits(address), false, address);
    for (const address of permitted) assert.equal(p.permits(address), true, address);
  });

  test('the provider allows networks, and a denied network stays denied', () => {
    const p = policy('127.0.0.1/32,10.0.5.0/24,fd00::2,169.254.0.0/16', '169.254.169.254/32');
    assert.equal(p.permits('127.0.0.1'), true);
    assert.equal(p.permits('::ffff:127.0.0.1'), true, 'the mapped form of an allowed address');
    assert.equal(p.permits('127.0.0.2'), false);
    assert.equal(p.permits('10.0.5.77'), true);
    assert.equal(p.permits('10.0.6.1'), false);
    assert.equal(p.permits('fd00::2'), true);
    assert.equal(p.permits('169.254.1.1'), true);
    assert.equal(p.permits('169.254.169.254'), false, 'deny wins over allow');
    const denyPublic = policy('', '203.0.113.0/24');
    assert.equal(denyPublic.permits('203.0.113.5'), false);
    assert.equal(denyPublic.permits('198.51.100.1'), true);
  });

  test('IPv4 inside IPv6', () => {
    assert.deepEqual(embeddedIpv4('::ffff:7f00:1'), ['127.0.0.1']);
    assert.deepEqual(embeddedIpv4('64:ff9b::a9fe:a9fe'), ['169.254.169.254']);
    assert.deepEqual(embeddedIpv4('2002:0a00:0001::5'), ['10.0.0.1']);
    assert.deepEqual(embeddedIpv4('::1'), []);
    assert.deepEqual(embeddedIpv4('2001:db8::1'), []);
    assert.deepEqual(embeddedIpv4('10.0.0.1'), []);
  });
});

describe('checking a target', () => {
  test('the FTP host and the S3 endpoint: literal addresses, and names resolved by the system', async () => {
    const p = policy();
    const cases: [Target, 'host' | 'endpoint'][] = [
      [ftp('127.0.0.1'), 'host'],
      [ftp('[::1]'), 'host'],
      [ftp('10.20.30.40'), 'host'],
      [ftp('169.254.169.254'), 'host'],
      // localhost resolves to 127.0.0.1 through /etc/hosts: the name is no way around.
      [ftp('localhost'), 'host'],
      [s3('http://127.0.0.1:8420'), 'endpoint'],
      [s3('http://localhost:8420'), 'endpoint'],
      [s3('http://[::1]:9000'), 'endpoint'],
      [s3('http://169.254.169.254'), 'endpoint'],
      [s3('https://2130706433'), 'endpoint'],
    ];
    for (const [target, field] of cases) {
      const verdict = await p.check(target);
      assert.equal(verdict.ok, false, JSON.stringify(target));
      assert.ok(!verdict.ok && verdict.reason === 'refused' && verdict.field === field);
      assert.match(
        !verdict.ok ? verdict.message : '',
        /^Backups cannot go to \S+: it leads to this server or to a private network\. Enter the address of a server on the internet\.$/,
      );
    }
    assert.deepEqual(await p.check(ftp('203.0.113.5')), { ok: true, addresses: ['203.0.113.5'] });
    assert.deepEqual(await p.check({ kind: 'local', path: '/srv' }), { ok: true, addresses: [] });
  });

  test('every address of a name counts, and the answer never names them', async () => {
    const p = policy('', '', {
      resolve: async (host) => {
        if (host === 'inside.example.net') return ['203.0.113.9', '10.1.2.3'];
        if (host === 'evil.s3.example.net') return ['127.0.0.1'];
        if (host === 's3.example.net' || host === 'ftp.example.net') return ['203.0.113.10'];
        throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      },
    });
    const inside = await p.check(ftp('inside.example.net'));
    assert.ok(!inside.ok && inside.reason === 'refused');
    assert.ok(!inside.ok && !inside.message.includes('10.1.2.3'));

    assert.deepEqual(await p.check(ftp('ftp.example.net')), {
      ok: true,
      addresses: ['203.0.113.10'],
    });
    const missing = await p.check(ftp('nowhere.example.net'));
    assert.deepEqual(missing, {
      ok: false,
      reason: 'not-found',
      field: 'host',
      message:
        'The server name nowhere.example.net could not be found. Check the spelling of the address.',
    });

    // Without path-style URLs the bucket's name is part of the host that is asked.
    const virtual = await p.check(
      s3('https://s3.example.net', { bucket: 'evil', pathStyle: false }),
    );
    assert.ok(!virtual.ok && virtual.reason === 'refused' && virtual.field === 'endpoint');
    assert.equal(
      (await p.check(s3('https://s3.example.net', { bucket: 'evil', pathStyle: true }))).ok,
      true,
    );
    assert.equal(
      (await p.check(s3('https://s3.example.net', { bucket: 'other', pathStyle: false }))).ok,
      true,
      "a bucket name that resolves to nothing is the server's business",
    );
  });

  test('allowed by the provider, loopback and localhost pass', async () => {
    const p = policy('127.0.0.1/32');
    assert.deepEqual(await p.check(ftp('localhost')), { ok: true, addresses: ['127.0.0.1'] });
    assert.equal((await p.check(s3('http://127.0.0.1:9000'))).ok, true);
    assert.equal((await p.check(ftp('[::1]'))).ok, false, 'only what was allowed');
  });

  test("before a run: a customer's target is refused, the provider's own passes, a copy counts as a customer's", async () => {
    const p = policy();
    const customer = markOrigin(ftp('10.0.0.7'), 'customer');
    await assert.rejects(p.admit(customer), TargetRefusedError);
    const provider = markOrigin(ftp('10.0.0.7'), 'provider');
    await p.admit(provider);
    await assert.rejects(p.admit({ ...provider }), TargetRefusedError);
    await p.admit({ kind: 'local', path: '/srv' });
    await p.admit(ftp('203.0.113.5'));
    await assert.rejects(p.admit(s3('http://localhost:1')), /Backups cannot go to localhost/);
  });
});

test('NONE is the default', () => {
  assert.equal(new AddressPolicy(NONE).permits('127.0.0.1'), false);
});
