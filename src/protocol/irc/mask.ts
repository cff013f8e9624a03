/**
 * IRC masks (WHO, ban lists): `*` any run of characters, `?` any one, compared with ASCII case
 * folding (CASEMAPPING=ascii). Pure; linear in practice (the classic greedy matcher with one
 * backtrack point).
 */
export function maskMatches(mask: string, text: string): boolean {
  const t = [...asciiLower(text)];
  const p = [...asciiLower(mask)];
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < t.length) {
    if (i < p.length && (p[i] === "?" || p[i] === t[j])) {
      i++;
      j++;
    } else if (i < p.length && p[i] === "*") {
      star = i++;
      mark = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else return false;
  }
  while (i < p.length && p[i] === "*") i++;
  return i === p.length;
}

/** A-Z folded to a-z, nothing else (CASEMAPPING=ascii). */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}
