import os from "node:os";

/**
 * Addresses others on the network can use to reach this machine (seeds 000 and 003 print the
 * server's LAN address): every non-internal IPv4 address, and global IPv6 ones, bare (no
 * brackets: `nc fd00::2 7777` wants it so; `hostPort` adds them where a port follows).
 */
export function lanAddresses(interfaces = os.networkInterfaces()): string[] {
  const out: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === "IPv4") out.push(a.address);
      else if (!a.address.toLowerCase().startsWith("fe80")) out.push(a.address);
    }
  }
  return out;
}

/** `host:port`, with an IPv6 address in brackets (`[fd00::2]:7777`), as `papo connect` takes it. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;
}
