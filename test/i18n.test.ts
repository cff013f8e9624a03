import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { catalogue, pickLang } from "../src/i18n/index.ts";
import type { ServerEvent } from "../src/protocol/events.ts";
import { renderEvent } from "../src/protocol/text-render.ts";

const at = 0;
const samples: ServerEvent[] = [
  { type: "hello", protocol: 1, server: "papo/0", online: 2 },
  { type: "prompt", need: "name" },
  { type: "welcome", name: "ana", address: "1.2.3.4:5", users: [{ name: "ana", address: "1.2.3.4:5" }], at },
  { type: "joined", room: "#lobby", seq: 1, name: "bob", address: "1.2.3.4:6", at },
  { type: "joined", room: "#lobby", seq: 1, name: "bob", address: null, at },
  { type: "left", room: "#lobby", seq: 1, name: "bob", reason: "quit", text: "tchau", at },
  { type: "left", room: "#lobby", seq: 1, name: "bob", reason: "disconnected", at },
  { type: "left", room: "#lobby", seq: 1, name: "bob", reason: "kicked", at },
  { type: "left", room: "#lobby", seq: 1, name: "bob", reason: "error", at },
  { type: "message", room: "#lobby", seq: 1, from: "bob", text: "oi", at },
  { type: "action", room: "#lobby", seq: 1, from: "bob", text: "acena", at },
  { type: "private", from: "bob", to: "ana", text: "psst", at },
  { type: "renamed", room: "#lobby", seq: 1, from: "bob", to: "roberto", at },
  { type: "users", users: [{ name: "ana", address: null }] },
  { type: "notice", code: "announce", params: { text: "manutenção" }, at },
  { type: "error", code: "name_invalid", params: { reason: "space" }, at },
  { type: "error", code: "unknown_user", params: { name: "zed" }, at },
  { type: "bye", reason: "shutdown", text: "manutenção", at },
];

describe("text rendering and the catalogues (every text from en and pt-BR)", () => {
  for (const lang of ["en", "pt-BR"] as const) {
    it(`renders every sample event in ${lang}`, () => {
      const t = catalogue(lang).chat;
      for (const e of samples) {
        const lines = renderEvent(e, t, "ana");
        assert.ok(lines.length > 0, e.type);
        for (const l of lines) assert.ok(l.length > 0 && !l.includes("undefined"), `${e.type}: ${l}`);
      }
    });
  }

  it("shows a private message to its target and its sender differently", () => {
    const t = catalogue("en").chat;
    const e: ServerEvent = { type: "private", from: "bob", to: "ana", text: "psst", at };
    assert.deepEqual(renderEvent(e, t, "ana"), ["bob (private): psst"]);
    assert.deepEqual(renderEvent(e, t, "bob"), ["-> ana (private): psst"]);
    assert.deepEqual(renderEvent(e, catalogue("pt-BR").chat, "ana"), ["bob (privado): psst"]);
  });

  it("uses the seeds' Portuguese wording", () => {
    const t = catalogue("pt-BR").chat;
    assert.equal(
      renderEvent({ type: "joined", room: "#lobby", seq: 1, name: "Notebook_Mãe", address: null, at }, t)[0],
      "* Notebook_Mãe entrou no chat",
    );
    assert.match(t.nameProblem.space, /não pode conter espaços/);
  });

  it("has the same keys in both languages", () => {
    const keys = (o: object): string[] =>
      Object.entries(o).flatMap(([k, v]) =>
        v && typeof v === "object" && !Array.isArray(v) ? keys(v).map((s) => `${k}.${s}`) : [k],
      );
    assert.deepEqual(keys(catalogue("pt-BR")).sort(), keys(catalogue("en")).sort());
  });

  it("picks the language from an option, then the locale", () => {
    assert.equal(pickLang("pt-BR", {}), "pt-BR");
    assert.equal(pickLang(undefined, { LANG: "pt_BR.UTF-8" }), "pt-BR");
    assert.equal(pickLang(undefined, { LC_ALL: "en_US.UTF-8", LANG: "pt_BR.UTF-8" }), "en");
    assert.equal(pickLang(undefined, {}), "en");
    assert.equal(pickLang("en", { LANG: "pt_BR" }), "en");
  });
});
