/* s3src: reads one S3 object as a seekable byte stream, streaming each
 * ranged GET for as long as reading stays sequential, and resuming a broken
 * connection where it stopped without ever mixing two versions. */

/**
 * SECTION:element-s3src
 * @title: s3src
 *
 * Reads an S3 object (`s3://bucket/key`, as the AWS CLI writes it) and
 * pushes or serves its bytes. The object's size, ETag and type come from
 * the headers of the first GET (its Content-Range), as curl learns them, so
 * opening an object costs no extra round trip; the element is seekable and
 * works in pull mode: `s3src ! qtdemux` plays an MP4 whose `moov` is at the
 * end and `decodebin` can seek. When that first GET fails before its
 * headers (no such key, a bucket in another region, an empty object), a
 * HEAD with the configured retries decides, and its error is the one posted.
 * An object of up to 4 MiB (and no larger than the read-ahead) is kept
 * whole in memory as that GET brings it, so typefinding's and demuxers'
 * jumps back cost no further request.
 *
 * Reading is done by one ranged GET that streams into a bounded read-ahead
 * buffer (#GstS3Src:read-ahead) for as long as reads are sequential; a seek
 * (or a jump forward past the read-ahead) opens a new range. A connection
 * that breaks mid-object is resumed from the current offset with `If-Match`
 * on the object's ETag, so the bytes delivered are exactly the object's; if
 * the object was replaced meanwhile, S3 answers 412 PreconditionFailed and
 * the element stops with an error saying so.
 *
 * Region, endpoint and credentials follow the AWS SDKs' rules (properties,
 * then the environment and the shared config files). A bucket in another
 * region is followed when S3 names it, unless an endpoint was set.
 *
 * The element answers the URI query with the `s3://` URI, so downstream
 * analysis knows which asset it looks at.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 s3src uri="s3://media/clips/my clip.mp4" ! filesink location=clip.mp4
 * gst-launch-1.0 s3src uri=s3://media/clip.mp4 ! qtdemux ! h264parse ! avdec_h264 ! autovideosink
 * gst-launch-1.0 s3src uri=s3://bucket/key endpoint=http://127.0.0.1:5000 region=us-east-1 ! fakesink
 * ]|
 *
 * Since: 0.1
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsts3src.h"

#include <string.h>

#include "awserror.h"
#include "retry.h"

GST_DEBUG_CATEGORY_STATIC (gst_s3_src_debug);
#define GST_CAT_DEFAULT gst_s3_src_debug

#define DEFAULT_READ_AHEAD (8 * 1024 * 1024)
#define MIN_READ_AHEAD (64 * 1024)
/* One chunk per buffer in push mode: handed out without a copy, and the
 * streaming thread wakes once per MiB (on loopback, 128 KiB buffers gave
 * 0.85 to 0.9 of curl's throughput, 1 MiB buffers 1.1: bench-s3src.py). */
#define DEFAULT_BLOCKSIZE (1024 * 1024)
/* A jump forward this far past the buffered bytes is read through rather
 * than paid for with a new request (a round trip is worth a few MB). */
#define SKIP_WINDOW (2 * 1024 * 1024)
/* Objects up to this size are kept whole in memory as the first GET brings
 * them: typefinding and demuxers jump to the end and back, and a small
 * image would otherwise cost a GET per jump. */
#define WHOLE_MAX (4 * 1024 * 1024)
/* The unit the network fills: large enough that create() mostly hands out
 * sub-buffers of one chunk. */
#define CHUNK_SIZE (1024 * 1024)
/* A broken download resumes soon: retry.h's backoff from 100 ms, at most
 * 5 s. */
#define RESUME_BACKOFF_BASE_MS 100
#define RESUME_BACKOFF_MAX_MS 5000

