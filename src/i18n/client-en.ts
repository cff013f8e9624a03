import type { ClientTexts } from "./client-types.ts";

export const clientEn: ClientTexts = {
  usage: `Usage: papo connect [HOST][:PORT] [--name NAME] [--lang en|pt-BR] [--no-color] [--no-reconnect]
                    [--no-bell] [--tls [--ca FILE | --insecure]]

  HOST[:PORT]      server to join (default localhost:7777); also :PORT, [::1]:PORT, or HOST PORT;
                   several, comma-separated (a:7777,b:7777: nodes of one cluster), are tried in turn
  --name, -n NAME  join with this name (otherwise you are asked)
  --lang LANG      language of the client's texts (default: from the locale, else en)
  --no-color       no colours (also NO_COLOR=1, or when the output is not a terminal)
  --no-reconnect   exit when the connection drops instead of reconnecting
  --no-bell        do not ring the terminal bell when a message names you (@you, or your name)
  --tls            connect with TLS (default port 7778); the certificate is verified
  --ca FILE        also trust this CA certificate (PEM), e.g. the server's self-signed one
  --insecure       with --tls: do not verify the certificate (encrypted, but anyone could be the server)

A server with a password asks for it (typed masked); or set PAPO_PASSWORD.

Type a message and press Enter. @name text sends a private message; /join #room, /part, /rooms and
/history [N] move between rooms; /help lists the commands; /quit (or Ctrl-D) leaves. Tab completes
names, commands and rooms; on an empty line it writes "name: " (Tab again: the next name). Ctrl-C
clears what you typed (Up brings it back); on an empty line it leaves. A message that names you is
highlighted and rings the bell. Long lines wrap under the name. When the connection drops (or the
server restarts), the client tries again until you quit, takes your name back and shows what you
missed; what you typed is kept.
Exit codes: 0 you left (or, with --no-reconnect, the server shut down); 1 no server, connection lost
with --no-reconnect, or removed; 2 bad option.
`,
  badOption: ({ detail }) => `papo connect: ${detail}. Try papo connect --help.`,
  badAddress: ({ address }) => `bad address "${address}" (expected HOST, HOST:PORT, :PORT or [IPv6]:PORT)`,
  badPort: ({ port }) => `bad port "${port}" (expected 1-65535)`,
  cannotConnect: ({ address, reason }) => `papo: cannot connect to ${address}: ${reason}`,
  reasons: {
    refused: "connection refused (is the server running, and on this port?)",
    notFound: "unknown host",
    timeout: "timed out",
    hostUnreachable: "host unreachable",
    networkUnreachable: "network unreachable",
    reset: "connection reset by the server",
    closed: "the server closed the connection",
    notPapo: "no answer from a papo server (is this the right port?)",
    other: ({ detail }) => detail,
  },
  tlsReasons: {
    untrusted:
      "the server's TLS certificate is not trusted (use --ca FILE with its certificate, or --insecure)",
    hostname: "the server's TLS certificate is not for this host name",
    expired: "the server's TLS certificate has expired or is not valid yet",
    not_tls: "the server does not speak TLS on this port (its TLS port is 7778 by default)",
    handshake: "the TLS handshake failed",
  },
  tlsNeeded: ({ option }) => `${option} only makes sense with --tls`,
  caFile: ({ file, reason }) => `cannot read the CA file ${file} (${reason})`,
  insecureWarning: "*** --insecure: the server's certificate is not checked; anyone could be the server.",
  namePrompt: "name> ",
  connectionLost: ({ address }) => `*** The connection to ${address} was lost.`,
  reconnecting: ({ address, seconds, attempt }) =>
    `*** Reconnecting to ${address} in ${seconds} s (attempt ${attempt}; Enter on an empty line tries now)...`,
  reconnected: ({ address }) => `*** Reconnected to ${address}.`,
  linkDead: ({ address, seconds }) =>
    `*** No answer from ${address} for ${seconds} s: the connection is dead.`,
  offlinePrompt: ({ seconds }) => `(offline: retry in ${seconds} s, Enter: now) `,
  notSent: ({ text }) => `*** Not sent: ${text}`,
  maybeNotDelivered: ({ text }) =>
    `*** The connection was lost before the server confirmed this; it may not have arrived (Up recalls it): ${text}`,
  byeOther: ({ reason, text }) => `*** Disconnected by the server (${reason})${text ? `: ${text}` : "."}`,
  errorOther: ({ code }) => `! The server refused that (${code}).`,
  quitTimeout: "*** The server did not answer /quit; leaving anyway.",
  passwordPrompt: "password> ",
  // Issue 13 item 1: `papo.mjs`, the client in one file served by the web listener.
  standaloneUsage: ({
    version,
  }) => `papo.mjs ${version}: the papo terminal client in one file (Node >= 20, nothing else needed)

Usage: node papo.mjs connect [HOST][:PORT] [--name NAME] [--lang en|pt-BR] [--no-color] [--no-reconnect]
                             [--tls [--ca FILE | --insecure]]
       node papo.mjs connect --help     the options in detail
       node papo.mjs --version

To run a server, install papo itself (npm install -g papo), then papo serve.
`,
  standaloneOnlyClient: ({ command }) =>
    `papo.mjs: "${command}" is not a client command: this file only connects (node papo.mjs connect HOST[:PORT]). To run a server, install papo itself (npm install -g papo). Try node papo.mjs --help.`,
};
