/**
 * Issue 13, "Metrics and health": `GET /metrics` fetched by a real HTTP client and parsed with a
 * Prometheus text-format parser (parse-prometheus-text-format, plus the strict checks below), the
 * counters moving as text and json clients connect, send, are refused and leave; `GET /healthz`
 * 200 and 503; the console's `/stats` in both languages and through a real child process.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { after, describe, it } from "node:test";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import parsePrometheusTextFormat, { type PromFamily } from "parse-prometheus-text-format";
import { Chat } from "../src/core/chat.ts";
import { catalogue } from "../src/i18n/index.ts";
import { connectCluster } from "../src/server/cluster.ts";
import { runConsoleLine } from "../src/server/console.ts";
import { DEFAULT_LIMITS } from "../src/server/limits.ts";
import { directWriter, ringAvailable } from "../src/transports/direct-write.ts";
import { ServerMetrics } from "../src/server/metrics.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { haveOpenssl, makeSelfSignedCert } from "./fault-helpers.ts";
import { JsonClient, sleep, startTestServer, type TestServer, TextClient } from "./helpers.ts";
import { haveRedis, TestRedis } from "./redis-helpers.ts";
import { FailingStore } from "./store-wrappers.ts";
import { WsClient } from "./web-helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TIMEOUT = { timeout: 60_000 };

/** Metric names and label names as the exposition format allows them. */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Parses with parse-prometheus-text-format, then checks what it lets through: every sample comes
 * after its family's HELP and TYPE, names are valid, no series twice, histograms cumulative with
 * `+Inf` equal to `_count`, and the body ends with a newline.
 */
function parseStrict(text: string): PromFamily[] {
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  const families = parsePrometheusTextFormat(text);
  const declared = new Map<string, string>();
  let current = "";
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const name = meta[2] as string;
      assert.match(name, METRIC_NAME);
      if (meta[1] === "TYPE") {
        assert.ok(!declared.has(name), `TYPE of ${name} given twice`);
        assert.match(meta[3] as string, /^(counter|gauge|histogram|summary|untyped)$/);
        declared.set(name, meta[3] as string);
        current = name;
      }
      continue;
    }
    assert.ok(!line.startsWith("#"), `unexpected comment: ${line}`);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(sample, `not a sample line: ${line}`);
    const name = sample[1] as string;
    const type = declared.get(current);
    const belongs =
      name === current ||
      (type === "histogram" && [`${current}_bucket`, `${current}_sum`, `${current}_count`].includes(name));
    assert.ok(belongs, `${name} is outside its family (after TYPE ${current})`);
    for (const m of (sample[2] ?? "").matchAll(/([^{=,]+)="/g)) assert.match(m[1] as string, LABEL_NAME);
    const key = `${name}${sample[2] ?? ""}`;
    assert.ok(!seen.has(key), `series ${key} twice`);
    seen.add(key);
    assert.ok(!Number.isNaN(Number(sample[3])) || sample[3] === "NaN", `bad value in ${line}`);
  }
  for (const f of families) {
    assert.ok(f.help.length > 0, `${f.name} has HELP`);
    if (f.type !== "HISTOGRAM") continue;
    for (const m of f.metrics) {
      const buckets = Object.entries(m.buckets ?? {})
        .map(([le, n]) => [le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), Number(n)] as const)
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < buckets.length; i++)
        assert.ok((buckets[i]?.[1] ?? 0) >= (buckets[i - 1]?.[1] ?? 0), `${f.name} buckets are cumulative`);
      assert.equal(buckets.at(-1)?.[1], Number(m.count), `${f.name} +Inf bucket is the count`);
    }
  }
  return families;
}

class Scrape {
  readonly families: PromFamily[];
  constructor(text: string) {
    this.families = parseStrict(text);
  }

  family(name: string): PromFamily {
    const f = this.families.find((x) => x.name === name);
    assert.ok(f, `no metric ${name}`);
    return f;
  }

  /** The value of the series of `name` with exactly these labels (none: the unlabelled one). */
  value(name: string, labels: Record<string, string> = {}): number {
    const f = this.family(name);
    const m = f.metrics.find((x) => {
      const have = x.labels ?? {};
      return (
        Object.keys(have).length === Object.keys(labels).length &&
        Object.entries(labels).every(([k, v]) => have[k] === v)
      );
    });
    assert.ok(m, `no ${name} ${JSON.stringify(labels)}`);
    return Number(f.type === "HISTOGRAM" ? m.count : m.value);
  }
}

