/**
 * Issue 13 (metrics): plain integer counters the chat keeps where things already happen. No I/O
 * and no allocation when counting: fixed fields, and keyed objects made once with every known
 * reason, touched only on rare paths (a refusal, a disconnection). The server reads them for
 * `GET /metrics` and the console's `/stats` (src/server/metrics.ts); figures that are state (users,
 * rooms, open connections, send queues) are not counted at all but read from the chat then.
 */
import type { ByeReason, LeaveReason } from "../protocol/events.ts";

/**
 * What a connection is, as the metrics label it: `pending` until its first bytes say which mode
 * (TCP), `seed` for seed 000's 64-byte-header framing and the `--nick-port` listener.
 */
export type TransportName = "pending" | "text" | "json" | "seed" | "websocket" | "irc";

export const TRANSPORT_NAMES: readonly TransportName[] = [
  "pending",
  "text",
  "json",
  "seed",
  "websocket",
  "irc",
];

/**
 * What was refused: a connection (admission limits, at any stage), a password, a name, or a line
 * held back by flood control (counted once per episode: the sender's `throttled`; a rename refused
 * for flood counts too).
 */
export const REFUSAL_REASONS = [
  "server_full",
  "too_many_connections",
  "connect_rate",
  "bad_password",
  "name_taken",
  "name_invalid",
  "flood",
  /** Issue 13: a banned address (at accept time) or name (when chosen). */
  "banned",
] as const;

export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * Why connections ended: the `bye` reason when the server closed them; `disconnected` when the
 * peer went (closed, reset, dead); `error` when writing to it failed.
 */
export const DISCONNECT_REASONS = [
  "quit",
  "kicked",
  "shutdown",
  "line_overflow",
  "bad_frame",
  "registration_timeout",
  "send_queue_exceeded",
  "flood",
  "ping_timeout",
  "idle_line_timeout",
  "server_full",
  "too_many_connections",
  "connect_rate",
  "bad_password",
  "replaced",
  "banned",
  "disconnected",
  "error",
] as const satisfies readonly (ByeReason | LeaveReason)[];

/**
 * Upper bounds of the store commit histogram's buckets, in milliseconds (rendered in seconds):
 * from a tenth of a millisecond (a WAL append of a few rows) to a second (a stalled disk).
 */
export const COMMIT_BUCKETS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000] as const;

/** A histogram with fixed buckets: observing is a short scan and two adds, no allocation. */
export class Histogram {
  readonly bounds: readonly number[];
  /** Observations per bucket (not cumulative); the last one is above every bound (+Inf). */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = 0;
  return out;
}

export class ChatCounters {
  /** Connections the chat opened a session for (every transport, refused ones too). */
  connectionsOpened = 0;
  /** Public messages and `/me` actions posted by this node's users (duplicates by cid excluded). */
  publicMessages = 0;
  actions = 0;
  /** Private messages sent by this node's users. */
  privateMessages = 0;
  /** Events handed to connections by fan-out: room events, private messages, notices. */
  deliveries = 0;
  readonly refusals: Record<string, number> = zeroes(REFUSAL_REASONS);
  readonly disconnections: Record<string, number> = zeroes(DISCONNECT_REASONS);
  /** Store commits that wrote something, in milliseconds. */
  readonly storeCommits = new Histogram(COMMIT_BUCKETS_MS);
  /** Events those commits wrote. */
  storeEvents = 0;
  storeFailures = 0;

  refused(reason: RefusalReason): void {
    this.refusals[reason] = (this.refusals[reason] ?? 0) + 1;
  }

  disconnected(reason: string): void {
    this.disconnections[reason] = (this.disconnections[reason] ?? 0) + 1;
  }
}
