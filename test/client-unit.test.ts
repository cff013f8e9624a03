/**
 * Unit tests for the terminal client's pure parts: address parsing, options, colours, the
 * server-line parser, the state reducer, the formatter, completion and the session logic.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatTarget, parseTarget, parseTargets } from "../src/client/address.ts";
import { makeColors, nameColorIndex, paintName, shouldUseColor } from "../src/client/colors.ts";
import { complete } from "../src/client/complete.ts";
import { createFormatter, formatClock, PRIVATE_MARKER } from "../src/client/format.ts";
import { Heartbeat } from "../src/client/heartbeat.ts";
import { describeNetError } from "../src/client/net-errors.ts";
import { parseConnectArgs } from "../src/client/options.ts";
import { parseServerLine } from "../src/client/server-events.ts";
import { ClientSession, type Effect, isEchoed, isQuit } from "../src/client/session.ts";
import { INITIAL_STATE, reduce } from "../src/client/state.ts";
import { displayWidth, maskEcho } from "../src/client/terminal.ts";
import { clientTexts } from "../src/client/texts.ts";
import { catalogue } from "../src/i18n/index.ts";
import type { ServerEvent } from "../src/protocol/events.ts";

const ESC = "\x1b";
const AT = new Date(2026, 0, 2, 9, 5).getTime(); // 09:05 local time
const en = catalogue("en").chat;
const enClient = clientTexts("en");

function formatter(color: boolean, lang: "en" | "pt-BR" = "en") {
  return createFormatter({
    colors: makeColors(color),
    chat: catalogue(lang).chat,
    client: clientTexts(lang),
    now: () => AT,
  });
}

describe("client address parsing", () => {
  const ok = (input: string | undefined, host: string, port: number, portArg?: string) =>
    assert.deepEqual(parseTarget(input, portArg), { ok: true, host, port }, String(input));

  test("defaults to localhost:7777", () => {
    ok(undefined, "localhost", 7777);
    ok("", "localhost", 7777);
  });
  test("host, host:port, :port", () => {
    ok("example.org", "example.org", 7777);
    ok("192.168.1.5:8000", "192.168.1.5", 8000);
    ok(":9000", "localhost", 9000);
    ok("Notebook-Mãe.local:1", "Notebook-Mãe.local", 1);
  });
  test("IPv6 in brackets, with or without a port, and bare", () => {
    ok("[::1]:7000", "::1", 7000);
    ok("[::1]", "::1", 7777);
    ok("[fe80::1%eth0]:65535", "fe80::1%eth0", 65535);
    ok("::1", "::1", 7777);
  });
  test("a separate port argument, as nc takes it", () => {
    ok("localhost", "localhost", 1234, "1234");
    assert.equal(parseTarget("localhost:1", "2").ok, false);
  });
  test("bad ports and addresses are refused with the offending part", () => {
    assert.deepEqual(parseTarget("host:0"), { ok: false, problem: "port", value: "0" });
    assert.deepEqual(parseTarget("host:65536"), { ok: false, problem: "port", value: "65536" });
    assert.deepEqual(parseTarget("host:"), { ok: false, problem: "port", value: "" });
    assert.deepEqual(parseTarget("host:http"), { ok: false, problem: "port", value: "http" });
    assert.deepEqual(parseTarget("[::1"), { ok: false, problem: "address", value: "[::1" });
    assert.deepEqual(parseTarget("[]:1"), { ok: false, problem: "address", value: "[]:1" });
  });
  test("parseTargets reads a comma-separated list of nodes; one bad entry refuses the list", () => {
    assert.deepEqual(parseTargets("a:1,[::1]:2, b"), {
      ok: true,
      targets: [
        { host: "a", port: 1 },
        { host: "::1", port: 2 },
        { host: "b", port: 7777 },
      ],
    });
    assert.deepEqual(parseTargets("a", "9"), { ok: true, targets: [{ host: "a", port: 9 }] });
    assert.equal(parseTargets("a,b", "9").ok, false);
    assert.deepEqual(parseTargets("a:1,b:x"), { ok: false, problem: "port", value: "x" });
    assert.deepEqual(parseTargets("a:1,,b"), { ok: false, problem: "address", value: "a:1,,b" });
  });

  test("formatTarget brackets IPv6 hosts", () => {
    assert.equal(formatTarget({ host: "::1", port: 7 }), "[::1]:7");
    assert.equal(formatTarget({ host: "localhost", port: 7777 }), "localhost:7777");
  });
});

describe("client options", () => {
  const env = { LANG: "C" };
  test("defaults", () => {
    const r = parseConnectArgs([], env);
    assert.ok(r.ok);
    assert.deepEqual(r.options, {
      host: "localhost",
      port: 7777,
      targets: [{ host: "localhost", port: 7777 }],
      name: undefined,
      lang: "en",
      noColor: false,
      reconnect: true,
      bell: true,
      help: false,
      tls: false,
      insecure: false,
    });
  });
  test("--tls changes the default port to 7778; --ca and --insecure need --tls", () => {
    const r = parseConnectArgs(["example.org", "--tls", "--insecure"], env);
    assert.ok(r.ok);
    assert.equal(r.options.port, 7778);
    assert.equal(r.options.tls, true);
    assert.equal(r.options.insecure, true);
    const explicit = parseConnectArgs(["example.org:9999", "--tls"], env);
    assert.ok(explicit.ok && explicit.options.port === 9999);
    const bad = parseConnectArgs(["--insecure"], env);
    assert.ok(!bad.ok && bad.message.includes("--insecure only makes sense with --tls"), JSON.stringify(bad));
    const ca = parseConnectArgs(["--tls", "--ca", "/nonexistent/ca.pem"], env);
    assert.ok(!ca.ok && ca.message.includes("/nonexistent/ca.pem"));
  });
  test("all options", () => {
    const r = parseConnectArgs(
      ["[::1]:8000", "--name", "Notebook_Mãe", "--lang", "pt-BR", "--no-color", "--no-reconnect"],
      env,
    );
    assert.ok(r.ok);
    assert.equal(r.options.host, "::1");
    assert.equal(r.options.port, 8000);
    assert.equal(r.options.name, "Notebook_Mãe");
    assert.equal(r.options.lang, "pt-BR");
    assert.equal(r.options.noColor, true);
    assert.equal(r.options.reconnect, false);
  });
  test("the language comes from the locale when not given", () => {
    const r = parseConnectArgs([], { LANG: "pt_BR.UTF-8" });
    assert.ok(r.ok);
    assert.equal(r.options.lang, "pt-BR");
  });
  test("errors are one line, in the chosen language", () => {
    const bad = parseConnectArgs(["--bogus"], env);
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && !bad.message.includes("\n") && bad.message.includes("--help"));
    const port = parseConnectArgs(["host:99999", "--lang", "pt-BR"], env);
    assert.ok(!port.ok && port.message.includes("porta inválida"), JSON.stringify(port));
    const lang = parseConnectArgs(["--lang", "xx"], env);
    assert.ok(!lang.ok && lang.message.includes("unknown language"));
    const extra = parseConnectArgs(["a", "1", "2"], env);
    assert.ok(!extra.ok);
  });
});

describe("client colours", () => {
  test("shouldUseColor follows --no-color, NO_COLOR, FORCE_COLOR and the terminal", () => {
    assert.equal(shouldUseColor({ noColorFlag: false, env: {}, isTTY: true }), true);
    assert.equal(shouldUseColor({ noColorFlag: false, env: {}, isTTY: false }), false);
    assert.equal(shouldUseColor({ noColorFlag: true, env: { FORCE_COLOR: "1" }, isTTY: true }), false);
    assert.equal(shouldUseColor({ noColorFlag: false, env: { NO_COLOR: "1" }, isTTY: true }), false);
    assert.equal(shouldUseColor({ noColorFlag: false, env: { NO_COLOR: "" }, isTTY: true }), true);
    assert.equal(shouldUseColor({ noColorFlag: false, env: { FORCE_COLOR: "1" }, isTTY: false }), true);
    assert.equal(shouldUseColor({ noColorFlag: false, env: { FORCE_COLOR: "0" }, isTTY: true }), false);
    assert.equal(shouldUseColor({ noColorFlag: false, env: { TERM: "dumb" }, isTTY: true }), false);
  });
  test("a name always gets the same colour, and names spread over the palette", () => {
    assert.equal(nameColorIndex("ana"), nameColorIndex("ana"));
    const used = new Set(
      ["ana", "bob", "carla", "dani", "edu", "fábio", "gil", "hugo", "iara", "jo"].map(nameColorIndex),
    );
    assert.ok(used.size >= 4, `only ${used.size} colours used`);
    const c = makeColors(true);
    assert.equal(paintName(c, "ana"), paintName(c, "ana"));
    assert.ok(paintName(c, "ana").startsWith(ESC));
    assert.equal(paintName(makeColors(false), "ana"), "ana");
  });
});

describe("client server-line parsing", () => {
  test("skips the text greeting and anything that is not a known JSON event", () => {
    assert.equal(parseServerLine("* Welcome to papo! 0 online."), undefined);
    assert.equal(parseServerLine("{not json"), undefined);
    assert.equal(parseServerLine("[1,2]"), undefined);
    assert.equal(parseServerLine('{"type":"nonsense"}'), undefined);
    assert.equal(parseServerLine('{"type":"message","from":"ana"}'), undefined);
  });
  test("parses events and strips escapes and control characters from every string", () => {
    const e = parseServerLine(
      JSON.stringify({
        type: "message",
        from: `an${ESC}[2Ja`,
        text: `hi${ESC}]0;pwned\x07 there\r\n`,
        at: 5,
      }),
    );
    assert.deepEqual(e, { type: "message", room: "#lobby", seq: 0, from: "ana", text: "hi there", at: 5 });
    const w = parseServerLine(
      JSON.stringify({
        type: "welcome",
        name: "x",
        address: null,
        users: [{ name: `b\u202eob`, address: "1:2" }],
      }),
    );
    assert.equal(w?.type, "welcome");
    assert.ok(w?.type === "welcome" && w.users[0]?.name === "bob" && typeof w.at === "number");
  });
  test("keeps unknown error codes and bye reasons for the formatter's fallback", () => {
    const e = parseServerLine('{"type":"error","code":"brand_new","params":{},"at":1}');
    assert.equal(e?.type, "error");
    const b = parseServerLine('{"type":"bye","reason":"brand_new","at":1}');
    assert.equal(b?.type, "bye");
  });
});

describe("client state reducer", () => {
  const welcome: ServerEvent = {
    type: "welcome",
    name: "ana",
    address: null,
    users: [
      { name: "bob", address: null },
      { name: "ana", address: null },
    ],
    at: 1,
  };
  test("tracks self and the user list through joins, leaves and renames", () => {
    let s = reduce(INITIAL_STATE, welcome);
    assert.equal(s.self, "ana");
    assert.deepEqual(s.users, ["bob", "ana"]);
    s = reduce(s, { type: "joined", room: "#lobby", seq: 1, name: "carla", address: null, at: 2 });
    assert.deepEqual(s.users, ["bob", "ana", "carla"]);
    s = reduce(s, { type: "left", room: "#lobby", seq: 1, name: "bob", reason: "quit", at: 3 });
    assert.deepEqual(s.users, ["ana", "carla"]);
    s = reduce(s, { type: "renamed", room: "#lobby", seq: 1, from: "carla", to: "Carla_2", at: 4 });
    assert.deepEqual([s.self, s.users], ["ana", ["ana", "Carla_2"]]);
    s = reduce(s, { type: "renamed", room: "#lobby", seq: 1, from: "ana", to: "Ana_M", at: 5 });
    assert.deepEqual([s.self, s.users], ["Ana_M", ["Ana_M", "Carla_2"]]);
    s = reduce(s, { type: "users", users: [{ name: "z", address: null }] });
    assert.deepEqual(s.users, ["z"]);
  });
  test("events that change nothing return the same state", () => {
    const s = reduce(reduce(INITIAL_STATE, welcome), {
      type: "message",
      room: "#lobby",
      seq: 1,
      from: "bob",
      text: "x",
      at: 1,
    });
    assert.equal(reduce(s, { type: "message", room: "#lobby", seq: 1, from: "bob", text: "x", at: 1 }), s);
    assert.equal(reduce(s, { type: "joined", room: "#lobby", seq: 1, name: "bob", address: null, at: 1 }), s);
    assert.equal(reduce(s, { type: "message", room: "#other", seq: 9, from: "bob", text: "x", at: 1 }), s);
  });
});

describe("client formatting", () => {
  test("formatClock is local HH:MM", () => {
    assert.equal(formatClock(AT), "09:05");
  });
  test("without colour: the text-mode wording with a timestamp, no escapes", () => {
    const f = formatter(false);
    assert.deepEqual(
      f.event({ type: "message", room: "#lobby", seq: 1, from: "bob", text: "oi", at: AT }, "ana"),
      ["09:05 bob: oi"],
    );
    assert.deepEqual(f.event({ type: "private", from: "bob", to: "ana", text: "psst", at: AT }, "ana"), [
      `09:05 ${PRIVATE_MARKER} bob (private): psst`,
    ]);
    assert.deepEqual(f.event({ type: "private", from: "ana", to: "bob", text: "psst", at: AT }, "ana"), [
      `09:05 ${PRIVATE_MARKER} -> bob (private): psst`,
    ]);
    assert.deepEqual(
      f.event({ type: "joined", room: "#lobby", seq: 1, name: "bob", address: "1.2.3.4:5", at: AT }, "ana"),
      ["09:05 * bob joined from 1.2.3.4:5"],
    );
    assert.deepEqual(f.event({ type: "bye", reason: "shutdown", text: "maintenance", at: AT }, "ana"), [
      "09:05 *** The server is shutting down: maintenance",
    ]);
    assert.deepEqual(f.event({ type: "users", users: [{ name: "ana", address: null }] }, "ana"), [
      "09:05 * Online (1): ana",
      "      *   ana",
    ]);
    assert.deepEqual(f.event({ type: "ping" }, "ana"), []);
    for (const line of f.event(
      { type: "help", commands: [{ name: "quit", aliases: ["sair"], usage: "/quit" }] },
      "ana",
    ))
      assert.ok(!line.includes(ESC));
  });
  test("with colour: names coloured, private messages magenta, notices dimmed, errors red", () => {
    const f = formatter(true);
    const c = makeColors(true);
    const [msg] = f.event(
      { type: "message", room: "#lobby", seq: 1, from: "bob", text: "oi", at: AT },
      "ana",
    );
    assert.ok(msg?.includes(paintName(c, "bob")), JSON.stringify(msg));
    assert.ok(msg?.includes(c.gray("09:05")));
    const [own] = f.event(
      { type: "message", room: "#lobby", seq: 1, from: "ana", text: "oi", at: AT },
      "ana",
    );
    assert.ok(own?.includes(c.bold(paintName(c, "ana"))), "own name in bold");
    const [priv] = f.event({ type: "private", from: "bob", to: "ana", text: "psst", at: AT }, "ana");
    assert.ok(priv?.includes(`${ESC}[35m${PRIVATE_MARKER}`), JSON.stringify(priv));
    const [joined] = f.event(
      { type: "joined", room: "#lobby", seq: 1, name: "bob", address: null, at: AT },
      "ana",
    );
    assert.ok(joined?.includes(`${ESC}[2m`), "dimmed");
    const [err] = f.event({ type: "error", code: "private_self", params: {}, at: AT }, "ana");
    assert.ok(err?.includes(`${ESC}[31m`), "red");
  });
  test("the outgoing copy of a private message is recognised with colours on", () => {
    const [out] = formatter(true).event(
      { type: "private", from: "ana", to: "bob", text: "x", at: AT },
      "ana",
    );
    assert.ok(out?.includes("->"), JSON.stringify(out));
  });
  test("Portuguese catalogue", () => {
    const f = formatter(false, "pt-BR");
    assert.deepEqual(f.event({ type: "private", from: "bob", to: "ana", text: "oi", at: AT }, "ana"), [
      `09:05 ${PRIVATE_MARKER} bob (privado): oi`,
    ]);
    assert.deepEqual(
      f.event({ type: "error", code: "name_taken", params: { name: "bob" }, at: AT }, undefined),
      [`09:05 ${catalogue("pt-BR").chat.nameTaken({ name: "bob" })}`],
    );
  });
  test("unknown error codes and bye reasons get a fallback line, not a crash", () => {
    const f = formatter(false);
    const e = parseServerLine('{"type":"error","code":"brand_new","params":{},"at":1}') as ServerEvent;
    assert.match(f.event(e, "ana")[0] ?? "", /brand_new/);
    const n = parseServerLine(
      '{"type":"error","code":"name_invalid","params":{"reason":"new"},"at":1}',
    ) as ServerEvent;
    assert.match(f.event(n, "ana")[0] ?? "", /name_invalid/);
    const b = parseServerLine('{"type":"bye","reason":"brand_new","text":"why","at":1}') as ServerEvent;
    assert.match(f.event(b, "ana")[0] ?? "", /brand_new.*why/);
  });
  test("status lines and display width", () => {
    assert.equal(formatter(false).status("*** hi", AT), "09:05 *** hi");
    assert.equal(displayWidth(`${ESC}[31mab${ESC}[39m`), 2);
    assert.equal(displayWidth("日本"), 4);
    assert.equal(displayWidth("Mãe"), 3);
  });
});

describe("client completion", () => {
  const users = ["ana", "Bob", "bruna", "carla"];
  test("completes a name after @, with a trailing space when unique", () => {
    assert.deepEqual(complete("@c", users, "ana"), [["@carla "], "@c"]);
    assert.deepEqual(complete("hi @bo", users, "ana"), [["@Bob "], "@bo"]);
    assert.deepEqual(complete("@b", users, "ana"), [["@Bob", "@bruna"], "@b"]);
  });
  test("does not offer your own name after @", () => {
    assert.deepEqual(complete("@a", users, "ana"), [[], "@a"]);
  });
  test("completes names at any word start", () => {
    assert.deepEqual(complete("hello car", users, "ana"), [["carla "], "car"]);
    assert.deepEqual(complete("hello ", users, "ana"), [[], ""]);
  });
  test("completes commands at the start of the line only", () => {
    assert.deepEqual(complete("/qu", users), [["/quit "], "/qu"]);
    assert.deepEqual(complete("/sai", users), [["/sair "], "/sai"]);
    const [all] = complete("/", users);
    assert.ok(all.includes("/quit") && all.includes("/help") && all.includes("/sair"));
    assert.deepEqual(complete("say /qu", users), [[], "/qu"]);
    assert.deepEqual(complete("//qu", users), [[], "//qu"]);
  });
});

describe("client session logic", () => {
  const f = formatter(false);
  const sends = (effects: Effect[]) => effects.flatMap((e) => (e.kind === "send" ? [e.request] : []));
  const ev = (s: ClientSession, e: object) => s.serverLine(JSON.stringify(e));

  test("isQuit and isEchoed", () => {
    for (const q of ["/quit", "/QUIT bye", "/sair", " /exit now "]) assert.ok(isQuit(q), q);
    for (const q of ["//quit", "quit", "/quitter", "/users"]) assert.ok(!isQuit(q), q);
    for (const e of ["hi", "@bob hi", "/me waves", "//slash"]) assert.ok(isEchoed(e), e);
    for (const e of ["/users", "/me", "@bob", "/quit", ""]) assert.ok(!isEchoed(e), e);
  });

  test("--name is sent at the first prompt; a refusal shows the reason and asks the user", () => {
    const s = new ClientSession({ name: "a b", formatter: f });
    assert.deepEqual(sends(s.connected()), [{ type: "hello", protocol: 1 }]);
    assert.deepEqual(s.serverLine("* Welcome to papo! 0 online."), []);
    assert.deepEqual(ev(s, { type: "hello", protocol: 1, server: "papo/x", online: 0 }).length, 1);
    assert.deepEqual(sends(ev(s, { type: "prompt", need: "name" })), [{ type: "name", name: "a b" }]);
    const refused = ev(s, { type: "error", code: "name_invalid", params: { reason: "space" }, at: AT });
    assert.deepEqual(refused, [{ kind: "print", lines: [`09:05 ${en.nameProblem.space}`] }]);
    const asked = ev(s, { type: "prompt", need: "name" });
    assert.deepEqual(asked.at(-1), { kind: "prompt", mode: "name" });
    assert.equal(s.phase, "naming");
    assert.deepEqual(sends(s.input("  ana  ")), [{ type: "name", name: "ana" }]);
    const welcomed = ev(s, {
      type: "welcome",
      name: "ana",
      address: null,
      users: [{ name: "ana", address: null }],
      at: AT,
    });
    assert.deepEqual(welcomed.at(-1), { kind: "prompt", mode: "chat", self: "ana" });
    assert.equal(s.phase, "registered");
  });

  test("input before registration is queued in order: a name first, then lines", () => {
    const s = new ClientSession({ formatter: f, cidPrefix: "c" });
    s.connected();
    assert.deepEqual(s.input("ana"), []);
    assert.deepEqual(s.input("hello"), []);
    assert.deepEqual(s.leave(), []);
    assert.deepEqual(sends(ev(s, { type: "prompt", need: "name" })), [{ type: "name", name: "ana" }]);
    const w = ev(s, { type: "welcome", name: "ana", address: null, users: [], at: AT });
    assert.deepEqual(sends(w), [
      { type: "line", text: "hello", cid: "c.1" },
      { type: "line", text: "/quit" },
    ]);
    assert.ok(s.quitting);
    const bye = ev(s, { type: "bye", reason: "quit", at: AT });
    assert.deepEqual(bye.at(-1), { kind: "done", code: 0 });
    assert.equal(s.phase, "ended");
  });

  test("answers ping with pong and the same id", () => {
    const s = new ClientSession({ formatter: f });
    s.connected();
    assert.deepEqual(sends(ev(s, { type: "ping", id: 42 })), [{ type: "pong", id: 42 }]);
  });

  test("bye: quit exits 0, kicked and others exit 1; shutdown and ping_timeout are lost connections", () => {
    for (const [reason, code] of [
      ["quit", 0],
      ["kicked", 1],
      ["flood", 1],
    ] as const) {
      const s = new ClientSession({ name: "x", formatter: f });
      s.connected();
      assert.deepEqual(ev(s, { type: "bye", reason, at: AT }).at(-1), { kind: "done", code }, reason);
    }
    // Issue 10 item 3: operators restart, and a link that was down comes back: try again.
    for (const reason of ["shutdown", "ping_timeout"]) {
      const s = new ClientSession({ name: "x", formatter: f });
      s.connected();
      assert.deepEqual(ev(s, { type: "bye", reason, at: AT }).at(-1), { kind: "lost", reason });
      assert.equal(s.phase, "offline");
      assert.deepEqual(s.disconnected(), [], "the close that follows is not a second loss");
    }
  });

  test("a close without bye is 'lost'; after /quit it is a normal end; offline /quit ends at once", () => {
    const s = new ClientSession({ name: "x", formatter: f, cidPrefix: "c" });
    s.connected();
    ev(s, { type: "prompt", need: "name" });
    ev(s, { type: "welcome", name: "x", address: null, users: [], at: AT });
    assert.deepEqual(s.disconnected(), [{ kind: "lost" }]);
    assert.equal(s.phase, "offline");
    assert.deepEqual(s.input("queued while offline"), []);
    // Reconnect: the same name is claimed again, then the queued line goes out.
    s.connected();
    assert.deepEqual(sends(ev(s, { type: "prompt", need: "name" })), [{ type: "name", name: "x" }]);
    assert.deepEqual(sends(ev(s, { type: "welcome", name: "x", address: null, users: [], at: AT })), [
      { type: "line", text: "queued while offline", cid: "c.1" },
    ]);
    s.input("/sair");
    // Closed without the echo: the line may not have arrived, and the user is told.
    assert.deepEqual(s.disconnected(), [
      { kind: "print", lines: [`09:05 ${enClient.maybeNotDelivered({ text: "queued while offline" })}`] },
      { kind: "done", code: 0 },
    ]);

    const t = new ClientSession({ name: "y", formatter: f });
    t.connected();
    t.disconnected();
    assert.deepEqual(t.input("/quit"), [{ kind: "done", code: 0 }]);
  });

  test("after /nick the prompt follows and a reconnect claims the new name", () => {
    const s = new ClientSession({ name: "x", formatter: f });
    s.connected();
    ev(s, { type: "prompt", need: "name" });
    ev(s, { type: "welcome", name: "x", address: null, users: [], at: AT });
    assert.deepEqual(ev(s, { type: "renamed", room: "#lobby", seq: 1, from: "x", to: "z", at: AT }).at(-1), {
      kind: "prompt",
      mode: "chat",
      self: "z",
    });
    s.disconnected();
    s.connected();
    assert.deepEqual(sends(ev(s, { type: "prompt", need: "name" })), [{ type: "name", name: "z" }]);
  });

  test("item 8: a password prompt asks the user (masked), then the name; a reconnect resends it", () => {
    const s = new ClientSession({ name: "ana", formatter: f });
    s.connected();
    const asked = ev(s, { type: "prompt", need: "password" });
    assert.deepEqual(asked, [
      { kind: "print", lines: [`09:05 ${en.promptPassword}`] },
      { kind: "prompt", mode: "password" },
    ]);
    assert.deepEqual(s.input(""), [{ kind: "prompt", mode: "password" }]);
    assert.deepEqual(sends(s.input("s3cret pass")), [{ type: "password", password: "s3cret pass" }]);
    assert.deepEqual(sends(ev(s, { type: "prompt", need: "name" })), [{ type: "name", name: "ana" }]);
    ev(s, { type: "welcome", name: "ana", address: null, users: [], at: AT });
    s.disconnected();
    s.connected();
    assert.deepEqual(sends(ev(s, { type: "prompt", need: "password" })), [
      { type: "password", password: "s3cret pass" },
    ]);
  });

  test("item 8: a given password (PAPO_PASSWORD) is sent once; if asked again, the user is asked", () => {
    const s = new ClientSession({ password: "pw", formatter: f });
    s.connected();
    assert.deepEqual(sends(ev(s, { type: "prompt", need: "password" })), [
      { type: "password", password: "pw" },
    ]);
    assert.deepEqual(ev(s, { type: "prompt", need: "password" }).at(-1), {
      kind: "prompt",
      mode: "password",
    });
    assert.deepEqual(sends(s.input("/quit")), [{ type: "line", text: "/quit" }]);
  });

  test("maskEcho hides typed text but keeps the prompt and escape sequences", () => {
    assert.equal(maskEcho("password> abc", "password> "), "password> ***");
    assert.equal(maskEcho("x", "password> "), "*");
    // As many stars as columns, so readline's cursor arithmetic stays true: é 1, 😀 2.
    assert.equal(maskEcho("\x1b[1Gé😀", "p> "), "\x1b[1G***");
    assert.equal(maskEcho("\r\n", "p> "), "\r\n");
  });

  test("net errors in words", () => {
    const r = enClient.reasons;
    assert.equal(describeNetError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }), r), r.refused);
    assert.equal(describeNetError(Object.assign(new Error("x"), { code: "ENOTFOUND" }), r), r.notFound);
    assert.equal(describeNetError(Object.assign(new Error("x"), { code: "ETIMEDOUT" }), r), r.timeout);
    const agg = Object.assign(
      new AggregateError([Object.assign(new Error("y"), { code: "ECONNREFUSED" })]),
      {},
    );
    assert.equal(describeNetError(agg, r), r.refused);
    assert.equal(describeNetError(new Error("odd\nsecond line"), r), "odd");
  });
});

// ---- issue 14 (rooms, history, resume) and issue 10 item 3 (lossless reconnect) ----------------

describe("client: room events parsed defensively", () => {
  test("room, history, gap, current, parted, rooms, topic and the welcome's token", () => {
    assert.deepEqual(
      parseServerLine(
        JSON.stringify({
          type: "room",
          room: "#geral",
          users: [{ name: "bob", address: null }, 7],
          topic: `t${ESC}[31mopic`,
          epoch: "e1",
          seq: 12,
          current: true,
        }),
      ),
      {
        type: "room",
        room: "#geral",
        users: [{ name: "bob", address: null }],
        topic: "topic",
        epoch: "e1",
        seq: 12,
        current: true,
      },
    );
    const h = parseServerLine(
      JSON.stringify({
        type: "history",
        room: "#geral",
        kind: "resume",
        more: false,
        events: [
          { type: "message", from: "bob", text: `b${ESC}[2J`, seq: 5, at: 1 },
          { type: "private", from: "x", to: "y", text: "not a room event", at: 1 },
          { type: "message", from: "ana", text: "a", seq: 4, at: 1, cid: "c.1", room: "#elsewhere" },
          { type: "message", from: "nobody", text: "no seq", at: 1 },
          "junk",
        ],
      }),
    );
    assert.deepEqual(h, {
      type: "history",
      room: "#geral",
      kind: "resume",
      more: false,
      // Ascending, only logged events with a place in the log, all of this room, sanitized.
      events: [
        { type: "message", from: "ana", text: "a", seq: 4, at: 1, cid: "c.1", room: "#geral" },
        { type: "message", from: "bob", text: "b", seq: 5, at: 1, room: "#geral" },
      ],
    });
    assert.equal(parseServerLine('{"type":"history","room":"#r","events":"no"}'), undefined);
    assert.deepEqual(parseServerLine('{"type":"gap","room":"#r","reason":"weird","epoch":"e2","seq":-3}'), {
      type: "gap",
      room: "#r",
      reason: "pruned",
      epoch: "e2",
      seq: 0,
    });
    assert.deepEqual(parseServerLine('{"type":"current","room":"#r"}'), { type: "current", room: "#r" });
    assert.deepEqual(parseServerLine('{"type":"parted","room":"#r","current":"#lobby"}'), {
      type: "parted",
      room: "#r",
      current: "#lobby",
    });
    assert.equal(parseServerLine('{"type":"parted","room":"#r"}'), undefined);
    assert.deepEqual(
      parseServerLine(
        '{"type":"rooms","rooms":[{"room":"#a","users":2,"topic":"x"},{"users":1},{"room":"#b"}]}',
      ),
      {
        type: "rooms",
        rooms: [
          { room: "#a", users: 2, topic: "x" },
          { room: "#b", users: 0 },
        ],
      },
    );
    assert.deepEqual(parseServerLine('{"type":"topic","by":"ana","topic":"t","room":"#r","seq":3,"at":1}'), {
      type: "topic",
      by: "ana",
      topic: "t",
      at: 1,
      room: "#r",
      seq: 3,
    });
    const w = parseServerLine(
      '{"type":"welcome","name":"ana","address":null,"users":[],"at":1,"room":"#lobby","epoch":"e1","token":"t.k","resumed":true}',
    );
    assert.deepEqual(w, {
      type: "welcome",
      name: "ana",
      address: null,
      users: [],
      at: 1,
      room: "#lobby",
      epoch: "e1",
      token: "t.k",
      resumed: true,
    });
    assert.equal(parseServerLine('{"type":"notice","code":"history_paused","params":{}}')?.type, "notice");
    // A seq that is not a whole number is no place in a log.
    assert.equal(
      (parseServerLine('{"type":"message","from":"a","text":"b","seq":1.5}') as { seq: number }).seq,
      0,
    );
  });
});

/** Feeds server events (as JSON lines, the way they arrive) to a session. */
function feed(s: ClientSession, ...events: object[]): Effect[] {
  return events.flatMap((e) => s.serverLine(JSON.stringify(e)));
}
const sendsOf = (effects: Effect[]) => effects.flatMap((e) => (e.kind === "send" ? [e.request] : []));
const printed = (effects: Effect[]) => effects.flatMap((e) => (e.kind === "print" ? e.lines : []));
const msg = (room: string, seq: number, from: string, text: string, cid?: string) => ({
  type: "message",
  room,
  seq,
  from,
  text,
  at: AT,
  ...(cid ? { cid } : {}),
});

