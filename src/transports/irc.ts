/**
 * The IRC listener (issue 11): registration (PASS, NICK, USER, CAP LS 302 / REQ / END, 001-005 and
 * 422), PING/PONG both ways with a dead-client timeout, 431/432/433, 421 for unknown commands,
 * QUIT, channels as papo rooms (JOIN, PART, TOPIC, NAMES, LIST), PRIVMSG/NOTICE to channels and to
 * nicks, and every core event rendered as IRC lines: a room event is encoded once per event (and
 * tag variant) and shared by every IRC recipient (DESIGN: encode once).
 *
 * Channels are rooms: `#lobby` is the lobby, which every user enters at registration (an IRC
 * client is told with a JOIN), and which is left only by quitting. The mapping between a channel
 * and a room is the room's name itself (`channelOf`), so it stays in one place.
 *
 * Papo names IRC cannot carry are shown escaped (protocol/irc/names.ts); an IRC client may only
 * register a name that needs no escaping (432 otherwise). Every papo rule holds: the core checks
 * names, rooms, flood control, the registration deadline, the password and the connection limits.
 */
import net from "node:net";
import type { Chat } from "../core/chat.ts";
import type { TransportName } from "../core/counters.ts";
import { FloodQueue } from "../core/flood.ts";
import { canonicalName } from "../core/nickname.ts";
import { checkRoomName, type Room } from "../core/room.ts";
import { CHANMODES, hostOf, KNOWN_MODES, modeString, PREFIX, parseModeRequest } from "../core/room-modes.ts";
import type { Session, SessionPort } from "../core/session.ts";
import type { IrcTexts } from "../i18n/irc.ts";
import type { ChatTexts } from "../i18n/types.ts";
import { type Address, errorEvent, type RoomEvent, type ServerEvent } from "../protocol/events.ts";
import { isupportMessages, isupportTokens } from "../protocol/irc/isupport.ts";
import { maskMatches } from "../protocol/irc/mask.ts";
import { type IrcMessage, parseMessage, serializeMessage } from "../protocol/irc/message.ts";
import { ircNick, ircNickLength, isPlainIrcNick, papoName } from "../protocol/irc/names.ts";
import { ERR, RPL } from "../protocol/irc/numerics.ts";
import { IRC_LINE_BYTES, splitMessageLines, splitText, textBudget } from "../protocol/irc/split.ts";
import { type Decoded, LineDecoder } from "../protocol/line-decoder.ts";
import { sanitizeText } from "../protocol/sanitize.ts";
import { formatAddress } from "./address.ts";
import type { DeadPeerOwner, DeadPeerView, DeadPeerWatch } from "./dead-peer.ts";
import { type DirectBatch, directFd } from "./direct-write.ts";
import type { TransportLimits as Limits } from "./limits.ts";
import { LineDeadline } from "./line-deadline.ts";
import { type FlushScheduler, listenerFlusher, SocketOutbox } from "./outbox.ts";
import { resetSocket } from "./reset.ts";

export interface IrcOptions {
  chat: Chat;
  limits: Limits;
  /** The chat's texts: name problems, `bye` reasons, flood notices read as for `nc` users. */
  texts: ChatTexts;
  irc: IrcTexts;
  /** The source of server messages (a host-like name: clients tell servers from users by the dot). */
  serverName: string;
  /** NETWORK in ISUPPORT and the name in 001. */
  network: string;
  version: string;
  /** When the server started (003). */
  startedAt: Date;
  /** Issue 9 item 2: resets connections whose bytes stop getting through (shared with TCP). */
  deadPeers?: DeadPeerWatch;
}

/** IRCv3 capabilities offered (CAP LS). */
const CAPS: readonly string[] = [
  "batch",
  "draft/chathistory",
  "echo-message",
  "message-tags",
  // No channel prefixes exist (PREFIX=), so every prefix a member has is already shown.
  "multi-prefix",
  "server-time",
  "userhost-in-names",
];
/** Tag data a client may send (message-tags: 4094 bytes, plus `@` and the space). */
const MAX_CLIENT_TAG_BYTES = 4096;
/** Commands that cost no flood token: the registration handshake (but NICK), keepalives, leaving. */
const FREE = new Set(["CAP", "PASS", "USER", "PING", "PONG", "QUIT"]);
/** Flood tokens an IRC line costs: 0 for an empty line and the commands in FREE, else 1. */
function ircLineCost(text: string): 0 | 1 {
  const m = parseMessage(text);
  return !m || FREE.has(m.command.toUpperCase()) ? 0 : 1;
}

/** Commands allowed before registration (RFC 2812 §3.1; everything else gets 451). */
const BEFORE_REGISTRATION = new Set(["CAP", "PASS", "NICK", "USER", "PING", "PONG", "QUIT"]);
/** The user part of every prefix (papo has no ident). */
const USER = "papo";
/** `\x01ACTION ` and the closing `\x01` around a /me text (CTCP). */
const CTCP_ACTION_BYTES = 9;

/** The IRC channel of a room: its papo name (`#` and a papo name; never a comma or a space). */
function channelOf(event: { room: string }): string {
  return event.room;
}

const EMPTY = Buffer.alloc(0);
const CRLF = "\r\n";
/** Commands whose last parameter is a name, never free text: written without a `:`. */
const NAME_LAST = new Set(["JOIN", "PART", "NICK", "BATCH", "MODE", "INVITE"]);

/**
 * One line for the wire. The last parameter of anything that carries text is always written as
 * a trailing one (`PRIVMSG #a :oi`), as servers do and as simple bots that split at ` :` expect.
 */
function wire(m: IrcMessage): string {
  // PART's second parameter is its reason, text again.
  return serializeMessage(m, !NAME_LAST.has(m.command) || (m.command === "PART" && m.params.length > 1));
}
/**
 * Encoded lines per shared event object, one cache per tag variant: with IRCv3 tags
 * (`server-time`/`message-tags` enabled) and without. Weak keys: the entry goes with the event.
 */
const plainCache = new WeakMap<ServerEvent, Buffer>();
const taggedCache = new WeakMap<ServerEvent, Buffer>();
const FLUSH_AT_BYTES = 64 * 1024;
/** Ids of events without a place in a room's log (msgid), unique within this process's epoch. */
let otherIds = 0;
/** The most users online at once that this process has seen (LUSERS 265/266). */
let maxUsers = 0;
const otherMsgids = new WeakMap<object, string>();

/**
 * The IRCv3 msgid of an event: a room event's is its room, epoch and seq (the same on every node
 * and in history); a private message gets one per process, shared by its target and its sender.
 */
function msgidOf(event: object | undefined, epoch: string): string {
  if (event && "seq" in event && "room" in event)
    return `${epoch}-${String(event.seq)}-${String(event.room)}`;
  if (!event) return `${epoch}-x${++otherIds}`;
  let id = otherMsgids.get(event);
  if (!id) {
    id = `${epoch}-x${++otherIds}`;
    otherMsgids.set(event, id);
  }
  return id;
}

export class IrcConnection implements SessionPort, DeadPeerOwner {
  readonly socket: net.Socket;
  readonly remote: string;
  readonly session: Session;
  readonly #opts: IrcOptions;
  readonly #flusher: FlushScheduler;
  readonly #decoder: LineDecoder;
  /** What is queued for the socket until the next flush (outbox.ts). */
  readonly #out: SocketOutbox;
  /** FlushScheduler's mark (outbox.ts). */
  flushQueued = false;
  #overflowed = false;
  #closing = false;
  #gone = false;
  /** Registration: the nick asked for (not yet accepted), USER seen, PASS given, CAP under way. */
  #nick = "";
  #user = false;
  /** What USER said: the username (ident-less, shown as `~name`) and the real name. */
  #ident: { user: string; realname: string } | undefined;
  #pass: string | undefined;
  #capPending = false;
  #passwordOk = false;
  #active = false;
  readonly #caps = new Set<string>();
  /** The nick of the last NICK, for the 432/433 answering it; the channel of the last JOIN. */
  #wantNick = "";
  #wantChannel = "";
  /** Set while a NOTICE is handled: NOTICE never gets an automatic reply (RFC 2812 §3.3.2). */
  #quiet = false;
  /** CHATHISTORY requests waiting for their `history` answer, in order: the target and what to keep. */
  readonly #chathistory: { target: string; keep: (seq: number) => boolean }[] = [];
  /** The reason of the PART being handled, for the client's own PART line. */
  #partReason: string | undefined;
  /** The command being handled, to pick the numeric for an error the core answers with. */
  #command = "";
  /** Rooms this client was shown a JOIN for (by display name): a later `room` event is a topic. */
  readonly #channels = new Set<string>();
  /** The last QUIT and NICK rendered: a user in several shared rooms leaves or renames once. */
  #lastQuit = "";
  #lastNick = "";
  /** Labels of history batches (BATCH +id), per connection. */
  #batches = 0;
  #lastInput = Date.now();
  #pingSentAt = 0;
  #pingTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  /** When the unfinished line began (ms since the epoch), 0 when no line is started (A4). */
  /** ROBUSTNESS A4 (line-deadline.ts). */
  readonly #lineDeadline: LineDeadline;
  /** Issue 10 item 2: lines flood control holds back (made at the first one), and their timer. */
  #held: FloodQueue<Decoded> | undefined;
  #heldTimer: NodeJS.Timeout | undefined;
  /** The socket is paused because lines are held: TCP pushes back on the sender. */
  #paused = false;

