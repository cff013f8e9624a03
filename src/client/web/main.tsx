/** Entry point of the browser bundle (esbuild: `scripts/build-web.ts` → `web-dist/app.js`). */
import { render } from "preact";
import { useState } from "preact/hooks";
import type { Lang } from "../../i18n/types.ts";
import { App } from "./app.tsx";
import { ChatClient, type Connect, type Mention, socketUrls } from "./client.ts";
import { pickWebLang, texts } from "./lang.ts";
import "./styles.css";

const LANG_KEY = "papo.lang";
const NAME_KEY = "papo.name";
const NOTIFY_ASKED_KEY = "papo.notify-asked";

/** localStorage can throw (private modes, disabled storage): the page works without it. */
function load(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function save(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Not remembered; nothing else depends on it.
  }
}

const browserConnect: Connect = (url, on) => {
  const ws = new WebSocket(url);
  ws.onopen = () => on.open();
  ws.onmessage = (e) => {
    if (typeof e.data === "string") on.message(e.data);
  };
  ws.onclose = () => on.close();
  return {
    send: (data) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    },
    close: () => ws.close(),
  };
};

/** The page's language, for what is said outside the page (desktop notifications). */
let pageLang: Lang = pickWebLang(load(LANG_KEY), navigator.languages ?? []);
let notifyAsked = load(NOTIFY_ASKED_KEY) !== null;

/**
 * Issue 13: desktop notifications are asked for once, on a user action (the first message sent),
 * never on page load: browsers ignore or penalise a prompt nobody asked for.
 */
function askNotifications(): void {
  if (notifyAsked || typeof Notification === "undefined" || Notification.permission !== "default") return;
  notifyAsked = true;
  save(NOTIFY_ASKED_KEY, "1");
  Notification.requestPermission().catch(() => {});
}

/** Issue 13: a mention (or a private message) while the tab is hidden, if the user allowed it. */
function notify(m: Mention): void {
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  const t = texts(pageLang).page;
  const title =
    m.private || m.room === null
      ? t.notifyPrivate({ from: m.from })
      : t.notifyMention({ from: m.from, room: m.room });
  try {
    // One notification per room (or private sender): a newer one replaces the older.
    const n = new Notification(title, { body: m.text, tag: m.room ?? `@${m.from}` });
    n.onclick = () => {
      window.focus();
      if (m.room) client.show(m.room);
      n.close();
    };
  } catch {
    // Some browsers (Android) only notify through a service worker: the room's mark stays.
  }
}

const client = new ChatClient({
  url: socketUrls(location.href),
  connect: browserConnect,
  isHidden: () => document.hidden,
  notify,
});

function Root() {
  const [lang, setLang] = useState<Lang>(pageLang);
  return (
    <App
      client={client}
      lang={lang}
      onLang={(l) => {
        save(LANG_KEY, l);
        pageLang = l;
        setLang(l);
      }}
      lastName={() => load(NAME_KEY) ?? ""}
      onName={(name) => save(NAME_KEY, name)}
      onSend={askNotifications}
    />
  );
}

const root = document.getElementById("app");
if (root) {
  render(<Root />, root);
  client.start();
}
