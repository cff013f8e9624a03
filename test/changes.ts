/** Lets a test client wait until something changes (data arrived, the connection closed). */
export class Changes {
  #waiters: Array<() => void> = [];

  /** Wakes everyone waiting. */
  notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves at the next change, or after `ms` if none comes. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
