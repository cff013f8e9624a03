/**
 * `papo serve`'s configuration (issue 13): a TOML file, `PAPO_…` environment variables and the
 * command line, merged per setting: flag over environment over file over default.
 *
 * One table drives it all: cli.ts's `SERVE_OPTIONS` (the `parseArgs` table). Each option there is
 * a flag (`--http-port`), a key in the file (`http-port`), an environment variable (`PAPO_` and the
 * name in upper snake case: `PAPO_HTTP_PORT`) and a line of `--print-config`, with no other edit.
 * Limits (limits.ts) are a `[limits]` table in the file, `PAPO_LIMIT_<NAME>` variables
 * (`PAPO_LIMIT_FLOOD_BURST`) and `--limit NAME=VALUE`. What the parseArgs table cannot say is in
 * `OPTION_META` below: how a value is checked (an option named `port` or `…-port` is a port without
 * saying so), an environment name kept from before (`PAPO_REDIS_URL`), secrets (masked when
 * printed). Options that exclude each other (`--no-X` excludes every `--X-…`; `EXCLUSIVE` lists
 * the others): in the file or the environment both set is an error, in different layers the
 * higher layer's wins (two flags are left to cli.ts's own checks).
 *
 * cli.ts then checks and uses the merged values exactly as it used `parseArgs`' values.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseToml, TomlError } from "smol-toml";
import { LANGS, parseLang, type ServerTexts } from "../i18n/index.ts";
import { normalizeOrigin } from "../transports/websocket.ts";
import { DEFAULT_LIMITS, type Limits, parseLimitOverrides } from "./limits.ts";
import { LOG_LEVELS, type LogSetting } from "./log.ts";

/** The file read when neither `--config` nor `PAPO_CONFIG` names one, if it exists. */
export const DEFAULT_CONFIG_FILE = "papo.toml";

/** One entry of a `parseArgs` options table. */
export interface OptionSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
  default?: string | boolean | string[];
}
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** How an option's values are read and checked, beyond its parseArgs type. */
type Kind = "string" | "boolean" | "list" | "port" | "path";

interface OptionMeta {
  kind?: Kind;
  /** The environment variable, when it is not `PAPO_` + the name. */
  env?: string;
  /** Masked by `--print-config`: all of it, or a URL's password. */
  secret?: "all" | "url";
  /** Returns what is wrong with one (string) value, if anything. */
  check?: (value: string) => string | undefined;
}

const OPTION_META: Readonly<Record<string, OptionMeta>> = {
  lang: {
    check: (v) => (parseLang(v) ? undefined : `unknown language "${v}" (${LANGS.join(", ")})`),
  },
  "log-level": {
    check: (v) =>
      LOG_LEVELS.includes(v as LogSetting)
        ? undefined
        : `unknown log level "${v}" (${LOG_LEVELS.join(", ")})`,
  },
  "allow-origin": {
    check: (v) => (normalizeOrigin(v) ? undefined : `bad origin "${v}" (expected like https://host:port)`),
  },
  "tls-cert": { kind: "path" },
  "tls-key": { kind: "path" },
  data: { kind: "path", env: "PAPO_DATA" },
  password: { secret: "all", env: "PAPO_PASSWORD" },
  redis: { secret: "url", env: "PAPO_REDIS_URL" },
};

/** Pairs of options that cannot both be on, besides `no-X` against `X-…` (derived). */
const EXCLUSIVE: readonly (readonly [string, string])[] = [
  ["data", "no-store"],
  ["redis", "data"],
  ["redis", "no-store"],
];

/** Command-line only: never in the file or the environment (an option that is an action, not a setting, goes here). */
const CLI_ONLY = new Set(["help", "config", "print-config"]);
/** Added to the table given by cli.ts. */
const CONFIG_FLAGS = {
  config: { type: "string" },
  "print-config": { type: "boolean" },
} as const satisfies OptionTable;

/** The environment variable naming the configuration file. */
export const CONFIG_ENV = "PAPO_CONFIG";

/** A configuration problem: one line, naming where (file and line, variable or flag) and what. */
export class ConfigError extends Error {}

