/**
 * Issue 13: a connection from a banned address, refused at accept time before it costs anything:
 * no session, no admission record, no greeting. It gets one line, in its own format when it shows
 * it (a json client speaks first: its `{` comes within `greetDelayMs`), else in text, then the
 * connection is closed (reset if the peer does not take the line within the grace period).
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
import { resetSocket } from "./reset.ts";

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
): boolean {
  const ban = opts.chat.bans.address(socket.remoteAddress ?? "");
  if (!ban) return false;
  opts.chat.log("info", "refused", {
    remote: formatAddress(socket.remoteAddress, socket.remotePort),
    reason: "banned",
    ban: ban.shown,
  });
  socket.on("error", ignore);
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
    setTimeout(resetSocket, opts.limits.shutdownGraceMs, socket).unref();
  };
  if (opts.limits.greetDelayMs > 0) {
    socket.on("data", answer);
    timer = setTimeout(answer, opts.limits.greetDelayMs);
    timer.unref();
  } else answer();
  return true;
}

function ignore(): void {}
