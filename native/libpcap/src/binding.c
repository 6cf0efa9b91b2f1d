/*
 * mpcap's libpcap binding (N-API, C): open an interface with libpcap's own snap length, buffer
 * size, immediate mode, time-stamp precision and BPF filter; hand the packets to JavaScript in
 * batches, each with libpcap's header (the kernel's timestamp, caplen, len); pcap_stats().
 *
 * Why batches: one JavaScript call per readable event (up to BATCH packets), not one per packet,
 * and no object per packet: the headers go into a Uint32Array and the bytes into one Buffer, both
 * given by JavaScript once at start and reused. libpcap's ring slots are released when its
 * callback returns, so each packet is copied once, into that Buffer.
 *
 * The descriptor is non-blocking and watched by libuv (uv_poll), so capture runs on Node's own
 * loop: timers, signals and output go on between batches.
 */
#include <node_api.h>
#include <uv.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

/* Per packet in the header array: seconds, fraction (µs or ns), caplen, len. */
#define HDR_WORDS 4
/* Batches delivered per readable event before going back to the loop (timers, signals). */
#define MAX_BATCHES_PER_EVENT 8

typedef struct {
  pcap_t *p;
  napi_env env;
  uv_poll_t poll;
  int polling;        /* uv_poll initialised and not yet closed */
  int poll_closed;    /* uv_close's callback ran (or poll never started) */
  int finalized;      /* the JS handle was collected */
  int in_callback;
  int closing;        /* close() asked from inside the callback */
  int closed;
  napi_ref cb;
  napi_ref hdr_ref;
  napi_ref data_ref;
  napi_ref self_ref;  /* keeps the JS handle alive while capturing */
  napi_async_context actx;
  uint32_t *hdr;
  size_t slots;
  uint8_t *data;
  size_t data_cap;
  size_t n;
  size_t used;
  int snap;
  struct pcap_stat final_stats;
  int have_final;
  char err[PCAP_ERRBUF_SIZE + 64];
} capture_t;

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, NULL, "mpcap-libpcap: N-API call failed: " #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static napi_value throw_code(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

static const char *status_code(int status) {
  switch (status) {
    case PCAP_ERROR_PERM_DENIED: return "PCAP_ERROR_PERM_DENIED";
    case PCAP_ERROR_NO_SUCH_DEVICE: return "PCAP_ERROR_NO_SUCH_DEVICE";
    case PCAP_ERROR_IFACE_NOT_UP: return "PCAP_ERROR_IFACE_NOT_UP";
    case PCAP_ERROR_PROMISC_PERM_DENIED: return "PCAP_ERROR_PROMISC_PERM_DENIED";
    default: return "PCAP_ERROR";
  }
}

static void free_capture(capture_t *c) {
  free(c);
}

static void on_poll_closed(uv_handle_t *h) {
  capture_t *c = (capture_t *)h->data;
  c->poll_closed = 1;
  if (c->finalized) free_capture(c);
}

/* Stops the watcher, keeps the last statistics, closes libpcap. Not from inside pcap_dispatch. */
static void do_close(capture_t *c) {
  if (c->closed) return;
  c->closed = 1;
  if (pcap_stats(c->p, &c->final_stats) == 0) c->have_final = 1;
  if (c->polling) {
    uv_poll_stop(&c->poll);
    c->polling = 0;
    uv_close((uv_handle_t *)&c->poll, on_poll_closed);
  }
  pcap_close(c->p);
  c->p = NULL;
  napi_env env = c->env;
  if (c->cb) { napi_delete_reference(env, c->cb); c->cb = NULL; }
  if (c->hdr_ref) { napi_delete_reference(env, c->hdr_ref); c->hdr_ref = NULL; }
  if (c->data_ref) { napi_delete_reference(env, c->data_ref); c->data_ref = NULL; }
  if (c->actx) { napi_async_destroy(env, c->actx); c->actx = NULL; }
  if (c->self_ref) { napi_delete_reference(env, c->self_ref); c->self_ref = NULL; }
}

