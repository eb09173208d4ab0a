/**
 * A vault for tests: a private CA and server certificate made here with openssl, two agents'
 * credentials, and `rclone serve restic --append-only --private-repos` over TLS in front of a
 * local directory, on a port of its own.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, relative } from 'node:path';
import { issueCredential } from '../../src/vault/htpasswd.js';
import { startVaultServer, type VaultServer } from '../../src/vault/vault-server.js';
import type { VaultTarget } from '../../src/target/schema.js';

export interface VaultWorld {
  server: VaultServer;
  caCert: string;
  backingDir: string;
  credentials: Record<string, string>;
  /** The vault target agent `agent` is given. */
  targetOf(agent: string): VaultTarget;
}

/** A CA and a certificate for 127.0.0.1 signed by it, as an operator would make them. */
export function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const cert = join(dir, 'vault.pem');
  const key = join(dir, 'vault.key');
  const csr = join(dir, 'vault.csr');
  const ext = join(dir, 'vault.ext');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const quiet = { stdio: 'ignore' as const };
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      caKey,
      '-out',
      ca,
      '-days',
      '2',
      '-subj',
      '/CN=hostvault test vault CA',
    ],
    quiet,
  );
  execFileSync(
    'openssl',
    ['req', ...ec, '-keyout', key, '-out', csr, '-subj', '/CN=127.0.0.1'],
    quiet,
  );
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\n');
  execFileSync(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca,
      '-CAkey',
      caKey,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      '2',
      '-extfile',
      ext,
    ],
    quiet,
  );
  return { ca, cert, key };
}

export async function startVaultWorld(work: string, agents: string[]): Promise<VaultWorld> {
  const certs = makeCertificates(work);
  const htpasswdFile = join(work, 'vault.htpasswd');
  const credentials: Record<string, string> = {};
  for (const agent of agents) credentials[agent] = await issueCredential(htpasswdFile, agent);
  const backingDir = join(work, 'backing');
  const server = await startVaultServer({
    target: { kind: 'local', path: backingDir },
    listen: '127.0.0.1:0',
    certFile: certs.cert,
    keyFile: certs.key,
    htpasswdFile,
    workDir: join(work, 'vault-work'),
  });
  const caCert = readFileSync(certs.ca, 'utf8');
  return {
    server,
    caCert,
    backingDir,
    credentials,
    targetOf: (agent) => ({
      kind: 'vault',
      url: server.url,
      user: agent,
      password: credentials[agent]!,
      caCert,
    }),
  };
}

/** One raw HTTP request to the vault, as a script on a compromised server would send it. */
export function vaultRequest(
  world: VaultWorld,
  opts: { method: string; path: string; agent: string; password?: string; body?: Buffer },
): Promise<number> {
  const url = new URL(opts.path, world.server.url);
  const auth = `${opts.agent}:${opts.password ?? world.credentials[opts.agent]}`;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method,
        ca: world.caCert,
        auth,
        headers: { 'content-type': 'application/octet-stream' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Every file below `dir` with the sha256 of its content (restic's lock files left out). */
export function fingerprint(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!relative(dir, path).split('/').includes('locks'))
        out.set(relative(dir, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** Bytes of the files below `dir`. */
export function bytesUnder(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else total += statSync(path).size;
    }
  };
  walk(dir);
  return total;
}
