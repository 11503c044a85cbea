/**
 * Runs tasks one at a time per key, in the order they arrive. A task names several keys
 * and waits for the tasks before it on each of them; it joins every queue at once, when
 * `run` is called, so tasks form a chain by arrival order and can never wait on each
 * other in a circle.
 *
 * Sign-in uses it (app/_lib/auth.ts): checking a password takes tens of milliseconds of
 * scrypt, and a burst of parallel guesses would all pass the lock check before the first
 * failure was counted. In line per user name and per address, each guess sees the
 * failures before it, so a burst gets no more guesses than a sequence.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    const before = unique.map((k) => this.tails.get(k));
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    for (const k of unique) this.tails.set(k, done);
    try {
      await Promise.all(before);
      return await task();
    } finally {
      release();
      for (const k of unique) if (this.tails.get(k) === done) this.tails.delete(k);
    }
  }

  /** Keys with a task running or waiting (for tests). */
  get size(): number {
    return this.tails.size;
  }
}
