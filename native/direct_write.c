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
 *   writeMany(meta: Int32Array, data: Uint8Array, n: number, ring?: boolean): boolean
 *     one flush to many sockets in one call: entry i is meta[4i..4i+3] = fd, offset, length,
 *     result; for each entry with fd >= 0, sends data[offset, offset + length) to fd and puts in
 *     `result` what `write` would return. Entries with fd < 0 are left alone; a range not inside
 *     `data` gets -EINVAL. With `ring` true, the sends go to the kernel through io_uring, up to 256
 *     in one system call, where the kernel has it (Linux 5.7 and later, not turned off); each is
 *     the same send(2) with the same flags, done in the calling thread, and a socket that cannot
 *     take its bytes now gets -EAGAIN as with send(2). Elsewhere, one send(2) each. Returns true
 *     only if the ring broke with sends it could not wait for: `data` must then never be reused.
 *
 *   ring(): boolean
 *     whether `writeMany(..., true)` uses io_uring here (it tries to set the ring up once).
 *
 * Why io_uring: on the virtual machines papo was measured on, the entry to and return from a
 * system call cost about as much as a short send's own work (docs/performance.md); one call for a
 * whole flush leaves only the sends.
 */
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#if defined(__linux__) && defined(__has_include)
#if __has_include(<linux/io_uring.h>)
#include <linux/io_uring.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(IORING_FEAT_FAST_POLL) && defined(__NR_io_uring_setup) && defined(__NR_io_uring_enter) && \
    defined(__NR_io_uring_register)
#define PAPO_RING 1
#endif
#endif
#endif

static int32_t SendOnce(int fd, const void* data, size_t len) {
  ssize_t n;
  /* MSG_NOSIGNAL: a peer that is gone gives EPIPE here, never SIGPIPE. */
  do n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : (int32_t)n;
}

/* An entry's result before its send is known (writeMany sends it one by one if it stays so). */
#define PENDING INT32_MIN

#ifdef PAPO_RING
/*
 * One ring for the process, used only by the thread that set it up (Node's main thread; a worker
 * thread loading this helper sends one by one). Set up at the first use; if that fails (an old
 * kernel, io_uring turned off by sysctl or a seccomp filter), never tried again.
 */
#define RING_ENTRIES 256
static struct {
  int state; /* 0: not tried, 1: ready, -1: not available (or failed once: not used again) */
  int fd;
  pthread_t owner;
  unsigned *sq_head, *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe* sqes;
  struct io_uring_cqe* cqes;
} ring;

static int SendSupported(int fd) {
  size_t size = sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op);
  struct io_uring_probe* probe = calloc(1, size);
  if (!probe) return 0;
  int ok = syscall(__NR_io_uring_register, fd, IORING_REGISTER_PROBE, probe, 256) == 0 &&
           probe->last_op >= IORING_OP_SEND && (probe->ops[IORING_OP_SEND].flags & IO_URING_OP_SUPPORTED);
  free(probe);
  return ok;
}

