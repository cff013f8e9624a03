/**
 * What a user's line means (docs/protocol.md §3). Pure: no rooms, no sockets.
 */

export type Input =
  | { kind: "empty" }
  | { kind: "say"; text: string }
  | { kind: "private"; to: string; text: string }
  | { kind: "command"; name: string; args: string };

/** Seed 000's disconnect message, sent as a whole payload. */
export const LEGACY_DISCONNECT = "Desconectar";

export function parseInput(line: string): Input {
  const text = line.trim();
  if (text.length === 0) return { kind: "empty" };
  if (text.startsWith("//")) return { kind: "say", text: text.slice(1) };
  if (text.startsWith("/")) {
    const m = /^\/(\S+)\s*([\s\S]*)$/.exec(text);
    return { kind: "command", name: (m?.[1] ?? "").toLowerCase(), args: (m?.[2] ?? "").trim() };
  }
  if (text.startsWith("@")) {
    const m = /^@(\S*)\s*([\s\S]*)$/.exec(text);
    return { kind: "private", to: m?.[1] ?? "", text: (m?.[2] ?? "").trim() };
  }
  return { kind: "say", text };
}
