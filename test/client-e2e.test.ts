/**
 * S12 and issue 2 item 7 end to end: `papo connect` as a child process (stdin piped, so it runs
 * in line mode) against a real server on port 0, next to raw TCP users.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { PRIVATE_MARKER } from "../src/client/format.ts";
import {
  ClientProcess,
  closedPort,
  FakeServer,
  kick,
  RawUser,
  ServerProcess,
  startChatServer,
  TcpProxy,
} from "./client-helpers.ts";
import { haveOpenssl, makeSelfSignedCert } from "./fault-helpers.ts";

const ESC = "\x1b";
const TIME = String.raw`\d\d:\d\d`;
const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function track<T extends { kill?: () => void; close?: () => unknown }>(x: T): T {
  cleanups.push(() => (x.kill ? x.kill() : x.close?.()));
  return x;
}

// Each test has its own server and client processes, so they can run side by side.
describe("S12 terminal client (papo connect)", { concurrency: 4 }, () => {
  test("S12 client: joins, sees a raw user's message, sends public and private messages, /quit exits 0", async () => {
    const server = await startChatServer();
    cleanups.push(() => server.close());
    const bob = track(await RawUser.join(server.port, "bob"));
    const ana = track(new ClientProcess([`127.0.0.1:${server.port}`, "--name", "ana", "--no-color"]));

    await ana.waitFor(new RegExp(`^${TIME} \\* Hello, ana! You are connected from 127\\.0\\.0\\.1:\\d+\\.$`));
    await ana.waitFor("* Online (2): bob, ana");
    await bob.waitFor(/^\* ana joined from 127\.0\.0\.1:\d+$/);

    bob.send("hi ana, ça va?");
    await ana.waitFor(new RegExp(`^${TIME} bob: hi ana, ça va\\?$`));

    ana.send("hello bob");
    assert.equal(await bob.waitFor("ana: hello bob"), "ana: hello bob");
    // Your own public message is shown too (the server echoes it to json clients).
    await ana.waitFor(new RegExp(`^${TIME} ana: hello bob$`));

    ana.send("@bob psst");
    await bob.waitFor("ana (private): psst");
    await ana.waitFor(new RegExp(`^${TIME} ${PRIVATE_MARKER} -> bob \\(private\\): psst$`));

    bob.send("@ana secret");
    await ana.waitFor(new RegExp(`^${TIME} ${PRIVATE_MARKER} bob \\(private\\): secret$`));

    ana.send("@nobody hi");
    await ana.waitFor("! No user named nobody is online.");

    ana.send("/quit");
    await ana.waitFor("*** Goodbye.");
    assert.equal(await ana.exitCode(), 0);
    await bob.waitFor("* ana left");
    assert.ok(!ana.stdoutRaw.includes(ESC), "no escape sequences with --no-color");
    assert.equal(ana.stderr.lines.length, 0, ana.stderr.lines.join("\n"));
  });

  test("S12 client: asks for a name when none is given and asks again after each refusal", async () => {
    const server = await startChatServer();
    cleanups.push(() => server.close());
    track(await RawUser.join(server.port, "bob"));
    const c = track(new ClientProcess([`127.0.0.1:${server.port}`]));
    await c.waitFor("* Choose a name:");
    c.send("Ana Maria");
    await c.waitFor("! Invalid name: it contains a space. Use _ or write it all together.");
    c.send("BOB");
    await c.waitFor(/The name BOB is already in use/);
    c.send("Notebook_Mãe");
    await c.waitFor("* Hello, Notebook_Mãe!");
    // End of input (Ctrl-D on a terminal) leaves like /quit.
    c.endInput();
    await c.waitFor("*** Goodbye.");
    assert.equal(await c.exitCode(), 0);
    // Not a terminal and no --no-color: still no escapes.
    assert.ok(!c.stdoutRaw.includes(ESC));
  });

  test("S12 client: /sair alias, Portuguese texts, piped input sent in order after registration", async () => {
    const server = await startChatServer();
    cleanups.push(() => server.close());
    const bob = track(await RawUser.join(server.port, "bob"));
    const c = track(
      new ClientProcess([`127.0.0.1:${server.port}`, "--name", "carla", "--lang", "pt-BR", "--no-color"]),
    );
    // Written at once, before the client is even connected: queued, then sent in order.
    c.send("um");
    c.send("dois");
    c.send("/sair até logo");
    await bob.waitFor("carla: um");
    await bob.waitFor("carla: dois");
    await bob.waitFor(/carla left: até logo/);
    await c.waitFor("*** Você saiu do chat.");
    assert.ok(c.lines.some((l) => l.includes("Olá, carla!")));
    assert.equal(await c.exitCode(), 0);
  });

  test("S12 client: no server -> one line naming host:port and the reason, exit 1", async () => {
    const port = await closedPort();
    const c = track(new ClientProcess([`127.0.0.1:${port}`, "--name", "x"]));
    assert.equal(await c.exitCode(), 1);
    assert.deepEqual(c.lines, []);
    assert.deepEqual(c.stderr.lines, [
      `papo: cannot connect to 127.0.0.1:${port}: connection refused (is the server running, and on this port?)`,
    ]);
    const pt = track(new ClientProcess([`:${port}`, "--lang", "pt-BR"]));
    assert.equal(await pt.exitCode(), 1);
    assert.equal(pt.stderr.lines.length, 1);
    assert.match(pt.stderr.lines[0] ?? "", new RegExp(`não foi possível conectar a localhost:${port}: `));
  });

  test("S12 client: a bad option or address is one line and exit 2", async () => {
    const c = track(new ClientProcess(["host:99999"]));
    assert.equal(await c.exitCode(), 2);
    assert.equal(c.stderr.lines.length, 1);
    assert.match(c.stderr.lines[0] ?? "", /bad port "99999"/);
  });

  test("S11/S12 client: the server shutting down shows the reason and exits 0 (--no-reconnect)", async () => {
    const server = await startChatServer();
    // Closed below; this one is for a failure before that (a listener left open keeps the file's
    // process alive after its tests).
    cleanups.push(() => server.close());
    const c = track(
      new ClientProcess([`127.0.0.1:${server.port}`, "--name", "ana", "--no-color", "--no-reconnect"]),
    );
    await c.waitFor("* Hello, ana!");
    await server.close("maintenance");
    await c.waitFor(new RegExp(`^${TIME} \\*\\*\\* The server is shutting down: maintenance$`));
    assert.equal(await c.exitCode(), 0);
  });

  test("S12 client: kicked by the operator shows the reason and exits 1", async () => {
    const server = await startChatServer();
    cleanups.push(() => server.close());
    const c = track(new ClientProcess([`127.0.0.1:${server.port}`, "--name", "ana", "--no-color"]));
    await c.waitFor("* Hello, ana!");
    assert.ok(kick(server, "ana", "be nice"));
    await c.waitFor("*** You were removed by the operator: be nice");
    assert.equal(await c.exitCode(), 1);
  });

  test("S12 client: the server goes away without bye -> says so and exits 1 (--no-reconnect)", async () => {
    const fake = track(await new FakeServer((s) => setTimeout(() => s.destroy(), 50)).listen());
    const c = track(new ClientProcess([`127.0.0.1:${fake.port}`, "--name", "ana", "--no-reconnect"]));
    await c.waitFor(`*** The connection to 127.0.0.1:${fake.port} was lost.`);
    assert.equal(await c.exitCode(), 1);
    assert.equal(c.stderr.lines.length, 0);
  });

  test("S12 client: strips escape and control sequences from what the server sends", async () => {
    const fake = track(
      await new FakeServer((s) => {
        const evil = `hi${ESC}[2J${ESC}]0;owned\x07 there\r`;
        s.write(
          `${JSON.stringify({ type: "message", from: `m${ESC}[31mallory`, text: evil, at: Date.now() })}\n`,
        );
        s.write(`${JSON.stringify({ type: "bye", reason: "shutdown", at: Date.now() })}\n`);
      }).listen(),
    );
    const c = track(
      new ClientProcess([`127.0.0.1:${fake.port}`, "--name", "ana", "--no-color", "--no-reconnect"]),
    );
    await c.waitFor(new RegExp(`^${TIME} mallory: hi there$`));
    assert.equal(await c.exitCode(), 0);
    assert.ok(!c.stdoutRaw.includes(ESC) && !c.stdoutRaw.includes("\x07") && !c.stdoutRaw.includes("\r"));
    // The client spoke json mode: hello first, then the name.
    assert.deepEqual(
      fake.received.slice(0, 2).map((l) => JSON.parse(l)),
      [
        { type: "hello", protocol: 1 },
        { type: "name", name: "ana" },
      ],
    );
  });

  test("S12 client: reconnects after a drop, resumes with the same name, no second banner", async () => {
    const server = await startChatServer();
    cleanups.push(() => server.close());
    const proxy = track(await new TcpProxy(server.port).listen());
    const bob = track(await RawUser.join(server.port, "bob"));
    const c = track(
      new ClientProcess([`127.0.0.1:${proxy.port}`, "--name", "ana", "--no-color"], {
        PAPO_RECONNECT_DELAY_MS: "50",
      }),
    );
    await c.waitFor("* Hello, ana!");
    const mark = bob.lines.length;
    proxy.cut();
    await c.waitFor(`*** The connection to 127.0.0.1:${proxy.port} was lost.`);
    await c.waitFor(
      /\*\*\* Reconnecting to 127\.0\.0\.1:\d+ in 0\.1 s \(attempt 1; Enter on an empty line tries now\)\.\.\./,
    );
    await c.waitFor(`*** Reconnected to 127.0.0.1:${proxy.port}.`);
    await bob.waitFor("* ana lost the connection", mark);
    await bob.waitFor(/\* ana joined/, mark + 1);
    c.send("back again");
    await bob.waitFor("ana: back again");
    await c.waitFor(new RegExp(`^${TIME} ana: back again$`));
    // Resumed, not registered anew: one banner, and no name asked for.
    assert.equal(c.lines.filter((l) => l.includes("Hello, ana!")).length, 1, c.lines.join("\n"));
    assert.ok(!c.lines.some((l) => l.includes("Choose a name")));
    c.send("/quit");
    assert.equal(await c.exitCode(), 0);
  });

  test("issue 10 item 3 client: keeps retrying past any count until the user quits; what was typed is kept", async () => {
    const fake = track(await new FakeServer().listen());
    const c = track(
      new ClientProcess([`127.0.0.1:${fake.port}`, "--name", "ana"], { PAPO_RECONNECT_DELAY_MS: "10" }),
    );
    await c.waitFor("* Hello, ana!");
    await fake.close(); // drops the connection and stops listening
    await c.waitFor("(attempt 8;");
    c.send("typed while offline");
    c.send("/quit");
    await c.waitFor("*** Not sent: typed while offline");
    assert.equal(await c.exitCode(), 0);
  });

  test("item 8 client: a server password is asked for and sent, or taken from PAPO_PASSWORD", async () => {
    const server = await startChatServer({ password: "s3cret pass" });
    cleanups.push(() => server.close());
    const typed = track(new ClientProcess([`127.0.0.1:${server.port}`, "--name", "ana"]));
    await typed.waitFor("* This server needs a password:");
    typed.send("s3cret pass");
    await typed.waitFor("* Hello, ana!");
    const fromEnv = track(
      new ClientProcess([`127.0.0.1:${server.port}`, "--name", "bob"], { PAPO_PASSWORD: "s3cret pass" }),
    );
    await fromEnv.waitFor("* Hello, bob!");
    assert.ok(!fromEnv.lines.some((l) => l.includes("needs a password")));
    const wrong = track(
      new ClientProcess([`127.0.0.1:${server.port}`, "--name", "eve"], { PAPO_PASSWORD: "guess" }),
    );
    await wrong.waitFor("*** Wrong password.");
    assert.equal(await wrong.exitCode(), 1);
    typed.send("/quit");
    fromEnv.send("/quit");
    assert.equal(await typed.exitCode(), 0);
    assert.equal(await fromEnv.exitCode(), 0);
  });

  test("issue 4 item 7 client: --tls verifies the certificate; --ca trusts it; the plain port is named", {
    skip: haveOpenssl() ? false : "openssl is not installed (needed to make a test certificate)",
  }, async () => {
    const cert = makeSelfSignedCert();
    const server = await startChatServer({ tls: { cert: cert.cert, key: cert.key, port: 0 } });
    cleanups.push(() => server.close());
    const tlsPort = server.tlsAddress?.port;
    assert.ok(tlsPort);
    const untrusted = track(new ClientProcess([`127.0.0.1:${tlsPort}`, "--tls", "--name", "x"]));
    assert.equal(await untrusted.exitCode(), 1);
    assert.equal(untrusted.stderr.lines.length, 1);
    assert.match(untrusted.stderr.lines[0] ?? "", /cannot connect to 127\.0\.0\.1:\d+: .*not trusted.*--ca/);
    const plain = track(
      new ClientProcess([`127.0.0.1:${server.port}`, "--tls", "--insecure", "--name", "x"]),
    );
    assert.equal(await plain.exitCode(), 1);
    assert.match(plain.stderr.lines.join("\n"), /does not speak TLS on this port/);
    const ok = track(
      new ClientProcess([`127.0.0.1:${tlsPort}`, "--tls", "--ca", cert.certFile, "--name", "sec"]),
    );
    await ok.waitFor("* Hello, sec!");
    ok.send("/quit");
    assert.equal(await ok.exitCode(), 0);
  });

  test("S12 client: a port that is not a papo server, or a refusal before the greeting, is one line and exit 1", async () => {
    const other = track(
      net.createServer((sock) => {
        sock.on("error", () => {});
        sock.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      }),
    );
    const full = track(
      net.createServer((sock) => {
        sock.on("error", () => {});
        sock.end("*** The server is full; try again later.\n");
      }),
    );
    const ports = await Promise.all(
      [other, full].map(
        (srv) =>
          new Promise<number>((r) =>
            srv.listen(0, "127.0.0.1", () => r((srv.address() as net.AddressInfo).port)),
          ),
      ),
    );
    const a = track(new ClientProcess([`127.0.0.1:${ports[0]}`, "--name", "x"]));
    const b = track(new ClientProcess([`127.0.0.1:${ports[1]}`, "--name", "x"]));
    assert.equal(await a.exitCode(), 1);
    assert.deepEqual(a.stderr.lines, [
      `papo: cannot connect to 127.0.0.1:${ports[0]}: the server closed the connection`,
    ]);
    assert.equal(await b.exitCode(), 1);
    assert.deepEqual(b.stderr.lines, [
      `papo: cannot connect to 127.0.0.1:${ports[1]}: The server is full; try again later.`,
    ]);
  });
});

/**
 * Presses Enter on an empty line (offline: "try now") until `reconnected` shows, so a test does
 * not wait out a back-off that grew while the server was starting.
 */