static int RingSetup(void) {
  struct io_uring_params p;
  int fd = -1;
#ifdef IORING_SETUP_SUBMIT_ALL
  memset(&p, 0, sizeof p);
  /* Keep submitting the rest of a batch when one send fails at submission. */
  p.flags = IORING_SETUP_SUBMIT_ALL;
  fd = (int)syscall(__NR_io_uring_setup, RING_ENTRIES, &p);
#endif
  if (fd < 0) {
    memset(&p, 0, sizeof p);
    fd = (int)syscall(__NR_io_uring_setup, RING_ENTRIES, &p);
  }
  if (fd < 0) return -1;
  /* Linux 5.7 and later (IORING_OP_SEND came in 5.6, a send that cannot proceed failing at once
     with MSG_DONTWAIT is as old), and the kernel says it has IORING_OP_SEND: a kernel or sandbox
     that sets a ring up but would fail every send is not used. */
  if (!(p.features & IORING_FEAT_FAST_POLL) || !SendSupported(fd)) goto fail;
  size_t sqSize = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cqSize = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  int single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single && cqSize > sqSize) sqSize = cqSize;
  char* sq = mmap(NULL, sqSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) goto fail;
  char* cq = single ? sq
                    : mmap(NULL, cqSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
  if (cq == MAP_FAILED) goto fail;
  void* sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) goto fail;
  /* Whatever was mapped stays mapped for the life of the process, as the ring does. */
  ring.fd = fd;
  ring.sq_head = (unsigned*)(sq + p.sq_off.head);
  ring.sq_tail = (unsigned*)(sq + p.sq_off.tail);
  ring.sq_mask = (unsigned*)(sq + p.sq_off.ring_mask);
  ring.sq_array = (unsigned*)(sq + p.sq_off.array);
  ring.cq_head = (unsigned*)(cq + p.cq_off.head);
  ring.cq_tail = (unsigned*)(cq + p.cq_off.tail);
  ring.cq_mask = (unsigned*)(cq + p.cq_off.ring_mask);
  ring.cqes = (struct io_uring_cqe*)(cq + p.cq_off.cqes);
  ring.sqes = (struct io_uring_sqe*)sqes;
  return 0;
fail:
  close(fd);
  return -1;
}

static pthread_once_t ringOnce = PTHREAD_ONCE_INIT;

static void RingInit(void) {
  ring.owner = pthread_self();
  ring.state = RingSetup() == 0 ? 1 : -1;
}

static int RingReady(void) {
  /* Set up once, by the first thread to ask; the others wait for it, then use send(2). */
  pthread_once(&ringOnce, RingInit);
  return ring.state == 1 && pthread_equal(ring.owner, pthread_self());
}

static int Enter(unsigned toSubmit, unsigned minComplete, unsigned flags) {
  int r;
  do r = (int)syscall(__NR_io_uring_enter, ring.fd, toSubmit, minComplete, flags, NULL, 0);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}

/*
 * Sends the entries `index[0..count)` of `meta` (count <= RING_ENTRIES) through the ring and puts
 * each send's result in its entry. Returns -1 when the ring failed: entries never submitted keep
 * PENDING. Returns -2 when, for a second, the completions could not even be waited for (short of
 * a broken kernel, never): a submitted send whose completion was not read gets -EIO (the caller
 * hands it to the socket's own write: a duplicate there is better than a loss) and may still be
 * reading `data`.
 */
