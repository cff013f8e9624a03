import { en } from "./en.ts";
import { ptBR } from "./pt-BR.ts";
import type { Catalogue, Lang } from "./types.ts";

export type { ClientTexts } from "./client-types.ts";
export type { Catalogue, ChatTexts, Lang, ServerTexts } from "./types.ts";
export { LANGS } from "./types.ts";

const catalogues: Record<Lang, Catalogue> = { en, "pt-BR": ptBR };

/** The catalogue for a language. */
export function catalogue(lang: Lang): Catalogue {
  return catalogues[lang];
}

/** Maps an option value or a locale string (`pt_BR.UTF-8`, `pt`, `en_US`) to a language, if known. */
export function parseLang(value: string | undefined): Lang | undefined {
  if (!value) return undefined;
  const v = value.toLowerCase();
  if (v.startsWith("pt")) return "pt-BR";
  if (v.startsWith("en") || v === "c" || v.startsWith("c.") || v === "posix") return "en";
  return undefined;
}

/** The language to use: an explicit option wins, then LC_ALL, LC_MESSAGES, LANG; English otherwise. */
export function pickLang(option?: string, env: NodeJS.ProcessEnv = process.env): Lang {
  return (
    parseLang(option) ?? parseLang(env.LC_ALL) ?? parseLang(env.LC_MESSAGES) ?? parseLang(env.LANG) ?? "en"
  );
}
