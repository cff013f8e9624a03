/**
 * Issue 10 item 4: the operator console on a terminal (`papo serve` in tmux) edits like a shell
 * line: Left/Right insert where the cursor is, Up recalls earlier commands, Ctrl-L clears the
 * screen, and log lines arriving while a command is half typed are printed above the prompt,
 * leaving the command as it was. (Through a pipe the console is unchanged: cli.test.ts.)
 * Skipped, with the reason printed, when tmux is not installed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RawUser } from "./client-helpers.ts";
import { killTmux, NEEDS_TMUX, TmuxPane } from "./tmux-helpers.ts";

const PROMPT = "papo> ";

test("item 10.4 console on a terminal: Left/Right editing, history, Ctrl-L, log lines above a half-typed command", {
  skip: NEEDS_TMUX,
}, async () => {
  const command = [process.execPath, "--import", "tsx", "src/cli.ts", "serve"];
  command.push("--host", "127.0.0.1", "--port", "0", "--no-http", "--no-store", "--no-irc");
  const pane = new TmuxPane("console", command, 100, 30);
  const users: RawUser[] = [];
  try {
    const start = await pane.waitScreen((l) => l.at(-1) === PROMPT.trimEnd(), "the console prompt");
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(start.join("\n"))?.[1]);
    assert.ok(port > 0, start.join("\n"));

    // The example: "/usrs", Left, Left, "e" ran "usrse" before.
    pane.type("/usrs");
    await pane.waitScreen((l) => l.at(-1) === `${PROMPT}/usrs`, "the typo");
    pane.keys("Left", "Left");
    pane.type("e");
    await pane.waitScreen((l) => l.at(-1) === `${PROMPT}/users`, "the corrected command");
    pane.keys("End", "Enter");
    let screen = await pane.waitScreen((l) => l.includes("Nobody is online."), "the answer");
    assert.ok(!screen.some((l) => l.includes("Unknown console command")), screen.join("\n"));
    assert.equal(screen.at(-1), PROMPT.trimEnd());

    // A log line arrives while half a command is typed: above it, the command intact.
    pane.type("/ann");
    await pane.waitScreen((l) => l.at(-1) === `${PROMPT}/ann`, "the half-typed command");
    const logged = pane.screen().filter((l) => / INFO /.test(l)).length;
    users.push(await RawUser.join(port, "Fabi"));
    screen = await pane.waitScreen(
      (l) => l.filter((x) => / INFO /.test(x)).length >= logged + 2 && l.at(-1) === `${PROMPT}/ann`,
      "the log lines of Fabi's connection",
    );
    assert.match(screen.at(-2) ?? "", / INFO /, screen.join("\n"));
    assert.equal(pane.cursor().x, `${PROMPT}/ann`.length);
    pane.type("ounce pizza at 8");
    pane.keys("Enter");
    await users[0]?.waitFor("*** Announcement: pizza at 8");
    await pane.waitScreen((l) => l.includes("Announcement sent."), "the console's answer");

    // A command longer than the terminal is wide, with wide characters, while a line arrives.
    const long = `/announce ${"大家好 😀 ".repeat(12)}fim`;
    pane.type(long);
    await pane.waitHistory((h) => h.at(-1) === `${PROMPT}${long}`, "the long command");
    const logged2 = pane.history().filter((l) => / INFO /.test(l)).length;
    users.push(await RawUser.join(port, "Gil"));
    const history = await pane.waitHistory(
      (h) => h.filter((x) => / INFO /.test(x)).length >= logged2 + 2,
      "Gil's log lines",
    );
    assert.equal(history.at(-1), `${PROMPT}${long}`, history.join("\n"));
    assert.equal(
      history.filter((l) => l.startsWith(`${PROMPT}/announce 大家好`)).length,
      1,
      history.join("\n"),
    );
    pane.keys("Enter");
    await users[1]?.waitFor("fim");

    // History: Up recalls the earlier commands, newest first.
    pane.keys("Up", "Up");
    await pane.waitScreen((l) => l.at(-1) === `${PROMPT}/announce pizza at 8`, "the second-last command");
    pane.keys("Up");
    await pane.waitScreen((l) => l.at(-1) === `${PROMPT}/users`, "the first command");
    pane.keys("Enter");
    await pane.waitScreen((l) => l.some((x) => x.startsWith("2 online:")), "the user list");

    // Issue 10 item 6 on the real console: the answer spells the name as its owner does.
    pane.type("/kick fabi");
    pane.keys("Enter");
    await pane.waitScreen((l) => l.includes("Fabi was removed."), "the kick");

    // Ctrl-L clears the screen, keeping the command being typed.
    pane.type("/hel");
    pane.keys("C-l");
    await pane.waitScreen((l) => l.length === 1 && l[0] === `${PROMPT}/hel`, "a clear screen");
    pane.type("p");
    pane.keys("Enter");
    await pane.waitScreen((l) => l.some((x) => x.startsWith("/announce TEXT")), "the help");

    // Ctrl-C shuts the server down, as SIGINT does.
    pane.keys("C-c");
    await users[1]?.waitFor("*** The server is shutting down");
    assert.equal(await pane.waitExit(), true, "the server exited");
  } finally {
    for (const u of users) u.close();
    killTmux();
  }
});
