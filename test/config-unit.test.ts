/**
 * Issue 13, the configuration file: the pure parts of src/server/config.ts (reading a TOML text,
 * the environment and the command line against an option table; merging them; printing the
 * result). The command-line behaviour, in a child process, is test/config-cli.test.ts.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { parse as parseToml } from "smol-toml";
import { en } from "../src/i18n/en.ts";
import {
  ConfigError,
  envLayer,
  fileLayer,
  flagLayer,
  formatConfig,
  keyLines,
  type Layer,
  limitEnv,
  loadServeConfig,
  mergeLayers,
  type OptionTable,
  toArgValues,
  upperSnake,
} from "../src/server/config.ts";
import { DEFAULT_LIMITS, parseLimitOverrides, transportLimits } from "../src/server/limits.ts";

/** A table shaped like cli.ts's SERVE_OPTIONS (a few of its options, with its kinds of entries). */
const TABLE = {
  host: { type: "string" },
  port: { type: "string", short: "p" },
  lang: { type: "string" },
  "hide-addresses": { type: "boolean", default: false },
  "log-level": { type: "string", default: "info" },
  limit: { type: "string", multiple: true, default: [] as string[] },
  password: { type: "string" },
  "http-port": { type: "string" },
  "no-http": { type: "boolean", default: false },
  "allow-origin": { type: "string", multiple: true, default: [] as string[] },
  data: { type: "string" },
  "no-store": { type: "boolean", default: false },
  redis: { type: "string" },
  "tls-cert": { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies OptionTable;

const file = (text: string, table: OptionTable = TABLE) => fileLayer(text, "papo.toml", table, "/etc/papo");
const values = (layer: Layer) => Object.fromEntries([...layer].map(([k, s]) => [k, s.value]));
const throwsLine = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.message.split("\n").length, 1, "one line");
    assert.match(err.message, re);
    return true;
  });

describe("configuration: names", () => {
  it("environment names are PAPO_ and the name in upper snake case", () => {
    assert.equal(upperSnake("http-port"), "HTTP_PORT");
    assert.equal(limitEnv("floodBurst"), "PAPO_LIMIT_FLOOD_BURST");
    assert.equal(limitEnv("tlsHandshakeTimeoutMs"), "PAPO_LIMIT_TLS_HANDSHAKE_TIMEOUT_MS");
    // Every limit has its own variable.
    const names = Object.keys(DEFAULT_LIMITS).map(limitEnv);
    assert.equal(new Set(names).size, names.length);
  });
});

describe("limits: batching in a cluster (issue 12)", () => {
  it("a cluster node's transports batch with the cluster pause; one server's with its own", () => {
    const l = parseLimitOverrides([
      "batchWindowMs=7",
      "clusterBatchWindowMs=33",
      "clusterBatchPausePerSocketUs=66",
    ]);
    assert.equal(transportLimits(l, false), l);
    const c = transportLimits(l, true);
    assert.equal(c.batchWindowMs, 33);
    assert.equal(c.batchPausePerSocketUs, 66);
    assert.equal(c.maxLineBytes, l.maxLineBytes);
    // The defaults: a node holding 500 of a room's sockets pauses 30 ms, one server 10 ms.
    const d = transportLimits(DEFAULT_LIMITS, true);
    assert.equal(Math.min(d.batchWindowMs, (500 * d.batchPausePerSocketUs) / 1000), 30);
    assert.equal(
      Math.min(DEFAULT_LIMITS.batchWindowMs, (1000 * DEFAULT_LIMITS.batchPausePerSocketUs) / 1000),
      10,
    );
  });
});

