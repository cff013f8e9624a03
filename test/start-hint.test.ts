/**
 * Issue 10 item 6: the start-up hint names addresses the way each tool takes them: `nc` wants an
 * IPv6 address bare (`nc fd00::2 7777`; with brackets it fails), `papo connect` in brackets
 * before the port (`[fd00::2]:7777`).
 */
import assert from "node:assert/strict";
import type os from "node:os";
import { test } from "node:test";
import { catalogue } from "../src/i18n/index.ts";
import { hostPort, lanAddresses } from "../src/server/addresses.ts";

test("item 10.6 start-up hint: nc gets a bare IPv6 address, papo connect a bracketed one", () => {
  const nic = (address: string, family: "IPv4" | "IPv6"): os.NetworkInterfaceInfo =>
    ({ address, family, internal: false, netmask: "", mac: "", cidr: null }) as os.NetworkInterfaceInfo;
  const lan = lanAddresses({
    eth0: [nic("192.168.1.5", "IPv4"), nic("fd00::2", "IPv6"), nic("fe80::1", "IPv6")],
    lo: [{ ...nic("127.0.0.1", "IPv4"), internal: true }],
  });
  assert.deepEqual(lan, ["192.168.1.5", "fd00::2"]);
  for (const lang of ["en", "pt-BR"] as const) {
    const t = catalogue(lang).server;
    const v6 = t.joinWith({ address: hostPort("fd00::2", 7777), host: "fd00::2", port: 7777 });
    assert.match(v6, /papo connect \[fd00::2\]:7777 /);
    assert.match(v6, /nc fd00::2 7777$/);
    const v4 = t.joinWith({ address: hostPort("192.168.1.5", 7777), host: "192.168.1.5", port: 7777 });
    assert.match(v4, /papo connect 192\.168\.1\.5:7777 .* nc 192\.168\.1\.5 7777$/);
  }
});
