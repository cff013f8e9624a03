/**
 * ROBUSTNESS A4, for every line-based transport (text, json, seed framing, IRC): a started line
 * must end within `lineTimeoutMs` of its first byte, so a trickle cannot hold it open. One timer
 * per connection, armed only while a line is unfinished; the callback is static, so a connection
 * holds no closure for it (issue 5: idle memory).
 */

/** What the deadline asks of its connection. */
export interface LineDeadlineOwner {
  /** Closing or gone: nothing to watch any more. */
  readonly lineWatchOver: boolean;
  /** Flood control holds this connection's input: the rest of the line waits unread, not a trickle. */
  readonly inputPaused: boolean;
  /** The line took too long: the owner disconnects (the fragment is never relayed). */
  lineTimedOut(): void;
}

export class LineDeadline {
  readonly #owner: LineDeadlineOwner;
  readonly #limitMs: number;
  /** When the unfinished line started (0: none). */
  #since = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(owner: LineDeadlineOwner, limitMs: number) {
    this.#owner = owner;
    this.#limitMs = limitMs;
  }

  /** After a chunk was decoded: `midLine`, a line is unfinished; `finishedOne`, a line ended in it. */
  track(midLine: boolean, finishedOne: boolean): void {
    if (this.#limitMs <= 0) return;
    if (this.#owner.lineWatchOver || !midLine) {
      this.#since = 0;
      return;
    }
    if (finishedOne || this.#since === 0) this.#since = Date.now();
    this.#timer ??= setTimeout(LineDeadline.#onTimer, this.#limitMs, this).unref();
  }

  /** The unfinished line was taken as a whole (a seed's quiet gap): no line is pending. */
  reset(): void {
    this.#since = 0;
  }

  /** Input resumed after a pause: a line the pause cut in two gets its full time again. */
  restart(): void {
    if (this.#since > 0) this.#since = Date.now();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  static #onTimer(d: LineDeadline): void {
    d.#timer = undefined;
    if (d.#owner.lineWatchOver || d.#since === 0) return;
    if (d.#owner.inputPaused) d.#since = Date.now();
    const age = Date.now() - d.#since;
    if (age < d.#limitMs) {
      d.#timer = setTimeout(LineDeadline.#onTimer, d.#limitMs - age, d).unref();
      return;
    }
    d.#owner.lineTimedOut();
  }
}
