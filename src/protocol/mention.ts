/**
 * Mentions (issue 13): does a message name its reader? Pure, shared by the clients.
 *
 * A message mentions `name` when the name appears in it as a word: `@ana`, `ana: hi`, `hi ana!`,
 * `ANA?`, but not `banana` or `ana_2` (a different name). Letters compare as the server compares
 * names, minus its confusable skeleton: NFKC, then full case folding approximated as upper then
 * lower case (so `ß` and `SS`, fullwidth `ａｎａ` and `ana` match), then NFC. The skeleton is left
 * out on purpose: it is coarse (`rn` ~ `m`, `0` ~ `o`), right for refusing impostor names and
 * wrong for finding a name in prose (`modern` would mention `modem`).
 *
 * A word boundary is any character that is not a letter, a combining mark, a digit or `_` (the
 * characters that run names together), or the start or end of the text. `@` before the name is
 * such a character, so `@ana` is covered by the same rule.
 */

/** Letters, marks, digits and `_`: what a name is made of, and what joins two words into one. */
const WORD_CHAR = "[\\p{L}\\p{M}\\p{N}_]";

/** How the server folds names for comparison, without its confusable skeleton (see above). */
function fold(s: string): string {
  return s.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFC");
}

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

/** True when `text` names `name` as a word (`@name`, or `name` on its own), case-insensitively. */
export function mentions(text: string, name: string): boolean {
  const key = fold(name.trim());
  if (key === "") return false;
  const folded = fold(text);
  if (!folded.includes(key)) return false;
  const re = new RegExp(`(?<!${WORD_CHAR})${escapeRegExp(key)}(?!${WORD_CHAR})`, "u");
  return re.test(folded);
}
