/**
 * Issue 13: `http://` and `https://` links in messages become clickable. Pure: a message is cut
 * into text and link segments, and the page renders each text segment as a text child, so
 * nothing in a message is ever HTML. Only those two schemes make a link (`javascript:`, `data:`,
 * `file:`... stay text).
 */

export type Segment = { text: string } | { text: string; href: string };

// A scheme at a word start, then anything up to white space or characters that end a URL in prose.
const URL_RE = /\bhttps?:\/\/[^\s<>"'`\u00a0]+/giu;
// Punctuation that ends a sentence rather than the URL (`see https://x.org/a.`).
const TRAILING = /[.,;:!?*'"]+$/u;

/** Cuts `text` into plain and link segments; the segments' texts, joined, are `text`. */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    const start = m.index;
    const url = trimUrl(m[0]);
    const href = safeHref(url);
    if (href === null) continue;
    if (start > last) out.push({ text: text.slice(last, start) });
    out.push({ text: url, href });
    last = start + url.length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** Drops trailing sentence punctuation, and a closing bracket the URL did not open (`(see https://x.org)`). */
function trimUrl(url: string): string {
  let u = url;
  for (;;) {
    const before = u;
    u = u.replace(TRAILING, "");
    for (const [open, close] of [
      ["(", ")"],
      ["[", "]"],
      ["{", "}"],
    ] as const) {
      if (u.endsWith(close) && count(u, close) > count(u, open)) u = u.slice(0, -1);
    }
    if (u === before) return u;
  }
}

function count(s: string, ch: string): number {
  return s.split(ch).length - 1;
}

/** The URL as an href when it parses as http(s) with a host; otherwise null (shown as text). */
function safeHref(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if ((parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.hostname === "") return null;
  return parsed.href;
}