static void finalize(napi_env env, void *data, void *hint) {
  capture_t *c = (capture_t *)data;
  c->finalized = 1;
  if (!c->closed) do_close(c);
  if (c->poll_closed) free_capture(c);
}

/* Appends one packet to the batch; the caller made room. */
static void add_packet(capture_t *c, const struct pcap_pkthdr *h, const u_char *bytes) {
  size_t len = h->caplen;
  if (len > c->data_cap - c->used) len = c->data_cap - c->used; /* only if caplen > snap length */
  uint32_t *w = c->hdr + c->n * HDR_WORDS;
  w[0] = (uint32_t)h->ts.tv_sec;
  w[1] = (uint32_t)h->ts.tv_usec; /* nanoseconds when opened with PCAP_TSTAMP_PRECISION_NANO */
  w[2] = (uint32_t)len;
  w[3] = (uint32_t)h->len;
  memcpy(c->data + c->used, bytes, len);
  c->used += len;
  c->n++;
}

/* Calls cb(count, error) in JavaScript; count packets are in the arrays. */
static void deliver(capture_t *c, const char *error) {
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[2], result;
  if (c->cb && napi_get_reference_value(env, c->cb, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv);
    napi_create_uint32(env, (uint32_t)c->n, &argv[0]);
    if (error) napi_create_string_utf8(env, error, NAPI_AUTO_LENGTH, &argv[1]);
    else napi_get_undefined(env, &argv[1]);
    c->in_callback = 1;
    napi_status s = napi_make_callback(env, c->actx, recv, cb, 2, argv, &result);
    c->in_callback = 0;
    if (s == napi_pending_exception) {
      napi_value e;
      napi_get_and_clear_last_exception(env, &e);
      napi_fatal_exception(env, e);
    }
  }
  napi_close_handle_scope(env, scope);
  c->n = 0;
  c->used = 0;
}

/*
 * pcap_next_ex, not pcap_dispatch: the packet stays valid until the next call, so a batch that is
 * full is handed over first and the packet copied after, whatever its length.
 */
static void on_readable(uv_poll_t *h, int status, int events) {
  capture_t *c = (capture_t *)h->data;
  if (c->closed) return;
  int batches = 0;
  struct pcap_pkthdr *hdr;
  const u_char *bytes;
  for (;;) {
    int r = pcap_next_ex(c->p, &hdr, &bytes);
    if (r == 0) break; /* nothing more for now (non-blocking) */
    if (r < 0) {
      snprintf(c->err, sizeof c->err, "%s", r == PCAP_ERROR ? pcap_geterr(c->p) : "the capture was broken off");
      deliver(c, c->err);
      do_close(c);
      return;
    }
    if (c->n == c->slots || hdr->caplen > c->data_cap - c->used) {
      deliver(c, NULL);
      if (c->closing) { do_close(c); return; }
      if (++batches >= MAX_BATCHES_PER_EVENT) {
        /* this packet is not lost: it goes first into the next batch, now empty */
        add_packet(c, hdr, bytes);
        deliver(c, NULL);
        if (c->closing) do_close(c);
        return; /* still readable: called again on the next loop turn */
      }
    }
    add_packet(c, hdr, bytes);
  }
  if (c->n > 0) deliver(c, NULL);
  if (c->closing) do_close(c);
}

static int get_bool(napi_env env, napi_value obj, const char *key, int dflt) {
  napi_value v;
  bool b;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return dflt;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return dflt;
  return b;
}

static int get_int(napi_env env, napi_value obj, const char *key, int dflt) {
  napi_value v;
  int32_t i;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return dflt;
  if (napi_get_value_int32(env, v, &i) != napi_ok) return dflt;
  return i;
}

