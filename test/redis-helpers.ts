/**
 * A real redis-server for tests (issue 12: nothing in the tests mocks Redis): started on a free
 * loopback port in its own temporary directory, paused and resumed with SIGSTOP/SIGCONT, and
 * restarted on the same port with its data (SHUTDOWN SAVE, then the dump is loaded) or without
 * (an empty Redis: a new epoch for papo).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/** True when the redis-server binary is on PATH (CI installs it; see .ci/run). */
export function haveRedis(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

/** A free TCP port on 127.0.0.1 (bind port 0, read it, let it go). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Sends one inline command over a fresh socket; resolves with the raw reply (or "" if closed). */
export function rawCommand(port: number, command: string, ms = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    let out = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`redis ${command}: no reply in ${ms} ms`));
    }, ms);
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(`${command}\r\n`));
    sock.on("data", (d: string) => {
      out += d;
      if (out.endsWith("\r\n")) {
        clearTimeout(timer);
        sock.destroy();
        resolve(out);
      }
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

export class TestRedis {
  readonly port: number;
  readonly dir: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #paused = false;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts a redis-server on a free port (a few tries, in case another process takes the port). */
  static async start(): Promise<TestRedis> {
    const dir = mkdtempSync(path.join(tmpdir(), "papo-redis-"));
    let lastError: unknown;
    for (let i = 0; i < 5; i++) {
      const r = new TestRedis(await freePort(), dir);
      try {
        await r.#spawn();
        return r;
      } catch (err) {
        lastError = err;
      }
    }
    rmSync(dir, { recursive: true, force: true });
    throw lastError;
  }

  async #spawn(): Promise<void> {
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        this.dir,
        "--dbfilename",
        "dump.rdb",
        "--maxmemory-policy",
        "noeviction",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    let out = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes("Ready to accept connections")) {
          clearTimeout(timer);
          child.stdout?.off("data", onData);
          resolve();
        }
      };
      child.stdout?.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}):\n${out}`));
      });
    });
    // Keep draining its output so it never blocks on a full pipe.
    child.stdout?.resume();
    child.stderr?.resume();
  }

  /** SIGSTOP: Redis stops answering but keeps its connections open (a hung server). */
  pause(): void {
    if (this.#child?.pid === undefined) throw new Error("redis is not running");
    process.kill(this.#child.pid, "SIGSTOP");
    this.#paused = true;
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    if (this.#child?.pid === undefined) throw new Error("redis is not running");
    process.kill(this.#child.pid, "SIGCONT");
    this.#paused = false;
  }

  /** Stops it: with `save`, its data is written to the dump first and loaded by the next start. */
  async stop({ save = false }: { save?: boolean } = {}): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    if (this.#paused) this.resume();
    try {
      await rawCommand(this.port, save ? "SHUTDOWN SAVE" : "SHUTDOWN NOSAVE");
    } catch {
      child.kill("SIGKILL");
    }
    await this.#exited;
    this.#child = undefined;
    if (!save) rmSync(path.join(this.dir, "dump.rdb"), { force: true });
  }

  /** Restarts on the same port, with its data (`keepData`) or empty. */
  async restart({ keepData }: { keepData: boolean }): Promise<void> {
    await this.stop({ save: keepData });
    await this.#spawn();
  }

  /** Stops it for good and removes its directory. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
