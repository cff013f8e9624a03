import type { AdmissionLimits } from "../core/admission.ts";
import type { RoomLimits } from "../core/chat.ts";
import type { FloodLimits } from "../core/flood.ts";

/**
 * Every limit papo enforces, with its unit and default, in one place (DESIGN: limits are options).
 * `papo serve --limit NAME=VALUE` overrides any of them; docs/operations.md lists them (a test keeps
 * that table in step with this file).
 */
export interface Limits {
  /** Longest line (or legacy payload) in bytes, without its line end. Over it: `line_too_long`, line dropped, connection kept. */
  maxLineBytes: number;
  /** Most bytes accepted without a line end. Over it: `bye line_overflow`, connection closed. */
  maxPendingBytes: number;
  /** Longest name, in Unicode code points. */
  maxNameLength: number;
  /**
   * Milliseconds the plain TCP port waits for a client's first bytes before greeting. A browser
   * or TLS client speaks first and gets one explanatory line instead of a chat greeting (A10);
   * a client that speaks first is greeted at once; an `nc` user sees the prompt this much later.
   */
  greetDelayMs: number;
  /** Milliseconds from connect to an accepted name (absolute: traffic does not extend it). Over it: `bye registration_timeout`. */
  registrationTimeoutMs: number;
  /** Bytes queued for one client (ours plus the socket's unsent bytes). Over it: `bye send_queue_exceeded`, that client alone is closed. */
  maxSendQueueBytes: number;
  /**
   * Longest pause, in milliseconds, between two batched writes. After writing to n sockets the
   * server waits n × `batchPausePerSocketUs` (at most this) before writing again, so a large busy room puts several
   * messages in each write while a small or quiet one writes at once. 0 writes every turn.
   */
  batchWindowMs: number;
  /**
   * Microseconds of pause after a batched write, per socket it wrote to (at most `batchWindowMs`
   * in all): the larger, the more messages share one write (fewer system calls) and the longer a
   * message may wait for the next flush.
   */
  batchPausePerSocketUs: number;
  /**
   * 1: a flush to a plain TCP socket (text, json, IRC; not TLS, not WebSocket) with nothing queued
   * in Node goes straight to its descriptor through papo's native helper, when the install built it
   * (native/, issue 14: a sixth less CPU at light load); 0: every write goes through Node's socket.
   */
  directWrites: number;
  /**
   * 1: with `directWrites`, the writes of one flush round go to the kernel through io_uring, one
   * system call for up to 256 sockets, where the kernel allows it (Linux 5.7 and later, io_uring
   * not turned off); each is the same non-blocking send. 0: one send(2) system call per socket.
   */
  ioUring: number;
  /** Milliseconds to flush and close connections on shutdown before they are cut. */
  shutdownGraceMs: number;
  /**
   * Milliseconds a started line (or legacy frame) may take to be finished, counted from its first
   * byte (a trickle does not extend it). Over it: `bye idle_line_timeout`; the fragment is never
   * relayed (ROBUSTNESS A4). 0 disables.
   */
  lineTimeoutMs: number;
  /**
   * Milliseconds of quiet after which a text-mode fragment with no line end is taken as a line, on
   * connections whose first message came that way (the seeds' clients send each message with one
   * `send()` and no newline; docs/protocol.md §2). Every other connection keeps waiting for its
   * line end (with `lineTimeoutMs`). 0 turns the rule off.
   */
  fragmentGapMs: number;
  /**
   * Milliseconds of TCP silence before the kernel starts keepalive probes (ROBUSTNESS E28). Node
   * then probes every second, 10 times: a vanished peer on a quiet connection is gone about
   * 10 s after this.
   */
  keepAliveMs: number;
  /**
   * Milliseconds a connection may go without its bytes getting through (the kernel retransmitting
   * unacknowledged, or nothing taken from a full queue) before it is cut and its name freed: a
   * vanished peer in a busy room, where keepalive never fires (issue 9 item 2). 0 disables.
   */
  deadPeerTimeoutMs: number;
  /**
   * Milliseconds without input after which a json-mode connection is sent `{"type":"ping"}`
   * (ROBUSTNESS E28: dead peers). 0 disables.
   */
  pingIntervalMs: number;
  /** Milliseconds to wait for any input after a ping. Over it: `bye ping_timeout`, name freed. */
  pingTimeoutMs: number;
  /**
   * Lines a connection may send at once before flood control starts delaying them (token bucket
   * size). Every non-empty line counts (messages, private messages, commands, names, bad lines).
   * Later lines wait their turn, in order, and the connection is not read meanwhile (TCP pushes
   * back on the sender); the sender alone is told once (`throttled`) (ROBUSTNESS D21, D22; issue
   * 10 item 2).
   */
  floodBurst: number;
  /** Milliseconds per line after the burst: the steady rate is 1000 / this lines per second. */
  floodIntervalMs: number;
  /**
   * Bytes of lines a throttled connection may have waiting. Over it: `bye flood`, that sender alone
   * is closed. The server reads at most about 64 KiB at a time from a paused connection, so on TCP
   * this mostly bounds what one read can queue. 0: no cap.
   */
  floodMaxBacklogBytes: number;
  /**
   * Milliseconds the newest waiting line of a throttled connection would wait (its lag). Over it:
   * `bye flood`. 0: no cap.
   */
  floodMaxLagMs: number;
  /** Name changes a user may make at once (ROBUSTNESS C20: no notice flood for others). */
  renameBurst: number;
  /** Milliseconds per name change after the rename burst. Over it: `error flood`. */
  renameIntervalMs: number;
  /** Open connections in all, registered or not, every listener. Over it: `bye server_full`. 0: no cap. */
  maxConnections: number;
  /** Open connections from one address (IPv6: one /64). Over it: `bye too_many_connections`. 0: no cap. */
  maxConnectionsPerAddress: number;
  /** Connections from one address that have not chosen a name yet. Over it: `bye too_many_connections`. 0: no cap. */
  maxUnregisteredPerAddress: number;
  /** New connections one address may open at once (token bucket size). Over it: `bye connect_rate`. 0: no limit. */
  connectBurst: number;
  /** Milliseconds per new connection from one address after the burst. */
  connectIntervalMs: number;
  /**
   * 1: loopback clients (127.0.0.0/8, ::1) are exempt from the per-address limits and the connect
   * rate (a local proxy or load test shares one address); 0: they are limited like anyone.
   */
  exemptLoopback: number;
  /** Milliseconds before a wrong password is answered (`bye bad_password`), against guessing. */
  passwordDelayMs: number;
  /** Milliseconds a TLS client may take to finish its handshake. */
  tlsHandshakeTimeoutMs: number;
  /** Rooms one user may be in at once, the lobby included. Over it: `error too_many_rooms`. */
  maxRoomsPerUser: number;
  /** Rooms with people in them, in all. A new room over it: `error rooms_full`. */
  maxRooms: number;
  /** Longest room name, in Unicode code points, without the `#`. */
  maxRoomNameLength: number;
  /** Logged events shown when joining a room (history on join). */
  historyOnJoin: number;
  /** Most events one `/history N` (or json `history`) returns. */
  historyMaxPerRequest: number;
  /** Most events a resume replays per room; a longer absence gets a `gap` and the last events. */
  resumeMaxEvents: number;
  /** Latest events per room kept in memory, so joins and short resumes never read the store. */
  roomRingSize: number;
  /** Milliseconds a resume token stays valid. */
  resumeTtlMs: number;
  /** Milliseconds between attempts to save history again after the store failed (disk full). */
  storeRetryMs: number;
  /**
   * Events kept in memory, waiting to be saved, while the store cannot write (disk full). Past
   * it the oldest unsaved ones are let go (the log gets a hole; a resume across it is a gap).
   */
  maxUnsavedEvents: number;
  /** Events kept per room; older ones are pruned. */
  retentionMessages: number;
  /** Milliseconds an event is kept; older ones are pruned. 0: kept whatever their age. */
  retentionMaxAgeMs: number;
  /** Milliseconds between pruning rounds (each deletes in batches of 500, yielding in between). */
  pruneIntervalMs: number;
  /**
   * Cluster mode (`--redis`): events kept in the stream every node reads (MAXLEN ~). A node that
   * falls further behind reads what it missed from the rooms' own streams.
   */
  clusterEventsMaxLength: number;
  /**
   * Cluster mode: milliseconds a node's hold on a name lasts without renewal (renewed every third
   * of it). A node that dies frees its users' names after at most this long.
   */
  nameLeaseMs: number;
  /**
   * Cluster mode: `batchWindowMs` for a node of a cluster. A node also spends CPU on Redis for each
   * event and has only its share of a room's members to write to, so at the same pause it writes
   * fewer messages per system call than one server holding the whole room: a longer pause keeps
   * its CPU per delivery at one server's, for a few more milliseconds of latency (issue 12,
   * docs/performance.md).
   */
  clusterBatchWindowMs: number;
  /** Cluster mode: `batchPausePerSocketUs` for a node of a cluster (see `clusterBatchWindowMs`). */
  clusterBatchPausePerSocketUs: number;
  /**
   * Connections the kernel may hold for each listener before the server accepts them (the
   * `listen()` backlog). Linux silently caps it at `net.core.somaxconn` (issue 9 item 7).
   */
  listenBacklog: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxLineBytes: 2048,
  maxPendingBytes: 16384,
  maxNameLength: 32,
  greetDelayMs: 100,
  registrationTimeoutMs: 60_000,
  // A json welcome lists everyone (~50 bytes a user), so the cap must hold a large room's list.
  maxSendQueueBytes: 1024 * 1024,
  batchWindowMs: 10,
  // 20 µs × 300 sockets = 6 ms: several messages a write at 300 × 1 msg/s (issue 14, performance.md).
  batchPausePerSocketUs: 20,
  directWrites: 1,
  ioUring: 1,
  shutdownGraceMs: 2000,
  // Long enough for a human in a character-at-a-time telnet to finish typing.
  lineTimeoutMs: 120_000,
  // Far longer than the gaps inside one send() (microseconds), far shorter than a person's pause.
  fragmentGapMs: 300,
  keepAliveMs: 30_000,
  deadPeerTimeoutMs: 60_000,
  pingIntervalMs: 60_000,
  pingTimeoutMs: 30_000,
  // ergo allows a burst of 5 then 2/s; 8 lets a short paste through whole.
  floodBurst: 8,
  floodIntervalMs: 500,
  // A 1000-line paste still goes through (in about 8 minutes, as ROBUSTNESS D21 asks: delayed,
  // not punished); one read of 64 KiB of short lines (a bot, `yes | nc`) is a flood.
  floodMaxBacklogBytes: 64 * 1024,
  floodMaxLagMs: 600_000,
  renameBurst: 3,
  renameIntervalMs: 10_000,
  maxConnections: 10_000,
  // A class behind one NAT shares an address: ergo allows 16, we allow a school room.
  maxConnectionsPerAddress: 32,
  maxUnregisteredPerAddress: 8,
  connectBurst: 20,
  connectIntervalMs: 1000,
  exemptLoopback: 1,
  passwordDelayMs: 2000,
  tlsHandshakeTimeoutMs: 10_000,
  maxRoomsPerUser: 20,
  maxRooms: 1000,
  maxRoomNameLength: 32,
  // ssh-chat shows 20 lines; a class that arrives late wants a little more.
  historyOnJoin: 50,
  historyMaxPerRequest: 500,
  resumeMaxEvents: 5000,
  roomRingSize: 200,
  resumeTtlMs: 24 * 60 * 60 * 1000,
  storeRetryMs: 5000,
  maxUnsavedEvents: 100_000,
  retentionMessages: 100_000,
  retentionMaxAgeMs: 90 * 24 * 60 * 60 * 1000,
  pruneIntervalMs: 60_000,
  clusterEventsMaxLength: 100_000,
  nameLeaseMs: 15_000,
  // 60 µs × 500 sockets = 30 ms: a node holding half of a 1000-user room writes as many messages
  // per system call as one server holding all of it (issue 12, performance.md).
  clusterBatchWindowMs: 30,
  clusterBatchPausePerSocketUs: 60,
  // Node's default is 511: under connect churn about 1 % of 2000 clients found the queue full.
  // 4096 is Linux's own somaxconn default since 5.4.
  listenBacklog: 4096,
};

