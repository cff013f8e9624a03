/**
 * The TCP transport: one socket, three framings (docs/protocol.md §1), a SessionPort for the core.
 * Listeners are named functions wired in one place (STYLE: ws).
 */
import net from "node:net";
import type tls from "node:tls";
import type { Chat } from "../core/chat.ts";
import type { TransportName } from "../core/counters.ts";
import { FloodQueue } from "../core/flood.ts";
import type { Session, SessionPort } from "../core/session.ts";
import { catalogue } from "../i18n/index.ts";
import type { ChatTexts, Lang } from "../i18n/types.ts";
import { type ByeReason, errorEvent, isRoomEvent, type ServerEvent } from "../protocol/events.ts";
import { type FrameDecoded, FrameDecoder } from "../protocol/frame-decoder.ts";
import { LEGACY_DISCONNECT } from "../protocol/input.ts";
import { LineDecoder } from "../protocol/line-decoder.ts";
import { itemBytes, itemCost } from "../protocol/pacing.ts";
import {
  asciiSafe,
  parseSeed002,
  QuietGapRule,
  SEED_NICK_GREETING,
  SEED_SHUTDOWN_LINE,
  stripOwnLabel,
} from "../protocol/seed-compat.ts";
import { sniff } from "../protocol/sniff.ts";
import { renderEvent } from "../protocol/text-render.ts";
import { formatAddress } from "./address.ts";
import { bannedInFlight, refuseIfBanned } from "./banned.ts";
import type { DeadPeerOwner, DeadPeerView, DeadPeerWatch } from "./dead-peer.ts";
import { type DirectBatch, directFd } from "./direct-write.ts";
import { handleJsonRequest, jsonLineBytes } from "./json-shared.ts";
import type { TransportLimits as Limits } from "./limits.ts";
import { LineDeadline } from "./line-deadline.ts";
import { type FlushScheduler, listenerFlusher, SocketOutbox } from "./outbox.ts";
import { resetSocket } from "./reset.ts";
import { createSecureListener } from "./tls-listener.ts";

export type Mode = "sniff" | "text" | "json" | "legacy";

export interface TcpOptions {
  chat: Chat;
  limits: Limits;
  /** Texts for text and legacy modes. */
  texts: ChatTexts;
  /** The language of `texts` (issue 13: a connection may switch with `/lang`); default `en`. */
  lang?: Lang;
  /**
   * Seed 001's listener (`--nick-port`): greet with the bare `NICK` and nothing else, take the
   * first message as the name, strip the client's own `name: ` prefix from later ones, and send
   * only ASCII (its client decodes ASCII and drops the connection on anything else).
   */
  seedNick?: boolean;
  /** Finds peers whose bytes stopped getting through (issue 9 item 2); unset: keepalive only. */
  deadPeers?: DeadPeerWatch;
}

/** Text mode shows at most this many names in the welcome; `/users` lists everyone. */
const WELCOME_NAMES = 50;

/**
 * Encoded bytes per event object: a broadcast is one object sent to many connections, so it is
 * encoded once per mode, not once per recipient (DESIGN: encode a broadcast once). The json
 * encoding is shared with the WebSocket transport (json-shared.ts). Text is encoded once per
 * language in use (below).
 */
interface TextCaches {
  readonly lang: Lang;
  readonly texts: ChatTexts;
  readonly plain: WeakMap<ServerEvent, Buffer>;
  /** The same, for recipients whose current room is another one: the line starts with `[#room] `. */
  readonly prefixed: WeakMap<ServerEvent, Buffer>;
}
/**
 * One set of caches per language (issue 13: connections choose theirs with `/lang`), so a
 * broadcast is rendered once per language in use, not once per recipient. Keyed by the
 * catalogue object, so tests that pass their own texts get their own caches.
 */
const textCaches = new Map<ChatTexts, TextCaches>();
function cachesFor(lang: Lang, texts: ChatTexts): TextCaches {
  let c = textCaches.get(texts);
  if (!c) {
    c = { lang, texts, plain: new WeakMap(), prefixed: new WeakMap() };
    textCaches.set(texts, c);
  }
  return c;
}
/** Events rendered as text so far (tests: a broadcast is rendered once per language in use). */
let textRenders = 0;
export function textRenderCount(): number {
  return textRenders;
}
const EMPTY = Buffer.alloc(0);
/**
 * Bytes queued in one turn for one connection before they are written at once rather than at the
 * end of the turn. Without it a burst (many senders in one turn) would pile up here, count
 * against the send-queue cap and drop a reader that is not slow at all (ROBUSTNESS E25: only the
 * kernel refusing our bytes makes a reader slow).
 */