export type Source =
  | { from: "default" }
  | { from: "file"; file: string; line: number | undefined }
  | { from: "env"; name: string }
  | { from: "flag"; name: string };

export type Value = string | boolean | number | string[];

/** One setting's value and where it came from. `key` is an option's name or `limits.NAME`. */
export interface Setting {
  key: string;
  value: Value;
  source: Source;
}

/** The settings one source gives, by key. */
export type Layer = Map<string, Setting>;

interface OptionInfo {
  name: string;
  spec: OptionSpec;
  kind: Kind;
  env: string;
  meta: OptionMeta;
}

/** `floodBurst` -> `FLOOD_BURST`, `http-port` -> `HTTP_PORT`. */
export function upperSnake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/-/g, "_")
    .toUpperCase();
}

/** The environment variable of a limit: `PAPO_LIMIT_FLOOD_BURST`. */
export function limitEnv(name: string): string {
  return `PAPO_LIMIT_${upperSnake(name)}`;
}

/** The options that the file and the environment can set, with how to read each. */
export function describeOptions(table: OptionTable): OptionInfo[] {
  const out: OptionInfo[] = [];
  for (const [name, spec] of Object.entries(table)) {
    if (CLI_ONLY.has(name) || name === "limit") continue;
    const meta = OPTION_META[name] ?? {};
    const kind: Kind =
      meta.kind ??
      (spec.type === "boolean"
        ? "boolean"
        : spec.multiple
          ? "list"
          : name === "port" || name.endsWith("-port")
            ? "port"
            : "string");
    out.push({ name, spec, kind, env: meta.env ?? `PAPO_${upperSnake(name)}`, meta });
  }
  return out;
}

/** The pairs of options that exclude each other in this table. */
function exclusivePairs(table: OptionTable): (readonly [string, string])[] {
  const pairs: (readonly [string, string])[] = EXCLUSIVE.filter(([a, b]) => a in table && b in table);
  for (const name of Object.keys(table)) {
    if (!name.startsWith("no-") || table[name]?.type !== "boolean") continue;
    const base = name.slice(3);
    for (const other of Object.keys(table))
      if (other === base || other.startsWith(`${base}-`)) pairs.push([name, other] as const);
  }
  return pairs;
}

/** How a source is named in `--print-config`: `default`, `file papo.toml:3`, `env PAPO_PORT`, `flag --port`. */
export function sourceLabel(s: Source): string {
  switch (s.from) {
    case "default":
      return "default";
    case "file":
      return `file ${s.file}${s.line ? `:${s.line}` : ""}`;
    case "env":
      return `env ${s.name}`;
    case "flag":
      return `flag --${s.name}`;
  }
}

/** Where a setting's value was written, to start an error line: `papo.toml:3: port`, `PAPO_PORT`, `--port`. */
function where(key: string, s: Source): string {
  switch (s.from) {
    case "file":
      return `${s.file}${s.line ? `:${s.line}` : ""}: ${key.startsWith("limits.") ? `[limits] ${key.slice(7)}` : key}`;
    case "env":
      return s.name;
    case "flag":
      return `--${s.name}`;
    case "default":
      return key;
  }
}

const EXPECTED: Record<Kind | "limit", string> = {
  string: "a string",
  path: "a file or directory name (a string)",
  boolean: "true or false",
  list: "a list of strings",
  port: "a port number (0 to 65535)",
  limit: "a whole number (0 or more)",
};

