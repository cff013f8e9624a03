/**
 * The page (seed 004's GUI, S13): a name screen, then the room — message pane, user list, input
 * and a Leave ("Sair") button — with dialogs for an unreachable server (S12) and a shutdown (S11).
 * Every user-supplied string is a text child, never HTML.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ChatTexts, Lang } from "../../i18n/types.ts";
import type { WebTexts } from "../../i18n/web.ts";
import type { ServerEvent, UserInfo } from "../../protocol/events.ts";
import { mentions } from "../../protocol/mention.ts";
import { renderError, renderEvent } from "../../protocol/text-render.ts";
import {
  type ChatClient,
  type ClientState,
  type Dialog,
  type Item,
  type Outgoing,
  type RoomView,
  viewRoom,
} from "./client.ts";
import { NameColours } from "./colours.ts";
import { type Cycle, InputHistory, tabComplete } from "./compose.ts";
import { LANGS, plain, texts } from "./lang.ts";
import { linkify } from "./links.ts";
import { terminalCommand } from "./terminal-hint.ts";

export interface AppProps {
  client: ChatClient;
  lang: Lang;
  onLang(lang: Lang): void;
  /** The name used last time, to fill the name field (read each time the name screen opens). */
  lastName(): string;
  onName(name: string): void;
  /** Issue 13: the user sent something (a user action: the moment to ask for notifications). */
  onSend?(): void;
}

function useClient(client: ChatClient): ClientState {
  const [state, setState] = useState(client.state);
  useEffect(() => client.subscribe(setState), [client]);
  return state;
}

export function App({ client, lang, onLang, lastName, onName, onSend }: AppProps) {
  const state = useClient(client);
  const t = useMemo(() => texts(lang), [lang]);
  // What is being typed outlives reconnections and a return to the name screen (issue 10 item 3).
  const [draft, setDraft] = useState("");
  // Issue 13: what was sent, for Up/Down; kept for the page's life like the draft.
  const [history] = useState(() => new InputHistory());
  usePresentColours(state.rooms);
  // Issue 10 item 3: while the page reconnects the conversation stays usable (read, type, send:
  // messages wait in the outbox), so the dialog is a banner in the page, not a modal over it.
  const banner = state.screen === "chat" && state.dialog !== null && "retryAt" in state.dialog;

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  useEffect(() => {
    const base = state.me ? `${state.me} · ${t.page.appName}` : t.page.appName;
    document.title = state.unread ? t.page.unreadTitle({ count: state.unread, title: base }) : base;
  }, [state.unread, state.me, t]);
  useEffect(() => {
    const onVisible = () => {
      if (!document.hidden) client.visible();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, [client]);

  const langSwitch = <LangSwitch lang={lang} onLang={onLang} label={t.page.languageLabel} />;
  return (
    <div class="app">
      {state.screen === "name" ? (
        <NameScreen
          state={state}
          t={t.page}
          chat={t.chat}
          client={client}
          lastName={lastName}
          onName={onName}
        >
          {langSwitch}
        </NameScreen>
      ) : (
        <ChatScreen
          state={state}
          t={t.page}
          chat={t.chat}
          client={client}
          lang={lang}
          draft={draft}
          setDraft={setDraft}
          history={history}
          onSend={onSend}
          banner={
            banner &&
            state.dialog && (
              <DialogView dialog={state.dialog} t={t.page} chat={t.chat} client={client} banner />
            )
          }
        >
          {langSwitch}
        </ChatScreen>
      )}
      {state.dialog && !banner && (
        <DialogView dialog={state.dialog} t={t.page} chat={t.chat} client={client} banner={false} />
      )}
    </div>
  );
}

function LangSwitch({ lang, onLang, label }: { lang: Lang; onLang(l: Lang): void; label: string }) {
  return (
    <select
      class="lang"
      aria-label={label}
      value={lang}
      onChange={(e) => onLang((e.currentTarget as HTMLSelectElement).value as Lang)}
    >
      {LANGS.map((l) => (
        <option key={l} value={l}>
          {texts(l).page.langName}
        </option>
      ))}
    </select>
  );
}

interface ScreenProps {
  state: ClientState;
  t: WebTexts;
  chat: ChatTexts;
  client: ChatClient;
  children: ComponentChildren;
}

function NameScreen({
  state,
  t,
  chat,
  client,
  lastName,
  onName,
  children,
}: ScreenProps & { lastName(): string; onName(name: string): void }) {
  const [name, setName] = useState(lastName);
  const [password, setPassword] = useState("");
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  // S5: the server's refusal, in the catalogue's words, right under the field; then try again.
  useEffect(() => {
    if (state.nameError) input.current?.select();
  }, [state.nameError]);
  const error = state.nameError ? plain(renderError(state.nameError, chat)) : null;
  const status =
    state.online !== null && state.link === "open"
      ? t.onlineCount({ count: state.online })
      : state.link === "connecting"
        ? t.connecting
        : "";
  return (
    <main class="name-screen">
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          if (!name.trim() || state.joining) return;
          onName(name.trim());
          client.join(name, state.needPassword ? password : undefined);
        }}
      >
        <div class="card-head">
          <h1 class="brand">{t.appName}</h1>
          {children}
        </div>
        <p class="tagline">{t.tagline}</p>
        <label for="name">{t.nameLabel}</label>
        <input
          id="name"
          ref={input}
          value={name}
          onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
          placeholder={t.namePlaceholder}
          autocomplete="nickname"
          autocapitalize="off"
          spellcheck={false}
          enterkeyhint="go"
          aria-invalid={error ? "true" : "false"}
          aria-describedby={error ? "name-error" : "name-help"}
        />
        {error ? (
          <p id="name-error" class="name-error" role="alert">
            {error}
          </p>
        ) : (
          <p id="name-help" class="hint">
            {t.nameRules}
          </p>
        )}
        {state.needPassword && (
          <>
            <label for="password">{t.passwordLabel}</label>
            <input
              id="password"
              type="password"
              value={password}
              onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)}
              autocomplete="current-password"
              aria-invalid={state.passwordRefused ? "true" : "false"}
            />
            {state.passwordRefused && (
              <p class="name-error" role="alert">
                {plain(chat.bye.bad_password({}))}
              </p>
            )}
          </>
        )}
        <button type="submit" class="primary" disabled={state.joining || !name.trim()}>
          {state.joining ? t.joining : t.join}
        </button>
        <p class="status" aria-live="polite">
          {status}
        </p>
      </form>
      <TerminalHint t={t} />
    </main>
  );
}

