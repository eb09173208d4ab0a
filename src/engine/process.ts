/**
 * Runs one restic process: password through a pipe, output parsed line by line, bounded in time,
 * cancelable, and never leaving a process behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter, parseJsonLine } from './lines.js';

export interface SpawnSpec {
  binary: string;
  args: string[];
  env: Record<string, string>;
  /**
   * Written to restic's stdin, from which restic reads the repository password when no other
   * source is given. Node's child pipes are socket pairs, which restic cannot open as
   * `/dev/fd/N`, so stdin is the one channel that keeps the password out of argv and environment.
   */
  password?: string;
  /** Raw stdout for `dump`; when set, stdout is not parsed as lines. */
  stdout?: Writable;
  signal?: AbortSignal;
  timeoutMs?: number;
  stallMs?: number;
  onJson?: (message: unknown) => void;
  onText?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * restic's own reads and writes so far (rchar and wchar of /proc/<pid>/io, every byte of its
   * read and write calls, pipes included), read once a second by the same tick as the stall
   * watch: one small file, where counting what restic produced would walk what it wrote.
   */
  onIo?: (io: IoCounters) => void;
}

export interface IoCounters {
  read: number;
  written: number;
}

export interface SpawnResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines of stderr, for error classification. */
  stderr: string[];
  stopped?: 'canceled' | 'timeout' | 'stall';
  /** True when restic had to be killed rather than exiting on its own: its lock may remain. */
  forced: boolean;
}

/** Time restic gets after SIGINT to remove its lock and exit before it is killed. */
const GRACE_MS = 3000;
const STDERR_KEEP = 200;
const STALL_TOLERANCE_BYTES = 32 * 1024;
// restic's backend retries re-read the pending pack file before every attempt, so a dead server
// still shows as I/O; an interval with such a retry line does not count as progress.
const BACKEND_RETRY = /returned error, retrying after/;
const RETRY_WINDOW_MS = 3000;

// setpriv makes the kernel send SIGINT to restic if this service dies, so a `kill -9` of the
// service does not leave a restic process running against the repository.
const SETPRIV = existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : undefined;

export function runProcess(spec: SpawnSpec): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const command = SETPRIV ?? spec.binary;
    const args = SETPRIV ? ['--pdeathsig', 'INT', '--', spec.binary, ...spec.args] : spec.args;
    const child = spawn(command, args, {
      env: spec.env,
      // A process group of its own, so rclone started by restic can be found and ended too.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });

    const stderr: string[] = [];
    let stopped: SpawnResult['stopped'];
    let forced = false;
    let killTimer: NodeJS.Timeout | undefined;
    let outputSeen = 0;
    let lastActivity = Date.now();
    let lastIo = -1;
    let lastRetryAt = 0;
    const started = Date.now();

    const stdin = child.stdin!;
    // restic may exit before reading (bad arguments); a broken pipe then is not our error.
    stdin.on('error', () => undefined);
    stdin.end(spec.password !== undefined ? `${spec.password}\n` : undefined);

    const onLine = (stream: 'stdout' | 'stderr') => (line: string) => {
      if (stream === 'stderr') {
        if (BACKEND_RETRY.test(line)) lastRetryAt = Date.now();
        stderr.push(line);
        if (stderr.length > STDERR_KEEP) stderr.shift();
        spec.onText?.(line, stream);
        return;
      }
      const message = spec.onJson ? parseJsonLine(line) : undefined;
      if (message !== undefined) spec.onJson?.(message);
      else spec.onText?.(line, stream);
    };
    const out = new LineSplitter(onLine('stdout'));
    const err = new LineSplitter(onLine('stderr'));
    // Bytes are counted exactly as they arrive, so the stall watchdog can tell restic's own I/O
    // from what it wrote to our pipes.
    const stdout = child.stdout!;
    const stderrPipe = child.stderr!;
    const outText = new StringDecoder('utf8');
    const errText = new StringDecoder('utf8');
    stdout.on('data', (chunk: Buffer) => {
      outputSeen += chunk.length;
      if (!spec.stdout) out.push(outText.write(chunk));
    });
    if (spec.stdout) stdout.pipe(spec.stdout);
    stderrPipe.on('data', (chunk: Buffer) => {
      outputSeen += chunk.length;
      err.push(errText.write(chunk));
    });

    const stop = (why: NonNullable<SpawnResult['stopped']>): void => {
      if (stopped || child.exitCode !== null) return;
      stopped = why;
      // SIGINT to restic alone: it removes its lock through its backend, and for an rclone
      // backend that needs rclone alive, so the group is only killed after the grace period.
      signalPid(child.pid, 'SIGINT');
      killTimer = setTimeout(() => {
        forced = true;
        // restic starts rclone in a process group of its own, so the group kill below misses it;
        // found through /proc before restic dies, it cannot outlive restic as an orphan.
        for (const pid of childrenOf(child.pid)) signalPid(pid, 'SIGKILL');
        signalGroup(child.pid, 'SIGKILL');
      }, GRACE_MS);
    };

    const onAbort = (): void => stop('canceled');
    if (spec.signal?.aborted) onAbort();
    spec.signal?.addEventListener('abort', onAbort, { once: true });

    const watchdog = setInterval(() => {
      void (async () => {
        const now = Date.now();
        if (spec.timeoutMs && now - started > spec.timeoutMs) return stop('timeout');
        if ((!spec.stallMs && !spec.onIo) || child.pid === undefined) return;
        const counters = await readIoCounters(child.pid);
        if (counters) spec.onIo?.(counters);
        if (!spec.stallMs) return;
        const io = counters && counters.read + counters.written;
        // Output lines alone do not count: restic prints status lines on a timer even while it
        // waits forever for a dead server. Its reads and writes beyond our pipes do; a few KiB of
        // tolerance absorbs output written but not yet read when the counter is sampled.
        const activity = io === undefined ? outputSeen : io - outputSeen;
        if (lastIo < 0 || Math.abs(activity - lastIo) > STALL_TOLERANCE_BYTES) {
          lastIo = activity;
          // The retry line follows the re-read within moments; either order is one failed try.
          if (now - lastRetryAt > RETRY_WINDOW_MS) lastActivity = now;
        }
        if (now - lastActivity > spec.stallMs) {
          stop('stall');
        }
      })();
    }, 1000);
    watchdog.unref();

    child.on('error', (error) => {
      clearInterval(watchdog);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearInterval(watchdog);
      if (killTimer) clearTimeout(killTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      out.end();
      err.end();
      // Whatever restic started (rclone) goes with it; a no-op when the group is already gone.
      signalGroup(child.pid, 'SIGKILL');
      resolve({ exitCode, signal, stderr, stopped, forced });
    });
  });
}

/** The process's children, from /proc (every thread's list). */
function childrenOf(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

function signalPid(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

/** Bytes the process read and wrote through any file or socket, from /proc/<pid>/io. */
async function readIoCounters(pid: number): Promise<IoCounters | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/io`, 'utf8');
    const rchar = /rchar:\s*(\d+)/.exec(text)?.[1];
    const wchar = /wchar:\s*(\d+)/.exec(text)?.[1];
    if (rchar === undefined || wchar === undefined) return undefined;
    return { read: Number(rchar), written: Number(wchar) };
  } catch {
    return undefined;
  }
}
