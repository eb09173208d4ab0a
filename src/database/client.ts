/**
 * Runs the `mariadb` and `mariadb-dump` programs. Secrets never reach argv or the environment:
 * a password goes into a 0600 option file in a private 0700 directory that is passed with
 * `--defaults-extra-file` and removed afterwards. Everything else (user, socket, host) goes into
 * argv, where it also overrides any option file, so a `[client] user=` in some configuration
 * file can never make a restore run as another account.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DatabaseError, type MariaDbConnection } from './types.js';

/**
 * Option files live in `<sessionDir or tmpdir>/hostvault-db-<pid>-XXXXXX`: the pid tells a later
 * start which directories a crashed process left (see recover.ts).
 */
export const SESSION_PREFIX = 'hostvault-db-';

export interface Account {
  user: string;
  password?: string;
}

/** A private directory holding one option file; `dispose()` removes both. */
export interface ClientSession {
  dir: string;
  /** Leading arguments for either client program: option file, account, transport. */
  args: string[];
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export async function openSession(
  connection: MariaDbConnection,
  account?: Account,
): Promise<ClientSession> {
  const user = account?.user ?? connection.user ?? 'root';
  const password = account ? account.password : connection.password;
  const base = connection.sessionDir ?? tmpdir();
  if (connection.sessionDir) await mkdir(base, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(base, `${SESSION_PREFIX}${process.pid}-`));
  try {
    const file = join(dir, 'client.cnf');
    const lines = ['[client]'];
    if (password !== undefined) lines.push(`password=${optionValue(password)}`);
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(`${lines.join('\n')}\n`);
    } finally {
      await handle.close();
    }
    // Must be the first argument of either program.
    const args = [`--defaults-extra-file=${file}`, `--user=${user}`];
    if (connection.socket || !connection.host) {
      args.push('--protocol=socket');
      if (connection.socket) args.push(`--socket=${connection.socket}`);
    } else {
      args.push('--protocol=tcp', `--host=${connection.host}`);
      if (connection.port) args.push(`--port=${connection.port}`);
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      // No ~/.my.cnf of whoever runs the service: it is read after our file and could override it.
      HOME: dir,
      LANG: 'C.UTF-8',
    };
    return {
      dir,
      args,
      env,
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function optionValue(value: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new DatabaseError('invalid', 'The database password must not contain line breaks.');
  }
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface RunSpec {
  binary: string;
  args: string[];
  env: Record<string, string>;
  /** Text, bytes or a stream for stdin; default: closed. */
  stdin?: string | Buffer | Readable;
  /** A file descriptor stdout is written to directly; default: collected. */
  stdoutFd?: number;
  /** How collected stdout is decoded: `latin1` keeps every byte as one character. */
  encoding?: 'utf8' | 'latin1';
  signal?: AbortSignal;
}

export interface RunResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  canceled: boolean;
}

const KILL_GRACE_MS = 2000;
const STDERR_KEEP = 64 * 1024;
// The kernel kills the client if this service dies, so no dump keeps a transaction open forever.
const SETPRIV = existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : undefined;

export function runProgram(spec: RunSpec): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (spec.signal?.aborted) {
      resolve({ exitCode: null, stdout: '', stderr: '', canceled: true });
      return;
    }
    const command = SETPRIV ?? spec.binary;
    const args = SETPRIV
      ? ['--pdeathsig', 'KILL', '--', spec.binary, ...spec.args]
      : [...spec.args];
    const child = spawn(command, args, {
      env: spec.env,
      detached: true,
      stdio: ['pipe', spec.stdoutFd ?? 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let canceled = false;
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout?.setEncoding(spec.encoding ?? 'utf8');
    child.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > STDERR_KEEP * 2) stderr = stderr.slice(-STDERR_KEEP);
    });
    const stdin = child.stdin!;
    // The client may exit before reading everything (an SQL error): not our error.
    stdin.on('error', () => undefined);
    if (spec.stdin === undefined) stdin.end();
    else if (typeof spec.stdin === 'string' || Buffer.isBuffer(spec.stdin)) stdin.end(spec.stdin);
    else {
      const source = spec.stdin;
      source.on('error', (error) => {
        stderr += `\nhostvault: ${error.message}`;
        signalGroup(child.pid, 'SIGKILL');
      });
      source.pipe(stdin);
    }

    const onAbort = (): void => {
      if (canceled || child.exitCode !== null) return;
      canceled = true;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    };
    spec.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (error) => {
      spec.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (exitCode) => {
      if (killTimer) clearTimeout(killTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      if (spec.stdin instanceof Readable) {
        // Ends the producer too (and the file it reads) when the client stopped early.
        spec.stdin.unpipe(stdin);
        spec.stdin.destroy();
      }
      resolve({ exitCode, stdout, stderr, canceled });
    });
  });
}

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

