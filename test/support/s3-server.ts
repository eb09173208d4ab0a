// A real S3 server on loopback for integration tests: s3rver 3 over HTTPS (a throw-away CA and a
// server certificate for 127.0.0.1 made with openssl), with AWS SigV4 signatures checked against
// one key pair (s3rver itself accepts any secret key).
//
//   const s3 = await startS3Server();
//   restic -r s3:${s3.endpoint}/${s3.bucket}/prefix --cacert ${s3.caCertPath}
//     with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY = s3.accessKeyId / s3.secretAccessKey
//   await s3.stop({ keepData: true }); await s3.start();   // server down and back, same port
//   await s3.stop();                                        // removes the temp dir
//
// Over plain HTTP restic (minio-go) sends aws-chunked bodies that s3rver stores unparsed, which
// breaks repositories: HTTPS is the only supported mode here.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sendS3Error, verifySigV4 } from './s3-auth-proxy.js';

const execFileAsync = promisify(execFile);

interface S3rverInstance {
  configureBuckets(): Promise<unknown>;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  logger: { close(): void };
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

export interface S3ServerOptions {
  /** Bucket created at start (default `hostvault-test`). */
  bucket?: string;
  /** Key pair the server accepts (default: random). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Check SigV4 signatures (default true). With false, s3rver's own lax checks apply. */
  verifySignatures?: boolean;
  /** Answer 403 AccessDenied to bucket creation (PUT /<bucket>) like a key without that right. */
  denyBucketCreation?: boolean;
  /** Address to listen on (default 127.0.0.1); the server certificate names it. */
  host?: string;
}

export interface S3TestServer {
  /** `https://127.0.0.1:PORT` */
  endpoint: string;
  port: number;
  caCertPath: string;
  caCertPem: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where s3rver keeps the buckets (inside the temp dir). */
  dataDir: string;
  /** `s3:https://127.0.0.1:PORT/<bucket>/<prefix>` */
  repository(prefix: string, bucket?: string): string;
  /** AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for restic's environment. */
  env(): Record<string, string>;
  /** Number of requests answered with 403 because of a bad key or signature. */
  rejectedRequests(): number;
  /** Stops listening and cuts open connections; removes the temp dir unless keepData. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** Starts again on the same port (after stop). */
  start(): Promise<void>;
}

const pendingCleanups = new Set<() => void>();
process.once('exit', () => {
  for (const cleanup of pendingCleanups) cleanup();
});

export interface TestCertificates {
  caCertPath: string;
  caCertPem: string;
  serverCertPath: string;
  serverKeyPath: string;
}

/** Makes a CA and a server certificate for IP 127.0.0.1 / DNS localhost in `dir`. */
export async function createTestCertificates(
  dir: string,
  host = '127.0.0.1',
): Promise<TestCertificates> {
  await mkdir(dir, { recursive: true });
  const p = (name: string): string => join(dir, name);
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await execFileAsync('openssl', [
    'req', '-x509', ...ecKey, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '3650',
    '-subj', '/CN=hostvault test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]); // prettier-ignore
  await execFileAsync('openssl', [
    'req', ...ecKey, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1',
  ]); // prettier-ignore
  await writeFile(
    p('server.ext'),
    `subjectAltName=IP:127.0.0.1,IP:${host},DNS:localhost\nbasicConstraints=CA:FALSE\n` +
      'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  await execFileAsync('openssl', [
    'x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'),
    '-CAcreateserial', '-out', p('server.pem'), '-days', '3650', '-extfile', p('server.ext'),
  ]); // prettier-ignore
  return {
    caCertPath: p('ca.pem'),
    caCertPem: await readFile(p('ca.pem'), 'utf8'),
    serverCertPath: p('server.pem'),
    serverKeyPath: p('server.key'),
  };
}

export async function startS3Server(opts: S3ServerOptions = {}): Promise<S3TestServer> {
  const bucket = opts.bucket ?? 'hostvault-test';
  const accessKeyId = opts.accessKeyId ?? 'HV' + randomBytes(9).toString('hex').toUpperCase();
  const secretAccessKey = opts.secretAccessKey ?? randomBytes(24).toString('base64url');
  const verify = opts.verifySignatures ?? true;
  const host = opts.host ?? '127.0.0.1';

  const root = await mkdtemp(join(tmpdir(), 'hv-s3-'));
  const removeRoot = (): void => rmSync(root, { recursive: true, force: true });
  pendingCleanups.add(removeRoot);
  const dataDir = join(root, 'data');
  let certs: TestCertificates;
  try {
    certs = await createTestCertificates(join(root, 'tls'), host);
  } catch (err) {
    removeRoot();
    pendingCleanups.delete(removeRoot);
    throw err;
  }
  const tlsFiles = {
    ca: certs.caCertPem,
    key: await readFile(certs.serverKeyPath, 'utf8'),
    cert: await readFile(certs.serverCertPath, 'utf8'),
  };

  let port = 0;
  let server: Server | undefined;
  let rejected = 0;

  const listen = async (): Promise<void> => {
    // After stop() without keepData the temp dir is gone: bring certificates and bucket back.
    await mkdir(dataDir, { recursive: true });
    await writeFile(certs.caCertPath, tlsFiles.ca);
    pendingCleanups.add(removeRoot);

    const s3 = new S3rver({
      silent: true,
      directory: dataDir,
      configureBuckets: [{ name: bucket, configs: [] }],
      vhostBuckets: false,
    });
    await s3.configureBuckets();
    const handle = s3.callback();
    const srv = createServer({ key: tlsFiles.key, cert: tlsFiles.cert }, (req, res) => {
      if (verify) {
        const result = verifySigV4(req, { accessKeyId, secretAccessKey });
        if (!result.ok) {
          rejected++;
          sendS3Error(req, res, result);
          return;
        }
        // The signature is checked: let s3rver treat the request as anonymous, since it only
        // knows its own key "S3RVER".
        delete req.headers.authorization;
      }
      if (opts.denyBucketCreation && req.method === 'PUT' && isBucketPath(req.url ?? '/')) {
        sendS3Error(req, res, { status: 403, code: 'AccessDenied', message: 'Access Denied' });
        return;
      }
      handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    port = (srv.address() as AddressInfo).port;
    server = srv;
  };

  await listen();

  const api: S3TestServer = {
    endpoint: `https://${host}:${port}`,
    port,
    caCertPath: certs.caCertPath,
    caCertPem: certs.caCertPem,
    bucket,
    accessKeyId,
    secretAccessKey,
    dataDir,
    repository: (prefix, b = bucket) => `s3:https://${host}:${port}/${b}/${prefix}`,
    env: () => ({ AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey }),
    rejectedRequests: () => rejected,
    async stop({ keepData = false } = {}) {
      const srv = server;
      server = undefined;
      if (srv) {
        const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
        srv.closeAllConnections();
        await closed;
      }
      if (!keepData) {
        await rm(root, { recursive: true, force: true });
        pendingCleanups.delete(removeRoot);
      }
    },
    async start() {
      if (server) return;
      await listen();
    },
  };
  return api;
}

function isBucketPath(url: string): boolean {
  const path = url.split('?')[0] ?? '/';
  return /^\/[^/]+\/?$/.test(path);
}
