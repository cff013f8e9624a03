/**
 * Bans (issue 13): what an operator's `/ban NAME|ADDRESS|CIDR [duration] [reason]` means, and the
 * list a node checks at accept time (addresses) and at registration (names). Pure: no sockets, no
 * store (the chat persists bans through its RoomStore port and shares them in a cluster).
 *
 * Addresses are held as 128-bit IPv6 values: an IPv4 address is its IPv4-mapped form
 * (`::ffff:a.b.c.d`), an IPv4 network `a.b.c.d/n` is `::ffff:a.b.c.d/(96+n)`. So a ban on
 * `192.0.2.7` refuses a peer the kernel reports as `::ffff:192.0.2.7` (a dual-stack listener),
 * and one prefix comparison serves both families.
 */
import { canonicalName } from "./nickname.ts";

/** A stored ban. `key` identifies it (`/unban` names the same thing, whatever its spelling). */
export interface Ban {
  /** `addr:` + the network in canonical form (`addr:192.0.2.0/24`, `addr:2001:db8::/32`), or `name:` + the canonical name. */
  key: string;
  /** What the operator typed, cleaned: the name's spelling, or the canonical network. */
  shown: string;
  reason?: string;
  /** When it stops applying (ms since the epoch); unset: never. */
  until?: number;
  /** When it was set (ms since the epoch). */
  at: number;
}

/** An IPv6 network: 8 groups of 16 bits and a prefix length (0-128). */
export interface Network {
  groups: readonly number[];
  prefix: number;
}

/** Parses an IPv4 address into its 4 bytes, strictly (no leading zeros, no missing parts). */
function parseIPv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** Parses an IPv6 address (with `::`, an embedded IPv4 tail, and a `%zone` that is ignored). */
function parseIPv6(text: string): number[] | undefined {
  const address = text.split("%")[0] ?? "";
  if (!/^[0-9a-fA-F:.]+$/.test(address)) return undefined;
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string, last: boolean): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const g = items[i] as string;
      if (g.includes(".")) {
        // An embedded IPv4 address: only as the very last item.
        if (!last || i !== items.length - 1) return undefined;
        const b = parseIPv4(g);
        if (!b) return undefined;
        out.push(((b[0] as number) << 8) | (b[1] as number), ((b[2] as number) << 8) | (b[3] as number));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(Number.parseInt(g, 16));
      }
    }
    return out;
  };
  if (halves.length === 1) {
    const all = groupsOf(halves[0] as string, true);
    return all && all.length === 8 ? all : undefined;
  }
  const head = groupsOf(halves[0] as string, false);
  const tail = groupsOf(halves[1] as string, true);
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  // `::` stands for at least one group of zeros.
  if (fill < 1) return undefined;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}

/** The 8 groups of an IPv4 address in IPv4-mapped IPv6 form. */
function mapped(b: readonly number[]): number[] {
  return [
    0,
    0,
    0,
    0,
    0,
    0xffff,
    ((b[0] as number) << 8) | (b[1] as number),
    ((b[2] as number) << 8) | (b[3] as number),
  ];
}

/** The address as 8 groups (IPv4 mapped), or undefined when it is not an IP address. */
export function parseAddress(text: string): number[] | undefined {
  const t = text.trim();
  const v4 = parseIPv4(t);
  if (v4) return mapped(v4);
  return t.includes(":") ? parseIPv6(t) : undefined;
}

/**
 * `ADDRESS` or `ADDRESS/PREFIX` (IPv4 or IPv6) as a network, its host bits cleared; undefined
 * when the text is not one (then it is a name).
 */
export function parseNetwork(text: string): Network | undefined {
  const t = text.trim();
  const slash = t.indexOf("/");
  const addr = slash < 0 ? t : t.slice(0, slash);
  const v4 = parseIPv4(addr);
  const groups = v4 ? mapped(v4) : addr.includes(":") ? parseIPv6(addr) : undefined;
  if (!groups) return undefined;
  let prefix = 128;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > (v4 ? 32 : 128)) return undefined;
    prefix = v4 ? 96 + n : n;
  }
  return { groups: maskGroups(groups, prefix), prefix };
}

/** The groups with every bit past `prefix` cleared. */
function maskGroups(groups: readonly number[], prefix: number): number[] {
  return groups.map((g, i) => {
    const keep = Math.max(0, Math.min(16, prefix - 16 * i));
    return keep === 16 ? g : keep === 0 ? 0 : g & ((0xffff << (16 - keep)) & 0xffff);
  });
}

/** True when `address` (8 groups) lies inside `network`. */
export function inNetwork(address: readonly number[], network: Network): boolean {
  const masked = maskGroups(address, network.prefix);
  for (let i = 0; i < 8; i++) if (masked[i] !== network.groups[i]) return false;
  return true;
}

/** True when the groups are an IPv4-mapped address (`::ffff:0:0/96`). */
function isMapped(groups: readonly number[]): boolean {
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return false;
  return groups[5] === 0xffff;
}

/** RFC 5952 text of 8 groups: lower case, the longest run of two or more zero groups as `::`. */
function formatIPv6(groups: readonly number[]): string {
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(":");
  return `${hex.slice(0, bestAt).join(":")}::${hex.slice(bestAt + bestLen).join(":")}`;
}

/**
 * The canonical text of a network: IPv4 (mapped) ones as `a.b.c.d` or `a.b.c.d/n`, IPv6 ones as
 * RFC 5952 text, `/n` only when it is not a single address.
 */