async function scrape(server: TestServer): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${server.metricsAddress?.port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return new Scrape(await res.text());
}

async function healthz(server: TestServer): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${server.metricsAddress?.port}/healthz`);
  return { status: res.status, body: await res.text() };
}

/** Polls until `check` passes (counters move as events are handled, a moment after a client sees them). */
async function eventually(check: () => Promise<void>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(25);
    }
  }
}

describe("issue 13: GET /metrics", () => {
  it(
    "counters move when text and json clients connect, send, are refused (flood, name in use) and leave",
    TIMEOUT,
    async () => {
      // Flood control on (6 lines at once, then 5/s), so a paste of 10 is held back.
      const server = await startTestServer({
        metricsPort: 0,
        limits: { floodBurst: 6, floodIntervalMs: 200, renameBurst: 3 },
      });
      try {
        const m0 = await scrape(server);
        assert.equal(m0.value("papo_users"), 0);
        assert.equal(m0.value("papo_rooms"), 1);
        assert.equal(
          m0.value("papo_info", { version: m0.family("papo_info").metrics[0]?.labels?.version ?? "" }),
          1,
        );
        const opened0 = m0.value("papo_connections_opened_total");

        const ana = await TextClient.join(server.port, "ana");
        const bia = await JsonClient.join(server.port, "bia");
        const m1 = await scrape(server);
        assert.equal(m1.value("papo_connections", { transport: "text", tls: "false" }), 1);
        assert.equal(m1.value("papo_connections", { transport: "json", tls: "false" }), 1);
        assert.equal(m1.value("papo_connections", { transport: "websocket", tls: "false" }), 0);
        assert.equal(m1.value("papo_users"), 2);
        assert.equal(m1.value("papo_connections_opened_total"), opened0 + 2);

        ana.line("oi bia");
        await bia.waitEvent("message", (e) => e.text === "oi bia");
        bia.say("olá ana");
        await ana.waitFor("bia: olá ana");
        bia.request({ type: "line", text: "@ana psst" });
        await ana.waitFor("psst");
        ana.line("/me acena");
        await bia.waitEvent("action");
        await eventually(async () => {
          const m2 = await scrape(server);
          assert.equal(m2.value("papo_messages_received_total", { kind: "public" }), 2);
          assert.equal(m2.value("papo_messages_received_total", { kind: "private" }), 1);
          assert.equal(m2.value("papo_messages_received_total", { kind: "action" }), 1);
          // ana's message and action to bia, bia's message to ana and back to bia (json echo), the private.
          assert.ok(m2.value("papo_deliveries_total") - m1.value("papo_deliveries_total") >= 5);
          // Every message was stored, in commits that were timed.
          assert.ok(
            m2.value("papo_store_commit_duration_seconds") > m1.value("papo_store_commit_duration_seconds"),
          );
          assert.ok(
            m2.value("papo_store_committed_events_total") - m1.value("papo_store_committed_events_total") >=
              3,
          );
        });

        // Refused: a name in use (text and json), then a paste that flood control holds back.
        const third = new TextClient(server.port);
        await third.waitFor("Choose a name");
        third.line("ana");
        await third.waitFor(/already|in use/i);
        const late = new JsonClient(server.port);
        await late.waitEvent("prompt");
        late.request({ type: "name", name: "BIA" });
        await late.waitEvent("error", (e) => e.code === "name_taken");
        ana.send(Array.from({ length: 10 }, (_, i) => `linha ${i}\n`).join(""));
        await ana.waitFor("Sending slowly");
        await eventually(async () => {
          const m3 = await scrape(server);
          assert.equal(m3.value("papo_refusals_total", { reason: "name_taken" }), 2);
          assert.equal(m3.value("papo_refusals_total", { reason: "flood" }), 1);
          assert.equal(m3.value("papo_connections", { transport: "text", tls: "false" }), 2);
          assert.equal(m3.value("papo_connections", { transport: "json", tls: "false" }), 2);
          assert.equal(m3.value("papo_users"), 2);
        });

        // Leaving: a json /quit, a text socket closed, two unregistered connections dropped.
        bia.say("/quit");
        await bia.text.waitClosed();
        ana.close();
        third.close();
        late.close();
        await eventually(async () => {
          const m4 = await scrape(server);
          assert.equal(m4.value("papo_disconnections_total", { reason: "quit" }), 1);
          assert.equal(m4.value("papo_disconnections_total", { reason: "disconnected" }), 3);
          assert.equal(m4.value("papo_users"), 0);
          for (const transport of ["pending", "text", "json", "seed", "websocket", "irc"])
            for (const t of ["false", "true"])
              assert.equal(m4.value("papo_connections", { transport, tls: t }), 0, `${transport} ${t}`);
          assert.equal(m4.value("papo_send_queue_bytes"), 0);
        });
        const m5 = await scrape(server);
        assert.ok(m5.value("process_resident_memory_bytes") > 0);
        assert.ok(m5.value("nodejs_heap_size_used_bytes") > 0);
        assert.ok(m5.value("nodejs_eventloop_lag_max_seconds") >= 0);
        assert.ok(m5.value("process_start_time_seconds") > 1_600_000_000);
      } finally {
        await server.close();
      }
    },
  );

  it("labels browsers, TLS and seed-framed connections by transport", TIMEOUT, async (t) => {
    const cert = haveOpenssl() ? makeSelfSignedCert() : undefined;
    if (!cert) t.diagnostic("openssl missing: the TLS row is not checked");
    const server = await startTestServer({
      metricsPort: 0,
      httpPort: 0,
      ...(cert ? { tls: { cert: cert.cert, key: cert.key, port: 0 } } : {}),
    });
    try {
      const url = `${cert ? "wss" : "ws"}://127.0.0.1:${server.httpAddress?.port}/ws`;
      const ws = new WsClient(url, cert ? { rejectUnauthorized: false } : {});
      await ws.opened;
      await ws.waitEvent("prompt");
      const seed = net.connect(server.port, "127.0.0.1");
      // Seed 000: a 64-byte ASCII header holding the payload's length.
      seed.write(Buffer.concat([Buffer.from("3".padEnd(64, " ")), Buffer.from("ceu")]));
      const secure = cert
        ? tls.connect({ port: server.tlsAddress?.port ?? 0, host: "127.0.0.1", rejectUnauthorized: false })
        : undefined;
      secure?.on("error", () => {});
      secure?.write("tls_user\n");
      await eventually(async () => {
        const m = await scrape(server);
        assert.equal(m.value("papo_connections", { transport: "websocket", tls: String(!!cert) }), 1);
        assert.equal(m.value("papo_connections", { transport: "seed", tls: "false" }), 1);
        if (cert) assert.equal(m.value("papo_connections", { transport: "text", tls: "true" }), 1);
      });
      ws.ws.close();
      seed.destroy();
      secure?.destroy();
    } finally {
      await server.close();
    }
  });

  it(
    "listens on 127.0.0.1 by default; answers GET and HEAD on /metrics and /healthz, 404 and 405 otherwise",
    TIMEOUT,
    async () => {
      const server = await startTestServer({ metricsPort: 0 });
      try {
        assert.equal(server.metricsAddress?.address, "127.0.0.1");
        const base = `http://127.0.0.1:${server.metricsAddress?.port}`;
        const head = await fetch(`${base}/metrics`, { method: "HEAD" });
        assert.equal(head.status, 200);
        assert.equal(await head.text(), "");
        assert.equal((await fetch(`${base}/healthz?probe=1`)).status, 200);
        assert.equal((await fetch(`${base}/`)).status, 404);
        assert.equal((await fetch(`${base}/index.html`)).status, 404);
        const post = await fetch(`${base}/metrics`, { method: "POST", body: "x" });
        assert.equal(post.status, 405);
        assert.equal(post.headers.get("allow"), "GET, HEAD");
      } finally {
        await server.close();
      }
      // No --metrics-port: no listener, /stats still works.
      const plain = await startTestServer();
      try {
        assert.equal(plain.metricsServer, undefined);
      } finally {
        await plain.close();
      }
    },
  );
});