const FLUSH_AT_BYTES = 64 * 1024;
/**
 * Milliseconds between the last output and seed 004's `SERVIDOR_ENCERRADO`, so that the line is
 * alone in the client's read (it compares the whole read with it).
 */
const SEED_BYE_DELAY_MS = 150;
/** One ping object for every connection, so its json line is encoded once. */
const PING: ServerEvent = { type: "ping" };

export class TcpConnection implements SessionPort, DeadPeerOwner {
  readonly socket: net.Socket;
  readonly remote: string;
  readonly session: Session;
  readonly #opts: TcpOptions;
  readonly #flusher: FlushScheduler;
  #mode: Mode = "sniff";
  #sniffed: Buffer = EMPTY;
  #decoder: LineDecoder | FrameDecoder | undefined;
  #sawLine = false;
  /** What is queued for the socket until the next flush (outbox.ts). */
  readonly #out: SocketOutbox;
  /** FlushScheduler's mark (outbox.ts). */
  flushQueued = false;
  #overflowed = false;
  #closing = false;
  #gone = false;
  /** Why the server is closing this connection (the `bye` it was sent). */
  #bye: ByeReason | undefined;
  /** When the unfinished line began (ms since the epoch), 0 when no line is started (A4). */
  /** ROBUSTNESS A4 (line-deadline.ts). */
  readonly #lineDeadline: LineDeadline;
  /** When the last bytes arrived, and when the unanswered ping went out (0: none) (E28). */
  #lastInput = Date.now();
  #pingSentAt = 0;
  #pingTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  /** A10: the greeting waits up to `greetDelayMs` for the client's first bytes. */
  #greeted = false;
  #greetTimer: NodeJS.Timeout | undefined;
  /** Issue 10 item 2: lines flood control holds back (made at the first one), and their timer. */
  #held: FloodQueue<FrameDecoded> | undefined;
  #heldTimer: NodeJS.Timeout | undefined;
  /** The socket is paused because lines are held: TCP pushes back on the sender. */
  #paused = false;
  /**
   * Issue 10, the seeds' clients: whether a fragment followed by a quiet gap is a line (made at
   * the first read; null once it can never apply, as for every client that sends line ends).
   */
  #gapRule: QuietGapRule | null | undefined;
  #gapTimer: NodeJS.Timeout | undefined;
  /** Issue 13: this connection's texts and their caches (the server's language until `/lang`). */
  #caches: TextCaches;
  /** Seed 002's `<NAME>` or seed 001's nickname, as the client labels its own messages ("": none). */
  #label = "";
  /** The first message was seed 002's `<NAME> <TEXT>`: later ones are unwrapped. */
  #seed002 = false;
  /** A seed-style connection is being closed by shutdown or kick: `SERVIDOR_ENCERRADO` goes alone. */
  #seedBye = false;

