/**
 * Who was here (IRC WHOWAS, issue 11): the last names that left the chat or were given up by a
 * rename, newest first, with what the user lists showed of them. Bounded (WHOWAS_ENTRIES), in
 * memory only: a restart forgets it, as IRC servers do.
 */
import type { Address } from "../protocol/events.ts";

/** Entries kept, all names together (each entry is a few short strings). */
export const WHOWAS_ENTRIES = 256;

export interface WhowasEntry {
  /** The name as it was displayed. */
  name: string;
  /** The shown address (null when hidden). */
  address: Address;
  /** What the client said of itself, when it said anything (IRC USER). */
  ident?: { user: string; realname: string };
  /** When the name was given up (ms since the epoch). */
  at: number;
}

export class Whowas {
  readonly #entries: { key: string; entry: WhowasEntry }[] = [];

  /** Remembers that the user with this canonical name gave it up. */
  record(key: string, entry: WhowasEntry): void {
    this.#entries.push({ key, entry });
    if (this.#entries.length > WHOWAS_ENTRIES) this.#entries.shift();
  }

  /** Entries for a canonical name, newest first; at most `count` when count > 0. */
  find(key: string, count = 0): WhowasEntry[] {
    const out: WhowasEntry[] = [];
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const e = this.#entries[i];
      if (e?.key !== key) continue;
      out.push(e.entry);
      if (count > 0 && out.length >= count) break;
    }
    return out;
  }
}