async function reconnectNow(c: ClientProcess, reconnected: string, from: number): Promise<void> {
  const timer = setInterval(() => c.send(""), 300);
  try {
    await c.waitFor(reconnected, from);
  } finally {
    clearInterval(timer);
  }
}

describe("issue 14 / issue 10 item 3: rooms, history and resume in the terminal client", {
  concurrency: 1,
}, () => {
  test("issue 14 client: /join, /part, /rooms, /history, /topic; other rooms' lines prefixed", async () => {
    const server = await startChatServer({}, { historyOnJoin: 50, floodBurst: 100 });
    cleanups.push(() => server.close());
    const bob = track(await RawUser.join(server.port, "bob"));
    const carla = track(await RawUser.join(server.port, "carla"));
    bob.send("/join #outra");
    await bob.waitFor("* You are in #outra");
    bob.send("said before ana came");
    const ana = track(new ClientProcess([`127.0.0.1:${server.port}`, "--name", "ana", "--no-color"]));
    await ana.waitFor("* Hello, ana!");

    ana.send("/join #geral");
    await ana.waitFor(new RegExp(`^${TIME} \\* You are in #geral\\.$`));
    const mark = bob.lines.length;
    bob.send("/join #geral");
    await bob.waitFor("* You are in #geral", mark);
    await ana.waitFor(new RegExp(`^${TIME} \\* bob joined from 127\\.0\\.0\\.1:\\d+$`));
    bob.send("oi ana");
    await ana.waitFor(new RegExp(`^${TIME} bob: oi ana$`));
    ana.send("oi bob");
    await bob.waitFor("ana: oi bob");
    // The lobby is not ana's current room any more: its lines say where they come from.
    carla.send("lobby talk");
    await ana.waitFor(new RegExp(`^${TIME} \\[#lobby\\] carla: lobby talk$`));

    ana.send("/topic planning");
    await ana.waitFor(new RegExp(`^${TIME} \\* ana set the topic: planning$`));
    ana.send("/rooms");
    await ana.waitFor(/^\d\d:\d\d \* Rooms \(3\):$/);
    await ana.waitFor("*   #geral: 2 people — planning");
    await ana.waitFor("*   #outra: 1 person");

    // History on join: what was said before, each line with its time, between two markers.
    ana.send("/join #outra");
    await ana.waitFor("* History of #outra, the last 1 event:");
    await ana.waitFor(new RegExp(`^ +\\[${TIME}\\] bob: said before ana came$`));
    await ana.waitFor("* --- end of history ---");
    ana.send("/history 10");
    const req = await ana.waitFor(
      "* History of #outra, the last 1 event:",
      ana.lines.indexOf("* --- end of history ---") + 1,
    );
    assert.ok(req);

    ana.send("/part");
    await ana.waitFor(new RegExp(`^${TIME} \\* You left #outra; now talking in #geral\\.$`));
    ana.send("/part #geral");
    await ana.waitFor("* You left #geral; now talking in #lobby.");
    ana.send("back in the lobby");
    await carla.waitFor("ana: back in the lobby");
    ana.send("/part");
    await ana.waitFor("! This is the last room you are in; to leave the chat, use /quit.");
    ana.send("/quit");
    assert.equal(await ana.exitCode(), 0);
    // Nothing ana saw twice: each of these once.
    for (const l of ["bob: oi ana", "carla: lobby talk", "ana: oi bob"])
      assert.equal(ana.lines.filter((x) => x.endsWith(l)).length, 1, l);
  });

  test("issue 14 / issue 10 item 3 client: the server killed (-9) and restarted on its data: resume, same name, nothing lost or twice", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "papo-client-e2e-"));
    const server = new ServerProcess(dataDir, ["--limit", "historyOnJoin=0"]);
    cleanups.push(async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    await server.start();
    const proxy = track(await new TcpProxy(server.port).listen());
    let bob = track(await RawUser.join(server.port, "bob"));
    const ana = track(
      new ClientProcess([`127.0.0.1:${proxy.port}`, "--name", "ana", "--no-color"], {
        PAPO_RECONNECT_DELAY_MS: "100",
      }),
    );
    await ana.waitFor("* Hello, ana!");
    ana.send("/join #sala");
    await ana.waitFor("* You are in #sala");
    bob.send("/join #sala");
    await ana.waitFor("* bob joined");
    bob.send("before the crash");
    await ana.waitFor("bob: before the crash");

    // The server gets this line and posts it, but its echo never reaches ana...
    proxy.dropDown = true;
    ana.send("posted but not confirmed");
    await bob.waitFor("ana: posted but not confirmed");
    // ...and this one never reaches the server.
    proxy.dropUp = true;
    ana.send("lost on the way");
    // Crash. While the server is away, ana types a line.
    proxy.blocked = true;
    await server.stop("SIGKILL");
    await ana.waitFor(`*** The connection to 127.0.0.1:${proxy.port} was lost.`);
    ana.send("typed while the server was down");

    await server.start(); // same port, same data
    bob = track(await RawUser.join(server.port, "bob"));
    bob.send("/join #sala");
    await bob.waitFor("* You are in #sala");
    bob.send("said during the outage");
    proxy.dropDown = false;
    proxy.dropUp = false;
    proxy.blocked = false;
    await reconnectNow(ana, `*** Reconnected to 127.0.0.1:${proxy.port}.`, ana.lines.length);
    await ana.waitFor(new RegExp(`^${TIME} bob: said during the outage$`));
    await bob.waitFor("ana: lost on the way");
    await bob.waitFor("ana: typed while the server was down");
    ana.send("after the resume");
    await bob.waitFor("ana: after the resume");
    await ana.waitFor(new RegExp(`^${TIME} ana: after the resume$`));

    const once = (lines: string[], text: string) =>
      assert.equal(lines.filter((l) => l.endsWith(text)).length, 1, `${text}:\n${lines.join("\n")}`);
    // Everything once on ana's screen (the replay and the live lines do not overlap)...
    for (const t of [
      "bob: before the crash",
      "ana: posted but not confirmed",
      "bob: said during the outage",
      "ana: lost on the way",
      "ana: typed while the server was down",
    ])
      once(ana.lines, t);
    // ...and for the others: the resent line that had been posted is not posted again.
    for (const t of ["ana: lost on the way", "ana: typed while the server was down", "ana: after the resume"])
      once(bob.lines, t);
    assert.ok(!bob.lines.some((l) => l.includes("ana: posted but not confirmed")), bob.lines.join("\n"));
    // The same name, without being asked, and no second banner.
    assert.ok(!ana.lines.some((l) => l.includes("Choose a name")));
    assert.equal(ana.lines.filter((l) => l.includes("Hello, ana!")).length, 1);
    // Still in #sala, and it is still the current room.
    bob.send("still here?");
    await ana.waitFor(new RegExp(`^${TIME} bob: still here\\?$`));

    // An operator's restart (SIGTERM: bye shutdown) is retried as well.
    await server.stop("SIGTERM");
    await ana.waitFor("*** The server is shutting down");
    await server.start();
    bob = track(await RawUser.join(server.port, "bob"));
    bob.send("/join #sala");
    await reconnectNow(
      ana,
      `*** Reconnected to 127.0.0.1:${proxy.port}.`,
      ana.lines.findIndex((l) => l.includes("shutting down")),
    );
    bob.send("after the restart");
    await ana.waitFor(new RegExp(`^${TIME} bob: after the restart$`));
    ana.send("/quit");
    assert.equal(await ana.exitCode(), 0);
  });

  test("issue 10 item 3 client: a dead link (nothing passes, nothing closes) is noticed by ping, and the session taken back", async () => {
    const server = await startChatServer();
    cleanups.push(() => server.close());
    const proxy = track(await new TcpProxy(server.port).listen());
    const bob = track(await RawUser.join(server.port, "bob"));
    const ana = track(
      new ClientProcess([`127.0.0.1:${proxy.port}`, "--name", "ana", "--no-color"], {
        PAPO_RECONNECT_DELAY_MS: "50",
        PAPO_PING_MS: "300",
        PAPO_PING_TIMEOUT_MS: "300",
      }),
    );
    await ana.waitFor("* Hello, ana!");
    const mark = bob.lines.length;
    proxy.freeze();
    ana.send("sent into the void");
    await ana.waitFor(/\*\*\* No answer from 127\.0\.0\.1:\d+ for \d+ s: the connection is dead\./);
    await ana.waitFor(`*** Reconnected to 127.0.0.1:${proxy.port}.`);
    // The server still holds the old, half-open connection: the resume takes its place, so the
    // others see neither a leave nor a join, and the line is posted once.
    await bob.waitFor("ana: sent into the void", mark);
    bob.send("welcome back");
    await ana.waitFor(new RegExp(`^${TIME} bob: welcome back$`));
    assert.ok(!bob.lines.slice(mark).some((l) => /ana (left|lost|joined)/.test(l)), bob.lines.join("\n"));
    assert.equal(bob.lines.filter((l) => l === "ana: sent into the void").length, 1);
    proxy.release();
    ana.send("/quit");
    assert.equal(await ana.exitCode(), 0);
  });
});
