/**
 * When to colour, and the colour of each name. Decided here, not by picocolors' own detection,
 * because that looks at `process.argv` and stdout only; the client also has `--no-color` as an
 * option and tests need to decide per call.
 */
import pc from "picocolors";

/** A picocolors instance (colouring or not). */
export type Colors = ReturnType<typeof pc.createColors>;

export interface ColorContext {
  /** `--no-color` was given. */
  noColorFlag: boolean;
  env: NodeJS.ProcessEnv;
  /** Is stdout a terminal? */
  isTTY: boolean;
}

/**
 * The no-color.org and FORCE_COLOR conventions, in this order: the flag, then NO_COLOR (any
 * non-empty value), then FORCE_COLOR (anything but "0"/"false"), then a terminal that is not
 * "dumb". So a pipe gets no escapes unless the user forces them.
 */
export function shouldUseColor({ noColorFlag, env, isTTY }: ColorContext): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  return isTTY && env.TERM !== "dumb";
}

/** A picocolors instance that colours or not. */
export function makeColors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}

// No magenta (private messages) and no red (errors): a name must not look like either.
const NAME_COLORS = [
  "green",
  "yellow",
  "blue",
  "cyan",
  "greenBright",
  "yellowBright",
  "blueBright",
  "cyanBright",
] as const satisfies readonly (keyof Colors)[];

/** Index into the name palette: FNV-1a over the name's UTF-16 units, so stable across runs. */
export function nameColorIndex(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % NAME_COLORS.length;
}

/** `name` in its stable colour (plain when colours are off). */
export function paintName(c: Colors, name: string): string {
  const key = NAME_COLORS[nameColorIndex(name)] ?? "green";
  return c[key](name);
}