/** Issue 13 item 1: how to join from a terminal with the client file this server serves. */
function TerminalHint({ t }: { t: WebTexts }) {
  const [command, setCommand] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    fetch(new URL("connect.json", location.href))
      .then((r) => (r.ok ? r.json() : null))
      .then((info: unknown) => {
        if (live) setCommand(terminalCommand(location.href, info));
      })
      // No hint from a server that does not say: the page works the same.
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);
  if (!command) return null;
  return (
    <p class="hint terminal-hint">
      {t.terminalHint} <code>{command}</code>
    </p>
  );
}

/** Issue 13: the page's name colours (see colours.ts): distinct among the people present. */
const nameColours = new NameColours();

function colour(name: string): string {
  return `nc${nameColours.colour(name)}`;
}

/** Tells the name colours who is present (every room's members) whenever a member list changes. */
function usePresentColours(rooms: readonly { users: readonly UserInfo[] }[]): void {
  const last = useRef<readonly (readonly UserInfo[])[]>([]);
  const lists = rooms.map((r) => r.users);
  if (lists.length === last.current.length && lists.every((l, i) => l === last.current[i])) return;
  last.current = lists;
  nameColours.update(lists.flatMap((l) => l.map((u) => u.name)));
}

/** Issue 13: message text with its http(s) links clickable; everything else stays text. */
function Linked({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((seg, i) =>
        "href" in seg ? (
          <a key={i} href={seg.href} target="_blank" rel="noopener noreferrer">
            {seg.text}
          </a>
        ) : (
          seg.text
        ),
      )}
    </>
  );
}

