/**
 * The server log (S14): one line per event on stderr, `TIME LEVEL EVENT key=value ...`. Values
 * are made terminal-safe (ROBUSTNESS B13): a name or reason cannot inject escapes into a log.
 */
import type { LogFn, LogLevel } from "../core/chat.ts";
import { sanitizeText } from "../protocol/sanitize.ts";

export type LogSetting = LogLevel | "silent";
const RANK: Record<LogSetting, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
export const LOG_LEVELS = Object.keys(RANK) as LogSetting[];

export function createLogger(
  level: LogSetting,
  write: (line: string) => void = (l) => process.stderr.write(l),
): LogFn {
  const min = RANK[level];
  return (lvl, event, fields) => {
    if (RANK[lvl] < min) return;
    let line = `${new Date().toISOString()} ${lvl.toUpperCase()} ${event}`;
    if (fields)
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        const s = sanitizeText(String(v));
        line += ` ${k}=${/[\s"=]/.test(s) || s === "" ? JSON.stringify(s) : s}`;
      }
    write(`${line}\n`);
  };
}
