/**
 * Flood control (ROBUSTNESS C20, D21, D22): token buckets per connection. Pure: the clock is a
 * parameter, so tests can drive time.
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
  floodKickLines: number;
  renameBurst: number;
  renameIntervalMs: number;
}

/** What happens to one line. */
export type FloodVerdict =
  | { kind: "ok" }
  /** Refused; `notify` is true for the first refusal of a burst only (no notice flood back). */
  | { kind: "refused"; retryMs: number; notify: boolean }
  /** A repeat offender: disconnect with `bye flood`. */
  | { kind: "kick" };

const OK: FloodVerdict = { kind: "ok" };
const KICK: FloodVerdict = { kind: "kick" };

/**
 * The per-connection flood policy: a line bucket, a rename bucket, and a leaky count of refused
 * lines that disconnects a sustained flooder.
 */
export class FloodGate {
  readonly #limits: FloodLimits;
  readonly #now: Clock;
  readonly #lines: TokenBucket | undefined;
  /** Made at the first rename: most connections never rename (issue 5: idle memory). */
  #renames: TokenBucket | undefined;
  /** Refused lines not yet forgiven (one forgiven per floodIntervalMs). */
  #excess = 0;
  #excessStamp = 0;
  /** A flood notice was sent and no line has been accepted since. */
  #notified = false;

  constructor(limits: FloodLimits, now: Clock = monotonic) {
    this.#limits = limits;
    this.#now = now;
    if (limits.floodBurst > 0 && limits.floodIntervalMs > 0)
      this.#lines = new TokenBucket(limits.floodBurst, limits.floodIntervalMs, now);
  }

  /** One line from the client. */
  line(): FloodVerdict {
    if (!this.#lines) return OK;
    const wait = this.#lines.take();
    if (wait === 0) {
      this.#notified = false;
      return OK;
    }
    const kick = this.#limits.floodKickLines;
    if (kick > 0) {
      const now = this.#now();
      this.#excess = Math.max(0, this.#excess - (now - this.#excessStamp) / this.#limits.floodIntervalMs) + 1;
      this.#excessStamp = now;
      if (this.#excess > kick) return KICK;
    }
    const notify = !this.#notified;
    this.#notified = true;
    return { kind: "refused", retryMs: wait, notify };
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