  constructor(socket: net.Socket, opts: IrcOptions, flusher: FlushScheduler) {
    this.socket = socket;
    this.#opts = opts;
    this.#flusher = flusher;
    this.#out = new SocketOutbox(socket, opts.limits.directWrites !== 0 ? directFd(socket) : -1, (err) =>
      this.#writeFailed(err),
    );
    this.remote = formatAddress(socket.remoteAddress, socket.remotePort);
    this.#lineDeadline = new LineDeadline(this, opts.limits.lineTimeoutMs);
    this.#decoder = new LineDecoder({
      maxLineBytes: MAX_CLIENT_TAG_BYTES + IRC_LINE_BYTES,
      maxPendingBytes: Math.max(opts.limits.maxPendingBytes, 2 * (MAX_CLIENT_TAG_BYTES + IRC_LINE_BYTES)),
    });
    this.session = opts.chat.open(this);
  }

  /** What this client said of itself (USER), for WHO, WHOIS and WHOWAS. */
  get ident(): { user: string; realname: string } | undefined {
    return this.#ident;
  }

  // Issue 13: read by the metrics only.
  get transport(): TransportName {
    return "irc";
  }

  get tls(): boolean {
    return (this.socket as { encrypted?: boolean }).encrypted === true;
  }

  /** Bytes written past Node's stream (direct-write.ts); dead-peer.ts adds them to Node's count. */
  get directBytes(): number {
    return this.#out.directBytes;
  }

  get queuedBytes(): number {
    return this.#gone ? 0 : this.socket.writableLength + this.#out.bytes;
  }

  /** echo-message: the sender gets its own channel messages back (the core asks this). */
  get echo(): boolean {
    return this.#caps.has("echo-message");
  }

  /** The client's nick as IRC shows it: `*` before registration (RFC 2812 numerics). */
  get #me(): string {
    return this.#active ? ircNick(this.session.name) : "*";
  }

  get #tagged(): boolean {
    return this.#caps.has("server-time") || this.#caps.has("message-tags");
  }

  // ---- output -------------------------------------------------------------------------------

  send(event: ServerEvent): void {
    if (this.#gone || (this.#closing && event.type !== "bye")) return;
    const bytes = this.#encode(event);
    if (bytes.length > 0) this.#queue(bytes);
  }

  #queue(bytes: Buffer): void {
    if (this.#gone || this.#overflowed) return;
    if (this.socket.writableLength + this.#out.bytes + bytes.length > this.#opts.limits.maxSendQueueBytes) {
      // ROBUSTNESS E25: this client alone is dropped; what was queued for it is discarded.
      this.#overflowed = true;
      this.#out.clear();
      this.#opts.chat.log("warn", "send_queue_exceeded", {
        remote: this.remote,
        name: this.session.name || undefined,
      });
      this.session.disconnect("send_queue_exceeded");
      return;
    }
    this.#out.push(bytes);
    if (this.#out.bytes >= FLUSH_AT_BYTES) this.flush();
    else this.#flusher.mark(this);
  }

  /** Sends lines made for this connection only (replies, numerics). */
  #reply(...messages: IrcMessage[]): void {
    let text = "";
    for (const m of messages) text += wire(m) + CRLF;
    if (text) this.#queue(Buffer.from(text));
  }

  /** A numeric from the server to this client: `:server NNN me params...`. */
  #numeric(code: string, ...params: string[]): void {
    if (this.#quiet) return;
    this.#reply({ source: this.#opts.serverName, command: code, params: [this.#me, ...params] });
  }

  flush(batch: DirectBatch | null = null): void {
    if (this.#gone) return;
    // Bytes of this socket still in the round's batch leave before anything written after them.
    if (this.#out.bytes === 0) return this.#out.settle();
    // Issue 14: what anyone is shown is stored first (one commit per flush, cheap when done).
    this.#opts.chat.commit();
    if (this.#out.bytes === 0 || this.#gone) return this.#out.settle();
    try {
      this.#out.write(batch);
    } catch (err) {
      this.#writeFailed(err);
    }
  }

  #writeFailed(err: unknown): void {
    this.#opts.chat.log("warn", "write_failed", { remote: this.remote, error: String(err) });
    this.socket.destroy();
  }

  close(): void {
    if (this.#closing || this.#gone) return;
    this.#closing = true;
    this.#dropHeld();
    this.#flusher.forget(this);
    this.flush();
    this.socket.end();
    this.#graceTimer = setTimeout(destroySocket, this.#opts.limits.shutdownGraceMs, this.socket).unref();
  }

  #encode(event: ServerEvent): Buffer {
    // Room events: encoded once per tag variant, whoever receives them.
    switch (event.type) {
      case "joined":
        // Your own JOIN comes with the `room` event (before the history), not here.
        if (event.name === this.session.name) return EMPTY;
        if (canonicalName(event.name) === this.#lastQuit) this.#lastQuit = "";
        break;
      case "message":
      case "action":
        // The core sends actions to their sender too; IRC echoes only with echo-message.
        if (event.from === this.session.name && !this.echo) return EMPTY;
        break;
      case "left":
        // Leaving the chat: one QUIT, however many rooms this client shared with the leaver. An
        // operator's /kick is a KICK from each of those rooms instead (one `left` per room).
        if (event.reason !== "kicked" && !this.#stillOnline(event.name)) {
          const key = canonicalName(event.name);
          if (key === this.#lastQuit) return EMPTY;
          this.#lastQuit = key;
        }
        break;
      case "renamed": {
        const key = `${event.from}\u0000${event.to}`;
        if (key === this.#lastNick) return EMPTY;
        this.#lastNick = key;
        break;
      }
      case "topic":
        break;
      default:
        this.#renderOwn(event);
        return EMPTY;
    }
    // Removed from a room by its operator: that channel is gone for this client (no PART follows).
    if (event.type === "left" && event.by !== undefined && event.name === this.session.name)
      this.#channels.delete(event.room);
    const tagged = this.#tagged;
    const cache = tagged ? taggedCache : plainCache;
    let b = cache.get(event);
    if (!b) {
      b = Buffer.from(this.#roomLines(event, tagged ? this.#tags(event.at, event) : undefined).join(""));
      cache.set(event, b);
    }
    return b;
  }

  /** Is a user (by display name) still in the chat? A `left` for someone online is a PART. */
  #stillOnline(name: string): boolean {
    return this.#opts.chat.find(canonicalName(name)) !== undefined;
  }

  /** The prefix of a papo user: their nick as IRC shows it, `papo`, their shown address. */
  #prefix(name: string, address: Address = this.#addressOf(name)): string {
    return `${ircNick(name)}!${USER}@${hostOf(address)}`;
  }

  /** The address others see for a user online now (null: hidden, or gone). */
  #addressOf(name: string): Address {
    return this.#opts.chat.find(canonicalName(name))?.shownAddress ?? null;
  }

  /** server-time: when papo stamped the event; message-tags: its id (room, epoch and seq). */
  #tags(at: number, event?: object): Map<string, string> {
    const tags = new Map([["time", new Date(at).toISOString()]]);
    tags.set("msgid", msgidOf(event, this.#opts.chat.store.epoch));
    return tags;
  }

  /**
   * The lines (each with its CRLF) of a room event, the same for every IRC member of the room: no
   * recipient's nick in them. Also used for history replay, with the batch tag.
   */
  #roomLines(event: RoomEvent, tags: ReadonlyMap<string, string> | undefined): string[] {
    const one = (source: string, command: string, ...params: string[]): string[] => {
      const m: IrcMessage = { source, command, params };
      if (tags) m.tags = tags;
      return [wire(m) + CRLF];
    };
    const crlf = (lines: string[]) => lines.map((l) => l + CRLF);
    const channel = channelOf(event);
    switch (event.type) {
      case "joined":
        return one(this.#prefix(event.name, event.address), "JOIN", channel);
      case "left": {
        // A room operator's KICK (issue 11): from them, the reason defaulting to their nick.
        if (event.by !== undefined)
          return one(this.#prefix(event.by), "KICK", channel, ircNick(event.name), event.text ?? event.by);
        // Issue 11: the operator's /kick, as IRC shows a removal: KICK from the server.
        if (event.reason === "kicked")
          return one(
            this.#opts.serverName,
            "KICK",
            channel,
            ircNick(event.name),
            event.text ?? this.#opts.irc.quitReason.kicked,
          );
        if (this.#stillOnline(event.name)) {
          const part = event.text === undefined ? [channel] : [channel, event.text];
          return one(this.#prefix(event.name), "PART", ...part);
        }
        return one(
          this.#prefix(event.name, null),
          "QUIT",
          event.text ?? this.#opts.irc.quitReason[event.reason],
        );
      }
      case "message":
        return crlf(
          splitMessageLines(
            this.#prefix(event.from),
            event.notice ? "NOTICE" : "PRIVMSG",
            channel,
            event.text,
            tags,
          ),
        );
      case "action":
        return crlf(this.#actionLines(this.#prefix(event.from), channel, event.text, tags));
      case "renamed":
        return one(this.#prefix(event.from, this.#addressOf(event.to)), "NICK", ircNick(event.to));
      case "topic":
        return one(this.#prefix(event.by), "TOPIC", channel, event.topic);
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  /** CTCP ACTION lines (/me): every piece wrapped in `\x01ACTION ...\x01` within the line budget. */
  #actionLines(
    source: string,
    target: string,
    text: string,
    tags: ReadonlyMap<string, string> | undefined,
  ): string[] {
    const budget = textBudget(source, "PRIVMSG", target) - CTCP_ACTION_BYTES;
    return splitText(text, budget).map((piece) => {
      const m: IrcMessage = { source, command: "PRIVMSG", params: [target, `\u0001ACTION ${piece}\u0001`] };
      if (tags) m.tags = tags;
      return wire(m);
    });
  }

  /** Events for this connection alone: rendered and queued straight away. */
  #renderOwn(event: ServerEvent): void {
    const t = this.#opts.irc;
    switch (event.type) {
      case "prompt":
        // The right password moves the core on to the name (see #register).
        if (event.need === "name") this.#passwordOk = true;
        return;
      case "welcome":
        return this.#welcome();
      case "room":
        return this.#room(event);
      case "history":
        // A CHATHISTORY answer (kind `request`): its own batch, whatever the client's caps.
        if (event.kind === "request" && this.#chathistory.length > 0) return this.#historyBatch(event.events);
        return this.#history(event.room, event.events);
      case "parted": {
        const reason = this.#partReason;
        this.#partReason = undefined;
        if (this.#channels.delete(event.room))
          this.#reply({
            source: this.#self(),
            command: "PART",
            params: reason ? [event.room, reason] : [event.room],
          });
        return;
      }
      case "rooms": {
        const src = this.#opts.serverName;
        const me = this.#me;
        this.#numeric(RPL.LISTSTART, "Channel", "Users Name");
        this.#reply(
          // IRC lists channels people are in: the lobby too only when someone is there.
          ...event.rooms
            .filter((r) => r.users > 0)
            .map((r) => ({
              source: src,
              command: RPL.LIST,
              params: [me, r.room, String(r.users), r.topic ?? ""],
            })),
        );
        this.#numeric(RPL.LISTEND, t.endOfList);
        return;
      }
      case "users":
        return this.#names(event.room ?? this.session.current.name, event.users, this.#roomNamed(event.room));
      case "notice": {
        const texts = this.#opts.texts;
        const text =
          event.code === "announce"
            ? (event.params.text ?? "")
            : stripMark(event.code === "history_paused" ? texts.historyPaused : texts.historyResumed);
        if (text) this.#notice(text);
        return;
      }
      case "private": {
        const me = this.session.name;
        const tags = this.#tagged ? this.#tags(event.at, event) : undefined;
        const command = event.notice ? "NOTICE" : "PRIVMSG";
        if (event.to === me && event.from !== me) {
          for (const l of splitMessageLines(this.#prefix(event.from), command, ircNick(me), event.text, tags))
            this.#queue(Buffer.from(l + CRLF));
        } else if (event.from === me && this.echo) {
          for (const l of splitMessageLines(this.#prefix(me), command, ircNick(event.to), event.text, tags))
            this.#queue(Buffer.from(l + CRLF));
        }
        return;
      }
      case "away":
        if (event.name === this.session.name)
          return event.away ? this.#numeric(RPL.NOWAWAY, t.nowAway) : this.#numeric(RPL.UNAWAY, t.unAway);
        return this.#numeric(RPL.AWAY, ircNick(event.name), event.text || t.awayDefault);
      case "mode":
        return this.#reply({
          source: this.#prefix(event.by),
          command: "MODE",
          params: [event.room, event.modes, ...modeArgs(event.modes, event.args)],
        });
      case "invited":
        if (event.by === this.session.name)
          return this.#numeric(RPL.INVITING, ircNick(event.name), event.room);
        return this.#reply({
          source: this.#prefix(event.by),
          command: "INVITE",
          params: [this.#me, event.room],
        });
      case "error":
        return this.#error(event);
      case "bye": {
        if (event.reason === "bad_password") this.#numeric(ERR.PASSWDMISMATCH, t.passwordMismatch);
        // Issue 11: kicked by the operator: a KICK from every channel, then the ERROR (issue 13:
        // a ban of a connected user removes them the same way).
        if (event.reason === "kicked" || event.reason === "banned") {
          const me = ircNick(this.session.name);
          for (const channel of this.#channels)
            this.#reply({
              source: this.#opts.serverName,
              command: "KICK",
              params: [channel, me, event.text ?? t.quitReason.kicked],
            });
          this.#channels.clear();
        }
        const text = this.#opts.texts.bye[event.reason]({
          ...(event.text ? { text: event.text } : {}),
          ...(event.until !== undefined ? { until: event.until } : {}),
        });
        // Issue 13: 465 ERR_YOUREBANNEDCREEP (RFC 1459), then the ERROR every client shows.
        if (event.reason === "banned") this.#numeric(ERR.YOUREBANNEDCREEP, text.replace(/^\W+\s*/, ""));
        this.#reply({ command: "ERROR", params: [`Closing link: ${text.replace(/^\W+\s*/, "")}`] });
        return;
      }
      default:
        // hello, help, current, gap, ping, pong: nothing an IRC client reads.
        return;
    }
  }

  #error(event: Extract<ServerEvent, { type: "error" }>): void {
    if (this.#quiet) return;
    const t = this.#opts.irc;
    const chat = this.#opts.texts;
    switch (event.code) {
      case "name_invalid":
        if (!this.#active) this.#nick = "";
        return this.#numeric(
          ERR.ERRONEUSNICKNAME,
          this.#wantNick,
          stripMark(chat.nameProblem[event.params.reason]),
        );
      case "name_taken":
        if (!this.#active) this.#nick = "";
        return this.#numeric(ERR.NICKNAMEINUSE, this.#wantNick, t.nicknameInUse);
      case "unknown_user":
        return this.#numeric(ERR.NOSUCHNICK, ircNick(event.params.name), t.noSuchNick);
      case "private_missing_text":
        return this.#numeric(ERR.NOTEXTTOSEND, t.noTextToSend);
      case "bad_password":
        return this.#numeric(ERR.PASSWDMISMATCH, t.passwordMismatch);
      case "not_registered":
        return this.#numeric(ERR.NOTREGISTERED, t.notRegistered);
      case "line_too_long":
        return this.#numeric(ERR.INPUTTOOLONG, t.inputTooLong);
      case "flood":
        return this.#notice(stripMark(chat.flood({ retryMs: event.params.retryMs })));
      case "room_invalid":
        return this.#numeric(
          ERR.NOSUCHCHANNEL,
          this.#wantChannel,
          stripMark(chat.roomProblem[event.params.reason]),
        );
      case "not_in_room":
        // PRIVMSG to a room one is not in is "cannot send"; PART, TOPIC, NAMES: "not on channel".
        return this.#command === "PRIVMSG" || this.#command === "NOTICE"
          ? this.#numeric(ERR.CANNOTSENDTOCHAN, event.params.room, stripMark(chat.notInRoom(event.params)))
          : this.#numeric(ERR.NOTONCHANNEL, event.params.room, stripMark(chat.notInRoom(event.params)));
      case "too_many_rooms":
      case "rooms_full":
        return this.#numeric(
          ERR.TOOMANYCHANNELS,
          this.#wantChannel,
          stripMark(
            event.code === "too_many_rooms" ? chat.tooManyRooms(event.params) : chat.roomsFull(event.params),
          ),
        );
      case "lobby_part":
        return this.#notice(stripMark(chat.lobbyPart));
      case "not_room_operator":
        return this.#numeric(
          ERR.CHANOPRIVSNEEDED,
          event.params.room,
          stripMark(chat.notRoomOperator(event.params)),
        );
      case "room_full":
        return this.#numeric(ERR.CHANNELISFULL, event.params.room, stripMark(chat.roomFull(event.params)));
      case "room_key":
        return this.#numeric(ERR.BADCHANNELKEY, event.params.room, stripMark(chat.roomKey(event.params)));
      case "room_invite_only":
        return this.#numeric(
          ERR.INVITEONLYCHAN,
          event.params.room,
          stripMark(chat.roomInviteOnly(event.params)),
        );
      case "room_banned":
        return this.#numeric(ERR.BANNEDFROMCHAN, event.params.room, stripMark(chat.roomBanned(event.params)));
      case "room_moderated":
        return this.#numeric(
          ERR.CANNOTSENDTOCHAN,
          event.params.room,
          stripMark(chat.roomModerated(event.params)),
        );
      case "user_not_in_room":
        return this.#numeric(
          ERR.USERNOTINCHANNEL,
          ircNick(event.params.name),
          event.params.room,
          stripMark(chat.userNotInRoom(event.params)),
        );
      case "user_in_room":
        return this.#numeric(
          ERR.USERONCHANNEL,
          ircNick(event.params.name),
          event.params.room,
          stripMark(chat.userInRoom(event.params)),
        );
      case "bad_mode": {
        const text = stripMark(chat.badMode(event.params));
        const p = event.params;
        if (p.problem === "unknown") return this.#numeric(ERR.UNKNOWNMODE, p.mode, text);
        if (p.problem === "not_in_room")
          return this.#numeric(ERR.USERNOTINCHANNEL, p.arg ?? "*", p.room, text);
        if (p.problem === "list_full") return this.#numeric(ERR.BANLISTFULL, p.room, p.mode, text);
        // The value itself may not fit in a parameter (a key with a space): `*` stands for it.
        return this.#numeric(ERR.INVALIDMODEPARAM, p.room, p.mode, p.mode === "k" ? "*" : p.arg || "*", text);
      }
      case "invalid_utf8":
        // UTF8ONLY (IRCv3): the standard reply is `FAIL * INVALID_UTF8 :text`.
        return this.#reply({
          source: this.#opts.serverName,
          command: "FAIL",
          params: ["*", "INVALID_UTF8", stripMark(chat.invalidUtf8)],
        });
      default:
        return this.#notice(stripMark(chat.internal));
    }
  }

  /** A NOTICE from the server to this client. */
  #notice(text: string): void {
    this.#reply({ source: this.#opts.serverName, command: "NOTICE", params: [this.#me, text] });
  }

  /** This client's own prefix. */
  #self(): string {
    return this.#prefix(this.session.name, this.session.shownAddress);
  }

  /** Registration is complete: the welcome burst. The lobby's `room` event follows (a JOIN). */
  #welcome(): void {
    const o = this.#opts;
    const t = o.irc;
    this.#active = true;
    const me = this.#me;
    this.#numeric(RPL.WELCOME, t.welcome({ network: o.network, nick: me }));
    this.#numeric(RPL.YOURHOST, t.yourHost({ server: o.serverName, version: o.version }));
    this.#numeric(RPL.CREATED, t.created({ date: o.startedAt.toISOString() }));
    this.#numeric(RPL.MYINFO, o.serverName, o.version, "i", "biklmnostv");
    maxUsers = Math.max(maxUsers, o.chat.online);
    const tokens = isupportTokens({
      network: o.network,
      nickLength: ircNickLength(o.limits.maxNameLength),
      // `#` and the room name, in code points (ASCII names: bytes).
      channelLength: o.limits.maxRoomNameLength + 1,
      channelLimit: o.limits.maxRoomsPerUser,
      chanmodes: CHANMODES,
      prefix: PREFIX,
      chathistory: o.chat.limits.historyMaxPerRequest,
    });
    this.#reply(
      ...isupportMessages(o.serverName, me, tokens).map((m) => ({
        ...m,
        params: [...m.params.slice(0, -1), t.isupport],
      })),
    );
    this.#numeric(RPL.MOTDSTART, t.motdStart({ server: o.serverName }));
    this.#numeric(RPL.MOTD, t.motdLobby({ lobby: o.chat.lobby.name, online: o.chat.online }));
    this.#numeric(RPL.ENDOFMOTD, t.endOfMotd);
    if (o.limits.pingIntervalMs > 0) this.#armPing(o.limits.pingIntervalMs);
  }

  /**
   * A `room` event: entering a room (JOIN, topic, NAMES), or, for a room this client is already
   * in, the answer to a TOPIC query (332 or 331).
   */
  #room(event: Extract<ServerEvent, { type: "room" }>): void {
    const t = this.#opts.irc;
    const channel = event.room;
    if (this.#channels.has(channel)) {
      if (event.topic) this.#numeric(RPL.TOPIC, channel, event.topic);
      else this.#numeric(RPL.NOTOPIC, channel, t.noTopic);
      return;
    }
    this.#channels.add(channel);
    this.#reply({ source: this.#self(), command: "JOIN", params: [channel] });
    if (event.topic) this.#numeric(RPL.TOPIC, channel, event.topic);
    const me = this.session.info();
    const users = event.users.some((u) => u.name === me.name) ? event.users : [...event.users, me];
    // Entering an empty room makes one its operator, which the `joined` that follows will record.
    const r = this.#roomNamed(channel);
    const creator = event.users.length === 0 && r !== undefined && r !== this.#opts.chat.lobby;
    this.#names(channel, users, r, creator ? me.name : undefined);
  }

  /**
   * History on JOIN: what was said before, with the times papo stamped on it, for clients that
   * can show them (server-time); inside a `chathistory` batch when the client asked for `batch`.
   * Without server-time nothing is replayed: old lines would read as new ones.
   */
  #history(room: string, events: readonly RoomEvent[]): void {
    if (!this.#caps.has("server-time")) return;
    const shown = events.filter((e) => e.type === "message" || e.type === "action" || e.type === "topic");
    if (shown.length === 0) return;
    const batch = this.#caps.has("batch") ? `h${++this.#batches}` : undefined;
    const src = this.#opts.serverName;
    if (batch) this.#reply({ source: src, command: "BATCH", params: [`+${batch}`, "chathistory", room] });
    let text = "";
    for (const e of shown) {
      const tags = this.#tags(e.at, e);
      if (batch) tags.set("batch", batch);
      text += this.#roomLines(e, tags).join("");
    }
    this.#queue(Buffer.from(text));
    if (batch) this.#reply({ source: src, command: "BATCH", params: [`-${batch}`] });
  }

  /** The room a channel name stands for, when it is in memory. */
  #roomNamed(channel: string | undefined): Room<unknown> | undefined {
    if (!channel) return undefined;
    const check = checkRoomName(channel, this.#opts.limits.maxRoomNameLength);
    return check.ok ? this.#opts.chat.room(check.key) : undefined;
  }

  /** `@` for a room operator, `+` for a voiced member (both with multi-prefix), else "". */
  #memberPrefix(room: Room<unknown> | undefined, name: string): string {
    if (!room) return "";
    const key = canonicalName(name);
    const op = room.modes.ops.has(key) ? "@" : "";
    const voice = room.modes.voiced.has(key) ? "+" : "";
    return this.#caps.has("multi-prefix") ? op + voice : op || voice;
  }

  /** The answer to a CHATHISTORY request: the messages (no event playback) in a chathistory batch. */
  #historyBatch(events: readonly RoomEvent[]): void {
    const req = this.#chathistory.shift();
    if (!req) return;
    const src = this.#opts.serverName;
    const batch = `h${++this.#batches}`;
    this.#reply({ source: src, command: "BATCH", params: [`+${batch}`, "chathistory", req.target] });
    let text = "";
    for (const e of events) {
      if ((e.type !== "message" && e.type !== "action") || !req.keep(e.seq)) continue;
      const tags = this.#tags(e.at, e);
      tags.set("batch", batch);
      text += this.#roomLines(e, tags).join("");
    }
    if (text) this.#queue(Buffer.from(text));
    this.#reply({ source: src, command: "BATCH", params: [`-${batch}`] });
  }

  /** 353 (as many as the names need) and 366 for a channel. */
  #names(
    channel: string,
    users: readonly { name: string; address: Address }[],
    r?: Room<unknown>,
    creator?: string,
  ): void {
    const o = this.#opts;
    const kind = r?.modes.secret ? "@" : "=";
    // `:server 353 me = #channel :names...` within 512 bytes.
    const head = `:${o.serverName} ${RPL.NAMREPLY} ${this.#me} ${kind} ${channel} :`;
    const room = IRC_LINE_BYTES - 2 - Buffer.byteLength(head);
    let names = "";
    const full = this.#caps.has("userhost-in-names");
    for (const u of users) {
      const nick =
        (u.name === creator ? "@" : this.#memberPrefix(r, u.name)) +
        (full ? this.#prefix(u.name, u.address) : ircNick(u.name));
      if (names && Buffer.byteLength(names) + 1 + Buffer.byteLength(nick) > room) {
        this.#numeric(RPL.NAMREPLY, kind, channel, names);
        names = "";
      }
      names = names ? `${names} ${nick}` : nick;
    }
    if (names) this.#numeric(RPL.NAMREPLY, kind, channel, names);
    this.#numeric(RPL.ENDOFNAMES, channel, o.irc.endOfNames);
  }

  // ---- input --------------------------------------------------------------------------------

  /** Wires the socket's events; called once by the listener. */
  attach(): void {
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, this.#opts.limits.keepAliveMs);
    (socket as IrcSocket)[kConnection] = this;
    socket.on("data", socketOnData);
    socket.on("error", socketOnError);
    socket.on("close", socketOnClose);
    this.#opts.deadPeers?.add(socket, this);
    // IRC clients speak first: no greeting, but the registration deadline and the limits apply.
    this.session.start({ greet: false });
  }

  /**
   * Issue 9 item 2: our bytes have not been getting through for `deadPeerTimeoutMs` (a vanished
   * client in a busy channel, where TCP keepalive never fires). Reset; the close frees the name.
   */
  onDeadPeer(view: DeadPeerView): void {
    if (this.#gone) return;
    this.#opts.chat.log("info", "dead_peer", {
      remote: this.remote,
      name: this.session.name || undefined,
      view,
      transport: "irc",
    });
    resetSocket(this.socket);
  }

  onSocketClose(): void {
    this.#gone = true;
    this.#opts.deadPeers?.remove(this.socket);
    clearTimeout(this.#pingTimer);
    clearTimeout(this.#graceTimer);
    this.#lineDeadline.stop();
    clearTimeout(this.#heldTimer);
    this.#held?.clear();
    this.#flusher.forget(this);
    this.#opts.chat.log("info", "disconnect", { remote: this.remote });
    this.session.lost("disconnected");
  }

  onSocketError(err: NodeJS.ErrnoException): void {
    this.#opts.chat.log("debug", "socket_error", { remote: this.remote, code: err.code });
  }

  onSocketData(chunk: Buffer): void {
    if (this.#closing || this.#gone) return;
    this.#lastInput = Date.now();
    const items = this.#decoder.push(chunk);
    for (const item of items) {
      if (this.session.closed) break;
      if (!this.#pace(item)) break;
    }
    if (this.#held && this.#held.length > 0 && !this.session.closed) this.#hold();
    this.#lineDeadline.track(this.#decoder.midLine, items.length > 0);
  }

  /**
   * Issue 10 item 2, as IRC servers do it ("fakelag"): a line is handled at once while the sender
   * is within its flood budget, and otherwise waits its turn, never dropped. The handshake,
   * keepalives and QUIT cost nothing. Returns false when the sender's backlog passed a cap and it
   * was disconnected.
   */
  #pace(item: Decoded): boolean {
    const gate = this.session.flood;
    const cost = item.kind === "overflow" ? 0 : item.kind === "line" ? ircLineCost(item.text) : 1;
    if (!gate || cost === 0) {
      this.#handleSafe(item);
      return true;
    }
    this.#held ??= new FloodQueue(gate);
    const verdict = this.#held.offer(item, item.kind === "line" ? Buffer.byteLength(item.text) : 0, cost);
    if (verdict === "now") this.#handleSafe(item);
    else if (verdict === "over") {
      this.#opts.chat.log("warn", "flood", { remote: this.remote, name: this.session.name || undefined });
      this.#dropHeld();
      this.session.disconnect("flood");
      return false;
    }
    return true;
  }

  /** Lines are held: stop reading (TCP pushes back), tell the sender once, wake when one is due. */
  #hold(): void {
    const held = this.#held as FloodQueue<Decoded>;
    if (!this.#paused) {
      this.#paused = true;
      this.socket.pause();
      this.#opts.chat.counters.refused("flood");
      this.#notice(stripMark(this.#opts.texts.throttled({ queued: held.length, delayMs: held.lagMs })));
    }
    if (!this.#heldTimer)
      this.#heldTimer = setTimeout(IrcConnection.#onHeldTimer, held.dueInMs, this).unref();
  }

  static #onHeldTimer(conn: IrcConnection): void {
    conn.#heldTimer = undefined;
    const held = conn.#held;
    if (!held || conn.#closing || conn.#gone) return;
    // A held line is input: the ping and line deadlines count from now (the socket is not read).
    conn.#lastInput = Date.now();
    for (let item = held.next(); item !== undefined; item = held.next()) {
      if (conn.session.closed) return;
      conn.#handleSafe(item);
    }
    if (conn.session.closed || conn.#closing || conn.#gone) return;
    if (held.length > 0) {
      conn.#heldTimer = setTimeout(IrcConnection.#onHeldTimer, held.dueInMs, conn).unref();
      return;
    }
    conn.#paused = false;
    conn.#lineDeadline.restart();
    conn.socket.resume();
  }

  /** Forgets held lines (the connection is closing) and reads again, so the close completes. */
  #dropHeld(): void {
    clearTimeout(this.#heldTimer);
    this.#heldTimer = undefined;
    this.#held?.clear();
    if (this.#paused) {
      this.#paused = false;
      this.socket.resume();
    }
  }

  #handleSafe(item: Decoded): void {
    try {
      switch (item.kind) {
        case "line":
          return this.#line(item.text);
        case "too_long":
          return this.#numeric(ERR.INPUTTOOLONG, this.#opts.irc.inputTooLong);
        case "invalid_utf8":
          return this.#error(errorEvent("invalid_utf8", {}));
        case "overflow":
          return this.session.disconnect("line_overflow");
      }
    } catch (err) {
      // ROBUSTNESS F30: a bug in one handler costs that client one line, not the process.
      this.#opts.chat.log("error", "handler_failed", {
        remote: this.remote,
        error: String((err as Error)?.stack ?? err),
      });
      this.#quiet = false;
      this.#error(errorEvent("internal", {}));
    }
  }

  get lineWatchOver(): boolean {
    return this.#closing || this.#gone;
  }

  get inputPaused(): boolean {
    return this.#paused;
  }

  /** ROBUSTNESS A4: the fragment stays in the decoder and goes with it: it is never relayed. */
  lineTimedOut(): void {
    this.#opts.chat.log("info", "idle_line_timeout", {
      remote: this.remote,
      name: this.session.name || undefined,
    });
    this.session.disconnect("idle_line_timeout");
  }

  #line(text: string): void {
    // message-tags: the tags have their own budget; the rest is the classic 512 bytes with CRLF.
    let rest = text;
    if (text.startsWith("@")) {
      const space = text.indexOf(" ");
      if (space < 0 || space > MAX_CLIENT_TAG_BYTES) return this.#tooLong();
      rest = text.slice(space + 1);
    }
    if (Buffer.byteLength(rest) > IRC_LINE_BYTES - 2) return this.#tooLong();
    const m = parseMessage(text);
    if (!m) return;
    const command = m.command.toUpperCase();
    // ROBUSTNESS D21: every line but the handshake, keepalives and QUIT spends a flood token.
    if (!this.#active && !BEFORE_REGISTRATION.has(command)) {
      return this.#numeric(ERR.NOTREGISTERED, this.#opts.irc.notRegistered);
    }
    const handler = HANDLERS[command];
    if (!handler) return this.#numeric(ERR.UNKNOWNCOMMAND, command, this.#opts.irc.unknownCommand);
    this.#command = command;
    handler(this, m.params);
  }

  #tooLong(): void {
    this.#numeric(ERR.INPUTTOOLONG, this.#opts.irc.inputTooLong);
  }

  /** Registers with the core once NICK and USER are in and CAP negotiation is over. */
  #register(): void {
    if (this.#active || !this.#nick || !this.#user || this.#capPending || this.session.closed) return;
    if (this.#opts.chat.options.password && !this.#passwordOk) {
      this.session.passwordRequest(this.#pass ?? "");
      // A wrong password is answered (464, ERROR) by the core after its delay.
      if (!this.#passwordOk) return;
    }
    // An IRC client chooses its channels (the MOTD points at the lobby): no JOIN it did not ask for.
    this.session.register(this.#nick, undefined, { lobby: false });
  }

  // ---- commands -----------------------------------------------------------------------------

  static cap(c: IrcConnection, params: readonly string[]): void {
    const sub = (params[0] ?? "").toUpperCase();
    const src = c.#opts.serverName;
    switch (sub) {
      case "LS":
        if (!c.#active) c.#capPending = true;
        return c.#reply({ source: src, command: "CAP", params: [c.#me, "LS", CAPS.join(" ")] });
      case "LIST":
        return c.#reply({ source: src, command: "CAP", params: [c.#me, "LIST", [...c.#caps].join(" ")] });
      case "REQ": {
        if (!c.#active) c.#capPending = true;
        const asked = (params[1] ?? "").split(" ").filter(Boolean);
        const known = asked.every((cap) => CAPS.includes(cap.startsWith("-") ? cap.slice(1) : cap));
        if (known) {
          for (const cap of asked) {
            if (cap.startsWith("-")) c.#caps.delete(cap.slice(1));
            else c.#caps.add(cap);
          }
        }
        return c.#reply({
          source: src,
          command: "CAP",
          params: [c.#me, known ? "ACK" : "NAK", params[1] ?? ""],
        });
      }
      case "END":
        if (c.#active) return;
        c.#capPending = false;
        return c.#register();
      default:
        return c.#numeric(ERR.INVALIDCAPCMD, sub || "*", c.#opts.irc.invalidCapCommand);
    }
  }

  static pass(c: IrcConnection, params: readonly string[]): void {
    if (c.#active) return c.#numeric(ERR.ALREADYREGISTERED, c.#opts.irc.alreadyRegistered);
    if (params[0] === undefined) return c.#numeric(ERR.NEEDMOREPARAMS, "PASS", c.#opts.irc.needMoreParams);
    c.#pass = params[0];
  }

  static nick(c: IrcConnection, params: readonly string[]): void {
    const t = c.#opts.irc;
    const nick = params[0] ?? "";
    if (!nick) return c.#numeric(ERR.NONICKNAMEGIVEN, t.noNicknameGiven);
    c.#wantNick = nick;
    if (!isPlainIrcNick(nick)) return c.#numeric(ERR.ERRONEUSNICKNAME, nick, t.nickAlphabet);
    if (c.#active) return c.session.rename(nick);
    c.#nick = nick;
    c.#register();
  }

  static user(c: IrcConnection, params: readonly string[]): void {
    if (c.#active) return c.#numeric(ERR.ALREADYREGISTERED, c.#opts.irc.alreadyRegistered);
    // RFC 2812 §3.1.3: a username and a real name, neither empty.
    if (params.length < 4 || !params[0] || !params[3])
      return c.#numeric(ERR.NEEDMOREPARAMS, "USER", c.#opts.irc.needMoreParams);
    c.#user = true;
    // The username as an ident-less server shows it (`~` and at most 10 safe characters).
    const user = (params[0] ?? "").replace(/[^A-Za-z0-9._-]/g, "").slice(0, 10) || USER;
    const realname =
      sanitizeText(params[3] ?? "")
        .trim()
        .slice(0, 100) || user;
    c.#ident = { user: `~${user}`, realname };
    c.#register();
  }

  static ping(c: IrcConnection, params: readonly string[]): void {
    if (params[0] === undefined) return c.#numeric(ERR.NOORIGIN, c.#opts.irc.needMoreParams);
    const src = c.#opts.serverName;
    c.#reply({ source: src, command: "PONG", params: [src, params[0]] });
  }

  static pong(_c: IrcConnection, _params: readonly string[]): void {
    // Any input proves the client alive (#lastInput); nothing to answer.
  }

  static quit(c: IrcConnection, params: readonly string[]): void {
    c.session.quit(params[0]);
  }

  static privmsg(c: IrcConnection, params: readonly string[], command = "PRIVMSG"): void {
    const t = c.#opts.irc;
    const target = params[0];
    if (!target) return c.#numeric(ERR.NORECIPIENT, t.noRecipient({ command }));
    const text = params[1];
    if (text === undefined || text === "") return c.#numeric(ERR.NOTEXTTOSEND, t.noTextToSend);
    let action = false;
    let body = text;
    if (text.startsWith("\u0001")) {
      // CTCP: ACTION is /me; other requests (VERSION, PING...) mean nothing to papo users.
      const inner = text.slice(1, text.endsWith("\u0001") && text.length > 1 ? -1 : undefined);
      if (!inner.startsWith("ACTION ")) return;
      action = true;
      body = inner.slice(7);
    }
    const notice = command === "NOTICE";
    if (target.startsWith("#")) {
      if (!c.#roomExists(target)) return c.#numeric(ERR.NOSUCHCHANNEL, target, t.noSuchChannel);
      return action ? c.session.action(body, target) : c.session.say(body, target, undefined, notice);
    }
    const name = papoName(target);
    if (name === null) return c.#numeric(ERR.NOSUCHNICK, target, t.noSuchNick);
    if (canonicalName(name) === c.session.canonical) {
      // IRC lets a client message itself; the server sends it back.
      const tags = c.#tagged ? c.#tags(Date.now()) : undefined;
      for (const l of splitMessageLines(c.#prefix(c.session.name), command, c.#me, text, tags))
        c.#queue(Buffer.from(l + CRLF));
      return;
    }
    c.session.whisper(name, body, undefined, notice);
  }

  static notice(c: IrcConnection, params: readonly string[]): void {
    c.#quiet = true;
    try {
      IrcConnection.privmsg(c, params, "NOTICE");
    } finally {
      c.#quiet = false;
    }
  }

  /** Does a room by this channel name exist (anyone in it)? */
  #roomExists(channel: string): boolean {
    const check = checkRoomName(channel, this.#opts.limits.maxRoomNameLength);
    return check.ok && this.#opts.chat.room(check.key) !== undefined;
  }

  static join(c: IrcConnection, params: readonly string[]): void {
    const t = c.#opts.irc;
    if (!params[0]) return c.#numeric(ERR.NEEDMOREPARAMS, "JOIN", t.needMoreParams);
    // `JOIN 0` leaves every channel (RFC 2812 §3.2.1).
    if (params[0] === "0") {
      for (const room of [...c.session.rooms]) c.session.part(room.name);
      return;
    }
    const keys = (params[1] ?? "").split(",");
    for (const [i, channel] of params[0].split(",").entries()) {
      if (!channel) continue;
      // Only `#` channels exist (CHANTYPES=#): `sala` would otherwise be taken as `#sala`.
      if (!channel.startsWith("#")) {
        c.#numeric(ERR.NOSUCHCHANNEL, channel, t.noSuchChannel);
        continue;
      }
      c.#wantChannel = channel;
      const check = checkRoomName(channel, c.#opts.limits.maxRoomNameLength);
      const room = check.ok ? c.#opts.chat.room(check.key) : undefined;
      // Already in it: a JOIN to a channel one is in gets no reply.
      if (room && c.session.rooms.has(room)) continue;
      c.session.join(channel, keys[i] || undefined);
    }
  }

  static part(c: IrcConnection, params: readonly string[]): void {
    const t = c.#opts.irc;
    if (!params[0]) return c.#numeric(ERR.NEEDMOREPARAMS, "PART", t.needMoreParams);
    for (const channel of params[0].split(",")) {
      if (!c.#roomExists(channel)) c.#numeric(ERR.NOSUCHCHANNEL, channel, t.noSuchChannel);
      else {
        c.#partReason = params[1] ? sanitizeText(params[1]).trim() || undefined : undefined;
        c.session.part(channel, params[1]);
      }
    }
  }

  static topic(c: IrcConnection, params: readonly string[]): void {
    const t = c.#opts.irc;
    const channel = params[0];
    if (!channel) return c.#numeric(ERR.NEEDMOREPARAMS, "TOPIC", t.needMoreParams);
    if (!c.#roomExists(channel)) return c.#numeric(ERR.NOSUCHCHANNEL, channel, t.noSuchChannel);
    // No text: the topic is asked for (332/331); an empty text clears it.
    c.session.topic(params[1] ?? "", channel, params[1] !== undefined);
  }

  static names(c: IrcConnection, params: readonly string[]): void {
    const limit = c.#opts.limits.maxRoomNameLength;
    const channels = params[0] ? params[0].split(",") : [...c.session.rooms].map((r) => r.name);
    for (const channel of channels) {
      const check = checkRoomName(channel, limit);
      const room = check.ok && channel.startsWith("#") ? c.#opts.chat.room(check.key) : undefined;
      // Rooms are public: anyone may see who is in one, as with a channel that is not +s.
      if (room) c.#names(room.name, room.users(), room);
      else c.#numeric(RPL.ENDOFNAMES, channel, c.#opts.irc.endOfNames);
    }
  }

  /**
   * MODE. Channels: a query gets 324 and 329; `+b` alone lists the bans (367, 368); changes go to
   * the core, which refuses them to anyone but the room's operators (482) and tells every member
   * what changed. Users: no user modes exist; `+i` is taken (everyone is visible anyway: 221 `+`).
   */
  static mode(c: IrcConnection, params: readonly string[]): void {
    const t = c.#opts.irc;
    const target = params[0];
    if (!target) return c.#numeric(ERR.NEEDMOREPARAMS, "MODE", t.needMoreParams);
    const change = params[1];
    if (target.startsWith("#")) {
      const room = c.#roomNamed(target);
      if (!room || room.names.size === 0) return c.#numeric(ERR.NOSUCHCHANNEL, target, t.noSuchChannel);
      if (change === undefined) {
        const member = room.names.has(c.session.canonical);
        const { modes, args } = modeString(room.modes, member);
        c.#numeric(RPL.CHANNELMODEIS, room.name, modes, ...args);
        return c.#numeric(RPL.CREATIONTIME, room.name, String(Math.floor(room.modes.createdAt / 1000)));
      }
      const requests = parseModeRequest(change, params.slice(2));
      // `MODE #chan b` (or +b with no mask): the ban list.
      const lists = requests.filter((r) => r.mode === "b" && r.arg === undefined);
      if (lists.length > 0) {
        for (const b of room.modes.bans)
          c.#numeric(RPL.BANLIST, room.name, b.mask, ircNick(b.by), String(Math.floor(b.at / 1000)));
        c.#numeric(RPL.ENDOFBANLIST, room.name, t.endOfBanList);
      }
      const changes = requests.filter((r) => !(r.mode === "b" && r.arg === undefined));
      for (const r of changes)
        if (!KNOWN_MODES.has(r.mode)) c.#numeric(ERR.UNKNOWNMODE, r.mode, t.unknownModeFlag);
      const known = changes.filter((r) => {
        if (!KNOWN_MODES.has(r.mode)) return false;
        // `+o nobody`: no such nick at all is 401, someone online elsewhere 441 (from the core).
        const nick = r.mode === "o" || r.mode === "v" ? r.arg : undefined;
        if (nick === undefined) return true;
        const name = papoName(nick);
        if (name !== null && c.#opts.chat.find(canonicalName(name))) return true;
        c.#numeric(ERR.NOSUCHNICK, nick, t.noSuchNick);
        return false;
      });
      if (known.length > 0) c.session.setModes(room.name, known);
      return;
    }
    const name = papoName(target);
    if (name === null || canonicalName(name) !== c.session.canonical)
      return c.#numeric(ERR.USERSDONTMATCH, t.usersDontMatch);
    if (change === undefined) return c.#numeric(RPL.UMODEIS, "+");
    // Everyone is visible in papo: `+i`/`-i` change nothing and are not refused.
    if (/^[+-]i+$/.test(change)) return;
    return c.#numeric(ERR.UMODEUNKNOWNFLAG, t.unknownModeFlag);
  }

  static kick(c: IrcConnection, params: readonly string[]): void {
    const t = c.#opts.irc;
    const [channel, nicks] = params;
    if (!channel || !nicks) return c.#numeric(ERR.NEEDMOREPARAMS, "KICK", t.needMoreParams);
    if (!c.#roomExists(channel)) return c.#numeric(ERR.NOSUCHCHANNEL, channel, t.noSuchChannel);
    for (const nick of nicks.split(",")) {
      if (!nick) continue;
      const name = papoName(nick);
      if (name === null) {
        c.#numeric(ERR.NOSUCHNICK, nick, t.noSuchNick);
        continue;
      }
      c.session.kickFromRoom(channel, name, params[2]);
    }
  }

  static invite(c: IrcConnection, params: readonly string[]): void {
    const t = c.#opts.irc;
    const [nick, channel] = params;
    if (nick === undefined) {
      // No parameters: the channels this client is invited to (336, 337).
      for (const r of c.#opts.chat.roomList()) {
        const room = c.#roomNamed(r.room);
        if (room?.modes.invited.has(c.session.canonical)) c.#numeric(RPL.INVITELIST, room.name);
      }
      return c.#numeric(RPL.ENDOFINVITELIST, t.endOfInviteList);
    }
    if (!channel) return c.#numeric(ERR.NEEDMOREPARAMS, "INVITE", t.needMoreParams);
    const name = papoName(nick);
    if (name === null || !c.#opts.chat.find(canonicalName(name)))
      return c.#numeric(ERR.NOSUCHNICK, nick, t.noSuchNick);
    if (!c.#roomExists(channel)) return c.#numeric(ERR.NOSUCHCHANNEL, channel, t.noSuchChannel);
    c.session.invite(name, channel);
  }

  /**
   * draft/chathistory: LATEST, BEFORE, AFTER, AROUND, BETWEEN for a room one is in, by msgid
   * (MSGREFTYPES=msgid: papo's msgid is the room's epoch and seq) or `*` for LATEST. The limit counts
   * the room's log events (joins and leaves too); only messages are sent (no event playback).
   */
  static chathistory(c: IrcConnection, params: readonly string[]): void {
    const src = c.#opts.serverName;
    const chat = c.#opts.chat;
    const fail = (code: string, ...context: string[]) =>
      c.#reply({
        source: src,
        command: "FAIL",
        params: ["CHATHISTORY", code, ...context, c.#opts.irc.chathistoryFail],
      });
    const sub = (params[0] ?? "").toUpperCase();
    const target = params[1];
    if (!sub || !target || params.length < 4) return fail("NEED_MORE_PARAMS", sub || "*");
    if (sub === "TARGETS") return fail("INVALID_PARAMS", sub);
    const check = checkRoomName(target, c.#opts.limits.maxRoomNameLength);
    const room = target.startsWith("#") && check.ok ? chat.room(check.key) : undefined;
    if (!room || !c.session.rooms.has(room)) return fail("INVALID_TARGET", sub, target);
    const ref = (raw: string | undefined): number | undefined => {
      const prefix = `msgid=${chat.store.epoch}-`;
      if (!raw?.startsWith(prefix)) return undefined;
      const m = /^(\d+)-(.*)$/.exec(raw.slice(prefix.length));
      return m && m[2] === room.name ? Number(m[1]) : undefined;
    };
    const limit = Number.parseInt(params.at(-1) ?? "", 10);
    if (!(limit > 0)) return fail("INVALID_PARAMS", sub, params.at(-1) ?? "*");
    const ask = (keep: (seq: number) => boolean, run: () => void) => {
      c.#chathistory.push({ target: room.name, keep });
      run();
    };
    const a = params[2] === "*" && sub === "LATEST" ? 0 : ref(params[2]);
    if (a === undefined) return fail("INVALID_MSGREFTYPE", sub, params[2] ?? "*");
    switch (sub) {
      case "LATEST":
        return ask(
          (seq) => seq > a,
          () => chat.history(c.session, room, Number.MAX_SAFE_INTEGER, limit),
        );
      case "BEFORE":
        return ask(
          () => true,
          () => chat.history(c.session, room, a, limit),
        );
      case "AFTER":
        return ask(
          () => true,
          () => chat.historyAfter(c.session, room, a, limit),
        );
      case "AROUND":
        return ask(
          () => true,
          () => chat.historyAfter(c.session, room, Math.max(0, a - Math.ceil(limit / 2)), limit),
        );
      case "BETWEEN": {
        const b = ref(params[3]);
        if (b === undefined || params.length < 5) return fail("INVALID_MSGREFTYPE", sub, params[3] ?? "*");
        if (a <= b)
          return ask(
            (seq) => seq < b,
            () => chat.historyAfter(c.session, room, a, limit),
          );
        return ask(
          (seq) => seq > b,
          () => chat.history(c.session, room, a, limit),
        );
      }
      default:
        return fail("INVALID_PARAMS", sub);
    }
  }

  static away(c: IrcConnection, params: readonly string[]): void {
    const text = params[0];
    c.session.setAway(text === undefined || text === "" ? undefined : text);
  }

  /** WHO's reply for one user: `352 me channel user host server nick flags :0 realname`. */
  #whoReply(channel: string, s: Session, room?: Room<unknown>): void {
    const ident = s.port.ident;
    const flags = (s.away === undefined ? "H" : "G") + this.#memberPrefix(room, s.name);
    this.#numeric(
      RPL.WHOREPLY,
      channel,
      ident?.user ?? USER,
      hostOf(s.shownAddress),
      // One server, its name shown elsewhere: `*` as servers that hide their map write it.
      "*",
      ircNick(s.name),
      flags,
      `0 ${ident?.realname ?? s.name}`,
    );
  }

  /** WHO #channel, WHO nick, WHO mask (`*`, `?`): everyone is visible in papo. */
  static who(c: IrcConnection, params: readonly string[]): void {
    const t = c.#opts.irc;
    const mask = params[0] ?? "*";
    const chat = c.#opts.chat;
    if (mask.startsWith("#")) {
      const room = c.#roomNamed(mask);
      if (room)
        for (const u of room.users()) {
          const s = chat.find(canonicalName(u.name));
          if (s) c.#whoReply(room.name, s, room);
        }
    } else if (mask === "*" || mask === "0") {
      for (const s of chat.members()) c.#whoReply("*", s);
    } else if (/[*?]/.test(mask)) {
      for (const s of chat.members()) if (maskMatches(mask, ircNick(s.name))) c.#whoReply("*", s);
    } else {
      const name = papoName(mask);
      const s = name === null ? undefined : chat.find(canonicalName(name));
      if (s) c.#whoReply("*", s);
    }
    c.#numeric(RPL.ENDOFWHO, mask, t.endOfWho);
  }

  static whois(c: IrcConnection, params: readonly string[]): void {
    const t = c.#opts.irc;
    // `WHOIS server nick` asks a given server: papo is one server.
    const nick = params.length > 1 ? params[1] : params[0];
    if (!nick) return c.#numeric(ERR.NONICKNAMEGIVEN, t.noNicknameGiven);
    const name = papoName(nick);
    const s = name === null ? undefined : c.#opts.chat.find(canonicalName(name));
    if (!s) {
      c.#numeric(ERR.NOSUCHNICK, nick, t.noSuchNick);
      return c.#numeric(RPL.ENDOFWHOIS, nick, t.endOfWhois);
    }
    const shown = ircNick(s.name);
    const ident = s.port.ident;
    c.#numeric(
      RPL.WHOISUSER,
      shown,
      ident?.user ?? USER,
      hostOf(s.shownAddress),
      "*",
      ident?.realname ?? s.name,
    );
    const channels = [...s.rooms].map((r) => c.#memberPrefix(r, s.name) + r.name);
    if (channels.length > 0) c.#numeric(RPL.WHOISCHANNELS, shown, channels.join(" "));
    c.#numeric(RPL.WHOISSERVER, shown, c.#opts.serverName, t.serverInfo);
    if (s.away !== undefined) c.#numeric(RPL.AWAY, shown, s.away || t.awayDefault);
    c.#numeric(RPL.ENDOFWHOIS, shown, t.endOfWhois);
  }

  static whowas(c: IrcConnection, params: readonly string[]): void {
    const t = c.#opts.irc;
    const nick = params[0];
    if (!nick) return c.#numeric(ERR.NEEDMOREPARAMS, "WHOWAS", t.needMoreParams);
    const count = Number.parseInt(params[1] ?? "0", 10);
    const name = papoName(nick);
    const entries = name === null ? [] : c.#opts.chat.whowas.find(canonicalName(name), count > 0 ? count : 0);
    if (entries.length === 0) c.#numeric(ERR.WASNOSUCHNICK, nick, t.wasNoSuchNick);
    for (const e of entries) {
      const shown = ircNick(e.name);
      c.#numeric(
        RPL.WHOWASUSER,
        shown,
        e.ident?.user ?? USER,
        hostOf(e.address),
        "*",
        e.ident?.realname ?? e.name,
      );
      c.#numeric(
        RPL.WHOISSERVER,
        shown,
        c.#opts.serverName,
        t.whowasAt({ date: new Date(e.at).toUTCString() }),
      );
    }
    c.#numeric(RPL.ENDOFWHOWAS, nick, t.endOfWhowas);
  }

  static lusers(c: IrcConnection, _params: readonly string[]): void {
    const t = c.#opts.irc;
    const chat = c.#opts.chat;
    const users = chat.online;
    const max = Math.max(users, maxUsers);
    c.#numeric(RPL.LUSERCLIENT, t.lusersClient({ users }));
    c.#numeric(RPL.LUSERUNKNOWN, String(Math.max(0, chat.connections - users)), t.lusersUnknown);
    c.#numeric(RPL.LUSERCHANNELS, String(chat.roomList().length), t.lusersChannels);
    c.#numeric(RPL.LUSERME, t.lusersMe({ clients: users }));
    c.#numeric(RPL.LOCALUSERS, t.localUsers({ users, max }));
    c.#numeric(RPL.GLOBALUSERS, t.globalUsers({ users, max }));
  }

  /** USERHOST nick...: `nick=+user@host` (`-` when away), up to 5 nicks. */
  static userhost(c: IrcConnection, params: readonly string[]): void {
    if (params.length === 0) return c.#numeric(ERR.NEEDMOREPARAMS, "USERHOST", c.#opts.irc.needMoreParams);
    const out: string[] = [];
    for (const nick of params.slice(0, 5)) {
      const name = papoName(nick);
      const s = name === null ? undefined : c.#opts.chat.find(canonicalName(name));
      if (!s) continue;
      const user = s.port.ident?.user ?? USER;
      out.push(`${ircNick(s.name)}=${s.away === undefined ? "+" : "-"}${user}@${hostOf(s.shownAddress)}`);
    }
    c.#numeric(RPL.USERHOST, out.join(" "));
  }

  static time(c: IrcConnection, _params: readonly string[]): void {
    c.#numeric(RPL.TIME, c.#opts.serverName, new Date().toUTCString());
  }

  /** papo's operator is its console: OPER gives no powers here (491, or 461 without a password). */
  static oper(c: IrcConnection, params: readonly string[]): void {
    if (params.length < 2) return c.#numeric(ERR.NEEDMOREPARAMS, "OPER", c.#opts.irc.needMoreParams);
    c.#numeric(ERR.NOOPERHOST, c.#opts.irc.noOperHost);
  }

  static list(c: IrcConnection, _params: readonly string[]): void {
    c.session.listRooms();
  }

  // ---- keepalive ----------------------------------------------------------------------------

  /**
   * ROBUSTNESS E28: a client silent for `pingIntervalMs` is sent `PING`; no input within
   * `pingTimeoutMs` of it means a dead peer (`ERROR`, name freed).
   */
  #armPing(ms: number): void {
    this.#pingTimer = setTimeout(IrcConnection.#onPingTimer, ms, this).unref();
  }

  static #onPingTimer(conn: IrcConnection): void {
    conn.#pingTimer = undefined;
    if (conn.#closing || conn.#gone) return;
    const { pingIntervalMs, pingTimeoutMs } = conn.#opts.limits;
    const now = Date.now();
    if (conn.#pingSentAt > 0 && conn.#lastInput < conn.#pingSentAt) {
      const waited = now - conn.#pingSentAt;
      if (waited < pingTimeoutMs) return conn.#armPing(pingTimeoutMs - waited);
      conn.#opts.chat.log("info", "ping_timeout", {
        remote: conn.remote,
        name: conn.session.name || undefined,
      });
      conn.session.disconnect("ping_timeout");
      return;
    }
    conn.#pingSentAt = 0;
    if (conn.#paused) conn.#lastInput = now; // held lines are input not yet read (issue 10 item 2)
    const idle = now - conn.#lastInput;
    if (idle < pingIntervalMs) return conn.#armPing(pingIntervalMs - idle);
    conn.#pingSentAt = now;
    conn.#reply({ command: "PING", params: [conn.#opts.serverName] });
    conn.#armPing(pingTimeoutMs);
  }
}

type Handler = (c: IrcConnection, params: readonly string[]) => void;

/** Commands by name (STYLE: commands are data). */
const HANDLERS: Readonly<Record<string, Handler>> = {
  CAP: IrcConnection.cap,
  PASS: IrcConnection.pass,
  NICK: IrcConnection.nick,
  USER: IrcConnection.user,
  PING: IrcConnection.ping,
  PONG: IrcConnection.pong,
  QUIT: IrcConnection.quit,
  PRIVMSG: (c, p) => IrcConnection.privmsg(c, p),
  NOTICE: IrcConnection.notice,
  JOIN: IrcConnection.join,
  PART: IrcConnection.part,
  NAMES: IrcConnection.names,
  TOPIC: IrcConnection.topic,
  LIST: IrcConnection.list,
  MODE: IrcConnection.mode,
  KICK: IrcConnection.kick,
  INVITE: IrcConnection.invite,
  AWAY: IrcConnection.away,
  WHO: IrcConnection.who,
  WHOIS: IrcConnection.whois,
  WHOWAS: IrcConnection.whowas,
  LUSERS: IrcConnection.lusers,
  USERHOST: IrcConnection.userhost,
  TIME: IrcConnection.time,
  OPER: IrcConnection.oper,
  CHATHISTORY: IrcConnection.chathistory,
};

/** The parameters of announced mode changes: the names given `o` and `v` as IRC nicks. */
function modeArgs(modes: string, args: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let on = true;
  for (const m of modes) {
    if (m === "+" || m === "-") {
      on = m === "+";
      continue;
    }
    const takes = ["o", "v", "b", "k"].includes(m) || (m === "l" && on);
    if (!takes || i >= args.length) continue;
    const a = args[i++] as string;
    out.push(m === "o" || m === "v" ? ircNick(a) : a);
  }
  return out;
}

/** Catalogue texts start with a marker (`! `, `* `) for text mode; IRC clients add their own. */
function stripMark(text: string): string {
  return text.replace(/^[!*]+\s*/, "");
}

const kConnection = Symbol("papo.irc.connection");
type IrcSocket = net.Socket & { [kConnection]: IrcConnection };

function socketOnData(this: IrcSocket, chunk: Buffer): void {
  this[kConnection].onSocketData(chunk);
}

function socketOnError(this: IrcSocket, err: NodeJS.ErrnoException): void {
  this[kConnection].onSocketError(err);
}

function socketOnClose(this: IrcSocket): void {
  this[kConnection].onSocketClose();
}

function destroySocket(socket: net.Socket): void {
  socket.destroy();
}

/** An IRC listener feeding the chat. */
export function createIrcServer(opts: IrcOptions): net.Server {
  const flusher = listenerFlusher(opts.limits, true);
  const server = net.createServer({ noDelay: true, keepAlive: true });
  server.on("connection", function ircServerOnConnection(socket) {
    const conn = new IrcConnection(socket, opts, flusher);
    opts.chat.log("info", "connect", { remote: conn.remote, irc: true });
    conn.attach();
  });
  return server;
}
