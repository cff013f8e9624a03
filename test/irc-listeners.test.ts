/**
 * Issue 11, the IRC listeners: IRC on by default (6667 when free, a warning when busy, `--no-irc`,
 * an explicit busy port stops the start), IRC over TLS (`--irc-tls-port`, 6697 by default with a
 * certificate) under the TLS port's admission rules, the start-up banner's irc:// and ircs://
 * addresses, and the operator console reaching IRC users (/kick as KICK, /shutdown's reason in
 * ERROR). Real sockets, real child processes; no test needs 6667 or 6697 to be free.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import irc, { type Client as IrcFrameworkClient, type MessageEvent } from "irc-framework";
import { catalogue } from "../src/i18n/index.ts";
import { ircCatalogue } from "../src/i18n/irc.ts";
import { hostPort, lanAddresses } from "../src/server/addresses.ts";
import { runConsoleLine } from "../src/server/console.ts";
import { DEFAULT_IRC_PORT, DEFAULT_IRC_TLS_PORT } from "../src/server/server.ts";
import { haveOpenssl, makeSelfSignedCert } from "./fault-helpers.ts";
import { sleep, startTestServer, type TestServer, TextClient } from "./helpers.ts";
import { IrcClient } from "./irc-helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OPENSSL = haveOpenssl();
const WAIT = 10_000;

/** An IRC client over TLS (trusting `ca`): lines in, lines out. */
class TlsIrcClient {
  readonly socket: tls.TLSSocket;
  readonly lines: string[] = [];
  readonly ready: Promise<void>;
  #partial = "";
  closed = false;

  constructor(port: number, ca: Buffer, localAddress?: string) {
    this.socket = tls.connect({
      host: "127.0.0.1",
      port,
      ca,
      servername: "localhost",
      ...(localAddress ? { localAddress } : {}),
    });
    this.socket.setEncoding("utf8");
    this.ready = new Promise((resolve, reject) => {
      this.socket.once("secureConnect", resolve);
      this.socket.once("error", reject);
    });
    this.socket.on("data", (d: string) => {
      const parts = (this.#partial + d).split("\n");
      this.#partial = parts.pop() ?? "";
      for (const p of parts) this.lines.push(p.replace(/\r$/, ""));
    });
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      this.closed = true;
    });
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  async waitFor(pattern: RegExp, ms = WAIT): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.lines.find((l) => pattern.test(l));
      if (hit !== undefined) return hit;
      if (Date.now() > deadline)
        throw new Error(`no line matching ${pattern}; got:\n${this.lines.join("\n")}`);
      await sleep(20);
    }
  }

  static async register(
    port: number,
    ca: Buffer,
    nick: string,
    localAddress?: string,
  ): Promise<TlsIrcClient> {
    const c = new TlsIrcClient(port, ca, localAddress);
    await c.ready;
    c.send(`NICK ${nick}`);
    c.send(`USER ${nick} 0 * :${nick}`);
    // IRC clients choose their channels: these meet in the lobby.
    await c.waitFor(new RegExp(` 376 ${nick} `));
    c.send("JOIN #lobby");
    await c.waitFor(new RegExp(` 366 ${nick} #lobby `));
    return c;
  }

  close(): void {
    this.socket.destroy();
  }
}