function ChatScreen({
  state,
  t,
  chat,
  client,
  lang,
  draft,
  setDraft,
  history,
  onSend,
  children,
  banner,
}: ScreenProps & {
  lang: Lang;
  draft: string;
  setDraft(d: string): void;
  history: InputHistory;
  onSend: (() => void) | undefined;
  banner: ComponentChildren;
}) {
  const [showUsers, setShowUsers] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const cycle = useRef<Cycle | null>(null);
  useEffect(() => input.current?.focus(), []);
  const room = viewRoom(state);
  const users = room?.users ?? [];
  const startPrivate = (name: string) => {
    if (name === state.me) return;
    // Clicking a name starts a private message, as typing `@name ` would.
    setDraft(`@${name} `);
    setShowUsers(false);
    input.current?.focus();
  };
  const outbox = room ? state.outbox.filter((o) => o.room.toLowerCase() === room.name.toLowerCase()) : [];
  /** Puts text in the field with the cursor at `cursor` (Tab, Up, Down). */
  const setField = (el: HTMLInputElement, value: string, cursor: number) => {
    el.value = value;
    el.setSelectionRange(cursor, cursor);
    setDraft(value);
  };
  // Issue 13: Tab completes names, rooms and commands (again: the next one); Up/Down recall.
  const onKeyDown = (e: KeyboardEvent) => {
    const el = e.currentTarget as HTMLInputElement;
    if (e.isComposing || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "Tab") {
      const lobby = state.rooms[0]?.users ?? [];
      const done = tabComplete(
        { value: el.value, cursor: el.selectionStart ?? el.value.length },
        {
          users: [...users, ...lobby].map((u) => u.name),
          self: state.me,
          rooms: [...state.rooms.map((r) => r.name), ...state.knownRooms],
        },
        cycle.current,
        e.shiftKey ? -1 : 1,
      );
      cycle.current = done?.cycle ?? null;
      // Nothing to complete: Tab moves the focus as usual (keyboard users are not trapped).
      if (!done) return;
      e.preventDefault();
      setField(el, done.field.value, done.field.cursor);
    } else if ((e.key === "ArrowUp" || e.key === "ArrowDown") && !e.shiftKey) {
      const line = e.key === "ArrowUp" ? history.up(el.value) : history.down();
      if (line === null) return;
      e.preventDefault();
      setField(el, line, line.length);
    }
  };
  return (
    <div class="chat">
      <header class="topbar">
        <h1 class="brand">{t.appName}</h1>
        <span class="me" title={state.address ?? undefined}>
          {state.me}
          {state.address && <span class="addr"> · {state.address}</span>}
        </span>
        {/* Issue 13: your own away state (`/away`, `/back`). */}
        {state.away !== null && (
          <span class="away-state" title={t.awayHint({ text: state.away })}>
            {t.awayHint({ text: state.away })}
          </span>
        )}
        <span class="spacer" />
        <button
          type="button"
          class="users-toggle"
          aria-expanded={showUsers}
          aria-controls="users"
          onClick={() => setShowUsers(!showUsers)}
        >
          {t.usersToggle({ count: users.length })}
        </button>
        {children}
        <button type="button" class="leave-button" title={t.leaveTitle} onClick={() => client.leave()}>
          {t.leave}
        </button>
      </header>
      <div class="banner-slot">{banner}</div>
      <div class="body">
        <RoomList state={state} t={t} client={client} />
        <section class="room-main" aria-label={room?.name}>
          <header class="room-head">
            <h2 class="room-name">{room?.name}</h2>
            {room?.topic && (
              <span class="topic">
                <Linked text={room.topic} />
              </span>
            )}
          </header>
          {room && (
            <MessagePane
              key={room.name}
              room={room}
              outbox={outbox}
              me={state.me}
              t={t}
              chat={chat}
              lang={lang}
              client={client}
              onName={startPrivate}
            />
          )}
        </section>
        <aside id="users" class={showUsers ? "users open" : "users"} aria-label={t.usersTitle}>
          <h2>
            {t.usersTitle} ({users.length})
          </h2>
          <ul>
            {users.map((u) => (
              <li key={u.name} class={u.away !== undefined ? "away" : undefined}>
                <button
                  type="button"
                  class={`user ${colour(u.name)}`}
                  disabled={u.name === state.me}
                  onClick={() => startPrivate(u.name)}
                  title={u.away !== undefined ? t.awayHint({ text: u.away }) : undefined}
                >
                  {u.name}
                  {u.name === state.me && <span class="you"> ({t.you})</span>}
                </button>
                {/* Issue 13: who is away, with their message. */}
                {u.away !== undefined && <span class="away-hint">{t.awayHint({ text: u.away })}</span>}
                {/* S6: each user's address, when the operator shows addresses. */}
                {u.address && <span class="addr">{u.address}</span>}
              </li>
            ))}
          </ul>
        </aside>
      </div>
      {state.throttled && <SendingSlowly held={state.throttled} t={t} />}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          if (!draft.trim()) return;
          // Issue 10 item 3: offline, the message waits in the outbox (shown in the pane) and
          // goes when the connection is back; the field is never cleared of something lost.
          client.say(draft);
          history.push(draft);
          setDraft("");
          onSend?.();
        }}
      >
        <input
          ref={input}
          aria-label={t.messageLabel}
          placeholder={
            state.link === "open" ? t.messagePlaceholder({ room: room?.name ?? "" }) : t.offlinePlaceholder
          }
          value={draft}
          onInput={(e) => setDraft((e.currentTarget as HTMLInputElement).value)}
          onKeyDown={onKeyDown}
          autocomplete="off"
          enterkeyhint="send"
        />
        <button type="submit" class="primary" disabled={!draft.trim()}>
          {t.send}
        </button>
      </form>
    </div>
  );
}