static char *get_string(napi_env env, napi_value obj, const char *key) {
  napi_value v;
  size_t len;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return NULL;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static napi_value set_u32(napi_env env, napi_value obj, const char *key, uint32_t x) {
  napi_value v;
  napi_create_uint32(env, x, &v);
  napi_set_named_property(env, obj, key, v);
  return obj;
}

/*
 * open({ device, filter, snapLen, bufferBytes, immediate, timeoutMs, nano, promisc }) →
 * { handle, linkType (DLT_*), snapLen, nano, warning }
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return throw_code(env, "EINVAL", "open(options) needs its options");
  char *device = get_string(env, argv[0], "device");
  char *filter = get_string(env, argv[0], "filter");
  if (!device || !filter) {
    free(device);
    free(filter);
    return throw_code(env, "EINVAL", "open: device and filter must be strings");
  }
  int snap = get_int(env, argv[0], "snapLen", 262144);
  int buffer = get_int(env, argv[0], "bufferBytes", 2 * 1024 * 1024);
  int immediate = get_bool(env, argv[0], "immediate", 0);
  int timeout_ms = get_int(env, argv[0], "timeoutMs", 10);
  int nano = get_bool(env, argv[0], "nano", 1);
  int promisc = get_bool(env, argv[0], "promisc", 1);
  char errbuf[PCAP_ERRBUF_SIZE];
  char msg[PCAP_ERRBUF_SIZE + 128];
  errbuf[0] = 0;
  pcap_t *p = pcap_create(device, errbuf);
  if (!p) {
    free(device);
    free(filter);
    return throw_code(env, "PCAP_ERROR", errbuf);
  }
  pcap_set_snaplen(p, snap);
  pcap_set_promisc(p, promisc);
  pcap_set_buffer_size(p, buffer);
  pcap_set_timeout(p, timeout_ms); /* TPACKET_V3: a block is handed over when full or this old */
  pcap_set_immediate_mode(p, immediate);
  int got_nano = 0;
  if (nano && pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0) got_nano = 1;
  int status = pcap_activate(p);
  if (status < 0) {
    snprintf(msg, sizeof msg, "%s (%s)", pcap_geterr(p)[0] ? pcap_geterr(p) : pcap_statustostr(status), pcap_statustostr(status));
    pcap_close(p);
    free(device);
    free(filter);
    return throw_code(env, status_code(status), msg);
  }
  char warning[PCAP_ERRBUF_SIZE + 64];
  warning[0] = 0;
  if (status > 0) snprintf(warning, sizeof warning, "%s (%s)", pcap_geterr(p), pcap_statustostr(status));
  got_nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  if (filter[0]) {
    struct bpf_program fp;
    if (pcap_compile(p, &fp, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p, &fp) != 0) {
      snprintf(msg, sizeof msg, "%s", pcap_geterr(p));
      pcap_close(p);
      free(device);
      free(filter);
      return throw_code(env, "PCAP_FILTER", msg);
    }
    pcap_freecode(&fp);
  }
  free(device);
  free(filter);
  if (pcap_setnonblock(p, 1, errbuf) != 0) {
    pcap_close(p);
    return throw_code(env, "PCAP_ERROR", errbuf);
  }
  capture_t *c = calloc(1, sizeof *c);
  if (!c) {
    pcap_close(p);
    return throw_code(env, "ENOMEM", "out of memory");
  }
  c->p = p;
  c->env = env;
  c->snap = pcap_snapshot(p);
  c->poll_closed = 1;
  napi_value out, handle, v;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_external(env, c, finalize, NULL, &handle));
  CHECK(napi_set_named_property(env, out, "handle", handle));
  set_u32(env, out, "linkType", (uint32_t)pcap_datalink(p));
  set_u32(env, out, "snapLen", (uint32_t)c->snap);
  CHECK(napi_get_boolean(env, got_nano, &v));
  CHECK(napi_set_named_property(env, out, "nano", v));
  CHECK(napi_create_string_utf8(env, warning, NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, out, "warning", v));
  return out;
}

static capture_t *unwrap(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "not a capture handle");
    return NULL;
  }
  return (capture_t *)data;
}

