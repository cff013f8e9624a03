/**
 * S12 and issue 2 item 7 end to end: `papo connect` as a child process (stdin piped, so it runs
 * in line mode) against a real server on port 0, next to raw TCP users.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, describe, test } from "node:test";
import { PRIVATE_MARKER } from "../src/client/format.ts";
import {
  ClientProcess,
  closedPort,
  FakeServer,
  kick,
  RawUser,
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

  test("S11/S12 client: the server shutting down shows the reason and exits 0", async () => {
    const server = await startChatServer();
    const c = track(new ClientProcess([`127.0.0.1:${server.port}`, "--name", "ana", "--no-color"]));
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
    const c = track(new ClientProcess([`127.0.0.1:${fake.port}`, "--name", "ana", "--no-color"]));
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

  test("S12 client: reconnects after a drop and claims the same name again", async () => {
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
    await c.waitFor(/\*\*\* Reconnecting to 127\.0\.0\.1:\d+ in 0\.1 s \(attempt 1 of 5\)\.\.\./);
    await c.waitFor(`*** Reconnected to 127.0.0.1:${proxy.port}.`);
    const from = c.lines.findIndex((l) => l.includes("Reconnected"));
    await c.waitFor("* Hello, ana!", from);
    await bob.waitFor("* ana lost the connection", mark);
    await bob.waitFor(/\* ana joined/, mark + 1);
    c.send("back again");
    await bob.waitFor("ana: back again");
    c.send("/quit");
    assert.equal(await c.exitCode(), 0);
  });

  test("S12 client: gives up after the reconnect attempts and exits 1", async () => {
    const fake = track(await new FakeServer().listen());
    const c = track(
      new ClientProcess([`127.0.0.1:${fake.port}`, "--name", "ana"], { PAPO_RECONNECT_DELAY_MS: "10" }),
    );
    await c.waitFor("* Hello, ana!");
    await fake.close(); // drops the connection and stops listening
    await c.waitFor("attempt 5 of 5");
    await c.waitFor(`*** Could not reconnect to 127.0.0.1:${fake.port}: connection refused`);
    assert.equal(await c.exitCode(), 1);
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
