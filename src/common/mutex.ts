/** A FIFO mutex: one holder at a time, waiters served in arrival order. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private entered = 0;

  /** Callers holding or waiting for the mutex (metrics: busy when > 0, waiting = size - 1). */
  get size(): number {
    return this.entered;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.entered += 1;
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      this.entered -= 1;
      release();
    }
  }
}