/** A session registered as ana, in #lobby (head 3) and #geral (head 10, current). */
function inTwoRooms(): ClientSession {
  const s = new ClientSession({ name: "ana", formatter: formatter(false), cidPrefix: "c" });
  s.connected();
  feed(
    s,
    { type: "hello", protocol: 1, server: "papo", online: 1 },
    { type: "prompt", need: "name" },
    {
      type: "welcome",
      name: "ana",
      address: null,
      users: [],
      at: AT,
      room: "#lobby",
      epoch: "E",
      token: "TOK",
    },
    { type: "room", room: "#lobby", users: [], epoch: "E", seq: 3, current: true, initial: true },
    { type: "history", room: "#lobby", events: [], more: false, kind: "join" },
    {
      type: "room",
      room: "#geral",
      users: [{ name: "bob", address: null }],
      epoch: "E",
      seq: 10,
      current: true,
    },
    { type: "history", room: "#geral", events: [msg("#geral", 10, "bob", "old")], more: true, kind: "join" },
  );
  return s;
}

describe("client: rooms, reading positions and resume", () => {
  test("the state follows rooms: current, parted, /rooms, users; reading position per room", () => {
    const s = inTwoRooms();
    assert.equal(s.state.current, "#geral");
    assert.deepEqual(
      s.state.rooms.map((r) => [r.name, r.epoch, r.head, r.seen]),
      [
        ["#lobby", "E", 3, 3],
        ["#geral", "E", 10, 10],
      ],
    );
    feed(s, msg("#geral", 11, "bob", "new"), msg("#lobby", 4, "carla", "x"));
    assert.deepEqual(
      s.state.rooms.map((r) => r.seen),
      [4, 11],
    );
    feed(s, { type: "rooms", rooms: [{ room: "#outra", users: 1 }] });
    assert.deepEqual(s.knownRooms, ["#lobby", "#geral", "#outra"]);
    feed(s, { type: "current", room: "#lobby" });
    assert.equal(s.state.current, "#lobby");
    feed(s, { type: "parted", room: "#geral", current: "#lobby" });
    assert.deepEqual(
      s.state.rooms.map((r) => r.name),
      ["#lobby"],
    );
    // A room whose modes refused a resume (a key set meanwhile) is not ours any more.
    const r = inTwoRooms();
    feed(r, { type: "error", code: "room_key", params: { room: "#Geral" }, at: AT });
    assert.deepEqual([r.state.rooms.map((x) => x.name), r.state.current], [["#lobby"], "#lobby"]);
    feed(r, { type: "error", code: "flood", params: { retryMs: 5 }, at: AT });
    assert.deepEqual(
      r.state.rooms.map((x) => x.name),
      ["#lobby"],
    );
    // Another epoch: the store was rebuilt, old numbers mean nothing.
    const t = reduce(INITIAL_STATE, {
      type: "room",
      room: "#r",
      users: [],
      epoch: "E",
      seq: 5,
      current: false,
    });
    const t2 = reduce(reduce(t, { ...msg("#r", 6, "b", "x"), type: "message" } as ServerEvent), {
      type: "room",
      room: "#r",
      users: [],
      epoch: "F",
      seq: 2,
      current: false,
    });
    assert.deepEqual([t2.rooms[0]?.epoch, t2.rooms[0]?.seen, t2.rooms[0]?.head], ["F", 0, 2]);
  });

  test("the prompt shows the room once there is more than the lobby; lines of other rooms are prefixed", () => {
    const s = new ClientSession({ name: "ana", formatter: formatter(false) });
    s.connected();
    const welcome = feed(
      s,
      { type: "prompt", need: "name" },
      { type: "welcome", name: "ana", address: null, users: [], at: AT, room: "#lobby", epoch: "E" },
    );
    assert.deepEqual(
      welcome.find((e) => e.kind === "prompt"),
      { kind: "prompt", mode: "chat", self: "ana" },
    );
    const joined = feed(s, { type: "room", room: "#geral", users: [], epoch: "E", seq: 0, current: true });
    assert.deepEqual(joined.at(-1), { kind: "prompt", mode: "chat", self: "ana", room: "#geral" });
    assert.deepEqual(printed(feed(s, msg("#lobby", 1, "bob", "hi"))), ["09:05 [#lobby] bob: hi"]);
    assert.deepEqual(printed(feed(s, msg("#geral", 1, "bob", "oi"))), ["09:05 bob: oi"]);
    // Our own join is said by the `room` event already.
    assert.deepEqual(
      printed(feed(s, { type: "joined", room: "#geral", seq: 2, name: "ana", address: null, at: AT })),
      [],
    );
  });

  test("history on join is dimmed with its times; /history pages are shown as asked", () => {
    const s = new ClientSession({ name: "ana", formatter: formatter(true) });
    s.connected();
    feed(
      s,
      { type: "prompt", need: "name" },
      { type: "welcome", name: "ana", address: null, users: [], at: AT },
    );
    feed(s, { type: "room", room: "#r", users: [], epoch: "E", seq: 2, current: true });
    const lines = printed(
      feed(s, {
        type: "history",
        room: "#r",
        kind: "join",
        more: false,
        events: [msg("#r", 1, "bob", "first"), msg("#r", 2, "bob", "second")],
      }),
    );
    assert.equal(lines.length, 4);
    assert.ok(
      lines.every((l) => l.includes(`${ESC}[2m`)),
      "dimmed",
    );
    assert.match(lines[1] ?? "", /\[09:05\] .*bob.*: first/);
    const page = printed(
      feed(s, {
        type: "history",
        room: "#r",
        kind: "request",
        more: false,
        events: [msg("#r", 1, "bob", "first")],
      }),
    );
    assert.equal(page.length, 3, "shown again when asked for");
  });

  test("a reconnect resumes (token, each room's epoch and last seq, the current room last) instead of sending the name", () => {
    const s = inTwoRooms();
    feed(s, msg("#lobby", 4, "carla", "x"));
    assert.deepEqual(s.disconnected(), [{ kind: "lost" }]);
    s.connected();
    // The greeting is not shown again.
    assert.deepEqual(feed(s, { type: "hello", protocol: 1, server: "papo", online: 1 }), []);
    assert.deepEqual(sendsOf(feed(s, { type: "prompt", need: "name" })), [
      {
        type: "resume",
        token: "TOK",
        rooms: [
          { room: "#lobby", epoch: "E", seq: 4 },
          { room: "#geral", epoch: "E", seq: 10 },
        ],
      },
    ]);
  });

  test("the replay shows only what was missed, once, as live lines; no banner, no room notices", () => {
    const s = inTwoRooms();
    feed(s, msg("#geral", 11, "bob", "seen before the drop"));
    s.disconnected();
    s.connected();
    feed(s, { type: "prompt", need: "name" });
    const back = feed(
      s,
      {
        type: "welcome",
        name: "ana",
        address: null,
        users: [],
        at: AT,
        room: "#lobby",
        epoch: "E",
        token: "TOK2",
      },
      { type: "room", room: "#lobby", users: [], epoch: "E", seq: 3, current: true, initial: true },
      { type: "history", room: "#lobby", events: [], more: false, kind: "resume" },
      { type: "joined", room: "#lobby", seq: 4, name: "ana", address: null, at: AT },
      { type: "room", room: "#geral", users: [], epoch: "E", seq: 12, current: true },
      {
        type: "history",
        room: "#geral",
        more: false,
        kind: "resume",
        // The server replays from the seq we gave; 11 was on screen already.
        events: [msg("#geral", 11, "bob", "seen before the drop"), msg("#geral", 12, "bob", "missed")],
      },
      msg("#geral", 12, "bob", "missed"),
      msg("#geral", 13, "bob", "live"),
    );
    assert.deepEqual(printed(back), ["09:05 bob: missed", "09:05 bob: live"]);
    assert.equal(s.state.token, "TOK2");
  });

  test("a gap is shown, then the last N as history", () => {
    const s = inTwoRooms();
    s.disconnected();
    s.connected();
    feed(s, { type: "prompt", need: "name" });
    const lines = printed(
      feed(
        s,
        { type: "welcome", name: "ana", address: null, users: [], at: AT, resumed: true },
        { type: "room", room: "#geral", users: [], epoch: "F", seq: 2, current: true },
        { type: "gap", room: "#geral", reason: "epoch", epoch: "F", seq: 2 },
        {
          type: "history",
          room: "#geral",
          more: false,
          kind: "join",
          events: [msg("#geral", 2, "bob", "new world")],
        },
      ),
    );
    assert.equal(lines[0], `09:05 ${en.gap({ room: "#geral", reason: "epoch" })}`);
    assert.match(lines.join("\n"), /\[09:05\] bob: new world/);
  });

  test("every message gets a cid and stays until its echo; what did not come back is resent after the resume", () => {
    const s = inTwoRooms();
    const first = s.input("one");
    assert.deepEqual(sendsOf(first), [{ type: "line", text: "one", cid: "c.1" }]);
    s.input("two");
    s.input("@bob psst");
    s.input("/me waves");
    assert.deepEqual(sendsOf(s.input("/rooms")), [{ type: "line", text: "/rooms" }], "commands carry none");
    assert.deepEqual(s.unconfirmed, ["one", "two", "@bob psst", "/me waves"]);
    // The echo of "one" comes back: the terminal may now erase what was typed.
    const acked = feed(s, msg("#geral", 11, "ana", "one", "c.1"));
    assert.deepEqual(acked[0], { kind: "acked", typed: "one" });
    assert.deepEqual(s.unconfirmed, ["two", "@bob psst", "/me waves"]);
    // The link dies; "two" made it into the log (the replay carries it), the rest did not.
    s.disconnected();
    s.input("typed while offline");
    s.connected();
    feed(s, { type: "prompt", need: "name" });
    const after = feed(
      s,
      { type: "welcome", name: "ana", address: null, users: [], at: AT, resumed: true },
      { type: "room", room: "#geral", users: [], epoch: "E", seq: 12, current: true },
      {
        type: "history",
        room: "#geral",
        more: false,
        kind: "resume",
        events: [msg("#geral", 12, "ana", "two", "c.2")],
      },
    );
    assert.deepEqual(sendsOf(after), [
      // Sent again with their cids and rooms, before the replay is in: the server drops a cid
      // it has logged ("two"), and posts the others.
      { type: "line", text: "two", room: "#geral", cid: "c.2" },
      { type: "line", text: "/me waves", room: "#geral", cid: "c.4" },
      // What was typed offline goes out after, as a new line.
      { type: "line", text: "typed while offline", cid: "c.5" },
    ]);
    // The replay shows "two" (once), and confirms it.
    assert.deepEqual(
      printed(after).filter((l) => l.includes("two")),
      ["09:05 ana: two"],
    );
    // A private message is not logged, so a second copy could not be told apart: not resent.
    assert.ok(
      printed(after).includes(`09:05 ${enClient.maybeNotDelivered({ text: "@bob psst" })}`),
      printed(after).join("\n"),
    );
    assert.ok(after.some((e) => e.kind === "keep" && e.text === "@bob psst"));
    assert.deepEqual(s.unconfirmed, ["/me waves", "typed while offline"]);
  });

  test("an echo settles the lines sent before it on the same connection (they were answered, in order)", () => {
    const s = inTwoRooms();
    s.input("refused by flood control");
    s.input("posted");
    feed(s, { type: "error", code: "flood", params: { retryMs: 500 }, at: AT });
    feed(s, msg("#geral", 11, "ana", "posted", "c.2"));
    assert.deepEqual(s.unconfirmed, []);
  });

  test("a failed resume registers by name and starts from the lobby; what cannot be resent is given back", () => {
    const s = inTwoRooms();
    s.input("pending");
    s.disconnected();
    s.connected();
    assert.equal(sendsOf(feed(s, { type: "prompt", need: "name" }))[0]?.type, "resume");
    const refused = feed(s, { type: "error", code: "resume_failed", params: { reason: "expired" }, at: AT });
    assert.deepEqual(printed(refused), [`09:05 ${en.resumeFailed({ reason: "expired" })}`]);
    assert.deepEqual(sendsOf(feed(s, { type: "prompt", need: "name" })), [{ type: "name", name: "ana" }]);
    assert.deepEqual(
      s.state.rooms.map((r) => r.name),
      [],
    );
    const back = feed(s, { type: "welcome", name: "ana", address: null, users: [], at: AT, room: "#lobby" });
    // It was said in #geral, which this registration is not in: given back, not posted elsewhere.
    assert.deepEqual(sendsOf(back), []);
    assert.ok(back.some((e) => e.kind === "keep" && e.text === "pending"));
    assert.deepEqual(s.unconfirmed, []);
  });

  test("after a fresh registration by resume, the lobby is made current again, quietly", () => {
    const s = inTwoRooms();
    feed(s, { type: "current", room: "#lobby" });
    s.disconnected();
    s.connected();
    const resume = sendsOf(feed(s, { type: "prompt", need: "name" }))[0] as { rooms: { room: string }[] };
    assert.deepEqual(
      resume.rooms.map((r) => r.room),
      ["#geral", "#lobby"],
      "the current room last",
    );
    const back = feed(s, { type: "welcome", name: "ana", address: null, users: [], at: AT });
    assert.deepEqual(sendsOf(back), [{ type: "join", room: "#lobby" }]);
    assert.deepEqual(
      printed(
        feed(
          s,
          { type: "room", room: "#lobby", users: [], epoch: "E", seq: 3, current: true, initial: true },
          { type: "room", room: "#geral", users: [], epoch: "E", seq: 10, current: true },
          { type: "current", room: "#lobby" },
        ),
      ),
      [],
    );
    assert.equal(s.state.current, "#lobby");
  });

  test("offline: Enter on an empty line retries now; /quit leaves and shows what was not sent", () => {
    const s = inTwoRooms();
    s.disconnected();
    assert.deepEqual(s.input(""), [{ kind: "retry" }]);
    s.input("still typing");
    assert.deepEqual(s.input("/quit"), [
      { kind: "print", lines: [`09:05 ${enClient.notSent({ text: "still typing" })}`] },
      { kind: "done", code: 0 },
    ]);
  });
});

