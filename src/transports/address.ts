/** `IP:PORT` for a peer, with IPv4-mapped IPv6 shown as plain IPv4 and IPv6 in brackets. */
export function formatAddress(ip: string | undefined, port: number | undefined): string {
  let host = ip ?? "?";
  if (host.startsWith("::ffff:") && host.includes(".")) host = host.slice(7);
  if (host.includes(":")) host = `[${host}]`;
  return `${host}:${port ?? 0}`;
}
