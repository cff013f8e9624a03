/** Entry point of the browser bundle (esbuild: `scripts/build-web.ts` → `web-dist/app.js`). */
import { render } from "preact";
import { useState } from "preact/hooks";
import type { Lang } from "../../i18n/types.ts";
import { App } from "./app.tsx";
import { ChatClient, type Connect, socketUrls } from "./client.ts";
import { pickWebLang } from "./lang.ts";
import "./styles.css";

const LANG_KEY = "papo.lang";
const NAME_KEY = "papo.name";

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

const client = new ChatClient({
  url: socketUrls(location.href),
  connect: browserConnect,
  isHidden: () => document.hidden,
});

function Root() {
  const [lang, setLang] = useState<Lang>(() => pickWebLang(load(LANG_KEY), navigator.languages ?? []));
  return (
    <App
      client={client}
      lang={lang}
      onLang={(l) => {
        save(LANG_KEY, l);
        setLang(l);
      }}
      lastName={() => load(NAME_KEY) ?? ""}
      onName={(name) => save(NAME_KEY, name)}
    />
  );
}

const root = document.getElementById("app");
if (root) {
  render(<Root />, root);
  client.start();
}
