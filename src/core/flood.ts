/**
 * Flood control (ROBUSTNESS C20, D21, D22; issue 10 item 2): token buckets per connection, and the
 * queue of lines a throttled connection has sent. Pure: the clock is a parameter, so tests can
 * drive time; pausing the socket is the transports' part.
 */

/** A clock in milliseconds (monotonic in production). */
export type Clock = () => number;

const monotonic: Clock = () => performance.now();

/**
 * A token bucket: `burst` tokens at once, then one more every `intervalMs`. Allocation-free, so it
 * can sit on every line's path.
 */
export class TokenBucket {
  readonly burst: number;
  readonly intervalMs: number;
  readonly #now: Clock;
  #tokens: number;
  #stamp: number;

  constructor(burst: number, intervalMs: number, now: Clock = monotonic) {
    this.burst = burst;
    this.intervalMs = intervalMs;
    this.#now = now;
    this.#tokens = burst;
    this.#stamp = now();
  }

  /** 0 when a token is available now, else the milliseconds until one is. */
  peek(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil((1 - this.#tokens) * this.intervalMs);
  }

  /** Takes a token: 0 when granted, else the milliseconds until one is (nothing taken). */
  take(): number {
    const wait = this.peek();
    if (wait === 0) this.#tokens -= 1;
    return wait;
  }

  /**
   * Takes `cost` tokens whether or not they are there (the bucket may go into debt, as GCRA and
   * ergo's "fakelag" do) and returns the milliseconds until that debt is paid: 0 when the tokens
   * were there. Successive calls return non-decreasing waits, so items reserved in order are
   * released in order.
   */
  reserve(cost = 1): number {
    this.#refill();
    this.#tokens -= cost;
    return this.#tokens >= 0 ? 0 : Math.ceil(-this.#tokens * this.intervalMs);
  }

  /** True when the bucket is full again (nothing to remember about its owner). */
  get full(): boolean {
    this.#refill();
    return this.#tokens >= this.burst;
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = now - this.#stamp;
    this.#stamp = now;
    if (elapsed > 0 && this.#tokens < this.burst)
      this.#tokens = Math.min(this.burst, this.#tokens + elapsed / this.intervalMs);
  }
}

/** Flood limits of one connection (see `Limits` in src/server/limits.ts for units and defaults). */
export interface FloodLimits {
  floodBurst: number;
  floodIntervalMs: number;
  /** Bytes of lines read but not yet handled; over it the sender is disconnected (`bye flood`). 0: no cap. */
  floodMaxBacklogBytes: number;
  /** Milliseconds the newest queued line would wait; over it the sender is disconnected. 0: no cap. */
  floodMaxLagMs: number;
  renameBurst: number;
  renameIntervalMs: number;
}

/**
 * The per-connection flood policy (issue 10 item 2): a line bucket, a rename bucket, and the caps
 * on a throttled sender's backlog. Lines are delayed, never dropped: each line reserves a token
 * and waits until the bucket has paid for it; the transport queues it meanwhile and stops reading
 * the connection, so TCP pushes back on the sender. Only a backlog past a cap disconnects.
 */
export class FloodGate {
  readonly #limits: FloodLimits;
  readonly #now: Clock;
  readonly #lines: TokenBucket | undefined;
  /** Made at the first rename: most connections never rename (issue 5: idle memory). */
  #renames: TokenBucket | undefined;

  constructor(limits: FloodLimits, now: Clock = monotonic) {
    this.#limits = limits;
    this.#now = now;
    if (limits.floodBurst > 0 && limits.floodIntervalMs > 0)
      this.#lines = new TokenBucket(limits.floodBurst, limits.floodIntervalMs, now);
  }

  get limits(): Readonly<FloodLimits> {
    return this.#limits;
  }

  /** The clock the gate runs on (a FloodQueue uses the same one). */
  get now(): Clock {
    return this.#now;
  }

  /**
   * Reserves `cost` line tokens (0 for what is free: empty lines, pings) and returns the
   * milliseconds to wait before the line may be handled (0: at once).
   */
  reserve(cost: number): number {
    return this.#lines && cost > 0 ? this.#lines.reserve(cost) : 0;
  }

  /** 0 when a rename may happen now, else the milliseconds to wait. Does not take the token. */
  renameWait(): number {
    return this.#renames ? this.#renames.peek() : 0;
  }

  /** A rename happened: takes its token. */
  renamed(): void {
    const { renameBurst, renameIntervalMs } = this.#limits;
    if (renameBurst <= 0 || renameIntervalMs <= 0) return;
    this.#renames ??= new TokenBucket(renameBurst, renameIntervalMs, this.#now);
    this.#renames.take();
  }
}

/** What happens to one item offered to a FloodQueue. */
export type Offered = "now" | "queued" | "over";

interface Waiting<T> {
  item: T;
  bytes: number;
  due: number;
}

/**
 * The lines one connection has sent and flood control is holding back, in order, each with the
 * time it may go (issue 10 item 2). Pure: the transport feeds it, asks for what is due, and pauses
 * and resumes its socket around it. Made only once a connection is throttled.
 */
export class FloodQueue<T> {
  readonly #gate: FloodGate;
  readonly #items: Waiting<T>[] = [];
  #head = 0;
  #bytes = 0;

  constructor(gate: FloodGate) {
    this.#gate = gate;
  }

  /** Lines waiting. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Bytes waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Milliseconds until the newest waiting line may go (0 when none waits). */
  get lagMs(): number {
    const last = this.#items[this.#items.length - 1];
    return this.length > 0 && last ? Math.max(0, last.due - this.#gate.now()) : 0;
  }

  /** Milliseconds until the oldest waiting line may go: 0 when it may go now, -1 when none waits. */
  get dueInMs(): number {
    const first = this.#items[this.#head];
    return first ? Math.max(0, Math.ceil(first.due - this.#gate.now())) : -1;
  }

  /**
   * One item from the connection, of `bytes` bytes and `cost` tokens. "now": nothing is waiting
   * and a token was there, handle it at once; "queued": it waits its turn; "over": the backlog
   * would pass `floodMaxBacklogBytes` or `floodMaxLagMs`, the sender is to be disconnected.
   */
  offer(item: T, bytes: number, cost: number): Offered {
    const wait = this.#gate.reserve(cost);
    if (wait === 0 && this.length === 0) return "now";
    const { floodMaxBacklogBytes, floodMaxLagMs } = this.#gate.limits;
    if (floodMaxBacklogBytes > 0 && this.#bytes + bytes > floodMaxBacklogBytes) return "over";
    if (floodMaxLagMs > 0 && wait > floodMaxLagMs) return "over";
    // A free item (cost 0) behind paid ones goes no earlier than they do.
    const last = this.#items[this.#items.length - 1];
    const due = Math.max(this.#gate.now() + wait, this.length > 0 && last ? last.due : 0);
    this.#items.push({ item, bytes, due });
    this.#bytes += bytes;
    return "queued";
  }

  /** The oldest waiting item if its time has come (it leaves the queue), else undefined. */
  next(): T | undefined {
    const first = this.#items[this.#head];
    if (!first || first.due > this.#gate.now()) return undefined;
    this.#items[this.#head] = undefined as unknown as Waiting<T>;
    this.#head++;
    this.#bytes -= first.bytes;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    }
    return first.item;
  }

  /** Forgets everything waiting (the connection is gone). */
  clear(): void {
    this.#items.length = 0;
    this.#head = 0;
    this.#bytes = 0;
  }
}