describe("configuration: the file", () => {
  it("reads each kind of value, limits in [limits], paths from the file's directory", () => {
    const layer = file(
      [
        'host = "127.0.0.1"',
        "port = 7000",
        "hide-addresses = true",
        'allow-origin = ["https://a.example", "http://b.example:8080"]',
        'data = "history"',
        'tls-cert = "/abs/cert.pem"',
        "[limits]",
        "floodBurst = 20",
        "maxRooms = 0",
      ].join("\n"),
    );
    assert.deepEqual(values(layer), {
      host: "127.0.0.1",
      port: 7000,
      "hide-addresses": true,
      "allow-origin": ["https://a.example", "http://b.example:8080"],
      data: "/etc/papo/history",
      "tls-cert": "/abs/cert.pem",
      "limits.floodBurst": 20,
      "limits.maxRooms": 0,
    });
    assert.deepEqual(layer.get("limits.maxRooms")?.source, { from: "file", file: "papo.toml", line: 9 });
    assert.deepEqual(layer.get("port")?.source, { from: "file", file: "papo.toml", line: 2 });
  });

  it("dotted keys and inline tables are TOML too", () => {
    assert.deepEqual(values(file("limits.floodBurst = 3\n")), { "limits.floodBurst": 3 });
    assert.deepEqual(values(file("limits = { floodBurst = 4 }\n")), { "limits.floodBurst": 4 });
  });

  it("an unknown key is one line naming the file and line, with the likely key", () => {
    throwsLine(
      () => file("port = 1\nprot = 2\n"),
      /^papo\.toml:2: unknown key "prot" \(did you mean "port"\?\)$/,
    );
    throwsLine(
      () => file("frobnicate = 1\n"),
      /^papo\.toml:1: unknown key "frobnicate" \(known: host, port, .*limits\)$/,
    );
    // Command-line-only flags and the --limit flag's own name are not keys.
    for (const key of ["help", "config", "print-config", "limit", "__proto__", "constructor"])
      throwsLine(() => file(`${key} = 1\n`), new RegExp(`^papo\\.toml:1: unknown key "${key}"`));
    throwsLine(() => file("[server]\nport = 1\n"), /^papo\.toml:1: unknown key "server"/);
  });

  it("an unknown limit names [limits], the line, and the likely limit", () => {
    throwsLine(
      () => file("[limits]\nfloodburst = 3\n"),
      /^papo\.toml:2: unknown limit "floodburst" in \[limits\] \(did you mean "floodBurst"\?\)$/,
    );
    for (const name of ["toString", "constructor", "hasOwnProperty"])
      throwsLine(() => file(`[limits]\n${name} = 1\n`), /unknown limit/);
  });

  it("a bad value names the key, the line and what was expected", () => {
    throwsLine(
      () => file('port = "7777"'),
      /^papo\.toml:1: port: expected a port number \(0 to 65535\), got "7777"$/,
    );
    throwsLine(() => file("\n\nport = 70000"), /^papo\.toml:3: port: expected a port number/);
    throwsLine(() => file("http-port = 1.5"), /^papo\.toml:1: http-port: expected a port number/);
    throwsLine(() => file('hide-addresses = "yes"'), /hide-addresses: expected true or false, got "yes"/);
    throwsLine(() => file('lang = "fr"'), /^papo\.toml:1: lang: unknown language "fr" \(en, pt-BR\)$/);
    throwsLine(() => file('log-level = "loud"'), /log-level: unknown log level "loud"/);
    throwsLine(() => file('allow-origin = ["ftp://x"]'), /allow-origin: bad origin "ftp:\/\/x"/);
    throwsLine(() => file("allow-origin = [1]"), /allow-origin: expected a list of strings/);
    throwsLine(() => file("host = 1"), /host: expected a string, got 1/);
    throwsLine(() => file("host = 1979-05-27"), /host: expected a string, got a date/);
    throwsLine(
      () => file("[limits]\nfloodBurst = -1"),
      /^papo\.toml:2: \[limits\] floodBurst: expected a whole number/,
    );
    throwsLine(() => file("[limits]\nfloodBurst = 2.5"), /floodBurst: expected a whole number/);
    throwsLine(() => file('[limits]\nfloodBurst = "3"'), /floodBurst: expected a whole number/);
    throwsLine(() => file("limits = 3"), /^papo\.toml:1: limits: expected a table/);
    // A secret's value is not repeated in the error.
    throwsLine(() => file("password = 123456"), /^papo\.toml:1: password: expected a string, got a number$/);
  });

  it("a file that is not TOML is one line with the line number", () => {
    throwsLine(() => file("port = 1\nport = 2\n"), /^papo\.toml:2: not valid TOML: /);
    throwsLine(() => file('host = "unterminated\n'), /^papo\.toml:1: not valid TOML: /);
    throwsLine(() => file("a\n"), /^papo\.toml:1: not valid TOML: /);
  });

  it("keyLines finds tables, dotted and quoted keys", () => {
    const lines = keyLines('a = 1\n# b = 2\n[limits]\n  x = 3\n"y" = 4\n[t.u]\nv.w = 5\n');
    assert.deepEqual(Object.fromEntries(lines), {
      a: 1,
      limits: 3,
      "limits.x": 4,
      "limits.y": 5,
      "t.u": 6,
      "t.u.v.w": 7,
    });
  });
});

