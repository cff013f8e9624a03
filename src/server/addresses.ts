import os from "node:os";

/**
 * Addresses others on the network can use to reach this machine (seeds 000 and 003 print the
 * server's LAN address): every non-internal IPv4 address, and global IPv6 ones.
 */
export function lanAddresses(interfaces = os.networkInterfaces()): string[] {
  const out: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === "IPv4") out.push(a.address);
      else if (!a.address.toLowerCase().startsWith("fe80")) out.push(`[${a.address}]`);
    }
  }
  return out;
}
