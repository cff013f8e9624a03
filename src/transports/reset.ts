/**
 * Cutting a connection with a reset (issue 9 item 6). A socket closed with unread bytes queued
 * (a reader that stopped reading, a dead peer) would sit in FIN-WAIT-1 while the kernel keeps
 * trying to deliver them, holding up to its send buffer (megabytes) for many minutes. A reset
 * (SO_LINGER 0, then close) frees it at once; the peer was not going to read the bytes anyway.
 */
import type net from "node:net";

/** Resets and destroys `socket`; a TLS socket resets the TCP socket it runs on. */
export function resetSocket(socket: net.Socket): void {
  // A server-side TLSSocket wraps the accepted TCP socket (`_parent`, a Node internal); its own
  // handle is not a TCP handle and resetAndDestroy throws for it.
  const raw = (socket as net.Socket & { _parent?: net.Socket })._parent ?? socket;
  try {
    raw.resetAndDestroy();
  } catch {
    raw.destroy();
  }
  if (raw !== socket) socket.destroy();
}
