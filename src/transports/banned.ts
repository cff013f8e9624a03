/**
 * Issue 13: a connection from a banned address, refused at accept time before it costs anything:
 * no session, no admission record, no greeting. It gets one line, in its own format when it shows
 * it (a json client speaks first: its `{` comes within `greetDelayMs`), else in text, then the
 * connection is closed (reset if the peer does not take the line within the grace period).
 *
 * A banned peer skips the connection limits (it never gets a session), so the refusals it has in
 * flight are capped per address instead (`maxUnregisteredPerAddress`, loopback included): past
 * that, its connections are reset at once, without the line, and cost no timer.
 */
import type net from "node:net";
import type { Ban } from "../core/bans.ts";
import type { Chat } from "../core/chat.ts";
import type { ChatTexts } from "../i18n/types.ts";
import type { ServerEvent } from "../protocol/events.ts";
import { renderEvent } from "../protocol/text-render.ts";
import { formatAddress } from "./address.ts";
import { jsonLineBytes } from "./json-shared.ts";
import type { TransportLimits } from "./limits.ts";
import { PendingConnections } from "./pending.ts";
import { resetSocket } from "./reset.ts";

/** Refusals in flight on one listener, per address. */
export function bannedInFlight(limits: TransportLimits): PendingConnections {
  return new PendingConnections(limits.maxUnregisteredPerAddress, false);
}

/** The `bye` a banned connection gets (docs/protocol.md §5). */
export function bannedBye(ban: Ban): ServerEvent {
  return {
    type: "bye",
    reason: "banned",
    ...(ban.reason ? { text: ban.reason } : {}),
    ...(ban.until !== undefined ? { until: ban.until } : {}),
    at: Date.now(),
  };
}

/** Answers and closes `socket` when its address is banned; false when it is not. */
export function refuseIfBanned(
  socket: net.Socket,
  opts: { chat: Chat; texts: ChatTexts; limits: TransportLimits },
  inFlight: PendingConnections,
): boolean {
  const ban = opts.chat.bans.address(socket.remoteAddress ?? "");
  if (!ban) return false;
  socket.on("error", ignore);
  const remote = formatAddress(socket.remoteAddress, socket.remotePort);
  opts.chat.counters.refused("banned");
  // The deadline resets a peer that has not taken its line and gone by then.
  if (!inFlight.admit(socket, opts.limits.greetDelayMs + opts.limits.shutdownGraceMs)) {
    opts.chat.log("info", "refused", { remote, reason: "banned", ban: ban.shown, silent: true });
    resetSocket(socket);
    return true;
  }
  opts.chat.log("info", "refused", { remote, reason: "banned", ban: ban.shown });
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const answer = (first?: Buffer) => {
    if (done || socket.destroyed) return;
    done = true;
    clearTimeout(timer);
    socket.off("data", answer);
    socket.pause();
    const event = bannedBye(ban);
    const json = first !== undefined && /^\s*\{/.test(first.subarray(0, 64).toString("latin1"));
    socket.end(json ? jsonLineBytes(event) : `${renderEvent(event, opts.texts).join("\n")}\n`);
  };
  if (opts.limits.greetDelayMs > 0) {
    socket.on("data", answer);
    timer = setTimeout(answer, opts.limits.greetDelayMs);
    timer.unref();
  } else answer();
  return true;
}

function ignore(): void {}
