/**
 * Dead peers in a busy room (issue 9 item 2, ROBUSTNESS E28).
 *
 * A peer that vanishes without a FIN or RST (a pulled cable, a laptop lid, a dropped Wi-Fi) is
 * found by TCP keepalive only while the connection is idle: the kernel sends no keepalive probe
 * while it has unacknowledged data for the peer, and retransmits instead until it gives up
 * (`tcp_retries2`, about 15 minutes). In a room where anyone talks there is always data, so a
 * vanished `nc` user kept their name for a quarter of an hour. Text mode cannot be pinged (an
 * `nc` user would see the pings).
 *
 * What would be ideal is the kernel's TCP_USER_TIMEOUT, but Node has no setsockopt. The npm
 * packages that add it were judged and not taken: `net-keepalive` does it through `ffi-rs`, a
 * general foreign-function interface with prebuilt native binaries per platform (the power to
 * call any C function, for one socket option); `sockopt` is a small native addon built at install
 * time (node-gyp) with a few hundred users. Either puts native code on the path of every
 * connection of a server that has none, and both are Linux-only in effect anyway.
 * (papo has since got a native helper of its own, direct-write.ts, but it is optional: without a
 * compiler at install time there is none, and this watch must work then too.)
 *
 * So a stall timer instead, with two views of "our bytes are not getting through":
 *
 * - The kernel's (Linux): one read of /proc/net/tcp and /proc/net/tcp6 per sweep, for all
 *   connections at once (a read per socket would cost a syscall per connection per sweep). A row
 *   whose retransmission timer has expired at least once since the peer last acknowledged new
 *   data (`retrnsmt` > 0), or whose zero-window probes go unanswered, is not acknowledging. That
 *   is the pulled cable: the kernel has bytes in flight and hears nothing back. A live peer on a
 *   lossy link recovers within a retransmission or two and resets the count.
 * - Node's (everywhere): bytes queued in Node (the kernel's send buffer is full) and not one more
 *   byte taken by the kernel during a whole sweep. Node's `writableLength` stays 0 while the
 *   kernel's buffer absorbs writes (megabytes on a fast link), so this view alone sees a dead peer
 *   only after a lot of traffic; it also catches a peer that acknowledges but has stopped reading
 *   entirely (a hung client, a relay that stopped forwarding).
 *
 * A connection stalled in either view at every sweep for `timeoutMs` is dead: its owner cuts it
 * (with a reset: nothing more can be delivered) and the name is free. Sweeps run every
 * `timeoutMs / 6` (0.2 s to 10 s); the stall is counted from the sweep before the one that first
 * saw it, so a peer is dropped between 5/6 of `timeoutMs` and `timeoutMs` after its bytes stopped
 * being acknowledged, plus its first retransmission timeout (0.2 s to a few seconds). The table
 * is only read while some connection was written to since the last sweep or still had bytes
 * unacknowledged at it, so a quiet server reads nothing. Quiet connections are keepalive's job.
 */
import { readFile } from "node:fs/promises";
import type net from "node:net";
import { endianness } from "node:os";
import { connectionKey, normalizeIp, parseProcNetTcp, TCP_TIMER, type TcpRow } from "./proc-net-tcp.ts";

/**
 * Which view found the peer dead: the kernel retransmitting unacknowledged bytes
 * (`unacknowledged`), or Node's queue not moving (`not_reading`).
 */
export type DeadPeerView = "unacknowledged" | "not_reading";

/** What a dead connection's owner does (cut it); called once, from a sweep. */
export interface DeadPeerOwner {
  onDeadPeer(view: DeadPeerView): void;
  /** Bytes sent straight to the socket's descriptor (direct-write.ts), which Node does not count. */
  readonly directBytes?: number;
}

/** The socket fields the watch reads (a net.Socket, or a stand-in in tests). */
export type WatchedSocket = Pick<
  net.Socket,
  "bytesWritten" | "writableLength" | "destroyed" | "localPort" | "remoteAddress" | "remotePort"
>;

export interface DeadPeerOptions {
  /** Milliseconds a connection may go without its bytes getting through (`deadPeerTimeoutMs`). */
  timeoutMs: number;
  /**
   * Reads the kernel's TCP tables (the text of /proc/net/tcp and tcp6); undefined when there are
   * none. Default: the Linux files. `null`: never read them (Node's view only).
   */
  readTables?: (() => Promise<string[] | undefined>) | null;
  /** The clock, in milliseconds (tests pass their own). */
  now?: () => number;
  /** Whether sweeps run on a timer (tests call `sweep()` themselves). Default true. */
  timer?: boolean;
}

interface Watched {
  readonly socket: WatchedSocket;
  readonly owner: DeadPeerOwner;
  /** Bytes the kernel had taken at the last sweep. */
  taken: number;
  /** The last table read showed bytes unacknowledged: read it again next sweep. */
  unacked: boolean;
  /** When the stall began (the sweep before the first one that saw it), 0 when not stalled. */
  since: number;
}

/** The sweep interval for a timeout: a sixth of it, between 0.2 s and 10 s. */
export function sweepInterval(timeoutMs: number): number {
  return Math.min(10_000, Math.max(200, Math.floor(timeoutMs / 6)));
}

