/**
 * Connection limits (ROBUSTNESS D23, D24): a global cap, a cap per address (lower for connections
 * that have not chosen a name), and a connect rate per address. Shared by every transport through
 * the Chat, so a browser and a TCP client from one address count together. Pure: no sockets; the
 * address comes from `SessionPort.remote`.
 */
import { type Clock, TokenBucket } from "./flood.ts";

/** See `Limits` in src/server/limits.ts for units and defaults. 0 turns a limit off. */
export interface AdmissionLimits {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  maxUnregisteredPerAddress: number;
  connectBurst: number;
  connectIntervalMs: number;
  /** 1: loopback addresses skip the per-address limits and the connect rate. */
  exemptLoopback: number;
}

/** Why a connection is refused; each is also a `bye` reason. */
export type Refusal = "server_full" | "too_many_connections" | "connect_rate";

/** One admitted connection. */
export interface Ticket {
  readonly key: string;
  /** Not counted per address (loopback, when exempt). */
  readonly exempt: boolean;
  registered: boolean;
  released: boolean;
}

interface Entry {
  total: number;
  unregistered: number;
  rate: TokenBucket | undefined;
}

/** How often idle per-address records are swept (ms). */
const SWEEP_MS = 10_000;

/**
 * The address a peer is counted under, from `IP:PORT` or `[IPv6]:PORT`: IPv4 as is, IPv6 by its
 * /64 (one host usually owns a whole /64, as ergo and InspIRCd assume).
 */
export function addressKey(remote: string): { key: string; loopback: boolean } {
  let host: string;
  if (remote.startsWith("[")) host = remote.slice(1, Math.max(1, remote.indexOf("]")));
  else {
    const colon = remote.lastIndexOf(":");
    host = colon > 0 && remote.indexOf(":") === colon ? remote.slice(0, colon) : remote;
  }
  if (!host.includes(":")) return { key: host, loopback: host.startsWith("127.") };
  const groups = expandIPv6(host);
  if (!groups) return { key: host, loopback: false };
  const loopback = groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1;
  return {
    key: `${groups
      .slice(0, 4)
      .map((g) => g.toString(16))
      .join(":")}::/64`,
    loopback,
  };
}

/** The 8 groups of an IPv6 address, or undefined when it does not parse. */
function expandIPv6(address: string): number[] | undefined {
  const parts = (address.split("%")[0] ?? "").toLowerCase().split("::");
  if (parts.length > 2) return undefined;
  const head = toGroups(parts[0]);
  if (parts.length === 1) return head.length === 8 ? head : undefined;
  const tail = toGroups(parts[1]);
  const fill = 8 - head.length - tail.length;
  return fill >= 0 ? [...head, ...new Array<number>(fill).fill(0), ...tail] : undefined;
}

function toGroups(text: string | undefined): number[] {
  const out: number[] = [];
  if (!text) return out;
  for (const g of text.split(":")) {
    if (g.includes(".")) {
      // An embedded IPv4 address fills two groups.
      const b = g.split(".").map((n) => Number(n) & 0xff);
      out.push(((b[0] ?? 0) << 8) | (b[1] ?? 0), ((b[2] ?? 0) << 8) | (b[3] ?? 0));
    } else out.push(Number.parseInt(g, 16) & 0xffff || 0);
  }
  return out;
}

/** Counts open connections per address and decides whether a new one may come in. */
export class Admission {
  readonly #limits: AdmissionLimits;
  readonly #now: Clock;
  readonly #entries = new Map<string, Entry>();
  #open = 0;
  #lastSweep: number;

  constructor(limits: AdmissionLimits, now: Clock = () => performance.now()) {
    this.#limits = limits;
    this.#now = now;
    this.#lastSweep = now();
  }

  /** Connections admitted and not released. */
  get open(): number {
    return this.#open;
  }

  /** Per-address records held (for tests: churn must not grow it). */
  get tracked(): number {
    return this.#entries.size;
  }

  /** Admits a connection from `remote` (`IP:PORT`), or says why not. */
  admit(remote: string): Ticket | Refusal {
    const l = this.#limits;
    if (l.maxConnections > 0 && this.#open >= l.maxConnections) return "server_full";
    const { key, loopback } = addressKey(remote);
    if (loopback && l.exemptLoopback) {
      this.#open++;
      return { key, exempt: true, registered: false, released: false };
    }
    this.#sweep();
    let entry = this.#entries.get(key);
    if (!entry) {
      const rate =
        l.connectBurst > 0 && l.connectIntervalMs > 0
          ? new TokenBucket(l.connectBurst, l.connectIntervalMs, this.#now)
          : undefined;
      entry = { total: 0, unregistered: 0, rate };
      this.#entries.set(key, entry);
    }
    // Every attempt takes a token, refused or not, so hammering at the cap is slowed down too.
    if (entry.rate && entry.rate.take() > 0) return "connect_rate";
    if (l.maxConnectionsPerAddress > 0 && entry.total >= l.maxConnectionsPerAddress)
      return "too_many_connections";
    if (l.maxUnregisteredPerAddress > 0 && entry.unregistered >= l.maxUnregisteredPerAddress)
      return "too_many_connections";
    entry.total++;
    entry.unregistered++;
    this.#open++;
    return { key, exempt: false, registered: false, released: false };
  }

  /** The connection chose a name: it no longer counts as unregistered. */
  registered(ticket: Ticket): void {
    if (ticket.registered || ticket.released) return;
    ticket.registered = true;
    if (ticket.exempt) return;
    const entry = this.#entries.get(ticket.key);
    if (entry) entry.unregistered--;
  }

  /** The connection is gone. Idempotent. */
  release(ticket: Ticket): void {
    if (ticket.released) return;
    ticket.released = true;
    this.#open--;
    if (ticket.exempt) return;
    const entry = this.#entries.get(ticket.key);
    if (!entry) return;
    entry.total--;
    if (!ticket.registered) entry.unregistered--;
    if (entry.total === 0 && (!entry.rate || entry.rate.full)) this.#entries.delete(ticket.key);
  }

  /** Drops records of addresses with nothing open and a full bucket (D24: churn leaves nothing). */
  #sweep(): void {
    const now = this.#now();
    if (now - this.#lastSweep < SWEEP_MS) return;
    this.#lastSweep = now;
    for (const [key, e] of this.#entries)
      if (e.total === 0 && (!e.rate || e.rate.full)) this.#entries.delete(key);
  }
}
