/**
 * Issue 13, the terminal client's comforts, in a real terminal (tmux): a message naming you is
 * highlighted and rings the bell (the raw bytes the client wrote, logged with `pipe-pane`), and
 * `--no-bell` keeps it quiet; long messages wrap at words with a hanging indent under the name,
 * at the pane's width and at the new width after a resize; Tab on an empty line writes `name: `
 * and cycles; Ctrl-C clears a typed line into the history, and on an empty line leaves.
 * Skipped, with the reason printed, when tmux is not installed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { hangingLines } from "../src/client/wrap.ts";
import { RawUser, startChatServer } from "./client-helpers.ts";
import { killTmux, NEEDS_TMUX, sleep, TmuxPane, tmux } from "./tmux-helpers.ts";

const dir = mkdtempSync(path.join(tmpdir(), "papo-tmux-comforts-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function clientCommand(port: number, name: string, ...extra: string[]): string[] {
  return [
    process.execPath,
    "--import",
    "tsx",
    "src/cli.ts",
    "connect",
    `127.0.0.1:${port}`,
    "--name",
    name,
    ...extra,
  ];
}

/** A pane whose every byte written is kept in a file (tmux pipe-pane), to see the BELs. */
function loggedPane(name: string, command: string[], columns = 100): { pane: TmuxPane; raw: () => string } {
  const pane = new TmuxPane(name, command, columns, 24);
  const file = path.join(dir, `${name}.raw`);
  tmux("pipe-pane", "-t", name, "-o", `cat > '${file}'`);
  return {
    pane,
    raw: () => {
      try {
        return readFileSync(file, "latin1");
      } catch {
        return "";
      }
    },
  };
}

const bells = (raw: string) => raw.split("\x07").length - 1;

/** Waits (up to 10 s) for the raw log to hold `n` BELs: tmux writes it a moment after the screen. */
async function waitBells(raw: () => string, n: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (bells(raw()) < n && Date.now() < deadline) await sleep(50);
  return bells(raw());
}

