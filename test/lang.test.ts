/**
 * Issue 13 item 2: per-connection language. Text users switch with `/lang pt-BR` / `/lang en`
 * (`/lang` alone lists them); two nc-style clients in different languages share one room, and a
 * broadcast is rendered once per language in use, not once per recipient. Json clients get the
 * `lang` event (they render their own texts).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { textRenderCount } from "../src/transports/tcp.ts";
import { JsonClient, sleep, startTestServer, type TestServer, TextClient } from "./helpers.ts";

describe("/lang: per-connection language (issue 13)", () => {
  let s: TestServer;
  const open: { close(): void }[] = [];
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    for (const c of open) c.close();
    await s.close();
  });

  it("/lang alone lists the languages; /lang pt-BR switches this connection only; /lang en switches back", async () => {
    const ana = await TextClient.join(s.port, "lang_ana");
    const bia = await TextClient.join(s.port, "lang_bia");
    open.push(ana, bia);
    ana.line("/lang");
    await ana.waitFor("* Your language is en. Available: en, pt-BR (/lang pt-BR switches to Portuguese).");
    ana.line("/lang pt-BR");
    await ana.waitFor("* Idioma definido: português do Brasil (pt-BR).");
    // The two read the same events in their own language.
    let from = bia.lines.length;
    let fromAna = ana.lines.length;
    bia.line("/me acena");
    await ana.waitFor("* lang_bia acena", { from: fromAna });
    bia.line("/join #sala");
    ana.line("/entrar #sala");
    await bia.waitFor("* lang_ana joined from", { from });
    ana.line("/idioma");
    await ana.waitFor("* Seu idioma é pt-BR. Disponíveis: en, pt-BR (/idioma en muda para inglês).");
    from = bia.lines.length;
    fromAna = ana.lines.length;
    bia.line("/part");
    await bia.waitFor("* You left #sala; now talking in #lobby.", { from });
    await ana.waitFor(/^\* lang_bia saiu/, { from: fromAna });
    ana.line("@ninguem oi");
    await ana.waitFor("! Usuário ninguem não encontrado.", { from: fromAna });
    ana.line("/lang xx");
    await ana.waitFor("! Não há textos em xx. Disponíveis: en, pt-BR.", { from: fromAna });
    ana.line("/lang en");
    await ana.waitFor("* Language set to English (en).", { from: fromAna });
    ana.line("@nobody hi");
    await ana.waitFor("! No user named nobody is online.", { from: fromAna });
    ana.close();
    bia.close();
  });

  it("two nc clients in one room in different languages: each broadcast is rendered once per language", async () => {
    const en = await Promise.all([1, 2, 3, 4].map((i) => TextClient.join(s.port, `en_${i}`)));
    const pt = await Promise.all([1, 2, 3, 4].map((i) => TextClient.join(s.port, `pt_${i}`)));
    open.push(...en, ...pt);
    for (const c of pt) c.line("/lang pt-BR");
    await Promise.all(pt.map((c) => c.waitFor("Idioma definido")));
    const json = await JsonClient.join(s.port, "lang_json");
    open.push(json);
    // Only these clients are in the lobby now (the first test's have gone).
    while (s.chat.online !== 9) await sleep(20);
    await sleep(200);
    const before = textRenderCount();
    s.chat.announce("ola");
    await Promise.all(en.map((c) => c.waitFor("*** Announcement: ola")));
    await Promise.all(pt.map((c) => c.waitFor("*** Aviso: ola")));
    assert.equal(textRenderCount() - before, 2, "one rendering per language, not per recipient");
    const beforeJoin = textRenderCount();
    const eva = await JsonClient.join(s.port, "lang_eva");
    open.push(eva);
    await Promise.all(en.map((c) => c.waitFor("* lang_eva joined from")));
    await Promise.all(pt.map((c) => c.waitFor("* lang_eva entrou")));
    assert.equal(textRenderCount() - beforeJoin, 2);
  });

  it("json: /lang is answered with a lang event (the client renders its own texts)", async () => {
    const j = await JsonClient.join(s.port, "lang_j");
    open.push(j);
    j.say("/lang pt-BR");
    const e = await j.waitEvent("lang", (x) => x.changed);
    assert.deepEqual({ lang: e.lang, langs: e.langs }, { lang: "pt-BR", langs: ["en", "pt-BR"] });
    j.say("/lang");
    const now = await j.waitEvent("lang", (x) => !x.changed);
    assert.equal(now.lang, "pt-BR");
    j.say("/lang klingon");
    const err = await j.waitEvent("error");
    assert.equal(err.code, "lang_unknown");
  });
});
