/** The page's language: a saved choice wins, then the browser's languages; English otherwise. */
import { en } from "../../i18n/en.ts";
import { ptBR } from "../../i18n/pt-BR.ts";
import type { ChatTexts, Lang } from "../../i18n/types.ts";
import { type WebTexts, webCatalogue } from "../../i18n/web.ts";

export const LANGS: readonly Lang[] = ["en", "pt-BR"];

export function pickWebLang(saved: string | null, languages: readonly string[]): Lang {
  if (saved && (LANGS as readonly string[]).includes(saved)) return saved as Lang;
  for (const l of languages) {
    const v = l.toLowerCase();
    if (v.startsWith("pt")) return "pt-BR";
    if (v.startsWith("en")) return "en";
  }
  return "en";
}

/** Both catalogues the page needs: its own texts and the chat's (shared with the terminal). */
export function texts(lang: Lang): { page: WebTexts; chat: ChatTexts } {
  return { page: webCatalogue(lang).page, chat: (lang === "pt-BR" ? ptBR : en).chat };
}

/**
 * A catalogue line without its text-mode marker (`* `, `! `, `*** `, `-> `): the page shows the
 * kind of line with styles instead.
 */
export function plain(line: string): string {
  return line.replace(/^(?:\*\*\*|->|\*|!)\s*/, "");
}
