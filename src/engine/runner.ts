/**
 * The one place that turns an engine call into a restic command line: global flags, a clean
 * environment, secrets on pipes, classification of failures, and stale-lock cleanup after a
 * forced stop.
 */
import type { Writable } from 'node:stream';
import { EngineError, classify, cleanDetail, plainLines, redact } from './errors.js';
import { parseJsonLine } from './lines.js';
import { runProcess, type IoCounters, type SpawnResult } from './process.js';
import { RetryWatch, retryCause } from './retries.js';
import type { OperationOptions, RepositoryLocation } from './types.js';
import type { ResticFeatures, ResticVersion } from './version.js';

export interface EngineConfig {
  binary: string;
  version: ResticVersion;
  features: ResticFeatures;
  /** The host name written into every snapshot, so parent lookup and retention stay stable. */
  host: string;
  /** restic's local cache (index and tree blobs); speeds up every operation on remote targets. */
  cacheDir?: string;
  /** Default limits, overridable per call. */
  timeoutMs: number;
  stallMs: number;
}

export interface Invocation extends OperationOptions {
  onJson?: (message: unknown) => void;
  stdout?: Writable;
  /** Receives stdout lines that are not JSON messages (plain output, multi-line JSON). */
  onStdout?: (line: string) => void;
  /** Another secret the command line mentions by file; redacted from output like the password. */
  secondPassword?: string;
  /** Commands that take no lock need no unlock after a forced stop. */
  locks?: boolean;
  /** restic sees `source` at `target`, in a mount namespace of its own (see backup's bindAt). */
  bindMount?: { source: string; target: string };
  /** restic's read and written bytes so far, about once a second (see SpawnSpec.onIo). */
  onIo?: (io: IoCounters) => void;
}

// A private mount namespace: the bind mount exists for this one restic process and vanishes
// with it, unseen by the customer and the rest of the machine. `exec` keeps restic's process id
// the one that was spawned, so cancel and the parent-death signal reach restic itself.
const BIND_SCRIPT = 'mount --bind -- "$1" "$2" && shift 2 && exec "$@"';

function bound(
  binary: string,
  args: string[],
  bind: Invocation['bindMount'],
): { binary: string; args: string[] } {
  if (!bind) return { binary, args };
  return {
    binary: 'unshare',
    args: [
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      BIND_SCRIPT,
      'sh',
      bind.source,
      bind.target,
      binary,
      ...args,
    ],
  };
}

// Only what restic needs from our environment; anything else (RESTIC_PASSWORD, AWS_* of the
// operator's shell) must not leak into a customer's repository access.
const RCLONE_VAGUE = /error talking HTTP to rclone|rclone: .*(context canceled|unexpected EOF)/;

const PASSWORD_NOTICE = /^reading repository password from stdin$/;

const PASSED_ENV = ['PATH', 'HOME', 'TMPDIR', 'TZ'];

export class Runner {
  constructor(readonly config: EngineConfig) {}

  globalArgs(repo: RepositoryLocation): string[] {
    // A URL with a credential in it stays in the environment (see RepositoryLocation.url).
    const args = repo.env?.RESTIC_REPOSITORY ? [] : ['--repo', repo.url];
    if (repo.caCertFile) args.push('--cacert', repo.caCertFile);
    if (this.config.cacheDir) args.push('--cache-dir', this.config.cacheDir);
    for (const [key, value] of Object.entries(repo.options ?? {}))
      args.push('-o', `${key}=${value}`);
    return args;
  }

  env(repo: RepositoryLocation): Record<string, string> {
    const env: Record<string, string> = { LANG: 'C.UTF-8' };
    for (const name of PASSED_ENV) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
    // Status lines a few times a second are plenty for a progress bar; restic's default of 60
    // per second costs parsing for nothing.
    env.RESTIC_PROGRESS_FPS = '4';
    return { ...env, ...repo.env };
  }

  secrets(repo: RepositoryLocation, extra?: string): string[] {
    const list = [
      repo.password,
      ...Object.entries(repo.env ?? {})
        .filter(([k]) => isSecretName(k))
        .map(([, v]) => v),
    ];
    list.push(...(repo.secrets ?? []));
    if (extra) list.push(extra);
    return list;
  }

