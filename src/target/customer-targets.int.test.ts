/**
 * The attacks of issue 10 against the real service, as a signed-in customer over HTTP with real
 * restic and rclone: an FTP login with line breaks aimed at a server that greets like SMTP, and
 * targets aimed at this server, its loopback and private networks. The listeners count every
 * connection and record every line they receive: the attacks must make none.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startS3Server } from '../../test/support/s3-server.js';
import { AuthService } from '../auth/index.js';
import { loadConfig } from '../config.js';
import { startService, type Service } from '../serve.js';
import { HttpClient } from '../../test/support/http-client.js';

const ATTACK_USER = 'x\r\nHELO a\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.net>\r\nDATA';

/** A server that greets like SMTP (and FTP): "220", then records each line it is sent. */
class Listener {
  connections = 0;
  readonly lines: string[] = [];
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  port = 0;

  async start(): Promise<this> {
    for (const host of ['127.0.0.1', '::1']) {
      const server = createServer((socket) => {
        this.connections++;
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
        socket.write('220 mail.example.net ESMTP\r\n');
        let buffer = '';
        socket.setEncoding('utf8').on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
            const line = buffer.slice(0, end).replace(/\r$/, '');
            this.lines.push(line);
            buffer = buffer.slice(end + 1);
            // Asks for the password after a user name, as an FTP server does.
            socket.write(/^USER /i.test(line) ? '331 password please\r\n' : '250 ok\r\n');
          }
        });
      });
      await new Promise<void>((resolve) => server.listen(this.port, host, resolve));
      this.port = (server.address() as { port: number }).port;
      this.servers.push(server);
    }
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

interface World {
  service: Service;
  alice: HttpClient;
  provider: HttpClient;
}

let work: string;
let listener: Listener;
/** The default policy: no allowance. */
let guarded: World;
/** The provider allows loopback, as one with a MinIO on this host would. */
let allowing: World;

async function startWorld(name: string, env: Record<string, string>): Promise<World> {
  const dir = join(work, name);
  const service = await startService(
    {
      ...loadConfig({
        HOSTVAULT_DATA_DIR: join(dir, 'data'),
        HOSTVAULT_KEY_FILE: join(dir, 'master.key'),
        ...env,
      }),
      listen: { host: '127.0.0.1', port: 0 },
    },
    { log: () => undefined },
  );
  await mkdir(join(dir, 'www'), { recursive: true });
  await service.app.inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 5 },
    ],
    customers: [
      {
        id: 'alice',
        name: 'Alice',
        linuxUser: 'alice',
        uid: 2000,
        gid: 2000,
        packageId: 'basic',
        webRoot: join(dir, 'www'),
      },
    ],
  });
  const auth = new AuthService({ store: service.app.store, masterKey: service.app.masterKey });
  await auth.createUser({
    username: 'alice',
    password: 'alice-password-1',
    role: 'customer',
    customerId: 'alice',
  });
  await auth.createUser({ username: 'provider', password: 'provider-password-1', role: 'admin' });
  return {
    service,
    alice: await new HttpClient(service.url).signIn('alice', 'alice-password-1'),
    provider: await new HttpClient(service.url).signIn('provider', 'provider-password-1'),
  };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-customer-targets-'));
  process.env.HOSTVAULT_ADMIN_PASSWORD = 'bootstrap-admin-password';
  listener = await new Listener().start();
  guarded = await startWorld('guarded', {});
  allowing = await startWorld('allowing', { HOSTVAULT_TARGET_ALLOW: '127.0.0.1/32,::1/128' });
});
after(async () => {
  await guarded?.service.stop();
  await allowing?.service.stop();
  await listener?.close();
  delete process.env.HOSTVAULT_ADMIN_PASSWORD;
  await rm(work, { recursive: true, force: true });
});

const ftp = (host: string, extra: object = {}) => ({
  kind: 'ftp',
  host,
  port: listener.port,
  user: 'alice',
  password: 'alice-ftp-password',
  ...extra,
});
const s3 = (endpoint: string) => ({
  kind: 's3',
  endpoint,
  bucket: 'bkt',
  accessKeyId: 'AKALICE',
  secretAccessKey: 'alice-secret-key',
  pathStyle: true,
});
const schedule = (target: object) => ({
  name: 'Offsite',
  scope: 'web',
  frequency: 'daily',
  retention: 3,
  target,
});