describe("IRC over TLS (issue 11)", { skip: OPENSSL ? false : "openssl is not installed" }, () => {
  let cert: ReturnType<typeof makeSelfSignedCert>;
  let server: TestServer;
  let port: number;
  before(async () => {
    cert = makeSelfSignedCert();
    server = await startTestServer({
      ircPort: 0,
      ircTlsPort: 0,
      tls: { cert: cert.cert, key: cert.key, port: 0 },
    });
    port = server.ircTlsAddress?.port ?? 0;
    assert.ok(port > 0, "the IRC TLS listener is up");
  });
  after(() => server.close());

  it("a TLS IRC client registers, verifies the certificate and talks with nc and plain IRC users", async () => {
    const secure = await TlsIrcClient.register(port, cert.cert, "tls_ana");
    assert.equal(secure.socket.authorized, true);
    assert.ok(secure.socket.getProtocol()?.startsWith("TLSv1."));
    const plain = await IrcClient.register(server.ircAddress?.port ?? 0, "plain_bia");
    const nc = await TextClient.join(server.port, "nc_caio");
    secure.send("PRIVMSG #lobby :oi pelo TLS");
    await nc.waitFor("tls_ana: oi pelo TLS");
    await plain.waitFor(/^:tls_ana!papo@127\.0\.0\.1 PRIVMSG #lobby :oi pelo TLS$/);
    nc.send("olá de volta\n");
    await secure.waitFor(/^:nc_caio!papo@127\.0\.0\.1 PRIVMSG #lobby :olá de volta$/);
    for (const c of [secure, plain, nc]) c.close();
  });

  it("irc-framework 4.14 connects with tls: true", async () => {
    const client = new irc.Client();
    const options = {
      host: "127.0.0.1",
      port,
      nick: "fw_tls",
      username: "fw_tls",
      gecos: "fw_tls",
      auto_reconnect: false,
      tls: true,
      // A self-signed test certificate; irc-framework takes no CA of its own.
      rejectUnauthorized: false,
    };
    try {
      await new Promise<void>((resolve, reject) => {
        client.once("registered", () => {
          // IRC clients choose their channels: this one meets the nc user in the lobby.
          client.join("#lobby");
          client.once("join", () => resolve());
        });
        client.once("close", () => reject(new Error("closed before registration")));
        client.connect(options);
      });
      const nc = await TextClient.join(server.port, "nc_fw");
      const got = new Promise<MessageEvent>((resolve) => {
        const onMessage = (e: MessageEvent) => {
          if (e.nick === "nc_fw") {
            client.off("message", onMessage);
            resolve(e);
          }
        };
        client.on("message", onMessage);
      });
      nc.send("bem-vindo, framework\n");
      const e = await got;
      assert.equal(e.target, "#lobby");
      assert.equal(e.message, "bem-vindo, framework");
      nc.close();
    } finally {
      closeFramework(client);
    }
  });

  it("the TLS port's admission rules: unfinished handshakes count per address, and time out", async () => {
    const guarded = await startTestServer({
      ircPort: 0,
      ircTlsPort: 0,
      tls: { cert: cert.cert, key: cert.key, port: 0 },
      limits: {
        exemptLoopback: 0,
        maxUnregisteredPerAddress: 4,
        connectBurst: 0,
        tlsHandshakeTimeoutMs: 1500,
      },
    });
    const tlsPort = guarded.ircTlsAddress?.port ?? 0;
    const silent: net.Socket[] = [];
    try {
      // Twelve silent TCP connections from 127.0.0.1 to the IRC TLS port: past four, refused.
      for (let i = 0; i < 12; i++) {
        const s = net.connect(tlsPort, "127.0.0.1");
        s.on("error", () => {});
        silent.push(s);
      }
      const refused = () =>
        guarded.logs.filter((l) => l.includes("refused") && l.includes('"stage":"tls_handshake"')).length;
      const deadline = Date.now() + WAIT;
      while (refused() < 8 && Date.now() < deadline) await sleep(20);
      assert.equal(refused(), 8, guarded.logs.join("\n"));
      // Another address still gets in over TLS and registers.
      const other = await TlsIrcClient.register(tlsPort, cert.cert, "tls_other", "127.0.0.2");
      other.close();
      // The four that were let in are cut at the handshake deadline.
      const cut = Date.now() + WAIT;
      while (silent.some((s) => !s.destroyed && s.readyState === "open") && Date.now() < cut) await sleep(50);
      assert.ok(
        silent.every((s) => s.destroyed || s.readyState !== "open"),
        "silent handshakes outlived tlsHandshakeTimeoutMs",
      );
    } finally {
      for (const s of silent) s.destroy();
      await guarded.close();
    }
  });

  it("flood control paces a TLS IRC client as a plain one (a NOTICE, nothing dropped)", async () => {
    const paced = await startTestServer({
      ircTlsPort: 0,
      tls: { cert: cert.cert, key: cert.key, port: 0 },
      limits: { floodBurst: 3, floodIntervalMs: 100 },
    });
    try {
      const c = await TlsIrcClient.register(paced.ircTlsAddress?.port ?? 0, cert.cert, "tls_flood");
      const nc = await TextClient.join(paced.port, "nc_flood");
      let burst = "";
      for (let i = 0; i < 10; i++) burst += `PRIVMSG #lobby :linha ${i}\r\n`;
      c.socket.write(burst);
      await c.waitFor(/^:irc\.papo NOTICE tls_flood :/);
      await nc.waitFor("tls_flood: linha 9");
      for (let i = 0; i < 10; i++) assert.ok(nc.lines.includes(`tls_flood: linha ${i}`), `linha ${i}`);
      c.close();
      nc.close();
    } finally {
      await paced.close();
    }
  });
});

describe("the operator console and IRC users (issue 11)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ircPort: 0 });
  });
  after(() => server.close());

  it("/kick NAME reason: the IRC user gets a KICK from every channel, then ERROR; other IRC users see KICK", async () => {
    const p = server.ircAddress?.port ?? 0;
    const ana = await IrcClient.register(p, "k_ana");
    const bia = await IrcClient.register(p, "k_bia");
    ana.send("JOIN #sala");
    bia.send("JOIN #sala");
    await ana.waitFor(/ 366 k_ana #sala /);
    await bia.waitFor(/ 366 k_bia #sala /);
    const nc = await TextClient.join(server.port, "k_nc");
    const from = bia.lines.length;
    const said = runConsoleLine("/kick k_ana chega de spam", {
      texts: catalogue("en").server,
      server,
      onShutdown: () => {},
    });
    assert.deepEqual(said, ["k_ana was removed."]);
    // The kicked user: a KICK from each channel, from the server, with the reason; then ERROR.
    const error = await ana.waitFor(/^ERROR :/);
    assert.match(error.params[0] ?? "", /chega de spam/);
    const kicks = ana.lines.filter((l) => / KICK /.test(l));
    assert.deepEqual(kicks.sort(), [
      ":irc.papo KICK #lobby k_ana :chega de spam",
      ":irc.papo KICK #sala k_ana :chega de spam",
    ]);
    assert.ok(
      ana.lines.findIndex((l) => / KICK /.test(l)) < ana.lines.findIndex((l) => l.startsWith("ERROR")),
      "KICK comes before ERROR",
    );
    await ana.waitClosed();
    // Another IRC user in both rooms sees a KICK from each, and no QUIT.
    await bia.waitFor(/ KICK #sala k_ana /, { from });
    await bia.waitFor(/ KICK #lobby k_ana /, { from });
    await sleep(100);
    const seen = bia.lines.slice(from).filter((l) => /k_ana/.test(l));
    assert.deepEqual(seen.sort(), [
      ":irc.papo KICK #lobby k_ana :chega de spam",
      ":irc.papo KICK #sala k_ana :chega de spam",
    ]);
    // The name is free again at once.
    const again = await IrcClient.register(p, "k_ana");
    for (const c of [again, bia, nc]) c.close();
  });

  it("/kick NAME without a reason: the KICK says the operator removed them", async () => {
    const p = server.ircAddress?.port ?? 0;
    const ana = await IrcClient.register(p, "k2_ana");
    const bia = await IrcClient.register(p, "k2_bia");
    runConsoleLine("/kick k2_ana", { texts: catalogue("en").server, server, onShutdown: () => {} });
    await ana.waitFor(/^:irc\.papo KICK #lobby k2_ana :Removed by the operator$/);
    await bia.waitFor(/^:irc\.papo KICK #lobby k2_ana :Removed by the operator$/);
    ana.close();
    bia.close();
  });
});

// ---- papo serve as a child process --------------------------------------------------------------

interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

function serve(args: string[], lang = "en_US.UTF-8"): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "serve", "--no-store", ...args], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, LANG: lang, LC_ALL: "" },
  });
  children.add(child);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function until(check: () => boolean, what: () => string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(20);
  }
}

