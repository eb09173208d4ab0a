/**
 * When to stop waiting for restic's retries. restic 0.17+ retries every failed backend request for
 * up to 15 minutes, and 0.18 also the opening of the repository, where 0.14 gave up at once: a
 * wrong S3 key or a missing bucket would then hold a job for 15 minutes and end as "stopped
 * answering". Retries cannot fix a refused login, a missing bucket, a full disk or an untrusted
 * certificate, so those end the run at the first retry line; a target that cannot be reached while
 * the repository is being opened gets a short grace, and a server lost in the middle of a run is
 * left to restic's retries and the stall watchdog, as with 0.14.
 */
import { classify, type EngineErrorKind } from './errors.js';

const RETRY = /^(\w+)\(([^)]*)\) returned error, retrying after [^:]+: (.*)$/;
/**
 * A request restic gave up on without a retry line (0.18's `Save(<data/…>) failed: … no space
 * left on device`), after which it can wait on its other uploads until the stall watchdog: its
 * cause ends the run as a retry line's would.
 */
const FAILED = /^(\w+)\(([^)]*)\) failed: (.*)$/;
const PERMANENT: ReadonlySet<EngineErrorKind> = new Set([
  'auth-refused',
  'bucket-missing',
  'no-space',
]);
const UNTRUSTED = /x509: |certificate signed by unknown authority/;
/** The repository's config and keys: what restic reads to open it, before any real work. */
const OPENING = /^<(config|keys)\/|^keys$/;
/** How long the opening may be retried before the target counts as unreachable. */
export const OPENING_GRACE_MS = 10_000;

export class RetryWatch {
  /** The last retry line of the repository's opening, while nothing else has been retried. */
  opening: string | undefined;
  private openingSince: number | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The retry line that shows further retries are pointless, or undefined to keep waiting. */
  hopeless(line: string): string | undefined {
    const match = RETRY.exec(line) ?? FAILED.exec(line);
    if (!match) return undefined;
    const [, , file = '', cause = ''] = match;
    const kind = classify(null, [cause]).kind;
    if (PERMANENT.has(kind) || UNTRUSTED.test(cause)) return line;
    if (!OPENING.test(file)) {
      // The repository is open: a target lost from here on is the stall watchdog's to judge.
      this.opening = undefined;
      return undefined;
    }
    this.opening = line;
    this.openingSince ??= this.now();
    return this.now() - this.openingSince >= OPENING_GRACE_MS ? line : undefined;
  }
}

/** The cause restic gave for a retry, as restic would have printed it failing at once. */
export function retryCause(line: string): string {
  return (RETRY.exec(line) ?? FAILED.exec(line))?.[3] ?? line;
}