describe("client: room completion", () => {
  const rooms = ["#lobby", "#geral", "#Games"];
  test("after /join, /part (and aliases) and on any #word", () => {
    assert.deepEqual(complete("/join #ge", [], "ana", undefined, rooms), [["#geral "], "#ge"]);
    assert.deepEqual(complete("/j ge", [], "ana", undefined, rooms), [["#geral "], "ge"]);
    assert.deepEqual(complete("/part ", [], "ana", undefined, rooms), [["#Games", "#geral", "#lobby"], ""]);
    assert.deepEqual(complete("/entrar #g", [], "ana", undefined, rooms), [["#Games", "#geral"], "#g"]);
    assert.deepEqual(complete("see #lo", [], "ana", undefined, rooms), [["#lobby "], "#lo"]);
    // Not after other commands' arguments, and names still complete elsewhere.
    assert.deepEqual(complete("/nick ", ["bob"], "ana", undefined, rooms), [[], ""]);
    assert.deepEqual(complete("hi b", ["bob"], "ana", undefined, rooms), [["bob "], "b"]);
  });
});

describe("client: heartbeat", () => {
  test("pings an idle server, and calls a link dead when nothing answers; any byte keeps it alive", (t) => {
    t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
    const log: string[] = [];
    const hb = new Heartbeat({
      idleMs: 1000,
      timeoutMs: 500,
      ping: () => log.push("ping"),
      dead: (ms) => log.push(`dead ${ms}`),
    });
    t.mock.timers.tick(900);
    hb.received();
    t.mock.timers.tick(900);
    assert.deepEqual(log, [], "busy: no ping");
    t.mock.timers.tick(100);
    assert.deepEqual(log, ["ping"]);
    hb.received(); // the pong
    t.mock.timers.tick(500);
    assert.deepEqual(log, ["ping"]);
    t.mock.timers.tick(500);
    assert.deepEqual(log, ["ping", "ping"]);
    t.mock.timers.tick(500);
    assert.deepEqual(log, ["ping", "ping", "dead 1500"]);
    hb.stop();
  });
});