// ---- /healthz ---------------------------------------------------------------------------------

describe("issue 13: GET /healthz", () => {
  it(
    "papo_write_path: io_uring where the kernel has it, send(2) with ioUring=0, Node with directWrites=0",
    TIMEOUT,
    async () => {
      const built = directWriter() !== null;
      for (const [limits, want] of [
        [{}, !built ? "node" : ringAvailable() ? "io_uring" : "send"],
        [{ ioUring: 0 }, built ? "send" : "node"],
        [{ directWrites: 0 }, "node"],
      ] as const) {
        const server = await startTestServer({ metricsPort: 0, limits });
        try {
          const s = await scrape(server);
          for (const path of ["io_uring", "send", "node"])
            assert.equal(
              s.value("papo_write_path", { path }),
              path === want ? 1 : 0,
              `${JSON.stringify(limits)}: ${path}`,
            );
        } finally {
          await server.close();
        }
      }
    },
  );

  it("200 ok; 503 history_paused while the store fails, 200 again once it saves", TIMEOUT, async () => {
    const store = new FailingStore(new MemoryStore());
    const server = await startTestServer({ metricsPort: 0, store, limits: { storeRetryMs: 50 } });
    try {
      assert.deepEqual(await healthz(server), { status: 200, body: "ok\n" });
      const a = await JsonClient.join(server.port, "saude_a");
      store.failing = true;
      a.say("disco cheio");
      await a.waitEvent("notice", (e) => e.code === "history_paused");
      assert.deepEqual(await healthz(server), { status: 503, body: "history_paused\n" });
      const m = await scrape(server);
      assert.equal(m.value("papo_history_paused"), 1);
      assert.equal(m.value("papo_healthy"), 0);
      assert.ok(m.value("papo_store_commit_failures_total") >= 1);
      store.failing = false;
      await a.waitEvent("notice", (e) => e.code === "history_resumed");
      assert.deepEqual(await healthz(server), { status: 200, body: "ok\n" });
      assert.equal((await scrape(server)).value("papo_history_paused"), 0);
      a.close();
    } finally {
      await server.close();
    }
  });

  it("503 when a chat listener is down", TIMEOUT, async () => {
    const server = await startTestServer({ metricsPort: 0 });
    try {
      await new Promise<void>((resolve) => server.tcp.close(() => resolve()));
      assert.deepEqual(await healthz(server), { status: 503, body: "listener_down chat\n" });
    } finally {
      await server.close();
    }
  });

  it("503 cluster_degraded while Redis hangs (SIGSTOP), 200 once it is back", {
    ...TIMEOUT,
    skip: !haveRedis() && !process.env.CI ? "redis-server is not installed" : false,
  }, async () => {
    const redis = await TestRedis.start();
    // A short read timeout, so the hang is noticed within a second.
    const cluster = await connectCluster(redis.url, DEFAULT_LIMITS, () => {}, {
      blockMs: 200,
      readTimeoutMs: 500,
    });
    const server = await startTestServer({ cluster, metricsPort: 0 });
    try {
      assert.deepEqual(await healthz(server), { status: 200, body: "ok\n" });
      redis.pause();
      try {
        await eventually(async () => {
          assert.deepEqual(await healthz(server), { status: 503, body: "cluster_degraded\n" });
        });
        assert.equal((await scrape(server)).value("papo_cluster_degraded"), 1);
      } finally {
        redis.resume();
      }
      await eventually(async () => {
        assert.deepEqual(await healthz(server), { status: 200, body: "ok\n" });
      });
    } finally {
      await server.close();
      await redis.close();
    }
  });

  it("names every problem: shutting down, a cluster whose Redis is away", () => {
    let down = true;
    let closing = false;
    const metrics = new ServerMetrics({
      chat: new Chat({
        store: new MemoryStore(),
        server: "papo/test",
        hideAddresses: false,
        maxNameLength: 32,
        registrationTimeoutMs: 0,
        logMessages: false,
      }),
      listeners: () => [["chat", undefined]],
      clusterDown: () => down,
      closing: () => closing,
    });
    assert.deepEqual(metrics.health(), { ok: false, reasons: ["cluster_degraded"] });
    closing = true;
    assert.deepEqual(metrics.health(), { ok: false, reasons: ["shutting_down", "cluster_degraded"] });
    down = false;
    closing = false;
    assert.deepEqual(metrics.health(), { ok: true, reasons: [] });
    assert.match(metrics.render(), /^papo_cluster_degraded 0$/m);
  });
});

