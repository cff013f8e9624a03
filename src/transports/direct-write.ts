/**
 * Issue 14: writing a flush straight to a socket's descriptor, through papo's optional native
 * helper (native/direct_write.c, built by `npm ci`: native/build.mjs).
 *
 * At 100 clients × 0.5 msg/s a flush is one short line to each of 100 sockets, and the profile put
 * a sixth of papo's CPU time in Node's stream path around each write (Writable.write, the write
 * request, libuv), not in the system call. The helper is one N-API call around send(2).
 *
 * It is used only where it cannot reorder or lose anything: a plain TCP socket (not TLS), still
 * writable, with nothing queued in Node (`writableLength` 0), so nothing sent before can be
 * waiting. Whatever the kernel does not take (a full socket buffer, an error) goes to the
 * socket's own `write`, which queues it, pushes back and reports errors as before.
 *
 * Without the helper (no compiler when installing), or with the limit `directWrites` at 0, every
 * write goes through the socket, as it always did.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { fileURLToPath } from "node:url";

interface Native {
  write(fd: number, data: Uint8Array): number;
}

let native: Native | null | undefined;

/** Where the build puts the helper, from src/transports/ (tsx) or dist/transports/ (built). */
const BUILT = "../../native/build/Release/papo_direct_write.node";

/** The native helper, or null when it is not built here (or cannot load). */
export function directWriter(): Native | null {
  if (native !== undefined) return native;
  native = null;
  if (process.platform === "win32") return native;
  const url = new URL(BUILT, import.meta.url);
  if (!existsSync(url)) return native;
  try {
    native = createRequire(import.meta.url)(fileURLToPath(url)) as Native;
  } catch {
    // Built for another Node or platform: the sockets' own path works everywhere.
    native = null;
  }
  return native;
}

/**
 * The descriptor to write `socket` through, or -1: no helper, a TLS socket (its bytes must be
 * encrypted by Node) or no descriptor (a pipe in a test, a socket not connected).
 */
export function directFd(socket: net.Socket): number {
  if (!directWriter() || (socket as { encrypted?: boolean }).encrypted) return -1;
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : -1;
}

/**
 * A socket whose `write` was replaced on the instance (a test's stub, a tracing wrapper) gets all
 * its bytes through that `write`.
 */
const SOCKET_WRITE = net.Socket.prototype.write;

/** What `writeDirect` writes to: a socket, or any writable stream in a test. */
export interface DirectWritable {
  write(chunk: Buffer): unknown;
  readonly writableLength: number;
  readonly writable?: boolean;
}

/**
 * Writes `data` to `stream`: first straight to its descriptor `fd` (from `directFd`; -1: never)
 * when nothing is queued in Node, then whatever the kernel did not take through `stream.write`.
 * Node keeps `data` (a view of it) only when `stream.writableLength` is above 0 afterwards, as with
 * a plain write. Returns the bytes sent past Node (the caller counts them: dead-peer.ts).
 */
export function writeDirect(stream: DirectWritable, fd: number, data: Buffer): number {
  // `writable` is false once the socket is ended, errored or destroyed (its descriptor may then
  // belong to another connection already).
  if (fd >= 0 && native && stream.writableLength === 0 && stream.writable === true && stream.write === SOCKET_WRITE) {
    const n = native.write(fd, data);
    if (n > 0) {
      if (n < data.length) stream.write(data.subarray(n));
      return n;
    }
    // Refused (EAGAIN, or an error the socket's own write meets again and reports): all of it.
  }
  stream.write(data);
  return 0;
}