static int RingSend(int32_t* meta, const char* data, const int32_t* index, unsigned count) {
  static unsigned generation;
  /* Completions are matched to this call by its generation: nothing stale is taken as its own. */
  unsigned long long gen = (unsigned long long)(++generation) << 32;
  unsigned tail = *ring.sq_tail;
  for (unsigned k = 0; k < count; k++) {
    int32_t* e = meta + 4 * index[k];
    unsigned slot = tail & *ring.sq_mask;
    struct io_uring_sqe* sqe = &ring.sqes[slot];
    memset(sqe, 0, sizeof *sqe);
    sqe->opcode = IORING_OP_SEND;
    sqe->fd = e[0];
    sqe->addr = (unsigned long)(data + e[1]);
    sqe->len = (unsigned)e[2];
    /* As send(2) above: never SIGPIPE, never wait for room (-EAGAIN instead). */
    sqe->msg_flags = MSG_NOSIGNAL | MSG_DONTWAIT;
    sqe->user_data = gen | k;
    ring.sq_array[slot] = slot;
    tail++;
  }
  __atomic_store_n(ring.sq_tail, tail, __ATOMIC_RELEASE);
  /* One call submits the batch and (GETEVENTS) waits for its completions: the sends run in it. The
     kernel waits only when it took every entry; after a partial submission the rest goes next. */
  unsigned submitted = 0, completed = 0;
  int failed = 0, waitFailures = 0;
  while (submitted < count) {
    int r = Enter(count - submitted, count - submitted, IORING_ENTER_GETEVENTS);
    if (r <= 0) {
      /* Entries the kernel did not take are taken back, so that no later call submits them. */
      __atomic_store_n(ring.sq_tail, __atomic_load_n(ring.sq_head, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
      failed = 1;
      break;
    }
    submitted += (unsigned)r;
  }
  for (;;) {
    unsigned head = *ring.cq_head;
    unsigned end = __atomic_load_n(ring.cq_tail, __ATOMIC_ACQUIRE);
    for (; head != end; head++) {
      struct io_uring_cqe* cqe = &ring.cqes[head & *ring.cq_mask];
      unsigned long long k = cqe->user_data & 0xffffffffULL;
      if ((cqe->user_data & ~0xffffffffULL) != gen || k >= count) continue;
      int32_t* e = meta + 4 * index[k];
      if (e[3] != PENDING) continue;
      e[3] = cqe->res == PENDING ? -EIO : cqe->res;
      completed++;
    }
    __atomic_store_n(ring.cq_head, head, __ATOMIC_RELEASE);
    if (completed >= submitted) break;
    if (Enter(0, submitted - completed, IORING_ENTER_GETEVENTS) < 0 && ++waitFailures > 1000) {
      /* Sends of this call may still be in flight, reading `data`: the caller must not reuse it. */
      for (unsigned k = 0; k < submitted; k++)
        if (meta[4 * index[k] + 3] == PENDING) meta[4 * index[k] + 3] = -EIO;
      return -2;
    }
    if (waitFailures > 0) {
      struct timespec ms = {0, 1000000};
      nanosleep(&ms, NULL);
    }
  }
  return failed ? -1 : 0;
}
#endif

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
  size_t argc = 4;
  napi_value argv[4];
  int32_t count = 0;
  bool useRing = false;
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
      (size_t)count > metaLen / 4 || (argc >= 4 && napi_get_value_bool(env, argv[3], &useRing) != napi_ok)) {
    napi_throw_type_error(env, NULL, "writeMany(meta, data, n, ring?): an Int32Array of n entries, a Uint8Array");
    return NULL;
  }
  int32_t* meta = (int32_t*)metaData;
  for (int32_t i = 0; i < count; i++) {
    int32_t* e = meta + 4 * i;
    if (e[0] < 0) continue;
    e[3] = e[1] < 0 || e[2] < 0 || (size_t)e[1] + (size_t)e[2] > len ? -EINVAL : PENDING;
  }
  bool inFlight = false;
#ifdef PAPO_RING
  if (useRing && RingReady()) {
    int32_t index[RING_ENTRIES];
    unsigned k = 0;
    for (int32_t i = 0; i < count && ring.state == 1; i++) {
      if (meta[4 * i] >= 0 && meta[4 * i + 3] == PENDING) index[k++] = i;
      if (k == RING_ENTRIES || (i == count - 1 && k > 0)) {
        /* A ring that failed is not used again: what it did not send goes one by one below. */
        int r = RingSend(meta, (const char*)data, index, k);
        if (r != 0) ring.state = -1;
        if (r == -2) inFlight = true;
        k = 0;
      }
    }
  }
#endif
  for (int32_t i = 0; i < count; i++) {
    int32_t* e = meta + 4 * i;
    if (e[0] >= 0 && e[3] == PENDING) e[3] = SendOnce(e[0], (const char*)data + e[1], (size_t)e[2]);
  }
  napi_value result;
  if (napi_get_boolean(env, inFlight, &result) != napi_ok) return NULL;
  return result;
}

static napi_value Ring(napi_env env, napi_callback_info info) {
  napi_value result;
  (void)info;
#ifdef PAPO_RING
  bool ready = RingReady() != 0;
#else
  bool ready = false;
#endif
  if (napi_get_boolean(env, ready, &result) != napi_ok) return NULL;
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "write", NAPI_AUTO_LENGTH, Write, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "write", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "writeMany", NAPI_AUTO_LENGTH, WriteMany, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "writeMany", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "ring", NAPI_AUTO_LENGTH, Ring, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "ring", fn) != napi_ok) return NULL;
  return exports;
}
