/** `papo connect` arguments (node:util parseArgs; commander needs Node 22). */
import { parseArgs } from "node:util";
import type { ClientTexts } from "../i18n/client-types.ts";
import { LANGS, type Lang, parseLang, pickLang } from "../i18n/index.ts";
import { parseTargets, type Target } from "./address.ts";
import { clientTexts } from "./texts.ts";
import { DEFAULT_TLS_PORT, resolveTlsOptions, TLS_CONNECT_OPTIONS } from "./tls.ts";

export interface ConnectOptions extends Target {
  /** Every address given (`a:7777,b:7777`), the first being `host`/`port`: tried in turn. */
  targets: Target[];
  name: string | undefined;
  lang: Lang;
  /** `--no-color`. */
  noColor: boolean;
  /** False with `--no-reconnect`. */
  reconnect: boolean;
  /** False with `--no-bell`: a message naming the user rings the terminal bell (issue 13). */
  bell: boolean;
  help: boolean;
  /** `--tls`, with `--insecure` and the bytes of the `--ca` file. */
  tls: boolean;
  insecure: boolean;
  ca?: Buffer;
}

export type ParsedOptions =
  | { ok: true; options: ConnectOptions; texts: ClientTexts }
  | { ok: false; message: string; texts: ClientTexts };

/** Parses the arguments after `connect`; a failure carries the one line to print. */
export function parseConnectArgs(args: string[], env: NodeJS.ProcessEnv = process.env): ParsedOptions {
  // The language decides the wording of any error, so find it before the strict parse.
  const langIndex = args.indexOf("--lang");
  const langArg = langIndex >= 0 ? args[langIndex + 1] : args.find((a) => a.startsWith("--lang="))?.slice(7);
  let texts = clientTexts(pickLang(parseLang(langArg), env));
  let parsed: ReturnType<typeof parseRaw>;
  try {
    parsed = parseRaw(args);
  } catch (err) {
    const detail = (err as Error).message.split("\n")[0] ?? "bad option";
    return { ok: false, message: texts.badOption({ detail }), texts };
  }
  const { values, positionals } = parsed;
  if (values.lang !== undefined && !parseLang(values.lang)) {
    const detail = `unknown language "${values.lang}" (${LANGS.join(", ")})`;
    return { ok: false, message: texts.badOption({ detail }), texts };
  }
  const lang = pickLang(values.lang, env);
  texts = clientTexts(lang);
  if (positionals.length > 2) {
    const detail = `unexpected argument "${positionals[2]}"`;
    return { ok: false, message: texts.badOption({ detail }), texts };
  }
  const tls = resolveTlsOptions({ tls: values.tls, ca: values.ca, insecure: values.insecure });
  if (!tls.ok) {
    const detail =
      tls.problem === "needs_tls"
        ? texts.tlsNeeded({ option: tls.option })
        : texts.caFile({ file: tls.file, reason: tls.reason });
    return { ok: false, message: texts.badOption({ detail }), texts };
  }
  const target = parseTargets(positionals[0], positionals[1], tls.tls ? DEFAULT_TLS_PORT : undefined);
  if (!target.ok) {
    const detail =
      target.problem === "port"
        ? texts.badPort({ port: target.value })
        : texts.badAddress({ address: target.value });
    return { ok: false, message: texts.badOption({ detail }), texts };
  }
  return {
    ok: true,
    texts,
    options: {
      host: (target.targets[0] as Target).host,
      port: (target.targets[0] as Target).port,
      targets: target.targets,
      name: values.name,
      lang,
      noColor: values["no-color"] ?? false,
      reconnect: !(values["no-reconnect"] ?? false),
      bell: !(values["no-bell"] ?? false),
      help: values.help ?? false,
      tls: tls.tls,
      insecure: tls.insecure,
      ...(tls.ca ? { ca: tls.ca } : {}),
    },
  };
}

function parseRaw(args: string[]) {
  return parseArgs({
    args,
    options: {
      name: { type: "string", short: "n" },
      lang: { type: "string" },
      "no-color": { type: "boolean", default: false },
      "no-reconnect": { type: "boolean", default: false },
      "no-bell": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      ...TLS_CONNECT_OPTIONS,
    },
    strict: true,
    allowPositionals: true,
  });
}
