/**
 * Issue 13: what a ban covers, as pure functions (core/bans.ts): address and network parsing,
 * IPv4 / IPv6 / IPv4-mapped matching, durations, `/ban` arguments, and the in-memory list with
 * expiry. Node's own net.BlockList is the oracle for the property tests.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  BanList,
  banCovers,
  banTarget,
  formatNetwork,
  hostOf,
  inNetwork,
  parseAddress,
  parseBanArgs,
  parseDuration,
  parseNetwork,
} from "../src/core/bans.ts";
import { canonicalName } from "../src/core/nickname.ts";

/** True when `address` is inside `cidr`, by core/bans.ts. */
function covers(cidr: string, address: string): boolean {
  const n = parseNetwork(cidr);
  const a = parseAddress(address);
  assert.ok(n, `network ${cidr}`);
  assert.ok(a, `address ${address}`);
  return inNetwork(a, n);
}

/** The canonical text of a network typed as `text`. */
function canon(text: string): string {
  const n = parseNetwork(text);
  assert.ok(n, text);
  return formatNetwork(n);
}

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join("."));
const ipv6 = fc.ipV6();

describe("ban matching: addresses and networks (issue 13)", () => {
  it("single addresses, IPv4 networks, IPv6 networks", () => {
    assert.equal(covers("192.0.2.7", "192.0.2.7"), true);
    assert.equal(covers("192.0.2.7", "192.0.2.8"), false);
    assert.equal(covers("10.0.0.0/8", "10.200.3.4"), true);
    assert.equal(covers("10.0.0.0/8", "11.0.0.1"), false);
    assert.equal(covers("0.0.0.0/0", "203.0.113.9"), true);
    assert.equal(covers("2001:db8::/32", "2001:db8:1234::1"), true);
    assert.equal(covers("2001:db8::/32", "2001:db9::1"), false);
    assert.equal(covers("::1", "0:0:0:0:0:0:0:1"), true);
    assert.equal(covers("fe80::/10", "fe80::1%eth0"), true);
  });

  it("IPv4-mapped IPv6 peers are matched by IPv4 bans, and the other way round", () => {
    assert.equal(covers("192.0.2.7", "::ffff:192.0.2.7"), true);
    assert.equal(covers("10.0.0.0/8", "::ffff:10.1.2.3"), true);
    assert.equal(covers("::ffff:10.0.0.0/104", "10.9.9.9"), true);
    assert.equal(covers("::ffff:c000:207", "192.0.2.7"), true);
    // An IPv4 ban never covers real IPv6 addresses.
    assert.equal(covers("0.0.0.0/0", "2001:db8::1"), false);
  });

  it("host bits are cleared and the text is canonical (RFC 5952, IPv4 dotted)", () => {
    assert.equal(canon("10.1.2.3/8"), "10.0.0.0/8");
    assert.equal(canon("2001:DB8:0:0:1::/32"), "2001:db8::/32");
    assert.equal(canon("::ffff:192.0.2.7"), "192.0.2.7");
    assert.equal(canon("2001:db8:0:0:0:0:2:1"), "2001:db8::2:1");
    assert.equal(canon("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
  });

  it("what is not an address is not one", () => {
    for (const bad of [
      "",
      "ana",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "1::2::3",
      "12345::",
      "g::1",
      "1.2.3.4/33",
      "::/129",
      "1.2.3.4/-1",
      "1:2:3:4:5:6:7:8:9",
      "::1.2.3.4:5",
    ])
      assert.equal(parseNetwork(bad), undefined, bad);
  });

  it("peers as the transports report them: IP:PORT, [IPv6]:PORT, bare", () => {
    assert.equal(hostOf("192.0.2.7:5000"), "192.0.2.7");
    assert.equal(hostOf("[2001:db8::1]:5000"), "2001:db8::1");
    assert.equal(hostOf("::ffff:10.0.0.1"), "::ffff:10.0.0.1");
  });

  it("property: IPv4 matching agrees with net.BlockList", () => {
    fc.assert(
      fc.property(ipv4, ipv4, fc.integer({ min: 0, max: 32 }), (addr, base, prefix) => {
        const list = new net.BlockList();
        list.addSubnet(base, prefix, "ipv4");
        assert.equal(covers(`${base}/${prefix}`, addr), list.check(addr, "ipv4"));
      }),
      { numRuns: 2000 },
    );
  });

  it("property: IPv6 matching agrees with net.BlockList", () => {
    fc.assert(
      fc.property(ipv6, ipv6, fc.integer({ min: 0, max: 128 }), (addr, base, prefix) => {
        const list = new net.BlockList();
        list.addSubnet(base, prefix, "ipv6");
        assert.equal(covers(`${base}/${prefix}`, addr), list.check(addr, "ipv6"));
      }),
      { numRuns: 2000 },
    );
  });

  it("property: a network covers its own base, and an address seen as IPv4-mapped is the same peer", () => {
    fc.assert(
      fc.property(ipv4, ipv4, fc.integer({ min: 0, max: 32 }), (addr, base, prefix) => {
        const cidr = `${base}/${prefix}`;
        assert.equal(covers(cidr, base), true);
        assert.equal(covers(cidr, addr), covers(cidr, `::ffff:${addr}`));
      }),
    );
  });

  it("property: canonical text parses back to the same network", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          ipv4.map((a) => [a, 32] as const),
          ipv6.map((a) => [a, 128] as const),
        ),
        fc.nat(128),
        ([a, max], p) => {
          const n = parseNetwork(`${a}/${p % (max + 1)}`);
          assert.ok(n);
          assert.deepEqual(parseNetwork(formatNetwork(n)), n);
        },
      ),
    );
  });
});

