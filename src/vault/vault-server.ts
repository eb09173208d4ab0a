/**
 * The vault's REST endpoint: `rclone serve restic` over the backing target, append-only (no
 * DELETE, no POST to a name that exists, except restic's lock files), private repositories
 * (each user only below `/<user>/`), TLS, and one bcrypt credential per agent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { rcloneRemote, type BackingTarget } from './backing.js';

export interface VaultServerOptions {
  target: BackingTarget;
  /** host:port to listen on. */
  listen: string;
  /** PEM files of the vault's TLS certificate (with its chain) and key. */
  certFile: string;
  keyFile: string;
  htpasswdFile: string;
  /** The vault's own files: CA certificates of the backing target, rclone's (empty) config. */
  workDir: string;
  rcloneBinary?: string;
  log?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface VaultServer {
  /** https://host:port */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

const SERVING = /Serving restic REST API on (https:\/\/\S+?)\/?$/;

export async function startVaultServer(opts: VaultServerOptions): Promise<VaultServer> {
  for (const [what, file] of [
    ['TLS certificate', opts.certFile],
    ['TLS key', opts.keyFile],
    ['credentials file', opts.htpasswdFile],
  ] as const)
    if (!existsSync(file)) throw new Error(`The vault's ${what} ${file} does not exist.`);
  await mkdir(opts.workDir, { recursive: true, mode: 0o700 });
  if (opts.target.kind === 'local') await mkdir(opts.target.path, { recursive: true });
  const remote = await rcloneRemote(opts.target, join(opts.workDir, 'certs'));
  const rclone = [
    opts.rcloneBinary ?? 'rclone',
    'serve',
    'restic',
    remote.path,
    '--addr',
    opts.listen,
    '--append-only',
    '--private-repos',
    '--htpasswd',
    opts.htpasswdFile,
    '--cert',
    opts.certFile,
    '--key',
    opts.keyFile,
    ...(remote.caCertFile ? ['--ca-cert', remote.caCertFile] : []),
  ];
  // The vault's rclone dies with the vault: an endpoint nobody supervises is one nobody stops.
  const [binary, ...args] = SETPRIV ? [SETPRIV, '--pdeathsig', 'TERM', '--', ...rclone] : rclone;
  const child = spawn(binary!, args, {
    env: {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: opts.workDir,
      LANG: 'C.UTF-8',
      // No config file: the backing remote lives in this environment alone.
      RCLONE_CONFIG: join(opts.workDir, 'rclone.conf'),
      ...remote.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await serving(child, opts.startTimeoutMs ?? 15_000, opts.log);
  return {
    url,
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}

/** Resolves with the URL rclone serves on once it says so; rejects with its words if it ends. */
function serving(
  child: ChildProcess,
  timeoutMs: number,
  log?: (line: string) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    let started = false;
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`rclone did not start serving within ${timeoutMs} ms: ${tail.join(' | ')}`));
    }, timeoutMs);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        // Expected and harmless: the remote is defined in the environment only.
        if (/Config file .* not found/.test(line)) continue;
        log?.(`rclone: ${line}`);
        tail.push(line);
        if (tail.length > 5) tail.shift();
        const found = SERVING.exec(line.trim());
        if (found && !started) {
          started = true;
          clearTimeout(timer);
          resolve(found[1]!);
        }
      }
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!started)
        reject(new Error(`rclone ended (${code ?? signal}) before serving: ${tail.join(' | ')}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const ended = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await ended;
  clearTimeout(timer);
}