describe("configuration: the environment", () => {
  it("reads PAPO_ variables of the table and of the limits, and nothing else", () => {
    const layer = envLayer(
      {
        PAPO_PORT: "7001",
        PAPO_HIDE_ADDRESSES: "1",
        PAPO_NO_HTTP: "false",
        PAPO_ALLOW_ORIGIN: "https://a.example, https://b.example",
        PAPO_LIMIT_FLOOD_BURST: "9",
        PAPO_REDIS: "redis://ignored", // the option's variable is PAPO_REDIS_URL
        PAPO_REDIS_URL: "redis://h:1",
        PAPO_DATA: "rel/dir", // not resolved: relative to the working directory, as before
        // The terminal client's variables are not the server's business.
        PAPO_PING_MS: "x",
        PAPO_RECONNECT_DELAY_MS: "y",
        HOME: "/root",
      },
      TABLE,
    );
    assert.deepEqual(values(layer), {
      port: 7001,
      "hide-addresses": true,
      "no-http": false,
      "allow-origin": ["https://a.example", "https://b.example"],
      redis: "redis://h:1",
      data: "rel/dir",
      "limits.floodBurst": 9,
    });
    assert.deepEqual(layer.get("port")?.source, { from: "env", name: "PAPO_PORT" });
  });

  it("empty is unset, except for strings: PAPO_PASSWORD= means no password", () => {
    assert.deepEqual(
      values(envLayer({ PAPO_PORT: "", PAPO_LIMIT_FLOOD_BURST: "", PAPO_PASSWORD: "" }, TABLE)),
      {
        password: "",
      },
    );
  });

  it("a bad value names the variable", () => {
    throwsLine(() => envLayer({ PAPO_PORT: "http" }, TABLE), /^PAPO_PORT: expected a port number/);
    throwsLine(() => envLayer({ PAPO_NO_HTTP: "maybe" }, TABLE), /^PAPO_NO_HTTP: expected 1 or 0/);
    throwsLine(
      () => envLayer({ PAPO_LIMIT_MAX_ROOMS: "-3" }, TABLE),
      /^PAPO_LIMIT_MAX_ROOMS: expected a whole number/,
    );
    throwsLine(() => envLayer({ PAPO_LANG: "klingon" }, TABLE), /^PAPO_LANG: unknown language/);
  });
});

