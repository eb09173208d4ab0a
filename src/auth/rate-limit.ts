/**
 * Sign-in rate limiting, in memory: a service restart forgets it, which costs an attacker a
 * restart per few guesses, and the limiter needs no store writes on the hot path.
 *
 * Every attempt counts as a failure the moment it starts and is taken back if it succeeds, so a
 * burst of concurrent guesses cannot all slip past the check while their hashes are computed.
 */
export interface RateLimitOptions {
  /** Failures allowed per key within the window. */
  maxFailures: number;
  windowMs: number;
  now?: () => number;
  /** Keys remembered at most; beyond this the oldest are forgotten. */
  maxKeys?: number;
}

export type Attempt =
  { allowed: true; succeeded(): void } | { allowed: false; retryAfterSeconds: number };

export class RateLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly opts: RateLimitOptions) {
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 100_000;
  }

  /** Starts an attempt for every key; refused if any key has used up its failures. */
  attempt(...keys: string[]): Attempt {
    const now = this.now();
    let retryAt = 0;
    for (const key of keys) {
      const recent = this.recent(key, now);
      if (recent.length >= this.opts.maxFailures) {
        retryAt = Math.max(retryAt, (recent[0] ?? now) + this.opts.windowMs);
      }
    }
    if (retryAt > 0) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((retryAt - now) / 1000)) };
    }
    for (const key of keys) this.record(key, now);
    let settled = false;
    return {
      allowed: true,
      succeeded: () => {
        if (settled) return;
        settled = true;
        for (const key of keys) this.takeBack(key, now);
      },
    };
  }

  /** Forgets a key's failures (a successful sign-in clears its name and address). */
  reset(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    const list = this.failures.get(key);
    if (!list) return [];
    const cutoff = now - this.opts.windowMs;
    while (list.length > 0 && (list[0] ?? 0) <= cutoff) list.shift();
    if (list.length === 0) this.failures.delete(key);
    return list;
  }

  private record(key: string, now: number): void {
    const list = this.failures.get(key);
    if (list) {
      list.push(now);
      return;
    }
    if (this.failures.size >= this.maxKeys) this.evict(now);
    this.failures.set(key, [now]);
  }

  private takeBack(key: string, at: number): void {
    const list = this.failures.get(key);
    if (!list) return;
    const index = list.lastIndexOf(at);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.failures.delete(key);
  }

  private evict(now: number): void {
    for (const key of [...this.failures.keys()]) this.recent(key, now);
    // Still full of live keys (a flood of distinct names): drop the oldest inserted.
    for (const key of this.failures.keys()) {
      if (this.failures.size < this.maxKeys) break;
      this.failures.delete(key);
    }
  }
}
