/**
 * Connections that have no chat session yet, counted per address (issue 9 item 3): a TLS
 * connection still in its handshake, a web connection that has not upgraded to a WebSocket. The
 * chat counts a connection per address only once it has a session, so without this one address
 * could fill the TLS listener's global cap with unfinished handshakes (400 of them locked a TLS
 * user from another address out) or hold a thousand web connections that never upgrade.
 */
import type net from "node:net";
import { addressKey } from "../core/admission.ts";
import { formatAddress } from "./address.ts";
import { resetSocket } from "./reset.ts";

export class PendingConnections {
  readonly #perAddress: number;
  readonly #exemptLoopback: boolean;
  readonly #counts = new Map<string, number>();
  /**
   * Address key of each connection counted, by `IP:PORT` of its peer (unique among open
   * connections to one listener; a TLS socket reports the peer of the TCP socket it wraps).
   */
  readonly #held = new Map<string, { key: string; deadline: NodeJS.Timeout | undefined }>();

  /**
   * @param perAddress most pending connections from one address (IPv6: one /64); 0: no cap.
   * @param exemptLoopback loopback peers are not counted (`exemptLoopback` limit).
   */
  constructor(perAddress: number, exemptLoopback: boolean) {
    this.#perAddress = perAddress;
    this.#exemptLoopback = exemptLoopback;
  }

  /** Pending connections from `remote`'s address (for tests). */
  count(remote: string): number {
    return this.#counts.get(addressKey(remote).key) ?? 0;
  }

  /**
   * Counts `socket` until it closes or `release(socket)` is called; false when its address
   * already has `perAddress` pending connections (the caller closes it). With `deadlineMs`, the
   * socket is reset unless `started(socket)` or `release(socket)` comes within that time, whatever
   * its address (loopback included).
   */
  admit(socket: net.Socket, deadlineMs = 0): boolean {
    const remote = formatAddress(socket.remoteAddress, socket.remotePort);
    const { key, loopback } = addressKey(remote);
    const counted = this.#perAddress > 0 && !(loopback && this.#exemptLoopback);
    if (counted) {
      const n = this.#counts.get(key) ?? 0;
      if (n >= this.#perAddress) return false;
      this.#counts.set(key, n + 1);
    }
    if (!counted && deadlineMs <= 0) return true;
    const deadline = deadlineMs > 0 ? setTimeout(resetSocket, deadlineMs, socket).unref() : undefined;
    this.#held.set(remote, { key: counted ? key : "", deadline });
    socket.once("close", () => this.#release(remote));
    return true;
  }

  /** The connection sent its first request: its deadline is met (it still counts). */
  started(socket: Pick<net.Socket, "remoteAddress" | "remotePort">): void {
    const held = this.#held.get(formatAddress(socket.remoteAddress, socket.remotePort));
    if (!held) return;
    clearTimeout(held.deadline);
    held.deadline = undefined;
  }

  /** The connection has its session now (or is gone); it no longer counts here. Idempotent. */
  release(socket: Pick<net.Socket, "remoteAddress" | "remotePort">): void {
    this.#release(formatAddress(socket.remoteAddress, socket.remotePort));
  }

  #release(remote: string): void {
    const held = this.#held.get(remote);
    if (held === undefined) return;
    this.#held.delete(remote);
    clearTimeout(held.deadline);
    const key = held.key;
    if (key === "") return;
    const n = (this.#counts.get(key) ?? 1) - 1;
    if (n > 0) this.#counts.set(key, n);
    else this.#counts.delete(key);
  }
}
