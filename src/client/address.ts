/**
 * `papo connect` targets: `host`, `host:port`, `:port`, `[::1]:port`, a bare IPv6 address, or
 * nothing (localhost:7777). Pure, so every form is unit-tested.
 */

export const DEFAULT_HOST = "localhost";
export const DEFAULT_PORT = 7777;

export interface Target {
  host: string;
  port: number;
}

export type TargetProblem = { problem: "address"; value: string } | { problem: "port"; value: string };

export type ParsedTarget = ({ ok: true } & Target) | ({ ok: false } & TargetProblem);

/**
 * Parses the address argument, and an optional separate port (`papo connect host 7777`, as nc
 * takes it). A port given both ways is refused rather than silently picking one.
 */
export function parseTarget(
  address: string | undefined,
  portArg?: string,
  defaultPort: number = DEFAULT_PORT,
): ParsedTarget {
  let host = DEFAULT_HOST;
  let portText: string | undefined;
  const a = (address ?? "").trim();
  if (a !== "") {
    if (a.startsWith("[")) {
      // [IPv6] or [IPv6]:port: brackets are how a port can follow an address full of colons.
      const m = /^\[([^\][]+)\](?::(.*))?$/.exec(a);
      if (!m?.[1]) return { ok: false, problem: "address", value: a };
      host = m[1];
      portText = m[2];
    } else {
      const colons = a.split(":").length - 1;
      if (colons === 0) host = a;
      else if (colons === 1) {
        const i = a.indexOf(":");
        if (i > 0) host = a.slice(0, i);
        portText = a.slice(i + 1);
      } else host = a; // a bare IPv6 address (::1, fe80::1): no port possible without brackets
    }
    if (/\s/.test(host)) return { ok: false, problem: "address", value: a };
  }
  if (portArg !== undefined) {
    if (portText !== undefined) return { ok: false, problem: "address", value: `${a} ${portArg}` };
    portText = portArg;
  }
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return { ok: false, problem: "port", value: portText };
    port = Number(portText);
    if (port < 1 || port > 65535) return { ok: false, problem: "port", value: portText };
  }
  return { ok: true, host, port };
}

/**
 * A comma-separated list of addresses (`a:7777,b:7777`: the nodes of one papo cluster), each as
 * `parseTarget` reads it. A separate port argument is taken only with a single address. The
 * client connects to the first and moves on to the next one whenever a connection fails or drops.
 */
export function parseTargets(
  address: string | undefined,
  portArg?: string,
  defaultPort: number = DEFAULT_PORT,
): { ok: true; targets: Target[] } | ({ ok: false } & TargetProblem) {
  const parts = (address ?? "").split(",").map((p) => p.trim());
  if (parts.length === 1) {
    const one = parseTarget(address, portArg, defaultPort);
    return one.ok ? { ok: true, targets: [{ host: one.host, port: one.port }] } : one;
  }
  if (portArg !== undefined) return { ok: false, problem: "address", value: `${address} ${portArg}` };
  const targets: Target[] = [];
  for (const part of parts) {
    if (part === "") return { ok: false, problem: "address", value: address ?? "" };
    const t = parseTarget(part, undefined, defaultPort);
    if (!t.ok) return t;
    targets.push({ host: t.host, port: t.port });
  }
  return { ok: true, targets };
}

/** `host:port`, with brackets around an IPv6 host, as users would type it back. */
export function formatTarget({ host, port }: Target): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
