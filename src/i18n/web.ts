import type { Lang } from "./types.ts";
import { webEn } from "./web-en.ts";
import { webPtBR } from "./web-pt-BR.ts";
import type { WebCatalogue } from "./web-types.ts";

export type { WebCatalogue, WebServerTexts, WebTexts } from "./web-types.ts";

const catalogues: Record<Lang, WebCatalogue> = { en: webEn, "pt-BR": webPtBR };

/** The browser client's texts (and `papo serve`'s lines about it) for a language. */
export function webCatalogue(lang: Lang): WebCatalogue {
  return catalogues[lang];
}
