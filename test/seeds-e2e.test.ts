/**
 * The seeds' own clients, unchanged (issue 10): each document's client, rebuilt as a Python file in
 * test/seeds/, runs as a child process against papo, in one room with an nc-style user (text
 * lines) and a json user. Both directions are checked, and every way each client leaves tells the
 * others. Seed 004's Tkinter window runs under Xvfb (`xvfb-run`), driven by test/seeds/drive_tk.py.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { canonicalName } from "../src/core/nickname.ts";
import { Changes } from "./changes.ts";
import { Peer } from "./fault-helpers.ts";
import { startTestServer, type TestServer } from "./helpers.ts";

const SEEDS = fileURLToPath(new URL("./seeds/", import.meta.url));
const WAIT_MS = 8000;

function have(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const havePython = have("python3", ["-c", "import socket, threading"]);
const haveTk =
  havePython && have("python3", ["-c", "import tkinter"]) && have("sh", ["-c", "command -v xvfb-run"]);
const inCI = process.env.CI === "true";
if (!havePython || !haveTk)
  process.stderr.write(
    `\n!! python3${haveTk ? "" : ", python3-tk or xvfb"} missing: the seeds' client tests are ${inCI ? "FAILING (CI=true)" : "SKIPPED"} (apt-get install python3 python3-tk xvfb)\n\n`,
  );

/** A seed client as a child process: its output as lines, its input as typed lines. */
class SeedClient {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  #partial = "";
  exited: number | null | undefined;
  readonly #changes = new Changes();

  constructor(file: string, port: number, { gui = false } = {}) {
    const env = {
      ...process.env,
      SEED_HOST: "127.0.0.1",
      SEED_PORT: String(port),
      PYTHONIOENCODING: "utf-8",
    };
    this.child = gui
      ? spawn("xvfb-run", ["-a", "python3", "-u", `${SEEDS}drive_tk.py`, `${SEEDS}${file}`], { env })
      : spawn("python3", ["-u", `${SEEDS}${file}`], { env });
    const take = (d: Buffer) => {
      const text = this.#partial + d.toString("utf8");
      const parts = text.split("\n");
      this.#partial = parts.pop() ?? "";
      for (const p of parts) this.lines.push(p.replace(/\r$/, ""));
      this.#changes.notify();
    };
    this.child.stdout?.on("data", take);
    this.child.stderr?.on("data", take);
    this.child.on("exit", (code) => {
      this.exited = code;
      this.#changes.notify();
    });
  }

  type(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Waits for an output line containing `text` (from line index `from`). */
  async waitFor(text: string, { from = 0, ms = WAIT_MS } = {}): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.slice(from).find((l) => l.includes(text));
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.exited !== undefined)
        throw new Error(
          `no output line with ${JSON.stringify(text)}${this.exited !== undefined ? ` (exited ${this.exited})` : ""}; got:\n${this.lines.slice(-30).join("\n")}${this.#partial ? `\n${this.#partial}` : ""}`,
        );
      await this.#changes.next(left);
    }
  }

  async waitExit(ms = WAIT_MS): Promise<number | null> {
    const deadline = Date.now() + ms;
    while (this.exited === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`still running; got:\n${this.lines.slice(-30).join("\n")}`);
      await this.#changes.next(left);
    }
    return this.exited;
  }

  /** Closing the client the way a user does: its terminal or window goes away. */
  kill(): void {
    if (this.exited === undefined) this.child.kill("SIGKILL");
  }
}

