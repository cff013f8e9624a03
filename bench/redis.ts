/** A throwaway redis-server for the cluster benchmarks: a free port, no persistence, noeviction. */
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Redis {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<Redis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  child.once("error", () => {});
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (up) break;
    if (i > 100 || child.exitCode !== null)
      throw new Error("redis-server did not start (apt-get install redis-server)");
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise<void>((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write("CONFIG SET maxmemory-policy noeviction\r\n"));
    s.once("data", () => {
      s.destroy();
      resolve();
    });
    s.once("error", () => resolve());
  });
  return {
    pid: child.pid as number,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await gone;
    },
  };
}