/** Until the console is ready (the banner's last line). */
async function started(p: Proc): Promise<void> {
  await until(
    () => p.out().includes("Console: type /help") || p.out().includes("Console: digite"),
    () => `startup; out: ${p.out()} err: ${p.err()}`,
  );
}

async function stop(p: Proc): Promise<void> {
  p.child.kill("SIGTERM");
  assert.equal(await p.exited, 0);
}

/**
 * Makes `port` busy on every interface for the length of a test: listens on it (all interfaces,
 * as papo does by default) when it is free, and otherwise it is busy already, which is as good.
 */
async function occupy(port: number): Promise<{ close(): void }> {
  const holder = net.createServer();
  const held = await new Promise<boolean>((resolve) => {
    holder.once("error", () => resolve(false));
    holder.listen({ port, exclusive: true }, () => resolve(true));
  });
  return { close: () => (held ? holder.close() : undefined) };
}

/** A port that is busy on 127.0.0.1 while the returned server listens. */
async function busyLoopbackPort(): Promise<{ port: number; close(): void }> {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  return { port: (holder.address() as net.AddressInfo).port, close: () => holder.close() };
}

describe("papo serve: IRC on by default (issue 11)", () => {
  it("the default port 6667 busy: one warning line, no IRC, the chat starts", async () => {
    const hold = await occupy(DEFAULT_IRC_PORT);
    try {
      const p = serve(["--port", "0", "--no-http"]);
      await started(p);
      assert.doesNotMatch(p.out(), /irc:\/\//);
      const lines = p.err().trim().split("\n");
      assert.equal(lines.length, 1, p.err());
      assert.match(
        lines[0] ?? "",
        /^papo: IRC is off: the address \*:6667 is already in use .*--irc-port, or use --no-irc\.$/,
      );
      const port = Number(/listening on [^\s]*:(\d+)/.exec(p.out())?.[1]);
      const nc = await TextClient.join(port, "sem_irc");
      nc.close();
      await stop(p);
    } finally {
      hold.close();
    }
  });

  it("an explicit --irc-port that is busy stops the start with one line and exit 1", async () => {
    const busy = await busyLoopbackPort();
    try {
      const p = serve(["--host", "127.0.0.1", "--port", "0", "--no-http", "--irc-port", String(busy.port)]);
      assert.equal(await p.exited, 1);
      assert.equal(p.err().trim().split("\n").length, 1, p.err());
      assert.match(
        p.err(),
        new RegExp(`^papo could not start: the address 127\\.0\\.0\\.1:${busy.port} is already in use`),
      );
      assert.doesNotMatch(p.out(), /listening/);
    } finally {
      busy.close();
    }
  });

  it("--no-irc: no IRC listener and no IRC line; contradictions are option errors", async () => {
    const p = serve(["--host", "127.0.0.1", "--port", "0", "--no-http", "--no-irc"]);
    await started(p);
    assert.doesNotMatch(p.out(), /IRC|irc:\/\//);
    assert.equal(p.err(), "");
    await stop(p);
    const bad = [
      ["--no-irc", "--irc-port", "0"],
      ["--no-irc", "--irc-tls-port", "0"],
      ["--irc-tls-port", "0"],
      ["--irc-port", "70000"],
    ].map((args) => ({ args, p: serve(["--port", "0", "--no-http", ...args]) }));
    for (const { args, p } of bad) {
      assert.equal(await p.exited, 2, args.join(" "));
      assert.equal(p.err().trim().split("\n").length, 1, p.err());
      assert.match(p.err(), /Try papo --help/);
    }
  });

  it("the banner prints irc:// with the others, for this machine and each LAN address", async () => {
    const p = serve(["--port", "0", "--no-http", "--irc-port", "0"]);
    await started(p);
    const ircPort = Number(/IRC on irc:\/\/localhost:(\d+)$/m.exec(p.out())?.[1]);
    assert.ok(ircPort > 0, p.out());
    for (const host of lanAddresses())
      assert.ok(
        p.out().includes(`  or point an IRC client at irc://${hostPort(host, ircPort)}\n`),
        `${host}: ${p.out()}`,
      );
    const c = await IrcClient.register(ircPort, "banner_irc");
    c.close();
    await stop(p);
  });

  it("/shutdown REASON typed in the console reaches IRC users in an ERROR line", async () => {
    const p = serve(["--host", "127.0.0.1", "--port", "0", "--no-http", "--irc-port", "0"]);
    await started(p);
    const ircPort = Number(/IRC on irc:\/\/127\.0\.0\.1:(\d+)$/m.exec(p.out())?.[1]);
    const c = await IrcClient.register(ircPort, "shut_irc");
    p.child.stdin?.write("/shutdown volto já\n");
    const e = await c.waitFor(/^ERROR :/, { ms: WAIT });
    assert.match(e.params[0] ?? "", /shutting down: volto já/);
    await c.waitClosed(WAIT);
    assert.equal(await p.exited, 0);
  });
});

describe("papo serve: IRC over TLS (issue 11)", {
  skip: OPENSSL ? false : "openssl is not installed",
}, () => {
  let cert: ReturnType<typeof makeSelfSignedCert>;
  before(() => {
    cert = makeSelfSignedCert();
  });
  const tlsArgs = () => ["--tls-cert", cert.certFile, "--tls-key", cert.keyFile, "--tls-port", "0"];

  it("--irc-tls-port: the banner prints ircs:// (and irc://) for this machine and the LAN; it speaks IRC over TLS", async () => {
    const p = serve(["--port", "0", "--no-http", "--irc-port", "0", "--irc-tls-port", "0", ...tlsArgs()]);
    await started(p);
    const ircPort = Number(/IRC on irc:\/\/localhost:(\d+)$/m.exec(p.out())?.[1]);
    const ircsPort = Number(/IRC over TLS on ircs:\/\/localhost:(\d+)$/m.exec(p.out())?.[1]);
    assert.ok(ircPort > 0 && ircsPort > 0, p.out());
    for (const host of lanAddresses())
      assert.ok(
        p
          .out()
          .includes(
            `  or point an IRC client at irc://${hostPort(host, ircPort)}  ircs://${hostPort(host, ircsPort)}\n`,
          ),
        `${host}: ${p.out()}`,
      );
    const c = await TlsIrcClient.register(ircsPort, cert.cert, "cli_tls_irc");
    c.close();
    await stop(p);
  });

  it("with a certificate, IRC over TLS is on at 6697 by default: busy, one warning and plain IRC goes on", async () => {
    const hold = await occupy(DEFAULT_IRC_TLS_PORT);
    try {
      const p = serve(["--port", "0", "--no-http", "--irc-port", "0", ...tlsArgs()]);
      await started(p);
      assert.match(p.out(), /IRC on irc:\/\//);
      assert.doesNotMatch(p.out(), /ircs:\/\//);
      const lines = p.err().trim().split("\n");
      assert.equal(lines.length, 1, p.err());
      assert.match(
        lines[0] ?? "",
        /^papo: IRC over TLS is off: the address \*:6697 is already in use .*--irc-tls-port/,
      );
      await stop(p);
    } finally {
      hold.close();
    }
  });

  it("an explicit --irc-tls-port that is busy stops the start with one line and exit 1", async () => {
    const busy = await busyLoopbackPort();
    try {
      const p = serve([
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-http",
        "--irc-port",
        "0",
        "--irc-tls-port",
        String(busy.port),
        ...tlsArgs(),
      ]);
      assert.equal(await p.exited, 1);
      assert.equal(p.err().trim().split("\n").length, 1, p.err());
      assert.match(p.err(), new RegExp(`127\\.0\\.0\\.1:${busy.port} is already in use`));
    } finally {
      busy.close();
    }
  });
});

it("the banner's IRC texts exist in English and Portuguese", () => {
  const url = "irc://192.168.1.5:6667";
  const en = ircCatalogue("en");
  const pt = ircCatalogue("pt-BR");
  assert.equal(en.serveListening({ url }), "IRC on irc://192.168.1.5:6667");
  assert.equal(pt.serveListening({ url }), "IRC em irc://192.168.1.5:6667");
  assert.equal(en.serveListeningTls({ url: "ircs://h:6697" }), "IRC over TLS on ircs://h:6697");
  assert.equal(pt.serveListeningTls({ url: "ircs://h:6697" }), "IRC com TLS em ircs://h:6697");
  assert.equal(en.serveJoinWith({ urls: url }), `  or point an IRC client at ${url}`);
  assert.equal(pt.serveJoinWith({ urls: url }), `  ou aponte um cliente IRC para ${url}`);
  assert.match(pt.serveOff({ reason: "x" }), /^papo: o IRC está desligado: x\. .*--no-irc\.$/);
  assert.match(pt.serveTlsOff({ reason: "x" }), /^papo: o IRC com TLS está desligado: x\. .*--irc-tls-port/);
});

function closeFramework(client: IrcFrameworkClient): void {
  try {
    client.quit("bye");
  } catch {}
  (client as unknown as { connection?: { end?: () => void } }).connection?.end?.();
}
