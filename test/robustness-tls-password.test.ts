/**
 * Issue 4 items 7 (TLS) and 8 (server password), over real sockets. The certificate is made at
 * run time with openssl (self-signed, for localhost and 127.0.0.1); without openssl the TLS tests
 * are skipped, saying why.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import https from "node:https";
import { after, before, describe, it } from "node:test";
import type tls from "node:tls";
import { WebSocket } from "ws";
import { openSocket, resolveTlsOptions, tlsProblem } from "../src/client/tls.ts";
import { en } from "../src/i18n/en.ts";
import {
  assertCanaryChats,
  type FaultServer,
  haveOpenssl,
  makeSelfSignedCert,
  Peer,
  sleep,
  startFaultServer,
} from "./fault-helpers.ts";

const t = en.chat;
const OPENSSL = haveOpenssl();

describe("item 7: TLS", { skip: OPENSSL ? false : "openssl is not installed" }, () => {
  let cert: ReturnType<typeof makeSelfSignedCert>;
  let s: FaultServer;
  let tlsPort: number;
  before(async () => {
    cert = makeSelfSignedCert();
    s = await startFaultServer({}, { tls: { cert: cert.cert, key: cert.key, port: 0 } });
    tlsPort = s.tlsAddress?.port ?? 0;
    assert.ok(tlsPort > 0);
  });
  after(() => s.close());

  it("item 7: with a certificate the web listener serves HTTPS and WSS, sharing the room", async () => {
    const web = await startFaultServer({}, { tls: { cert: cert.cert, key: cert.key, port: 0 }, httpPort: 0 });
    const port = web.httpAddress?.port ?? 0;
    const page = await new Promise<{ status?: number; body: string; tls: boolean }>((resolve, reject) => {
      const req = https.get(
        { host: "127.0.0.1", port, path: "/", ca: cert.cert, servername: "localhost" },
        (res) => {
          let body = "";
          // Read now: the socket is detached from the response once it ends.
          const encrypted = (res.socket as tls.TLSSocket).encrypted === true;
          res.setEncoding("utf8").on("data", (d) => {
            body += d;
          });
          res.on("end", () => resolve({ status: res.statusCode, body, tls: encrypted }));
        },
      );
      req.on("error", reject);
    });
    assert.equal(page.tls, true);
    assert.ok(page.status === 200 || page.status === 503, `status ${page.status}`); // 503: web app not built
    // Plain HTTP on the same port is not served.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
    const ws = new WebSocket(`wss://localhost:${port}/ws`, {
      ca: cert.cert,
      origin: `https://localhost:${port}`,
    });
    const events: Array<{ type: string; [k: string]: unknown }> = [];
    ws.on("message", (d) => events.push(JSON.parse(String(d))));
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    ws.send(JSON.stringify({ type: "hello", protocol: 1 }));
    ws.send(JSON.stringify({ type: "name", name: "wss_user" }));
    const plain = await Peer.joinJson(web.port, "plain_wss");
    ws.send(JSON.stringify({ type: "line", text: "hello over WSS" }));
    await plain.waitEvent("message", (e) => e.from === "wss_user" && e.text === "hello over WSS");
    assert.ok(events.some((e) => e.type === "welcome"));
    ws.close();
    plain.close();
    await web.close();
  });

  it("item 7: the same protocol over TLS; TLS and plain clients share the room", async () => {
    const secure = await Peer.joinText(tlsPort, "tls_nc", { tls: { ca: cert.cert } });
    const secureJson = await Peer.joinJson(tlsPort, "tls_js", { tls: { ca: cert.cert } });
    const plain = await Peer.joinJson(s.port, "plain_js");
    secure.line("hello over TLS");
    await plain.waitEvent("message", (e) => e.from === "tls_nc" && e.text === "hello over TLS");
    plain.say("hello in plain text");
    await secure.waitLine("plain_js: hello in plain text");
    await secureJson.waitEvent("message", (e) => e.text === "hello in plain text");
    assert.equal((secure.socket as tls.TLSSocket).authorized, true);
    // Limits apply on the TLS port too: a line over the limit is refused the same way.
    secure.line("x".repeat(3000));
    await secure.waitLine(t.lineTooLong({ limit: 2048 }));
    await assertCanaryChats(s.port, plain);
    for (const p of [secure, secureJson, plain]) p.close();
  });

  it("item 7: papo connect --tls verifies the certificate by default; --ca trusts it; --insecure skips", async () => {
    const attempt = async (o: { ca?: string; insecure?: boolean }) => {
      const resolved = resolveTlsOptions({ tls: true, ca: o.ca, insecure: o.insecure ?? false });
      assert.ok(resolved.ok);
      const { socket, readyEvent } = openSocket("127.0.0.1", tlsPort, resolved);
      try {
        return await new Promise<string>((resolve) => {
          socket.once(readyEvent, () => resolve("connected"));
          socket.once("error", (err) => resolve(tlsProblem(err) ?? `other: ${(err as Error).message}`));
        });
      } finally {
        socket.destroy();
      }
    };
    assert.equal(await attempt({}), "untrusted");
    assert.equal(await attempt({ ca: cert.certFile }), "connected");
    assert.equal(await attempt({ insecure: true }), "connected");
    // The options check themselves.
    assert.deepEqual(resolveTlsOptions({ tls: false, ca: cert.certFile, insecure: false }), {
      ok: false,
      problem: "needs_tls",
      option: "--ca",
    });
    const missing = resolveTlsOptions({ tls: true, ca: "/nonexistent/ca.pem", insecure: false });
    assert.equal(missing.ok ? "ok" : missing.problem, "ca_file");
    // TLS to the plain port: the client says so instead of hanging.
    const { socket } = openSocket("127.0.0.1", s.port, { tls: true, insecure: true });
    const problem = await new Promise((resolve) => socket.once("error", (err) => resolve(tlsProblem(err))));
    socket.destroy();
    assert.equal(problem, "not_tls");
  });

  it("item 7: a TLS client that never finishes its handshake is cut at tlsHandshakeTimeoutMs", async () => {
    const quick = await startFaultServer(
      { tlsHandshakeTimeoutMs: 300 },
      { tls: { cert: cert.cert, key: cert.key, port: 0 } },
    );
    try {
      const raw = new Peer(quick.tlsAddress?.port ?? 0); // plain TCP to the TLS port, silent
      await raw.waitClosed(3000);
      await assertCanaryChats(quick.port);
    } finally {
      await quick.close();
    }
  });

  it("item 7: papo serve --tls-cert/--tls-key listens on both ports", async () => {
    const proc = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli.ts",
        "serve",
        "--no-store",
        "--no-irc",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--tls-port",
        "0",
        "--tls-cert",
        cert.certFile,
        "--tls-key",
        cert.keyFile,
        "--log-level",
        "silent",
      ],
      { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, LANG: "en_US.UTF-8", LC_ALL: "" } },
    );
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    try {
      const deadline = Date.now() + 10_000;
      const re = /listening with TLS on 127\.0\.0\.1:(\d+)/;
      while (!re.test(out) && Date.now() < deadline) await sleep(20);
      const port = Number(re.exec(out)?.[1]);
      assert.ok(port > 0, out);
      const p = await Peer.joinText(port, "cli_tls", { tls: { ca: cert.cert } });
      p.close();
      proc.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      proc.kill("SIGKILL");
    }
    // A missing key file is one clear line and exit 2, not a stack trace.
    const bad = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli.ts",
        "serve",
        "--no-store",
        "--no-irc",
        "--port",
        "0",
        "--tls-cert",
        cert.certFile,
        "--tls-key",
        "/nonexistent.pem",
      ],
      { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, LANG: "en_US.UTF-8", LC_ALL: "" } },
    );
    let err = "";
    bad.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    const code = await new Promise<number | null>((r) => bad.once("exit", (c) => r(c)));
    assert.equal(code, 2);
    assert.equal(err.trim().split("\n").length, 1, err);
    assert.match(err, /cannot read --tls-key \/nonexistent\.pem: ENOENT/);
  });
});

describe("item 8: server password", () => {
  let s: FaultServer;
  before(async () => {
    s = await startFaultServer({ passwordDelayMs: 300 }, { password: "s3cret pass" });
  });
  after(() => s.close());

  it("item 8: text mode asks for the password before the name", async () => {
    const p = new Peer(s.port);
    await p.waitLine(t.promptPassword);
    assert.equal(
      p.lines.some((l) => l === t.promptName),
      false,
    );
    p.line("s3cret pass");
    await p.waitLine(t.promptName);
    p.line("pw_text");
    await p.waitLine("Hello, pw_text!");
    p.close();
  });

  it("item 8: json mode: prompt need password, then a password request", async () => {
    const p = new Peer(s.port);
    p.request({ type: "hello", protocol: 1 });
    await p.waitEvent("prompt", (e) => e.need === "password");
    // Nothing else works before the password.
    let from = p.rawLines.length;
    p.request({ type: "name", name: "too_early" });
    await p.waitEvent("prompt", (e) => e.need === "password", { from });
    from = p.rawLines.length;
    p.say("hello?");
    await p.waitEvent("error", (e) => e.code === "not_registered", { from });
    from = p.rawLines.length;
    p.request({ type: "password", password: "s3cret pass" });
    await p.waitEvent("prompt", (e) => e.need === "name", { from });
    p.request({ type: "name", name: "pw_json" });
    await p.waitEvent("welcome");
    await assertCanaryChatsWithPassword(s.port, p);
    p.close();
  });

  it("item 8: a wrong password -> one line, close, after a delay; never logged", async () => {
    const text = new Peer(s.port);
    await text.waitLine(t.promptPassword);
    const from = text.rawLines.length;
    const started = Date.now();
    text.line("guess1");
    text.line("guess2"); // ignored: one answer per connection
    await text.waitClosed();
    assert.ok(Date.now() - started >= 250, "answered without the delay");
    assert.deepEqual(text.lines.slice(from), [t.bye.bad_password({})]);

    const json = new Peer(s.port);
    json.request({ type: "hello", protocol: 1 });
    await json.waitEvent("prompt", (e) => e.need === "password");
    json.request({ type: "password", password: "nope" });
    assert.equal((await json.bye()).reason, "bad_password");
    assert.ok(s.logs.some((l) => l.event === "bad_password"));
    assert.equal(JSON.stringify(s.logs).includes("guess1"), false);
    assert.equal(JSON.stringify(s.logs).includes("s3cret"), false);
  });

  it("item 8: the registration deadline still covers the password stage", async () => {
    const quick = await startFaultServer({ registrationTimeoutMs: 300 }, { password: "x" });
    try {
      const p = await Peer.json(quick.port);
      assert.equal((await p.bye()).reason, "registration_timeout");
    } finally {
      await quick.close();
    }
  });
});

/** The canary, for a server with the password "s3cret pass". */
async function assertCanaryChatsWithPassword(port: number, existing: Peer): Promise<void> {
  const c = new Peer(port);
  c.request({ type: "hello", protocol: 1 });
  await c.waitEvent("prompt", (e) => e.need === "password");
  c.request({ type: "password", password: "s3cret pass" });
  await c.waitEvent("prompt", (e) => e.need === "name");
  c.request({ type: "name", name: "pw_canary" });
  await c.waitEvent("welcome");
  const from = existing.rawLines.length;
  c.say("canary with password");
  await existing.waitEvent("message", (e) => e.text === "canary with password", { from });
  c.close();
}
