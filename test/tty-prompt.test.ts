/**
 * The shared readline prompt (src/tty/prompt.ts) against a fake terminal: what readline hands
 * back as the entered line when several characters arrive in one read (a paste, fast typing).
 * Its look on a real terminal is proven in tmux (client-tmux.test.ts, console-tmux.test.ts).
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { completeConsole } from "../src/server/console.ts";
import { createPromptLine } from "../src/tty/prompt.ts";

function fakeTerminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 40 });
  output.resume();
  const lines: string[] = [];
  const prompt = createPromptLine({
    input,
    output,
    onLine: (l) => lines.push(l),
    onClose: () => {},
    onInterrupt: () => {},
  });
  prompt.setPrompt("> ");
  return { input, lines, output, prompt };
}

test("item 10.1 a paste into the middle of the line is inserted at the cursor (readline appended it at the end)", async () => {
  const { input, lines, prompt } = fakeTerminal();
  input.write("hello world");
  for (let i = 0; i < 5; i++) input.write("\x1b[D");
  input.write("XYZ");
  input.write("\r");
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(lines, ["hello XYZworld"]);
  // Longer than the terminal is wide, and with wide characters.
  input.write("日本語のテキスト😀と絵文字🎉を入力しています");
  for (let i = 0; i < 3; i++) input.write("\x1b[D");
  input.write("中文 ação");
  input.write("\r");
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    lines.at(-1),
    "日本語のテキスト😀と絵文字🎉を入力しています".replace(/(.{3})$/u, "中文 ação$1"),
  );
  prompt.close();
});

test("item 10.4 keys typed faster than read (one read: text, Left, Left, text, Enter) edit as typed", async () => {
  const { input, lines, output, prompt } = fakeTerminal();
  let shown = "";
  output.on("data", (d: Buffer) => {
    shown += d.toString();
  });
  input.write("/usrs\x1b[D\x1b[De\r");
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(lines, ["/users"]);
  // The line left on the screen is the one entered, redrawn whole before Enter.
  assert.ok(shown.includes("> /users"), JSON.stringify(shown));
  prompt.close();
});

test("item 10.4 console Tab completion: commands first, then user names", () => {
  assert.deepEqual(completeConsole("/ki", []), [["/kick "], "/ki"]);
  assert.deepEqual(completeConsole("an", []), [["/announce "], "an"]);
  assert.deepEqual(completeConsole("/kick fa", ["Fabi", "Gil"]), [["Fabi "], "fa"]);
  assert.deepEqual(completeConsole("/kick ", ["Fabi", "Gil"]), [["Fabi", "Gil"], ""]);
});

test("issue 13 Ctrl-C with text typed clears the line into the history (Up recalls it); on an empty line it interrupts", async () => {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 40 });
  output.resume();
  const lines: string[] = [];
  let interrupts = 0;
  const prompt = createPromptLine({
    input,
    output,
    onLine: (l) => lines.push(l),
    onClose: () => {},
    onInterrupt: () => interrupts++,
    interruptClears: true,
  });
  prompt.setPrompt("> ");
  const tick = () => new Promise((r) => setImmediate(r));
  input.write("half a thought");
  input.write("\x03");
  await tick();
  assert.equal(interrupts, 0, "text typed: cleared, not interrupted");
  input.write("\r");
  await tick();
  assert.deepEqual(lines, [""], "the line was empty after Ctrl-C");
  input.write("\x1b[A");
  input.write("\r");
  await tick();
  assert.deepEqual(lines, ["", "half a thought"], "Up recalled it");
  input.write("\x03");
  await tick();
  assert.equal(interrupts, 1, "on an empty line Ctrl-C interrupts");
  // A masked entry (a password) is cleared and not kept.
  prompt.setPrompt("password> ", true);
  input.write("s3cret");
  input.write("\x03");
  input.write("\x1b[A");
  input.write("\r");
  await tick();
  assert.equal(interrupts, 1);
  assert.notEqual(lines.at(-1), "s3cret");
  prompt.close();
});

test("item 10.4 the console keeps Ctrl-C as an interrupt even with text typed", async () => {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 40 });
  output.resume();
  let interrupts = 0;
  const prompt = createPromptLine({
    input,
    output,
    onLine: () => {},
    onClose: () => {},
    onInterrupt: () => interrupts++,
  });
  prompt.setPrompt("> ");
  input.write("/shutdown");
  input.write("\x03");
  await new Promise((r) => setImmediate(r));
  assert.equal(interrupts, 1);
  prompt.close();
});
