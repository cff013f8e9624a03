import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { COMMAND_WORDS, findCommand } from "../src/protocol/commands.ts";
import { parseInput } from "../src/protocol/input.ts";

describe("parsing a user's line (docs/protocol.md §3)", () => {
  it("ignores empty and blank lines", () => {
    assert.deepEqual(parseInput(""), { kind: "empty" });
    assert.deepEqual(parseInput("   \t "), { kind: "empty" });
  });

  it("takes plain text as a public message (S7)", () => {
    assert.deepEqual(parseInput("  olá a todos! "), { kind: "say", text: "olá a todos!" });
  });

  it("takes @name text as a private message (S8)", () => {
    assert.deepEqual(parseInput("@Notebook_Mãe Olá, essa é uma mensagem privada"), {
      kind: "private",
      to: "Notebook_Mãe",
      text: "Olá, essa é uma mensagem privada",
    });
    assert.deepEqual(parseInput("@bob"), { kind: "private", to: "bob", text: "" });
    assert.deepEqual(parseInput("@ hi"), { kind: "private", to: "", text: "hi" });
  });

  it("takes /command args as a command, case-insensitively", () => {
    assert.deepEqual(parseInput("/SAIR até logo"), { kind: "command", name: "sair", args: "até logo" });
    assert.deepEqual(parseInput("/who"), { kind: "command", name: "who", args: "" });
  });

  it("sends //text as a public message starting with /", () => {
    assert.deepEqual(parseInput("//shrug"), { kind: "say", text: "/shrug" });
  });
});

describe("the command table", () => {
  it("resolves names and aliases in English and Portuguese", () => {
    for (const [alias, name] of [
      ["quit", "quit"],
      ["sair", "quit"],
      ["exit", "quit"],
      ["who", "users"],
      ["users", "users"],
      ["nick", "nick"],
      ["me", "me"],
      ["help", "help"],
      ["ajuda", "help"],
    ])
      assert.equal(findCommand(alias as string)?.name, name, alias);
    assert.equal(findCommand("nope"), undefined);
  });

  it("lists every word for completion", () => {
    for (const w of ["/quit", "/sair", "/exit", "/users", "/who", "/nick", "/me", "/help"])
      assert.ok(COMMAND_WORDS.includes(w), w);
  });
});
