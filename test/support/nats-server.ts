// A private nats-server for a fleet test: its own port and temp dir, a private CA with a server
// certificate and one client certificate per identity (made with openssl), nkey identities for
// one controller and one agent per hosting server, and the configuration src/fleet/nats-config.ts
// generates for them, so tests exercise the permissions a real fleet gets.
//
//   const nats = await startNatsServer({ servers: ['web1', 'web2'] });
//   const controller = await nats.connect('controller');
//   const web1 = await nats.connect('web1');              // TLS + web1's nkey + web1's inbox
//   await nats.stop({ keepData: true }); await nats.start();   // same port, JetStream kept
//   await nats.stop();                                    // kills it and removes the temp dir
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createUser } from '@nats-io/nkeys';
import {
  connect,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from '@nats-io/transport-node';
import { natsAuthorizationConfig, natsFleetConfig } from '../../src/fleet/nats-config.js';
import { serverSubjects, VAULT_NODE, vaultSubjects } from '../../src/fleet/subjects.js';

const execFileAsync = promisify(execFile);
const NATS_SERVER = process.env.HOSTVAULT_NATS_SERVER ?? '/usr/sbin/nats-server';

export interface NatsIdentity {
  /** `controller` or the hosting server's id. */
  name: string;
  publicKey: string;
  seed: Uint8Array;
  certFile: string;
  keyFile: string;
  /** Agents receive replies under their own server's prefix (the permissions allow only that). */
  inboxPrefix: string | undefined;
}

export interface NatsServerOptions {
  /** Hosting server ids, each with an agent identity. */
  servers: string[];
  rpcReplyWindow?: string;
  /**
   * Address to listen on (default 127.0.0.1), e.g. a bridge address that agents in network
   * namespaces reach; the server certificate names it.
   */
  host?: string;
  /**
   * The users live in an authorization file the configuration includes, as a controller that
   * enrolls and revokes servers writes it (HOSTVAULT_NATS_AUTH_FILE); at the start it lists the
   * controller alone. The servers above still get TLS certificates and nkeys, but are let in
   * only once enrolled. nats-server's pid is kept in `pidFile` for the controller's reload.
   */
  managedAuthorization?: boolean;
  /** The fleet's vault gets an identity too (named VAULT_NODE) and, unmanaged, its user. */
  vault?: boolean;
}

export interface NatsTestServer {
  url: string;
  port: number;
  dir: string;
  caFile: string;
  /** The CA's key: a test may sign another server's certificate with the fleet's CA. */
  caKeyFile: string;
  configFile: string;
  /** With managedAuthorization: the included users file, and nats-server's pid file. */
  authorizationFile: string;
  pidFile: string;
  identity(name: string): NatsIdentity;
  /** A client certificate from another CA: valid TLS material the fleet must not accept. */
  untrustedCertificate: { certFile: string; keyFile: string };
  /** Options to connect as `name` (controller or a server id), TLS and nkey included. */
  connectOptions(name: string, extra?: Partial<ConnectionOptions>): ConnectionOptions;
  connect(name: string, extra?: Partial<ConnectionOptions>): Promise<NatsConnection>;
  /** nats-server's log (stderr) since the helper started it. */
  log(): string;
  /** Waits until the log has a line matching `pattern` (after `from` characters). */
  waitForLog(pattern: RegExp, opts?: { from?: number; timeoutMs?: number }): Promise<string>;
  pid(): number | undefined;
  stop(opts?: { keepData?: boolean }): Promise<void>;
  start(): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
const pendingDirs = new Set<string>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
  for (const dir of pendingDirs) rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function openssl(args: string[]): Promise<void> {
  await execFileAsync('openssl', args);
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  await openssl([
    'req', '-x509', ...EC_KEY, '-keyout', key, '-out', cert, '-days', '30',
    '-subj', `/CN=hostvault ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]); // prettier-ignore
  return { cert, key };
}

/** A certificate signed by `ca`: the server's (serverAuth, for 127.0.0.1) or a client's. */
async function makeLeaf(
  dir: string,
  ca: { cert: string; key: string },
  name: string,
  usage: 'server' | 'client',
  host = '127.0.0.1',
): Promise<{ certFile: string; keyFile: string }> {
  const p = (ext: string): string => join(dir, `${name}.${ext}`);
  await openssl(['req', ...EC_KEY, '-keyout', p('key'), '-out', p('csr'), '-subj', `/CN=${name}`]);
  await writeFile(
    p('ext'),
    (usage === 'server' ? `subjectAltName=IP:127.0.0.1,IP:${host},DNS:localhost\n` : '') +
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' +
      `extendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}\n`,
  );
  await openssl([
    'x509', '-req', '-in', p('csr'), '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial',
    '-out', p('pem'), '-days', '30', '-extfile', p('ext'),
  ]); // prettier-ignore
  return { certFile: p('pem'), keyFile: p('key') };
}

export async function startNatsServer(opts: NatsServerOptions): Promise<NatsTestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hv-nats-'));
  pendingDirs.add(dir);
  const tlsDir = join(dir, 'tls');
  await mkdir(tlsDir, { mode: 0o700 });

  const ca = await makeCa(tlsDir, 'fleet-ca');
  const host = opts.host ?? '127.0.0.1';
  const serverCert = await makeLeaf(tlsDir, ca, 'nats-server', 'server', host);
  const names = ['controller', ...opts.servers, ...(opts.vault ? [VAULT_NODE] : [])];
  const identities = new Map<string, NatsIdentity>();
  // One after another: openssl keeps the CA's next serial number in one file.
  for (const name of names) {
    const pair = createUser();
    const cert = await makeLeaf(tlsDir, ca, `client-${name}`, 'client');
    identities.set(name, {
      name,
      publicKey: pair.getPublicKey(),
      seed: pair.getSeed(),
      ...cert,
      inboxPrefix:
        name === 'controller'
          ? undefined
          : name === VAULT_NODE
            ? vaultSubjects().inboxPrefix
            : serverSubjects(name).inboxPrefix,
    });
  }
  const rogueCa = await makeCa(tlsDir, 'rogue-ca');
  const untrustedCertificate = await makeLeaf(tlsDir, rogueCa, 'client-rogue', 'client');

  const identity = (name: string): NatsIdentity => {
    const id = identities.get(name);
    if (!id) throw new Error(`no NATS identity "${name}" in this test server`);
    return id;
  };

  const port = await freePort();
  const configFile = join(dir, 'nats-server.conf');
  const authorizationFile = join(dir, 'authorization.conf');
  const pidFile = join(dir, 'nats-server.pid');
  if (opts.managedAuthorization)
    await writeFile(
      authorizationFile,
      natsAuthorizationConfig({
        controllers: [{ nkey: identity('controller').publicKey }],
        agents: [],
        rpcReplyWindow: opts.rpcReplyWindow,
      }),
    );
  await writeFile(
    configFile,
    natsFleetConfig({
      ...(opts.managedAuthorization ? { authorizationInclude: 'authorization.conf' } : {}),
      listen: { host, port },
      tls: { certFile: serverCert.certFile, keyFile: serverCert.keyFile, caFile: ca.cert },
      jetStream: {
        storeDir: join(dir, 'jetstream'),
        maxFileStoreBytes: 256 << 20,
        maxMemoryStoreBytes: 64 << 20,
      },
      controllers: [{ nkey: identity('controller').publicKey }],
      agents: opts.servers.map((server) => ({ server, nkey: identity(server).publicKey })),
      ...(opts.vault ? { vault: { nkey: identity(VAULT_NODE).publicKey } } : {}),
      rpcReplyWindow: opts.rpcReplyWindow,
    }),
  );

  let child: ChildProcess | undefined;
  let log = '';
  const logWaiters = new Set<() => void>();

  const start = async (): Promise<void> => {
    if (child) throw new Error('nats-server is already running');
    const from = log.length;
    const proc = spawn(NATS_SERVER, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    liveChildren.add(proc);
    const append = (chunk: Buffer): void => {
      log += chunk.toString('utf8');
      for (const wake of logWaiters) wake();
    };
    proc.stdout?.on('data', append);
    proc.stderr?.on('data', append);
    proc.once('exit', () => {
      liveChildren.delete(proc);
      if (child === proc) child = undefined;
      for (const wake of logWaiters) wake();
    });
    // A configuration nats-server refuses ends the process at once: say so, don't wait 10 s.
    const exited = new Promise<never>((_resolve, reject) =>
      proc.once('exit', (code, signal) =>
        reject(new Error(`nats-server exited (${signal ?? code}) before it was ready:\n${log}`)),
      ),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForLog(/Server is ready/, { from, timeoutMs: 10_000 }), exited]);
    await writeFile(pidFile, `${proc.pid}\n`);
  };

  const waitForLog = (
    pattern: RegExp,
    o: { from?: number; timeoutMs?: number } = {},
  ): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = log
          .slice(o.from ?? 0)
          .split('\n')
          .find((l) => pattern.test(l));
        if (line !== undefined) {
          done();
          resolve(line);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`nats-server log has no line matching ${pattern}; log:\n${log}`));
      }, o.timeoutMs ?? 5_000);
      const wake = (): void => void check();
      const done = (): void => {
        clearTimeout(timer);
        logWaiters.delete(wake);
      };
      if (!check()) logWaiters.add(wake);
    });

  const stop = async (o: { keepData?: boolean } = {}): Promise<void> => {
    const proc = child;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    child = undefined;
    if (!o.keepData) {
      rmSync(dir, { recursive: true, force: true });
      pendingDirs.delete(dir);
    }
  };

  const connectOptions = (
    name: string,
    extra: Partial<ConnectionOptions> = {},
  ): ConnectionOptions => {
    const id = identity(name);
    return {
      servers: `tls://${host}:${port}`,
      name: `hostvault-test-${name}`,
      tls: { caFile: ca.cert, certFile: id.certFile, keyFile: id.keyFile },
      authenticator: nkeyAuthenticator(id.seed),
      ...(id.inboxPrefix ? { inboxPrefix: id.inboxPrefix } : {}),
      // As the fleet's own connections (src/fleet/connect.ts): a machine busy with other suites
      // can stall the server past the client's default ten tries, which would close the
      // connection for the rest of the file.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      ...extra,
    };
  };

  try {
    await start();
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url: `tls://${host}:${port}`,
    port,
    dir,
    caFile: ca.cert,
    caKeyFile: ca.key,
    configFile,
    authorizationFile,
    pidFile,
    identity,
    untrustedCertificate,
    connectOptions,
    connect: (name, extra) => connect(connectOptions(name, extra)),
    log: () => log,
    waitForLog,
    pid: () => child?.pid,
    stop,
    start,
  };
}
