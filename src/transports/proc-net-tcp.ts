/**
 * The kernel's table of TCP sockets (Linux `/proc/net/tcp` and `/proc/net/tcp6`), parsed. Pure:
 * the caller reads the files. The dead-peer watch (dead-peer.ts) uses it to see which sockets
 * have bytes the peer is not acknowledging, which Node cannot ask the kernel for.
 *
 * A row (net/ipv4/tcp_ipv4.c, get_tcp4_sock), fields split on white space:
 *   sl  local:port  remote:port  st  tx_queue:rx_queue  tr:when  retrnsmt  uid  timeout  inode ...
 * Addresses are the raw network-order 32-bit words printed as host-order hex (so byte-reversed
 * per word on a little-endian machine); ports are plain hex. For an established socket tx_queue
 * is the bytes sent and not yet acknowledged (write_seq - snd_una); for a listening socket it is
 * the accept backlog and rx_queue the connections waiting in it. `tr` is the pending timer
 * (1 retransmission, 2 keepalive, 4 zero-window probe), `retrnsmt` counts retransmission
 * timeouts since the peer last acknowledged new data, `timeout` counts unanswered probes.
 */

/** TCP states as the kernel numbers them (include/net/tcp_states.h). */
export const TCP_STATE = {
  ESTABLISHED: 1,
  FIN_WAIT1: 4,
  LISTEN: 10,
} as const;

/** Timer kinds in the `tr` column. */
export const TCP_TIMER = { RETRANSMIT: 1, KEEPALIVE: 2, PROBE0: 4 } as const;

export interface TcpRow {
  /** Normalised local address (see `normalizeIp`) and port. */
  local: string;
  localPort: number;
  remote: string;
  remotePort: number;
  state: number;
  txQueue: number;
  rxQueue: number;
  timer: number;
  /** Retransmission timeouts since the last acknowledgement of new data. */
  retransmits: number;
  /** Unanswered keepalive or zero-window probes. */
  probes: number;
}

/** Which rows `parseProcNetTcp` parses (the others are skipped without being split). */
export interface RowFilter {
  /** Only rows whose local port is one of these. */
  localPorts?: ReadonlySet<number>;
  /** Only rows with bytes sent and not acknowledged (tx_queue > 0). */
  unacknowledged?: boolean;
}

/**
 * Parses the text of /proc/net/tcp or /proc/net/tcp6; malformed rows are skipped. The table lists
 * every socket of the machine (its network namespace), and a full parse of 17 000 rows took
 * 150 ms of the event loop: with a `filter`, rows are first judged on the few characters that
 * matter, and only those that pass are split and parsed.
 */
export function parseProcNetTcp(text: string, littleEndian: boolean, filter: RowFilter = {}): TcpRow[] {
  const rows: TcpRow[] = [];
  const ports =
    filter.localPorts &&
    new Set([...filter.localPorts].map((p) => p.toString(16).toUpperCase().padStart(4, "0")));
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    if (wanted(text, start, end, ports, filter.unacknowledged === true)) {
      const row = parseRow(text.slice(start, end), littleEndian);
      if (row) rows.push(row);
    }
    start = end + 1;
  }
  return rows;
}

/**
 * Whether the row in text[start, end) passes the filter, read in place. A row is
 * `   sl: LOCAL:PORT REMOTE:PORT ST TXQUEUE:RXQUEUE ...` with both addresses the same width.
 */
function wanted(
  text: string,
  start: number,
  end: number,
  ports: Set<string> | undefined,
  unacked: boolean,
): boolean {
  if (!ports && !unacked) return true;
  const colon = text.indexOf(": ", start);
  if (colon === -1 || colon >= end) return false;
  const local = colon + 2;
  const portColon = text.indexOf(":", local);
  if (portColon === -1 || portColon >= end) return false;
  if (ports && !ports.has(text.slice(portColon + 1, portColon + 5))) return false;
  if (!unacked) return true;
  const width = portColon + 5 - local; // address, ":" and port
  const tx = local + 2 * width + 2 + 3; // two addresses, two spaces, the state and a space
  return tx + 8 <= end && text.slice(tx, tx + 8) !== "00000000";
}

/** One row, or undefined for the header and anything malformed. */
export function parseRow(line: string, littleEndian: boolean): TcpRow | undefined {
  const f = line.trim().split(/\s+/);
  if (f.length < 10 || !f[0]?.endsWith(":")) return undefined;
  const local = splitAddress(f[1], littleEndian);
  const remote = splitAddress(f[2], littleEndian);
  const queues = f[4]?.split(":");
  const timer = f[5]?.split(":");
  if (!local || !remote || queues?.length !== 2 || timer?.length !== 2) return undefined;
  const nums = [
    Number.parseInt(f[3] as string, 16),
    Number.parseInt(queues[0] as string, 16),
    Number.parseInt(queues[1] as string, 16),
    Number.parseInt(timer[0] as string, 16),
    Number.parseInt(f[6] as string, 16),
    Number.parseInt(f[8] as string, 10),
  ];
  if (nums.some((n) => !Number.isFinite(n))) return undefined;
  const [state, txQueue, rxQueue, tr, retransmits, probes] = nums as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    local: local.ip,
    localPort: local.port,
    remote: remote.ip,
    remotePort: remote.port,
    state,
    txQueue,
    rxQueue,
    timer: tr,
    retransmits,
    probes,
  };
}

function splitAddress(
  field: string | undefined,
  littleEndian: boolean,
): { ip: string; port: number } | undefined {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(field ?? "");
  if (!m) return undefined;
  const hex = m[1] as string;
  const bytes = Buffer.alloc(hex.length / 2);
  for (let w = 0; w < hex.length / 8; w++) {
    const word = Number.parseInt(hex.slice(w * 8, w * 8 + 8), 16);
    if (littleEndian) bytes.writeUInt32LE(word, w * 4);
    else bytes.writeUInt32BE(word, w * 4);
  }
  return { ip: bytesToIp(bytes), port: Number.parseInt(m[2] as string, 16) };
}

/** IPv4 as dotted quad; IPv6 as 32 lower-case hex digits, an IPv4-mapped one as its IPv4. */
function bytesToIp(b: Buffer): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? bytesToIp(b.subarray(12)) : b.toString("hex");
}

/**
 * An address as Node reports it (`127.0.0.1`, `::ffff:127.0.0.1`, `fe80::1%eth0`) in the form the
 * parsed rows use; undefined when it does not parse.
 */
export function normalizeIp(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const text = (address.split("%")[0] as string).toLowerCase();
  if (!text.includes(":")) return /^\d+\.\d+\.\d+\.\d+$/.test(text) ? text : undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const bytes = Buffer.alloc(16);
  for (const [i, g] of all.entries()) bytes.writeUInt16BE(g, i * 2);
  return bytesToIp(bytes);
}

function groups(text: string): number[] | undefined {
  if (text === "") return [];
  const out: number[] = [];
  for (const g of text.split(":")) {
    if (g.includes(".")) {
      const q = g.split(".").map(Number);
      if (q.length !== 4 || q.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return undefined;
      out.push(((q[0] as number) << 8) | (q[1] as number), ((q[2] as number) << 8) | (q[3] as number));
    } else {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
  }
  return out;
}

/** The key of one connection seen from this host: local port, remote address and port. */
export function connectionKey(localPort: number, remote: string, remotePort: number): string {
  return `${localPort} ${remote} ${remotePort}`;
}
