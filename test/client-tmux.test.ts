/**
 * The terminal client in a real terminal (tmux): a message arriving while the user is half-way
 * through typing a line is printed above the prompt, and the half-typed line and the cursor are
 * left as they were (DESIGN: "a terminal client that never garbles the line being typed"), also
 * when the input wraps over several rows, at 80 and 40 columns, with wide characters (issue 10
 * item 1). Also Tab completion of a name, the masked password and Ctrl-C/Ctrl-D leaving cleanly.
 * Skipped, with the reason printed, when tmux is not installed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { displayWidth } from "../src/tty/prompt.ts";
import { RawUser, startChatServer } from "./client-helpers.ts";
import { killTmux, NEEDS_TMUX, TmuxPane } from "./tmux-helpers.ts";

function clientCommand(port: number, name: string): string[] {
  return [process.execPath, "--import", "tsx", "src/cli.ts", "connect", `127.0.0.1:${port}`, "--name", name];
}

test("S12 client under tmux: incoming lines never garble the half-typed input; Tab completes; Ctrl-C leaves", {
  skip: NEEDS_TMUX,
}, async () => {
  const server = await startChatServer();
  try {
    const bob = await RawUser.join(server.port, "bob");
    const pane = new TmuxPane("chat", clientCommand(server.port, "ana"));
    await pane.waitScreen((l) => l.at(-1) === "ana>", "the prompt");

    pane.type("half typed wor");
    await pane.waitScreen((l) => l.at(-1) === "ana> half typed wor", "the half-typed line");

    bob.send("a message from bob");
    bob.send("and another one");
    const lines = await pane.waitScreen(
      (l) => l.some((x) => /^\d\d:\d\d and another one$/.test(x.replace(" bob:", ""))),
      "bob's messages",
    );
    // Above the prompt, in order; the input line is intact at the bottom, cursor at its end.
    const first = lines.findIndex((x) => /^\d\d:\d\d bob: a message from bob$/.test(x));
    const second = lines.findIndex((x) => /^\d\d:\d\d bob: and another one$/.test(x));
    assert.ok(first >= 0 && second === first + 1, lines.join("\n"));
    assert.equal(lines.at(-1), "ana> half typed wor");
    assert.equal(second, lines.length - 2, "the prompt is right below the new lines");
    assert.equal(pane.cursor().x, "ana> half typed wor".length);

    // Finishing the line sends it whole; it is shown once (the server's echo, with a timestamp).
    pane.type("ld");
    pane.keys("Enter");
    await bob.waitFor("ana: half typed world");
    const after = await pane.waitScreen(
      (l) => l.some((x) => /^\d\d:\d\d ana: half typed world$/.test(x)) && l.at(-1) === "ana>",
      "the echo",
    );
    assert.equal(after.filter((x) => x.includes("half typed world")).length, 1, after.join("\n"));

    // Tab completes a name after @, in the case the server uses.
    pane.type("@B");
    pane.keys("Tab");
    await pane.waitScreen((l) => l.at(-1) === "ana> @bob", "the completed name");
    pane.type("psst");
    pane.keys("Enter");
    await bob.waitFor("ana (private): psst");

    // An input longer than the terminal is wide wraps over two rows; both are redrawn intact.
    const long = `${"x".repeat(60)} ${"y".repeat(60)} end`;
    pane.type(long);
    await pane.waitScreen((l) => (l.at(-1) ?? "").endsWith("end"), "the long input");
    bob.send("while wrapped");
    const wrapped = await pane.waitScreen(
      (l) => l.some((x) => /^\d\d:\d\d bob: while wrapped$/.test(x)),
      "the message during a wrapped input",
    );
    assert.match(wrapped.at(-3) ?? "", /^\d\d:\d\d bob: while wrapped$/, wrapped.join("\n"));
    assert.equal(`${wrapped.at(-2)}${wrapped.at(-1)}`, `ana> ${long}`);
    assert.equal(wrapped.filter((x) => x.includes("xxxxxxxxxx")).length, 1, wrapped.join("\n"));
    // Sent, the wrapped entry is erased whole and replaced by the echo (no stray row left).
    pane.keys("Enter");
    await bob.waitFor(`ana: ${long}`);
    const sent = await pane.waitScreen(
      (l) => l.at(-1) === "ana>" && l.some((x) => x.includes(" ana: xxx")),
      "the echo",
    );
    assert.ok(!sent.some((x) => x.startsWith("ana> x")), sent.join("\n"));
    assert.equal(sent.filter((x) => x.includes("xxxxxxxxxx")).length, 1, sent.join("\n"));

    // Ctrl-C leaves cleanly: /quit is sent, everyone is told.
    pane.keys("C-c");
    await bob.waitFor("* ana left");
    assert.equal(await pane.waitExit(), true, "the client exited");
    bob.close();
  } finally {
    killTmux();
    await server.close();
  }
});

/** Words of `width` columns in all, so a wrap never depends on where a word ends. */
function words(width: number, seed: string): string {
  let s = "";
  for (let i = 0; s.length < width; i++) s += `${seed}${i} `;
  return `${s.slice(0, width - 1)}$`;
}