/** Writes a target into a schedule's target record as an older version may have stored it. */
async function storeTarget(world: World, id: number, target: object): Promise<void> {
  const { store, keyring } = world.service.app;
  const { target_id: targetId } = await store.db
    .selectFrom('schedules')
    .select('target_id')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  await store.db
    .updateTable('targets')
    .set({
      sealed: keyring.seal(JSON.stringify(target), `target:${targetId}`),
      sealed_as: 'target',
    })
    .where('id', '=', targetId!)
    .execute();
}

/** Every observation of the listener in this block starts from zero. */
function reset(): void {
  listener.connections = 0;
  listener.lines.length = 0;
}

describe('an FTP login with line breaks never reaches a server', () => {
  test('through Test connection: 400 in plain words, and the SMTP side receives no command', async () => {
    reset();
    const answers = [];
    for (const field of ['user', 'password'])
      answers.push({
        field,
        ...(await allowing.alice.call('POST', '/api/targets/test', {
          target: ftp('127.0.0.1', { [field]: ATTACK_USER }),
        })),
      });
    assert.deepEqual(listener.lines, []);
    assert.equal(listener.connections, 0);
    for (const { field, status, json } of answers) {
      assert.equal(status, 400, JSON.stringify(json));
      const subject = field === 'user' ? 'The user name' : 'The password';
      assert.deepEqual(fieldMessages(json), [
        {
          field: `target.${field}`,
          message: `${subject} must not contain line breaks or other control characters.`,
        },
      ]);
    }
  });

  test('through a schedule and Run now: the save is refused and nothing is stored', async () => {
    reset();
    const created = await allowing.alice.call(
      'POST',
      '/api/schedules',
      schedule(ftp('127.0.0.1', { user: ATTACK_USER })),
    );
    if (created.status === 201) {
      const run = await allowing.alice.call('POST', `/api/schedules/${created.json.id}/run`);
      await allowing.alice.finished(run.json.jobId);
      await allowing.alice.call('DELETE', `/api/schedules/${created.json.id}`);
    }
    assert.deepEqual(listener.lines, []);
    assert.equal(created.status, 400, JSON.stringify(created.json));
    assert.equal(created.json.error.fields[0].field, 'target.user');
    assert.deepEqual((await allowing.alice.call('GET', '/api/schedules')).json.schedules, []);
    assert.equal(listener.connections, 0);
    assert.deepEqual(listener.lines, []);
  });

  test('through a row stored before the check: Run now fails in plain words, the SMTP side receives nothing', async () => {
    reset();
    const saved = await allowing.alice.call('POST', '/api/schedules', schedule(ftp('127.0.0.1')));
    assert.equal(saved.status, 201, JSON.stringify(saved.json));
    await storeTarget(allowing, saved.json.id, {
      ...ftp('127.0.0.1', { user: ATTACK_USER }),
      baseDir: '',
      explicitTls: false,
      connections: 2,
    });
    const run = await allowing.alice.call('POST', `/api/schedules/${saved.json.id}/run`);
    assert.equal(run.status, 202);
    const job = await allowing.alice.finished(run.json.jobId);
    assert.deepEqual(listener.lines, []);
    assert.equal(job.status, 'failed');
    assert.match(
      job.error,
      /The user name must not contain line breaks or other control characters\. Edit the schedule/,
    );
    assert.ok(!JSON.stringify(job).includes('HELO'), 'the value itself is not repeated');
    assert.equal(listener.connections, 0);
    assert.deepEqual(listener.lines, []);
    await allowing.alice.call('DELETE', `/api/schedules/${saved.json.id}`);
  });
});

