/*
 * papo's optional native helper (issue 14): one send(2) of a buffer on a socket's descriptor.
 *
 * At light load a chat server's flush is one short line to each of n sockets. Node's path for a
 * socket write (Writable.write, the write request, libuv's try-write) costs several microseconds
 * of JavaScript and C++ per call, more than the system call's own work in user space; this helper
 * is one N-API call around send(2). It is only ever used on a plain TCP socket with nothing
 * queued in Node (src/transports/outbox.ts checks), so the bytes it sends cannot pass bytes
 * already waiting; whatever the kernel does not take is handed to the socket's own write.
 *
 *   write(fd: number, data: Uint8Array): number
 *     bytes the kernel took (0..data.length), or -errno (-EAGAIN: the socket buffer is full).
 *
 *   writeMany(meta: Int32Array, data: Uint8Array, n: number): void
 *     one flush to many sockets in one call: entry i is meta[4i..4i+3] = fd, offset, length,
 *     result; for each entry with fd >= 0, sends data[offset, offset + length) to fd and puts in
 *     `result` what `write` would return. Entries with fd < 0, or whose range is not inside
 *     `data`, are left alone (result -EINVAL for a bad range).
 */
#include <errno.h>
#include <node_api.h>
#include <sys/socket.h>

static int32_t SendOnce(int fd, const void* data, size_t len) {
  ssize_t n;
  /* MSG_NOSIGNAL: a peer that is gone gives EPIPE here, never SIGPIPE. */
  do n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : (int32_t)n;
}

static napi_value Write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  void* data = NULL;
  size_t len = 0;
  napi_typedarray_type type;
  napi_value arraybuffer;
  size_t offset;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &type, &len, &data, &arraybuffer, &offset) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "write(fd, data): a descriptor and a Uint8Array");
    return NULL;
  }
  if (napi_create_int32(env, SendOnce(fd, data, len), &result) != napi_ok) return NULL;
  return result;
}

static napi_value WriteMany(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t count = 0;
  void* metaData = NULL;
  size_t metaLen = 0;
  void* data = NULL;
  size_t len = 0;
  napi_typedarray_type metaType, type;
  napi_value arraybuffer;
  size_t offset;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_typedarray_info(env, argv[0], &metaType, &metaLen, &metaData, &arraybuffer, &offset) != napi_ok ||
      metaType != napi_int32_array ||
      napi_get_typedarray_info(env, argv[1], &type, &len, &data, &arraybuffer, &offset) != napi_ok ||
      type != napi_uint8_array || napi_get_value_int32(env, argv[2], &count) != napi_ok || count < 0 ||
      (size_t)count > metaLen / 4) {
    napi_throw_type_error(env, NULL, "writeMany(meta, data, n): an Int32Array of n entries, a Uint8Array");
    return NULL;
  }
  int32_t* meta = (int32_t*)metaData;
  for (int32_t i = 0; i < count; i++) {
    int32_t* e = meta + 4 * i;
    if (e[0] < 0) continue;
    if (e[1] < 0 || e[2] < 0 || (size_t)e[1] + (size_t)e[2] > len) {
      e[3] = -EINVAL;
      continue;
    }
    e[3] = SendOnce(e[0], (const char*)data + e[1], (size_t)e[2]);
  }
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "write", NAPI_AUTO_LENGTH, Write, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "write", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "writeMany", NAPI_AUTO_LENGTH, WriteMany, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "writeMany", fn) != napi_ok) return NULL;
  return exports;
}