/**
 * The limits the transports get: in cluster mode (issue 12) the batching pause of a cluster node
 * (`clusterBatchWindowMs`, `clusterBatchPausePerSocketUs`) in place of one server's.
 */
export function transportLimits(l: Readonly<Limits>, cluster: boolean): Readonly<Limits> {
  if (!cluster) return l;
  return {
    ...l,
    batchWindowMs: l.clusterBatchWindowMs,
    batchPausePerSocketUs: l.clusterBatchPausePerSocketUs,
  };
}

/** The limits the transport-agnostic core enforces, as `ChatOptions` fields (flood, admission, password). */
export function coreLimits(l: Readonly<Limits>): {
  flood: FloodLimits;
  admission: AdmissionLimits;
  passwordDelayMs: number;
  rooms: RoomLimits;
} {
  return {
    rooms: {
      maxRoomsPerUser: l.maxRoomsPerUser,
      maxRooms: l.maxRooms,
      maxRoomNameLength: l.maxRoomNameLength,
      historyOnJoin: l.historyOnJoin,
      historyMaxPerRequest: l.historyMaxPerRequest,
      resumeMaxEvents: l.resumeMaxEvents,
      roomRingSize: l.roomRingSize,
      resumeTtlMs: l.resumeTtlMs,
      storeRetryMs: l.storeRetryMs,
    },
    flood: {
      floodBurst: l.floodBurst,
      floodIntervalMs: l.floodIntervalMs,
      floodMaxBacklogBytes: l.floodMaxBacklogBytes,
      floodMaxLagMs: l.floodMaxLagMs,
      renameBurst: l.renameBurst,
      renameIntervalMs: l.renameIntervalMs,
    },
    admission: {
      maxConnections: l.maxConnections,
      maxConnectionsPerAddress: l.maxConnectionsPerAddress,
      maxUnregisteredPerAddress: l.maxUnregisteredPerAddress,
      connectBurst: l.connectBurst,
      connectIntervalMs: l.connectIntervalMs,
      exemptLoopback: l.exemptLoopback,
    },
    passwordDelayMs: l.passwordDelayMs,
  };
}

/** Parses `NAME=VALUE` overrides; throws an Error naming the problem. */
export function parseLimitOverrides(
  items: readonly string[],
  base: Readonly<Limits> = DEFAULT_LIMITS,
): Limits {
  const out: Limits = { ...base };
  for (const item of items) {
    const m = /^([A-Za-z]+)=(\d+)$/.exec(item.trim());
    if (!m) throw new Error(`bad --limit "${item}" (expected NAME=NUMBER)`);
    const key = m[1] as keyof Limits;
    // Issue 9 item 5: own keys of the defaults only; `in` also sees Object.prototype (toString=1).
    if (!Object.hasOwn(DEFAULT_LIMITS, key))
      throw new Error(`unknown limit "${m[1]}" (known: ${Object.keys(DEFAULT_LIMITS).join(", ")})`);
    out[key] = Number(m[2]);
  }
  return out;
}