test("issue 13 client under tmux: a message naming you is highlighted and rings the bell once; --no-bell keeps quiet", {
  skip: NEEDS_TMUX,
}, async () => {
  const server = await startChatServer();
  try {
    const bob = await RawUser.join(server.port, "bob");
    const ana = loggedPane("bell", clientCommand(server.port, "ana"));
    const quiet = loggedPane("nobell", clientCommand(server.port, "Cida", "--no-bell"));
    await ana.pane.waitScreen((l) => l.at(-1) === "ana>", "ana's prompt");
    await quiet.pane.waitScreen((l) => l.at(-1) === "Cida>", "Cida's prompt");

    bob.send("nothing for anyone here, banana");
    await ana.pane.waitScreen(
      (l) => l.some((x) => x.endsWith("bob: nothing for anyone here, banana")),
      "a plain line",
    );
    await quiet.pane.waitScreen((l) => l.some((x) => x.endsWith("banana")), "a plain line");
    assert.equal(bells(ana.raw()), 0, "no bell for a line that names nobody");

    bob.send("hey @ana and cida, look");
    await ana.pane.waitScreen(
      (l) => l.some((x) => x.endsWith("bob: hey @ana and cida, look")),
      "the mention",
    );
    await quiet.pane.waitScreen((l) => l.some((x) => x.endsWith("look")), "the mention");
    assert.equal(await waitBells(ana.raw, 1), 1, "one bell");
    // Highlighted: the sender in reverse video, the text in bold (what the client wrote).
    assert.match(ana.raw(), /\x1b\[7m[^\n]*bob[^\n]*\x1b\[1mhey @ana and cida, look/);
    assert.equal(bells(quiet.raw()), 0, "--no-bell: no bell");
    assert.match(quiet.raw(), /\x1b\[7m[^\n]*bob/, "--no-bell still highlights");
    // The prompt and anything typed are untouched by the bell.
    ana.pane.type("typing");
    bob.send("ANA: again");
    await ana.pane.waitScreen(
      (l) => l.some((x) => x.endsWith("bob: ANA: again")) && l.at(-1) === "ana> typing",
      "the second mention, the input intact",
    );
    assert.equal(await waitBells(ana.raw, 2), 2);
    // By now anything Cida's client wrote for the mention is in its log too: still no bell.
    assert.equal(bells(quiet.raw()), 0, "--no-bell: no bell");
    bob.close();
  } finally {
    killTmux();
    await server.close();
  }
});

test("issue 13 client under tmux: long messages wrap at words with a hanging indent under the name, at the width after a resize too", {
  skip: NEEDS_TMUX,
}, async () => {
  const server = await startChatServer();
  try {
    const bob = await RawUser.join(server.port, "bob");
    const pane = new TmuxPane("wrap", clientCommand(server.port, "ana"), 50, 24);
    await pane.waitScreen((l) => l.at(-1) === "ana>", "the prompt");
    pane.type("half typed");
    const text =
      "a long message about nothing in particular that goes on and on, with aVeryLongWordThatIsWiderThanTheWholeTerminalRowItself and 中文消息一二三四五六七八九十 in it";
    bob.send(text);
    const expectRows = (columns: number, screen: string[]) => {
      const first = screen.findIndex((x) => /^\d\d:\d\d bob: a long/.test(x));
      assert.ok(first >= 0, screen.join("\n"));
      const head = `${(screen[first] ?? "").slice(0, 5)} bob: `;
      const rows = hangingLines(head, text, columns);
      assert.deepEqual(screen.slice(first, first + rows.length), rows, screen.join("\n"));
      assert.ok(rows.length > 3);
      // Continuations start under the text, after `HH:MM bob: `.
      for (const r of rows.slice(1)) assert.match(r, /^ {11}\S/);
      return first + rows.length;
    };
    const screen = await pane.waitScreen((l) => l.some((x) => x.includes("in it")), "the wrapped message");
    const end = expectRows(50, screen);
    // Right below it, the prompt and what was being typed.
    assert.equal(screen[end], "ana> half typed", screen.join("\n"));
    assert.equal(screen.length, end + 1);

    // Resized, the next message wraps at the new width.
    tmux("resize-window", "-t", "wrap", "-x", "70", "-y", "24");
    await sleep(300);
    pane.keys("C-u");
    bob.send("second");
    await pane.waitScreen((l) => l.some((x) => x.endsWith("bob: second")), "a short line");
    bob.send(text);
    const afterSecond = (l: string[]) => l.slice(l.findIndex((x) => x.endsWith("bob: second")));
    const wider = await pane.waitScreen(
      (l) => l.at(-1) === "ana>" && afterSecond(l).some((x) => x.includes("in it")),
      "the message at 70 columns",
    );
    expectRows(70, afterSecond(wider));
    bob.close();
  } finally {
    killTmux();
    await server.close();
  }
});

test("issue 13 client under tmux: Tab on an empty line writes 'name: ' and cycles; Ctrl-C clears the line into the history, then leaves", {
  skip: NEEDS_TMUX,
}, async () => {
  const server = await startChatServer();
  try {
    const bob = await RawUser.join(server.port, "bob");
    const carla = await RawUser.join(server.port, "carla");
    const pane = new TmuxPane("tab", clientCommand(server.port, "ana"));
    await pane.waitScreen((l) => l.at(-1) === "ana>", "the prompt");

    pane.keys("Tab");
    await pane.waitScreen((l) => l.at(-1) === "ana> bob:", "the first name");
    pane.keys("Tab");
    await pane.waitScreen((l) => l.at(-1) === "ana> carla:", "the next name");
    pane.keys("Tab");
    await pane.waitScreen((l) => l.at(-1) === "ana> bob:", "round again");
    pane.type("hi there");
    pane.keys("Enter");
    await carla.waitFor("ana: bob: hi there");
    // Tab elsewhere still completes names and commands.
    pane.type("/hel");
    pane.keys("Tab");
    await pane.waitScreen((l) => l.at(-1) === "ana> /help", "a command");
    pane.keys("C-u");
    pane.type("hello car");
    pane.keys("Tab");
    await pane.waitScreen((l) => l.at(-1) === "ana> hello carla", "a name");

    // Ctrl-C with text typed: the line is cleared, the client stays.
    pane.keys("C-c");
    await pane.waitScreen((l) => l.at(-1) === "ana>", "the cleared line");
    await sleep(300);
    assert.ok(pane.alive(), "still running");
    assert.ok(!bob.lines.some((l) => l.includes("ana left")), bob.lines.join("\n"));
    // Not lost: Up brings it back.
    pane.keys("Up");
    await pane.waitScreen((l) => l.at(-1) === "ana> hello carla", "the line from the history");
    pane.keys("C-c");
    await pane.waitScreen((l) => l.at(-1) === "ana>", "cleared again");
    // On the empty line, Ctrl-C leaves.
    pane.keys("C-c");
    await bob.waitFor("* ana left");
    assert.equal(await pane.waitExit(), true, "the client exited");
    bob.close();
    carla.close();
  } finally {
    killTmux();
    await server.close();
  }
});
