import { parseJsonLine } from './lines.js';
import type { BackupSummary } from './types.js';

/**
 * restic's failures, classified into the few kinds a hosting customer can act on. restic 0.14
 * signals most conditions only in stderr text; 0.17 adds exit codes for three of them (10 no
 * repository, 11 locked, 12 wrong password from 0.17.1), so the classification reads the code
 * where the version has one and the text everywhere else.
 */

export type EngineErrorKind =
  | 'locked'
  | 'wrong-password'
  | 'no-repository'
  | 'already-exists'
  | 'bucket-missing'
  | 'unreachable'
  | 'auth-refused'
  | 'no-space'
  | 'partial'
  | 'canceled'
  | 'timeout'
  | 'not-found'
  | 'failed';

const MESSAGES: Record<EngineErrorKind, string> = {
  locked:
    'The backup repository is in use by another operation. Try again in a few minutes; if it stays locked, contact your hosting provider.',
  'wrong-password':
    'The repository key does not match: the backup repository at this target was created with a different key.',
  'no-repository': 'There is no backup repository at this target yet.',
  'already-exists': 'A backup repository already exists at this target.',
  'bucket-missing': 'The storage bucket does not exist. Check the bucket name of the S3 target.',
  unreachable:
    'The backup target could not be reached. Check its address and port, and that the server is running.',
  'auth-refused':
    'The backup target refused the login. Check the user name and password (or access key and secret key).',
  'no-space': 'There is no space left on the backup target.',
  partial: 'The backup was saved, but some files could not be read and are missing from it.',
  canceled: 'The operation was canceled.',
  timeout: 'The backup target stopped answering, so the operation was stopped.',
  'not-found': 'The requested snapshot or file does not exist in the backup repository.',
  failed: 'The backup engine reported an error.',
};

export class EngineError extends Error {
  readonly kind: EngineErrorKind;
  /** restic's own words (cleaned of stack traces and secrets), for the execution log. */
  readonly detail: string;
  readonly exitCode: number | null;

  constructor(
    kind: EngineErrorKind,
    detail = '',
    exitCode: number | null = null,
    message?: string,
  ) {
    super(message ?? MESSAGES[kind]);
    this.name = 'EngineError';
    this.kind = kind;
    this.detail = detail;
    this.exitCode = exitCode;
  }
}

/** Raised for exit code 3: the snapshot exists, but it lacks the files listed. */
export class PartialBackupError extends EngineError {
  constructor(
    /** The snapshot that was saved without the unreadable files. */
    readonly summary: BackupSummary,
    readonly unreadable: string[],
    detail: string,
  ) {
    super(
      'partial',
      detail,
      3,
      `The backup was saved, but ${unreadable.length || 'some'} file${unreadable.length === 1 ? '' : 's'} could not be read and ${unreadable.length === 1 ? 'is' : 'are'} missing from it.`,
    );
    this.name = 'PartialBackupError';
  }
}

interface Rule {
  kind: EngineErrorKind;
  pattern: RegExp;
}

