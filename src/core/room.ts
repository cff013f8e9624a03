/**
 * A room and its log as the core holds it: who is in it, its topic, and a ring of its latest
 * logged events (history on join, and resumes that missed little, without reading the store).
 * The store holds the whole log; the ring is a window on its end that is always complete: it
 * holds every event from `ring[0].seq` to `head`.
 */
import type { NameProblem, RoomEvent, UserInfo } from "../protocol/events.ts";
import { canonicalName, checkName } from "./nickname.ts";
import { newRoomModes, type RoomModes } from "./room-modes.ts";

/** Everyone starts here (seed behaviour: one room for people who never type a room command). */
export const LOBBY = "#lobby";

export type RoomNameCheck =
  | { ok: true; name: string; key: string }
  /** `key`: for a mixed-script spelling, the room it is confusable with (see `checkRoomName`). */
  | { ok: false; reason: NameProblem | "prefix"; key?: string };

/**
 * A room name is `#` and a name that follows the nickname rules (NFKC, case, confusables:
 * `#Geral` and `#gеral` with a Cyrillic е are one room), without a comma (IRC's list separator).
 * `geral` without the `#` is taken as `#geral`.
 */
export function checkRoomName(raw: string, maxLength: number): RoomNameCheck {
  const trimmed = raw.trim();
  const bare = trimmed.startsWith("#") ? trimmed.slice(1) : trimmed;
  if (bare.startsWith("#")) return { ok: false, reason: "prefix" };
  if (bare.includes(",")) return { ok: false, reason: "comma" };
  const check = checkName(bare, { maxNameLength: maxLength, allowReserved: true });
  if (!check.ok && check.reason === "mixed_script")
    // `#gеral` (Cyrillic е) may not create a room, but it names the room `#geral` is: the chat
    // lets it join that room when it exists (issue 14: "#Geral and #gеral are one room").
    return { ok: false, reason: check.reason, key: `#${canonicalName(bare.trim().normalize("NFKC"))}` };
  if (!check.ok) return check;
  return { ok: true, name: `#${check.name}`, key: `#${check.canonical}` };
}

/** Client ids remembered per sender and room, and senders per room (issue 14: resends). */
const CIDS_PER_SENDER = 32;
const CID_SENDERS = 1024;

/**
 * The client ids (`cid`) of each sender's latest lines, by canonical name, the most recent sender
 * last; bounded (CIDS_PER_SENDER per sender, CID_SENDERS senders).
 */
export class CidMemory {
  readonly #cids = new Map<string, string[]>();

  /** Remembers that the sender `canonical` sent a line with client id `cid`. */
  remember(canonical: string, cid: string): void {
    const list = this.#cids.get(canonical) ?? [];
    this.#cids.delete(canonical);
    list.push(cid);
    if (list.length > CIDS_PER_SENDER) list.shift();
    this.#cids.set(canonical, list);
    if (this.#cids.size > CID_SENDERS) this.#cids.delete(this.#cids.keys().next().value as string);
  }

  /** True when the sender `canonical` recently sent a line with client id `cid`. */
  has(canonical: string, cid: string): boolean {
    return this.#cids.get(canonical)?.includes(cid) ?? false;
  }
}

/** `S` is the core's session type (kept generic so this module imports no session code). */
export class Room<S = unknown> {
  readonly key: string;
  name: string;
  topic: string | undefined;
  /** The last seq applied to this room (0: the log is empty). */
  head = 0;
  /** The latest logged events, ascending, complete from ring[0] to head. */
  readonly ring: RoomEvent[] = [];
  readonly #ringSize: number;
  /** Members connected to this node, in join order. */
  readonly locals = new Set<S>();
  /** Everyone in the room by canonical name (local and, in a cluster, remote). */
  readonly names = new Map<string, UserInfo>();
  /** False until the head and the ring have been read from the store. */
  loaded = false;
  /** Events applied while loading, and joins waiting for the load. */
  readonly waiting: (() => void)[] = [];
  readonly buffered: RoomEvent[] = [];
  /**
   * The client ids of each sender's latest messages here: a line resent after a reconnect is
   * recognised however busy the room was meanwhile (the ring alone would forget it after
   * `ringSize` events of others).
   */
  readonly cids = new CidMemory();
  /** Operators and channel modes (issue 11, room-modes.ts): in memory, with the room. */
  readonly modes: RoomModes = newRoomModes();

  constructor(key: string, name: string, ringSize: number) {
    this.key = key;
    this.name = name;
    this.#ringSize = Math.max(1, ringSize);
  }

  /** Appends an applied event to the ring (the caller checked that it is `head + 1`). */
  record(event: RoomEvent): void {
    this.head = event.seq;
    this.ring.push(event);
    if (this.ring.length > this.#ringSize * 2) this.ring.splice(0, this.ring.length - this.#ringSize);
  }

  /** The ring's oldest seq (head + 1 when empty). */
  get ringStart(): number {
    return this.ring[0]?.seq ?? this.head + 1;
  }

  /** The last `n` events of the ring. */
  last(n: number): RoomEvent[] {
    return n <= 0 ? [] : this.ring.slice(-n);
  }

  /** Ring events with seq > `after`; undefined when the ring does not reach back that far. */
  after(after: number): RoomEvent[] | undefined {
    if (after + 1 < this.ringStart) return undefined;
    const i = this.ring.length - (this.head - after);
    return this.ring.slice(Math.max(0, i));
  }

  users(): UserInfo[] {
    return Array.from(this.names.values());
  }
}
