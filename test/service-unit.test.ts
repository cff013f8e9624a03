/**
 * Issue 13 item 3: papo as a systemd service. docs/papo.service must pass `systemd-analyze
 * verify` without a warning, keep its hardening (`systemd-analyze security --offline`), and run
 * papo the way docs/operations.md says (a dedicated user, the data directory, restart on failure).
 * .ci/run installs systemd (for systemd-analyze) when it is missing; nothing is started. And the
 * backup recipe of docs/operations.md works (sqlite3, also installed by .ci/run).
 */
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { RawUser, ROOT } from "./client-helpers.ts";

const run = promisify(execFile);
const UNIT = path.join(ROOT, "docs/papo.service");
/** Where the unit expects papo: npm install -g's default prefix. */
const PAPO_BIN = "/usr/local/bin/papo";
/** systemd-analyze security's "exposure" (0 best, 10 worst); papo's unit scores 1.4 with systemd 252. */
const MAX_EXPOSURE = 2.5;

const haveAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;
const inCI = process.env.CI === "true";

/** The unit's `Key=value` lines, by key (a key may repeat). */
function settings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined) out.set(m[1], [...(out.get(m[1]) ?? []), m[2] ?? ""]);
  }
  return out;
}

it("item 13.3: docs/papo.service runs papo serve as its own user, on its data directory, hardened", async () => {
  const s = settings(await readFile(UNIT, "utf8"));
  const one = (k: string) => {
    const v = s.get(k);
    assert.equal(v?.length, 1, `one ${k}=`);
    return v?.[0];
  };
  assert.equal(one("User"), "papo");
  assert.equal(one("StateDirectory"), "papo");
  assert.equal(one("WorkingDirectory"), "/var/lib/papo");
  assert.equal(one("ReadWritePaths"), "/var/lib/papo");
  assert.equal(one("ExecStart"), `${PAPO_BIN} serve --data /var/lib/papo`);
  assert.equal(one("Restart"), "on-failure");
  for (const [k, v] of [
    ["NoNewPrivileges", "yes"],
    ["ProtectSystem", "strict"],
    ["ProtectHome", "yes"],
    ["PrivateTmp", "yes"],
    ["CapabilityBoundingSet", ""],
  ] as const)
    assert.equal(one(k), v, k);
  // Node's JIT needs writable code pages: this one would make papo crash at start.
  assert.equal(s.get("MemoryDenyWriteExecute"), undefined);
});

describe("item 13.3: systemd-analyze on docs/papo.service", {
  skip: haveAnalyze || inCI ? false : "systemd-analyze not installed (apt-get install systemd)",
}, () => {
  let dir: string;
  let unit: string;
  before(async () => {
    // verify checks that ExecStart's program exists and is executable; papo is not installed
    // here, so the copy points to a stand-in, and that is the only change.
    dir = await mkdtemp(path.join(os.tmpdir(), "papo-unit-"));
    const bin = path.join(dir, "papo");
    await writeFile(bin, "#!/bin/sh\n");
    await chmod(bin, 0o755);
    const text = await readFile(UNIT, "utf8");
    assert.equal(text.split(PAPO_BIN).length, 2, `one ${PAPO_BIN} in the unit`);
    unit = path.join(dir, "papo.service");
    await writeFile(unit, text.replace(PAPO_BIN, bin));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("item 13.3: systemd-analyze verify accepts docs/papo.service, without a warning", async () => {
    const { stdout, stderr } = await run("systemd-analyze", ["verify", "--man=no", unit]);
    assert.equal(`${stdout}${stderr}`.trim(), "");
    // The check is real: an unknown key is reported.
    const broken = path.join(dir, "broken.service");
    await writeFile(broken, `${await readFile(unit, "utf8")}\n[Service]\nProtectEverything=yes\n`);
    const bad = await run("systemd-analyze", ["verify", "--man=no", broken]);
    assert.match(bad.stderr, /Unknown key/);
  });

  it("item 13.3: systemd-analyze security rates the unit's exposure low", async () => {
    const { stdout } = await run("systemd-analyze", ["security", "--offline=yes", "--no-pager", unit]).catch(
      // security exits non-zero when the exposure passes its --threshold (100 by default): not here.
      (err: { stdout: string }) => ({ stdout: err.stdout }),
    );
    const level = Number(/Overall exposure level for papo\.service: ([\d.]+)/.exec(stdout)?.[1]);
    assert.ok(level >= 0 && level <= MAX_EXPOSURE, `exposure ${level}:\n${stdout}`);
  });
});

const haveSqlite3 = spawnSync("sqlite3", ["-version"]).status === 0;

/** `papo serve` on `data` in a child process; resolves once it listens. */
async function serveOn(data: string): Promise<{ port: number; stop(): Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli.ts",
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--no-http",
      "--data",
      data,
    ],
    { cwd: ROOT, env: { ...process.env, LANG: "C", LC_ALL: "" }, stdio: ["pipe", "pipe", "pipe"] },
  );
  const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => {
    out += d;
  });
  let timer: NodeJS.Timeout | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (d: string) => {
      out += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void closed.then(() => reject(new Error(`papo serve exited:\n${out}`)));
    timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`papo serve did not start:\n${out}`));
    }, 60_000);
  }).finally(() => clearTimeout(timer));
  return {
    port,
    stop() {
      child.kill("SIGTERM");
      return closed;
    },
  };
}

it("item 13.3: the backup recipe: sqlite3 is locked out while papo runs; stop, .backup, the copy has the history", {
  skip: haveSqlite3 || inCI ? false : "sqlite3 not installed (apt-get install sqlite3)",
  timeout: 120_000,
}, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "papo-backup-"));
  const data = path.join(dir, "data");
  const restored = path.join(dir, "restored");
  try {
    const papo = await serveOn(data);
    let stopped = false;
    try {
      const ana = await RawUser.join(papo.port, "ana");
      const bob = await RawUser.join(papo.port, "bob");
      ana.send("guardado no backup");
      // Stored before anyone receives it.
      await bob.waitFor("ana: guardado no backup");
      const locked = await run("sqlite3", [
        path.join(data, "papo.db"),
        "select count(*) from sqlite_master",
      ]).then(
        () => "",
        (err: { stderr: string }) => err.stderr,
      );
      assert.match(locked, /database is locked/);
      ana.close();
      bob.close();
      assert.equal(await papo.stop(), 0);
      stopped = true;
    } finally {
      if (!stopped) await papo.stop();
    }
    // A clean stop wrote the WAL back: the database is one file.
    assert.ok(!existsSync(path.join(data, "papo.db-wal")), "no papo.db-wal after a clean stop");
    await mkdir(restored);
    await run("sqlite3", [path.join(data, "papo.db"), `.backup ${path.join(restored, "papo.db")}`]);
    const again = await serveOn(restored);
    try {
      const carla = await RawUser.join(again.port, "carla");
      await carla.waitFor("ana: guardado no backup");
      carla.close();
    } finally {
      assert.equal(await again.stop(), 0);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
