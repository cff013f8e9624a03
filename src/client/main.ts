/**
 * `papo connect` (S12): the I/O shell around the pure session. It owns the socket, the terminal,
 * the timers and reconnection; every decision about what the protocol means is in session.ts.
 *
 * Exit codes: 0 when the user leaves (`/quit`, Ctrl-C, Ctrl-D, end of input), or the server shuts
 * down with `--no-reconnect`; 1 when there is no server, the connection is lost with
 * `--no-reconnect`, or the server ends the session for good (kicked, flood, ...); 2 for a bad option.
 *
 * Reconnection (issue 10 item 3): when the connection drops, or the server says it is shutting
 * down (operators restart), the client tries again until the user quits, with doubling delays
 * from 1 s capped at RECONNECT_MAX_DELAY_MS; the prompt counts down (Enter on an empty line tries
 * at once), and the session resumes (session.ts). `--no-reconnect` turns this off.
 * PAPO_RECONNECT_DELAY_MS sets the first delay (tests use a few milliseconds).
 *
 * A dead link (no FIN: a cable pulled, a NAT that forgot us) sends nothing, so the client asks:
 * after PING_IDLE_MS without a byte from the server it sends a json `ping`, and if nothing at all
 * comes within PING_TIMEOUT_MS it drops the connection and reconnects. So a dead link is noticed
 * within PING_IDLE_MS + PING_TIMEOUT_MS (25 s); PAPO_PING_MS and PAPO_PING_TIMEOUT_MS set them.
 */

import { catalogue } from "../i18n/index.ts";
import { LineDecoder } from "../protocol/line-decoder.ts";
import { sanitizeText } from "../protocol/sanitize.ts";
import { formatTarget } from "./address.ts";
import { makeColors, shouldUseColor } from "./colors.ts";
import { complete } from "./complete.ts";
import { createFormatter } from "./format.ts";
import { Heartbeat } from "./heartbeat.ts";
import { describeNetError, NOT_PAPO } from "./net-errors.ts";
import { parseConnectArgs } from "./options.ts";
import { ClientSession, type Effect, EXIT_FAILURE, EXIT_OK } from "./session.ts";
import { createTerminal, type Terminal } from "./terminal.ts";
import { openSocket, tlsProblem } from "./tls.ts";

/** A connect attempt that has not succeeded by then fails with "timed out". */
export const CONNECT_TIMEOUT_MS = 10_000;
/** How long to wait for the server's `bye` after `/quit` before leaving anyway. */
export const QUIT_TIMEOUT_MS = 3_000;
export const RECONNECT_BASE_DELAY_MS = 1_000;
/** The longest wait between two attempts: a restarted server is found within this long. */
export const RECONNECT_MAX_DELAY_MS = 30_000;
/** Milliseconds without a byte from the server after which the client sends a `ping`. */
export const PING_IDLE_MS = 15_000;
/** Milliseconds to wait for any byte after that `ping` before the link counts as dead. */
export const PING_TIMEOUT_MS = 10_000;

