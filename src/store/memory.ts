/**
 * The in-memory room log (`papo serve --no-store`, and the fallback when SQLite cannot load):
 * the same contract as the SQLite store, gone when the process ends (so each start is a new epoch).
 */
import { randomBytes } from "node:crypto";
import type { Ban, RoomHead, RoomStore } from "../core/ports.ts";
import type { RoomEvent } from "../protocol/events.ts";

interface Log {
  room: string;
  topic?: string;
  head: number;
  /** Stored events, ascending; `events[0].seq` is the oldest kept. */
  events: RoomEvent[];
}

export class MemoryStore implements RoomStore {
  /**
   * Events kept per room: the oldest go as new ones come (in batches of a tenth, so a trim is not
   * paid on every append). Memory is all this store has, so it applies retention itself.
   */
  readonly #keep: number;
  readonly epoch = randomBytes(6).toString("base64url");
  readonly secret = randomBytes(32).toString("base64url");
  readonly #logs = new Map<string, Log>();
  readonly #bans = new Map<string, Ban>();

  constructor({ keep = Number.POSITIVE_INFINITY }: { keep?: number } = {}) {
    this.#keep = Math.max(0, keep);
  }

  #log(key: string, room: string): Log {
    let log = this.#logs.get(key);
    if (!log) {
      log = { room, head: 0, events: [] };
      this.#logs.set(key, log);
    }
    return log;
  }

  append(key: string, events: readonly RoomEvent[]): void {
    for (const e of events) {
      const log = this.#log(key, e.room);
      if (e.seq <= log.head) throw new Error(`store: seq ${e.seq} is not after ${log.head} in ${key}`);
      log.head = e.seq;
      log.events.push(e);
      if (e.type === "topic") log.topic = e.topic;
      if (log.events.length > this.#keep + Math.ceil(this.#keep / 10))
        log.events.splice(0, log.events.length - this.#keep);
    }
  }

  commit(): void {}

  head(key: string): RoomHead | undefined {
    const log = this.#logs.get(key);
    if (!log) return undefined;
    return { room: log.room, seq: log.head, ...(log.topic !== undefined ? { topic: log.topic } : {}) };
  }

  saveRoom(key: string, info: { room: string; topic?: string }): void {
    const log = this.#log(key, info.room);
    if (info.topic !== undefined) log.topic = info.topic;
  }

  recent(key: string, limit: number): RoomEvent[] {
    const events = this.#logs.get(key)?.events ?? [];
    return limit <= 0 ? [] : events.slice(-limit);
  }

  range(key: string, after: number, limit: number): RoomEvent[] {
    const events = this.#logs.get(key)?.events ?? [];
    const from = lowerBound(events, after + 1);
    return events.slice(from, from + Math.max(0, limit));
  }

  before(key: string, before: number, limit: number): RoomEvent[] {
    const events = this.#logs.get(key)?.events ?? [];
    const end = lowerBound(events, before);
    return events.slice(Math.max(0, end - Math.max(0, limit)), end);
  }

  first(key: string): number {
    const log = this.#logs.get(key);
    if (!log) return 1;
    return log.events[0]?.seq ?? log.head + 1;
  }

  prune(keep: number, olderThan: number, batch: number): number {
    let removed = 0;
    for (const log of this.#logs.values()) {
      let n = 0;
      const over = log.events.length - keep;
      while (
        n < log.events.length &&
        removed + n < batch &&
        (n < over || (log.events[n]?.at ?? 0) < olderThan)
      )
        n++;
      if (n > 0) log.events.splice(0, n);
      removed += n;
      if (removed >= batch) break;
    }
    return removed;
  }

  bans(now: number): Ban[] {
    for (const [key, b] of this.#bans) if (b.until !== undefined && b.until <= now) this.#bans.delete(key);
    return [...this.#bans.values()];
  }

  saveBan(ban: Ban): void {
    this.#bans.set(ban.key, { ...ban });
  }

  deleteBan(key: string): boolean {
    return this.#bans.delete(key);
  }

  close(): void {}
}

/** The index of the first event with seq >= `seq` (events ascending by seq). */
function lowerBound(events: readonly RoomEvent[], seq: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((events[mid] as RoomEvent).seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
