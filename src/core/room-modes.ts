/**
 * Room operators and channel modes (issue 11: what IRC clients expect of a channel), kept by the
 * core so that every kind of client lives by them: whoever enters an empty room first (never the
 * lobby, which is everyone's) is its operator and may give that to others, set a key, a member
 * limit, invite-only, moderated, a topic lock, secret, a ban list, and remove a member from the
 * room. They live in memory, with the room: a room nobody is in forgets them (as an IRC channel
 * does), and in a cluster each node keeps its own (documented in docs/irc.md).
 *
 * Pure: `applyModes` edits a RoomModes and says what changed; the chat delivers it.
 */
import { type ErrorEvent, errorEvent } from "../protocol/events.ts";
import { maskMatches } from "../protocol/irc/mask.ts";

/** A ban mask (`nick!user@host`, `*` and `?` wildcards) and who set it when. */
export interface BanEntry {
  mask: string;
  by: string;
  at: number;
}

export interface RoomModes {
  /** Canonical names of the room's operators (`o`) and voiced members (`v`). */
  readonly ops: Set<string>;
  readonly voiced: Set<string>;
  /** Canonical names invited while the room is invite-only (`i`); a join uses the invitation up. */
  readonly invited: Set<string>;
  readonly bans: BanEntry[];
  inviteOnly: boolean;
  moderated: boolean;
  topicLock: boolean;
  secret: boolean;
  /** `n`: only members may send to the room (on by default; off lets anyone online send). */
  noExternal: boolean;
  key: string | undefined;
  limit: number | undefined;
  /** When the room was made in this process (IRC 329). */
  readonly createdAt: number;
}

export function newRoomModes(now = Date.now()): RoomModes {
  return {
    ops: new Set(),
    voiced: new Set(),
    invited: new Set(),
    bans: [],
    inviteOnly: false,
    moderated: false,
    topicLock: false,
    secret: false,
    noExternal: true,
    key: undefined,
    limit: undefined,
    createdAt: now,
  };
}

/** Back to a new room's modes (the room emptied: as on IRC, its modes go with its last member). */
export function resetModes(m: RoomModes): void {
  const fresh = newRoomModes(m.createdAt);
  m.ops.clear();
  m.voiced.clear();
  m.invited.clear();
  m.bans.length = 0;
  for (const f of Object.values(FLAGS)) m[f] = fresh[f];
  m.key = undefined;
  m.limit = undefined;
}

/**
 * The modes as a cluster keeps them with the room (issue 12), invitations included: a node that
 * loads the room later reads them.
 */
export function encodeModes(m: RoomModes): string {
  return JSON.stringify({
    o: [...m.ops],
    v: [...m.voiced],
    iv: [...m.invited],
    b: m.bans,
    i: m.inviteOnly,
    m: m.moderated,
    n: m.noExternal,
    s: m.secret,
    t: m.topicLock,
    k: m.key ?? null,
    l: m.limit ?? null,
  });
}

/** Sets `m` from `encodeModes`'s text. A text it cannot read changes nothing and gives false. */
export function decodeModesInto(m: RoomModes, text: string): boolean {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return false;
  }
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((e) => typeof e === "string");
  const bans = (x: unknown): x is BanEntry[] =>
    Array.isArray(x) &&
    x.every(
      (b) =>
        typeof b === "object" &&
        b !== null &&
        typeof (b as BanEntry).mask === "string" &&
        typeof (b as BanEntry).by === "string" &&
        typeof (b as BanEntry).at === "number",
    );
  const flags = ["i", "m", "n", "s", "t"] as const;
  if (
    typeof v !== "object" ||
    v === null ||
    !strings(v.o) ||
    !strings(v.v) ||
    !(v.iv === undefined || strings(v.iv)) ||
    !bans(v.b) ||
    !flags.every((f) => typeof v[f] === "boolean") ||
    !(v.k === null || (typeof v.k === "string" && validKey(v.k))) ||
    !(v.l === null || (typeof v.l === "number" && Number.isInteger(v.l) && v.l > 0))
  )
    return false;
  m.ops.clear();
  for (const k of v.o) m.ops.add(k);
  m.voiced.clear();
  for (const k of v.v) m.voiced.add(k);
  m.invited.clear();
  for (const k of (v.iv as string[] | undefined) ?? []) m.invited.add(k);
  m.bans.splice(0, m.bans.length, ...v.b.slice(0, MAX_BANS));
  for (const f of flags) m[FLAGS[f]] = v[f] as boolean;
  m.key = (v.k as string | null) ?? undefined;
  m.limit = (v.l as number | null) ?? undefined;
  return true;
}