/** Runs the client; resolves to the process exit code. */
export async function runConnect(args: string[]): Promise<number> {
  const parsed = parseConnectArgs(args);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.message}\n`);
    return 2;
  }
  const { options, texts } = parsed;
  if (options.help) {
    process.stdout.write(texts.usage);
    return EXIT_OK;
  }
  // A closed stdout (`papo connect | head`) must not crash the client with EPIPE.
  process.stdout.on("error", () => {});

  // Issue 12: several addresses (the nodes of a cluster) are tried in turn; `address` is the
  // one in use, for the status lines.
  const targets = options.targets;
  let current = 0;
  let address = formatTarget(targets[0] ?? options);
  const colors = makeColors(
    shouldUseColor({ noColorFlag: options.noColor, env: process.env, isTTY: Boolean(process.stdout.isTTY) }),
  );
  // Issue 13: lines wrap to the terminal's width, read for each event (Node updates `columns` on
  // SIGWINCH, so a resize applies to the next line); piped output is not wrapped.
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const formatter = createFormatter({
    colors,
    chat: catalogue(options.lang).chat,
    client: texts,
    width: () => (interactive ? process.stdout.columns : undefined),
  });
  // Item 8: from the environment only, never an option, so it does not show in `ps`.
  const password = process.env.PAPO_PASSWORD;
  const session = new ClientSession({
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(password ? { password } : {}),
    formatter,
    texts,
  });
  const baseDelay = envMs("PAPO_RECONNECT_DELAY_MS", RECONNECT_BASE_DELAY_MS);
  const pingIdle = envMs("PAPO_PING_MS", PING_IDLE_MS);
  const pingTimeout = envMs("PAPO_PING_TIMEOUT_MS", PING_TIMEOUT_MS);

  return new Promise<number>((resolve) => {
    let socket: ReturnType<typeof openSocket>["socket"] | undefined;
    /** Some connection got as far as the server's `hello` (so later failures are reconnects). */
    let everGreeted = false;
    let attempt = 0;
    let finished = false;
    let interrupts = 0;
    let quitTimer: NodeJS.Timeout | undefined;
    let retryTimer: NodeJS.Timeout | undefined;
    let countdownTimer: NodeJS.Timeout | undefined;
    let heartbeat: Heartbeat | undefined;
    /** The chat prompt (`ana> `, `#geral> `), kept to put the offline countdown in front of it. */
    let chatPrompt = "";

    const terminal: Terminal = createTerminal({
      input: process.stdin,
      output: process.stdout,
      completer: (before) =>
        complete(before, session.state.users, session.state.self, undefined, session.knownRooms),
      // What was typed stays on the screen until the server's echo confirms it (`acked`).
      onLine: (line) => apply(session.input(line)),
      onEnd: () => apply(session.leave()),
      onInterrupt: () => {
        // A second Ctrl-C does not wait for the server any more.
        if (++interrupts > 1) finish(EXIT_OK);
        else apply(session.leave());
      },
    });

    function apply(effects: Effect[]): void {
      for (const effect of effects) {
        if (finished) return;
        switch (effect.kind) {
          case "send":
            if (socket && !socket.destroyed && socket.writable)
              socket.write(`${JSON.stringify(effect.request)}\n`);
            break;
          case "print":
            terminal.print(effect.lines);
            break;
          case "prompt":
            if (effect.mode === "chat") {
              chatPrompt = `${effect.room ?? effect.self}> `;
              terminal.setPrompt(chatPrompt);
            } else if (effect.mode === "name") terminal.setPrompt(texts.namePrompt);
            else terminal.setPrompt(texts.passwordPrompt, true);
            break;
          case "bell":
            if (options.bell) terminal.bell();
            break;
          case "acked":
            terminal.eraseEntered(effect.typed);
            break;
          case "keep":
            terminal.remember(effect.text);
            break;
          case "lost":
            // A `bye` (shutdown, ...) was printed already; a silent close gets its line.
            if (effect.reason === undefined)
              terminal.print([formatter.status(texts.connectionLost({ address }))]);
            stopHeartbeat();
            socket?.destroy();
            if (options.reconnect) retry();
            else finish(effect.reason === "shutdown" ? EXIT_OK : EXIT_FAILURE);
            break;
          case "retry":
            if (retryTimer !== undefined) {
              clearTimeout(retryTimer);
              retryTimer = undefined;
              clearInterval(countdownTimer);
              connect();
            }
            break;
          case "done":
            finish(effect.code);
            break;
        }
      }
      if (session.quitting && !quitTimer && !finished) {
        quitTimer = setTimeout(() => {
          terminal.print([formatter.status(texts.quitTimeout)]);
          finish(EXIT_OK);
        }, QUIT_TIMEOUT_MS);
      }
    }

    function connect(): void {
      const decoder = new LineDecoder({ maxLineBytes: 8 * 1024 * 1024, maxPendingBytes: 16 * 1024 * 1024 });
      let opened = false;
      let greeted = false;
      let lastError: unknown;
      /** A text line that came instead of a greeting, e.g. a refusal (server full, ...). */
      let refusal: string | undefined;
      const target = targets[current] ?? options;
      address = formatTarget(target);
      const { socket: s, readyEvent } = openSocket(target.host, target.port, options);
      socket = s;
      s.setNoDelay(true);
      // Idle timeout until the server's json `hello`: first for the TCP (or TLS) connect, then
      // for an answer, so a port held by some other service fails clearly instead of hanging.
      s.setTimeout(CONNECT_TIMEOUT_MS, () => {
        if (!opened) s.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }));
        else if (!greeted) s.destroy(Object.assign(new Error("not a papo server"), { code: NOT_PAPO }));
      });
      s.on(readyEvent, () => {
        opened = true;
        if (everGreeted) {
          terminal.print([formatter.status(texts.reconnected({ address }))]);
          if (chatPrompt) terminal.setPrompt(chatPrompt);
        }
        apply(session.connected());
      });
      s.on("data", (chunk: Buffer) => {
        // A connection given up on (a dead link) may still deliver: it is not ours any more.
        if (socket !== s) return;
        heartbeat?.received();
        for (const d of decoder.push(chunk)) {
          if (d.kind === "line") {
            // Connection limits refuse before the greeting with one text-mode line (protocol §1),
            // which has the "*** " shape of a disconnection notice (§2).
            if (!greeted && d.text.startsWith("*** ")) refusal = sanitizeText(d.text.slice(4)).trim();
            apply(session.serverLine(d.text));
          } else if (d.kind === "overflow") s.destroy(); // not a papo server, or a broken one
          if (finished || s.destroyed) return;
          if (!greeted && session.greeted) {
            greeted = true;
            everGreeted = true;
            attempt = 0;
            s.setTimeout(0);
            startHeartbeat(s);
          }
        }
      });
      s.on("error", (err) => {
        lastError = err;
      });
      s.on("close", () => {
        if (finished || socket !== s) return;
        stopHeartbeat();
        if (greeted) apply(session.disconnected());
        else if (!everGreeted) {
          // S12: no server. One line on stderr, naming where and why; no stack trace. With a
          // list of addresses, the next one is tried first; the line names them all.
          const reason = refusal || (lastError ? describe(lastError) : texts.reasons.closed);
          if (current + 1 < targets.length) {
            current++;
            return connect();
          }
          const all = targets.length > 1 ? targets.map(formatTarget).join(", ") : address;
          process.stderr.write(`${texts.cannotConnect({ address: all, reason })}\n`);
          finish(EXIT_FAILURE);
        } else retry();
      });
    }

    function startHeartbeat(s: NonNullable<typeof socket>): void {
      stopHeartbeat();
      heartbeat = new Heartbeat({
        idleMs: pingIdle,
        timeoutMs: pingTimeout,
        ping: () => {
          if (s.writable) s.write(`${JSON.stringify({ type: "ping" })}\n`);
        },
        dead: (silentMs) => {
          const seconds = Math.round(silentMs / 1000);
          terminal.print([formatter.status(texts.linkDead({ address, seconds }))]);
          s.destroy(); // `close` follows: lost, then reconnect
        },
      });
    }

    function stopHeartbeat(): void {
      heartbeat?.stop();
      heartbeat = undefined;
    }

    function retry(): void {
      // The user asked to leave while we were offline: no point in trying again.
      if (session.quitting) return finish(EXIT_OK);
      if (retryTimer !== undefined) return; // one attempt at a time
      attempt++;
      // The next address of the list (a cluster's other node) takes over from a lost one.
      current = (current + 1) % targets.length;
      address = formatTarget(targets[current] ?? options);
      const delay = Math.min(baseDelay * 2 ** Math.min(attempt - 1, 30), RECONNECT_MAX_DELAY_MS);
      const seconds = Math.round(delay / 100) / 10;
      terminal.print([formatter.status(texts.reconnecting({ address, seconds, attempt }))]);
      const due = Date.now() + delay;
      const countdown = () => {
        const left = Math.max(0, Math.ceil((due - Date.now()) / 1000));
        if (chatPrompt) terminal.setPrompt(`${texts.offlinePrompt({ seconds: left })}${chatPrompt}`);
      };
      if (terminal.interactive) {
        countdown();
        clearInterval(countdownTimer);
        countdownTimer = setInterval(countdown, 1000);
      }
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        clearInterval(countdownTimer);
        connect();
      }, delay);
    }

    function describe(err: unknown): string {
      const problem = tlsProblem(err);
      return problem ? texts.tlsReasons[problem] : describeNetError(err, texts.reasons);
    }

    function finish(code: number): void {
      if (finished) return;
      finished = true;
      clearTimeout(quitTimer);
      clearTimeout(retryTimer);
      clearInterval(countdownTimer);
      stopHeartbeat();
      socket?.destroy();
      terminal.close();
      // Backstop: if anything still holds the event loop (a stdin pipe left open by the parent),
      // exit anyway. Unref'd, so it never delays a process that can end on its own.
      setTimeout(() => process.exit(code), 1000).unref();
      resolve(code);
    }

    if (options.tls && options.insecure) terminal.print([formatter.status(texts.insecureWarning)]);
    connect();
  });
}

/** A positive number of milliseconds from the environment, or `fallback`. */
function envMs(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
