/**
 * One queue per key: work on one repository runs one at a time, in the order it asked, so the
 * service's own jobs never meet restic's "repository is already locked".
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Whether some work on `key` is running or waiting. */
  isBusy(key: string): boolean {
    return this.tails.has(key);
  }

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      // The last one out removes the key, so the map does not grow with every repository ever used.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