enum
{
  PROP_VERSION_ID = GST_S3_PROP_LOCATION_LAST + 1,
  PROP_ANONYMOUS,
  PROP_READ_AHEAD,
  PROP_AWS_FIRST,
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void gst_s3_src_uri_handler_init (gpointer g_iface, gpointer iface_data);

#define gst_s3_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstS3Src, gst_s3_src, GST_TYPE_BASE_SRC,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER, gst_s3_src_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE (s3src, "s3src", GST_RANK_PRIMARY, GST_TYPE_S3_SRC);

/* ---- errors ---- */

static void
post_error (GstS3Src * self, const GError * err)
{
  g_autofree gchar *bucket = NULL;
  g_autofree gchar *key = NULL;

  GST_OBJECT_LOCK (self);
  bucket = g_strdup (self->location.bucket);
  key = g_strdup (self->location.key);
  GST_OBJECT_UNLOCK (self);
  mt_s3_element_error (GST_ELEMENT (self), err, bucket, key);
}

/* ---- chunk memory ----
 *
 * Chunk memory is recycled: a fresh 1 MiB allocation costs a page fault
 * per 4 KiB (glibc hands large blocks back to the kernel), which at
 * loopback speed was a fifth of the element's time. A block comes back
 * here when the last buffer using it is freed, downstream or not; the
 * pool outlives the element while blocks are out. */

struct _GstS3SrcBlockPool
{
  gint ref_count;
  GMutex lock;
  GPtrArray *free;              /* of CHUNK_SIZE blocks */
  guint max_free;
};

typedef struct
{
  GstS3SrcBlockPool *pool;
  guint8 *data;
} Block;

static GstS3SrcBlockPool *
block_pool_new (guint max_free)
{
  GstS3SrcBlockPool *pool = g_new0 (GstS3SrcBlockPool, 1);

  pool->ref_count = 1;
  g_mutex_init (&pool->lock);
  pool->free = g_ptr_array_new_with_free_func (g_free);
  pool->max_free = max_free;
  return pool;
}

static void
block_pool_unref (GstS3SrcBlockPool * pool)
{
  if (!g_atomic_int_dec_and_test (&pool->ref_count))
    return;
  g_ptr_array_unref (pool->free);
  g_mutex_clear (&pool->lock);
  g_free (pool);
}

static void
block_release (gpointer user_data)
{
  Block *block = user_data;
  GstS3SrcBlockPool *pool = block->pool;

  g_mutex_lock (&pool->lock);
  if (pool->free->len < pool->max_free)
    g_ptr_array_add (pool->free, g_steal_pointer (&block->data));
  g_mutex_unlock (&pool->lock);
  g_free (block->data);
  g_free (block);
  block_pool_unref (pool);
}

static GstBuffer *
block_pool_acquire (GstS3SrcBlockPool * pool)
{
  Block *block = g_new (Block, 1);

  g_mutex_lock (&pool->lock);
  block->data = pool->free->len ?
      g_ptr_array_steal_index_fast (pool->free, pool->free->len - 1) : NULL;
  g_mutex_unlock (&pool->lock);
  if (block->data == NULL)
    block->data = g_malloc (CHUNK_SIZE);
  g_atomic_int_inc (&pool->ref_count);
  block->pool = pool;
  return gst_buffer_new_wrapped_full (0, block->data, CHUNK_SIZE, 0,
      CHUNK_SIZE, block, block_release);
}

/* ---- the read-ahead buffer ----
 *
 * The transfer writes into a chunk (a GstBuffer) that, once full, goes to an
 * adapter; create() takes its buffers from the adapter without copying (a
 * sub-buffer of a chunk, or several chunks' memories). One copy in all,
 * from curl's buffer into a chunk. Called with the lock held. */

static gsize
buffered_locked (GstS3Src * self)
{
  return gst_adapter_available (self->adapter) + self->chunk_fill;
}

/* Hands the chunk being filled to the adapter, even if not full. */
static void
seal_chunk_locked (GstS3Src * self)
{
  if (self->chunk == NULL)
    return;
  gst_buffer_unmap (self->chunk, &self->chunk_map);
  gst_buffer_set_size (self->chunk, self->chunk_fill);
  if (self->chunk_fill > 0)
    gst_adapter_push (self->adapter, self->chunk);
  else
    gst_buffer_unref (self->chunk);
  self->chunk = NULL;
  self->chunk_fill = 0;
}

static void
clear_buffered_locked (GstS3Src * self)
{
  seal_chunk_locked (self);
  gst_adapter_clear (self->adapter);
}

static gsize
write_locked (GstS3Src * self, const guint8 * data, gsize len)
{
  gsize n;

  if (self->chunk == NULL) {
    self->chunk = block_pool_acquire (self->blocks);
    gst_buffer_map (self->chunk, &self->chunk_map, GST_MAP_WRITE);
    self->chunk_fill = 0;
  }
  n = MIN (len, CHUNK_SIZE - self->chunk_fill);
  n = MIN (n, self->capacity - buffered_locked (self));
  memcpy (self->chunk_map.data + self->chunk_fill, data, n);
  self->chunk_fill += n;
  if (self->chunk_fill == CHUNK_SIZE)
    seal_chunk_locked (self);
  /* Wake the reader once what it waits for is there, not per packet. */
  if (buffered_locked (self) >= self->want)
    g_cond_signal (&self->data_cond);
  return n;
}

/* Takes n buffered bytes (NULL out: drops them). */
static void
take_locked (GstS3Src * self, gsize n, GstBuffer ** out)
{
  if (gst_adapter_available (self->adapter) < n)
    seal_chunk_locked (self);
  if (out)
    *out = gst_adapter_take_buffer_fast (self->adapter, n);
  else
    gst_adapter_flush (self->adapter, n);
  self->read_offset += n;
  /* Let the transfer go on once a good share of the buffer is free. */
  if (self->writer_waiting
      && self->capacity - buffered_locked (self) >= self->capacity / 4) {
    self->writer_waiting = FALSE;
    g_cond_signal (&self->space_cond);
  }
}

/* ---- the transfer thread ---- */

typedef struct
{
  GstS3Src *self;
  guint generation;
  guint64 pos;                  /* object offset of the next byte to come */
  guint64 skip;                 /* bytes to drop: a 200 that ignored Range */
  gboolean checked;             /* this response's range was checked */
  gboolean opening;             /* the first GET: learns the object */
  gboolean collect;             /* ... and keeps a small object whole */
  GError *protocol_error;
} Transfer;

static void
transfer_free (Transfer * t)
{
  g_clear_error (&t->protocol_error);
  gst_object_unref (t->self);
  g_free (t);
}

/* Whether this transfer is still wanted. Called with the lock held. A
 * small object arriving whole goes on through a flush (a pad mode switch
 * after typefinding, a seek): it never waits for room, and the reads after
 * the flush want its bytes. */
static gboolean
transfer_current_locked (Transfer * t)
{
  return t->generation == t->self->generation && (!t->self->flushing
      || t->self->small != NULL);
}

static gboolean
transfer_current (Transfer * t)
{
  gboolean current;

  g_mutex_lock (&t->self->lock);
  current = transfer_current_locked (t);
  g_mutex_unlock (&t->self->lock);
  return current;
}

/* The first bytes of a response: is it the range that was asked for? */
static gboolean
transfer_check_range (Transfer * t, const MtHttpResponse * resp)
{
  const gchar *cr = mt_http_response_get_header (resp, "Content-Range");
  guint64 first;

  if (resp->status == 200) {
    /* A server may ignore Range: read through to where we are. */
    t->skip = t->pos;
    return TRUE;
  }
  if (cr && g_str_has_prefix (cr, "bytes ")) {
    first = g_ascii_strtoull (cr + 6, NULL, 10);
    if (first == t->pos)
      return TRUE;
  }
  g_set_error (&t->protocol_error, G_IO_ERROR, G_IO_ERROR_FAILED,
      "S3 answered the range starting at %" G_GUINT64_FORMAT " with '%s'",
      t->pos, cr ? cr : "no Content-Range");
  return FALSE;
}

/* The first bytes of the first GET: its headers say what HEAD would have
 * said (size, ETag, type, version), and the reader waiting in start() is
 * told. */
static gboolean
transfer_learn_object (Transfer * t, const MtHttpResponse * resp)
{
  GstS3Src *self = t->self;
  MtS3Object *obj;
  guint64 size;

  if (!mt_s3_response_size (resp, &size)) {
    g_set_error (&t->protocol_error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "S3 answered GET without the object's size (HTTP %u)", resp->status);
    return FALSE;
  }
  obj = mt_s3_object_from_response (NULL, resp);
  obj->size = size;

  g_mutex_lock (&self->lock);
  if (!transfer_current_locked (t)) {
    g_mutex_unlock (&self->lock);
    mt_s3_object_free (obj);
    return FALSE;
  }
  self->object = obj;
  t->collect = size > 0 && size <= MIN (WHOLE_MAX, self->capacity);
  if (t->collect)
    self->small = g_byte_array_sized_new (size);
  g_cond_broadcast (&self->data_cond);
  g_mutex_unlock (&self->lock);
  t->opening = FALSE;
  t->skip = 0;
  return TRUE;
}

/* Keeps the first GET's bytes of a small object; once they are all there,
 * they become the object in memory. */
static void
collect_locked (Transfer * t, const guint8 * data, gsize len)
{
  GstS3Src *self = t->self;

  if (self->small == NULL || !transfer_current_locked (t))
    return;
  g_byte_array_append (self->small, data, len);
  if (self->small->len < self->object->size)
    return;
  self->whole = gst_buffer_new_wrapped_bytes (g_byte_array_free_to_bytes
      (g_steal_pointer (&self->small)));
  g_cond_broadcast (&self->data_cond);
  GST_DEBUG_OBJECT (self, "the whole object (%" G_GUINT64_FORMAT " bytes) is "
      "in memory", self->object->size);
}

static gboolean
transfer_on_data (const MtHttpResponse * resp, const guint8 * data,
    gsize len, gpointer user_data)
{
  Transfer *t = user_data;
  GstS3Src *self = t->self;
  guint64 size;

  if (!t->checked && !(t->opening ? transfer_learn_object (t, resp) :
          transfer_check_range (t, resp)))
    return FALSE;
  t->checked = TRUE;
  size = self->object->size;
  if (t->skip) {
    gsize drop = MIN (t->skip, len);

    data += drop;
    len -= drop;
    t->skip -= drop;
  }
  len = MIN (len, size - t->pos);

  g_mutex_lock (&self->lock);
  if (t->collect)
    collect_locked (t, data, len);
  while (len > 0) {
    gsize n;

    if (!transfer_current_locked (t)) {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
    if (buffered_locked (self) >= self->capacity) {
      /* Full: waiting here stops curl reading, and TCP holds the rest. */
      self->writer_waiting = TRUE;
      g_cond_wait (&self->space_cond, &self->lock);
      continue;
    }
    n = write_locked (self, data, len);
    data += n;
    len -= n;
    t->pos += n;
    self->last_data_time = g_get_monotonic_time ();
  }
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* One GET of the range [pos, size), streamed into the read-ahead. */
static gboolean
transfer_fetch (Transfer * t, GError ** error)
{
  GstS3Src *self = t->self;
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", self->url);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree gchar *range = NULL;
  MtAwsSendOptions opts = { 0, };
  gboolean ok;

  /* The first GET asks for everything: its answer names the size and
   * the ETag that every later range must match. */
  if (t->opening)
    range = g_strdup ("bytes=0-");
  else
    range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
        t->pos, self->object->size - 1);
  mt_http_request_set_header (req, "Range", range);
  if (!t->opening && self->object->etag)
    mt_http_request_set_header (req, "If-Match", self->object->etag);
  opts.payload = MT_SIGV4_PAYLOAD_SIGNED;
  opts.s3 = TRUE;
  opts.on_data = transfer_on_data;
  opts.user_data = t;
  t->skip = 0;
  t->checked = FALSE;

  g_mutex_lock (&self->lock);
  if (!transfer_current_locked (t)) {
    g_mutex_unlock (&self->lock);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "superseded");
    return FALSE;
  }
  g_set_object (&self->cancellable, cancellable);
  self->in_request = TRUE;
  self->last_data_time = g_get_monotonic_time ();
  self->requests++;
  g_mutex_unlock (&self->lock);

  GST_DEBUG_OBJECT (self, "GET %s", range);
  ok = mt_aws_client_send (mt_s3_client_get_aws (self->stream_client), req,
      &opts, NULL, cancellable, error);
  if (!ok && t->protocol_error) {
    g_clear_error (error);
    g_propagate_error (error, g_steal_pointer (&t->protocol_error));
  }
  if (ok && t->opening) {
    ok = FALSE;
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "S3 answered GET with no body");
  }

