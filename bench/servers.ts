/**
 * The servers the benchmark can start: papo itself and the baselines. Each is run as a child
 * process on 127.0.0.1 (its pid is what /proc is read for), waited for until it accepts
 * connections, and stopped with SIGTERM (SIGKILL after 3 s).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ProtocolName } from "./protocols.ts";

export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface ServerDef {
  name: string;
  protocol: ProtocolName;
  description: string;
  /** argv; run with cwd = repo root */
  command: string[];
  /** arguments made anew for each start (papo: a fresh data directory) */
  freshArgs?: () => string[];
  /** "stdout": parse `... listening on HOST:PORT` from stdout; a number: fixed port from its config */
  port: "stdout" | number;
  /**
   * connections registering at once per load-generator worker when N > 2000: ngIRCd registers in
   * O(N) per client (narrow window), InspIRCd completes registrations once a second (wide window)
   */
  largeRampBatch?: number;
  /** a file that must exist (the Debian binary), with the hint to show when it does not */
  requires?: { path: string; hint: string };
  /** papo's IRC port, read from its `IRC on irc://HOST:PORT` line (the load goes there, or half of it) */
  ircPort?: "stdout";
  /** the channel IRC clients join and talk in (default #bench) */
  ircChannel?: string;
}

const tsxNode = ["node", "--import", "tsx"];

/**
 * Builds papo in `dir` as `npm ci` does: the TypeScript (`tsc -p tsconfig.build.json`, into dist/)
 * and the optional native write helper (native/build.mjs, where the checkout has it). Throws when
 * the TypeScript does not build.
 */
export function buildPapo(dir: string = REPO_ROOT): void {
  const tsc = spawnSync(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: dir,
    stdio: "inherit",
  });
  if (tsc.status !== 0) throw new Error(`papo does not build in ${dir}`);
  if (existsSync(join(dir, "native/build.mjs")))
    spawnSync(process.execPath, [join(dir, "native/build.mjs")], { cwd: dir, stdio: "inherit" });
}

/**
 * @param papoArgs extra arguments for `papo serve`
 * @param papoDir run papo from this checkout instead of this one (e.g. a `git worktree` of a
 *   commit, so edits in progress in the work tree do not break a long run)
 */
export function serverDefs(papoArgs: string[] = [], papoDir?: string): Record<string, ServerDef> {
  // papo as users run it (`npm start`): the compiled dist/cli.js, which `buildPapo` makes first.
  // Run from the sources through tsx it took 1.2 to 1.5 points more of a core at 100 × 0.5 (issue
  // 14, docs/performance.md), a cost of the loader that no user pays.
  const cli = join(papoDir ?? REPO_ROOT, "dist/cli.js");
  // A checkout from before IRC was on by default (--papo-dir) has no --no-irc, and needs none.
  const hasNoIrc = existsSync(join(papoDir ?? REPO_ROOT, "src/cli.ts"))
    ? readFileSync(join(papoDir ?? REPO_ROOT, "src/cli.ts"), "utf8").includes('"no-irc"')
    : true;
  const papoCommand = (irc: boolean) => [
    "node",
    cli,
    "serve",
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--log-level",
    "warn",
    // the web app stays on (as in production) but on a free port, so runs never collide on 7780;
    // IRC too, when the run uses it (never on 6667, which another IRC server may hold)
    "--http-port",
    "0",
    ...(irc ? ["--irc-port", "0"] : hasNoIrc ? ["--no-irc"] : []),
    ...papoArgs,
  ];
  // A fresh SQLite history per run (the default store, as in production), unless the arguments
  // choose another (--no-store, --data DIR).
  const freshArgs = () =>
    papoArgs.includes("--no-store") || papoArgs.includes("--data")
      ? []
      : ["--data", mkdtempSync(join(tmpdir(), "papo-bench-"))];
  return {
    papo: {
      name: "papo",
      protocol: "text",
      description: "papo serve (text mode)",
      command: papoCommand(false),
      freshArgs,
      port: "stdout",
    },
    // Issue 11: the same IRC load as ngIRCd and InspIRCd get, on papo's IRC port.
    "papo-irc": {
      name: "papo-irc",
      protocol: "irc",
      description: "papo serve, IRC port (--irc-port), channel #bench",
      command: papoCommand(true),
      freshArgs,
      port: "stdout",
      ircPort: "stdout",
    },
    // Issue 11: the mixed room: half IRC, half text, all in papo's lobby.
    "papo-mixed": {
      name: "papo-mixed",
      protocol: "mixed",
      description: "papo serve, #lobby: even clients IRC (--irc-port), odd clients text",
      command: papoCommand(true),
      freshArgs,
      port: "stdout",
      ircPort: "stdout",
      ircChannel: "#lobby",
    },
    ngircd: {
      name: "ngircd",
      protocol: "irc",
      description: "ngIRCd 26 (Debian), bench/baselines/ngircd.conf",
      command: ["sh", "bench/baselines/start-ngircd.sh"],
      port: 16667,
      largeRampBatch: 10,
      requires: { path: "/usr/sbin/ngircd", hint: "apt-get install -y ngircd" },
    },
    inspircd: {
      name: "inspircd",
      protocol: "irc",
      description: "InspIRCd 3 (Debian), bench/baselines/inspircd.conf",
      command: ["sh", "bench/baselines/start-inspircd.sh"],
      port: 16697,
      largeRampBatch: 250,
      requires: { path: "/usr/sbin/inspircd", hint: "apt-get install -y inspircd" },
    },
    seed: {
      name: "seed",
      protocol: "text",
      description: "seed-style Python server: thread per client, sendall loop",
      command: ["python3", "bench/baselines/seed_server.py", "--host", "127.0.0.1", "--port", "0"],
      port: "stdout",
    },
    "raw-naive": {
      name: "raw-naive",
      protocol: "text",
      description: "raw Node fan-out, one socket.write per recipient, Nagle on",
      command: [...tsxNode, "bench/baselines/raw-fanout.ts", "--mode", "naive", "--port", "0"],
      port: "stdout",
    },
    "raw-batched": {
      name: "raw-batched",
      protocol: "text",
      description: "raw Node fan-out, one write per socket per tick, Nagle on",
      command: [...tsxNode, "bench/baselines/raw-fanout.ts", "--mode", "batched", "--port", "0"],
      port: "stdout",
    },
    "raw-batched-nodelay": {
      name: "raw-batched-nodelay",
      protocol: "text",
      description: "raw Node fan-out, one write per socket per tick, TCP_NODELAY",
      command: [...tsxNode, "bench/baselines/raw-fanout.ts", "--mode", "batched", "--nodelay", "--port", "0"],
      port: "stdout",
    },
  };
}