describe("configuration: the command line", () => {
  it("only what was typed is a flag setting (the table's defaults are not)", () => {
    const f = flagLayer(
      ["-p", "0", "--no-http", "--limit", "floodBurst=4", "--allow-origin", "https://a.example"],
      TABLE,
    );
    assert.deepEqual(values(f.layer), {
      port: 0,
      "no-http": true,
      "allow-origin": ["https://a.example"],
      "limits.floodBurst": 4,
    });
    assert.deepEqual(f.layer.get("limits.floodBurst")?.source, { from: "flag", name: "limit" });
    assert.equal(f.printConfig, false);
    assert.equal(f.config, undefined);
    const g = flagLayer(["--config", "x.toml", "--print-config"], TABLE);
    assert.equal(g.config, "x.toml");
    assert.equal(g.printConfig, true);
  });

  it("bad flags keep their one-line messages", () => {
    throwsLine(() => flagLayer(["--bogus"], TABLE), /Unknown option '--bogus'/);
    throwsLine(() => flagLayer(["--port", "99999"], TABLE), /^--port: expected a port number/);
    throwsLine(() => flagLayer(["--limit", "toString=1"], TABLE), /unknown limit "toString"/);
    throwsLine(
      () => flagLayer(["--limit", "floodBurst"], TABLE),
      /bad --limit "floodBurst" \(expected NAME=NUMBER\)/,
    );
    throwsLine(() => flagLayer(["--allow-origin", "nope"], TABLE), /^--allow-origin: bad origin "nope"/);
  });
});

describe("configuration: merging", () => {
  const layerOf = (
    from: "file" | "env" | "flag",
    entries: Record<string, string | number | boolean>,
  ): Layer =>
    new Map(
      Object.entries(entries).map(([key, value]) => [
        key,
        {
          key,
          value,
          source:
            from === "file"
              ? { from, file: "papo.toml", line: 1 }
              : from === "env"
                ? { from, name: `PAPO_${upperSnake(key)}` }
                : { from, name: key },
        },
      ]),
    );

  it("property: per setting, flag over environment over file over default", () => {
    const keys = ["port", "host", "limits.floodBurst", "limits.maxRooms"] as const;
    const some = fc.subarray([...keys]);
    fc.assert(
      fc.property(some, some, some, (inFile, inEnv, inFlag) => {
        const layers = (["file", "env", "flag"] as const).map((from, i) =>
          layerOf(
            from,
            Object.fromEntries([inFile, inEnv, inFlag][i]?.map((k) => [k, `${from}:${k}`]) ?? []),
          ),
        );
        const merged = mergeLayers(TABLE, layers);
        for (const key of keys) {
          const expected = inFlag.includes(key)
            ? "flag"
            : inEnv.includes(key)
              ? "env"
              : inFile.includes(key)
                ? "file"
                : undefined;
          assert.equal(merged.settings.get(key)?.source.from, expected, key);
          if (expected) assert.equal(merged.settings.get(key)?.value, `${expected}:${key}`);
        }
      }),
    );
  });

  it("options that exclude each other: the higher layer's wins, the same layer's is an error", () => {
    const m = mergeLayers(TABLE, [
      layerOf("file", { data: "/d", "http-port": 80 }),
      layerOf("flag", { "no-store": true, "no-http": true }),
    ]);
    assert.equal(m.settings.has("data"), false);
    assert.equal(m.settings.has("http-port"), false);
    assert.deepEqual(
      m.dropped.map((d) => [d.setting.key, d.by.key]),
      [
        ["data", "no-store"],
        ["http-port", "no-http"],
      ],
    );
    // The environment's cluster beats the file's data directory; a flag's data beats both.
    const r = mergeLayers(TABLE, [layerOf("file", { data: "/d" }), layerOf("env", { redis: "redis://h" })]);
    assert.equal(r.settings.get("redis")?.value, "redis://h");
    assert.equal(r.settings.has("data"), false);
    const d = mergeLayers(TABLE, [layerOf("env", { redis: "redis://h" }), layerOf("flag", { data: "/x" })]);
    assert.equal(d.settings.has("redis"), false);
    // Off values exclude nothing: PAPO_REDIS_URL= (no cluster) leaves the file's data alone.
    const e = mergeLayers(TABLE, [layerOf("file", { data: "/d" }), layerOf("env", { redis: "" })]);
    assert.equal(e.settings.get("data")?.value, "/d");
    throwsLine(
      () => mergeLayers(TABLE, [layerOf("file", { data: "/d", "no-store": true })]),
      /^papo\.toml: data \(line 1\) and no-store \(line 1\) contradict each other$/,
    );
    throwsLine(
      () => mergeLayers(TABLE, [layerOf("env", { redis: "redis://h", data: "/d" })]),
      /^PAPO_REDIS and PAPO_DATA contradict each other$/,
    );
    // Two flags reach cli.ts as they are: it refuses them with its own messages (cli.test.ts).
    assert.deepEqual(
      [...mergeLayers(TABLE, [layerOf("flag", { data: "/d", "no-store": true })]).settings.keys()],
      ["data", "no-store"],
    );
    // …but --print-config, which reaches none of cli.ts's checks, refuses them itself.
    throwsLine(
      () => mergeLayers(TABLE, [layerOf("flag", { data: "/d", "no-store": true })], true),
      /^--data and --no-store contradict each other$/,
    );
  });

  it("the merged values are what parseArgs gave cli.ts: strings, the table's defaults, --limit items", () => {
    const m = mergeLayers(TABLE, [
      file("port = 7000\n[limits]\nfloodBurst = 3\nmaxRooms = 9\n"),
      flagLayer(["--limit", "maxRooms=10"], TABLE).layer,
    ]);
    assert.deepEqual(toArgValues(TABLE, m), {
      host: undefined,
      port: "7000",
      lang: undefined,
      "hide-addresses": false,
      "log-level": "info",
      password: undefined,
      "http-port": undefined,
      "no-http": false,
      "allow-origin": [],
      data: undefined,
      "no-store": false,
      redis: undefined,
      "tls-cert": undefined,
      limit: ["floodBurst=3", "maxRooms=10"],
    });
  });
});