// Order matters: the first rule that matches wins, and specific causes come before the network
// errors that often accompany them.
const RULES: Rule[] = [
  { kind: 'locked', pattern: /repository is already locked|unable to create lock in backend/i },
  { kind: 'wrong-password', pattern: /wrong password or no key found/i },
  {
    kind: 'already-exists',
    pattern: /config file already exists|repository master key and config already initialized/i,
  },
  { kind: 'bucket-missing', pattern: /NoSuchBucket|specified bucket does not exist/i },
  {
    kind: 'auth-refused',
    pattern:
      /SignatureDoesNotMatch|InvalidAccessKeyId|Access Key Id you provided does not exist|AccessDenied|Access Denied|signature we calculated does not match|\b530\b|Login (authentication )?(failed|incorrect)|authentication failed|permission denied \(publickey|401 Unauthorized|403 Forbidden/i,
  },
  {
    kind: 'no-space',
    pattern:
      /no space left on device|ENOSPC|disk quota exceeded|\b552\b|\b452\b|insufficient storage|QuotaExceeded/i,
  },
  {
    kind: 'unreachable',
    pattern:
      /connection refused|no such host|network is unreachable|no route to host|i\/o timeout|TLS handshake timeout|dial tcp|connection reset|couldn't connect|x509: certificate|certificate signed by unknown authority|server misbehaving|context deadline exceeded|EOF$/i,
  },
  {
    kind: 'no-repository',
    pattern:
      /Is there a repository at the following location\?|repository does not exist|unable to open config file|config: no such file/i,
  },
  {
    kind: 'not-found',
    pattern:
      /no matching ID found|snapshot .* not found|invalid id|path .* not found|cannot dump file: path .* not found/i,
  },
];

/**
 * restic 0.17+ run with `--json` prints its errors on stderr as JSON: `error` lines for single
 * files and one `exit_error` with the fatal message. Turned back into the lines restic prints
 * without `--json`, so one set of rules reads every version and the log stays readable.
 */
export function plainLines(stderr: readonly string[]): string[] {
  return stderr.flatMap((line) => {
    if (!line.startsWith('{')) return [line];
    const message = parseJsonLine(line) as Record<string, unknown> | undefined;
    if (message?.message_type === 'exit_error' && typeof message.message === 'string')
      return message.message.trimEnd().split('\n');
    if (message?.message_type === 'error') return [describeErrorMessage(message)];
    return [line];
  });
}

/** One readable line for restic's JSON `error` message (0.14 backup, 0.17+ every command). */
export function describeErrorMessage(m: Record<string, unknown>): string {
  const error = m.error as { message?: string; Op?: string; Err?: number } | string | undefined;
  const text =
    typeof error === 'string'
      ? error
      : (error?.message ??
        (error?.Op ? `${error.Op} failed (errno ${error.Err ?? '?'})` : 'unknown error'));
  return `error: ${String(m.item ?? m.during ?? '')}: ${text}`;
}

/** Keeps restic's message readable: no Go stack traces, no terminal codes, no secrets. */
export function cleanDetail(lines: readonly string[], secrets: readonly string[] = []): string {
  const kept: string[] = [];
  for (const line of plainLines(lines)) {
    if (/^goroutine \d+ |^\t|^panic: |^runtime\.|^main\.|^created by |^\s+\/.*\.go:\d+/.test(line))
      continue;
    kept.push(redact(line, secrets));
  }
  return kept.join('\n').trim();
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 6) out = out.split(secret).join('***');
  }
  return out;
}

const EXIT_KINDS: Partial<Record<number, EngineErrorKind>> = {
  10: 'no-repository',
  11: 'locked',
  12: 'wrong-password',
};

/**
 * Turns a failed run into an EngineError. Where the version has them (`exitCodes`, restic 0.17+),
 * exit codes 10-12 name the cause; otherwise, and for every other code, the stderr text does.
 */
export function classify(
  exitCode: number | null,
  stderr: readonly string[],
  secrets: readonly string[] = [],
  opts: { exitCodes?: boolean } = {},
): EngineError {
  // Classify on restic's own words, then redact: a secret that happens to be a common word must
  // not hide the cause.
  const raw = cleanDetail(stderr);
  const detail = redact(raw, secrets);
  const byCode = opts.exitCodes && exitCode !== null ? EXIT_KINDS[exitCode] : undefined;
  if (byCode) return new EngineError(byCode, detail, exitCode);
  if (exitCode === 130) return new EngineError('canceled', detail, exitCode);
  for (const rule of RULES) {
    if (rule.pattern.test(raw)) {
      if (rule.kind === 'unreachable') {
        return new EngineError(
          'unreachable',
          detail,
          exitCode,
          `${MESSAGES.unreachable}${reason(detail)}`,
        );
      }
      return new EngineError(rule.kind, detail, exitCode);
    }
  }
  const fatal = detail.split('\n').find((l) => l.startsWith('Fatal:'));
  const said = (fatal ?? detail.split('\n').at(-1) ?? '').replace(/^Fatal:\s*/, '').trim();
  const message = said
    ? `${MESSAGES.failed}: ${said}`
    : `${MESSAGES.failed} (exit code ${exitCode ?? 'none'}) without saying why.`;
  return new EngineError('failed', detail, exitCode, message);
}

/** A short, recognisable cause for network failures ("connection refused", "timeout"). */
function reason(detail: string): string {
  const known =
    /(connection refused|no such host|network is unreachable|no route to host|i\/o timeout|connection reset|certificate signed by unknown authority)/i.exec(
      detail,
    );
  return known?.[1] ? ` (${known[1].toLowerCase()})` : '';
}
