import { DEFAULT_LIMITS, type Limits } from "../src/server/limits.ts";
import type { ServeConfig } from "../src/server/server.ts";

/** A server configuration for tests: loopback, port 0, English, the default limits but `limits`. */
export function testConfig(
  extra: Partial<Omit<ServeConfig, "limits">> = {},
  limits: Partial<Limits> = {},
): ServeConfig {
  return {
    host: "127.0.0.1",
    port: 0,
    lang: "en",
    hideAddresses: false,
    logMessages: false,
    ...extra,
    // The suites written before rooms share one server across tests and read lines in order;
    // history on join would put earlier tests' messages in front of them. Room tests set it.
    limits: { ...DEFAULT_LIMITS, historyOnJoin: 0, ...limits },
  };
}
