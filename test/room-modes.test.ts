/**
 * Room operators and channel modes (core/room-modes.ts) and IRC masks (protocol/irc/mask.ts):
 * pure, so tested without sockets, with property tests for the mask matcher.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  applyModes,
  changeString,
  decodeModesInto,
  encodeModes,
  joinRefusal,
  modeString,
  newRoomModes,
  normalizeMask,
  parseModeRequest,
  resetModes,
  validKey,
} from "../src/core/room-modes.ts";
import { Whowas } from "../src/core/whowas.ts";
import { maskMatches } from "../src/protocol/irc/mask.ts";

const members = new Map([
  ["ana", "Ana"],
  ["bia", "Bia"],
]);
const member = (name: string) => {
  const key = name.toLowerCase();
  const shown = members.get(key);
  return shown ? { key, name: shown } : undefined;
};

describe("room modes (issue 11)", () => {
  it("parses a mode string with its parameters, in order", () => {
    assert.deepEqual(parseModeRequest("+kl-i", ["chave", "5"]), [
      { on: true, mode: "k", arg: "chave" },
      { on: true, mode: "l", arg: "5" },
      { on: false, mode: "i" },
    ]);
    assert.deepEqual(parseModeRequest("-lo", ["ana"]), [
      { on: false, mode: "l" },
      { on: false, mode: "o", arg: "ana" },
    ]);
    assert.deepEqual(parseModeRequest("+b", []), [{ on: true, mode: "b" }]);
  });

  it("applies changes, announces only what changed, refuses bad values", () => {
    const m = newRoomModes(0);
    const r = applyModes(m, parseModeRequest("+oimtl+k", ["ana", "3", "segredo"]), member, "Ana");
    assert.deepEqual(changeString(r.applied), { modes: "+oimtlk", args: ["Ana", "3", "segredo"] });
    assert.ok(m.ops.has("ana") && m.inviteOnly && m.moderated && m.topicLock);
    assert.equal(m.limit, 3);
    assert.equal(m.key, "segredo");
    assert.deepEqual(modeString(m, true), { modes: "+imntkl", args: ["segredo", "3"] });
    assert.deepEqual(modeString(m, false), { modes: "+imntkl", args: ["*", "3"] });
    // Setting what is set changes nothing and is not announced.
    assert.deepEqual(applyModes(m, parseModeRequest("+it", []), member, "Ana").applied, []);
    const bad = applyModes(m, parseModeRequest("+lkox", ["0", "a b", "ninguem"]), member, "Ana");
    assert.deepEqual(
      bad.problems.map((p) => [p.mode, p.problem]),
      [
        ["l", "invalid_param"],
        ["k", "invalid_param"],
        ["o", "not_in_room"],
        ["x", "unknown"],
      ],
    );
    assert.deepEqual(bad.applied, []);
    const off = applyModes(m, parseModeRequest("-ilk", ["*"]), member, "Ana");
    assert.deepEqual(changeString(off.applied), { modes: "-ilk", args: ["*"] });
    assert.deepEqual(modeString(m, true), { modes: "+mnt", args: [] });
  });

  it("refuses a join by ban, invitation, key and limit; an invitation lets one past the limit", () => {
    const room = { name: "#sala", names: { size: 2 }, modes: newRoomModes(0) };
    const joiner = { canonical: "bia", name: "Bia", shownAddress: "10.0.0.2:5000", port: {} };
    assert.equal(joinRefusal(room, joiner, undefined), undefined);
    room.modes.key = "k1";
    assert.equal(joinRefusal(room, joiner, undefined)?.code, "room_key");
    assert.equal(joinRefusal(room, joiner, "k1"), undefined);
    room.modes.limit = 2;
    assert.equal(joinRefusal(room, joiner, "k1")?.code, "room_full");
    room.modes.inviteOnly = true;
    assert.equal(joinRefusal(room, joiner, "k1")?.code, "room_invite_only");
    room.modes.invited.add("bia");
    assert.equal(joinRefusal(room, joiner, "k1"), undefined);
    room.modes.invited.clear();
    room.modes.inviteOnly = false;
    room.modes.limit = undefined;
    room.modes.bans.push({ mask: normalizeMask("*@10.0.0.*"), by: "Ana", at: 0 });
    assert.equal(joinRefusal(room, joiner, "k1")?.code, "room_banned");
  });

  it("a cluster's copy (issue 12): any applied changes survive encode and decode; an announced change applied again leaves them as they are; bad text changes nothing", () => {
    const spec = fc.array(
      fc.record({
        on: fc.boolean(),
        mode: fc.constantFrom("o", "v", "b", "k", "l", "i", "m", "n", "s", "t"),
        arg: fc.constantFrom("ana", "bia", "x!*@*", "chave", "12", undefined),
      }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(spec, (requests) => {
        const m = newRoomModes(1);
        const result = applyModes(
          m,
          requests.map((r) => (r.arg === undefined ? { on: r.on, mode: r.mode } : r)),
          member,
          "Ana",
          5,
        );
        const copy = newRoomModes(2);
        assert.ok(decodeModesInto(copy, encodeModes(m)));
        assert.deepEqual(modeString(copy, true), modeString(m, true));
        assert.deepEqual([...copy.ops], [...m.ops]);
        assert.deepEqual([...copy.voiced], [...m.voiced]);
        assert.deepEqual(copy.bans, m.bans);
        // What another node does with the announcement: applied where it was made, no change.
        const { modes, args } = changeString(result.applied);
        const before = encodeModes(m);
        applyModes(m, parseModeRequest(modes, args, Infinity), member, "Ana", 5);
        assert.equal(encodeModes(m), before);
        resetModes(m);
        assert.deepEqual(modeString(m, true), modeString(newRoomModes(), true));
        assert.equal(m.ops.size + m.voiced.size + m.bans.length, 0);
      }),
    );
    const m = newRoomModes();
    applyModes(m, [{ on: true, mode: "m" }], member, "Ana");
    for (const bad of ["", "{", "null", "[]", '{"o":[1]}', encodeModes(m).replace('"l":null', '"l":-1')])
      assert.equal(decodeModesInto(m, bad), false, bad);
    assert.equal(m.moderated, true);
  });

  it("keys and masks", () => {
    assert.ok(validKey("segredo"));
    for (const k of ["", "a b", "a,b", "x".repeat(33), "a\u0007"]) assert.ok(!validKey(k), k);
    assert.equal(normalizeMask("ana"), "ana!*@*");
    assert.equal(normalizeMask("*@host"), "*!*@host");
    assert.equal(normalizeMask("ana!x"), "ana!x@*");
  });

  it("WHOWAS keeps the newest entries first, bounded per call by count", () => {
    const w = new Whowas();
    for (let i = 0; i < 3; i++) w.record("ana", { name: `Ana${i}`, address: null, at: i });
    assert.deepEqual(
      w.find("ana").map((e) => e.name),
      ["Ana2", "Ana1", "Ana0"],
    );
    assert.deepEqual(
      w.find("ana", 1).map((e) => e.name),
      ["Ana2"],
    );
    assert.deepEqual(w.find("bia"), []);
  });
});

describe("IRC masks (protocol/irc/mask.ts)", () => {
  const word = fc.stringMatching(/^[A-Za-z0-9!@.]{0,12}$/);

  it("a text matches itself, in any ASCII case, and `*` matches everything", () => {
    fc.assert(
      fc.property(word, (t) => {
        assert.ok(maskMatches(t, t));
        assert.ok(maskMatches(t.toUpperCase(), t.toLowerCase()));
        assert.ok(maskMatches("*", t));
      }),
    );
  });

  it("a prefix and a suffix with a star between match every text that starts and ends so", () => {
    fc.assert(
      fc.property(word, word, word, (a, b, middle) => {
        assert.ok(maskMatches(`${a}*${b}`, a + middle + b));
        const t = a + middle;
        assert.equal(maskMatches(`${a}*`, t), true);
        assert.equal(maskMatches(`?${a}`, a), false);
      }),
    );
    assert.ok(maskMatches("coolni*", "coolNick"));
    assert.ok(!maskMatches("cool?", "coolNick"));
    assert.ok(maskMatches("*!*@10.0.0.*", "Bia!papo@10.0.0.2"));
  });
});
