/**
 * A TLS listener with papo's admission rules, shared by every protocol that has a TLS port (the
 * chat's text/json port, IRC over TLS): the same handshake deadline, the same per-address count of
 * connections still in their handshake, the same global cap, the same logging. Each protocol only
 * says what to do with a connection once its handshake is done.
 */
import type net from "node:net";
import tls from "node:tls";
import type { Chat } from "../core/chat.ts";
import { formatAddress } from "./address.ts";
import type { TransportLimits as Limits } from "./limits.ts";
import { PendingConnections } from "./pending.ts";

/**
 * A TLS server (TLS 1.2 at least) that calls `onSecure` for each connection whose handshake is
 * done. Connections still in their handshake are not yet counted by the chat: they count per
 * address here, as unregistered connections (issue 9 item 3), with the global cap as a backstop
 * (the handshake timeout bounds how long each can wait). `what` names the listener in the log
 * (`stage`), so a refusal says which port it was.
 */
export function createSecureListener(
  opts: { chat: Chat; limits: Limits },
  secure: { cert: string | Buffer; key: string | Buffer },
  onSecure: (socket: tls.TLSSocket) => void,
): tls.Server {
  const server = tls.createServer({
    cert: secure.cert,
    key: secure.key,
    minVersion: "TLSv1.2",
    handshakeTimeout: opts.limits.tlsHandshakeTimeoutMs,
  });
  if (opts.limits.maxConnections > 0) server.maxConnections = opts.limits.maxConnections;
  const handshaking = new PendingConnections(
    opts.limits.maxUnregisteredPerAddress,
    opts.limits.exemptLoopback !== 0,
  );
  server.on("connection", function secureListenerOnTcpConnection(raw: net.Socket) {
    if (handshaking.admit(raw)) return;
    opts.chat.counters.refused("too_many_connections");
    opts.chat.log("warn", "refused", {
      remote: formatAddress(raw.remoteAddress, raw.remotePort),
      reason: "too_many_connections",
      stage: "tls_handshake",
    });
    // Nothing can be said before the handshake: a reset is the answer.
    raw.resetAndDestroy();
  });
  server.on("secureConnection", function secureListenerOnConnection(socket: tls.TLSSocket) {
    // From here the chat counts it (its session).
    handshaking.release(socket);
    onSecure(socket);
  });
  server.on("tlsClientError", function secureListenerOnClientError(err: NodeJS.ErrnoException, socket) {
    opts.chat.log("debug", "tls_error", {
      remote: formatAddress(socket.remoteAddress, socket.remotePort),
      code: err.code ?? err.message,
    });
    socket.destroy();
  });
  return server;
}
