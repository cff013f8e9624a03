/**
 * Issue 13 item 1: the command the name screen shows to join from a terminal without papo
 * installed: download the one-file client this server serves, run it with Node. The server says
 * its chat ports and whether the file is built at `connect.json` (src/server/http.ts); the host is
 * the one the browser used.
 */

/** `GET connect.json`: the chat's ports, and the client file's path when it is built. */
export interface ConnectInfo {
  port: number;
  tlsPort?: number;
  client?: string;
}

function isPort(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v > 0 && v < 65536;
}

/**
 * The command for a page at `pageHref`, or null when there is nothing to download (no client
 * built, an older server, a malformed answer). An HTTPS page points to the TLS port with `--tls`:
 * whoever set up HTTPS does not want people sent to the plain port.
 */
export function terminalCommand(pageHref: string, info: unknown): string | null {
  if (typeof info !== "object" || info === null) return null;
  const { port, tlsPort, client } = info as Partial<Record<keyof ConnectInfo, unknown>>;
  if (typeof client !== "string" || !/^\/[\w.-]+\.mjs$/.test(client) || !isPort(port)) return null;
  const page = new URL(pageHref);
  const file = new URL(client.slice(1), page);
  file.search = "";
  file.hash = "";
  // URL.hostname keeps an IPv6 address in brackets, as `papo connect [::1]:7777` wants it.
  const secure = page.protocol === "https:" && isPort(tlsPort);
  const target = `${secure ? "--tls " : ""}${page.hostname}:${secure ? tlsPort : port}`;
  const name = client.slice(1);
  return `curl -O ${file.href} && node ${name} connect ${target}`;
}
