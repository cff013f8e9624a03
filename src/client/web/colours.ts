/**
 * Issue 13: each name in a colour of its own, in both schemes. The palette (`--n0`…`--n11` in
 * styles.css, a light and a dark value each) was chosen for WCAG contrast >= 4.5 against every
 * background a name is shown on, and for colours far apart from each other (OKLab distance);
 * test/web-colours.test.ts recomputes both from the CSS.
 *
 * A name's colour is a hash of its folded name (the server's case folding, so `Ana` and `ana` get
 * one colour), unless someone present already holds that colour: then the next free one. So the
 * people online (up to the palette's size) never share a colour, and someone present keeps theirs
 * for as long as the page is open. With more people than colours, some share.
 */

/** The server's case folding of names (NFKC, full case folding), as protocol/mention.ts folds them. */
function foldName(s: string): string {
  return s.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFC");
}

/** How many name colours styles.css defines (`.nc0`…). */
export const PALETTE_SIZE = 12;

/** The colour a name gets when nobody present holds it: FNV-1a of the folded name. */
export function preferredColour(name: string, size = PALETTE_SIZE): number {
  const key = foldName(name);
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % size;
}

/** The colours of the names one page shows (see the module doc). */
export class NameColours {
  readonly #size: number;
  /** Folded name -> colour index, for every name seen. */
  readonly #of = new Map<string, number>();
  /** Folded names of the people present, and the colours they hold. */
  #present = new Set<string>();
  #held = new Set<number>();

  constructor(size = PALETTE_SIZE) {
    this.#size = size;
  }

  /**
   * The people present now (every room's members). Those already present keep their colours; the
   * others take their preferred colour, or the next one nobody present holds.
   */
  update(names: Iterable<string>): void {
    const keys = new Set<string>();
    for (const n of names) keys.add(foldName(n));
    const before = this.#present;
    // Those already here first (their colours are distinct already), then newcomers in a fixed order.
    const order = [...keys].sort((a, b) => Number(before.has(b)) - Number(before.has(a)) || cmp(a, b));
    const held = new Set<number>();
    for (const key of order) {
      let c = this.#of.get(key);
      if (c === undefined || held.has(c)) c = this.#free(key, held);
      this.#of.set(key, c);
      held.add(c);
    }
    this.#present = keys;
    this.#held = held;
  }

  /** The colour index of `name` (present or not: a message's author may have left). */
  colour(name: string): number {
    const key = foldName(name);
    let c = this.#of.get(key);
    if (c === undefined) {
      c = this.#free(key, this.#held);
      this.#of.set(key, c);
    }
    return c;
  }

  #free(key: string, held: ReadonlySet<number>): number {
    const start = preferredColour(key, this.#size);
    for (let i = 0; i < this.#size; i++) {
      const c = (start + i) % this.#size;
      if (!held.has(c)) return c;
    }
    return start;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