/** True when the kernel's row says the peer is not acknowledging what it was sent. */
export function notAcknowledging(row: TcpRow): boolean {
  if (row.timer === TCP_TIMER.RETRANSMIT) return row.retransmits > 0;
  if (row.timer === TCP_TIMER.PROBE0) return row.probes > 0;
  return false;
}

export class DeadPeerWatch {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly #readTables: (() => Promise<string[] | undefined>) | null;
  readonly #now: () => number;
  readonly #useTimer: boolean;
  readonly #watched = new Map<WatchedSocket, Watched>();
  readonly #littleEndian = endianness() === "LE";
  #timer: NodeJS.Timeout | undefined;
  #sweeping = false;
  #lastSweep = 0;
  /** Table reads done (for tests and the bench). */
  reads = 0;

  constructor(opts: DeadPeerOptions) {
    this.timeoutMs = opts.timeoutMs;
    this.intervalMs = sweepInterval(opts.timeoutMs);
    this.#readTables = opts.readTables === undefined ? readLinuxTables : opts.readTables;
    this.#now = opts.now ?? Date.now;
    this.#useTimer = opts.timer ?? true;
  }

  get size(): number {
    return this.#watched.size;
  }

  /** Watches `socket` until `remove(socket)` or until it is found dead (then `owner.onDeadPeer()`). */
  add(socket: WatchedSocket, owner: DeadPeerOwner): void {
    const w: Watched = { socket, owner, taken: 0, unacked: false, since: 0 };
    w.taken = taken(w);
    this.#watched.set(socket, w);
    if (this.#useTimer && !this.#timer) {
      this.#lastSweep = this.#now();
      this.#timer = setInterval(runSweep, this.intervalMs, this).unref();
    }
  }

  remove(socket: WatchedSocket): void {
    this.#watched.delete(socket);
    if (this.#watched.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** One sweep: finds connections stalled for `timeoutMs` and tells their owners. */
  async sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      const before = this.#lastSweep || this.#now();
      let needTable = false;
      // Node's view first: did the kernel take any of our bytes since the last sweep?
      const moved = new Set<Watched>();
      for (const w of this.#watched.values()) {
        const now = taken(w);
        if (now !== w.taken) moved.add(w);
        w.taken = now;
        if (moved.has(w) || w.unacked) needTable = true;
      }
      let rows: Map<string, TcpRow> | undefined;
      if (needTable && this.#readTables) rows = await this.#table();
      const now = this.#now();
      this.#lastSweep = now;
      for (const w of [...this.#watched.values()]) {
        const s = w.socket;
        if (s.destroyed) continue;
        let view: DeadPeerView | undefined =
          s.writableLength > 0 && !moved.has(w) ? "not_reading" : undefined;
        if (rows) {
          const row = rows.get(keyOf(s));
          w.unacked = row !== undefined && row.txQueue > 0;
          if (row && notAcknowledging(row)) view = "unacknowledged";
        }
        if (view === undefined) {
          w.since = 0;
          continue;
        }
        if (w.since === 0) w.since = before;
        if (now - w.since >= this.timeoutMs) {
          this.remove(s);
          w.owner.onDeadPeer(view);
        }
      }
    } finally {
      this.#sweeping = false;
    }
  }

  async #table(): Promise<Map<string, TcpRow> | undefined> {
    const texts = await (this.#readTables as () => Promise<string[] | undefined>)().catch(() => undefined);
    if (!texts) return undefined;
    this.reads++;
    const rows = new Map<string, TcpRow>();
    // Only rows of our listeners' ports with bytes in flight: the table lists every socket on
    // the machine, and a row with nothing unacknowledged is neither stalled nor worth a look.
    const localPorts = new Set<number>();
    for (const w of this.#watched.values()) localPorts.add(w.socket.localPort ?? 0);
    for (const text of texts)
      for (const row of parseProcNetTcp(text, this.#littleEndian, { localPorts, unacknowledged: true }))
        rows.set(connectionKey(row.localPort, row.remote, row.remotePort), row);
    return rows;
  }
}

function runSweep(watch: DeadPeerWatch): void {
  void watch.sweep();
}

/** Bytes of ours the kernel has taken: written, less what still waits in Node. */
function taken(w: Watched): number {
  // Bytes sent straight to the descriptor (direct-write.ts) are not in Node's count.
  return (w.socket.bytesWritten ?? 0) + (w.owner.directBytes ?? 0) - w.socket.writableLength;
}

function keyOf(s: WatchedSocket): string {
  return connectionKey(s.localPort ?? 0, normalizeIp(s.remoteAddress) ?? "", s.remotePort ?? 0);
}

/** /proc/net/tcp and tcp6 (Linux); undefined where neither exists. */
async function readLinuxTables(): Promise<string[] | undefined> {
  if (process.platform !== "linux") return undefined;
  const texts = await Promise.all(
    ["/proc/net/tcp", "/proc/net/tcp6"].map((f) => readFile(f, "latin1").catch(() => undefined)),
  );
  const found = texts.filter((t): t is string => t !== undefined);
  return found.length ? found : undefined;
}