/** The rooms the user is in, with unread counts; a strip of chips on a phone. Join or leave here. */
function RoomList({ state, t, client }: { state: ClientState; t: WebTexts; client: ChatClient }) {
  const [name, setName] = useState("");
  const shown = viewRoom(state)?.name;
  return (
    <nav class="rooms" aria-label={t.roomsTitle}>
      <h2>{t.roomsTitle}</h2>
      <ul>
        {state.rooms.map((r, i) => (
          <li key={r.name} class={r.name === shown ? "room current" : "room"}>
            <button
              type="button"
              class="room-button"
              aria-current={r.name === shown ? "true" : undefined}
              onClick={() => client.show(r.name)}
            >
              <span class="room-label">{r.name}</span>
              {/* Issue 13: messages naming you, apart from the unread count. */}
              {r.mentions > 0 && (
                <span class="mention-badge" title={t.mentionsIn({ count: r.mentions })}>
                  @{r.mentions}
                </span>
              )}
              {r.unread > 0 && (
                <span class="unread" title={t.unreadIn({ count: r.unread })}>
                  {r.unread}
                </span>
              )}
            </button>
            {/* The lobby is where everyone is: it cannot be left (only the chat). */}
            {i > 0 && (
              <button
                type="button"
                class="part"
                aria-label={t.leaveRoom({ room: r.name })}
                title={t.leaveRoom({ room: r.name })}
                onClick={() => client.partRoom(r.name)}
              >
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      <form
        class="join-room"
        onSubmit={(e) => {
          e.preventDefault();
          if (!name.trim()) return;
          client.joinRoom(name);
          setName("");
        }}
      >
        <input
          aria-label={t.joinRoomLabel}
          placeholder={t.joinRoomPlaceholder}
          value={name}
          onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          enterkeyhint="go"
        />
        <button type="submit" disabled={!name.trim()}>
          {t.joinRoomButton}
        </button>
      </form>
    </nav>
  );
}

/**
 * Issue 10 item 2: the server delays a long paste instead of dropping it; this says so, with a
 * countdown to when the last message should be out.
 */
function SendingSlowly({ held, t }: { held: { queued: number; until: number }; t: WebTexts }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  const seconds = Math.max(0, Math.ceil((held.until - Date.now()) / 1000));
  return (
    <p class="sending-slowly" role="status">
      {t.sendingSlowly({ queued: held.queued, seconds })}
    </p>
  );
}

interface PaneProps {
  room: RoomView;
  outbox: Outgoing[];
  me: string | null;
  t: WebTexts;
  chat: ChatTexts;
  lang: Lang;
  client: ChatClient;
  onName(name: string): void;
}

/** Within this many pixels of the bottom counts as "reading the newest". */
const STICK_PX = 48;

function MessagePane({ room, outbox, me, t, chat, lang, client, onName }: PaneProps) {
  const pane = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const last = useRef<{ first?: number; end?: string; height: number }>({ height: 0 });
  const [behind, setBehind] = useState(false);
  const time = useMemo(
    () => new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
    [lang],
  );
  const items = room.items;
  // The newest line: the last item, or a message of one's own still waiting below it.
  const end = `${items.at(-1)?.id}/${outbox.at(-1)?.cid}`;
  // Stay on the newest message unless the user scrolled up to read; then offer a way down. Older
  // lines put on top ("load older") keep what the reader was looking at in place.
  useLayoutEffect(() => {
    const el = pane.current;
    if (!el) return;
    const before = last.current;
    const first = items[0]?.id;
    if (stick.current) el.scrollTop = el.scrollHeight;
    else if (before.first !== undefined && first !== before.first && before.end === end)
      el.scrollTop += el.scrollHeight - before.height;
    else if (before.end !== end) setBehind(true);
    last.current = { first, end, height: el.scrollHeight };
  }, [items, end]);
  const onScroll = () => {
    const el = pane.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
    if (stick.current) setBehind(false);
    // Issue 14: scrolled to the top, older lines come in above.
    if (el.scrollTop < 8 && room.more && !stick.current) client.loadOlder(room.name);
  };
  const toBottom = () => {
    const el = pane.current;
    if (!el) return;
    stick.current = true;
    el.scrollTop = el.scrollHeight;
    setBehind(false);
  };
  return (
    <div class="pane-wrap">
      <div class="pane" ref={pane} onScroll={onScroll} role="log" aria-live="polite">
        {room.more ? (
          <button
            type="button"
            class="load-older"
            disabled={room.loadingOlder}
            onClick={() => client.loadOlder(room.name)}
          >
            {room.loadingOlder ? t.loadingOlder : t.loadOlder}
          </button>
        ) : (
          items.some((i) => i.history) && <p class="history-start">{t.historyStart}</p>
        )}
        {items.map((item) => (
          <ItemView key={item.id} item={item} me={me} t={t} chat={chat} time={time} onName={onName} />
        ))}
        {outbox.map((o) => (
          <OutgoingView key={o.cid} out={o} me={me} t={t} client={client} />
        ))}
      </div>
      {behind && (
        <button type="button" class="new-messages" onClick={toBottom}>
          {t.newMessages}
        </button>
      )}
    </div>
  );
}

/** A message of one's own that has not come back from the server (issue 10 item 3). */
function OutgoingView({
  out,
  me,
  t,
  client,
}: {
  out: Outgoing;
  me: string | null;
  t: WebTexts;
  client: ChatClient;
}) {
  const failed = out.state === "failed";
  return (
    <div class={`item msg own outgoing ${out.state}`} data-cid={out.cid}>
      <span class="time" />
      {me && <span class={`from ${colour(me)}`}>{me}</span>}
      <span class="text">{out.text}</span>
      <span class="status" role={failed ? "alert" : undefined}>
        {failed ? t.notDelivered : out.state === "queued" ? t.waiting : t.sending}
      </span>
      {failed && (
        <span class="outgoing-actions">
          <button type="button" onClick={() => client.resend(out.cid)}>
            {t.sendAgain}
          </button>
          <button type="button" onClick={() => client.discard(out.cid)}>
            {t.discard}
          </button>
        </span>
      )}
    </div>
  );
}

interface ItemProps {
  item: Item;
  me: string | null;
  t: WebTexts;
  chat: ChatTexts;
  time: Intl.DateTimeFormat;
  onName(name: string): void;
}

function ItemView({ item, me, t, chat, time, onName }: ItemProps) {
  const stamp =
    item.at !== null ? (
      <time class="time" dateTime={new Date(item.at).toISOString()}>
        {time.format(item.at)}
      </time>
    ) : (
      <span class="time" />
    );
  const e = item.event;
  const from = (name: string) => (
    <button type="button" class={`from ${colour(name)}`} onClick={() => onName(name)}>
      {name}
    </button>
  );
  // History (said before the user arrived) is greyed.
  const h = item.history ? " history" : "";
  // Issue 13: a message naming the user is highlighted.
  const named = (e: { from: string; text: string }) =>
    me !== null && e.from !== me && mentions(e.text, me) ? " mention" : "";
  if (item.kind === "divider")
    return (
      <div class="divider">
        <span>{t.historyDivider}</span>
      </div>
    );
  if (item.kind === "gap")
    return (
      <div class="item gap" role="note">
        <span class="time" />
        <span class="text">{t.gap}</span>
      </div>
    );
  if (item.kind === "reconnected")
    return (
      <div class="item system">
        {stamp}
        <span class="text">{t.reconnected}</span>
      </div>
    );
  if (!e) return null;
  switch (e.type) {
    case "message":
      return (
        <div
          class={`${item.kind === "own" ? "item msg own" : "item msg"}${h}${named(e)}`}
          data-seq={item.seq}
        >
          {stamp}
          {from(e.from)}
          <span class="text">
            <Linked text={e.text} />
          </span>
        </div>
      );
    case "action":
      return (
        <div class={`item action${h}${named(e)}`} data-seq={item.seq}>
          {stamp}
          <span class="text">
            <span class={colour(e.from)}>{e.from}</span> <Linked text={e.text} />
          </span>
        </div>
      );
    case "private": {
      const outgoing = e.from === me && e.to !== me;
      return (
        <div class={outgoing ? "item msg private own" : "item msg private"}>
          {stamp}
          <span class="badge">{t.privateMark}</span>
          {outgoing ? <span class="from to">{t.privateTo({ name: e.to })}</span> : from(e.from)}
          <span class="text">
            <Linked text={e.text} />
          </span>
        </div>
      );
    }
    default:
      return <NoticeView item={item} event={e} me={me} chat={chat} stamp={stamp} />;
  }
}

/** Joins, leaves, errors and server notices: the terminal's lines, without their markers. */
function NoticeView({
  item,
  event,
  me,
  chat,
  stamp,
}: {
  item: Item;
  event: ServerEvent;
  me: string | null;
  chat: ChatTexts;
  stamp: preact.JSX.Element;
}) {
  const lines = renderEvent(event, chat, me ?? undefined).map(plain);
  return (
    <div class={`item ${item.kind}${item.history ? " history" : ""}`} data-seq={item.seq}>
      {stamp}
      <span class="text">
        {lines.map((line, i) => (
          <span class="line" key={i}>
            {line}
          </span>
        ))}
      </span>
    </div>
  );
}

function DialogView({
  dialog,
  t,
  chat,
  client,
  banner,
}: {
  dialog: Dialog;
  t: WebTexts;
  chat: ChatTexts;
  client: ChatClient;
  banner: boolean;
}) {
  const primary = useRef<HTMLButtonElement>(null);
  const [now, setNow] = useState(Date.now());
  // A banner does not take the focus from what the user is typing.
  useEffect(() => {
    if (!banner) primary.current?.focus();
  }, [dialog.kind, banner]);
  // Ticks the "trying again in N s" countdown.
  useEffect(() => {
    if (!("retryAt" in dialog) || dialog.retryAt === null) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [dialog]);
  let title: string;
  let body: ComponentChildren;
  let actions: ComponentChildren;
  switch (dialog.kind) {
    case "unreachable":
    case "lost":
    case "shutdown": {
      const seconds = dialog.retryAt === null ? 0 : Math.max(1, Math.ceil((dialog.retryAt - now) / 1000));
      const retry = (
        <p class="retry" aria-live="polite">
          {dialog.retryAt === null ? t.retrying : t.retryIn({ seconds })}
        </p>
      );
      if (dialog.kind === "shutdown") {
        title = t.shutdownTitle;
        // S11: the operator's reason, as the server sent it; then retries until the user leaves
        // (operators restart servers: issue 10 item 3).
        body = (
          <>
            {dialog.text ? <p class="reason">{dialog.text}</p> : <p>{t.shutdownNoReason}</p>}
            {retry}
          </>
        );
      } else {
        title = dialog.kind === "lost" ? t.lostTitle : t.unreachableTitle;
        body = (
          <>
            <p>{dialog.kind === "lost" ? t.lostBody : t.unreachableBody}</p>
            {retry}
          </>
        );
      }
      actions = (
        <>
          {dialog.kind === "shutdown" && (
            <button type="button" onClick={() => client.dismiss()}>
              {t.leave}
            </button>
          )}
          <button type="button" class="primary" ref={primary} onClick={() => client.retryNow()}>
            {t.retryNow}
          </button>
        </>
      );
      break;
    }
    case "closed":
      title = t.closedTitle;
      body = <p>{plain(chat.bye[dialog.reason]({ ...(dialog.text ? { text: dialog.text } : {}) }))}</p>;
      break;
  }
  if (dialog.kind === "closed")
    actions = (
      <>
        <button type="button" onClick={() => client.reconnect()}>
          {t.connectAgain}
        </button>
        <button type="button" class="primary" ref={primary} onClick={() => client.dismiss()}>
          {t.dismiss}
        </button>
      </>
    );
  return (
    <div class={banner ? "banner-wrap" : "overlay"}>
      <div
        class={`dialog ${dialog.kind}${banner ? " banner" : ""}`}
        role="alertdialog"
        aria-modal={banner ? undefined : "true"}
        aria-labelledby="dialog-title"
        aria-describedby="dialog-body"
      >
        <h2 id="dialog-title">{title}</h2>
        <div id="dialog-body">{body}</div>
        <div class="actions">{actions}</div>
      </div>
    </div>
  );
}