describe("the seeds' own clients against papo (issue 10)", {
  // A client that hangs fails its test instead of holding the suite.
  timeout: 60_000,
  skip: havePython && haveTk ? false : inCI ? undefined : "python3, python3-tk or xvfb missing",
}, () => {
  let server: TestServer;
  let nc: Peer;
  let json: Peer;
  const running: SeedClient[] = [];
  const seed = (file: string, port = server.port, opts = {}) => {
    const c = new SeedClient(file, port, opts);
    running.push(c);
    return c;
  };

  before(async () => {
    if (inCI) assert.ok(havePython && haveTk, "CI must install python3, python3-tk and xvfb (.ci/run)");
    server = await startTestServer({ nickPort: 0 });
    nc = await Peer.joinText(server.port, "nc_user");
    json = await Peer.joinJson(server.port, "json_user");
  });
  after(async () => {
    for (const c of running) c.kill();
    nc?.close();
    json?.close();
    await server?.close();
  });

  /** Both room users see `name` say `text`. */
  async function heardFrom(name: string, text: string): Promise<void> {
    await nc.waitLine(`${name}: ${text}`);
    await json.waitEvent("message", (e) => e.from === name && e.text === text);
  }

  /** Both room users say something; returns what they said. */
  function roomSays(tag: string): { nc: string; json: string } {
    const said = { nc: `oi do nc para ${tag} ção`, json: `oi do json para ${tag}` };
    nc.line(said.nc);
    json.say(said.json);
    return said;
  }

  async function leftAs(name: string, how: RegExp): Promise<void> {
    const line = await nc.waitLine((l) => l.startsWith(`* ${name} `) && !l.includes(" joined"));
    assert.match(line, how);
    await json.waitEvent("left", (e) => e.name === name);
  }

  it("seed 000: 64-byte header frames, both directions, Desconectar and closing tell the others", async () => {
    const c = seed("seed000_client.py");
    c.type("s000");
    await nc.waitLine("* s000 joined");
    c.type("olá do seed 000");
    await heardFrom("s000", "olá do seed 000");
    const said = roomSays("s000");
    await c.waitFor(`nc_user: ${said.nc}`);
    await c.waitFor(`json_user: ${said.json}`);
    c.type("Desconectar");
    await leftAs("s000", /^\* s000 left$/);
    await c.waitExit();
    const again = seed("seed000_client.py");
    again.type("s000b");
    await nc.waitLine("* s000b joined");
    again.kill();
    await leftAs("s000b", /lost the connection/);
  });

  it("seed 001 (on --nick-port): NICK, its nickname, `name: text` stripped, ASCII only; closing tells the others", async () => {
    const port = server.nickAddress?.port as number;
    const c = seed("seed001_client.py", port);
    c.type("s001");
    await nc.waitLine("* s001 joined");
    // Its own messages reach the room without the client's `s001: ` prefix.
    c.type("hello from seed 001");
    await heardFrom("s001", "hello from seed 001");
    // What the room says reaches it as ASCII (its client would drop the connection otherwise).
    const said = roomSays("s001");
    await c.waitFor("nc_user: oi do nc para s001 cao");
    await c.waitFor(`json_user: ${said.json}`);
    assert.ok(!c.lines.includes("Ocorreu um erro!"), c.lines.join("\n"));
    c.kill();
    await leftAs("s001", /lost the connection/);
  });

  it("seed 002: `<NAME> <TEXT>` registers and posts, later messages are unwrapped; closing tells the others", async () => {
    const c = seed("seed002_client.py");
    c.type("s002");
    await c.waitFor("Conectado.");
    c.type("primeira mensagem");
    await nc.waitLine("* s002 joined");
    await heardFrom("s002", "primeira mensagem");
    c.type("segunda, com ç e 👋");
    await heardFrom("s002", "segunda, com ç e 👋");
    const said = roomSays("s002");
    await c.waitFor(`nc_user: ${said.nc}`);
    await c.waitFor(`json_user: ${said.json}`);
    c.kill();
    await leftAs("s002", /lost the connection/);
  });

  it("seed 003: no newline, /sair and closing tell the others", async () => {
    const c = seed("seed003_client.py");
    await c.waitFor("INICIANDO CHAT");
    await c.waitFor("Choose a name");
    c.type("Notebook_Mãe");
    await nc.waitLine("* Notebook_Mãe joined");
    await c.waitFor("Hello, Notebook_Mãe!");
    c.type("Olá a todos!");
    await heardFrom("Notebook_Mãe", "Olá a todos!");
    c.type("@nc_user Olá, essa é uma mensagem privada");
    await nc.waitLine("Notebook_Mãe (private): Olá, essa é uma mensagem privada");
    const said = roomSays("s003");
    await c.waitFor(`nc_user: ${said.nc}`);
    await c.waitFor(`json_user: ${said.json}`);
    c.type("/sair");
    await c.waitFor("Você saiu do chat.");
    await leftAs("Notebook_Mãe", /^\* Notebook_Mãe left$/);
    const again = seed("seed003_client.py");
    await again.waitFor("Choose a name");
    again.type("NotebookTrabalho");
    await nc.waitLine("* NotebookTrabalho joined");
    again.kill();
    await leftAs("NotebookTrabalho", /lost the connection/);
  });

  /** Seed 004's window, its name typed into its name dialog; resolves once the chat window shows. */
  async function window004(name: string, port = server.port): Promise<SeedClient> {
    const c = seed("seed004_client.py", port, { gui: true });
    c.type(`name ${name}`);
    await c.waitFor("WINDOW", { ms: 20_000 });
    return c;
  }

  it("seed 004 (Tkinter, Xvfb): no newline, both directions in its chat pane, Sair and closing tell the others", async () => {
    const c = await window004("s004");
    await nc.waitLine("* s004 joined");
    await c.waitFor("CHAT * Hello, s004!");
    c.type("say olá da janela");
    await heardFrom("s004", "olá da janela");
    c.type("say @json_user só para você");
    await json.waitEvent("private", (e) => e.from === "s004" && e.text === "só para você");
    const said = roomSays("s004");
    await c.waitFor(`CHAT nc_user: ${said.nc}`);
    await c.waitFor(`CHAT json_user: ${said.json}`);
    c.type("click Sair");
    await leftAs("s004", /lost the connection|left/);
    await c.waitExit();
    const again = await window004("s004b");
    await nc.waitLine("* s004b joined");
    again.type("close");
    await leftAs("s004b", /lost the connection|left/);
    await again.waitExit();
  });

  it("seed 004: kicked -> SERVIDOR_ENCERRADO alone: its dialog shows and its window closes", async () => {
    const c = await window004("s004k");
    await nc.waitLine("* s004k joined");
    assert.ok(server.chat.kick(canonicalName("s004k"), "teste"));
    await c.waitFor("DIALOG Desconectado | O servidor foi encerrado. O chat será fechado.");
    await c.waitExit();
    await leftAs("s004k", /removed by the operator/);
    // It never showed the word in its pane: the line came alone, as its client compares it.
    assert.ok(
      !c.lines.some((l) => l.includes("CHAT") && l.includes("SERVIDOR_ENCERRADO")),
      c.lines.join("\n"),
    );
  });

  it("seed 004: server shutdown -> SERVIDOR_ENCERRADO alone, its window closes; seed 003 is told too", async () => {
    const own = await startTestServer({});
    try {
      const c = await window004("s004s", own.port);
      const other = seed("seed003_client.py", own.port);
      await other.waitFor("Choose a name");
      other.type("s003s");
      await c.waitFor("CHAT * s003s joined");
      await own.close("manutenção");
      await c.waitFor("DIALOG Desconectado | O servidor foi encerrado. O chat será fechado.");
      await c.waitExit();
      await other.waitFor("SERVIDOR_ENCERRADO");
      await other.waitFor("Conexão encerrada pelo servidor.");
    } finally {
      await own.close();
    }
  });
});
