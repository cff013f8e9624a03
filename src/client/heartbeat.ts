/**
 * Notices a dead link (issue 10 item 3, ROBUSTNESS E28 from the client's side). A link that died
 * without a FIN (a cable pulled, a NAT that forgot us, a laptop that slept) sends nothing, and
 * an idle client writes nothing, so neither side learns of it; the kernel's keepalive takes hours.
 * So: after `idleMs` without a byte from the server, `ping()` (a json `ping`, which the server
 * answers with `pong`); if nothing at all arrives within `timeoutMs` of it, `dead()`. A dead link
 * is noticed within `idleMs + timeoutMs` of the last byte, and a busy link costs no pings.
 */
export interface HeartbeatOptions {
  idleMs: number;
  timeoutMs: number;
  ping(): void;
  /** Called once; `silentMs` is how long the server has said nothing. */
  dead(silentMs: number): void;
}

export class Heartbeat {
  readonly #opts: HeartbeatOptions;
  #last = Date.now();
  #pingSentAt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: HeartbeatOptions) {
    this.#opts = opts;
    this.#arm(opts.idleMs);
  }

  /** Bytes came from the server: the link is alive. */
  received(): void {
    this.#last = Date.now();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#tick(), Math.max(1, ms));
  }

  #tick(): void {
    const now = Date.now();
    const { idleMs, timeoutMs } = this.#opts;
    if (this.#pingSentAt > 0 && this.#last < this.#pingSentAt) {
      const waited = now - this.#pingSentAt;
      if (waited < timeoutMs) return this.#arm(timeoutMs - waited);
      this.#timer = undefined;
      this.#opts.dead(now - this.#last);
      return;
    }
    this.#pingSentAt = 0;
    const idle = now - this.#last;
    if (idle < idleMs) return this.#arm(idleMs - idle);
    this.#pingSentAt = now;
    this.#opts.ping();
    this.#arm(timeoutMs);
  }
}