  g_mutex_lock (&self->lock);
  self->in_request = FALSE;
  if (self->cancellable == cancellable)
    g_clear_object (&self->cancellable);
  g_mutex_unlock (&self->lock);
  return ok;
}

/* What retry.h makes of a failed fetch; a stalled connection, which
 * create() cancelled, is resumed like a dropped one. */
static MtRetryClass
transfer_classify (Transfer * t, const GError * err)
{
  GstS3Src *self = t->self;
  gboolean stalled;

  g_mutex_lock (&self->lock);
  stalled = self->stalled;
  self->stalled = FALSE;
  g_mutex_unlock (&self->lock);
  return stalled ? MT_RETRY_TRANSIENT : mt_retry_classify (err);
}

/* Waits `delay_ms` (from retry.h) before resuming; the wait ends early,
 * returning FALSE, when the transfer is retired (a seek, stop). */
static gboolean
transfer_backoff (Transfer * t, gint64 delay_ms)
{
  GstS3Src *self = t->self;
  gint64 deadline = g_get_monotonic_time () + delay_ms * 1000;
  gboolean current;

  g_mutex_lock (&self->lock);
  while (transfer_current_locked (t)
      && g_cond_wait_until (&self->space_cond, &self->lock, deadline));
  current = transfer_current_locked (t);
  g_mutex_unlock (&self->lock);
  return current;
}

