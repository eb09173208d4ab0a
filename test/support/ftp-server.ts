// A real FTP server on loopback for integration tests: Debian's pure-ftpd in the foreground with one
// virtual user (pure-pw passwd file + puredb in a temp dir), a passive port range, optional explicit
// TLS, and the whole process group killed on stop.
//
//   const ftp = await startFtpServer({ maxConnectionsPerUser: 4 });
//   restic -r rclone:hvftp:path -o rclone.connections=4   with env ftp.rcloneEnv({ connections: 4 })
//   await ftp.stop({ keepData: true }); await ftp.start();   // server down and back, same port
//   await ftp.stop();                                         // kills it and removes the temp dir
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCertificates } from './s3-server.js';

export interface FtpServerOptions {
  /** Max concurrent sessions of the user (pure-pw -y); unlimited when absent. */
  maxConnectionsPerUser?: number;
  /** Explicit TLS (AUTH TLS), required for every session (pure-ftpd -Y 2). */
  tls?: boolean;
  user?: string;
  password?: string;
}

export interface RcloneEnvOptions {
  /** Remote name as used in `rclone:<remote>:<path>` (default `hvftp`). */
  remote?: string;
  /** FTP concurrency; pass the same number to restic as `-o rclone.connections=N`. */
  connections?: number;
  /** Override the password (e.g. a wrong one). */
  password?: string;
  /**
   * Add RCLONE_LOW_LEVEL_RETRIES=1: "server down" at start fails in ~0.3 s instead of ~4.7 s,
   * and a server lost mid-backup in ~5 min instead of ~37 min (restic's own retries remain).
   */
  fastFail?: boolean;
}

export interface FtpTestServer {
  host: '127.0.0.1';
  port: number;
  user: string;
  password: string;
  /** The user's FTP root (what `/` is for the user) on the local disk. */
  root: string;
  tls: boolean;
  /** CA of the server certificate when tls is on (rcloneEnv puts it in SSL_CERT_FILE). */
  caCertPath: string | undefined;
  passivePorts: [number, number];
  /** Pid of the pure-ftpd master while running (it is also the process group id). */
  pid(): number | undefined;
  /** Live (non-zombie) processes of every pure-ftpd process group this helper started. */
  processes(): number[];
  /** `RCLONE_CONFIG_<REMOTE>_*` variables for an rclone ftp remote (password obscured). */
  rcloneEnv(opts?: RcloneEnvOptions): Promise<Record<string, string>>;
  stop(opts?: { keepData?: boolean }): Promise<void>;
  start(): Promise<void>;
}

const livePgids = new Set<number>();
const pendingDirs = new Set<string>();
process.once('exit', () => {
  for (const pgid of livePgids) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of pendingDirs) rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args[0] ?? ''} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
    // A program that exits before reading its input (pure-pw refusing an argument) closes the
    // pipe: its exit status tells what went wrong, not the EPIPE of our write.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/** `rclone obscure` with the secret on stdin, so it never shows in argv. */
export async function rcloneObscure(secret: string): Promise<string> {
  return (await run('rclone', ['obscure', '-'], secret + '\n')).trim();
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

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

async function freePassiveRange(size: number): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const lo = 40000 + Math.floor(Math.random() * 200) * 100;
    let free = true;
    for (let p = lo; p < lo + size && free; p++) free = await portIsFree(p);
    if (free) return [lo, lo + size - 1];
  }
  throw new Error('no free passive port range found');
}

/** Pids (not zombies) whose process group is `pgid`. */
function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // fields after "(comm)": state ppid pgrp ...
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid && rest[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // process vanished
    }
  }
  return pids;
}

function waitForBanner(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const sock = createConnection({ host: '127.0.0.1', port });
      let data = '';
      const retry = (): void => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`pure-ftpd did not answer on port ${port}`));
        else setTimeout(attempt, 50);
      };
      sock.setTimeout(2000, retry);
      sock.on('error', retry);
      sock.on('data', (chunk) => {
        data += chunk.toString('latin1');
        if (/^220[ -]/m.test(data)) {
          sock.end('QUIT\r\n');
          sock.destroy();
          resolve();
        } else if (/^\d{3} /m.test(data)) {
          sock.destroy();
          reject(new Error(`pure-ftpd answered: ${data.trim()}`));
        }
      });
    };
    attempt();
  });
}

