/**
 * The terminal client in a real terminal (tmux): a message arriving while the user is half-way
 * through typing a line is printed above the prompt, and the half-typed line and the cursor are
 * left as they were (DESIGN: "a terminal client that never garbles the line being typed"). Also
 * Tab completion of a name and Ctrl-C leaving cleanly. Skipped, with the reason printed, when
 * tmux is not installed.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, test } from "node:test";
import { RawUser, ROOT, startChatServer, WAIT_MS } from "./client-helpers.ts";

function tmuxVersion(): string | undefined {
  try {
    return execFileSync("tmux", ["-V"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

const version = tmuxVersion();
// A private tmux server (its own socket), so the test never touches a user's tmux sessions.
const SOCKET = `papo-client-test-${process.pid}`;
const tmux = (...args: string[]) =>
  execFileSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

function killTmux(): void {
  try {
    tmux("kill-server");
  } catch {
    // already gone: the last session ended with the client
  }
}

after(() => {
  if (version) killTmux();
});

/** The visible screen, without colours, with trailing blank lines dropped. */
function screen(): string[] {
  const lines = tmux("capture-pane", "-p", "-t", "chat").split("\n");
  while (lines.length > 0 && (lines.at(-1) ?? "").trim() === "") lines.pop();
  return lines;
}