export interface RunningServer {
  def: ServerDef;
  pid: number;
  host: string;
  port: number;
  /** papo's IRC port (`ircPort: "stdout"`) */
  ircPort?: number;
  /** the last lines the server printed (stdout and stderr), for error reports */
  output(): string;
  stop(): Promise<void>;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

/**
 * `papo is listening on 127.0.0.1:PORT` (or pt-BR `escutando em`), `raw-fanout ... is listening
 * on ...`, `seed server is listening on ...`. papo prints its web app's address on another line.
 */
const LISTENING = /(?:listening on|escutando em) (127\.\d+\.\d+\.\d+):(\d+)/;
/** papo's IRC line: `IRC on irc://127.0.0.1:PORT` (or pt-BR `IRC em`). */
const IRC_LISTENING = /IRC (?:on|em) irc:\/\/127\.\d+\.\d+\.\d+:(\d+)/;

export async function startServer(def: ServerDef, timeoutMs = 30_000): Promise<RunningServer> {
  if (def.requires && !existsSync(def.requires.path)) {
    throw new Error(`${def.name}: ${def.requires.path} is missing (${def.requires.hint})`);
  }
  const host = "127.0.0.1";
  if (typeof def.port === "number" && (await canConnect(host, def.port))) {
    throw new Error(`${def.name}: port ${def.port} is already in use (is another instance running?)`);
  }
  const child: ChildProcess = spawn(
    def.command[0]!,
    [...def.command.slice(1), ...(def.freshArgs?.() ?? [])],
    {
      cwd: REPO_ROOT,
      // stdin stays an open pipe: papo reads operator commands from it and must not see EOF
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    },
  );
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) tail.push(line);
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  let exited: string | null = null;
  child.on("exit", (code, signal) => {
    exited = `exited (code ${code}, signal ${signal})`;
  });
  child.stderr!.on("data", keep);
  let ircPort: number | undefined;
  const portFromStdout = new Promise<number>((resolve) => {
    let acc = "";
    let port = 0;
    child.stdout!.on("data", (chunk: Buffer) => {
      keep(chunk);
      if (def.port !== "stdout") return;
      acc += chunk.toString("utf8");
      port ||= Number(LISTENING.exec(acc)?.[2] ?? 0);
      // papo prints its IRC address after the chat's: wait for both when the run needs IRC.
      if (def.ircPort === "stdout") ircPort ||= Number(IRC_LISTENING.exec(acc)?.[1] ?? 0) || undefined;
      if (port && (def.ircPort !== "stdout" || ircPort)) {
        acc = "";
        resolve(port);
      } else if (acc.length > 65536) acc = acc.slice(-1024);
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    let t: NodeJS.Timeout | undefined;
    const killed = await Promise.race([
      gone.then(() => false),
      new Promise<boolean>((r) => {
        t = setTimeout(() => r(true), 3000);
      }),
    ]);
    clearTimeout(t);
    if (killed) {
      child.kill("SIGKILL");
      await gone;
    }
  };
  const deadline = Date.now() + timeoutMs;
  let port: number | null = null;
  if (def.port === "stdout") {
    let t: NodeJS.Timeout | undefined;
    port = await Promise.race([
      portFromStdout,
      new Promise<null>((r) => {
        t = setTimeout(() => r(null), timeoutMs);
      }),
      new Promise<null>((r) => child.once("exit", () => r(null))),
    ]);
    clearTimeout(t);
  } else {
    while (Date.now() < deadline && exited === null) {
      if (await canConnect(host, def.port)) {
        port = def.port;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (port === null || child.pid === undefined) {
    await stop();
    throw new Error(
      `${def.name} did not start (${exited ?? "no listening port within the deadline"}):\n  ${tail.join("\n  ")}`,
    );
  }
  return {
    def,
    pid: child.pid,
    host,
    port,
    ...(ircPort ? { ircPort } : {}),
    output: () => tail.join("\n"),
    stop,
  };
}
