/**
 * IRC over TLS (issue 11, `--irc-tls-port`, 6697 by default as RFC 7194 says): the IRC listener's
 * connections on a TLS socket, admitted by the same rules as the chat's TLS port (handshake
 * deadline, per-address count of unfinished handshakes, the global cap: tls-listener.ts). Once the
 * handshake is done a connection is an IrcConnection like any other: flood control, dead peers,
 * the send-queue cap and the registration deadline are the same code.
 */
import type tls from "node:tls";
import { IrcConnection, type IrcOptions } from "./irc.ts";
import { listenerFlusher } from "./outbox.ts";
import { createSecureListener } from "./tls-listener.ts";

/** An IRC-over-TLS listener feeding the chat. */
export function createIrcTlsServer(
  opts: IrcOptions,
  secure: { cert: string | Buffer; key: string | Buffer },
): tls.Server {
  const flusher = listenerFlusher(opts.limits, false);
  return createSecureListener(opts, secure, function ircTlsServerOnConnection(socket: tls.TLSSocket) {
    const conn = new IrcConnection(socket, opts, flusher);
    opts.chat.log("info", "connect", {
      remote: conn.remote,
      irc: true,
      tls: socket.getProtocol() ?? undefined,
    });
    conn.attach();
  });
}