/* Whether bytes remain to be fetched: all of them while the object is not
 * known yet. Only this thread sets self->object while it runs. */
static gboolean
transfer_wanted (Transfer * t)
{
  return t->self->object == NULL || t->pos < t->self->object->size;
}

static gpointer
transfer_thread (gpointer data)
{
  Transfer *t = data;
  GstS3Src *self = t->self;
  GError *err = NULL;
  MtRetryPolicy policy;
  MtRetryState state;

  /* Resumes are retries: a byte gained since the last failure starts the
   * budget again, and the first resume after progress goes at once. */
  mt_retry_policy_init (&policy, self->retries);
  policy.base_ms = RESUME_BACKOFF_BASE_MS;
  policy.max_ms = RESUME_BACKOFF_MAX_MS;
  mt_retry_state_init (&state, &policy);
  while (transfer_wanted (t)) {
    guint64 before = t->pos;
    gint64 delay;

    g_clear_error (&err);
    if (transfer_fetch (t, &err) && transfer_wanted (t))
      g_set_error (&err, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
          "S3 ended the response at byte %" G_GUINT64_FORMAT " of %"
          G_GUINT64_FORMAT, t->pos, self->object->size);
    /* A first GET that failed before its headers is not resumed: start()
     * asks HEAD, with the user's retries, what is wrong. */
    if (err == NULL || !transfer_current (t) || self->object == NULL)
      break;
    if (t->pos > before)
      mt_retry_state_init (&state, &policy);
    delay = mt_retry_next_delay (&state, transfer_classify (t, err), -1);
    if (delay < 0)
      break;
    GST_INFO_OBJECT (self, "resuming at byte %" G_GUINT64_FORMAT " (%s)",
        t->pos, err->message);
    if (!transfer_backoff (t, t->pos > before ? 0 : delay))
      break;
  }

  g_mutex_lock (&self->lock);
  if (transfer_current_locked (t)) {
    if (err && transfer_wanted (t))
      self->transfer_error = g_steal_pointer (&err);
    self->transfer_done = TRUE;
    g_cond_broadcast (&self->data_cond);
  }
  g_mutex_unlock (&self->lock);
  g_clear_error (&err);
  transfer_free (t);
  return NULL;
}

