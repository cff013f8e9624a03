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
 */
#include <errno.h>
#include <node_api.h>
#include <sys/socket.h>

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
  ssize_t n;
  /* MSG_NOSIGNAL: a peer that is gone gives EPIPE here, never SIGPIPE. */
  do n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (napi_create_int32(env, n < 0 ? -errno : (int32_t)n, &result) != napi_ok) return NULL;
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "write", NAPI_AUTO_LENGTH, Write, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "write", fn) != napi_ok) return NULL;
  return exports;
}
