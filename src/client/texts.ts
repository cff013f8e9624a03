/** The client's catalogue by language (the chat texts come from `catalogue(lang).chat`). */
import { clientEn } from "../i18n/client-en.ts";
import { clientPtBR } from "../i18n/client-pt-BR.ts";
import type { ClientTexts } from "../i18n/client-types.ts";
import type { Lang } from "../i18n/index.ts";

const byLang: Record<Lang, ClientTexts> = { en: clientEn, "pt-BR": clientPtBR };

/** The terminal client's own texts in `lang`. */
export function clientTexts(lang: Lang): ClientTexts {
  return byLang[lang];
}
