import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isupportMessages, isupportTokens, isupportValue } from "../src/protocol/irc/isupport.ts";
import { serializeMessage } from "../src/protocol/irc/message.ts";
import { ircNickLength } from "../src/protocol/irc/names.ts";

const base = { network: "papo", nickLength: ircNickLength(32), channelLength: 50 };

describe("IRC ISUPPORT (issue 11)", () => {
  it("states papo's limits and choices", () => {
    const tokens = isupportTokens(base);
    for (const t of [
      "CASEMAPPING=ascii",
      "CHANTYPES=#",
      "NICKLEN=128",
      "CHANNELLEN=50",
      "UTF8ONLY",
      "LINELEN=512",
      "NETWORK=papo",
      "PREFIX=",
    ]) {
      assert.ok(tokens.includes(t), t);
    }
    assert.ok(!tokens.some((t) => t.startsWith("CHATHISTORY")));
    const more = isupportTokens({
      ...base,
      chathistory: 100,
      topicLength: 300,
      awayLength: 200,
      kickLength: 255,
    });
    for (const t of ["CHATHISTORY=100", "MSGREFTYPES=msgid", "TOPICLEN=300", "AWAYLEN=200", "KICKLEN=255"]) {
      assert.ok(more.includes(t), t);
    }
  });

  it("escapes values as \\xHH, keeping 005 ASCII", () => {
    assert.equal(isupportValue("papo net"), "papo\\x20net");
    assert.equal(isupportValue("a=b\\c"), "a\\x3Db\\x5Cc");
    assert.equal(isupportValue("Mãe"), "M\\xC3\\xA3e");
  });

  it("sends at most 13 tokens and 512 bytes per 005, every token once, in order (property)", () => {
    const token = fc.stringMatching(/^[A-Z]{1,20}(=[!-~]{0,60})?$/);
    fc.assert(
      fc.property(fc.array(token, { maxLength: 80 }), (tokens) => {
        const messages = isupportMessages("irc.example", "Notebook_Mãe", tokens);
        const sent: string[] = [];
        for (const m of messages) {
          assert.equal(m.command, "005");
          assert.equal(m.params[0], "Notebook_Mãe");
          assert.equal(m.params.at(-1), "are supported by this server");
          assert.ok(m.params.length <= 15);
          assert.ok(Buffer.byteLength(serializeMessage(m)) + 2 <= 512);
          sent.push(...m.params.slice(1, -1));
        }
        assert.deepEqual(sent, tokens);
      }),
    );
  });
});
