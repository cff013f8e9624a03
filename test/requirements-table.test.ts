/**
 * docs/requirements.md maps each requirement to the tests that prove it, as `file › \`name\``.
 * This keeps the table honest: every file it names exists, and every test name it quotes is in
 * that file (`…` stands for words left out, or a part made from a template).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

interface Reference {
  line: number;
  file: string;
  name: string;
}

/** Every `file › \`name\`, \`name\`` of the table's last column. */
export function references(markdown: string): Reference[] {
  const out: Reference[] = [];
  for (const [i, line] of markdown.split("\n").entries()) {
    if (!line.startsWith("|")) continue;
    const proven = line.split("|").slice(2).join("|");
    for (const m of proven.matchAll(/([a-z0-9-]+) › ((?:`[^`]+`(?:,\s*| and )?)+)/g)) {
      for (const n of (m[2] as string).matchAll(/`([^`]+)`/g))
        out.push({ line: i + 1, file: m[1] as string, name: n[1] as string });
    }
  }
  return out;
}

/** True when the name's parts (split at `…`) are all in the source. */
export function quoted(source: string, name: string): boolean {
  const text = source.replace(/\\"/g, '"').replace(/\\`/g, "`");
  return name
    .split("…")
    .map((p) => p.trim())
    .filter(Boolean)
    .every((p) => text.includes(p));
}

describe("docs/requirements.md names real tests", () => {
  it("the matcher: parts split at …, a missing part fails", () => {
    const src = 'it("S11: a SIGTERM the moment the server says it is listening", () => {});';
    assert.equal(quoted(src, "S11: a SIGTERM…listening"), true);
    assert.equal(quoted(src, "S11: a SIGKILL…"), false);
    assert.deepEqual(references("| x | cli › `a b`, `c…`; web › `d` |"), [
      { line: 1, file: "cli", name: "a b" },
      { line: 1, file: "cli", name: "c…" },
      { line: 1, file: "web", name: "d" },
    ]);
  });

  it("every file and test name in the table exists", () => {
    const refs = references(readFileSync(path.join(ROOT, "docs/requirements.md"), "utf8"));
    assert.ok(refs.length > 300, `${refs.length} references`);
    const missing: string[] = [];
    for (const r of refs) {
      const file = [`test/${r.file}.test.ts`, `test/${r.file}.ts`].find((f) =>
        existsSync(path.join(ROOT, f)),
      );
      if (!file) {
        missing.push(`line ${r.line}: no test file ${r.file}`);
        continue;
      }
      if (!quoted(readFileSync(path.join(ROOT, file), "utf8"), r.name))
        missing.push(`line ${r.line}: ${r.file} › ${r.name}`);
    }
    assert.deepEqual(missing, []);
  });
});