/** The flag modes and the field each one sets. */
const FLAGS = { i: "inviteOnly", m: "moderated", n: "noExternal", s: "secret", t: "topicLock" } as const;

/** ISUPPORT CHANMODES: list modes, modes with a parameter always, with one when set, flags. */
export const CHANMODES = "b,k,l,imnst";
/** ISUPPORT PREFIX. */
export const PREFIX = "(ov)@+";
/** Bans per room (ban lists are bounded like everything else). */
export const MAX_BANS = 64;
/** Longest key, in characters. */
export const MAX_KEY_LENGTH = 32;

/** The room's modes as IRC writes them (`+ntk key`), with the parameters for members only. */
export function modeString(m: RoomModes, member: boolean): { modes: string; args: string[] } {
  let modes = "+";
  const args: string[] = [];
  for (const [f, field] of Object.entries(FLAGS)) if (m[field]) modes += f;
  if (m.key !== undefined) {
    modes += "k";
    args.push(member ? m.key : "*");
  }
  if (m.limit !== undefined) {
    modes += "l";
    args.push(String(m.limit));
  }
  return { modes, args };
}

/** One change asked for: `+k secret`, `-o ana`, `+b` (a list query). */
export interface ModeRequest {
  on: boolean;
  mode: string;
  arg?: string;
}

/** Modes that take a parameter when set (`+`), and when unset (`-`). */
const ARG_ON = new Set(["o", "v", "b", "k", "l"]);
const ARG_OFF = new Set(["o", "v", "b", "k"]);
/** Modes papo knows. */
export const KNOWN_MODES = new Set(["o", "v", "b", "k", "l", "i", "m", "n", "s", "t"]);

/** Splits `+kl-i key 10` and its parameters into single changes (at most `max`). */
export function parseModeRequest(spec: string, params: readonly string[], max = 12): ModeRequest[] {
  const out: ModeRequest[] = [];
  let on = true;
  let next = 0;
  for (const ch of spec) {
    if (ch === "+" || ch === "-") {
      on = ch === "+";
      continue;
    }
    const needs = on ? ARG_ON.has(ch) : ARG_OFF.has(ch);
    const arg = needs ? params[next++] : undefined;
    out.push(arg === undefined ? { on, mode: ch } : { on, mode: ch, arg });
    if (out.length >= max) break;
  }
  return out;
}

/** Why a change was refused. */
export type ModeProblem = "unknown" | "invalid_param" | "not_in_room" | "list_full";

/** What `applyModes` did: the changes made (as they are announced) and the refusals. */
export interface ModeResult {
  applied: { on: boolean; mode: string; arg?: string }[];
  problems: { mode: string; problem: ModeProblem; arg?: string }[];
}

/**
 * Applies the changes an operator asked for. `member(arg)` finds a member of the room by the name
 * given (its canonical key and display name), for `o` and `v`. Changes that change nothing are
 * left out of `applied`, so nobody is told of them.
 */