export function formatNetwork(n: Network): string {
  if (isMapped(n.groups) && n.prefix >= 96) {
    const a = n.groups[6] as number;
    const b = n.groups[7] as number;
    const v4 = `${a >> 8}.${a & 0xff}.${b >> 8}.${b & 0xff}`;
    return n.prefix === 128 ? v4 : `${v4}/${n.prefix - 96}`;
  }
  const text = formatIPv6(n.groups);
  return n.prefix === 128 ? text : `${text}/${n.prefix}`;
}

/** The IP of a peer given as `IP:PORT`, `[IPv6]:PORT` or a bare address. */
export function hostOf(remote: string): string {
  if (remote.startsWith("[")) return remote.slice(1, Math.max(1, remote.indexOf("]")));
  const colon = remote.lastIndexOf(":");
  // One colon: IPv4 with a port; more: a bare IPv6 address.
  return colon > 0 && remote.indexOf(":") === colon ? remote.slice(0, colon) : remote;
}

/** What `/ban` and `/unban` name: a network, or a name. */
export type BanTarget =
  | { kind: "address"; network: Network; key: string; shown: string }
  | { kind: "name"; key: string; shown: string };

/** Reads the target of `/ban` or `/unban`: anything that parses as an IP address or network is one. */
export function banTarget(text: string): BanTarget | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const network = parseNetwork(t);
  if (network) {
    const shown = formatNetwork(network);
    return { kind: "address", network, key: `addr:${shown}`, shown };
  }
  // What looks like an address but is not one (`10.0.0.0/33`, `300.1.2.3`, `fe80::g`) is a
  // mistake, not a name.
  const slash = t.indexOf("/");
  if (slash >= 0 && parseAddress(t.slice(0, slash))) return undefined;
  if (/^[0-9./]+$/.test(t) && t.includes(".")) return undefined;
  if (t.includes("::")) return undefined;
  return { kind: "name", key: `name:${canonicalName(t)}`, shown: t };
}

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** `30s`, `10m`, `2h`, `7d`, `1w` in milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^([1-9][0-9]{0,5})([smhdw])$/i.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * (UNIT_MS[(m[2] as string).toLowerCase()] as number);
}

/** `/ban` arguments: the target, then an optional duration, then the reason (the rest). */
export function parseBanArgs(
  args: string,
): { target: BanTarget; durationMs?: number; reason?: string } | undefined {
  const m = /^(\S+)(?:\s+(\S+))?(?:\s+([\s\S]*))?$/.exec(args.trim());
  if (!m) return undefined;
  const target = banTarget(m[1] as string);
  if (!target) return undefined;
  const second = m[2];
  const durationMs = second === undefined ? undefined : parseDuration(second);
  const rest = durationMs === undefined ? [second, m[3]].filter(Boolean).join(" ") : (m[3] ?? "");
  const reason = rest.trim() || undefined;
  return {
    target,
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

/** True when `ban` covers a connection from `remote` known as `canonical` ("" before a name). */
export function banCovers(ban: Ban, remote: string, canonical: string): boolean {
  if (ban.key.startsWith("name:")) return canonical !== "" && ban.key.slice(5) === canonical;
  const network = parseNetwork(ban.key.slice(5));
  const address = parseAddress(hostOf(remote));
  return network !== undefined && address !== undefined && inNetwork(address, network);
}

/**
 * The bans a node enforces, in memory: checked synchronously on every accepted connection and
 * every name, so a refusal costs no store round trip. An expired ban stops applying at once (the
 * time is read at each check) and is forgotten at the next look.
 */
export class BanList {
  readonly #bans = new Map<string, Ban>();
  /** Address bans, parsed once. */
  readonly #networks = new Map<string, Network>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Adds or replaces a ban (same key). */
  add(ban: Ban): void {
    this.#bans.set(ban.key, ban);
    if (ban.key.startsWith("addr:")) {
      const n = parseNetwork(ban.key.slice(5));
      if (n) this.#networks.set(ban.key, n);
    }
  }

  remove(key: string): Ban | undefined {
    const ban = this.#bans.get(key);
    this.#bans.delete(key);
    this.#networks.delete(key);
    return ban && this.#live(ban) ? ban : undefined;
  }

  /** Replaces every ban (a load from the store). */
  load(bans: readonly Ban[]): void {
    this.#bans.clear();
    this.#networks.clear();
    for (const b of bans) this.add(b);
  }

  #live(ban: Ban): boolean {
    return ban.until === undefined || ban.until > this.#now();
  }

  /** The bans in force, oldest first; expired ones are forgotten. */
  list(): Ban[] {
    const out: Ban[] = [];
    for (const [key, b] of this.#bans) {
      if (this.#live(b)) out.push(b);
      else this.remove(key);
    }
    return out.sort((a, b) => a.at - b.at);
  }

  /** The ban in force on this peer's address (`IP`, `IP:PORT`, `[IPv6]:PORT`), if any. */
  address(remote: string): Ban | undefined {
    if (this.#networks.size === 0) return undefined;
    const groups = parseAddress(hostOf(remote));
    if (!groups) return undefined;
    for (const [key, n] of this.#networks) {
      if (!inNetwork(groups, n)) continue;
      const ban = this.#bans.get(key);
      if (ban && this.#live(ban)) return ban;
    }
    return undefined;
  }

  /** The ban in force on this canonical name, if any. */
  name(canonical: string): Ban | undefined {
    const ban = this.#bans.get(`name:${canonical}`);
    return ban && this.#live(ban) ? ban : undefined;
  }

  get size(): number {
    return this.#bans.size;
  }
}