async function waitScreen(check: (lines: string[]) => boolean, what: string): Promise<string[]> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    let lines: string[] = [];
    try {
      lines = screen();
    } catch {
      // the session may be gone (the client exited)
    }
    if (check(lines)) return lines;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${lines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function sessionAlive(): boolean {
  try {
    tmux("has-session", "-t", "chat");
    return true;
  } catch {
    return false;
  }
}

test("S12 client under tmux: incoming lines never garble the half-typed input; Tab completes; Ctrl-C leaves", {
  skip: version ? false : "tmux is not installed (apt-get install tmux to run this test)",
}, async () => {
  const server = await startChatServer();
  try {
    const bob = await RawUser.join(server.port, "bob");
    const command = [
      process.execPath,
      "--import",
      "tsx",
      "src/cli.ts",
      "connect",
      `127.0.0.1:${server.port}`,
      "--name",
      "ana",
    ].join(" ");
    tmux("new-session", "-d", "-s", "chat", "-x", "100", "-y", "30", "-c", ROOT, "-e", "LANG=C", command);
    await waitScreen((l) => l.at(-1) === "ana>", "the prompt");

    tmux("send-keys", "-t", "chat", "-l", "half typed wor");
    await waitScreen((l) => l.at(-1) === "ana> half typed wor", "the half-typed line");

    bob.send("a message from bob");
    bob.send("and another one");
    const lines = await waitScreen(
      (l) => l.some((x) => /^\d\d:\d\d and another one$/.test(x.replace(" bob:", ""))),
      "bob's messages",
    );
    // Above the prompt, in order; the input line is intact at the bottom, cursor at its end.
    const first = lines.findIndex((x) => /^\d\d:\d\d bob: a message from bob$/.test(x));
    const second = lines.findIndex((x) => /^\d\d:\d\d bob: and another one$/.test(x));
    assert.ok(first >= 0 && second === first + 1, lines.join("\n"));
    assert.equal(lines.at(-1), "ana> half typed wor");
    assert.equal(second, lines.length - 2, "the prompt is right below the new lines");
    assert.equal(
      tmux("display", "-p", "-t", "chat", "#{cursor_x}").trim(),
      String("ana> half typed wor".length),
    );

    // Finishing the line sends it whole; it is shown once (the server's echo, with a timestamp).
    tmux("send-keys", "-t", "chat", "-l", "ld");
    tmux("send-keys", "-t", "chat", "Enter");
    await bob.waitFor("ana: half typed world");
    const after = await waitScreen(
      (l) => l.some((x) => /^\d\d:\d\d ana: half typed world$/.test(x)) && l.at(-1) === "ana>",
      "the echo",
    );
    assert.equal(after.filter((x) => x.includes("half typed world")).length, 1, after.join("\n"));

    // Tab completes a name after @, in the case the server uses.
    tmux("send-keys", "-t", "chat", "-l", "@B");
    tmux("send-keys", "-t", "chat", "Tab");
    await waitScreen((l) => l.at(-1) === "ana> @bob", "the completed name");
    tmux("send-keys", "-t", "chat", "-l", "psst");
    tmux("send-keys", "-t", "chat", "Enter");
    await bob.waitFor("ana (private): psst");

    // An input longer than the terminal is wide wraps over two rows; both are redrawn intact.
    const long = `${"x".repeat(60)} ${"y".repeat(60)} end`;
    tmux("send-keys", "-t", "chat", "-l", long);
    await waitScreen((l) => (l.at(-1) ?? "").endsWith("end"), "the long input");
    bob.send("while wrapped");
    const wrapped = await waitScreen(
      (l) => l.some((x) => /^\d\d:\d\d bob: while wrapped$/.test(x)),
      "the message during a wrapped input",
    );
    assert.match(wrapped.at(-3) ?? "", /^\d\d:\d\d bob: while wrapped$/, wrapped.join("\n"));
    assert.equal(`${wrapped.at(-2)}${wrapped.at(-1)}`, `ana> ${long}`);
    assert.equal(wrapped.filter((x) => x.includes("xxxxxxxxxx")).length, 1, wrapped.join("\n"));
    // Sent, the wrapped entry is erased whole and replaced by the echo (no stray row left).
    tmux("send-keys", "-t", "chat", "Enter");
    await bob.waitFor(`ana: ${long}`);
    const sent = await waitScreen(
      (l) => l.at(-1) === "ana>" && l.some((x) => x.includes(" ana: xxx")),
      "the echo",
    );
    assert.ok(!sent.some((x) => x.startsWith("ana> x")), sent.join("\n"));
    assert.equal(sent.filter((x) => x.includes("xxxxxxxxxx")).length, 1, sent.join("\n"));

    // Ctrl-C leaves cleanly: /quit is sent, everyone is told.
    tmux("send-keys", "-t", "chat", "C-c");
    await bob.waitFor("* ana left");
    const deadline = Date.now() + WAIT_MS;
    while (sessionAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(sessionAlive(), false, "the client exited");
    bob.close();
  } finally {
    await server.close();
  }
});

test("item 8 client under tmux: the password is typed masked and kept out of history; Ctrl-D leaves", {
  skip: version ? false : "tmux is not installed (apt-get install tmux to run this test)",
}, async () => {
  const server = await startChatServer({ password: "s3cret" });
  try {
    const command = [process.execPath, "--import", "tsx", "src/cli.ts", "connect"];
    command.push(`127.0.0.1:${server.port}`, "--name", "ana");
    tmux(
      "new-session",
      "-d",
      "-s",
      "chat",
      "-x",
      "100",
      "-y",
      "30",
      "-c",
      ROOT,
      "-e",
      "LANG=C",
      command.join(" "),
    );
    await waitScreen((l) => l.at(-1) === "password>", "the password prompt");
    tmux("send-keys", "-t", "chat", "-l", "s3cret");
    await waitScreen((l) => l.at(-1) === "password> ******", "the masked password");
    tmux("send-keys", "-t", "chat", "Enter");
    await waitScreen((l) => l.at(-1) === "ana>", "the chat prompt");
    assert.ok(!screen().some((l) => l.includes("s3cret")));
    // Up-arrow recalls nothing: the password is not in the history.
    tmux("send-keys", "-t", "chat", "Up");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(screen().at(-1), "ana>");
    tmux("send-keys", "-t", "chat", "C-d");
    const deadline = Date.now() + WAIT_MS;
    while (sessionAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(sessionAlive(), false, "the client exited");
  } finally {
    killTmux();
    await server.close();
  }
});