describe("configuration: one table for every source", () => {
  it("an option added to the table is a flag, a file key, a variable and a printed line at once", () => {
    // What another helper adding `--metrics-port` and `--no-irc`/`--irc-port` to SERVE_OPTIONS gets.
    const table = {
      ...TABLE,
      "irc-port": { type: "string" },
      "irc-tls-port": { type: "string" },
      "no-irc": { type: "boolean", default: false },
      "metrics-port": { type: "string" },
      "metrics-host": { type: "string" },
    } satisfies OptionTable;
    assert.deepEqual(values(fileLayer('metrics-port = 9100\nmetrics-host = "::1"\n', "p.toml", table, "/")), {
      "metrics-port": 9100,
      "metrics-host": "::1",
    });
    assert.deepEqual(values(envLayer({ PAPO_METRICS_PORT: "9101", PAPO_NO_IRC: "1" }, table)), {
      "metrics-port": 9101,
      "no-irc": true,
    });
    assert.deepEqual(values(flagLayer(["--metrics-port", "9102"], table).layer), { "metrics-port": 9102 });
    // Named …-port, it is checked as a port.
    throwsLine(
      () => fileLayer("metrics-port = 99999\n", "p.toml", table, "/"),
      /metrics-port: expected a port number/,
    );
    // `no-irc` excludes `irc-port` and `irc-tls-port` (by name), which do not exclude each other.
    const m = mergeLayers(table, [
      fileLayer("irc-port = 6667\nirc-tls-port = 6697\n", "p.toml", table, "/"),
      flagLayer(["--no-irc"], table).layer,
    ]);
    assert.deepEqual([...m.settings.keys()], ["no-irc"]);
    const printed = formatConfig(table, m, "p.toml", en.server);
    assert.match(printed, /^# metrics-port: not set +# default$/m);
    assert.match(printed, /^# irc-port = 6667 +# file p\.toml:1, overridden by flag --no-irc$/m);
  });
});

describe("configuration: --print-config", () => {
  const merged = () =>
    mergeLayers(TABLE, [
      file(
        'password = "hunter2"\nredis = "redis://:pw@cache:6379/1"\nport = 7000\n[limits]\nfloodBurst = 3\n',
      ),
      envLayer({ PAPO_PORT: "7001" }, TABLE),
      flagLayer(["--host", "127.0.0.1", "--limit", "maxRooms=5"], TABLE).layer,
    ]);

  it("says where each value came from, and masks secrets", () => {
    const out = formatConfig(TABLE, merged(), "papo.toml", en.server, { "http-port": 7780 });
    assert.match(out, /^# Configuration file: papo\.toml$/m);
    assert.match(out, /^host = "127\.0\.0\.1" +# flag --host$/m);
    assert.match(out, /^port = 7001 +# env PAPO_PORT$/m);
    assert.match(out, /^http-port = 7780 +# default$/m);
    assert.match(out, /^# lang: not set +# default$/m);
    assert.match(out, /^log-level = "info" +# default$/m);
    assert.match(out, /^password = "\*\*\*" +# file papo\.toml:1$/m);
    assert.match(out, /^redis = "redis:\/\/:\*\*\*@cache:6379\/1" +# file papo\.toml:2$/m);
    assert.match(out, /^floodBurst = 3 +# file papo\.toml:5$/m);
    assert.match(out, /^maxRooms = 5 +# flag --limit$/m);
    assert.match(out, /^maxLineBytes = 2048 +# default$/m);
    assert.doesNotMatch(out, /hunter2|:pw@/);
  });

  it("prints TOML that gives the same configuration back (but the masked secrets)", () => {
    const m = merged();
    const out = formatConfig(TABLE, m, "papo.toml", en.server);
    parseToml(out);
    const again = fileLayer(out.replace(/^(password|redis) = .*$/gm, ""), "printed.toml", TABLE, "/");
    for (const [key, s] of m.settings)
      if (key !== "password" && key !== "redis") assert.deepEqual(again.get(key)?.value, s.value, key);
    // Every limit is printed, under [limits].
    for (const [name, v] of Object.entries(DEFAULT_LIMITS))
      assert.equal(again.get(`limits.${name}`)?.value, m.settings.get(`limits.${name}`)?.value ?? v, name);
  });
});

describe("configuration: which file", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "papo-config-unit-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, "papo.toml"), "port = 7001\n");
  writeFileSync(path.join(dir, "other.toml"), 'port = 7002\ndata = "d"\n');
  mkdirSync(path.join(dir, "folder.toml"));
  const load = (args: string[], env: NodeJS.ProcessEnv = {}, cwd = dir) =>
    loadServeConfig({ args, table: TABLE, env, cwd });

  it("--config, then PAPO_CONFIG, then ./papo.toml if it exists", () => {
    assert.equal(load([]).file, "papo.toml");
    assert.equal(load([]).values.port, "7001");
    assert.equal(load([], { PAPO_CONFIG: "other.toml" }).values.port, "7002");
    assert.equal(load(["--config", "other.toml"], { PAPO_CONFIG: "papo.toml" }).file, "other.toml");
    // Paths in a file are from its directory, wherever papo runs.
    assert.equal(load(["--config", path.join(dir, "other.toml")], {}, "/").values.data, path.join(dir, "d"));
    const none = load([], {}, path.join(dir, "folder.toml"));
    assert.equal(none.file, undefined);
    assert.equal(none.values.port, undefined);
  });

  it("a named file must be there and readable; the default one only if it exists", () => {
    throwsLine(
      () => load(["--config", "nope.toml"]),
      /^cannot read the configuration file nope\.toml: no such file$/,
    );
    throwsLine(
      () => load([], { PAPO_CONFIG: "nope.toml" }),
      /^cannot read the configuration file nope\.toml/,
    );
    throwsLine(() => load(["--config", "folder.toml"]), /folder\.toml: it is a directory$/);
  });

  it("--help reads no file: a broken one does not hide the help", () => {
    const broken = mkdtempSync(path.join(dir, "broken-"));
    writeFileSync(path.join(broken, "papo.toml"), "prot = 1\n");
    throwsLine(() => load([], {}, broken), /^papo\.toml:1: unknown key "prot"/);
    assert.equal(load(["--help"], {}, broken).help, true);
  });
});
