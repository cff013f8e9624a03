/**
 * The texts of the terminal client (`papo connect`) itself: connection status, failures, its own
 * prompts and help. What the server says is rendered from `ChatTexts` (text-render.ts), so a
 * client user reads the same lines as an `nc` user.
 */

/** Why a connection could not be made or was lost, in words (see client/net-errors.ts). */
export interface NetReasonTexts {
  refused: string;
  notFound: string;
  timeout: string;
  hostUnreachable: string;
  networkUnreachable: string;
  reset: string;
  closed: string;
  /** Connected, but nothing answered our json `hello` in time (a different service on the port?). */
  notPapo: string;
  other(p: { detail: string }): string;
}

/** Why a TLS connection failed (client/tls.ts `tlsProblem`). */
export interface TlsReasonTexts {
  untrusted: string;
  hostname: string;
  expired: string;
  not_tls: string;
  handshake: string;
}

export interface ClientTexts {
  /** `papo connect --help`. */
  usage: string;
  /** A bad option or address: one line, then a non-zero exit. */
  badOption(p: { detail: string }): string;
  badAddress(p: { address: string }): string;
  badPort(p: { port: string }): string;
  /** S12: no server; the one line the user sees. */
  cannotConnect(p: { address: string; reason: string }): string;
  reasons: NetReasonTexts;
  tlsReasons: TlsReasonTexts;
  /** `--ca` or `--insecure` without `--tls`. */
  tlsNeeded(p: { option: string }): string;
  caFile(p: { file: string; reason: string }): string;
  /** Shown once when `--insecure` is used. */
  insecureWarning: string;
  /** The readline prompt while a name is being asked for. */
  namePrompt: string;
  /** The connection closed without a `bye`. */
  connectionLost(p: { address: string }): string;
  /** Before each reconnect attempt (they go on until the user quits); Enter retries at once. */
  reconnecting(p: { address: string; seconds: number; attempt: number }): string;
  reconnected(p: { address: string }): string;
  /** The server sent nothing, not even an answer to our ping, for this long: the link is dead. */
  linkDead(p: { address: string; seconds: number }): string;
  /** Put before the prompt while offline, counting down to the next attempt. */
  offlinePrompt(p: { seconds: number }): string;
  /** A line that could not be sent (the user left while offline, or too many were waiting). */
  notSent(p: { text: string }): string;
  /**
   * A line sent just before the connection was lost, and not confirmed, that cannot be sent again:
   * a private message (the server cannot tell a second copy from a new one), one sent under
   * another name, or one still waiting when the user quit. Up recalls it.
   */
  maybeNotDelivered(p: { text: string }): string;
  /** A `bye` reason this client does not know (a newer server). */
  byeOther(p: { reason: string; text?: string }): string;
  /** An `error` code this client does not know, or one with unusable params. */
  errorOther(p: { code: string }): string;
  /** No `bye` came in time after `/quit`. */
  quitTimeout: string;
  /** The readline prompt while the server password is asked for (the input is masked). */
  passwordPrompt: string;
  // Issue 13 item 1: `papo.mjs`, the client in one file served by the web listener.
  /** `node papo.mjs --help` (or no arguments): what the file is and how to run it. */
  standaloneUsage(p: { version: string }): string;
  /** `node papo.mjs serve` or any other command: the file is only the client. */
  standaloneOnlyClient(p: { command: string }): string;
}