describe("issue 13: the terminal client's comforts", () => {
  const bells = (effects: Effect[]) => effects.filter((e) => e.kind === "bell").length;

  test("issue 13 mentions: someone else's message naming you is highlighted and rings once; yours, history and others do not", () => {
    const s = inTwoRooms();
    assert.equal(bells(feed(s, msg("#geral", 11, "bob", "hi @ana"))), 1);
    assert.equal(bells(feed(s, msg("#geral", 12, "bob", "ANA, look"))), 1);
    assert.equal(bells(feed(s, msg("#geral", 13, "bob", "banana"))), 0);
    assert.equal(bells(feed(s, msg("#geral", 14, "ana", "I am ana"))), 0);
    assert.equal(
      bells(feed(s, { type: "action", room: "#geral", seq: 15, from: "bob", text: "waves at ana", at: AT })),
      1,
    );
    assert.equal(bells(feed(s, { type: "private", from: "bob", to: "ana", text: "ana?", at: AT })), 1);
    assert.equal(bells(feed(s, { type: "private", from: "bob", to: "ana", text: "psst", at: AT })), 0);
    // History on joining, or asked for, is not news.
    const old = { type: "history", room: "#geral", events: [msg("#geral", 3, "bob", "ana!")], more: false };
    assert.equal(bells(feed(s, { ...old, kind: "request" })), 0);
    // Highlighted: the sender in reverse video, the text in bold; plain otherwise.
    const c = makeColors(true);
    const f = formatter(true);
    const [hit] = f.event(msg("#geral", 16, "bob", "hi ana") as ServerEvent, "ana");
    assert.ok(
      hit?.includes(c.inverse(paintName(c, "bob"))) && hit.includes(c.bold("hi ana")),
      JSON.stringify(hit),
    );
    const [plain] = f.event(msg("#geral", 17, "bob", "hi anna") as ServerEvent, "ana");
    assert.ok(!plain?.includes(`${ESC}[7m`) && !plain?.includes(c.bold("hi anna")), JSON.stringify(plain));
    const [own] = f.event(msg("#geral", 18, "ana", "ana here") as ServerEvent, "ana");
    assert.ok(!own?.includes(`${ESC}[7m`), JSON.stringify(own));
  });

  test("issue 13 mentions: the missed part of a resume rings once", () => {
    const s = inTwoRooms();
    s.disconnected();
    s.connected();
    feed(s, { type: "prompt", need: "name" });
    const back = feed(
      s,
      {
        type: "welcome",
        name: "ana",
        address: null,
        users: [],
        at: AT,
        room: "#lobby",
        epoch: "E",
        token: "T",
      },
      { type: "room", room: "#geral", users: [], epoch: "E", seq: 12, current: true },
      {
        type: "history",
        room: "#geral",
        more: false,
        kind: "resume",
        events: [msg("#geral", 11, "bob", "ana?"), msg("#geral", 12, "bob", "@ana!")],
      },
    );
    assert.equal(bells(back), 1);
  });

  test("issue 13 layout: given a width, messages wrap with a hanging indent under the text; no width, one line", () => {
    let columns: number | undefined = 30;
    const f = createFormatter({
      colors: makeColors(false),
      chat: en,
      client: enClient,
      now: () => AT,
      width: () => columns,
    });
    const text = "the quick brown fox jumps over the lazy dog";
    assert.deepEqual(f.event(msg("#lobby", 1, "bob", text) as ServerEvent, "ana"), [
      "09:05 bob: the quick brown fox",
      "           jumps over the lazy",
      "           dog",
    ]);
    // Under the text of a private message and an action, too.
    columns = 36;
    assert.deepEqual(f.event({ type: "private", from: "bob", to: "ana", text, at: AT }, "ana"), [
      "09:05 » bob (private): the quick",
      "                       brown fox",
      "                       jumps over",
      "                       the lazy dog",
    ]);
    assert.deepEqual(
      f.event(
        { type: "action", room: "#lobby", seq: 2, from: "bob", text: "waves at everyone here today", at: AT },
        "ana",
      ),
      ["09:05 * bob waves at everyone here", "            today"],
    );
    // A head that leaves the text fewer than 10 columns: the whole line wraps, no indent.
    columns = 30;
    assert.deepEqual(f.event({ type: "private", from: "bob", to: "ana", text, at: AT }, "ana"), [
      "09:05 » bob (private): the",
      "quick brown fox jumps over the",
      "lazy dog",
    ]);
    // A resize applies to the next line.
    columns = 40;
    assert.deepEqual(f.event(msg("#lobby", 3, "bob", text) as ServerEvent, "ana"), [
      "09:05 bob: the quick brown fox jumps",
      "           over the lazy dog",
    ]);
    // Status lines wrap under their text; rows joined by a line end.
    columns = 24;
    assert.equal(
      f.status("*** one two three four five six", AT),
      "09:05 *** one two three\n      four five six",
    );
    columns = undefined;
    assert.deepEqual(f.event(msg("#lobby", 4, "bob", text) as ServerEvent, "ana"), [`09:05 bob: ${text}`]);
  });

  test("issue 13 Tab on an empty line: 'name: ', then the next name on each Tab, round again; other completion unchanged", () => {
    const users = ["ana", "Bob", "bruna", "carla"];
    assert.deepEqual(complete("", users, "ana"), [["Bob: "], ""]);
    assert.deepEqual(complete("Bob: ", users, "ana"), [["bruna: "], "Bob: "]);
    assert.deepEqual(complete("bruna: ", users, "ana"), [["carla: "], "bruna: "]);
    assert.deepEqual(complete("carla: ", users, "ana"), [["Bob: "], "carla: "]);
    // Typed in another case, it still cycles; not a name here, or more text: no cycling.
    assert.deepEqual(complete("bob: ", users, "ana"), [["bruna: "], "bob: "]);
    assert.deepEqual(complete("note: ", users, "ana"), [[], ""]);
    assert.deepEqual(complete("Bob: hi ", users, "ana"), [[], ""]);
    // Alone, or with one other person.
    assert.deepEqual(complete("", ["ana"], "ana"), [[], ""]);
    assert.deepEqual(complete("", ["ana", "bob"], "ana"), [["bob: "], ""]);
    assert.deepEqual(complete("bob: ", ["ana", "bob"], "ana"), [[], "bob: "]);
    // The existing completion: a name prefix at the start of the line, commands, @names.
    assert.deepEqual(complete("car", users, "ana"), [["carla "], "car"]);
    assert.deepEqual(complete("/qu", users), [["/quit "], "/qu"]);
    assert.deepEqual(complete("@c", users, "ana"), [["@carla "], "@c"]);
  });

  test("issue 13 --no-bell", () => {
    const on = parseConnectArgs(["host"], {});
    const off = parseConnectArgs(["host", "--no-bell"], {});
    assert.ok(on.ok && on.options.bell === true);
    assert.ok(off.ok && off.options.bell === false);
    assert.match(enClient.usage, /--no-bell/);
    assert.match(clientTexts("pt-BR").usage, /--no-bell/);
  });
});

