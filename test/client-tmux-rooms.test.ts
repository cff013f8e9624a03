/**
 * The terminal client's rooms and reconnection in a real terminal (tmux): the current room in the
 * prompt, Tab completion of a room name, a sent line kept on screen until the server's echo
 * confirms it, the offline countdown in the prompt with Enter to retry at once, and the resume
 * that confirms the line afterwards (issue 14, issue 10 item 3). Skipped when tmux is missing.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, test } from "node:test";
import { RawUser, ROOT, startChatServer, TcpProxy, WAIT_MS } from "./client-helpers.ts";

function tmuxVersion(): string | undefined {
  try {
    return execFileSync("tmux", ["-V"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

const version = tmuxVersion();
// A private tmux server (its own socket), so the test never touches a user's tmux sessions.
const SOCKET = `papo-client-rooms-test-${process.pid}`;
const tmux = (...args: string[]) =>
  execFileSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

after(() => {
  if (!version) return;
  try {
    tmux("kill-server");
  } catch {
    // already gone
  }
});

function screen(): string[] {
  const lines = tmux("capture-pane", "-p", "-t", "rooms").split("\n");
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

test("issue 14 / issue 10 item 3 client under tmux: the room in the prompt, Tab on rooms, a line kept until confirmed, the offline countdown", {
  skip: version ? false : "tmux is not installed (apt-get install tmux to run this test)",
}, async () => {
  const server = await startChatServer({}, { floodBurst: 100 });
  const proxy = await new TcpProxy(server.port).listen();
  try {
    const bob = await RawUser.join(server.port, "bob");
    bob.send("/join #geral");
    await bob.waitFor("* You are in #geral");
    const command = [
      process.execPath,
      "--import",
      "tsx",
      "src/cli.ts",
      "connect",
      `127.0.0.1:${proxy.port}`,
      "--name",
      "ana",
    ].join(" ");
    tmux(
      "new-session",
      ...["-d", "-s", "rooms", "-x", "100", "-y", "30", "-c", ROOT],
      ...["-e", "LANG=C", "-e", "PAPO_RECONNECT_DELAY_MS=4000"],
      command,
    );
    await waitScreen((l) => l.at(-1) === "ana>", "the prompt");

    // Tab completes a room from the last /rooms answer; after /join the prompt names the room.
    tmux("send-keys", "-t", "rooms", "-l", "/rooms");
    tmux("send-keys", "-t", "rooms", "Enter");
    await waitScreen((l) => l.some((x) => x.includes("#geral: 1 person")), "the room list");
    tmux("send-keys", "-t", "rooms", "-l", "/join #g");
    tmux("send-keys", "-t", "rooms", "Tab");
    await waitScreen((l) => l.at(-1) === "ana> /join #geral", "the completed room");
    tmux("send-keys", "-t", "rooms", "Enter");
    await waitScreen((l) => l.at(-1) === "#geral>", "the room in the prompt");

    // The echo never comes back: what was typed stays on the screen.
    proxy.dropDown = true;
    tmux("send-keys", "-t", "rooms", "-l", "not confirmed yet");
    tmux("send-keys", "-t", "rooms", "Enter");
    await bob.waitFor("ana: not confirmed yet");
    const kept = screen();
    assert.ok(kept.includes("#geral> not confirmed yet"), kept.join("\n"));

    // The link drops and the server looks down: the prompt counts down to the next attempt.
    proxy.blocked = true;
    proxy.cut();
    await waitScreen(
      (l) => /^\(offline: retry in \d s, Enter: now\) #geral>$/.test(l.at(-1) ?? ""),
      "the countdown",
    );
    bob.send("said while ana was away");
    proxy.dropDown = false;
    proxy.blocked = false;
    // Enter on an empty line tries at once; the resume brings the missed line and the echo.
    tmux("send-keys", "-t", "rooms", "Enter");
    const back = await waitScreen(
      (l) =>
        l.at(-1) === "#geral>" &&
        l.some((x) => /^\d\d:\d\d bob: said while ana was away$/.test(x)) &&
        l.some((x) => /^\d\d:\d\d ana: not confirmed yet$/.test(x)),
      "the resume",
    );
    assert.equal(back.filter((x) => x.includes("said while ana was away")).length, 1, back.join("\n"));
    assert.equal(back.filter((x) => /^\d\d:\d\d ana: not confirmed yet$/.test(x)).length, 1, back.join("\n"));
    assert.equal(bob.lines.filter((x) => x === "ana: not confirmed yet").length, 1, bob.lines.join("\n"));
    tmux("send-keys", "-t", "rooms", "C-c");
    await bob.waitFor("* ana left");
    bob.close();
  } finally {
    await proxy.close();
    await server.close();
  }
});