// ---- the console's /stats ---------------------------------------------------------------------

describe("issue 13: console /stats", () => {
  it("shows the same figures for a person, in English and Portuguese", TIMEOUT, async () => {
    const server = await startTestServer({ metricsPort: 0 });
    try {
      const ana = await TextClient.join(server.port, "stats_a");
      const bia = await JsonClient.join(server.port, "stats_b");
      ana.line("olá");
      await bia.waitEvent("message");
      const taken = new TextClient(server.port);
      await taken.waitFor("Choose a name");
      taken.line("stats_a");
      await taken.waitFor(/in use/i);
      const opts = (lang: "en" | "pt-BR") => ({
        texts: catalogue(lang).server,
        server,
        onShutdown: () => {},
      });
      const en = runConsoleLine("/stats", opts("en")).join("\n");
      assert.match(en, /health: ok/);
      assert.match(en, /Connections: 3 \(text 2, json 1\); users: 2; rooms: 1/);
      assert.match(en, /Messages received: 1 public, 0 actions, 0 private/);
      assert.match(en, /Refused: name_taken 1/);
      assert.match(en, /Memory: [\d.]+ MiB resident/);
      const m = await scrape(server);
      assert.equal(m.value("papo_connections", { transport: "text", tls: "false" }), 2);
      const pt = runConsoleLine("/estatisticas", opts("pt-BR")).join("\n");
      assert.match(pt, /saúde: ok/);
      assert.match(pt, /Conexões: 3 \(text 2, json 1\); usuários: 2; salas: 1/);
      assert.match(pt, /Mensagens recebidas: 1 públicas/);
      assert.match(pt, /Recusas: name_taken 1/);
      assert.match(pt, /Atraso do laço de eventos: mediana \d+,\d ms/);
      assert.ok(runConsoleLine("/help", opts("en")).some((l) => l.startsWith("/stats")));
      assert.ok(runConsoleLine("/ajuda", opts("pt-BR")).some((l) => l.startsWith("/stats")));
      ana.close();
      bia.close();
      taken.close();
    } finally {
      await server.close();
    }
  });

  const children = new Set<ChildProcess>();
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });

  /** `papo ARGS` as a child process (English texts); `stdin` piped. */
  const papo = (args: string[]): ChildProcess & { stdin: NodeJS.WritableStream } => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, LANG: "en_US.UTF-8", LC_ALL: "" },
    });
    children.add(child);
    return child;
  };

  /** Runs `papo ARGS` to its end: the exit code and what it wrote on stderr. */
  const papoFails = async (args: string[]): Promise<{ code: number | null; err: string }> => {
    const child = papo(args);
    let err = "";
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    return { code, err };
  };

  it(
    "papo serve --metrics-port: prints where, answers /healthz, and /stats on the console pipe",
    TIMEOUT,
    async () => {
      const child = papo([
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-http",
        "--no-store",
        // Not the default IRC port 6667, which other programs' tests on this machine may use.
        "--no-irc",
        "--metrics-port",
        "0",
      ]);
      let out = "";
      child.stdout?.setEncoding("utf8").on("data", (d) => {
        out += d;
      });
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const until = async (re: RegExp) => {
        const deadline = Date.now() + 30_000;
        while (!re.test(out)) {
          if (Date.now() > deadline) throw new Error(`no ${re} in:\n${out}`);
          await sleep(20);
        }
      };
      await until(/Console:/);
      const url = /Metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics, health on \1\/healthz/.exec(out)?.[1];
      assert.ok(url, out);
      const res = await fetch(`${url}/healthz`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "ok\n");
      new Scrape(await (await fetch(`${url}/metrics`)).text());
      child.stdin.write("/stats\n");
      await until(/Connections: 0; users: 0; rooms: 1/);
      // The delay is measured from the start: a /stats in the first moments may have no sample
      // yet and says to ask again, which is what an operator would do.
      for (let i = 0; i < 50 && !/Event-loop delay: median [\d.]+ ms/.test(out); i++) {
        await sleep(200);
        child.stdin.write("/stats\n");
      }
      assert.match(out, /Event-loop delay: median [\d.]+ ms/);
      child.stdin.write("/shutdown\n");
      assert.equal(await exited, 0);
    },
  );

  it(
    "--metrics-host without --metrics-port, or a bad metrics port, is one line and exit 2",
    TIMEOUT,
    async () => {
      for (const args of [
        ["--metrics-host", "0.0.0.0"],
        ["--metrics-port", "70000"],
      ]) {
        const { code, err } = await papoFails(["serve", "--no-store", ...args]);
        assert.equal(code, 2, args.join(" "));
        assert.equal(err.trim().split("\n").length, 1, err);
        assert.match(err, /^papo: .*metrics/);
      }
    },
  );

  it("a busy metrics port stops the start with one line naming it, exit 1", TIMEOUT, async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as net.AddressInfo).port;
    const args = [
      "serve",
      "--port",
      "0",
      "--no-http",
      "--no-irc",
      "--no-store",
      "--metrics-port",
      String(port),
    ];
    const { code, err } = await papoFails(args);
    blocker.close();
    assert.equal(code, 1);
    assert.equal(err.trim().split("\n").length, 1, err);
    assert.match(
      err,
      new RegExp(`^papo could not start: the address 127\\.0\\.0\\.1:${port} is already in use`),
    );
  });
});
