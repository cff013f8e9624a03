import { ircEn } from "./irc-en.ts";
import { ircPtBR } from "./irc-pt-BR.ts";
import type { IrcTexts } from "./irc-types.ts";
import type { Lang } from "./types.ts";

export type { IrcTexts } from "./irc-types.ts";

const catalogues: Record<Lang, IrcTexts> = { en: ircEn, "pt-BR": ircPtBR };

/** The IRC listener's texts for a language. */
export function ircCatalogue(lang: Lang): IrcTexts {
  return catalogues[lang];
}
