/**
 * Batched writes: everything queued for a socket during one turn of the event loop goes out in
 * one write, after the turn's I/O (setImmediate). With Nagle off (TCP_NODELAY) a lone message
 * leaves at once — low latency when idle — while a busy server writes each socket once per turn
 * instead of once per message (issue 5: batching when busy).
 */

export interface Flushable {
  flush(): void;
}

export class FlushScheduler {
  #dirty = new Set<Flushable>();
  #scheduled = false;
  readonly #run = () => {
    this.#scheduled = false;
    const dirty = this.#dirty;
    this.#dirty = new Set();
    for (const f of dirty) f.flush();
  };

  mark(f: Flushable): void {
    this.#dirty.add(f);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#run);
    }
  }

  forget(f: Flushable): void {
    this.#dirty.delete(f);
  }
}