export async function startFtpServer(opts: FtpServerOptions = {}): Promise<FtpTestServer> {
  const user = opts.user ?? 'hvtest';
  const password = opts.password ?? randomBytes(12).toString('hex');
  const tls = opts.tls ?? false;

  const base = await mkdtemp(join(tmpdir(), 'hv-ftp-'));
  pendingDirs.add(base);
  const root = join(base, 'home');
  const passwdFile = join(base, 'pureftpd.passwd');
  const pdbFile = join(base, 'pureftpd.pdb');
  const certFile = join(base, 'pure-ftpd.pem');
  let caCertPath: string | undefined;

  const prepare = async (): Promise<void> => {
    await mkdir(root, { recursive: true });
    // Virtual users map to a system uid; pure-ftpd refuses root, so files belong to nobody.
    await chown(root, 65534, 65534);
    // The line pure-pw useradd writes (see README.Virtual-Users: account:hash:uid:gid:gecos:home/./:
    // ul bw:dl bw:ul ratio:dl ratio:max sessions:files quota:size quota:6 IP/time fields), but
    // with a SHA-512 crypt hash: pure-pw hashes with argon2id at t=1023, which costs ~3.5 s for
    // useradd and again for every login (rclone logs in once per connection). pure-ftpd accepts
    // crypt(3) hashes as well. pure-pw mkdb still builds the puredb from it.
    const hash = (await run('openssl', ['passwd', '-6', '-stdin'], password + '\n')).trim();
    const maxSessions = opts.maxConnectionsPerUser?.toString() ?? '';
    const fields = [user, hash, '65534', '65534', '', `${root}/./`, '', '', '', '', maxSessions];
    await writeFile(passwdFile, [...fields, '', '', '', '', '', '', ''].join(':') + '\n', {
      mode: 0o600,
    });
    await run('pure-pw', ['mkdb', pdbFile, '-f', passwdFile]);
    if (tls) {
      const certs = await createTestCertificates(join(base, 'tls'));
      const pem =
        (await readFile(certs.serverKeyPath, 'utf8')) +
        (await readFile(certs.serverCertPath, 'utf8'));
      await writeFile(certFile, pem, { mode: 0o600 });
      caCertPath = certs.caCertPath;
    }
  };

  let port = 0;
  let passivePorts: [number, number] = [0, 0];
  let child: ChildProcess | undefined;
  let pgid: number | undefined;
  const pgids = new Set<number>();
  let prepared = false;

  const launch = async (): Promise<void> => {
    if (!prepared) {
      pendingDirs.add(base);
      await prepare();
      prepared = true;
    }
    if (port === 0) {
      port = await freePort();
      passivePorts = await freePassiveRange(100);
    }
    const args = [
      '-S', `127.0.0.1,${port}`,
      '-l', `puredb:${pdbFile}`,
      '-p', `${passivePorts[0]}:${passivePorts[1]}`,
      '-P', '127.0.0.1',
      '-E', // no anonymous logins
      '-A', // chroot everyone
      '-H', // do not resolve client names
      '-c', '100',
      '-C', '100',
    ]; // prettier-ignore
    if (tls) args.push('-Y', '2', '-2', certFile);
    // Own process group (stop() kills the group), and setpriv --pdeathsig so that the master
    // dies with this process even if it is killed before stop() (setpriv execs: same pid).
    const proc = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'pure-ftpd', ...args], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    proc.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', reject);
      proc.once('exit', (code, signal) =>
        reject(new Error(`pure-ftpd exited early (${code ?? signal}): ${output.trim()}`)),
      );
    });
    exited.catch(() => undefined);
    if (proc.pid === undefined) await exited;
    const pid = proc.pid as number;
    child = proc;
    pgid = pid;
    pgids.add(pid);
    livePgids.add(pid);
    try {
      await Promise.race([waitForBanner(port, 10_000), exited]);
    } catch (err) {
      await kill();
      throw err;
    }
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    const group = pgid;
    child = undefined;
    pgid = undefined;
    if (!proc || group === undefined) return;
    const gone =
      proc.exitCode !== null || proc.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    try {
      process.kill(-group, 'SIGTERM');
    } catch {
      // group already empty
    }
    const deadline = Date.now() + 5000;
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
    while (groupMembers(group).length > 0 && Date.now() < deadline) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    livePgids.delete(group);
  };

  await launch();

  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    root,
    tls,
    caCertPath,
    passivePorts,
    pid: () => pgid,
    processes: () => [...pgids].flatMap((g) => groupMembers(g)),
    async rcloneEnv({ remote = 'hvftp', connections, password: pw = password, fastFail } = {}) {
      const prefix = `RCLONE_CONFIG_${remote.toUpperCase()}_`;
      const env: Record<string, string> = {
        [prefix + 'TYPE']: 'ftp',
        [prefix + 'HOST']: '127.0.0.1',
        [prefix + 'PORT']: String(port),
        [prefix + 'USER']: user,
        [prefix + 'PASS']: await rcloneObscure(pw),
      };
      if (connections !== undefined) env[prefix + 'CONCURRENCY'] = String(connections);
      if (fastFail) env['RCLONE_LOW_LEVEL_RETRIES'] = '1';
      if (tls && caCertPath) {
        env[prefix + 'EXPLICIT_TLS'] = 'true';
        // rclone's ftp backend ignores --ca-cert (RCLONE_CA_CERT); Go's SSL_CERT_FILE works and
        // keeps certificate checks on (the alternative is <PREFIX>NO_CHECK_CERTIFICATE=true).
        env['SSL_CERT_FILE'] = caCertPath;
      }
      return env;
    },
    async stop({ keepData = false } = {}) {
      await kill();
      if (!keepData) {
        await rm(base, { recursive: true, force: true });
        pendingDirs.delete(base);
        prepared = false;
      }
    },
    async start() {
      if (child) return;
      await launch();
    },
  };
}