/** Options for every `mariadb` run: no client commands, no local files, comments kept. */
export const CLIENT_SAFETY_ARGS = [
  '--batch',
  '--binary-mode',
  '--sandbox',
  '--local-infile=0',
  '--comments',
  '--no-auto-rehash',
  '--default-character-set=utf8mb4',
];

/**
 * One SQL script run by the administrative account; returns rows of its last result sets.
 * With `bytes`, the script and the rows are byte strings (one character per byte, as latin1),
 * for definitions whose bytes are in a character set of their own.
 */
export async function runSql(
  connection: MariaDbConnection,
  sql: string,
  options: { database?: string; signal?: AbortSignal; account?: Account; bytes?: boolean } = {},
): Promise<string[][]> {
  const session = await openSession(connection, options.account);
  try {
    const args = [...session.args, ...CLIENT_SAFETY_ARGS, '--skip-column-names'];
    if (options.database) args.push(`--database=${options.database}`);
    const result = await runProgram({
      binary: connection.clientBinary ?? 'mariadb',
      args,
      env: session.env,
      stdin: options.bytes ? Buffer.from(sql, 'latin1') : sql,
      encoding: options.bytes ? 'latin1' : 'utf8',
      signal: options.signal,
    });
    if (result.canceled) throw new DatabaseError('canceled', 'The operation was canceled.');
    if (result.exitCode !== 0) {
      const message = serverMessage(result.stderr);
      throw new DatabaseError('server', message, options.database, result.stderr.trim());
    }
    return parseBatch(result.stdout);
  } finally {
    await session.dispose();
  }
}

/** Rows of `mariadb --batch` output, with its escapes undone. */
export function parseBatch(text: string): string[][] {
  if (text === '') return [];
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return lines.map((line) =>
    line
      .split('\t')
      .map((field) =>
        field.replace(/\\(.)/g, (_m, c: string) =>
          c === 'n' ? '\n' : c === 't' ? '\t' : c === '0' ? '\0' : c,
        ),
      ),
  );
}

/**
 * The server's message in plain words from a client's stderr: `ERROR 1049 (42000) at line 3:
 * Unknown database 'x'` gives `Unknown database 'x'`; mariadb-dump's `Got error: 1049: "…" when
 * selecting the database` gives the quoted text.
 */
export function serverMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^-+$/.test(l) && !/^(mariadb(-dump)?|mysql(dump)?): \[?Warning/i.test(l));
  for (const line of [...lines].reverse()) {
    const error = /^ERROR \d+ \([0-9A-Z]+\)(?: at line \d+)?: (.*)$/.exec(line);
    if (error?.[1]) return error[1];
    const got = /Got error: \d+: "(.*)" when (.*)$/.exec(line);
    if (got?.[1]) return got[1];
    const couldnt = /Couldn't execute '.*': (.*?)(?: \(\d+\))?$/.exec(line);
    if (couldnt?.[1]) return couldnt[1];
    const dumpError = /^(?:mariadb-dump|mysqldump): (?:Error: )?(.*)$/.exec(line);
    if (dumpError?.[1]) return dumpError[1].replace(/^Error \d+: /, '');
  }
  return lines.at(-1) ?? 'the database client failed without a message';
}