describe('a masked secret never follows a changed server', () => {
  test("the provider's FTP password is never sent to a server the customer typed", async () => {
    const providerServer = await new Listener().start();
    try {
      // The provider set up Alice's offsite backup in the admin area, with its own login.
      const saved = await allowing.provider.call(
        'POST',
        '/api/schedules?customerId=alice',
        schedule({
          ...ftp('127.0.0.1'),
          port: providerServer.port,
          user: 'provider',
          password: 'provider-ftp-secret',
        }),
      );
      assert.equal(saved.status, 201, JSON.stringify(saved.json));
      const shown = (await allowing.alice.call('GET', `/api/schedules/${saved.json.id}`)).json
        .target;
      assert.equal(shown.password, '********');
      reset();

      // Alice points it at her own server (the listener) and sends the mask back.
      const moved = { ...shown, port: listener.port };
      const tested = await allowing.alice.call('POST', '/api/targets/test', {
        target: moved,
        scheduleId: saved.json.id,
      });
      const edited = await allowing.alice.call(
        'PUT',
        `/api/schedules/${saved.json.id}`,
        schedule(moved),
      );
      if (edited.status === 200) {
        const run = await allowing.alice.call('POST', `/api/schedules/${saved.json.id}/run`);
        await allowing.alice.finished(run.json.jobId);
      }
      assert.ok(
        !listener.lines.some((l) => l.includes('provider-ftp-secret')),
        listener.lines.join(' | '),
      );
      assert.deepEqual(listener.lines, []);
      for (const answer of [tested, edited]) {
        assert.equal(answer.status, 400, JSON.stringify(answer.json));
        assert.deepEqual(fieldMessages(answer.json), [
          { field: 'target.password', message: 'Enter the password again for the new server.' },
        ]);
      }
      const after = (await allowing.alice.call('GET', `/api/schedules/${saved.json.id}`)).json;
      assert.equal(after.target.port, providerServer.port, 'the schedule is unchanged');
      await allowing.provider.call('DELETE', `/api/schedules/${saved.json.id}`);
    } finally {
      await providerServer.close();
    }
  });
});

describe("customers' targets stay off this server and private networks", () => {
  test("Test connection to this service's own port, loopback, metadata, private and IPv6 loopback: 400, no connection", async () => {
    reset();
    const ownPort = new URL(guarded.service.url).port;
    const cases: [object, string][] = [
      [s3(`http://127.0.0.1:${ownPort}`), 'target.endpoint'],
      [s3(`http://127.0.0.1:${listener.port}`), 'target.endpoint'],
      [s3(`http://localhost:${listener.port}`), 'target.endpoint'],
      [s3(`http://[::1]:${listener.port}`), 'target.endpoint'],
      [ftp('127.0.0.1'), 'target.host'],
      [ftp('localhost'), 'target.host'],
      [ftp('[::1]'), 'target.host'],
      [ftp('169.254.169.254', { port: 80 }), 'target.host'],
      [ftp('10.20.30.40'), 'target.host'],
    ];
    for (const [target, field] of cases) {
      const { status, json } = await guarded.alice.call('POST', '/api/targets/test', { target });
      assert.equal(status, 400, `${JSON.stringify(target)}: ${JSON.stringify(json)}`);
      assert.equal(json.error.fields[0].field, field);
      assert.match(
        json.error.message,
        /^Backups cannot go to \S+: it leads to this server or to a private network\. Enter the address of a server on the internet\.$/,
      );
    }
    assert.equal(listener.connections, 0);
  });

  test('a schedule aimed there is refused at save; one stored before is refused before its run', async () => {
    reset();
    const refused = await guarded.alice.call('POST', '/api/schedules', schedule(ftp('localhost')));
    assert.equal(refused.status, 400);
    assert.equal(refused.json.error.fields[0].field, 'target.host');

    // Saved while the name led elsewhere (a name that did not resolve stands in for it), then
    // aimed at loopback: the check before the run sees where it leads now.
    const saved = await guarded.alice.call(
      'POST',
      '/api/schedules',
      schedule(ftp('later.invalid')),
    );
    assert.equal(saved.status, 201, JSON.stringify(saved.json));
    await storeTarget(guarded, saved.json.id, {
      ...ftp('127.0.0.1'),
      baseDir: '',
      explicitTls: false,
      connections: 2,
    });
    const run = await guarded.alice.call('POST', `/api/schedules/${saved.json.id}/run`);
    const job = await guarded.alice.finished(run.json.jobId);
    assert.equal(job.status, 'failed');
    assert.match(job.error, /Backups cannot go to 127\.0\.0\.1/);
    assert.equal(listener.connections, 0);
    await guarded.alice.call('DELETE', `/api/schedules/${saved.json.id}`);
  });

  test("the provider's own target may be on loopback", async () => {
    reset();
    const { status, json } = await guarded.provider.call('POST', '/api/targets/test', {
      target: ftp('127.0.0.1'),
    });
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.ok, false, 'the listener is no FTP server');
    assert.ok(listener.connections >= 1);
  });

  test('allowed by the provider, the same targets are tested', async () => {
    reset();
    for (const target of [ftp('127.0.0.1'), ftp('localhost'), ftp('[::1]')]) {
      const { status, json } = await allowing.alice.call('POST', '/api/targets/test', { target });
      assert.equal(status, 200, JSON.stringify(json));
    }
    assert.ok(listener.connections >= 3, `${listener.connections} connections`);
  });
});