describe("ban arguments and durations (issue 13)", () => {
  it("durations: s, m, h, d, w", () => {
    assert.equal(parseDuration("30s"), 30_000);
    assert.equal(parseDuration("10m"), 600_000);
    assert.equal(parseDuration("2h"), 7_200_000);
    assert.equal(parseDuration("7d"), 604_800_000);
    assert.equal(parseDuration("1w"), 604_800_000);
    for (const bad of ["", "10", "m", "0m", "-1h", "1.5h", "10 m", "spam"])
      assert.equal(parseDuration(bad), undefined, bad);
  });

  it("/ban TARGET [duration] [reason]", () => {
    const a = parseBanArgs("10.0.0.1/8 2h flooding the lobby");
    assert.equal(a?.target.key, "addr:10.0.0.0/8");
    assert.equal(a?.durationMs, 7_200_000);
    assert.equal(a?.reason, "flooding the lobby");
    const b = parseBanArgs("Ana spam and more");
    assert.equal(b?.target.kind, "name");
    assert.equal(b?.durationMs, undefined);
    assert.equal(b?.reason, "spam and more");
    assert.equal(parseBanArgs("ana")?.reason, undefined);
    assert.equal(parseBanArgs("10.0.0.0/33"), undefined);
    assert.equal(parseBanArgs("300.1.2.3"), undefined);
  });

  it("a name ban is by canonical name: case, NFKC and confusables are one name", () => {
    const key = banTarget("admin")?.key;
    assert.equal(key, `name:${canonicalName("admin")}`);
    assert.equal(banTarget("ADMIN")?.key, key);
    assert.equal(banTarget("ａｄｍｉｎ")?.key, key);
    assert.equal(banTarget("аdmin")?.key, key); // Cyrillic а
  });
});

describe("the ban list (issue 13)", () => {
  it("an expired ban stops applying at once and is forgotten", () => {
    let now = 1_000_000;
    const list = new BanList(() => now);
    list.add({ key: "addr:10.0.0.0/8", shown: "10.0.0.0/8", at: now, until: now + 60_000 });
    list.add({ key: `name:${canonicalName("ana")}`, shown: "ana", at: now, until: now + 60_000 });
    assert.equal(list.address("10.1.1.1:5000")?.shown, "10.0.0.0/8");
    assert.equal(list.address("[::ffff:10.1.1.1]:5000")?.shown, "10.0.0.0/8");
    assert.equal(list.name(canonicalName("ANA"))?.shown, "ana");
    now += 60_000;
    assert.equal(list.address("10.1.1.1:5000"), undefined);
    assert.equal(list.name(canonicalName("ana")), undefined);
    assert.deepEqual(list.list(), []);
    assert.equal(list.size, 0);
  });

  it("remove, replace, and banCovers for names and addresses", () => {
    const list = new BanList();
    const ban = { key: "addr:2001:db8::/32", shown: "2001:db8::/32", at: 1 };
    list.add(ban);
    list.add({ ...ban, reason: "again" });
    assert.equal(list.list().length, 1);
    assert.equal(list.address("[2001:db8::5]:1")?.reason, "again");
    assert.equal(banCovers(ban, "[2001:db8::5]:1", ""), true);
    assert.equal(banCovers(ban, "192.0.2.1:1", ""), false);
    const nameBan = { key: `name:${canonicalName("bob")}`, shown: "bob", at: 1 };
    assert.equal(banCovers(nameBan, "1.2.3.4:5", canonicalName("Bob")), true);
    assert.equal(banCovers(nameBan, "1.2.3.4:5", ""), false);
    assert.ok(list.remove("addr:2001:db8::/32"));
    assert.equal(list.address("[2001:db8::5]:1"), undefined);
  });
});
