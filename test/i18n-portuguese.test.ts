/**
 * Issue 10 item 5: pt-BR is Portuguese. Every text of every catalogue (chat, server, terminal
 * client, web app) is rendered in both languages with the same sample values, and a pt-BR text
 * equal to its English one fails, unless every word left in it (placeholders and punctuation
 * removed) is one of the few that are spelled the same in both languages.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientEn } from "../src/i18n/client-en.ts";
import { clientPtBR } from "../src/i18n/client-pt-BR.ts";
import { catalogue } from "../src/i18n/index.ts";
import { webEn } from "../src/i18n/web-en.ts";
import { webPtBR } from "../src/i18n/web-pt-BR.ts";
import { COMMAND_INFO } from "../src/protocol/commands.ts";
import { renderEvent } from "../src/protocol/text-render.ts";

/** Words written the same in English and Portuguese (or names): the only ones allowed to match. */
const SAME_IN_BOTH = new Set(["papo", "online", "use" /* imperative of "usar" */, "ok"]);

/** Sample values for any parameter a text function reads (`reason` may pick a branch). */
function sample(reason?: string): Record<string, unknown> {
  return new Proxy({} as Record<string, unknown>, {
    get(_, key) {
      if (typeof key !== "string") return undefined;
      if (key === "reason" && reason) return reason;
      // Issue 13: the console's /stats figures (lists and the event-loop delay).
      if (key === "byTransport") return [{ kind: "text", count: 7 }];
      if (key === "refusals" || key === "disconnections") return [{ reason: "flood", count: 7 }];
      if (key === "problems") return ["history_paused"];
      if (key === "loop") return { p50: 7, p99: 7, max: 7 };
      if (key === "names" || key === "users" || key === "removed" || key === "langs") return ["ana", "bob"];
      if (key === "until") return 1_800_000_000_000;
      if (/count|online|limit|Ms|port|seconds|attempt|size|bytes|max|n$/i.test(key)) return 7;
      return `{${key}}`;
    },
  });
}

/** Every leaf text under `value`, by path: strings as they are, functions called with samples. */
function texts(value: unknown, path: string, out: Map<string, string>): Map<string, string> {
  if (typeof value === "string") out.set(path, value);
  else if (typeof value === "function") {
    const f = value as (p: unknown) => unknown;
    const text = f(sample());
    if (text !== undefined) out.set(path, String(text));
    // A text that depends on a reason code (chat.left): every branch.
    else
      for (const r of ["quit", "kicked", "error", "disconnected"])
        out.set(`${path}(${r})`, String(f(sample(r))));
  } else if (Array.isArray(value)) for (const [i, v] of value.entries()) texts(v, `${path}[${i}]`, out);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) texts(v, path ? `${path}.${k}` : k, out);
  return out;
}

/** What is left to translate: the words outside the sample values, lower-cased. */
function words(text: string): string[] {
  return (
    text
      .replace(/\{[^}]*\}|\bana\b|\bbob\b/g, " ")
      .toLowerCase()
      .match(/\p{L}+/gu) ?? []
  );
}

describe("item 10.5 the pt-BR catalogues are Portuguese", () => {
  const pairs: [string, unknown, unknown][] = [
    ["chat+server", { ...catalogue("en"), lang: undefined }, { ...catalogue("pt-BR"), lang: undefined }],
    ["client", clientEn, clientPtBR],
    ["web", webEn, webPtBR],
  ];
  for (const [name, en, pt] of pairs) {
    it(`no ${name} text is left in English`, () => {
      const e = texts(en, "", new Map());
      const p = texts(pt, "", new Map());
      const same = [...p].filter(([k, v]) => e.get(k) === v && words(v).some((w) => !SAME_IN_BOTH.has(w)));
      if (process.env.PAPO_SHOW_SAME)
        console.log([...p].filter(([k, v]) => e.get(k) === v).map(([k, v]) => `${k}: ${v}`));
      assert.deepEqual(
        same.map(([k, v]) => `${k}: ${v}`),
        [],
        "pt-BR texts equal to the English ones",
      );
    });
  }

  it("/ajuda is Portuguese, usage included: /sair [motivo], /nome NOME", () => {
    const help = renderEvent({ type: "help", commands: [...COMMAND_INFO] }, catalogue("pt-BR").chat).join(
      "\n",
    );
    assert.match(help, /\/sair \[motivo\]/);
    assert.match(help, /\/nome NOME/);
    assert.match(help, /\/eu TEXTO/);
    assert.match(help, /@NOME TEXTO/);
    assert.doesNotMatch(help, /\[reason\]|NAME|TEXT\b/);
    // Every command stays reachable by every name: the English ones are listed as aliases.
    assert.match(help, /\/sair \[motivo\] \(.*\/quit.*\)/);
    const en = renderEvent({ type: "help", commands: [...COMMAND_INFO] }, catalogue("en").chat).join("\n");
    assert.match(en, /\/quit \[reason\] \(\/sair, \/exit\)/);
    assert.match(en, /\/nick NAME \(\/nome\)/);
  });

  it("usage errors are Portuguese too", () => {
    const t = catalogue("pt-BR").chat;
    assert.equal(
      renderEvent(
        { type: "error", code: "usage", params: { command: "nick", usage: "/nick NAME" }, at: 0 },
        t,
      )[0],
      "! Use: /nome NOME",
    );
    assert.match(
      renderEvent(
        { type: "error", code: "private_missing_text", params: { usage: "@NAME TEXT" }, at: 0 },
        t,
      )[0] ?? "",
      /@NOME TEXTO$/,
    );
  });

  it("every command has a usage in each language, led by one of its names", () => {
    for (const lang of ["en", "pt-BR"] as const) {
      const usage = catalogue(lang).chat.commandUsage;
      for (const c of COMMAND_INFO) {
        const first = /^\/(\S+)/.exec(usage[c.name] ?? "")?.[1];
        assert.ok(first && [c.name, ...c.aliases].includes(first), `${lang} ${c.name}: ${usage[c.name]}`);
      }
      assert.match(usage.private ?? "", /^@/);
    }
  });
});
