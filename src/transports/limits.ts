/**
 * The limits the transports enforce, as the transports need them. The composition (src/server)
 * owns the whole table, with defaults, units and what hitting each does (src/server/limits.ts,
 * docs/operations.md), and hands it in: transports never import the server layer.
 */
export interface TransportLimits {
  readonly batchWindowMs: number;
  readonly batchPausePerSocketUs: number;
  readonly directWrites: number;
  readonly ioUring: number;
  readonly exemptLoopback: number;
  readonly fragmentGapMs: number;
  readonly greetDelayMs: number;
  readonly keepAliveMs: number;
  readonly lineTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxLineBytes: number;
  readonly maxNameLength: number;
  readonly maxPendingBytes: number;
  readonly maxRoomNameLength: number;
  readonly maxRoomsPerUser: number;
  readonly maxSendQueueBytes: number;
  readonly maxUnregisteredPerAddress: number;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  readonly shutdownGraceMs: number;
  readonly tlsHandshakeTimeoutMs: number;
}
