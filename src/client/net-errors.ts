/** Socket errors as the words a user reads (S12: "connection refused", not a stack trace). */
import type { NetReasonTexts } from "../i18n/client-types.ts";

/** The code of the error the client makes when a peer never answers its json `hello`. */
export const NOT_PAPO = "ENOTPAPO";

/** The reason part of "cannot connect to HOST:PORT: REASON". */
export function describeNetError(err: unknown, t: NetReasonTexts): string {
  let e = err as (NodeJS.ErrnoException & { errors?: unknown[] }) | undefined;
  // Happy eyeballs (autoSelectFamily) can fail with an AggregateError of one error per address.
  if (e && e.code === undefined && Array.isArray(e.errors) && e.errors.length > 0)
    e = e.errors[0] as NodeJS.ErrnoException;
  switch (e?.code) {
    case "ECONNREFUSED":
      return t.refused;
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
    case "EAI_NODATA":
      return t.notFound;
    case "ETIMEDOUT":
    case "ETIMEOUT":
      return t.timeout;
    case "EHOSTUNREACH":
    case "EHOSTDOWN":
      return t.hostUnreachable;
    case "ENETUNREACH":
    case "ENETDOWN":
      return t.networkUnreachable;
    case NOT_PAPO:
      return t.notPapo;
    case "ECONNRESET":
    case "EPIPE":
      return t.reset;
    default: {
      // One line, whatever the error carried: no stack, no embedded newlines.
      const message = (e?.message ?? String(err)).split("\n")[0] ?? "";
      const detail = e?.code && !message.includes(e.code) ? `${e.code}: ${message}` : message;
      return t.other({ detail: detail || "error" });
    }
  }
}