/* start(handle, headers: Uint32Array, data: Buffer, cb(count, error)) */
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) return throw_code(env, "EINVAL", "start(handle, headers, data, callback)");
  capture_t *c = unwrap(env, argv[0]);
  if (!c) return NULL;
  if (c->closed) return throw_code(env, "EINVAL", "the capture is closed");
  if (c->polling) return throw_code(env, "EINVAL", "the capture is already started");
  napi_typedarray_type type;
  size_t length, offset;
  void *hdr;
  napi_value ab;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &hdr, &ab, &offset));
  if (type != napi_uint32_array || length < HDR_WORDS) return throw_code(env, "EINVAL", "headers must be a Uint32Array");
  void *data;
  size_t data_len;
  CHECK(napi_get_buffer_info(env, argv[2], &data, &data_len));
  if (data_len < (size_t)c->snap) return throw_code(env, "EINVAL", "the data buffer must hold at least one packet of the snap length");
  c->hdr = (uint32_t *)hdr;
  c->slots = length / HDR_WORDS;
  c->data = (uint8_t *)data;
  c->data_cap = data_len;
  CHECK(napi_create_reference(env, argv[1], 1, &c->hdr_ref));
  CHECK(napi_create_reference(env, argv[2], 1, &c->data_ref));
  CHECK(napi_create_reference(env, argv[3], 1, &c->cb));
  CHECK(napi_create_reference(env, argv[0], 1, &c->self_ref));
  napi_value name;
  CHECK(napi_create_string_utf8(env, "mpcap:libpcap", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &c->actx));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int fd = pcap_get_selectable_fd(c->p);
  if (fd < 0) return throw_code(env, "PCAP_ERROR", "libpcap gives no selectable descriptor for this device");
  if (uv_poll_init(loop, &c->poll, fd) != 0) return throw_code(env, "PCAP_ERROR", "cannot watch the capture descriptor");
  c->poll.data = c;
  c->polling = 1;
  c->poll_closed = 0;
  uv_poll_start(&c->poll, UV_READABLE, on_readable);
  return NULL;
}

/* stats(handle) → [ps_recv, ps_drop, ps_ifdrop] (the last ones libpcap gave when closed) */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  capture_t *c = unwrap(env, argv[0]);
  if (!c) return NULL;
  struct pcap_stat ps;
  if (c->closed) {
    if (!c->have_final) return throw_code(env, "PCAP_ERROR", "no statistics were read before the capture closed");
    ps = c->final_stats;
  } else if (pcap_stats(c->p, &ps) != 0) {
    return throw_code(env, "PCAP_ERROR", pcap_geterr(c->p));
  }
  napi_value arr, v;
  CHECK(napi_create_array_with_length(env, 3, &arr));
  napi_create_uint32(env, ps.ps_recv, &v);
  napi_set_element(env, arr, 0, v);
  napi_create_uint32(env, ps.ps_drop, &v);
  napi_set_element(env, arr, 1, v);
  napi_create_uint32(env, ps.ps_ifdrop, &v);
  napi_set_element(env, arr, 2, v);
  return arr;
}

/* close(handle): at once, or after the batch being delivered when called from its callback. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  capture_t *c = unwrap(env, argv[0]);
  if (!c) return NULL;
  if (c->in_callback) {
    /* pcap_dispatch may still be on the stack: close when the batch returns, keep the stats now */
    c->closing = 1;
    return NULL;
  }
  do_close(c);
  return NULL;
}

/* devices() → names libpcap can open, 'any' included on Linux */
static napi_value js_devices(napi_env env, napi_callback_info info) {
  pcap_if_t *all = NULL;
  char errbuf[PCAP_ERRBUF_SIZE];
  if (pcap_findalldevs(&all, errbuf) != 0) return throw_code(env, "PCAP_ERROR", errbuf);
  napi_value arr, v;
  CHECK(napi_create_array(env, &arr));
  uint32_t i = 0;
  for (pcap_if_t *d = all; d; d = d->next) {
    napi_create_string_utf8(env, d->name, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, arr, i++, v);
  }
  pcap_freealldevs(all);
  return arr;
}

static napi_value js_version(napi_env env, napi_callback_info info) {
  napi_value v;
  CHECK(napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &v));
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
    {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
    {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
    {"devices", NULL, js_devices, NULL, NULL, NULL, napi_default, NULL},
    {"libVersion", NULL, js_version, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