/* Retires the transfer in flight and waits for its thread to end. Called
 * with the lock held; drops it while joining. */
static void
stop_transfer_locked (GstS3Src * self)
{
  GThread *thread;

  self->generation++;
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_cond_broadcast (&self->data_cond);
  g_cond_broadcast (&self->space_cond);
  thread = g_steal_pointer (&self->thread);
  if (thread == NULL)
    return;
  g_mutex_unlock (&self->lock);
  g_thread_join (thread);
  g_mutex_lock (&self->lock);
}

static void
start_transfer_locked (GstS3Src * self, guint64 offset)
{
  Transfer *t;

  stop_transfer_locked (self);
  clear_buffered_locked (self);
  /* Only the first GET keeps a small object whole. */
  g_clear_pointer (&self->small, g_byte_array_unref);
  self->writer_waiting = FALSE;
  self->read_offset = offset;
  self->transfer_done = FALSE;
  self->stalled = FALSE;
  g_clear_error (&self->transfer_error);
  if (self->object && offset >= self->object->size) {
    self->transfer_done = TRUE;
    return;
  }
  t = g_new0 (Transfer, 1);
  t->self = gst_object_ref (self);
  t->generation = self->generation;
  t->pos = offset;
  t->opening = self->object == NULL;
  GST_DEBUG_OBJECT (self, "reading from byte %" G_GUINT64_FORMAT, offset);
  self->thread_generation = self->generation;
  self->thread = g_thread_new ("s3src-transfer", transfer_thread, t);
}

/* ---- reading ---- */

/* Waits for the transfer to have `need` bytes buffered; when no byte came
 * for the request timeout while there was room, the connection has
 * stalled: cancel it, and the transfer thread resumes where it was. */
static void
wait_locked (GstS3Src * self, gsize need)
{
  gint64 deadline;

  self->want = need;
  if (self->stall_timeout_us <= 0 || !self->in_request) {
    g_cond_wait (&self->data_cond, &self->lock);
    self->want = G_MAXSIZE;
    return;
  }
  deadline = self->last_data_time + self->stall_timeout_us;
  if (!g_cond_wait_until (&self->data_cond, &self->lock, deadline)
      && self->in_request && !self->writer_waiting && self->cancellable
      && g_get_monotonic_time () >= self->last_data_time +
      self->stall_timeout_us) {
    GST_WARNING_OBJECT (self, "no data for %" G_GINT64_FORMAT " ms: "
        "reconnecting", self->stall_timeout_us / 1000);
    self->stalled = TRUE;
    self->last_data_time = g_get_monotonic_time ();
    g_cancellable_cancel (self->cancellable);
  }
  self->want = G_MAXSIZE;
}

/* Takes n bytes at read_offset (NULL out: skips them). A read larger than
 * the read-ahead is gathered in several takes. */
static GstFlowReturn
fill_locked (GstS3Src * self, gsize n, GstBuffer ** out, GError ** error)
{
  GstBuffer *gathered = NULL;

  while (n > 0) {
    gsize have = buffered_locked (self);
    GstBuffer *piece = NULL;

    if (self->flushing) {
      gst_clear_buffer (&gathered);
      return GST_FLOW_FLUSHING;
    }
    if (have >= MIN (n, self->capacity / 2) || (have > 0
            && self->transfer_done)) {
      have = MIN (have, n);
      take_locked (self, have, out ? &piece : NULL);
      if (piece)
        gathered = gathered ? gst_buffer_append (gathered, piece) : piece;
      n -= have;
      continue;
    }
    if (self->transfer_error || self->transfer_done || !self->thread) {
      gst_clear_buffer (&gathered);
      if (self->transfer_error)
        *error = g_error_copy (self->transfer_error);
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
            "the object ended at byte %" G_GUINT64_FORMAT ", before its size",
            self->read_offset + have);
      return GST_FLOW_ERROR;
    }
    wait_locked (self, MIN (n, self->capacity / 2));
  }
  if (out)
    *out = gathered;
  return GST_FLOW_OK;
}

/* A jump while a small object is arriving whole waits for it, rather than
 * open a second GET; a stalled transfer is not waited for longer than the
 * request timeout. */
static void
wait_whole_locked (GstS3Src * self, guint64 offset)
{
  while (self->small && offset != self->read_offset && !self->flushing
      && self->thread_generation == self->generation
      && !self->transfer_done && self->transfer_error == NULL) {
    if (self->stall_timeout_us <= 0)
      g_cond_wait (&self->data_cond, &self->lock);
    else if (!g_cond_wait_until (&self->data_cond, &self->lock,
            self->last_data_time + self->stall_timeout_us))
      return;
  }
}

/* Makes read_offset equal to offset: reads through a short jump forward,
 * opens a new range for anything else. */
