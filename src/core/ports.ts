/**
 * The core's two ports (DESIGN: the core owns rooms, names and the order of each room's log, and
 * talks to storage and to other nodes only through these). The server composes implementations:
 * src/store/memory.ts, src/store/sqlite.ts, and the Redis ones in cluster mode. One contract test
 * suite (test/store-contract.ts) runs against every store.
 */
import type { RoomEvent, UnsequencedRoomEvent, UserInfo } from "../protocol/events.ts";
import type { Ban } from "./bans.ts";

/** A value now, or later: the embedded stores answer at once, a networked one does not. */
export type MaybePromise<T> = T | Promise<T>;

/** What the store knows of one room without reading its log. */
export interface RoomHead {
  /** Display name as first created (`#Geral`). */
  room: string;
  /** The last seq ever appended (0: none); never goes down, even when everything is pruned. */
  seq: number;
  topic?: string;
  /**
   * A cluster's (issue 12): the room's modes (room-modes.ts `encodeModes`), kept while anyone is
   * in the room, so a node that loads it later enforces them too.
   */
  modes?: string;
}

/**
 * A room log store. Guarantees every implementation keeps (the contract suite checks them):
 * - Order: `append` takes events of one room in strictly increasing `seq`; reads return them
 *   ascending. The store never reorders, renumbers or invents events.
 * - Durability: appended events are safe from a crash of this process once `commit()` has
 *   returned (or its promise resolved). The core calls `commit()` before any byte of those events
 *   is written to any client ("what anyone has seen is stored").
 * - Keys: rooms are addressed by their canonical key (`#geral`), which the core computes.
 * - Epoch: a random string fixed when the store's data was created. A store that lost its data and
 *   started again has a new epoch, so old sequence numbers are never mistaken for new ones.
 * - Pruning removes the oldest events of a room only; `head` never goes down.
 */
export interface RoomStore {
  readonly epoch: string;
  /** A per-data-set secret for signing resume tokens (survives restarts when the data does). */
  readonly secret: string;
  /** Queues events for the next commit. */
  append(key: string, events: readonly RoomEvent[]): void;
  /** Makes everything appended so far durable. Throws (or rejects) when it cannot (disk full). */
  commit(): MaybePromise<void>;
  /** The room's head, or undefined for a room never seen. */
  head(key: string): MaybePromise<RoomHead | undefined>;
  /** Remembers a room's display name and topic. */
  saveRoom(key: string, info: { room: string; topic?: string }): void;
  /** The last `limit` events, ascending. */
  recent(key: string, limit: number): MaybePromise<RoomEvent[]>;
  /** Events with seq > `after`, ascending, at most `limit`. */
  range(key: string, after: number, limit: number): MaybePromise<RoomEvent[]>;
  /** Events with seq < `before`, ascending (the `limit` newest of them). */
  before(key: string, before: number, limit: number): MaybePromise<RoomEvent[]>;
  /** The smallest seq still stored for the room (head + 1 when none is). */
  first(key: string): MaybePromise<number>;
  /**
   * Removes at most `batch` events that retention no longer keeps: beyond the newest `keep` per
   * room, or older than `olderThan` (ms since the epoch). Returns how many it removed, so the
   * caller can come back for more without stalling anyone.
   */
  prune(keep: number, olderThan: number, batch: number): MaybePromise<number>;
  /**
   * Who is in the room now, when the store knows (a cluster's: users on other nodes joined before
   * this node loaded the room, and the log's tail cannot say who). Read after `head`; events after
   * that head are applied on top, which converges (joins set, leaves delete). Unset: the room's
   * members are only those this process saw join.
   */
  members?(key: string): MaybePromise<UserInfo[]>;
  /**
   * Bans (issue 13), kept with the data so they survive a restart (and, in Redis, are every
   * node's). `bans(now)` returns those in force at `now` (no `until`, or `until` > now) and may
   * delete the others; `saveBan` replaces a ban with the same `key`; `deleteBan` says whether one
   * was there. Each is durable once it returns (or its promise resolves). A store without them
   * (a test's) keeps no bans: the chat's list lives only as long as the process.
   */
  bans?(now: number): MaybePromise<Ban[]>;
  saveBan?(ban: Ban): MaybePromise<void>;
  deleteBan?(key: string): MaybePromise<boolean>;
  close(): void;
}

/**
 * The fan-out seam (multi-node). Without one, the core orders each room's events itself. With one
 * (Redis), `publish` hands it an event without seq; the implementation gives the event its place
 * in the room's cluster-wide log atomically with storing it, and calls `Chat.apply(event)` on every
 * node (this one included) in seq order per room, with no gaps: a receiver that finds a gap reads
 * it from the store before applying what follows.
 */
export interface FanOut {
  publish(key: string, event: UnsequencedRoomEvent): void;
}

export type { Ban, RoomEvent, UnsequencedRoomEvent };