describe("client: away (issue 13)", () => {
  const printed = (effects: Effect[]) => effects.flatMap((e) => (e.kind === "print" ? e.lines : []));
  const registered = (lang: "en" | "pt-BR" = "en") => {
    const s = new ClientSession({ name: "ana", formatter: formatter(false, lang) });
    s.connected();
    const ev = (e: object) => printed(s.serverLine(JSON.stringify(e)));
    ev({ type: "prompt", need: "name" });
    ev({ type: "welcome", name: "ana", address: null, users: [{ name: "ana", address: null }], at: AT });
    return ev;
  };

  test("the away event is parsed and shown: you are away, you are back, NAME is away", () => {
    assert.deepEqual(
      parseServerLine('{"type":"away","name":"bob","away":true,"text":"lunch\\u001b[2J","at":1}'),
      {
        type: "away",
        name: "bob",
        away: true,
        text: "lunch",
        at: 1,
      },
    );
    assert.equal(parseServerLine('{"type":"away","name":"bob","away":"yes","at":1}'), undefined);
    const ev = registered();
    assert.deepEqual(ev({ type: "away", name: "ana", away: true, text: "lunch", at: AT }), [
      "09:05 * You are away: lunch",
    ]);
    assert.deepEqual(ev({ type: "away", name: "ana", away: true, text: "", at: AT }), [
      "09:05 * You are away.",
    ]);
    assert.deepEqual(ev({ type: "away", name: "ana", away: false, at: AT }), ["09:05 * You are back."]);
    assert.deepEqual(ev({ type: "away", name: "bob", away: true, text: "brb", at: AT }), [
      "09:05 * bob is away: brb",
    ]);
    const pt = registered("pt-BR");
    assert.deepEqual(pt({ type: "away", name: "bob", away: true, text: "almoço", at: AT }), [
      "09:05 * bob está ausente: almoço",
    ]);
    assert.deepEqual(pt({ type: "away", name: "ana", away: false, at: AT }), ["09:05 * Você voltou."]);
  });

  test("/users marks who is away, with their message", () => {
    const ev = registered();
    const users = [
      { name: "ana", address: null },
      { name: "bob", address: null, away: "lunch" },
      { name: "cy", address: null, away: "" },
    ];
    assert.deepEqual(ev({ type: "users", users }), [
      "09:05 * Online (3): ana, bob, cy",
      "      *   ana",
      "      *   bob — away: lunch",
      "      *   cy — away",
    ]);
  });
});
