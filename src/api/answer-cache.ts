/**
 * Answers of read-only routes, kept while the store's change stamp stays the same. Every open
 * page polls the History tab and the banner; between two writes each poll would read the same
 * rows and convert them again. Any write anywhere in the store makes a new stamp and empties the
 * cache, so an answer is never older than the state the request saw when it asked.
 */
/** Answers an AnswerCache keeps, with their JSON once a reply has needed it. */
const kept = new WeakMap<object, string | undefined>();

/**
 * The server's reply serializer: JSON.stringify, except that a kept answer is serialized once
 * and the same text sent to every reply that answers with it. Kept answers are never changed.
 */
export function serializeReply(payload: unknown): string {
  if (typeof payload !== 'object' || payload === null || !kept.has(payload))
    return JSON.stringify(payload);
  let text = kept.get(payload);
  if (text === undefined) {
    text = JSON.stringify(payload);
    kept.set(payload, text);
  }
  return text;
}

export class AnswerCache<T> {
  #stamp: string | undefined;
  readonly #answers = new Map<string, Promise<T>>();

  constructor(private readonly maxEntries = 256) {}

  /**
   * The answer for `key` computed under `stamp`, computing it once even for concurrent callers.
   * `stamp` must have been read before calling, so whatever `compute` reads is at least as new.
   */
  get(stamp: string, key: string, compute: () => Promise<T>): Promise<T> {
    if (stamp !== this.#stamp) {
      this.#answers.clear();
      this.#stamp = stamp;
    }
    const cached = this.#answers.get(key);
    if (cached) return cached;
    if (this.#answers.size >= this.maxEntries) {
      const oldest = this.#answers.keys().next();
      if (!oldest.done) this.#answers.delete(oldest.value);
    }
    const answer = compute().then((value) => {
      if (typeof value === 'object' && value !== null) kept.set(value, undefined);
      return value;
    });
    this.#answers.set(key, answer);
    // A failed read is no answer to keep.
    answer.catch(() => {
      if (this.#answers.get(key) === answer) this.#answers.delete(key);
    });
    return answer;
  }
}

/**
 * The change stamp as of a request's start, read once however often the request asks (its
 * principal, then its answer). Undefined when the source has no stamp: nothing is cached then.
 */
export function requestStamps(source: {
  changeStamp?(): Promise<string>;
}): (request: object) => Promise<string> | undefined {
  const stamps = new WeakMap<object, Promise<string>>();
  return (request) => {
    if (!source.changeStamp) return undefined;
    let stamp = stamps.get(request);
    if (!stamp) {
      stamp = source.changeStamp();
      stamps.set(request, stamp);
    }
    return stamp;
  };
}