  constructor(socket: net.Socket, opts: TcpOptions, flusher: FlushScheduler) {
    this.socket = socket;
    this.#opts = opts;
    this.#flusher = flusher;
    this.#out = new SocketOutbox(socket, opts.limits.directWrites !== 0 ? directFd(socket) : -1, (err) =>
      this.#writeFailed(err),
    );
    this.remote = formatAddress(socket.remoteAddress, socket.remotePort);
    this.#lineDeadline = new LineDeadline(this, opts.limits.lineTimeoutMs);
    this.#caches = cachesFor(opts.lang ?? "en", opts.texts);
    this.session = opts.chat.open(this);
  }

  get lang(): Lang {
    return this.#caches.lang;
  }

  /** `/lang` (issue 13): what this connection is sent from now on is in `lang`. */
  setLang(lang: Lang): void {
    const texts = lang === (this.#opts.lang ?? "en") ? this.#opts.texts : catalogue(lang).chat;
    this.#caches = cachesFor(lang, texts);
  }

  get mode(): Mode {
    return this.#mode;
  }

  get echo(): boolean {
    return this.#mode === "json";
  }

  // Issue 13: read by the metrics only.
  get transport(): TransportName {
    const mode = this.#mode;
    if (mode === "sniff") return "pending";
    if (mode === "legacy" || (mode === "text" && this.#opts.seedNick)) return "seed";
    return mode;
  }

  get tls(): boolean {
    return (this.socket as tls.TLSSocket).encrypted === true;
  }

  /** Bytes written past Node's stream (direct-write.ts); dead-peer.ts adds them to Node's count. */
  get directBytes(): number {
    return this.#out.directBytes;
  }

  get queuedBytes(): number {
    return this.#gone ? 0 : this.socket.writableLength + this.#out.bytes;
  }

  send(event: ServerEvent): void {
    if (this.#gone || (this.#closing && event.type !== "bye")) return;
    if (event.type === "bye") this.#bye = event.reason;
    if (
      event.type === "bye" &&
      (event.reason === "shutdown" || event.reason === "kicked") &&
      this.#gapRule?.on
    ) {
      // Seed 004's client closes its window only on this exact read (close() sends it, alone).
      this.#seedBye = true;
      return;
    }
    const bytes = this.#encode(event);
    if (bytes.length === 0) return;
    if (
      !this.#overflowed &&
      this.socket.writableLength + this.#out.bytes + bytes.length > this.#opts.limits.maxSendQueueBytes
    ) {
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
      // E27: a socket that throws on write is dropped; the caller's loop (a broadcast's flush)
      // goes on with the next connection.
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
    this.#flusher.forget(this);
    this.#dropHeld();
    clearTimeout(this.#gapTimer);
    if (this.#bye !== undefined && RESET_AT_ONCE.has(this.#bye)) {
      // Issue 9 item 6: a peer that does not read (or is gone) would never take the bye, and a
      // close would leave its unread bytes in FIN-WAIT-1 for minutes: reset.
      this.#out.clear();
      resetSocket(this.socket);
      return;
    }
    this.flush();
    if (this.#seedBye) setTimeout(TcpConnection.#seedByeNow, SEED_BYE_DELAY_MS, this).unref();
    else this.socket.end();
    // A peer that never reads could hold the socket open: reset it after the grace period (a
    // plain destroy would leave what it did not read in FIN-WAIT-1, issue 9 item 6).
    this.#graceTimer = setTimeout(resetSocket, this.#opts.limits.shutdownGraceMs, this.socket).unref();
  }

  static #seedByeNow(conn: TcpConnection): void {
    if (conn.#gone) return;
    conn.socket.end(`${SEED_SHUTDOWN_LINE}\n`);
  }

  /** Wires the socket's events; called once by the listener. */
  attach(): void {
    const socket = this.socket;
    socket.setNoDelay(true);
    // E28: the kernel probes a silent peer; a half-open connection ends in an error and a close.
    socket.setKeepAlive(true, this.#opts.limits.keepAliveMs);
    // One set of listener functions for every socket, which finds its connection through
    // kConnection: a connection at rest holds no closures of its own (issue 5: idle memory).
    (socket as ConnSocket)[kConnection] = this;
    socket.on("data", socketOnData);
    socket.on("end", socketOnEnd);
    socket.on("error", socketOnError);
    socket.on("close", socketOnClose);
    this.#opts.deadPeers?.add(socket, this);
    // A10: wait a moment for the client to speak first. A browser or a TLS client does so at once
    // and must get one explanatory line, not a chat greeting; `nc` users wait for the prompt.
    const delay = this.#opts.limits.greetDelayMs;
    if (!this.session.start({ greet: delay <= 0 && !this.#opts.seedNick })) return;
    if (delay <= 0 && this.#opts.seedNick) TcpConnection.#greetNick(this);
    if (delay > 0) this.#greetTimer = setTimeout(TcpConnection.#greetNow, delay, this).unref();
    else this.#greeted = true;
  }

  /** The socket closed, whatever the cause. */
  onSocketClose(): void {
    this.#gone = true;
    // D24: no timer may keep a closed connection (and its buffers) alive.
    this.#lineDeadline.stop();
    clearTimeout(this.#pingTimer);
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#greetTimer);
    clearTimeout(this.#gapTimer);
    this.#dropHeld();
    this.#flusher.forget(this);
    this.#opts.deadPeers?.remove(this.socket);
    this.#opts.chat.log("info", "disconnect", { remote: this.remote });
    this.session.lost("disconnected");
  }

  /**
   * Issue 9 item 2: our bytes have not been getting through for `deadPeerTimeoutMs` (the peer
   * vanished, or stopped reading altogether). Nothing more can reach it: reset, and the close
   * that follows frees the name.
   */
  onDeadPeer(view: DeadPeerView): void {
    if (this.#gone) return;
    this.#opts.chat.log("info", "dead_peer", {
      remote: this.remote,
      name: this.session.name || undefined,
      view,
    });
    resetSocket(this.socket);
  }

  /** A socket error (a close follows). */
  onSocketError(err: NodeJS.ErrnoException): void {
    this.#opts.chat.log("debug", "socket_error", { remote: this.remote, code: err.code });
  }

  // Timer callbacks are static and get the connection as their argument: a per-connection arrow
  // function would cost each connection a closure (and V8 gives a function named by a private
  // field a 256-byte property dictionary). A fired timer's reference is dropped.
  static #greetNow(conn: TcpConnection): void {
    clearTimeout(conn.#greetTimer);
    conn.#greetTimer = undefined;
    if (conn.#greeted || conn.#closing || conn.#gone) return;
    conn.#greeted = true;
    if (conn.#opts.seedNick) TcpConnection.#greetNick(conn);
    else conn.session.greet();
  }

  /** Seed 001's server speaks first with the bare word `NICK`; its client answers with its nickname. */
  static #greetNick(conn: TcpConnection): void {
    conn.#greeted = true;
    conn.socket.write(SEED_NICK_GREETING);
  }

  #encode(event: ServerEvent): Buffer {
    if (this.#mode === "json") return jsonLineBytes(event);
    // Seed 001's client decodes ASCII only: its own rendering, not the shared cache.
    if (this.#opts.seedNick) {
      const b = this.#renderText(event);
      return b.length ? Buffer.from(asciiSafe(b.toString("utf8"))) : b;
    }
    // A private message reads differently for its sender and its target: not cached.
    if (event.type === "private") return this.#renderText(event);
    // Issue 14: lines from a room that is not the user's current one carry the room's name.
    const other = isRoomEvent(event) && event.room !== this.session.current.name;
    const cache = other ? this.#caches.prefixed : this.#caches.plain;
    let b = cache.get(event);
    if (!b) {
      b = this.#renderText(event, other ? (event as { room: string }).room : undefined);
      cache.set(event, b);
    }
    return b;
  }

  #renderText(event: ServerEvent, room?: string): Buffer {
    textRenders++;
    let shown = event;
    if (event.type === "welcome" && event.users.length > WELCOME_NAMES) {
      const more = event.users.length - WELCOME_NAMES;
      shown = {
        ...event,
        users: [...event.users.slice(0, WELCOME_NAMES), { name: `(+${more})`, address: null }],
      };
    }
    const lines = renderEvent(shown, this.#caches.texts, this.session.name);
    if (lines.length === 0) return EMPTY;
    const text = room === undefined ? lines.join("\n") : lines.map((l) => `[${room}] ${l}`).join("\n");
    return Buffer.from(`${text}\n`);
  }

  /** Bytes from the socket. */
  onSocketData(chunk: Buffer): void {
    if (this.#closing || this.#gone) return;
    this.#lastInput = Date.now();
    if (this.#mode === "sniff") {
      const first = this.#sniffed.length ? Buffer.concat([this.#sniffed, chunk]) : chunk;
      const kind = sniff(first);
      if (kind === "undecided") {
        this.#sniffed = Buffer.from(first);
        // A short name such as "Pedro" with no line end could still be an HTTP method; a quiet gap
        // settles it as text. Never while the seed-000 header check is pending (a digit first).
        const b = first[0] as number;
        if (this.#opts.limits.fragmentGapMs > 0 && !(b >= 0x30 && b <= 0x39) && b !== 0x16) {
          this.#gapRule ??= new QuietGapRule(this.#opts.seedNick === true);
          this.#gapRule.read(chunk, false, true);
          this.#armGap();
        }
        return;
      }
      this.#sniffed = EMPTY;
      clearTimeout(this.#gapTimer);
      if (kind !== "lines") this.#gapRule = null;
      if (kind === "lines" && first[firstNonSpace(first)] === 0x7b && !this.#greeted) {
        // A json client that spoke first greets itself with its `hello`: no text lines before it.
        clearTimeout(this.#greetTimer);
        this.#greeted = true;
      }
      if (kind === "http" || kind === "tls") {
        clearTimeout(this.#greetTimer);
        this.#greeted = true;
        // ROBUSTNESS A10: one explanatory line, then close.
        this.#opts.chat.log("info", "wrong_protocol", { remote: this.remote, kind });
        const text = kind === "http" ? this.#opts.texts.notChat : this.#opts.texts.tlsOnPlainPort;
        this.#closing = true;
        this.socket.end(
          kind === "http"
            ? `HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${text}\n`
            : `${text}\n`,
        );
        this.session.lost("disconnected");
        return;
      }
      // The decoders keep the limits object they are given: one shared object, not one each.
      if (kind === "legacy") {
        this.#mode = "legacy";
        this.#decoder = new FrameDecoder(this.#opts.limits);
      } else {
        this.#mode = "text";
        this.#decoder = new LineDecoder(this.#opts.limits);
      }
      chunk = first;
      TcpConnection.#greetNow(this);
    }
    this.#decode(chunk);
  }

  /** `counted`: false when these bytes were already shown to the quiet-gap rule read by read. */
  #decode(chunk: Buffer, counted = false): void {
    const items = (this.#decoder as LineDecoder | FrameDecoder).push(chunk);
    for (const item of items) {
      if (this.session.closed || !this.#pace(item)) break;
    }
    if (this.#held && this.#held.length > 0 && !this.session.closed) this.#hold();
    if (this.#mode === "text" && this.#gapRule !== null) this.#watchGap(chunk, counted);
    this.#lineDeadline.track((this.#decoder as LineDecoder | FrameDecoder).midLine, items.length > 0);
  }

  /**
   * Issue 10 (the seeds' clients): feeds the quiet-gap rule one read and, while a fragment is
   * pending and the rule may apply, (re)arms the gap timer.
   */
  #watchGap(chunk: Buffer, counted: boolean): void {
    if (this.#opts.limits.fragmentGapMs <= 0) {
      this.#gapRule = null;
      return;
    }
    const decoder = this.#decoder as LineDecoder;
    this.#gapRule ??= new QuietGapRule(this.#opts.seedNick === true);
    const rule = this.#gapRule;
    if (!counted) rule.read(chunk, chunk.includes(0x0a) || chunk.includes(0x0d), decoder.midLine);
    if (!rule.possible) {
      this.#gapRule = null;
      clearTimeout(this.#gapTimer);
      return;
    }
    if (decoder.midLine) this.#armGap();
  }

  #armGap(): void {
    clearTimeout(this.#gapTimer);
    this.#gapTimer = setTimeout(TcpConnection.#onGap, this.#opts.limits.fragmentGapMs, this).unref();
  }

  static #onGap(conn: TcpConnection): void {
    conn.#gapTimer = undefined;
    if (conn.#closing || conn.#gone) return;
    // While flood control holds lines the rest of this fragment may wait unread in the kernel.
    if (conn.#paused) return conn.#armGap();
    if (conn.#mode === "sniff") {
      // Quiet after a few bytes that looked like the start of an HTTP request: it is text.
      const first = conn.#sniffed;
      conn.#sniffed = EMPTY;
      conn.#mode = "text";
      conn.#decoder = new LineDecoder(conn.#opts.limits);
      TcpConnection.#greetNow(conn);
      conn.#decode(first, true);
      if (conn.#gapTimer === undefined) return;
      clearTimeout(conn.#gapTimer);
      conn.#gapTimer = undefined;
    }
    if (conn.#mode !== "text") return;
    conn.#takeFragment(false);
  }

  /**
   * A quiet gap (or the peer's FIN) after a fragment: the rule decides whether it is a line. Never
   * for what could be a json client's first line.
   */
  #takeFragment(atEnd: boolean): void {
    const decoder = this.#decoder as LineDecoder;
    const rule = this.#gapRule;
    if (!rule || !decoder.midLine) return;
    if (!this.#sawLine && decoder.firstByte === 0x7b) return;
    if (!(atEnd ? rule.on : rule.quiet(decoder.pendingBytes))) {
      if (!rule.possible) this.#gapRule = null;
      return;
    }
    const item = decoder.takeFragment();
    if (!item) return;
    this.#lineDeadline.reset();
    // The last message of a client that then closed is handled at once (nothing reads after it).
    if (atEnd) return this.#handleSafe(item);
    if (this.#pace(item) && this.#held && this.#held.length > 0 && !this.session.closed) this.#hold();
  }

  /** The peer finished sending (FIN): a seed-style client's last message may be pending. */
  onSocketEnd(): void {
    if (this.#closing || this.#gone || this.#mode !== "text") return;
    clearTimeout(this.#gapTimer);
    this.#gapTimer = undefined;
    this.#takeFragment(true);
  }

  /**
   * Issue 10 item 2: a line is handled at once while the sender is within its flood budget, and
   * otherwise waits its turn (never dropped). Returns false when the sender's backlog passed a
   * cap and it was disconnected.
   */
  #pace(item: FrameDecoded): boolean {
    const gate = this.session.flood;
    // The first line decides json mode (#line), so it is costed as json if it may be.
    const cost = gate
      ? itemCost(item, this.#mode === "json" || (this.#mode === "text" && !this.#sawLine))
      : 0;
    if (!gate || cost === 0) {
      this.#handleSafe(item);
      return true;
    }
    this.#held ??= new FloodQueue(gate);
    const verdict = this.#held.offer(item, itemBytes(item), cost);
    if (verdict === "now") this.#handleSafe(item);
    else if (verdict === "over") {
      this.#opts.chat.log("warn", "flood", {
        remote: this.remote,
        name: this.session.name || undefined,
        held: this.#held.length,
        heldBytes: this.#held.bytes,
      });
      this.#held.clear();
      this.session.disconnect("flood");
      return false;
    }
    return true;
  }

  /** Lines are held: stop reading, tell the sender once per backlog, wake when the first is due. */
  #hold(): void {
    const held = this.#held as FloodQueue<FrameDecoded>;
    if (!this.#paused) {
      this.#paused = true;
      this.socket.pause();
      this.#opts.chat.counters.refused("flood");
      // Issue 10 item 2: the sender alone learns that its lines go out slowly, and for how long.
      this.send({ type: "throttled", queued: held.length, delayMs: held.lagMs, at: Date.now() });
    }
    if (!this.#heldTimer)
      this.#heldTimer = setTimeout(TcpConnection.#onHeldTimer, held.dueInMs, this).unref();
  }

  static #onHeldTimer(conn: TcpConnection): void {
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
      conn.#heldTimer = setTimeout(TcpConnection.#onHeldTimer, held.dueInMs, conn).unref();
      return;
    }
    conn.#paused = false;
    conn.send({ type: "throttled", queued: 0, delayMs: 0, at: Date.now() });
    // A line the pause cut in two gets its full `lineTimeoutMs` again from now (A4).
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

  #handleSafe(item: FrameDecoded): void {
    try {
      this.#handle(item);
    } catch (err) {
      // ROBUSTNESS F30: a bug in one handler costs that client one line, not the process.
      this.#opts.chat.log("error", "handler_failed", {
        remote: this.remote,
        error: String((err as Error)?.stack ?? err),
      });
      try {
        this.session.send(errorEvent("internal", {}));
      } catch {
        this.session.fail();
      }
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

  /**
   * ROBUSTNESS E28: json mode is pinged after `pingIntervalMs` without input; no input within
   * `pingTimeoutMs` of the ping means a dead peer (the kernel's keepalive takes minutes).
   */
  #armPing(ms: number): void {
    this.#pingTimer = setTimeout(TcpConnection.#onPingTimer, ms, this).unref();
  }

  static #onPingTimer(conn: TcpConnection): void {
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
    conn.send(PING);
    conn.#armPing(pingTimeoutMs);
  }

  #handle(item: FrameDecoded): void {
    const session = this.session;
    switch (item.kind) {
      case "line":
        return this.#line(item.text);
      // D21: a flood of bad lines must not become a flood of answers.
      // D21: bad lines are paced like the others, so a flood of them is not answered by a flood.
      case "too_long":
        session.send(errorEvent("line_too_long", { limit: item.limit }));
        return;
      case "invalid_utf8":
        session.send(errorEvent("invalid_utf8", {}));
        return;
      case "overflow":
        return session.disconnect("line_overflow");
      case "bad_frame":
        return session.disconnect("bad_frame");
    }
  }

  #line(text: string): void {
    const session = this.session;
    if (!this.#sawLine && text.trim().length > 0) {
      this.#sawLine = true;
      // The first line decides json mode (docs/protocol.md §1).
      if (this.#mode === "text" && text.trimStart().startsWith("{")) {
        this.#mode = "json";
        clearTimeout(this.#gapTimer);
        this.#gapRule = null;
        if (this.#opts.limits.pingIntervalMs > 0) this.#armPing(this.#opts.limits.pingIntervalMs);
      } else if (this.#mode === "text") {
        // Issue 10: seed 001 answers NICK with its nickname, seed 002 sends `<NAME> <TEXT>` first;
        // both then label every message with that name.
        if (this.#opts.seedNick) this.#label = text.trim();
        else {
          const first = parseSeed002(text);
          if (first) {
            this.#seed002 = true;
            this.#label = first.name;
          }
        }
        if (this.#label) return this.#seedLine(text);
      }
    }
    if (this.#mode === "legacy" && text.trim() === LEGACY_DISCONNECT) return session.quit();
    if (this.#mode === "text" && this.#label) return this.#seedLine(text);
    if (this.#mode !== "json") return session.line(text);
    // One dispatcher for TCP json lines and WebSocket messages: one schema (docs/protocol.md §5).
    handleJsonRequest(session, text);
  }

  /** A line from a seed 001 or 002 client: its own label taken off (docs/protocol.md §2). */
  #seedLine(text: string): void {
    const session = this.session;
    if (!this.#seed002) {
      // Seed 001: the first line is the nickname; later ones are `nickname: text`.
      if (!session.registered && text.trim() === this.#label) return session.line(text);
      return session.line(stripOwnLabel(text, this.#label));
    }
    const m = parseSeed002(text);
    // Only the client's own name is taken off; anything else is said as it is.
    if (!m || m.name !== this.#label) return session.line(text);
    if (!session.registered) {
      session.line(m.name);
      if (!session.registered) return;
    }
    if (m.text) session.line(m.text);
  }
}

const kConnection = Symbol("papo.connection");
type ConnSocket = net.Socket & { [kConnection]: TcpConnection };

function socketOnData(this: ConnSocket, chunk: Buffer): void {
  this[kConnection].onSocketData(chunk);
}

function socketOnEnd(this: ConnSocket): void {
  this[kConnection].onSocketEnd();
}

function socketOnError(this: ConnSocket, err: NodeJS.ErrnoException): void {
  this[kConnection].onSocketError(err);
}

function socketOnClose(this: ConnSocket): void {
  this[kConnection].onSocketClose();
}

/**
 * Cuts reset at once: the peer is not taking our bytes, so the bye could never reach it. Other
 * punishments (flood, ping_timeout, ...) send their bye and are reset after the grace period if
 * the peer has not taken it by then.
 */
const RESET_AT_ONCE: ReadonlySet<ByeReason> = new Set<ByeReason>(["send_queue_exceeded"]);

function firstNonSpace(b: Buffer): number {
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  return i;
}

/** A TCP listener feeding the chat. */
export function createTcpServer(opts: TcpOptions): net.Server {
  const flusher = listenerFlusher(opts.limits, true);
  const server = net.createServer({ noDelay: true, keepAlive: true });
  const banned = bannedInFlight(opts.limits);
  server.on("connection", function serverOnConnection(socket) {
    if (refuseIfBanned(socket, opts, banned)) return;
    const conn = new TcpConnection(socket, opts, flusher);
    opts.chat.log("info", "connect", { remote: conn.remote });
    conn.attach();
  });
  return server;
}

/**
 * The same protocol over TLS, on its own port (docs/protocol.md §1): the server speaks first (the
 * greeting), so TLS cannot be detected on the plain port without making `nc` users wait. The
 * admission rules of the handshake are tls-listener.ts's, shared with IRC over TLS.
 */
export function createTlsServer(
  opts: TcpOptions,
  secure: { cert: string | Buffer; key: string | Buffer },
): tls.Server {
  // TLS: Node encrypts every byte, nothing goes past it.
  const flusher = listenerFlusher(opts.limits, false);
  const banned = bannedInFlight(opts.limits);
  return createSecureListener(opts, secure, function tlsServerOnConnection(socket: tls.TLSSocket) {
    if (refuseIfBanned(socket, opts, banned)) return;
    const conn = new TcpConnection(socket, opts, flusher);
    opts.chat.log("info", "connect", { remote: conn.remote, tls: socket.getProtocol() ?? undefined });
    conn.attach();
  });
}