static GstFlowReturn
seek_locked (GstS3Src * self, guint64 offset, GError ** error)
{
  /* A transfer retired by unlock() delivers nothing more. */
  gboolean live = self->thread != NULL && self->transfer_error == NULL
      && self->thread_generation == self->generation;

  if (offset == self->read_offset && live)
    return GST_FLOW_OK;
  if (live && offset > self->read_offset
      && offset - self->read_offset <= buffered_locked (self) + SKIP_WINDOW) {
    GST_LOG_OBJECT (self, "reading through %" G_GUINT64_FORMAT " bytes",
        offset - self->read_offset);
    return fill_locked (self, offset - self->read_offset, NULL, error);
  }
  start_transfer_locked (self, offset);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_s3_src_create (GstBaseSrc * src, guint64 offset, guint size,
    GstBuffer ** out)
{
  GstS3Src *self = GST_S3_SRC (src);
  g_autoptr (GError) err = NULL;
  GstBuffer *buf = NULL;
  GstFlowReturn ret = GST_FLOW_OK;
  gsize want;

  if (offset >= self->object->size)
    return GST_FLOW_EOS;
  want = MIN ((guint64) size, self->object->size - offset);

  g_mutex_lock (&self->lock);
  wait_whole_locked (self, offset);
  if (self->flushing)
    ret = GST_FLOW_FLUSHING;
  else if (self->whole)
    buf = gst_buffer_copy_region (self->whole, GST_BUFFER_COPY_MEMORY, offset,
        want);
  else
    ret = seek_locked (self, offset, &err);
  if (ret == GST_FLOW_OK && buf == NULL)
    ret = fill_locked (self, want, &buf, &err);
  g_mutex_unlock (&self->lock);

  if (ret != GST_FLOW_OK) {
    if (err)
      post_error (self, err);
    return ret;
  }
  GST_BUFFER_OFFSET (buf) = offset;
  GST_BUFFER_OFFSET_END (buf) = offset + want;
  *out = buf;
  return GST_FLOW_OK;
}

/* ---- GstBaseSrc ---- */

/* The GET URL and the streaming client, for the client's current region. */
static gboolean
locate_object (GstS3Src * self, const GstS3Location * location,
    const gchar * version, GError ** error)
{
  g_autofree gchar *query = NULL;

  g_clear_pointer (&self->stream_client, mt_s3_client_free);
  g_clear_pointer (&self->url, g_free);
  self->stream_client = mt_s3_client_new_for_streaming (self->client, error);
  if (self->stream_client == NULL)
    return FALSE;
  if (version && *version) {
    g_autofree gchar *v = mt_uri_encode (version, FALSE);
    query = g_strdup_printf ("versionId=%s", v);
  }
  self->url = mt_s3_client_url (self->client, location->bucket,
      location->key, query);
  return TRUE;
}

/* Opens the object with its first GET, whose bytes then start the
 * read-ahead (one round trip, as curl pays). When it fails before its
 * headers or they do not come within the request timeout, HEAD through
 * the core client decides: it retries, follows the bucket's region and
 * names S3's error. Called with the lock not held, before streaming. */
static gboolean
open_object (GstS3Src * self, const GstS3Location * location,
    const gchar * version, GError ** error)
{
  gint64 deadline = g_get_monotonic_time () + self->stall_timeout_us;
  gboolean opened;

  g_mutex_lock (&self->lock);
  start_transfer_locked (self, 0);
  while (self->object == NULL && !self->transfer_done) {
    if (self->stall_timeout_us <= 0)
      g_cond_wait (&self->data_cond, &self->lock);
    else if (!g_cond_wait_until (&self->data_cond, &self->lock, deadline))
      break;
  }
  opened = self->object != NULL;
  if (!opened) {
    GST_DEBUG_OBJECT (self, "first GET failed (%s): asking HEAD",
        self->transfer_error ? self->transfer_error->message : "no headers");
    stop_transfer_locked (self);
    g_clear_error (&self->transfer_error);
    clear_buffered_locked (self);
    self->transfer_done = FALSE;
  }
  g_mutex_unlock (&self->lock);
  if (!opened) {
    self->object = mt_s3_client_head_object (self->client, location->bucket,
        location->key, version, NULL, error);
    /* HEAD may have moved the client to the bucket's region. */
    if (self->object == NULL || !locate_object (self, location, version, error))
      return FALSE;
  }
  g_free (self->object->key);
  self->object->key = g_strdup (location->key);
  return TRUE;
}

static gboolean
gst_s3_src_start (GstBaseSrc * src)
{
  GstS3Src *self = GST_S3_SRC (src);
  g_auto (GstS3Location) location = { 0, };
  g_autofree gchar *version = NULL;
  g_autoptr (GError) err = NULL;
  MtAwsSettings settings;
  gboolean anonymous;
  guint read_ahead;

  mt_aws_settings_init (&settings);
  GST_OBJECT_LOCK (self);
  gst_s3_location_copy (&location, &self->location);
  version = g_strdup (self->version_id);
  mt_aws_settings_copy (&settings, &self->settings);
  anonymous = self->anonymous;
  read_ahead = self->read_ahead;
  GST_OBJECT_UNLOCK (self);

  if (!gst_s3_location_check (&location, GST_ELEMENT (self), "read")) {
    mt_aws_settings_clear (&settings);
    return FALSE;
  }

  self->client = mt_s3_client_new (&settings, anonymous,
      location.force_path_style, &err);
  mt_aws_settings_clear (&settings);
  if (self->client == NULL)
    goto failed;
  if (!locate_object (self, &location, version, &err))
    goto failed;
  self->retries = mt_s3_client_get_settings (self->client)->retries;
  self->stall_timeout_us = (gint64)
      mt_s3_client_get_settings (self->client)->request_timeout_ms * 1000;

  self->capacity = read_ahead;
  /* Enough free blocks kept for a full read-ahead plus what is in flight. */
  self->blocks = block_pool_new (read_ahead / CHUNK_SIZE + 8);
  self->want = G_MAXSIZE;
  self->writer_waiting = FALSE;
  self->read_offset = 0;
  self->flushing = FALSE;
  self->transfer_done = FALSE;
  self->requests = 0;
  if (!open_object (self, &location, version, &err))
    goto failed;
  GST_INFO_OBJECT (self, "s3://%s/%s: %" G_GUINT64_FORMAT " bytes, ETag %s, "
      "region %s", location.bucket, location.key, self->object->size,
      GST_STR_NULL (self->object->etag),
      mt_s3_client_get_region (self->client));
  return TRUE;

failed:
  post_error (self, err);
  g_clear_pointer (&self->blocks, block_pool_unref);
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->stream_client, mt_s3_client_free);
  g_clear_pointer (&self->client, mt_s3_client_free);
  g_clear_pointer (&self->object, mt_s3_object_free);
  return FALSE;
}