/**
 * Screen rows grouped into the lines printed: since issue 13 a long line wraps at words with a
 * hanging indent, so a row starting with a space continues the line above.
 */
function printedLines(rows: string[]): string[] {
  const out: string[] = [];
  for (const row of rows) {
    if (/^\s/.test(row) && out.length > 0) out[out.length - 1] += `\n${row}`;
    else out.push(row);
  }
  return out;
}

/** Text without its spaces, to compare a wrapped line with what was sent. */
const squash = (s: string) => s.replace(/\s+/g, "");

/** Wide characters (CJK, Hangul, emoji: two columns each) with narrow accented ones between. */
const WIDE = "日本語のテキスト😀と絵文字🎉を入力しています、ção 中文输入法测试한국어👍";

for (const columns of [80, 40]) {
  test(`item 10.1 client under tmux at ${columns}x24: every incoming line shows while the input wraps once, twice, exactly fills a row, or has wide characters; the input is intact`, {
    skip: NEEDS_TMUX,
  }, async () => {
    const server = await startChatServer();
    const PROMPT = "Dani> ";
    try {
      const pane = new TmuxPane(`wrap${columns}`, clientCommand(server.port, "Dani"), columns, 24);
      await pane.waitScreen((l) => l.at(-1) === "Dani>", "the prompt");
      const cases: { what: string; input: string; messages: string[]; left?: number }[] = [
        {
          what: "wraps once",
          input: words(columns + 17, "um"),
          messages: ["first while wrapped", "second while wrapped", "third while wrapped"],
        },
        {
          // The prompt and the input exactly fill the row: the cursor sits on the next row.
          what: "exactly fills a row",
          input: words(columns - PROMPT.length, "ex"),
          messages: ["full row one", "full row two", "full row three"],
        },
        {
          what: "wraps twice",
          input: words(2 * columns + 9, "dois"),
          messages: ["twice one", `long incoming ${"z".repeat(columns)} line`, "twice three"],
        },
        {
          what: "wide characters",
          input: WIDE.repeat(columns > 60 ? 2 : 1),
          messages: [
            "中文消息一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十😀",
            "ação 🎉 emoji 👍 fim",
            "한국어 메시지",
          ],
        },
        {
          // Editing: the cursor is on an earlier row than the input's end when lines arrive.
          what: "the cursor moved back a row",
          input: words(2 * columns + 9, "meio"),
          messages: ["edit one", "edit two", "edit three"],
          left: columns + 3,
        },
      ];
      const seen: string[] = [];
      let n = 0;
      for (const c of cases) {
        const label = `${c.what} at ${columns} columns`;
        const sender = await RawUser.join(server.port, `bob${++n}`);
        const [m1, m2, m3] = c.messages as [string, string, string];
        // Lines arrive while the user is typing: between keystrokes and while the input wraps.
        const chars = [...c.input];
        const cut = Math.floor(chars.length * 0.6);
        pane.type(chars.slice(0, cut).join(""));
        const typed = `${PROMPT}${chars.slice(0, cut).join("")}`.trimEnd();
        await pane.waitHistory((h) => h.at(-1) === typed, label);
        sender.send(m1);
        const rest = chars.slice(cut);
        pane.type(rest.slice(0, rest.length >> 1).join(""));
        sender.send(m2);
        pane.type(rest.slice(rest.length >> 1).join(""));
        for (let i = 0; i < (c.left ?? 0); i++) pane.keys("Left");
        sender.send(m3);
        seen.push(m1, m2, m3);
        const h = await pane.waitHistory(
          (l) => l.at(-1) === `${PROMPT}${c.input}` && l.some((x) => x.endsWith(`bob${n}: ${m3}`)),
          `${label}: the third line`,
        );
        const dump = `${label}:\n${h.join("\n")}`;
        // Every incoming line so far is there once, in order, none erased by a later redraw (a
        // long one wrapped by the client, issue 13, in rows no wider than the terminal).
        const incoming = printedLines(h).flatMap((l) => /^\d\d:\d\d bob\d+: ([\s\S]*)$/.exec(l)?.[1] ?? []);
        assert.deepEqual(incoming.map(squash), seen.map(squash), dump);
        for (const row of h.slice(0, -1)) assert.ok(displayWidth(row) <= columns, `${row}\n${dump}`);
        // The prompt and the whole input are intact at the bottom, right below the last line.
        assert.equal(h.at(-1), `${PROMPT}${c.input}`, dump);
        assert.match(h.at(-2) ?? "", new RegExp(`bob${n}: ${m3}$`), dump);
        assert.equal(h.filter((l) => l.startsWith(PROMPT)).length, 1, dump);
        // The cursor is where it was: what is typed next goes there (several characters in one
        // read, as a paste), and the line is sent whole.
        pane.type("[+]");
        pane.keys("Enter");
        const at = chars.length - (c.left ?? 0);
        const sent = [...chars.slice(0, at), "[+]", ...chars.slice(at)].join("");
        await sender.waitFor(`Dani: ${sent}`);
        const after = await pane.waitHistory(
          (l) =>
            l.at(-1) === "Dani>" && printedLines(l).some((x) => squash(x).endsWith(squash(`Dani: ${sent}`))),
          `${label}: the echo`,
        );
        assert.equal(
          printedLines(after).filter((l) => squash(l).includes(squash(sent))).length,
          1,
          after.join("\n"),
        );
        assert.equal(after.filter((l) => l.startsWith(PROMPT)).length, 0, after.join("\n"));
        sender.close();
      }
      pane.keys("C-c");
      assert.equal(await pane.waitExit(), true, "the client exited");
    } finally {
      killTmux();
      await server.close();
    }
  });
}

test("item 8 client under tmux: the password is typed masked and kept out of history; Ctrl-D leaves", {
  skip: NEEDS_TMUX,
}, async () => {
  const server = await startChatServer({ password: "s3cret" });
  try {
    const pane = new TmuxPane("chat", clientCommand(server.port, "ana"));
    await pane.waitScreen((l) => l.at(-1) === "password>", "the password prompt");
    pane.type("s3cret");
    await pane.waitScreen((l) => l.at(-1) === "password> ******", "the masked password");
    pane.keys("Enter");
    await pane.waitScreen((l) => l.at(-1) === "ana>", "the chat prompt");
    assert.ok(!pane.screen().some((l) => l.includes("s3cret")));
    // Up-arrow recalls nothing: the password is not in the history.
    pane.keys("Up");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(pane.screen().at(-1), "ana>");
    pane.keys("C-d");
    assert.equal(await pane.waitExit(), true, "the client exited");
  } finally {
    killTmux();
    await server.close();
  }
});