describe('Test connection tells a customer nothing about ports', () => {
  test('refused and timed out read the same', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await allowing.alice.call('POST', '/api/targets/test', {
      target: ftp('127.0.0.1', { port: closedPort }),
    });
    // An address on this machine's own network that nobody answers: no reply, then no route.
    const silent = await allowing.alice.call('POST', '/api/targets/test', {
      target: ftp('192.0.2.77', { port: 21 }),
    });
    for (const answer of [refused, silent]) {
      assert.equal(answer.status, 200, JSON.stringify(answer.json));
      assert.equal(answer.json.step, 'reach');
    }
    const same = (text: string) =>
      text.replace(/\S+ did not/, 'X did not').replace(/port \d+/, 'port N');
    assert.equal(same(refused.json.message), same(silent.json.message));
    assert.match(refused.json.message, /did not accept a connection on port \d+/);

    // The provider reads the causes, which differ.
    const causes = await Promise.all(
      [ftp('127.0.0.1', { port: closedPort }), ftp('192.0.2.77', { port: 21 })].map((target) =>
        allowing.provider.call('POST', '/api/targets/test', { target }),
      ),
    );
    assert.match(causes[0]!.json.message, /refused the connection/);
    assert.doesNotMatch(causes[1]!.json.message, /refused/);
  });
});

describe('Test connection claims only what it proved', () => {
  test('an ordinary web server at the S3 endpoint checked no login: it is not "accepted"', async () => {
    // Answers every request with a web page, as a web server (or this service's own web UI)
    // does: restic fails on the answer, and nothing ever looked at the credentials.
    const requests: string[] = [];
    const server = createHttpServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(
        '<!doctype html>\n<html>\n<head>\n<meta charset="utf-8">\n</head>\n<body>It works</body>\n</html>\n',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const { status, json } = await allowing.provider.call('POST', '/api/targets/test', {
        target: s3(`http://127.0.0.1:${port}`),
      });
      assert.equal(status, 200);
      assert.ok(requests.length > 0, 'restic asked the server');
      assert.equal(json.ok, false);
      assert.ok(!JSON.stringify(json).includes('accepted the login'), JSON.stringify(json));
      assert.equal(json.step, 'authenticate');
      assert.deepEqual(json.steps, [
        { step: 'reach', message: `The server 127.0.0.1 accepted a connection on port ${port}.` },
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('CA certificates of connection tests', () => {
  test('20 tests with 20 different certificates leave the certificate directory as it was', async () => {
    const s3server = await startS3Server();
    try {
      const certs = join(allowing.service.app.config.dataDir, 'certs');
      const before = await readdir(certs).catch(() => []);
      for (let i = 0; i < 20; i++) {
        // The same CA with a different comment before it: another file each time, and one
        // restic accepts. A wrong secret key ends each test quickly, after the certificate was
        // used (the login is refused over TLS).
        const caCert = `test ${i}\n${s3server.caCertPem}`;
        // As the provider: a customer may start only ten tests a minute.
        const { status, json } = await allowing.provider.call('POST', '/api/targets/test', {
          target: {
            kind: 's3',
            endpoint: s3server.endpoint,
            bucket: s3server.bucket,
            accessKeyId: s3server.accessKeyId,
            secretAccessKey: 'not-the-secret-key',
            pathStyle: true,
            caCert,
          },
        });
        assert.equal(status, 200);
        assert.equal(json.step, 'authenticate', JSON.stringify(json));
        assert.match(json.message, /refused the login/);
      }
      assert.deepEqual(await readdir(certs).catch(() => []), before);
    } finally {
      await s3server.stop();
    }
  });
});

/** The refused fields with their words; their codes are the error catalog's (src/errors). */
function fieldMessages(json: unknown): { field: string; message: string }[] {
  const { error } = json as { error: { fields: { field: string; message: string }[] } };
  return error.fields.map(({ field, message }) => ({ field, message }));
}