static gboolean
gst_s3_src_stop (GstBaseSrc * src)
{
  GstS3Src *self = GST_S3_SRC (src);

  g_mutex_lock (&self->lock);
  stop_transfer_locked (self);
  g_clear_error (&self->transfer_error);
  clear_buffered_locked (self);
  GST_DEBUG_OBJECT (self, "%u GET requests", self->requests);
  g_clear_pointer (&self->small, g_byte_array_unref);
  gst_clear_buffer (&self->whole);
  g_mutex_unlock (&self->lock);
  g_clear_pointer (&self->blocks, block_pool_unref);

  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->object, mt_s3_object_free);
  g_clear_pointer (&self->stream_client, mt_s3_client_free);
  g_clear_pointer (&self->client, mt_s3_client_free);
  return TRUE;
}

static gboolean
gst_s3_src_get_size (GstBaseSrc * src, guint64 * size)
{
  GstS3Src *self = GST_S3_SRC (src);

  if (self->object == NULL)
    return FALSE;
  *size = self->object->size;
  return TRUE;
}

static gboolean
gst_s3_src_is_seekable (GstBaseSrc * src)
{
  return TRUE;
}

static gboolean
gst_s3_src_unlock (GstBaseSrc * src)
{
  GstS3Src *self = GST_S3_SRC (src);

  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  if (self->small == NULL) {
    self->generation++;
    if (self->cancellable)
      g_cancellable_cancel (self->cancellable);
  }
  g_cond_broadcast (&self->data_cond);
  g_cond_broadcast (&self->space_cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_s3_src_unlock_stop (GstBaseSrc * src)
{
  GstS3Src *self = GST_S3_SRC (src);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* ---- properties and URI ---- */

/* The properties that say which object to read: fixed once it is open. */
static gboolean
names_object (guint prop_id)
{
  return prop_id == GST_S3_PROP_URI || prop_id == GST_S3_PROP_BUCKET
      || prop_id == GST_S3_PROP_KEY || prop_id == PROP_VERSION_ID;
}

static gboolean
can_configure (GstS3Src * self, GError ** error)
{
  GstState state;

  GST_OBJECT_LOCK (self);
  state = GST_STATE (self);
  GST_OBJECT_UNLOCK (self);
  if (state == GST_STATE_NULL || state == GST_STATE_READY)
    return TRUE;
  g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
      "The object to read can only change in the NULL or READY state");
  return FALSE;
}

static void
gst_s3_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstS3Src *self = GST_S3_SRC (object);
  g_autoptr (GError) err = NULL;

  if (names_object (prop_id) && !can_configure (self, &err)) {
    GST_WARNING_OBJECT (self, "%s", err->message);
    return;
  }
  if (gst_s3_location_set_property (GST_OBJECT (self), &self->location,
          prop_id, value, &err)) {
    if (err)
      GST_WARNING_OBJECT (self, "%s", err->message);
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_VERSION_ID:
      g_free (self->version_id);
      self->version_id = g_value_dup_string (value);
      break;
    case PROP_ANONYMOUS:
      self->anonymous = g_value_get_boolean (value);
      break;
    case PROP_READ_AHEAD:
      self->read_ahead = g_value_get_uint (value);
      break;
    default:
      if (!mt_aws_settings_set_property (&self->settings, PROP_AWS_FIRST,
              prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_s3_src_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstS3Src *self = GST_S3_SRC (object);

  if (gst_s3_location_get_property (GST_OBJECT (self), &self->location,
          prop_id, value))
    return;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_VERSION_ID:
      g_value_set_string (value, self->version_id);
      break;
    case PROP_ANONYMOUS:
      g_value_set_boolean (value, self->anonymous);
      break;
    case PROP_READ_AHEAD:
      g_value_set_uint (value, self->read_ahead);
      break;
    default:
      if (!mt_aws_settings_get_property (&self->settings, PROP_AWS_FIRST,
              prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstURIType
gst_s3_src_uri_get_type (GType type)
{
  return GST_URI_SRC;
}

static gboolean
gst_s3_src_uri_set_uri (GstURIHandler * handler, const gchar * uri,
    GError ** error)
{
  GstS3Src *self = GST_S3_SRC (handler);

  return can_configure (self, error)
      && gst_s3_location_set_uri (GST_OBJECT (self), &self->location, uri,
      error);
}

static void
gst_s3_src_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = g_iface;

  iface->get_type = gst_s3_src_uri_get_type;
  iface->get_protocols = gst_s3_uri_handler_get_protocols;
  iface->get_uri = gst_s3_uri_handler_get_uri;
  iface->set_uri = gst_s3_src_uri_set_uri;
}

/* ---- GObject ---- */

static void
gst_s3_src_finalize (GObject * object)
{
  GstS3Src *self = GST_S3_SRC (object);

  gst_s3_location_clear (&self->location);
  g_free (self->version_id);
  mt_aws_settings_clear (&self->settings);
  g_object_unref (self->adapter);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->data_cond);
  g_cond_clear (&self->space_cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_s3_src_init (GstS3Src * self)
{
  mt_aws_settings_init (&self->settings);
  self->read_ahead = DEFAULT_READ_AHEAD;
  g_mutex_init (&self->lock);
  g_cond_init (&self->data_cond);
  g_cond_init (&self->space_cond);
  self->adapter = gst_adapter_new ();
  gst_base_src_set_blocksize (GST_BASE_SRC (self), DEFAULT_BLOCKSIZE);
}

static void
gst_s3_src_class_init (GstS3SrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_s3_src_debug, "s3src", 0, "S3 source");

  gobject_class->set_property = gst_s3_src_set_property;
  gobject_class->get_property = gst_s3_src_get_property;
  gobject_class->finalize = gst_s3_src_finalize;

  /**
   * GstS3Src:uri:
   *
   * The object to read, as `s3://bucket/key`, written as the AWS CLI
   * writes it: the key verbatim, spaces, unicode and `+` included.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, GST_S3_PROP_URI,
      g_param_spec_string ("uri", "URI",
          "The object to read: s3://bucket/key (key verbatim, as the AWS CLI "
          "writes it)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstS3Src:bucket:
   *
   * The bucket of the object (instead of #GstS3Src:uri).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, GST_S3_PROP_BUCKET,
      g_param_spec_string ("bucket", "Bucket",
          "The bucket of the object (instead of uri)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstS3Src:key:
   *
   * The key of the object (instead of #GstS3Src:uri).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, GST_S3_PROP_KEY,
      g_param_spec_string ("key", "Key", "The key of the object", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstS3Src:version-id:
   *
   * A version of the object to read, in a versioned bucket (NULL: the
   * current version).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_VERSION_ID,
      g_param_spec_string ("version-id", "Version id",
          "The version of the object to read (NULL: the current one)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstS3Src:force-path-style:
   *
   * Always put the bucket in the URL path (https://endpoint/bucket/key)
   * rather than in the host name. Path style is used anyway with a custom
   * endpoint (S3-compatible stores, emulators) and for bucket names that
   * cannot be host names.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, GST_S3_PROP_FORCE_PATH_STYLE,
      g_param_spec_boolean ("force-path-style", "Force path style",
          "Always address the bucket in the URL path (already the case with "
          "a custom endpoint)", FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstS3Src:anonymous:
   *
   * Send unsigned requests, for public buckets: no credentials needed.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ANONYMOUS,
      g_param_spec_boolean ("anonymous", "Anonymous",
          "Send unsigned requests (public buckets)", FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstS3Src:read-ahead:
   *
   * How many bytes may be received ahead of what downstream has taken.
   * This bounds the element's memory; the network waits when it is full.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_READ_AHEAD,
      g_param_spec_uint ("read-ahead", "Read-ahead",
          "Bytes received ahead of downstream at most (bounds memory)",
          MIN_READ_AHEAD, G_MAXINT, DEFAULT_READ_AHEAD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  mt_aws_settings_install (gobject_class, PROP_AWS_FIRST);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Amazon S3 source",
      "Source/Network", "Reads an S3 object (s3://bucket/key), seekable, "
      "resuming broken connections",
      "mediatag developers <https://github.com/mediatag/mediatag>");

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_s3_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_s3_src_stop);
  basesrc_class->get_size = GST_DEBUG_FUNCPTR (gst_s3_src_get_size);
  basesrc_class->is_seekable = GST_DEBUG_FUNCPTR (gst_s3_src_is_seekable);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_s3_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_s3_src_unlock_stop);
  basesrc_class->create = GST_DEBUG_FUNCPTR (gst_s3_src_create);
}