function shown(value: unknown, secret: boolean): string {
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  if (value !== null && typeof value === "object") return "a table";
  if (secret) return `a ${typeof value}`;
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * Reads a value for an option from the file (any TOML value) or from a string (a variable or a
 * flag). Throws a ConfigError naming where it was written.
 */
function readValue(info: OptionInfo, raw: unknown, source: Source): Value {
  const bad = (detail?: string): ConfigError =>
    new ConfigError(
      `${where(info.name, source)}: ${detail ?? `expected ${EXPECTED[info.kind]}, got ${shown(raw, !!info.meta.secret)}`}`,
    );
  const fromText = typeof raw === "string" && source.from !== "file";
  let value: Value;
  switch (info.kind) {
    case "boolean":
      if (typeof raw === "boolean") value = raw;
      else if (fromText && /^(1|true|yes|on)$/i.test(raw)) value = true;
      else if (fromText && /^(0|false|no|off)$/i.test(raw)) value = false;
      else
        throw bad(
          source.from === "env" ? `expected 1 or 0 (true or false), got ${shown(raw, false)}` : undefined,
        );
      break;
    case "port": {
      const n = fromText && /^\d{1,5}$/.test(raw) ? Number(raw) : raw;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 65535) throw bad();
      value = n;
      break;
    }
    case "list":
      if (fromText) value = raw.split(/[\s,]+/).filter(Boolean);
      else if (typeof raw === "string") value = [raw];
      else if (Array.isArray(raw) && raw.every((x) => typeof x === "string")) value = raw;
      else throw bad();
      break;
    case "string":
    case "path":
      if (typeof raw !== "string") throw bad();
      value = raw;
      break;
  }
  const check = info.meta.check;
  if (check)
    for (const item of Array.isArray(value) ? value : typeof value === "string" ? [value] : []) {
      const problem = check(item);
      if (problem) throw bad(problem);
    }
  return value;
}

function readLimit(name: string, raw: unknown, source: Source): number {
  const n = typeof raw === "string" && source.from !== "file" && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0)
    throw new ConfigError(
      `${where(`limits.${name}`, source)}: expected ${EXPECTED.limit}, got ${shown(raw, false)}`,
    );
  return n;
}

/** The closest of `known` to `name`, if it is a likely typo. */
function suggest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = row;
  }
  return prev[b.length] ?? 0;
}

function unknownKey(name: string, known: readonly string[], what: string): string {
  const close = suggest(name, known);
  return close
    ? `unknown ${what} (did you mean "${close}"?)`
    : `unknown ${what} (known: ${known.join(", ")})`;
}

const KEY_PART = String.raw`(?:[A-Za-z0-9_-]+|"[^"\\]*"|'[^']*')`;
const TABLE_LINE = new RegExp(String.raw`^\s*\[\s*(${KEY_PART}(?:\s*\.\s*${KEY_PART})*)\s*\]`);
const KEY_LINE = new RegExp(String.raw`^\s*(${KEY_PART}(?:\s*\.\s*${KEY_PART})*)\s*=`);

function keyPath(text: string): string {
  return [...text.matchAll(new RegExp(KEY_PART, "g"))].map((m) => m[0].replace(/^["']|["']$/g, "")).join(".");
}

/**
 * The line (1-based) where each key is set, as `key` or `table.key`: good enough to point at a
 * line in an error (a line inside a multi-line string that looks like `key = …` may mislead it).
 */
export function keyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let table = "";
  text.split(/\r?\n/).forEach((line, i) => {
    const t = TABLE_LINE.exec(line);
    if (t?.[1] !== undefined) {
      table = keyPath(t[1]);
      if (!lines.has(table)) lines.set(table, i + 1);
      return;
    }
    const k = KEY_LINE.exec(line);
    if (k?.[1] === undefined) return;
    const key = table ? `${table}.${keyPath(k[1])}` : keyPath(k[1]);
    if (!lines.has(key)) lines.set(key, i + 1);
  });
  return lines;
}

/**
 * The settings a configuration file gives. `file` names it in errors and sources; relative paths
 * in it (`data`, `tls-cert`, …) are taken from `baseDir`, the file's own directory.
 */
export function fileLayer(text: string, file: string, table: OptionTable, baseDir: string): Layer {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const what = (err.message.split("\n")[0] ?? "").replace(/^Invalid TOML document: /, "");
      throw new ConfigError(`${file}:${err.line}: not valid TOML: ${what}`);
    }
    throw err;
  }
  const lines = keyLines(text);
  const at = (key: string): Source => ({ from: "file", file, line: lines.get(key) });
  const options = describeOptions(table);
  const byName = new Map(options.map((o) => [o.name, o]));
  const layer: Layer = new Map();
  for (const [key, raw] of Object.entries(doc)) {
    if (key === "limits") {
      if (raw === null || typeof raw !== "object" || Array.isArray(raw))
        throw new ConfigError(`${where("limits", at("limits"))}: expected a table ([limits])`);
      for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
        const source = at(`limits.${name}`);
        if (!Object.hasOwn(DEFAULT_LIMITS, name))
          throw new ConfigError(
            `${source.from === "file" && source.line ? `${file}:${source.line}` : file}: ${unknownKey(name, Object.keys(DEFAULT_LIMITS), `limit "${name}" in [limits]`)}`,
          );
        layer.set(`limits.${name}`, { key: `limits.${name}`, value: readLimit(name, v, source), source });
      }
      continue;
    }
    const info = byName.get(key);
    const source = at(key);
    if (!info)
      throw new ConfigError(
        `${source.from === "file" && source.line ? `${file}:${source.line}` : file}: ${unknownKey(key, [...byName.keys(), "limits"], `key "${key}"`)}`,
      );
    let value = readValue(info, raw, source);
    if (info.kind === "path" && typeof value === "string" && value !== "")
      value = path.resolve(baseDir, value);
    layer.set(key, { key, value, source });
  }
  return layer;
}

