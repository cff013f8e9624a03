/**
 * `papo connect --tls` (issue 4 item 7): the client's TLS branch, kept apart from the rest of the
 * client so the two can be written independently. Certificate verification is on by default;
 * `--ca FILE` trusts one more CA (a self-signed server certificate is its own CA); `--insecure`
 * skips verification, and says so.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";

/** Default port of a papo server's TLS listener (`papo serve --tls-cert ... --tls-key ...`). */
export const DEFAULT_TLS_PORT = 7778;

/** The `parseArgs` option specs of the TLS branch, to spread into the client's own. */
export const TLS_CONNECT_OPTIONS = {
  tls: { type: "boolean", default: false },
  ca: { type: "string" },
  insecure: { type: "boolean", default: false },
} as const;

/** Usage lines for the TLS options (English; the client's catalogue may carry its own). */
export const TLS_CONNECT_USAGE = `  --tls               connect with TLS (default port ${DEFAULT_TLS_PORT}); the certificate is verified
  --ca FILE           also trust this CA certificate (PEM), e.g. the server's self-signed one
  --insecure          with --tls: do not verify the certificate (encrypts, but anyone could be the server)
`;

export interface TlsClientOptions {
  tls: boolean;
  /** A PEM file of CA certificates to trust besides the system ones. */
  ca?: string | undefined;
  insecure: boolean;
}

export type TlsOptionProblem =
  | { problem: "needs_tls"; option: "--ca" | "--insecure" }
  | { problem: "ca_file"; file: string; reason: string };

/** Checks the TLS options and reads the CA file; `ca` holds its bytes. */
export function resolveTlsOptions(
  o: TlsClientOptions,
): { ok: true; tls: boolean; insecure: boolean; ca?: Buffer } | ({ ok: false } & TlsOptionProblem) {
  if (!o.tls && o.ca !== undefined) return { ok: false, problem: "needs_tls", option: "--ca" };
  if (!o.tls && o.insecure) return { ok: false, problem: "needs_tls", option: "--insecure" };
  if (o.ca === undefined) return { ok: true, tls: o.tls, insecure: o.insecure };
  try {
    return { ok: true, tls: o.tls, insecure: o.insecure, ca: readFileSync(o.ca) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, problem: "ca_file", file: o.ca, reason: e.code ?? e.message };
  }
}

/**
 * Opens the connection: plain TCP, or TLS with verification unless `insecure`. Listen for
 * `readyEvent` to know the connection is usable (TLS: after the handshake and verification);
 * a verification failure arrives as an `error` (see `tlsProblem`).
 */
export function openSocket(
  host: string,
  port: number,
  o: { tls: boolean; insecure: boolean; ca?: Buffer | undefined },
): { socket: net.Socket; readyEvent: "connect" | "secureConnect" } {
  if (!o.tls) return { socket: net.connect({ host, port }), readyEvent: "connect" };
  const socket = tls.connect({
    host,
    port,
    // SNI carries host names only (RFC 6066); an IP address is still checked against the certificate.
    ...(net.isIP(host) ? {} : { servername: host }),
    // Trust the given CA in addition to the system store, not instead of it.
    ...(o.ca ? { ca: [...tls.rootCertificates, o.ca.toString("utf8")] } : {}),
    rejectUnauthorized: !o.insecure,
    minVersion: "TLSv1.2",
  });
  return { socket, readyEvent: "secureConnect" };
}

/** Why a TLS connection failed, for a clear one-line message; undefined when not a TLS problem. */
export type TlsProblem = "untrusted" | "hostname" | "expired" | "not_tls" | "handshake";

export function tlsProblem(err: unknown): TlsProblem | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code ?? "";
  switch (code) {
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "CERT_UNTRUSTED":
      return "untrusted";
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return "hostname";
    case "CERT_HAS_EXPIRED":
    case "CERT_NOT_YET_VALID":
      return "expired";
    case "ERR_SSL_WRONG_VERSION_NUMBER":
    case "ERR_SSL_PACKET_LENGTH_TOO_LONG":
      // The plain port answered (a text greeting is not a TLS record).
      return "not_tls";
    default:
      return code.startsWith("ERR_SSL_") || code === "ECONNRESET_TLS" ? "handshake" : undefined;
  }
}