/** The line number in `ERROR … at line N:` of the client's stderr. */
export function errorLine(stderr: string): number | undefined {
  const m = /^ERROR \d+ \([0-9A-Z]+\) at line (\d+):/m.exec(stderr);
  return m?.[1] ? Number(m[1]) : undefined;
}

export function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;
}

/** A database name as a GRANT pattern: `_` and `%` are wildcards there unless escaped. */
export function grantPattern(database: string): string {
  return quoteIdent(database.replace(/[\\_%]/g, (c) => `\\${c}`));
}

/**
 * One server session kept open across statements (a `mariadb` client fed through stdin), for
 * what must hold a lock or a transaction while other work goes on: the backup's short table
 * lock and its checksum snapshot. The client stops at the first error, which fails every
 * later query; like every client here it dies with this process (pdeathsig), so a crash never
 * leaves a lock held.
 */
export interface Conversation {
  /** The server's id of this session (`CONNECTION_ID()`). */
  readonly id: number;
  /** The server's `VERSION()`. */
  readonly version: string;
  /** Whether its client still runs (it ends at the first SQL error). */
  readonly open: boolean;
  /** Runs statements; returns the rows of all their result sets. */
  query(sql: string): Promise<string[][]>;
  close(): Promise<void>;
}

export async function openConversation(connection: MariaDbConnection): Promise<Conversation> {
  const session = await openSession(connection);
  const command = SETPRIV ?? connection.clientBinary ?? 'mariadb';
  const clientArgs = [
    ...session.args,
    ...CLIENT_SAFETY_ARGS,
    '--skip-column-names',
    '--unbuffered',
  ];
  const child = spawn(
    command,
    SETPRIV
      ? ['--pdeathsig', 'KILL', '--', connection.clientBinary ?? 'mariadb', ...clientArgs]
      : clientArgs,
    { env: session.env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let exited = false;
  let waiting:
    { marker: string; resolve: (rows: string[][]) => void; reject: (e: Error) => void } | undefined;
  const failure = (): DatabaseError =>
    new DatabaseError('server', serverMessage(stderr), undefined, stderr.trim());
  const settle = (): void => {
    if (!waiting) return;
    const end = stdout.indexOf(`${waiting.marker}\n`);
    if (end >= 0) {
      const rows = parseBatch(stdout.slice(0, end));
      stdout = stdout.slice(end + waiting.marker.length + 1);
      const { resolve } = waiting;
      waiting = undefined;
      resolve(rows);
    } else if (exited) {
      const { reject } = waiting;
      waiting = undefined;
      reject(failure());
    }
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    settle();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => {
    child.on('close', () => {
      exited = true;
      settle();
      resolve();
    });
    child.on('error', (error) => {
      stderr += `\n${error.message}`;
      exited = true;
      settle();
      resolve();
    });
  });
  const query = (sql: string): Promise<string[][]> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(failure());
      if (waiting) return reject(new Error('a query of this session is still running'));
      const marker = `hostvault-${randomBytes(8).toString('hex')}`;
      waiting = { marker, resolve, reject };
      child.stdin.write(`${sql}\nSELECT '${marker}';\n`);
    });
  const close = async (): Promise<void> => {
    if (!exited) child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    await closed;
    clearTimeout(timer);
    await session.dispose();
  };
  try {
    const [first] = await query('SELECT CONNECTION_ID(), VERSION();');
    const id = Number(first?.[0]);
    if (!Number.isInteger(id))
      throw new DatabaseError('server', 'The database server gave no session id.');
    return {
      id,
      version: first?.[1] ?? '',
      query,
      close,
      get open() {
        return !exited;
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}