/**
 * The settings the environment gives. Only the variables of the table are read (the terminal
 * client has `PAPO_…` variables of its own). An empty variable counts as unset, except for a
 * string option, where it is an empty value (`PAPO_PASSWORD=` means no password).
 */
export function envLayer(env: NodeJS.ProcessEnv, table: OptionTable): Layer {
  const layer: Layer = new Map();
  for (const info of describeOptions(table)) {
    const raw = env[info.env];
    if (raw === undefined || (raw === "" && info.kind !== "string" && info.kind !== "path")) continue;
    const source: Source = { from: "env", name: info.env };
    layer.set(info.name, { key: info.name, value: readValue(info, raw, source), source });
  }
  for (const name of Object.keys(DEFAULT_LIMITS)) {
    const variable = limitEnv(name);
    const raw = env[variable];
    if (raw === undefined || raw === "") continue;
    const source: Source = { from: "env", name: variable };
    layer.set(`limits.${name}`, { key: `limits.${name}`, value: readLimit(name, raw, source), source });
  }
  return layer;
}

/** What the command line says: its settings, and the flags that are not settings. */
export interface FlagLayer {
  layer: Layer;
  help: boolean;
  config: string | undefined;
  printConfig: boolean;
}

/** Parses the command line with the table (its defaults left out: a default is not a flag). */
export function flagLayer(args: string[], table: OptionTable): FlagLayer {
  const options: Record<string, OptionSpec> = {};
  for (const [name, spec] of Object.entries({ ...table, ...CONFIG_FLAGS })) {
    const { default: _default, ...rest } = spec as OptionSpec;
    options[name] = rest;
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError((err as Error).message.split("\n")[0] ?? "bad option");
  }
  const layer: Layer = new Map();
  for (const info of describeOptions(table)) {
    const raw = values[info.name];
    if (raw === undefined) continue;
    const source: Source = { from: "flag", name: info.name };
    // A flag is already a boolean or a list; a port or a checked string is read like a variable.
    const value = info.kind === "boolean" ? raw === true : info.kind === "list" ? (raw as string[]) : raw;
    if (info.kind === "list")
      for (const item of value as string[]) readValue({ ...info, kind: "string" }, item, source);
    layer.set(info.name, {
      key: info.name,
      value:
        info.kind === "boolean" || info.kind === "list" ? (value as Value) : readValue(info, value, source),
      source,
    });
  }
  if ("limit" in table)
    for (const item of (values.limit as string[] | undefined) ?? []) {
      // The same rules and messages as before there was a file (parseLimitOverrides).
      let parsed: Limits;
      try {
        parsed = parseLimitOverrides([item]);
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
      const name = /^([A-Za-z]+)=/.exec(item.trim())?.[1] as keyof Limits;
      layer.set(`limits.${name}`, {
        key: `limits.${name}`,
        value: parsed[name],
        source: { from: "flag", name: "limit" },
      });
    }
  return {
    layer,
    help: values.help === true,
    config: values.config as string | undefined,
    printConfig: values["print-config"] === true,
  };
}

/** Is this value "on" (a non-empty string or list, true, a number)? Only such values exclude others. */
function active(v: Value | undefined): boolean {
  return v !== undefined && v !== false && v !== "" && !(Array.isArray(v) && v.length === 0);
}

/** The merged configuration: every setting that any layer gave, and those a higher layer dropped. */
export interface Resolved {
  settings: Map<string, Setting>;
  /** Settings dropped because a higher layer set an option that excludes them, with that option's source. */
  dropped: { setting: Setting; by: Setting }[];
}

const RANK: Record<Source["from"], number> = { default: 0, file: 1, env: 2, flag: 3 };

/**
 * Merges layers (lowest first): per setting the highest wins; exclusive options are settled. Two
 * flags that exclude each other are left for cli.ts to refuse with its own messages, unless
 * `checkFlags` (for `--print-config`, which starts nothing and so reaches none of cli.ts's checks).
 */
export function mergeLayers(table: OptionTable, layers: readonly Layer[], checkFlags = false): Resolved {
  const settings = new Map<string, Setting>();
  for (const layer of layers) for (const [k, s] of layer) settings.set(k, s);
  const dropped: Resolved["dropped"] = [];
  for (const [a, b] of exclusivePairs(table)) {
    const sa = settings.get(a);
    const sb = settings.get(b);
    if (!sa || !sb || !active(sa.value) || !active(sb.value)) continue;
    const ra = RANK[sa.source.from];
    const rb = RANK[sb.source.from];
    if (ra === rb) {
      // Two flags: cli.ts refuses them with the messages it always gave.
      if (sa.source.from === "flag" && !checkFlags) continue;
      const name = (s: Setting) =>
        s.source.from === "file"
          ? `${s.key}${s.source.line ? ` (line ${s.source.line})` : ""}`
          : where(s.key, s.source);
      const prefix = sa.source.from === "file" ? `${sa.source.file}: ` : "";
      throw new ConfigError(`${prefix}${name(sa)} and ${name(sb)} contradict each other`);
    }
    const [lower, higher] = ra < rb ? [sa, sb] : [sb, sa];
    settings.delete(lower.key);
    dropped.push({ setting: lower, by: higher });
  }
  return { settings, dropped };
}

/** The merged configuration as `parseArgs` would have returned it, so cli.ts reads it as before. */
export function toArgValues(
  table: OptionTable,
  resolved: Resolved,
): Record<string, string | boolean | string[] | undefined> {
  const out: Record<string, string | boolean | string[] | undefined> = {};
  for (const info of describeOptions(table)) {
    const s = resolved.settings.get(info.name);
    if (s === undefined) out[info.name] = info.spec.default;
    else out[info.name] = typeof s.value === "number" ? String(s.value) : s.value;
  }
  if ("limit" in table)
    out.limit = Object.keys(DEFAULT_LIMITS).flatMap((name) => {
      const s = resolved.settings.get(`limits.${name}`);
      return s ? [`${name}=${s.value}`] : [];
    });
  return out;
}

/** A Redis URL without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}

function masked(info: OptionInfo | undefined, value: Value): Value {
  if (typeof value !== "string" || value === "" || !info?.meta.secret) return value;
  return info.meta.secret === "all" ? "***" : redactUrl(value);
}

/** The texts of `--print-config` (from the i18n catalogue). */
export type ConfigTexts = Pick<
  ServerTexts,
  "configHeader" | "configFile" | "configNoFile" | "configNotSet" | "configOverridden"
>;

/**
 * What `--print-config` prints: TOML that would give the same configuration (secrets masked),
 * each line with its source as a comment. `shownDefaults` are the values cli.ts uses when an
 * option is not set and the table has no default (`port` 7777, …).
 */
export function formatConfig(
  table: OptionTable,
  resolved: Resolved,
  file: string | undefined,
  texts: ConfigTexts,
  shownDefaults: Readonly<Record<string, string | number | boolean>> = {},
): string {
  const rows: [string, string][] = [];
  const droppedBy = new Map(resolved.dropped.map((d) => [d.setting.key, d]));
  const row = (key: string, info: OptionInfo | undefined, value: Value | undefined, source: Source) => {
    const shortKey = key.startsWith("limits.") ? key.slice(7) : key;
    const d = droppedBy.get(key);
    if (d) {
      rows.push([
        `# ${shortKey} = ${JSON.stringify(masked(info, d.setting.value))}`,
        `${sourceLabel(d.setting.source)}, ${texts.configOverridden({ by: sourceLabel(d.by.source) })}`,
      ]);
      return;
    }
    rows.push([
      value === undefined
        ? `# ${shortKey}: ${texts.configNotSet}`
        : `${shortKey} = ${JSON.stringify(masked(info, value))}`,
      sourceLabel(source),
    ]);
  };
  for (const info of describeOptions(table)) {
    const s = resolved.settings.get(info.name);
    if (s) row(info.name, info, s.value, s.source);
    else {
      const shownDefault = info.spec.default ?? shownDefaults[info.name];
      row(info.name, info, shownDefault, { from: "default" });
    }
  }
  const width = Math.min(48, Math.max(...rows.map(([a]) => a.length)));
  const lines = rows.map(([a, b]) => `${a.padEnd(width)}  # ${b}`);
  if ("limit" in table) {
    const limitRows: [string, string][] = Object.entries(DEFAULT_LIMITS).map(([name, def]) => {
      const s = resolved.settings.get(`limits.${name}`);
      return [`${name} = ${s ? s.value : def}`, sourceLabel(s ? s.source : { from: "default" })];
    });
    lines.push("", "[limits]", ...limitRows.map(([a, b]) => `${a.padEnd(width)}  # ${b}`));
  }
  return `${[texts.configHeader, file === undefined ? texts.configNoFile : texts.configFile({ file }), "", ...lines].join("\n")}\n`;
}

/** What `loadServeConfig` needs: the command line, the table, and where to look. */
export interface LoadInput {
  args: string[];
  table: OptionTable;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Loaded {
  /** `parseArgs`-shaped values: flags over environment over file over the table's defaults. */
  values: Record<string, string | boolean | string[] | undefined>;
  resolved: Resolved;
  /** The file read, as named (`--config`, `PAPO_CONFIG`, or the default if it exists). */
  file: string | undefined;
  help: boolean;
  printConfig: boolean;
}

function readReason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
      return "permission denied";
    case "EISDIR":
      return "it is a directory";
    default:
      return err.code ?? err.message;
  }
}