export function applyModes(
  m: RoomModes,
  requests: readonly ModeRequest[],
  member: (name: string) => { key: string; name: string } | undefined,
  by: string,
  now = Date.now(),
): ModeResult {
  const result: ModeResult = { applied: [], problems: [] };
  const done = (on: boolean, mode: string, arg?: string) =>
    result.applied.push(arg === undefined ? { on, mode } : { on, mode, arg });
  for (const r of requests) {
    switch (r.mode) {
      case "o":
      case "v": {
        if (r.arg === undefined) break;
        const who = member(r.arg);
        if (!who) {
          result.problems.push({ mode: r.mode, problem: "not_in_room", arg: r.arg });
          break;
        }
        const set = r.mode === "o" ? m.ops : m.voiced;
        if (set.has(who.key) === r.on) break;
        if (r.on) set.add(who.key);
        else set.delete(who.key);
        done(r.on, r.mode, who.name);
        break;
      }
      case "k": {
        if (!r.on) {
          if (m.key === undefined) break;
          m.key = undefined;
          done(false, "k", "*");
          break;
        }
        const key = r.arg ?? "";
        if (!validKey(key)) {
          result.problems.push({ mode: "k", problem: "invalid_param", arg: key });
          break;
        }
        m.key = key;
        done(true, "k", key);
        break;
      }
      case "l": {
        if (!r.on) {
          if (m.limit === undefined) break;
          m.limit = undefined;
          done(false, "l");
          break;
        }
        const n = /^[0-9]{1,9}$/.test(r.arg ?? "") ? Number(r.arg) : 0;
        if (n <= 0) {
          result.problems.push({ mode: "l", problem: "invalid_param", arg: r.arg ?? "" });
          break;
        }
        if (m.limit === n) break;
        m.limit = n;
        done(true, "l", String(n));
        break;
      }
      case "b": {
        if (r.arg === undefined) break; // a list query: the transport answers it
        const mask = normalizeMask(r.arg);
        const i = m.bans.findIndex((b) => b.mask.toLowerCase() === mask.toLowerCase());
        if (r.on) {
          if (i >= 0) break;
          if (m.bans.length >= MAX_BANS) {
            result.problems.push({ mode: "b", problem: "list_full", arg: mask });
            break;
          }
          m.bans.push({ mask, by, at: now });
        } else {
          if (i < 0) break;
          m.bans.splice(i, 1);
        }
        done(r.on, "b", mask);
        break;
      }
      case "i":
      case "m":
      case "n":
      case "s":
      case "t": {
        const field = FLAGS[r.mode];
        if (m[field] === r.on) break;
        m[field] = r.on;
        if (r.mode === "i" && !r.on) m.invited.clear();
        done(r.on, r.mode);
        break;
      }
      default:
        result.problems.push({ mode: r.mode, problem: "unknown" });
    }
  }
  return result;
}

/** A key: 1 to MAX_KEY_LENGTH printable characters, no space or comma (IRC reads those apart). */
export function validKey(key: string): boolean {
  return key.length > 0 && [...key].length <= MAX_KEY_LENGTH && !/[\s,\p{Cc}]/u.test(key);
}

/** `ana` -> `ana!*@*`, `ana!x` -> `ana!x@*`, `*@host` -> `*!*@host`. */
export function normalizeMask(raw: string): string {
  let mask = raw;
  if (!mask.includes("!") && !mask.includes("@")) mask = `${mask}!*@*`;
  else if (!mask.includes("!")) mask = `*!${mask}`;
  else if (!mask.includes("@")) mask = `${mask}@*`;
  return mask;
}

/** The announced form of applied changes: `+o-k ana *`. */
export function changeString(applied: ModeResult["applied"]): { modes: string; args: string[] } {
  let modes = "";
  let sign = "";
  const args: string[] = [];
  for (const c of applied) {
    const s = c.on ? "+" : "-";
    if (s !== sign) {
      modes += s;
      sign = s;
    }
    modes += c.mode;
    if (c.arg !== undefined) args.push(c.arg);
  }
  return { modes, args };
}

/** What a joiner is asked of by a room's modes (without the room's type: this module is pure). */
interface JoiningRoom {
  name: string;
  names: { size: number };
  modes: RoomModes;
}
interface Joiner {
  canonical: string;
  name: string;
  shownAddress: string | null;
  port: { ident?: { user: string } };
}

/** Why `session` may not join `room` now (its key, limit, invitations and bans), or undefined. */
export function joinRefusal(
  room: JoiningRoom,
  joiner: Joiner,
  key: string | undefined,
): ErrorEvent | undefined {
  const m = room.modes;
  const invited = m.invited.has(joiner.canonical);
  if (m.bans.length > 0 && !invited) {
    const full = `${joiner.name}!${joiner.port.ident?.user ?? "papo"}@${hostOf(joiner.shownAddress)}`;
    if (m.bans.some((b) => maskMatches(b.mask, full))) return errorEvent("room_banned", { room: room.name });
  }
  if (m.inviteOnly && !invited) return errorEvent("room_invite_only", { room: room.name });
  if (m.key !== undefined && key !== m.key) return errorEvent("room_key", { room: room.name });
  if (m.limit !== undefined && room.names.size >= m.limit && !invited)
    return errorEvent("room_full", { room: room.name, limit: m.limit });
  return undefined;
}

/** The host part of a prefix: the shown IP without its port, `papo` when addresses are hidden. */
export function hostOf(address: string | null): string {
  if (!address) return "papo";
  let host = address.slice(0, address.lastIndexOf(":"));
  if (host.startsWith("[")) host = host.slice(1, -1);
  // A host may not start with `:` in a prefix (`::1` would read as a trailing parameter).
  return host.startsWith(":") ? `0${host}` : host;
}
