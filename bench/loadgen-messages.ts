/** Messages and shared counters between loadgen.ts (main thread) and loadgen-worker.ts. */
import type { RecordableHistogram } from "node:perf_hooks";
import type { ProtocolName } from "./protocols.ts";

export interface WorkerInit {
  workerIndex: number;
  host: string;
  port: number;
  /** cluster runs: client i connects to ports[i mod length] (several nodes); unset: `port` */
  ports?: number[];
  protocol: ProtocolName;
  ircJoin: boolean;
  /** the channel IRC clients join and talk in (default #bench) */
  ircChannel?: string;
  /** rooms run: client i talks in `#r<i mod rooms>`; 0: one room for everyone */
  rooms: number;
  /** global id of this worker's first client; ids are contiguous */
  firstId: number;
  count: number;
  totalClients: number;
  /** at most this many connections of this worker are connecting/registering at once */
  batch: number;
  registerTimeoutMs: number;
  /** process.hrtime.bigint() at the run's epoch, as a decimal string */
  epochNs: string;
  /** Float64Array over it: per worker [received, registered, failed, sent] */
  counters: SharedArrayBuffer;
  /** allocate the per-(receiver, sender) ordering tables (false for idle runs) */
  trackOrder: boolean;
}

export type ToWorker =
  | { type: "start"; startUs: number; endUs: number; measureFromUs: number; rate: number; jitter: number }
  | { type: "report" }
  | { type: "close" };

export interface WorkerStats {
  workerIndex: number;
  registered: number;
  failed: number;
  sent: number;
  received: number;
  receivedDuringSend: number;
  duplicates: number;
  reordered: number;
  corrupt: number;
  /** deliveries from a sender in another room (rooms runs): must be 0 */
  crossRoom: number;
  echoes: number;
  otherLines: number;
  closedEarly: number;
  errors: string[];
}

export type FromWorker =
  | { type: "registered"; registered: number; failed: number; errors: string[] }
  | { type: "sent"; sent: number }
  | { type: "report"; stats: WorkerStats; latency: RecordableHistogram; sendLag: RecordableHistogram }
  | { type: "fatal"; error: string };

export const COUNTER_SLOTS = 4;
export const C_RECEIVED = 0;
export const C_REGISTERED = 1;
export const C_FAILED = 2;
export const C_SENT = 3;