/**
 * Reads the command line, the environment and the configuration file (`--config FILE`, else
 * `PAPO_CONFIG`, else `./papo.toml` if there is one) and merges them. `--help` reads no file (a
 * broken file must not hide the help). Throws a ConfigError (one line) on any problem.
 */
export function loadServeConfig(input: LoadInput): Loaded {
  const flags = flagLayer(input.args, input.table);
  if (flags.help)
    return {
      values: { ...toArgValues(input.table, { settings: flags.layer, dropped: [] }), help: true },
      resolved: { settings: flags.layer, dropped: [] },
      file: undefined,
      help: true,
      printConfig: false,
    };
  const named = flags.config ?? (input.env[CONFIG_ENV] || undefined);
  let file: string | undefined;
  let text: string | undefined;
  const candidate = named ?? DEFAULT_CONFIG_FILE;
  try {
    text = readFileSync(path.resolve(input.cwd, candidate), "utf8");
    file = candidate;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // The default file is optional; a file the operator named must be there.
    if (named !== undefined || e.code !== "ENOENT")
      throw new ConfigError(`cannot read the configuration file ${candidate}: ${readReason(e)}`);
  }
  const layers: Layer[] = [];
  if (file !== undefined && text !== undefined)
    layers.push(fileLayer(text, file, input.table, path.dirname(path.resolve(input.cwd, file))));
  layers.push(envLayer(input.env, input.table), flags.layer);
  const resolved = mergeLayers(input.table, layers, flags.printConfig);
  return {
    values: toArgValues(input.table, resolved),
    resolved,
    file,
    help: false,
    printConfig: flags.printConfig,
  };
}