  /** Runs restic and throws an EngineError unless it exits 0 (or 3 when `allowPartial`). */
  async exec(
    repo: RepositoryLocation,
    command: string[],
    call: Invocation,
    allowExit: readonly number[] = [0],
  ): Promise<SpawnResult> {
    const secrets = this.secrets(repo, call.secondPassword);
    const retries = new RetryWatch();
    const givingUp = new AbortController();
    let hopeless: string | undefined;
    const result = await runProcess({
      ...bound(this.config.binary, [...this.globalArgs(repo), ...command], call.bindMount),
      env: this.env(repo),
      password: repo.password,
      stdout: call.stdout,
      signal: call.signal ? AbortSignal.any([call.signal, givingUp.signal]) : givingUp.signal,
      timeoutMs: call.timeoutMs ?? this.config.timeoutMs,
      stallMs: call.stallMs ?? this.config.stallMs,
      onJson: call.onJson,
      onIo: call.onIo,
      onText: (line, stream) => {
        // restic 0.14 announces the password source on stdout, in the middle of its output.
        if (PASSWORD_NOTICE.test(line)) return;
        if (stream === 'stderr' && !hopeless) {
          hopeless = retries.hopeless(line);
          if (hopeless) givingUp.abort();
        }
        if (stream === 'stdout' && call.onStdout) return call.onStdout(line);
        if (stream === 'stderr' && line.startsWith('{')) {
          // Errors as JSON on stderr (0.14 backup, 0.17+ every --json command): a file's error
          // goes to the command like its other messages, the fatal one to the log as text.
          const message = parseJsonLine(line) as Record<string, unknown> | undefined;
          if (message?.message_type === 'error' && call.onJson) return call.onJson(message);
          if (message?.message_type === 'exit_error') {
            for (const text of plainLines([line])) call.onLog?.(redact(text, secrets));
            return;
          }
        }
        call.onLog?.(redact(line, secrets));
      },
    });
    // restic retrying what retries cannot fix, or never getting the repository open: the cause
    // of its retries is the error (restic 0.14 would have failed with it at once).
    if (!call.signal?.aborted) {
      const stalled = result.stopped === 'stall' || result.stopped === 'timeout';
      const cause = hopeless ?? (stalled ? retries.opening : undefined);
      const error = cause && fromRetry(cause, result, secrets);
      if (error && (hopeless || error.kind !== 'failed')) {
        if (result.forced && call.locks !== false) await this.removeStaleLocks(repo);
        throw error;
      }
    }
    if (result.stopped) {
      if (result.forced && call.locks !== false) await this.removeStaleLocks(repo);
      const limit =
        result.stopped === 'timeout'
          ? (call.timeoutMs ?? this.config.timeoutMs)
          : (call.stallMs ?? this.config.stallMs);
      if (result.stopped === 'canceled')
        throw new EngineError('canceled', cleanTail(result, secrets), result.exitCode);
      throw new EngineError(
        'timeout',
        cleanTail(result, secrets),
        result.exitCode,
        result.stopped === 'stall'
          ? `The backup target stopped answering: nothing happened for ${Math.round(limit / 1000)} s, so the operation was stopped.`
          : `The operation did not finish within ${Math.round(limit / 1000)} s and was stopped.`,
      );
    }
    if (result.exitCode !== null && allowExit.includes(result.exitCode)) return result;
    const error = classify(result.exitCode, result.stderr, secrets, this.config.features);
    if (
      error.kind === 'failed' &&
      repo.url.startsWith('rclone:') &&
      RCLONE_VAGUE.test(error.detail)
    ) {
      // restic sometimes ends rclone before rclone has said why it failed ("context canceled"):
      // ask rclone itself, so a wrong FTP password still reads as a refused login.
      const diagnosis = await this.diagnoseRclone(repo);
      if (diagnosis.length) {
        const better = classify(
          result.exitCode,
          [...diagnosis, ...result.stderr],
          secrets,
          this.config.features,
        );
        if (better.kind !== 'failed') throw better;
      }
    }
    throw error;
  }

  /** rclone's own stderr from listing the remote's root, with the same environment as restic's. */
  private async diagnoseRclone(repo: RepositoryLocation): Promise<string[]> {
    const remote = /^rclone:([^:]+:)/.exec(repo.url)?.[1];
    if (!remote) return [];
    const result = await runProcess({
      binary: 'rclone',
      args: ['lsd', remote],
      env: this.env(repo),
      timeoutMs: 20_000,
      stallMs: 20_000,
    }).catch(() => undefined);
    return result && result.exitCode !== 0 ? result.stderr : [];
  }

  /**
   * A restic killed with SIGKILL leaves its lock; `unlock` removes locks whose process is gone
   * on this host, and never one that a live process holds.
   */
  async removeStaleLocks(repo: RepositoryLocation): Promise<void> {
    await runProcess({
      binary: this.config.binary,
      args: [...this.globalArgs(repo), 'unlock'],
      env: this.env(repo),
      password: repo.password,
      // Short: after a stall the target is likely still dead, and a lock left now is removed by
      // the next run on this repository.
      timeoutMs: 20_000,
      stallMs: 10_000,
    }).catch(() => undefined);
  }
}

function cleanTail(result: SpawnResult, secrets: string[]): string {
  return redact(cleanDetail(result.stderr.slice(-20)), secrets);
}

/** The error restic would have ended with had it not retried `line`'s cause. */
function fromRetry(line: string, result: SpawnResult, secrets: string[]): EngineError {
  const byCause = classify(null, [retryCause(line)], secrets);
  return new EngineError(
    byCause.kind,
    cleanTail(result, secrets),
    result.exitCode,
    byCause.message,
  );
}

function isSecretName(name: string): boolean {
  return /SECRET|PASS|TOKEN|KEY/i.test(name) && !/KEY_ID$/i.test(name);
}
