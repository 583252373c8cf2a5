/* MtAnalysisSink: the streaming, queueing, ordering, error policy and output
 * shared by every analysis element. See analysissink.h.
 *
 * Data flow: the sink pad's chain function wraps each buffer in an Item and
 * hands it to a thread pool of `max-in-flight` workers that call the
 * engine. Items (units and serialized events) sit in one queue in input
 * order; a task on the src pad takes the head once it is done and outputs
 * it (src pad, bus message, location file), so results leave in input order
 * whatever order the engine finishes in. The queue holds at most twice
 * `max-in-flight` units: the chain function waits for room, so upstream is
 * slowed instead of buffered without end. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "analysissink.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/video/video.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "awsclient.h"
#include "awserror.h"
#include "credentials.h"
#include "framecapture.h"
#include "jsonlines.h"
#include "result.h"
#include "s3.h"

GST_DEBUG_CATEGORY_STATIC (mt_analysis_sink_debug);
#define GST_CAT_DEFAULT mt_analysis_sink_debug

enum
{
  PROP_0,
  PROP_BACKEND,
  PROP_MAX_IN_FLIGHT,
  PROP_MAX_TPS,
  PROP_RATE_GROUP,
  PROP_ON_ERROR,
  PROP_POST_MESSAGES,
  PROP_LOCATION,
  PROP_ASSET,
  PROP_MAX_PIXELS,
  PROP_AWS_FIRST,
};

#define DEFAULT_BACKEND MT_BACKEND_AUTO
#define DEFAULT_MAX_TPS 0.0
#define DEFAULT_ON_ERROR MT_ON_ERROR_SKIP
#define DEFAULT_POST_MESSAGES TRUE
/* 80 Mpx: above any camera's photo, far below a decompression bomb. */
#define DEFAULT_MAX_PIXELS G_GUINT64_CONSTANT (80000000)
/* Bad input lines warned about one by one; past that, only counted. */
#define MAX_LINE_WARNINGS 10

/* Units queued per worker: one running, one ready, so a slow head of line
 * does not leave workers idle. */
#define QUEUE_UNITS_PER_WORKER 2

typedef enum
{
  ITEM_UNIT,                    /* analysed by a worker */
  ITEM_EVENT,
  ITEM_RESULTS,                 /* a session engine's results or failure */
  ITEM_PASS,                    /* an input JSON line, passed through */
} ItemKind;

typedef struct
{
  ItemKind kind;
  GstEvent *event;
  MtUnit unit;
  GstClockTime running_time;
  GstClockTime stream_time;
  GstClockTime interval;        /* sampling interval in force, 0: unknown */
  gboolean video;               /* results also feed tracks */
  GCancellable *cancellable;
  /* Written by the worker, read by the output task once done (priv->lock). */
  GPtrArray *results;
  GError *error;
  gboolean done;
  /* ITEM_PASS: the input line as it came, with its newline. */
  gchar *line;
  gsize line_len;
} Item;

typedef struct
{
  /* Properties, under the object lock. */
  MtBackend backend;
  guint max_in_flight;
  gdouble max_tps;
  MtOnError on_error;
  gboolean post_messages;
  gchar *location;
  gchar *asset_prop;
  guint64 max_pixels;
  MtAwsSettings aws;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* The queue and its state, under `lock`. */
  GMutex lock;
  GCond cond;
  GQueue items;
  guint n_units;
  guint queue_limit;
  gboolean flushing;
  GstFlowReturn srcresult;
  GCancellable *cancellable;
  gboolean playing;
  guint32 eos_pending_seqnum;
  gboolean eos_pending;
  /* EOS was posted: the bins above may still have to be made to pass it on
   * (see nudge_bins()). */
  gboolean eos_nudge;
  /* Session engines: emits are taken from start to EOS (or stop). */
  gboolean accept_emits;
  gboolean session_failed;
  guint64 next_emit_index;
  /* For the summary. */
  guint64 n_done;
  guint64 n_failed;
  guint64 n_results;
  guint64 n_errors;
  guint64 n_bad_lines;
  gboolean incomplete;
  gchar *first_error;

  /* Set up at the first buffer, torn down at READY. */
  gboolean started;
  const MtEngine *engine;
  gpointer engine_state;
  MtEngineContext ctx;
  MtAwsSettings ctx_aws;
  gpointer config;
  GThreadPool *pool;
  gchar *asset;
  gchar *engine_label;          /* for error documents */

  /* Streaming thread only (caps also under the object lock, for
   * mt_analysis_sink_get_caps()). */
  GstCaps *caps;
  GstSegment segment;
  guint64 max_pixels_now;
  GstCaps *refused_caps;        /* above max-pixels, already reported */
  MtLineAssembler *lines;       /* application/x-json input */
  GstFlowReturn lines_ret;
  GstClockTime interval;
  guint64 next_index;

  /* Output task only. */
  MtTrackMerger *tracks;
  gboolean src_caps_sent;
  gboolean src_stream_started;
  gboolean src_eos;
  GOutputStream *out;
  gchar *out_path;              /* a local location, written as .part */
  gchar *out_part_path;
  gchar *out_tmp_path;          /* s3:// locations: uploaded at EOS */
  gchar *out_s3_uri;
  MtOnError on_error_now;
  gboolean post_messages_now;
  GstSegment out_segment;       /* the last TIME segment sent downstream */

  /* max-tps pacing: the element's own pacer, or its rate group's. */
  gchar *rate_group;
  MtPacer *pacer;
} MtAnalysisSinkPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (MtAnalysisSink, mt_analysis_sink,
    GST_TYPE_ELEMENT);

#define PRIV(self) ((MtAnalysisSinkPrivate *) \
    mt_analysis_sink_get_instance_private (MT_ANALYSIS_SINK (self)))

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-json"));

GType
mt_backend_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {MT_BACKEND_AUTO, "aws when AWS credentials are found, local otherwise",
        "auto"},
    {MT_BACKEND_AWS, "The AWS service", "aws"},
    {MT_BACKEND_LOCAL, "An engine running on this machine, offline", "local"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("MtBackend", values));
  return type;
}

GType
mt_on_error_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {MT_ON_ERROR_SKIP, "Write an analysis=error document and carry on",
        "skip"},
    {MT_ON_ERROR_FAIL, "Stop with an element error", "fail"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("MtOnError", values));
  return type;
}

/* Items */

static void
item_clear (Item * item)
{
  gst_clear_event (&item->event);
  gst_clear_buffer (&item->unit.buffer);
  gst_clear_caps (&item->unit.caps);
  g_clear_pointer (&item->unit.document, mt_document_unref);
  g_clear_pointer (&item->unit.text_document, json_object_unref);
  g_clear_pointer (&item->line, g_free);
  g_clear_object (&item->cancellable);
  g_clear_pointer (&item->results, g_ptr_array_unref);
  g_clear_error (&item->error);
}

static Item *
item_new (ItemKind kind)
{
  Item *item = g_atomic_rc_box_new0 (Item);

  item->kind = kind;
  item->results = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);
  item->unit.frame = -1;
  item->unit.pts = item->unit.duration = GST_CLOCK_TIME_NONE;
  item->unit.stream_time = GST_CLOCK_TIME_NONE;
  item->running_time = item->stream_time = GST_CLOCK_TIME_NONE;
  /* Only units wait for a worker. */
  item->done = kind != ITEM_UNIT;
  return item;
}

static Item *
item_ref (Item * item)
{
  return g_atomic_rc_box_acquire (item);
}

static void
item_unref (gpointer item)
{
  g_atomic_rc_box_release_full (item, (GDestroyNotify) item_clear);
}

/* Documents (engine.h) */

static void
document_clear (MtDocument * doc)
{
  g_clear_pointer (&doc->bytes, g_bytes_unref);
  gst_clear_caps (&doc->caps);
  if (doc->handle && doc->handle_free)
    doc->handle_free (doc->handle);
}

/* Page ranges: "1-5,9" */

static gboolean
parse_range_part (const gchar * part, guint64 * from, guint64 * to)
{
  g_auto (GStrv) ends = g_strsplit (part, "-", 3);
  guint n = g_strv_length (ends);

  if (n < 1 || n > 2)
    return FALSE;
  g_strstrip (ends[0]);
  if (!g_ascii_string_to_unsigned (ends[0], 10, 1, G_MAXUINT, from, NULL))
    return FALSE;
  *to = *from;
  if (n == 2) {
    g_strstrip (ends[1]);
    if (!g_ascii_string_to_unsigned (ends[1], 10, *from, G_MAXUINT, to, NULL))
      return FALSE;
  }
  return TRUE;
}

GArray *
mt_pages_select (const gchar * spec, guint n_pages, gboolean * valid)
{
  g_autofree gboolean *want = g_new0 (gboolean, n_pages + 1);
  g_auto (GStrv) parts = NULL;
  GArray *pages = g_array_new (FALSE, FALSE, sizeof (guint));
  guint i;
  guint64 p, from, to;

  *valid = TRUE;
  if (!spec || !*spec) {
    for (i = 1; i <= n_pages; i++)
      g_array_append_val (pages, i);
    return pages;
  }
  parts = g_strsplit (spec, ",", -1);
  for (i = 0; parts[i]; i++) {
    if (!parse_range_part (parts[i], &from, &to)) {
      *valid = FALSE;
      g_array_unref (pages);
      return NULL;
    }
    for (p = from; p <= MIN (to, n_pages); p++)
      want[p] = TRUE;
  }
  for (i = 1; i <= n_pages; i++) {
    if (want[i])
      g_array_append_val (pages, i);
  }
  return pages;
}

gboolean
mt_pages_valid (const gchar * spec)
{
  gboolean valid;
  g_autoptr (GArray) pages = mt_pages_select (spec, 0, &valid);

  return valid;
}

MtDocument *
mt_document_new (GBytes * bytes, GstCaps * caps, guint n_pages,
    gpointer handle, GDestroyNotify handle_free)
{
  MtDocument *doc = g_atomic_rc_box_new0 (MtDocument);

  doc->bytes = bytes ? g_bytes_ref (bytes) : NULL;
  doc->caps = caps ? gst_caps_ref (caps) : NULL;
  doc->n_pages = n_pages;
  doc->handle = handle;
  doc->handle_free = handle_free;
  return doc;
}

MtDocument *
mt_document_ref (MtDocument * doc)
{
  return g_atomic_rc_box_acquire (doc);
}

void
mt_document_unref (MtDocument * doc)
{
  g_atomic_rc_box_release_full (doc, (GDestroyNotify) document_clear);
}

/* Drops every queued item; called with priv->lock held. Workers keep their
 * own references, so an item being analysed is freed when its worker ends. */
static void
queue_clear_locked (MtAnalysisSinkPrivate * priv)
{
  g_queue_clear_full (&priv->items, item_unref);
  priv->n_units = 0;
  g_cond_broadcast (&priv->cond);
}

/* Rate limiting */

gboolean
mt_engine_context_rate_limit (const MtEngineContext * ctx,
    GCancellable * cancellable, GError ** error)
{
  MtAnalysisSink *self = ctx->priv;
  MtAnalysisSinkPrivate *priv = PRIV (self);
  MtPacer *pacer;
  gdouble tps;
  gboolean ok;

  /* The adaptive rate the engine's AWS client learns from throttling:
   * the settings share one limiter (retry.h, awssettings.h). */
  if (ctx->aws && ctx->aws->limiter
      && !mt_rate_limiter_wait_ready (ctx->aws->limiter, cancellable, error))
    return FALSE;
  GST_OBJECT_LOCK (self);
  tps = priv->max_tps;
  pacer = mt_pacer_ref (priv->pacer);
  GST_OBJECT_UNLOCK (self);
  ok = mt_pacer_wait (pacer, tps, cancellable, error);
  mt_pacer_unref (pacer);
  return ok;
}

JsonObject *
mt_engine_context_json_call (const MtEngineContext * ctx,
    MtAwsClient * client, const gchar * target, JsonObject * request,
    GCancellable * cancellable, GError ** error)
{
  if (!mt_engine_context_rate_limit (ctx, cancellable, error))
    return NULL;
  GST_LOG_OBJECT (ctx->element, "calling %s", target);
  return mt_aws_client_json_call (client, target, request, cancellable, error);
}

/* Engine selection and start */

static gboolean
error_is_fatal (const GError * error)
{
  return g_error_matches (error, MT_AWS_ERROR, MT_AWS_ERROR_AUTH)
      || g_error_matches (error, MT_AWS_ERROR, MT_AWS_ERROR_ACCESS_DENIED)
      || g_error_matches (error, MT_AWS_ERROR, MT_AWS_ERROR_NO_CREDENTIALS)
      || g_error_matches (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG);
}

/* What an error document and the summary say of a failure. */
typedef struct
{
  gchar *action;                /* "DetectFaces", NULL when unknown */
  const gchar *code;            /* the service's code, NULL when none */
  guint status;                 /* HTTP status, 0 when none */
  guint attempts;               /* 0 when unknown */
} FailureFacts;

/* The API action, when the message begins with it and the service's code
 * follows ("DetectFaces: InternalError (HTTP 500) after 4 attempts: ...",
 * as the AWS client words a call it gave up on). */
static gchar *
error_action (const GError * error, const gchar * code)
{
  const gchar *colon = strstr (error->message, ": ");
  const gchar *p;
  gchar next;

  if (!code || !colon || colon == error->message)
    return NULL;
  for (p = error->message; p < colon; p++) {
    if (!g_ascii_isalnum (*p))
      return NULL;
  }
  if (!g_str_has_prefix (colon + 2, code))
    return NULL;
  next = colon[2 + strlen (code)];
  if (next != ':' && next != ' ' && next != '\0')
    return NULL;
  return g_strndup (error->message, colon - error->message);
}

/* The attempts the AWS client made, from its "after N attempts". */
static guint
error_attempts (const GError * error, gboolean from_service)
{
  const gchar *p;

  for (p = strstr (error->message, "after "); p;
      p = strstr (p + 1, "after ")) {
    gchar *end = NULL;
    guint64 n = g_ascii_strtoull (p + strlen ("after "), &end, 10);

    if (n > 0 && end && g_str_has_prefix (end, " attempts"))
      return (guint) n;
  }
  return from_service ? 1 : 0;
}

static void
failure_facts (const GError * error, FailureFacts * f)
{
  const MtAwsErrorDetails *d = mt_aws_error_get_details (error);

  memset (f, 0, sizeof (*f));
  if (d) {
    f->code = d->code && *d->code ? d->code : NULL;
    f->status = d->http_status;
    f->action = g_strdup (d->action);
    f->attempts = d->attempts;
  }
  /* Errors an engine re-worded keep the facts in their message only. */
  if (!f->action)
    f->action = error_action (error, f->code);
  if (!f->attempts)
    f->attempts = error_attempts (error, d != NULL && f->status != 0);
}

/* One line for the summary: "DetectFaces: InternalError (HTTP 500) after
 * 4 attempts", or the error's own message when no service said more. */
static gchar *
failure_line (const GError * error)
{
  FailureFacts f;
  GString *s;

  failure_facts (error, &f);
  if (!f.code) {
    g_free (f.action);
    return g_strdup (error->message);
  }
  s = g_string_new (NULL);
  if (f.action)
    g_string_append_printf (s, "%s: ", f.action);
  g_string_append (s, f.code);
  if (f.status)
    g_string_append_printf (s, " (HTTP %u)", f.status);
  if (f.attempts > 1)
    g_string_append_printf (s, " after %u attempts", f.attempts);
  g_free (f.action);
  return g_string_free (s, FALSE);
}

static JsonObject *
error_document (MtAnalysisSinkPrivate * priv, const GError * error)
{
  JsonObject *doc = mt_result_new_error (priv->engine_label, error);
  FailureFacts f;

  failure_facts (error, &f);
  if (f.action)
    json_object_set_string_member (doc, "action", f.action);
  if (f.code)
    json_object_set_string_member (doc, "code", f.code);
  if (f.status)
    json_object_set_int_member (doc, "status", f.status);
  if (f.attempts)
    json_object_set_int_member (doc, "attempts", f.attempts);
  g_free (f.action);
  return doc;
}

/* Counts a failed unit or session for the summary. */
static void
note_failure (MtAnalysisSinkPrivate * priv, const GError * error,
    gboolean incomplete)
{
  g_autofree gchar *line = failure_line (error);

  g_mutex_lock (&priv->lock);
  priv->n_failed++;
  priv->incomplete |= incomplete;
  if (!priv->first_error)
    priv->first_error = g_steal_pointer (&line);
  g_mutex_unlock (&priv->lock);
}

static void
post_summary (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  GstStructure *s;

  g_mutex_lock (&priv->lock);
  s = gst_structure_new ("mediatag-summary",
      "units", G_TYPE_UINT64, priv->n_done,
      "failed", G_TYPE_UINT64, priv->n_failed,
      "results", G_TYPE_UINT64, priv->n_results,
      "errors", G_TYPE_UINT64, priv->n_errors,
      "bad-lines", G_TYPE_UINT64, priv->n_bad_lines,
      "incomplete", G_TYPE_BOOLEAN, priv->incomplete,
      "first-error", G_TYPE_STRING, priv->first_error,
      "engine", G_TYPE_STRING, priv->engine_label, NULL);
  g_mutex_unlock (&priv->lock);
  GST_INFO_OBJECT (self, "%" GST_PTR_FORMAT, s);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
reset_counts_locked (MtAnalysisSinkPrivate * priv)
{
  priv->n_done = priv->n_failed = priv->n_results = priv->n_errors = 0;
  priv->n_bad_lines = 0;
  priv->incomplete = FALSE;
  g_clear_pointer (&priv->first_error, g_free);
}

void
mt_analysis_sink_note_loss (MtAnalysisSink * self, const gchar * what)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);

  GST_ELEMENT_WARNING (self, STREAM, FAILED,
      ("Part of the input was not analysed: %s.", what), (NULL));
  g_mutex_lock (&priv->lock);
  priv->incomplete = TRUE;
  if (!priv->first_error)
    priv->first_error = g_strdup (what);
  g_mutex_unlock (&priv->lock);
}

/* Session engines: results and failures from any thread */

static void
queue_ready_item (MtAnalysisSink * self, Item * item)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  gboolean taken = FALSE;

  g_mutex_lock (&priv->lock);
  /* After EOS was queued (drain returned) nothing may follow it; while
   * flushing, results of the flushed data are dropped anyway. */
  if (priv->accept_emits && !priv->flushing) {
    item->unit.index = priv->next_emit_index++;
    g_queue_push_tail (&priv->items, item);
    g_cond_broadcast (&priv->cond);
    taken = TRUE;
  } else if (!priv->flushing) {
    priv->incomplete = TRUE;
  }
  g_mutex_unlock (&priv->lock);
  if (!taken) {
    GST_WARNING_OBJECT (self, "the engine emitted %u results after the end "
        "of its session: dropped", item->results->len);
    item_unref (item);
  }
}

void
mt_engine_context_emit (const MtEngineContext * ctx, GPtrArray * results)
{
  Item *item;
  gpointer *docs;
  gsize i, n = 0;

  if (!results || results->len == 0)
    return;
  item = item_new (ITEM_RESULTS);
  item->unit.kind = MT_UNIT_AUDIO;
  /* Stolen without the free function: the documents are the item's now. */
  docs = g_ptr_array_steal (results, &n);
  for (i = 0; i < n; i++)
    g_ptr_array_add (item->results, docs[i]);
  g_free (docs);
  queue_ready_item (MT_ANALYSIS_SINK (ctx->priv), item);
}

static const gchar *
factory_name (MtAnalysisSink * self)
{
  GstElementFactory *factory = gst_element_get_factory (GST_ELEMENT (self));

  return factory ? gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory))
      : G_OBJECT_TYPE_NAME (self);
}

void
mt_engine_context_post_partial (const MtEngineContext * ctx,
    JsonObject * result)
{
  MtAnalysisSink *self = MT_ANALYSIS_SINK (ctx->priv);
  g_autofree gchar *name = g_strconcat (factory_name (self), "-partial",
      NULL);
  g_autofree gchar *json = mt_result_to_line (result);
  GstStructure *s = gst_structure_new (name, "result", G_TYPE_STRING, json,
      NULL);

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* The session failed: one failure item, output in order like results. */
static void
fail_session (MtAnalysisSink * self, const GError * error)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  Item *item;

  g_mutex_lock (&priv->lock);
  if (priv->session_failed || !priv->accept_emits) {
    g_mutex_unlock (&priv->lock);
    GST_DEBUG_OBJECT (self, "session failure after the first: %s",
        error->message);
    return;
  }
  priv->session_failed = TRUE;
  g_mutex_unlock (&priv->lock);
  GST_WARNING_OBJECT (self, "the %s session failed: %s",
      priv->engine_label, error->message);
  item = item_new (ITEM_RESULTS);
  item->unit.kind = MT_UNIT_AUDIO;
  item->error = g_error_copy (error);
  queue_ready_item (self, item);
}

void
mt_engine_context_fail (const MtEngineContext * ctx, const GError * error)
{
  fail_session (MT_ANALYSIS_SINK (ctx->priv), error);
}

static const MtEngine *
find_engine (MtAnalysisSinkClass * klass, const gchar * backend)
{
  const MtEngine *const *e;

  for (e = klass->engines; e && *e; e++) {
    if (!g_strcmp0 ((*e)->backend, backend))
      return *e;
  }
  return NULL;
}

static void
post_backend_message (MtAnalysisSink * self, const MtEngine * engine,
    const gchar * reason)
{
  GstStructure *s = gst_structure_new ("mediatag-backend",
      "backend", G_TYPE_STRING, engine->backend,
      "engine", G_TYPE_STRING, engine->name,
      "reason", G_TYPE_STRING, reason, NULL);

  GST_INFO_OBJECT (self, "using the %s engine (%s): %s", engine->backend,
      engine->name, reason);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static const MtEngine *
choose_engine (MtAnalysisSink * self, MtBackend backend)
{
  MtAnalysisSinkClass *klass = MT_ANALYSIS_SINK_GET_CLASS (self);
  MtAnalysisSinkPrivate *priv = PRIV (self);
  const MtEngine *aws = find_engine (klass, "aws");
  const MtEngine *local = find_engine (klass, "local");
  const gchar *element = GST_ELEMENT_NAME (self);

  switch (backend) {
    case MT_BACKEND_AWS:
      if (aws)
        post_backend_message (self, aws, "backend=aws");
      else
        GST_ELEMENT_ERROR (self, CORE, NOT_IMPLEMENTED,
            ("%s has no AWS engine: set backend=local.", element), (NULL));
      return aws;
    case MT_BACKEND_LOCAL:
      if (local)
        post_backend_message (self, local, "backend=local");
      else
        GST_ELEMENT_ERROR (self, CORE, NOT_IMPLEMENTED,
            ("This build of %s has no local engine: set backend=aws (with "
                "AWS credentials), or rebuild mediatag with its local "
                "engines.", element), (NULL));
      return local;
    case MT_BACKEND_AUTO:
    default:
      break;
  }
  if (aws && mt_credentials_available (&priv->ctx_aws)) {
    post_backend_message (self, aws,
        "backend=auto: AWS credentials were found");
    return aws;
  }
  if (local) {
    post_backend_message (self, local,
        "backend=auto: no AWS credentials were found");
    return local;
  }
  if (aws) {
    /* No local engine to fall back on: the AWS engine's own error on
     * missing credentials is the clearest thing to show. */
    post_backend_message (self, aws,
        "backend=auto: no local engine in this build");
    return aws;
  }
  GST_ELEMENT_ERROR (self, CORE, NOT_IMPLEMENTED,
      ("%s has no engine in this build.", element), (NULL));
  return NULL;
}

static gchar *
feature_names (GType flags_type, guint64 features)
{
  g_autoptr (GFlagsClass) klass = NULL;
  g_autoptr (GString) s = g_string_new (NULL);
  guint i;

  if (flags_type == G_TYPE_NONE || !G_TYPE_IS_FLAGS (flags_type))
    return g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", features);
  klass = g_type_class_ref (flags_type);
  for (i = 0; i < klass->n_values; i++) {
    if (klass->values[i].value && (features & klass->values[i].value)) {
      if (s->len)
        g_string_append_c (s, '+');
      g_string_append (s, klass->values[i].value_nick);
    }
  }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gchar *
query_asset (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  g_autoptr (GstQuery) query = NULL;
  gchar *uri = NULL;

  GST_OBJECT_LOCK (self);
  uri = g_strdup (priv->asset_prop);
  GST_OBJECT_UNLOCK (self);
  if (uri)
    return uri;
  query = gst_query_new_uri ();
  if (gst_pad_peer_query (priv->sinkpad, query))
    gst_query_parse_uri (query, &uri);
  GST_DEBUG_OBJECT (self, "asset from upstream: %s", GST_STR_NULL (uri));
  return uri;
}

/* Workers */

/* What every engine may take for granted of a unit. */
static gboolean
check_unit (const MtUnit * unit, GError ** error)
{
  switch (unit->kind) {
    case MT_UNIT_IMAGE:
    case MT_UNIT_VIDEO_FRAME:
      if (unit->buffer && gst_buffer_get_size (unit->buffer) > 0)
        return TRUE;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "The buffer is empty: there is no image to analyse");
      return FALSE;
    case MT_UNIT_PAGE:
      if (unit->buffer || unit->document)
        return TRUE;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "Page %u has neither an image nor a document to analyse",
          unit->page);
      return FALSE;
    case MT_UNIT_TEXT:
      if (unit->text_document)
        return TRUE;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "There is no text document to analyse");
      return FALSE;
    case MT_UNIT_AUDIO:
    default:
      return TRUE;
  }
}

static void
worker_func (gpointer data, gpointer user_data)
{
  Item *item = data;
  MtAnalysisSink *self = user_data;
  MtAnalysisSinkPrivate *priv = PRIV (self);
  g_autoptr (GPtrArray) results =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  GError *error = NULL;

  if (!check_unit (&item->unit, &error)) {
    GST_DEBUG_OBJECT (self, "unit %" G_GUINT64_FORMAT ": %s",
        item->unit.index, error->message);
  } else if (!g_cancellable_set_error_if_cancelled (item->cancellable, &error)) {
    if (!priv->engine->analyze (priv->engine_state, &priv->ctx, &item->unit,
            results, item->cancellable, &error) && !error)
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "The %s engine failed without saying why", priv->engine->name);
  }

  g_mutex_lock (&priv->lock);
  item->done = TRUE;
  item->error = error;
  g_ptr_array_extend_and_steal (item->results, g_steal_pointer (&results));
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
  item_unref (item);
}

/* Under the object lock, after ctx_aws was copied from the properties:
 * the rate group's pacer and adaptive limiter, or the element's own. */
static void
take_rate_group_locked (MtAnalysisSinkPrivate * priv)
{
  mt_pacer_unref (priv->pacer);
  if (priv->rate_group == NULL || *priv->rate_group == '\0') {
    priv->pacer = mt_pacer_new ();
    return;
  }
  g_clear_pointer (&priv->ctx_aws.limiter, mt_rate_limiter_unref);
  mt_rate_group_get (priv->rate_group, &priv->pacer, &priv->ctx_aws.limiter);
}

static gboolean
start_engine (MtAnalysisSink * self)
{
  MtAnalysisSinkClass *klass = MT_ANALYSIS_SINK_GET_CLASS (self);
  MtAnalysisSinkPrivate *priv = PRIV (self);
  g_autoptr (GError) error = NULL;
  guint64 requested = 0, missing;
  MtBackend backend;
  guint workers;

  GST_OBJECT_LOCK (self);
  backend = priv->backend;
  workers = priv->max_in_flight;
  mt_aws_settings_clear (&priv->ctx_aws);
  mt_aws_settings_copy (&priv->ctx_aws, &priv->aws);
  take_rate_group_locked (priv);
  GST_OBJECT_UNLOCK (self);

  priv->asset = query_asset (self);
  priv->engine = choose_engine (self, backend);
  if (!priv->engine)
    return FALSE;
  g_free (priv->engine_label);
  priv->engine_label = g_strdup (priv->engine->name);
  if (klass->get_config)
    priv->config = klass->get_config (self, &requested);

  missing = requested & ~priv->engine->features;
  if (missing) {
    g_autofree gchar *names = feature_names (klass->features_type, missing);

    GST_ELEMENT_WARNING (self, CORE, NOT_IMPLEMENTED,
        ("The %s engine cannot do %s: there will be no results for %s. "
            "Use backend=aws for them.", priv->engine->backend, names,
            names), (NULL));
  }
  priv->ctx.element = GST_ELEMENT (self);
  priv->ctx.config = priv->config;
  priv->ctx.features = requested & priv->engine->features;
  priv->ctx.aws = &priv->ctx_aws;
  priv->ctx.asset = priv->asset;
  priv->ctx.priv = self;
  GST_OBJECT_LOCK (self);
  priv->max_pixels_now = priv->max_pixels;
  GST_OBJECT_UNLOCK (self);

  /* A session engine may emit from its own threads as soon as it runs. */
  g_mutex_lock (&priv->lock);
  priv->accept_emits = MT_ENGINE_IS_SESSION (priv->engine);
  priv->session_failed = FALSE;
  g_mutex_unlock (&priv->lock);
  if (!priv->engine->start (&priv->ctx, &priv->engine_state, &error)) {
    if (error_is_fatal (error))
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
          ("The %s engine could not start: %s. Check the AWS credentials "
              "(access-key/secret-key, AWS_ACCESS_KEY_ID, AWS_PROFILE) and "
              "region.", priv->engine->name, error->message), (NULL));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("The %s engine could not start: %s.", priv->engine->name,
              error->message), (NULL));
    return FALSE;
  }
  if (!MT_ENGINE_IS_SESSION (priv->engine))
    priv->pool = g_thread_pool_new_full (worker_func, self, item_unref,
        workers, FALSE, NULL);
  g_mutex_lock (&priv->lock);
  priv->queue_limit = workers * QUEUE_UNITS_PER_WORKER;
  g_mutex_unlock (&priv->lock);
  priv->started = TRUE;
  return TRUE;
}

static void
stop_engine (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);

  /* Workers were cancelled with the flush; wait for the ones running so
   * the engine's state is no longer used when it stops. */
  if (priv->pool)
    g_thread_pool_free (g_steal_pointer (&priv->pool), TRUE, TRUE);
  g_mutex_lock (&priv->lock);
  priv->accept_emits = FALSE;
  g_mutex_unlock (&priv->lock);
  if (priv->engine && priv->engine->stop && priv->engine_state)
    priv->engine->stop (priv->engine_state);
  priv->engine_state = NULL;
  priv->engine = NULL;
  if (priv->config) {
    MtAnalysisSinkClass *klass = MT_ANALYSIS_SINK_GET_CLASS (self);

    if (klass->free_config)
      klass->free_config (priv->config);
    priv->config = NULL;
  }
  memset (&priv->ctx, 0, sizeof (priv->ctx));
  g_clear_pointer (&priv->asset, g_free);
  priv->started = FALSE;
}

/* The location file */

static gboolean
open_location (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  g_autofree gchar *location = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = NULL;

  GST_OBJECT_LOCK (self);
  location = g_strdup (priv->location);
  GST_OBJECT_UNLOCK (self);
  if (!location || !*location)
    return TRUE;

  if (g_str_has_prefix (location, "s3://")) {
    g_autofree gchar *bucket = NULL, *key = NULL;
    gint fd;

    if (!mt_s3_uri_parse (location, FALSE, &bucket, &key, &error)) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("location \"%s\" is not an S3 object URI (s3://bucket/key): %s",
              location, error->message), (NULL));
      return FALSE;
    }
    /* Written locally, uploaded whole at EOS, so a failed run leaves no
     * half-written object behind. */
    fd = g_file_open_tmp ("mediatag-results-XXXXXX.jsonl",
        &priv->out_tmp_path, &error);
    if (fd < 0)
      goto failed;
    close (fd);
    file = g_file_new_for_path (priv->out_tmp_path);
    priv->out_s3_uri = g_strdup (location);
  } else {
    file = g_file_new_for_commandline_arg (location);
    priv->out_path = g_file_get_path (file);
    /* Written as .part and renamed at EOS, so a file under the name asked
     * for is always whole. */
    if (priv->out_path) {
      g_object_unref (file);
      priv->out_part_path = g_strconcat (priv->out_path, ".part", NULL);
      file = g_file_new_for_path (priv->out_part_path);
    }
  }
  priv->out = G_OUTPUT_STREAM (g_file_replace (file, NULL, FALSE,
          G_FILE_CREATE_NONE, NULL, &error));
  if (priv->out)
    return TRUE;

failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
      ("Could not open \"%s\" to write the results: %s", location,
          error->message), (NULL));
  return FALSE;
}

static void
discard_location (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);

  if (priv->out)
    g_output_stream_close (priv->out, NULL, NULL);
  g_clear_object (&priv->out);
  if (priv->out_tmp_path)
    g_unlink (priv->out_tmp_path);
  g_clear_pointer (&priv->out_tmp_path, g_free);
  g_clear_pointer (&priv->out_s3_uri, g_free);
  g_clear_pointer (&priv->out_path, g_free);
  g_clear_pointer (&priv->out_part_path, g_free);
}

static gboolean
upload_s3 (MtAnalysisSink * self, GError ** error)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  g_autoptr (MtS3Client) client = NULL;
  g_autoptr (MtHttpRequest) req = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree gchar *bucket = NULL, *key = NULL, *url = NULL;
  MtAwsSendOptions options = { 0, };

  if (!mt_s3_uri_parse (priv->out_s3_uri, FALSE, &bucket, &key, error))
    return FALSE;
  mapped = g_mapped_file_new (priv->out_tmp_path, FALSE, error);
  if (!mapped)
    return FALSE;
  client = mt_s3_client_new (&priv->ctx_aws, FALSE, FALSE, error);
  if (!client || !mt_s3_client_locate_bucket (client, bucket, NULL, error))
    return FALSE;
  url = mt_s3_client_url (client, bucket, key, NULL);
  req = mt_http_request_new ("PUT", url);
  mt_http_request_set_header (req, "Content-Type", "application/x-ndjson");
  body = g_mapped_file_get_bytes (mapped);
  mt_http_request_set_body (req, body);
  options.s3 = TRUE;
  return mt_aws_client_send (mt_s3_client_get_aws (client), req, &options,
      NULL, NULL, error);
}

static gboolean
finish_location (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *what = NULL;

  if (!priv->out)
    return TRUE;
  what = g_strdup (priv->out_s3_uri ? priv->out_s3_uri : priv->out_path);
  if (!g_output_stream_close (priv->out, NULL, &error))
    goto failed;
  if (priv->out_s3_uri && !upload_s3 (self, &error))
    goto failed;
  if (priv->out_part_path && g_rename (priv->out_part_path,
          priv->out_path) != 0) {
    g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno),
        "cannot rename %s: %s", priv->out_part_path, g_strerror (errno));
    goto failed;
  }
  GST_INFO_OBJECT (self, "results written");
  discard_location (self);
  return TRUE;

failed:
  GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
      ("Could not write the results to %s: %s",
          what ? what : "the location file", error->message), (NULL));
  discard_location (self);
  return FALSE;
}

/* Output (the src pad task) */

static gboolean
ensure_src_stream (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);

  if (!priv->src_stream_started) {
    g_autofree gchar *id = gst_pad_create_stream_id (priv->srcpad,
        GST_ELEMENT (self), "results");

    gst_pad_push_event (priv->srcpad, gst_event_new_stream_start (id));
    priv->src_stream_started = TRUE;
  }
  if (!priv->src_caps_sent) {
    g_autoptr (GstCaps) caps = gst_caps_new_empty_simple ("application/x-json");
    GstSegment segment;

    gst_pad_push_event (priv->srcpad, gst_event_new_caps (caps));
    gst_segment_init (&segment, GST_FORMAT_TIME);
    gst_pad_push_event (priv->srcpad, gst_event_new_segment (&segment));
    priv->src_caps_sent = TRUE;
  }
  return TRUE;
}

static GstFlowReturn push_line (MtAnalysisSink * self, GstBuffer * buf);

/* The buffer time of a document that came without a unit time (a session
 * engine's, a text unit's): its own stream time, in the output segment. */
static GstClockTime
document_position (MtAnalysisSinkPrivate * priv, JsonObject * doc)
{
  gint64 ms = json_object_get_int_member_with_default (doc, "timestamp", -1);

  if (ms < 0 || priv->out_segment.format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  return gst_segment_position_from_stream_time (&priv->out_segment,
      GST_FORMAT_TIME, ms * GST_MSECOND);
}


static GstFlowReturn
emit_document (MtAnalysisSink * self, JsonObject * doc, GstClockTime pts,
    GstClockTime duration)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  g_autofree gchar *line = mt_result_to_line (doc);
  gsize len = strlen (line);
  gboolean is_error = !g_strcmp0 (json_object_get_string_member_with_default
      (doc, "analysis", NULL), MT_ANALYSIS_ERROR);
  GstBuffer *buf;

  g_mutex_lock (&priv->lock);
  if (is_error)
    priv->n_errors++;
  else
    priv->n_results++;
  g_mutex_unlock (&priv->lock);

  if (priv->out) {
    g_autoptr (GError) error = NULL;

    if (!g_output_stream_write_all (priv->out, line, len, NULL, NULL, &error)
        || !g_output_stream_write_all (priv->out, "\n", 1, NULL, NULL, &error)) {
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
          ("Could not write the results to the location file: %s",
              error->message), (NULL));
      return GST_FLOW_ERROR;
    }
  }
  if (priv->src_eos)
    return GST_FLOW_OK;
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    pts = document_position (priv, doc);

  line = g_realloc (line, len + 2);
  line[len] = '\n';
  line[len + 1] = '\0';
  buf = gst_buffer_new_wrapped (g_steal_pointer (&line), len + 1);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = duration;
  return push_line (self, buf);
}

/* Pushes one JSON line on the src pad. */
static GstFlowReturn
push_line (MtAnalysisSink * self, GstBuffer * buf)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  GstFlowReturn ret;

  if (priv->src_eos) {
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  ensure_src_stream (self);
  ret = gst_pad_push (priv->srcpad, buf);
  if (ret == GST_FLOW_NOT_LINKED)
    return GST_FLOW_OK;
  if (ret == GST_FLOW_EOS) {
    /* Downstream wants no more; results still reach the bus and file. */
    priv->src_eos = TRUE;
    return GST_FLOW_OK;
  }
  return ret;
}

static GstFlowReturn
emit_documents (MtAnalysisSink * self, GPtrArray * docs, GstClockTime pts,
    GstClockTime duration)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint i;

  for (i = 0; i < docs->len && ret == GST_FLOW_OK; i++)
    ret = emit_document (self, g_ptr_array_index (docs, i), pts, duration);
  return ret;
}

static void
post_results_message (MtAnalysisSink * self, Item * item)
{
  g_autofree gchar *json = mt_results_to_json_array (item->results);
  GstStructure *s;

  s = gst_structure_new (factory_name (self),
      "timestamp", G_TYPE_UINT64, item->unit.pts,
      "stream-time", G_TYPE_UINT64, item->stream_time,
      "running-time", G_TYPE_UINT64, item->running_time,
      "duration", G_TYPE_UINT64, item->unit.duration,
      "frame", G_TYPE_INT64, item->unit.frame,
      "page", G_TYPE_UINT, item->unit.page,
      "index", G_TYPE_UINT64, item->unit.index,
      "count", G_TYPE_UINT, item->results->len,
      "results", G_TYPE_STRING, json, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static gchar *
describe_unit (const MtUnit * unit)
{
  if (unit->kind == MT_UNIT_AUDIO)
    return g_strdup ("the audio stream");
  if (unit->kind == MT_UNIT_PAGE && unit->page > 0)
    return g_strdup_printf ("page %u", unit->page);
  if (unit->kind == MT_UNIT_TEXT && unit->text_document
      && json_object_has_member (unit->text_document, "id"))
    return g_strdup_printf ("document %s",
        json_object_get_string_member_with_default (unit->text_document,
            "id", "?"));
  if (unit->frame >= 0 && GST_CLOCK_TIME_IS_VALID (unit->pts))
    return g_strdup_printf ("frame %" G_GINT64_FORMAT " (%" GST_TIME_FORMAT
        ")", unit->frame, GST_TIME_ARGS (unit->pts));
  if (GST_CLOCK_TIME_IS_VALID (unit->pts))
    return g_strdup_printf ("the buffer at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (unit->pts));
  return g_strdup_printf ("buffer %" G_GUINT64_FORMAT, unit->index);
}

static GstFlowReturn
fail_unit (MtAnalysisSink * self, Item * item)
{
  g_autofree gchar *what = describe_unit (&item->unit);
  const GError *error = item->error;

  if (g_error_matches (error, MT_AWS_ERROR, MT_AWS_ERROR_NO_CREDENTIALS)
      || g_error_matches (error, MT_AWS_ERROR, MT_AWS_ERROR_AUTH)
      || g_error_matches (error, MT_AWS_ERROR, MT_AWS_ERROR_ACCESS_DENIED))
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
        ("AWS refused the request for %s: %s. Check the credentials "
            "(access-key/secret-key, AWS_ACCESS_KEY_ID, AWS_PROFILE) and "
            "that they allow this call.", what, error->message), (NULL));
  else if (g_error_matches (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG))
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not analyse %s: %s", what, error->message), (NULL));
  else
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not analyse %s: %s. Set on-error=skip to carry on past "
            "such errors.", what, error->message), (NULL));
  return GST_FLOW_ERROR;
}

/* The media time of a unit: its stream time, which is what a player shows
 * and what Media2Cloud's frame times mean. It differs from the PTS when the
 * segment does not start at 0 (an MP4 whose B-frames shift the first PTS,
 * a seek). */
static GstClockTime
item_media_time (const Item * item)
{
  return GST_CLOCK_TIME_IS_VALID (item->stream_time) ? item->stream_time :
      item->unit.pts;
}

/* Results of a text unit are placed where their source words were: the
 * input document's time span or page. */
static void
stamp_text_results (Item * item)
{
  static const gchar *const placement[] = { "timestamp", "end", "page" };
  JsonObject *src = item->unit.text_document;
  guint i, j;

  for (i = 0; i < item->results->len; i++) {
    JsonObject *r = g_ptr_array_index (item->results, i);

    if (json_object_has_member (r, "timestamp")
        || json_object_has_member (r, "page"))
      continue;
    for (j = 0; j < G_N_ELEMENTS (placement); j++) {
      if (json_object_has_member (src, placement[j]))
        json_object_set_member (r, placement[j],
            json_object_dup_member (src, placement[j]));
    }
  }
}

static void
stamp_results (Item * item)
{
  GstClockTime t = item_media_time (item);
  guint i;

  if (item->unit.kind == MT_UNIT_TEXT && item->unit.text_document) {
    stamp_text_results (item);
    return;
  }
  if (item->unit.kind == MT_UNIT_PAGE && item->unit.page > 0) {
    for (i = 0; i < item->results->len; i++) {
      JsonObject *r = g_ptr_array_index (item->results, i);

      if (!json_object_has_member (r, "page"))
        json_object_set_int_member (r, "page", item->unit.page);
    }
  }

  for (i = 0; i < item->results->len; i++) {
    JsonObject *r = g_ptr_array_index (item->results, i);

    if (!json_object_has_member (r, "timestamp"))
      mt_result_set_time (r, t, GST_CLOCK_TIME_NONE, -1);
    if (!json_object_has_member (r, "frame") && item->unit.frame >= 0)
      json_object_set_int_member (r, "frame", item->unit.frame);
  }
}

/* Results of a text unit keep the asset of the document they came from
 * (comprehend after a transcribesink that read s3://...). */
static const gchar *
item_asset (MtAnalysisSinkPrivate * priv, Item * item)
{
  JsonObject *src = item->unit.text_document;
  JsonNode *asset = src ? json_object_get_member (src, "asset") : NULL;

  if (asset && JSON_NODE_HOLDS_VALUE (asset)
      && json_node_get_value_type (asset) == G_TYPE_STRING)
    return json_node_get_string (asset);
  return priv->asset;
}

/* An input line, passed through as it came (src pad only: the location
 * file and the bus carry this element's own results). */
static GstFlowReturn
output_pass (MtAnalysisSink * self, Item * item)
{
  GstBuffer *buf = gst_buffer_new_wrapped (g_steal_pointer (&item->line),
      item->line_len);

  GST_BUFFER_PTS (buf) = item->unit.pts;
  GST_BUFFER_DURATION (buf) = item->unit.duration;
  return push_line (self, buf);
}

static GstFlowReturn
output_unit (MtAnalysisSink * self, Item * item)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  g_autoptr (GPtrArray) closed = NULL;
  gboolean post_messages;
  MtOnError on_error;
  GstFlowReturn ret;

  GST_OBJECT_LOCK (self);
  post_messages = priv->post_messages;
  on_error = priv->on_error;
  GST_OBJECT_UNLOCK (self);

  if (item->error) {
    g_autofree gchar *what = describe_unit (&item->unit);

    if (g_error_matches (item->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      return GST_FLOW_FLUSHING;
    /* A failed session leaves the rest of the stream unanalysed. */
    note_failure (priv, item->error, item->kind == ITEM_RESULTS);
    if (on_error == MT_ON_ERROR_FAIL || error_is_fatal (item->error))
      return fail_unit (self, item);
    GST_WARNING_OBJECT (self, "%s: %s (on-error=skip)", what,
        item->error->message);
    g_ptr_array_set_size (item->results, 0);
    g_ptr_array_add (item->results, error_document (priv, item->error));
  }
  if (item->kind == ITEM_UNIT) {
    g_mutex_lock (&priv->lock);
    priv->n_done++;
    g_mutex_unlock (&priv->lock);
  }
  stamp_results (item);
  mt_result_finish_all (item->results, item_asset (priv, item),
      item->unit.index);
  ret = emit_documents (self, item->results, item->unit.pts,
      item->unit.duration);
  if (post_messages)
    post_results_message (self, item);
  if (ret != GST_FLOW_OK || !item->video)
    return ret;

  closed = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  mt_track_merger_add (priv->tracks, item->results, item_media_time (item),
      item->interval, priv->asset, closed);
  return emit_documents (self, closed, GST_CLOCK_TIME_NONE,
      GST_CLOCK_TIME_NONE);
}

static gboolean head_ready_locked (MtAnalysisSinkPrivate * priv);

static void
post_eos_message (MtAnalysisSink * self, guint32 seqnum)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  GstMessage *msg = gst_message_new_eos (GST_OBJECT (self));

  gst_message_set_seqnum (msg, seqnum);
  gst_element_post_message (GST_ELEMENT (self), msg);
  g_mutex_lock (&priv->lock);
  priv->eos_nudge = TRUE;
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
}

/* Whether `bin` is PLAYING with nothing pending. */
static gboolean
bin_is_playing (GstElement * bin)
{
  gboolean playing;

  GST_OBJECT_LOCK (bin);
  playing = GST_STATE (bin) == GST_STATE_PLAYING
      && GST_STATE_PENDING (bin) == GST_STATE_VOID_PENDING;
  GST_OBJECT_UNLOCK (bin);
  return playing;
}

/* A GstBin passes its sinks' EOS on only after it has posted its own
 * PLAYING state-changed message, a mark gst_bin_post_message() sets after
 * the post returns. When decodebin completes READY->PAUSED from its
 * streaming thread, that thread's READY->PAUSED message can return after the
 * application has already taken the pipeline to PLAYING, and clears the
 * mark: the bin then holds the sink's EOS for ever and gst-launch never
 * exits (issue 11: 2 in 5 runs on a photo, 6 in 24 with four at once;
 * seen in gdb: pipeline PLAYING, EOS message held, posted_playing 0).
 * Posting each bin's PLAYING state again, once all of them are PLAYING,
 * lets them pass on the EOS they hold; a bin that has passed it on holds
 * none, so no EOS is posted twice. FALSE while a bin is not PLAYING yet. */
static gboolean
nudge_bins (MtAnalysisSink * self)
{
  g_autoptr (GPtrArray) bins =
      g_ptr_array_new_with_free_func (gst_object_unref);
  GstObject *parent = gst_object_get_parent (GST_OBJECT (self));
  guint i;

  while (parent) {
    g_ptr_array_add (bins, parent);
    if (!GST_IS_ELEMENT (parent) || !bin_is_playing (GST_ELEMENT (parent)))
      return FALSE;
    parent = gst_object_get_parent (parent);
  }
  for (i = 0; i < bins->len; i++) {
    GstObject *bin = g_ptr_array_index (bins, i);

    gst_element_post_message (GST_ELEMENT (bin),
        gst_message_new_state_changed (bin, GST_STATE_PLAYING,
            GST_STATE_PLAYING, GST_STATE_VOID_PENDING));
  }
  return TRUE;
}

/* Waits for the head of the queue with priv->lock held. After EOS, checks
 * every 50 ms until the bins above are PLAYING, then nudges them once. */
static void
wait_for_head_locked (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);

  while (!priv->flushing && !head_ready_locked (priv)) {
    gboolean nudged;

    if (!priv->eos_nudge) {
      g_cond_wait (&priv->cond, &priv->lock);
      continue;
    }
    g_mutex_unlock (&priv->lock);
    nudged = nudge_bins (self);
    g_mutex_lock (&priv->lock);
    if (nudged)
      priv->eos_nudge = FALSE;
    else
      g_cond_wait_until (&priv->cond, &priv->lock,
          g_get_monotonic_time () + 50 * G_TIME_SPAN_MILLISECOND);
  }
}

static GstFlowReturn
output_eos (MtAnalysisSink * self, GstEvent * event)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  g_autoptr (GPtrArray) closed =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  guint32 seqnum = gst_event_get_seqnum (event);
  GstFlowReturn ret;

  mt_track_merger_flush (priv->tracks, priv->asset, closed);
  ret = emit_documents (self, closed, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
  if (ret != GST_FLOW_OK)
    return ret;
  if (!finish_location (self))
    return GST_FLOW_ERROR;
  post_summary (self);
  ensure_src_stream (self);
  gst_pad_push_event (priv->srcpad, gst_event_ref (event));
  priv->src_eos = TRUE;

  /* As a sink we tell the bin we are done, but a bin only acts on EOS in
   * PLAYING: in PAUSED, keep it until PLAYING as GstBaseSink does. */
  g_mutex_lock (&priv->lock);
  if (priv->playing) {
    g_mutex_unlock (&priv->lock);
    post_eos_message (self, seqnum);
  } else {
    priv->eos_pending = TRUE;
    priv->eos_pending_seqnum = seqnum;
    g_mutex_unlock (&priv->lock);
  }
  return GST_FLOW_OK;
}

static GstFlowReturn
output_event (MtAnalysisSink * self, GstEvent * event)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      return output_eos (self, event);
    case GST_EVENT_STREAM_START:
      gst_pad_push_event (priv->srcpad, gst_event_ref (event));
      priv->src_stream_started = TRUE;
      priv->src_caps_sent = FALSE;
      ensure_src_stream (self);
      return GST_FLOW_OK;
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;

      /* Results carry media times: a TIME segment passes through, any
       * other (an image from filesrc: BYTES) becomes the default one that
       * ensure_src_stream() sent. */
      ensure_src_stream (self);
      gst_event_parse_segment (event, &segment);
      if (segment->format == GST_FORMAT_TIME) {
        gst_segment_copy_into (segment, &priv->out_segment);
        gst_pad_push_event (priv->srcpad, gst_event_ref (event));
      }
      return GST_FLOW_OK;
    }
    default:
      ensure_src_stream (self);
      gst_pad_push_event (priv->srcpad, gst_event_ref (event));
      return GST_FLOW_OK;
  }
}

static gboolean
head_ready_locked (MtAnalysisSinkPrivate * priv)
{
  Item *head = g_queue_peek_head (&priv->items);

  return head && (head->kind == ITEM_EVENT || head->done);
}

static void
output_loop (gpointer user_data)
{
  MtAnalysisSink *self = user_data;
  MtAnalysisSinkPrivate *priv = PRIV (self);
  GstFlowReturn ret;
  Item *item;

  g_mutex_lock (&priv->lock);
  wait_for_head_locked (self);
  if (priv->flushing) {
    g_mutex_unlock (&priv->lock);
    gst_pad_pause_task (priv->srcpad);
    return;
  }
  item = g_queue_pop_head (&priv->items);
  if (item->kind == ITEM_UNIT || item->kind == ITEM_PASS)
    priv->n_units--;
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);

  if (item->kind == ITEM_EVENT)
    ret = output_event (self, item->event);
  else if (item->kind == ITEM_PASS)
    ret = output_pass (self, item);
  else
    ret = output_unit (self, item);
  item_unref (item);
  if (ret == GST_FLOW_OK)
    return;

  GST_DEBUG_OBJECT (self, "pausing: %s", gst_flow_get_name (ret));
  g_mutex_lock (&priv->lock);
  priv->srcresult = ret;
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
  gst_pad_pause_task (priv->srcpad);
}

/* Input (the sink pad) */

static gint64
frame_number (MtAnalysisSink * self, GstBuffer * buffer, gboolean video)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  GstVideoInfo info;
  GstClockTime st;

  if (!video)
    return -1;
  /* framesampler puts the source frame number in the offset. */
  if (GST_BUFFER_OFFSET_IS_VALID (buffer))
    return (gint64) GST_BUFFER_OFFSET (buffer);
  if (!priv->caps || !gst_video_info_from_caps (&info, priv->caps)
      || info.fps_n <= 0 || !GST_BUFFER_PTS_IS_VALID (buffer)
      || priv->segment.format != GST_FORMAT_TIME)
    return -1;
  st = gst_segment_to_stream_time (&priv->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buffer));
  if (!GST_CLOCK_TIME_IS_VALID (st))
    return -1;
  return (gint64) gst_util_uint64_scale_round (st, info.fps_n,
      info.fps_d * GST_SECOND);
}

static void place_unit_item (MtAnalysisSink * self, Item * item);

static Item *
make_unit_item (MtAnalysisSink * self, GstBuffer * buffer)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  Item *item = item_new (ITEM_UNIT);
  GstStructure *s = priv->caps ? gst_caps_get_structure (priv->caps, 0) : NULL;
  gboolean video = s && gst_structure_has_name (s, "video/x-raw");
  GstClockTime pts = GST_BUFFER_PTS (buffer);

  item->video = video;
  item->unit.kind = video ? MT_UNIT_VIDEO_FRAME : MT_UNIT_IMAGE;
  item->unit.frame = frame_number (self, buffer, video);
  item->unit.pts = pts;
  item->unit.duration = GST_BUFFER_DURATION (buffer);
  item->unit.caps = priv->caps ? gst_caps_ref (priv->caps) : NULL;
  item->unit.buffer = buffer;
  place_unit_item (self, item);
  return item;
}

/* Index, sampling interval and times of a unit item from the segment. */
static void
place_unit_item (MtAnalysisSink * self, Item * item)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  GstClockTime pts = item->unit.pts;

  item->interval = priv->interval;
  item->unit.index = priv->next_index++;
  if (priv->segment.format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID (pts)) {
    item->running_time = gst_segment_to_running_time (&priv->segment,
        GST_FORMAT_TIME, pts);
    if (!GST_CLOCK_TIME_IS_VALID (item->unit.stream_time))
      item->unit.stream_time = gst_segment_to_stream_time (&priv->segment,
          GST_FORMAT_TIME, pts);
  }
  item->stream_time = item->unit.stream_time;
}

/* Queues a unit in order, waiting for room, and hands it to a worker
 * (unless it is already done: refused before analysis). */
static GstFlowReturn
enqueue_unit (MtAnalysisSink * self, Item * item)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  GstFlowReturn ret;
  guint64 index;
  gint64 frame;
  Item *work;

  g_mutex_lock (&priv->lock);
  while (!priv->flushing && priv->srcresult == GST_FLOW_OK
      && priv->n_units >= priv->queue_limit)
    g_cond_wait (&priv->cond, &priv->lock);
  ret = priv->flushing ? GST_FLOW_FLUSHING : priv->srcresult;
  if (ret != GST_FLOW_OK) {
    g_mutex_unlock (&priv->lock);
    item_unref (item);
    return ret;
  }
  item->cancellable = g_object_ref (priv->cancellable);
  index = item->unit.index;
  frame = item->unit.frame;
  /* The worker's reference is taken before the item is shared: once the
   * lock is released, a done item may already be output and freed. */
  work = item->kind == ITEM_UNIT && !item->done ? item_ref (item) : NULL;
  g_queue_push_tail (&priv->items, item);
  priv->n_units++;
  /* A done item can be output at once: the output task must hear of it. */
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);

  GST_LOG_OBJECT (self, "queued unit %" G_GUINT64_FORMAT ", frame %"
      G_GINT64_FORMAT, index, frame);
  if (work)
    g_thread_pool_push (priv->pool, work, NULL);
  return GST_FLOW_OK;
}

GstFlowReturn
mt_analysis_sink_queue_unit (MtAnalysisSink * self, MtUnit * unit)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  Item *item;

  g_return_val_if_fail (priv->started && priv->pool, GST_FLOW_ERROR);
  item = item_new (ITEM_UNIT);
  item->unit = *unit;
  memset (unit, 0, sizeof (*unit));
  if (!item->unit.caps && priv->caps)
    item->unit.caps = gst_caps_ref (priv->caps);
  item->video = item->unit.kind == MT_UNIT_VIDEO_FRAME;
  place_unit_item (self, item);
  return enqueue_unit (self, item);
}

GstCaps *
mt_analysis_sink_get_caps (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  caps = priv->caps ? gst_caps_ref (priv->caps) : NULL;
  GST_OBJECT_UNLOCK (self);
  return caps;
}

/* max-pixels: the size of an encoded image from its header (PNG IHDR,
 * JPEG SOF), read before anything decodes it. */
/* Byte by byte: headers sit at any offset (GST_READ_UINT16_BE may load
 * unaligned). */
static guint
be16 (const guint8 * d)
{
  return ((guint) d[0] << 8) | d[1];
}

static guint64
be32 (const guint8 * d)
{
  return ((guint64) be16 (d) << 16) | be16 (d + 2);
}

static gboolean
png_size (const guint8 * d, gsize n, guint64 * w, guint64 * h)
{
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  if (n < 24 || memcmp (d, sig, 8) != 0 || memcmp (d + 12, "IHDR", 4) != 0)
    return FALSE;
  *w = be32 (d + 16);
  *h = be32 (d + 20);
  return TRUE;
}

static gboolean
jpeg_size (const guint8 * d, gsize n, guint64 * w, guint64 * h)
{
  gsize i = 2;

  if (n < 4 || d[0] != 0xff || d[1] != 0xd8)
    return FALSE;
  while (i + 4 <= n) {
    guint8 marker = d[i + 1];
    guint len = be16 (d + i + 2);

    if (d[i] != 0xff)
      return FALSE;
    if (marker == 0xff) {       /* fill byte */
      i++;
      continue;
    }
    /* SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC). */
    if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4
        && marker != 0xc8 && marker != 0xcc) {
      if (i + 9 > n)
        return FALSE;
      *h = be16 (d + i + 5);
      *w = be16 (d + i + 7);
      return TRUE;
    }
    i += 2 + len;
  }
  return FALSE;
}

static gboolean
image_size (GstCaps * caps, GstBuffer * buffer, guint64 * w, guint64 * h)
{
  GstStructure *s = caps ? gst_caps_get_structure (caps, 0) : NULL;
  gint cw = 0, ch = 0;
  GstMapInfo map;
  gboolean found;

  if (s && gst_structure_get_int (s, "width", &cw)
      && gst_structure_get_int (s, "height", &ch) && cw > 0 && ch > 0) {
    *w = cw;
    *h = ch;
    return TRUE;
  }
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return FALSE;
  found = png_size (map.data, map.size, w, h)
      || jpeg_size (map.data, map.size, w, h);
  gst_buffer_unmap (buffer, &map);
  return found;
}

static void
set_too_large_error (MtAnalysisSinkPrivate * priv, guint64 w, guint64 h,
    GError ** error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
      "The image is %" G_GUINT64_FORMAT "x%" G_GUINT64_FORMAT " (%.1f Mpx), "
      "above max-pixels (%.1f Mpx): it was not decoded. Raise max-pixels to "
      "analyse it", w, h, (gdouble) (w * h) / 1e6,
      (gdouble) priv->max_pixels_now / 1e6);
}

/* An encoded image above max-pixels fails as a unit, never decoded. */
static void
check_image_pixels (MtAnalysisSink * self, Item * item)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  guint64 w, h;

  if (item->unit.kind != MT_UNIT_IMAGE || priv->max_pixels_now == 0
      || !image_size (item->unit.caps, item->unit.buffer, &w, &h)
      || w * h <= priv->max_pixels_now)
    return;
  set_too_large_error (priv, w, h, &item->error);
  item->done = TRUE;
}

/* Raw frames above max-pixels are refused at their caps, before the
 * decoder allocates one. */
static gboolean
check_caps_pixels (MtAnalysisSink * self, GstCaps * caps)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  GstStructure *s = gst_caps_get_structure (caps, 0);
  g_autoptr (GError) error = NULL;
  guint64 max;
  gint w = 0, h = 0;

  GST_OBJECT_LOCK (self);
  max = priv->max_pixels;
  GST_OBJECT_UNLOCK (self);
  if (max == 0 || !gst_structure_has_name (s, "video/x-raw")
      || !gst_structure_get_int (s, "width", &w)
      || !gst_structure_get_int (s, "height", &h)
      || (guint64) w * h <= max)
    return TRUE;
  /* Upstream offers the same caps again on reconfigure: one error. */
  if (priv->refused_caps && gst_caps_is_equal (caps, priv->refused_caps))
    return FALSE;
  gst_caps_replace (&priv->refused_caps, caps);
  priv->max_pixels_now = max;
  set_too_large_error (priv, w, h, &error);
  GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("%s.", error->message),
      ("max-pixels=%" G_GUINT64_FORMAT ", caps %" GST_PTR_FORMAT, max, caps));
  return FALSE;
}

/* Session engines: each buffer goes to push(), here, in order. */
static GstFlowReturn
session_push (MtAnalysisSink * self, GstBuffer * buffer)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  g_autoptr (GCancellable) cancellable = NULL;
  g_autoptr (GError) error = NULL;
  GstFlowReturn ret;
  gboolean failed, ok;
  MtUnit unit = { 0 };
  Item placed = { 0 };

  g_mutex_lock (&priv->lock);
  ret = priv->flushing ? GST_FLOW_FLUSHING : priv->srcresult;
  failed = priv->session_failed;
  cancellable = g_object_ref (priv->cancellable);
  g_mutex_unlock (&priv->lock);
  /* After a failure with on-error=skip, the rest of the stream is taken
   * and dropped: it was counted as incomplete with the failure. */
  if (ret != GST_FLOW_OK || failed) {
    gst_buffer_unref (buffer);
    return ret;
  }
  placed.unit.pts = GST_BUFFER_PTS (buffer);
  placed.unit.stream_time = GST_CLOCK_TIME_NONE;
  place_unit_item (self, &placed);
  unit = placed.unit;
  unit.kind = MT_UNIT_AUDIO;
  unit.buffer = buffer;
  unit.caps = priv->caps;
  unit.frame = -1;
  unit.duration = GST_BUFFER_DURATION (buffer);
  ok = priv->engine->push (priv->engine_state, &priv->ctx, &unit,
      cancellable, &error);
  gst_buffer_unref (buffer);
  if (ok) {
    g_mutex_lock (&priv->lock);
    priv->n_done++;
    g_mutex_unlock (&priv->lock);
  } else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    if (!error)
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "The %s engine failed without saying why", priv->engine->name);
    fail_session (self, error);
  }
  return GST_FLOW_OK;
}

/* At EOS: the engine tells the service the stream is over and returns
 * once everything is emitted; nothing is taken after it. */
static void
session_drain (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  g_autoptr (GCancellable) cancellable = NULL;
  g_autoptr (GError) error = NULL;
  gboolean flushing;

  /* Drained after a failure too: what the engine still holds from before
   * it is good (its drain() then returns promptly). */
  g_mutex_lock (&priv->lock);
  flushing = priv->flushing;
  cancellable = g_object_ref (priv->cancellable);
  g_mutex_unlock (&priv->lock);
  if (!flushing && priv->engine->drain && !priv->engine->drain
      (priv->engine_state, &priv->ctx, cancellable, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    if (!error)
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "The %s engine failed to finish without saying why",
          priv->engine->name);
    fail_session (self, error);
  }
}

/* application/x-json input: each line is passed through, and becomes a
 * TEXT unit when the element accepts the document. */
static void
bad_line (MtAnalysisSink * self, const gchar * reason)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  guint64 n;

  g_mutex_lock (&priv->lock);
  n = ++priv->n_bad_lines;
  priv->incomplete = TRUE;
  if (!priv->first_error)
    priv->first_error = g_strdup (reason);
  g_mutex_unlock (&priv->lock);
  if (n <= MAX_LINE_WARNINGS)
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("An input line was skipped: %s.", reason),
        ("%" G_GUINT64_FORMAT " bad lines so far; only the first %d are "
            "warned about", n, MAX_LINE_WARNINGS));
  else
    GST_WARNING_OBJECT (self, "an input line was skipped: %s", reason);
}

static gboolean
accepts_document (MtAnalysisSink * self, JsonObject * doc)
{
  MtAnalysisSinkClass *klass = MT_ANALYSIS_SINK_GET_CLASS (self);
  JsonNode *text;

  if (klass->accept_document)
    return klass->accept_document (self, doc);
  text = json_object_get_member (doc, "text");
  return text && JSON_NODE_HOLDS_VALUE (text)
      && json_node_get_value_type (text) == G_TYPE_STRING;
}

static GstFlowReturn
queue_document (MtAnalysisSink * self, const gchar * line, gsize len,
    JsonObject * doc)
{
  Item *pass = item_new (ITEM_PASS);
  Item *item;
  gint64 ms;
  GstFlowReturn ret;

  pass->line = g_malloc (len + 1);
  memcpy (pass->line, line, len);
  pass->line[len] = '\n';
  pass->line_len = len + 1;
  ret = enqueue_unit (self, pass);
  if (ret != GST_FLOW_OK || !accepts_document (self, doc))
    return ret;

  item = item_new (ITEM_UNIT);
  item->unit.kind = MT_UNIT_TEXT;
  item->unit.text_document = json_object_ref (doc);
  ms = json_object_get_int_member_with_default (doc, "timestamp", -1);
  if (ms >= 0)
    item->unit.stream_time = ms * GST_MSECOND;
  item->unit.page = json_object_get_int_member_with_default (doc, "page", 0);
  place_unit_item (self, item);
  return enqueue_unit (self, item);
}

static gboolean
take_line (const gchar * line, gsize len, guint64 line_no,
    const GError * error, gpointer user_data)
{
  MtAnalysisSink *self = user_data;
  MtAnalysisSinkPrivate *priv = PRIV (self);
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (JsonObject) doc = NULL;

  if (error) {
    bad_line (self, error->message);
    return TRUE;
  }
  doc = mt_json_line_parse (line, len, line_no, &parse_error);
  if (!doc) {
    bad_line (self, parse_error->message);
    return TRUE;
  }
  priv->lines_ret = queue_document (self, line, len, doc);
  return priv->lines_ret == GST_FLOW_OK;
}

static GstFlowReturn
json_chain (MtAnalysisSink * self, GstBuffer * buffer)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  GstMapInfo map;

  if (!priv->lines)
    priv->lines = mt_line_assembler_new (MT_LINE_DEFAULT_MAX);
  priv->lines_ret = GST_FLOW_OK;
  if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    mt_line_assembler_push (priv->lines, map.data, map.size, take_line, self);
    gst_buffer_unmap (buffer, &map);
  }
  gst_buffer_unref (buffer);
  return priv->lines_ret;
}

static gboolean
caps_are_json (GstCaps * caps)
{
  return caps && gst_structure_has_name (gst_caps_get_structure (caps, 0),
      "application/x-json");
}

/* Everything the stream still holds before EOS: a last line without a
 * newline, a gathering element's units, a session's last results. */
static void
finish_input (MtAnalysisSink * self)
{
  MtAnalysisSinkClass *klass = MT_ANALYSIS_SINK_GET_CLASS (self);
  MtAnalysisSinkPrivate *priv = PRIV (self);

  if (priv->lines && priv->started)
    mt_line_assembler_finish (priv->lines, take_line, self);
  if (!priv->started)
    return;
  if (klass->handle_eos && klass->handle_eos (self) != GST_FLOW_OK)
    GST_DEBUG_OBJECT (self, "handle_eos did not finish");
  if (MT_ENGINE_IS_SESSION (priv->engine))
    session_drain (self);
}

static GstFlowReturn
sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  MtAnalysisSink *self = MT_ANALYSIS_SINK (parent);
  MtAnalysisSinkClass *klass = MT_ANALYSIS_SINK_GET_CLASS (self);
  MtAnalysisSinkPrivate *priv = PRIV (self);
  Item *item;

  if (!priv->caps) {
    /* filesrc straight into the sink: blocks of a file, not images. */
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("%s got data without caps: give it one image per buffer with its "
            "caps, e.g. "
            "filesrc ! jpegparse ! %s, or multifilesrc caps=image/jpeg.",
            GST_ELEMENT_NAME (self), GST_ELEMENT_NAME (self)), (NULL));
    gst_buffer_unref (buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!priv->started && !start_engine (self)) {
    /* Undo what got set up, so a later buffer starts from scratch. */
    stop_engine (self);
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }
  if (MT_ENGINE_IS_SESSION (priv->engine))
    return session_push (self, buffer);
  if (klass->handle_buffer)
    return klass->handle_buffer (self, buffer);
  if (caps_are_json (priv->caps))
    return json_chain (self, buffer);
  item = make_unit_item (self, buffer);
  check_image_pixels (self, item);
  return enqueue_unit (self, item);
}

static gboolean
queue_event (MtAnalysisSink * self, GstEvent * event)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  Item *item = item_new (ITEM_EVENT);

  item->event = event;
  g_mutex_lock (&priv->lock);
  if (priv->flushing) {
    g_mutex_unlock (&priv->lock);
    item_unref (item);
    return FALSE;
  }
  /* Nothing may be output after EOS: a session's emits stop here. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    priv->accept_emits = FALSE;
  g_queue_push_tail (&priv->items, item);
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
  return TRUE;
}

static void
flush_start (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);

  g_mutex_lock (&priv->lock);
  priv->flushing = TRUE;
  g_cancellable_cancel (priv->cancellable);
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
}

static void
reset_output (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);

  g_clear_pointer (&priv->tracks, mt_track_merger_free);
  priv->tracks = mt_track_merger_new ();
  priv->src_eos = FALSE;
}

static void
flush_stop (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);

  g_mutex_lock (&priv->lock);
  queue_clear_locked (priv);
  g_clear_object (&priv->cancellable);
  priv->cancellable = g_cancellable_new ();
  priv->flushing = FALSE;
  priv->srcresult = GST_FLOW_OK;
  priv->eos_pending = FALSE;
  /* A session goes on after a seek, as the stream does. */
  priv->accept_emits = priv->started && MT_ENGINE_IS_SESSION (priv->engine);
  g_mutex_unlock (&priv->lock);
  if (priv->lines)
    mt_line_assembler_reset (priv->lines);
  /* The task is paused: its state can be reset from here. */
  reset_output (self);
}

static void
read_sampling_event (MtAnalysisSink * self, GstEvent * event)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  const GstStructure *s = gst_event_get_structure (event);
  guint64 interval;

  /* framesampler's interval drives the track gap rule; 0 (dynamic mode)
   * leaves it to be inferred from the frames. */
  if (s && gst_structure_has_name (s, MT_SAMPLING_EVENT_NAME)
      && gst_structure_get_uint64 (s, MT_SAMPLING_FIELD_INTERVAL, &interval)) {
    GST_DEBUG_OBJECT (self, "sampling interval %" GST_TIME_FORMAT,
        GST_TIME_ARGS (interval));
    priv->interval = interval;
  }
}

static gboolean
sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  MtAnalysisSink *self = MT_ANALYSIS_SINK (parent);
  MtAnalysisSinkPrivate *priv = PRIV (self);
  gboolean ret;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      /* Downstream first, so a push blocked there returns. */
      ret = gst_pad_push_event (priv->srcpad, event);
      flush_start (self);
      gst_pad_pause_task (priv->srcpad);
      return ret;
    case GST_EVENT_FLUSH_STOP:
      flush_stop (self);
      ret = gst_pad_push_event (priv->srcpad, event);
      gst_pad_start_task (priv->srcpad, output_loop, self, NULL);
      return ret;
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      /* The media caps stay here: the src pad carries JSON. */
      gst_event_parse_caps (event, &caps);
      if (!check_caps_pixels (self, caps)) {
        gst_event_unref (event);
        return FALSE;
      }
      GST_OBJECT_LOCK (self);
      gst_caps_replace (&priv->caps, caps);
      GST_OBJECT_UNLOCK (self);
      gst_event_unref (event);
      return TRUE;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &priv->segment);
      return queue_event (self, event);
    case GST_EVENT_EOS:
      finish_input (self);
      return queue_event (self, event);
    case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:
      read_sampling_event (self, event);
      return queue_event (self, event);
    default:
      if (GST_EVENT_IS_SERIALIZED (event))
        return queue_event (self, event);
      return gst_pad_push_event (priv->srcpad, event);
  }
}

static gboolean
sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_ALLOCATION:
      /* Frames are read through GstVideoFrame, which honours the meta. */
      gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
      return TRUE;
    case GST_QUERY_CAPS:
    case GST_QUERY_ACCEPT_CAPS:
      return gst_pad_query_default (pad, parent, query);
    default:
      /* Never ask the JSON side about media. */
      if (GST_QUERY_IS_SERIALIZED (query))
        return FALSE;
      return gst_pad_query_default (pad, parent, query);
  }
}

static gboolean
src_activate_mode (GstPad * pad, GstObject * parent, GstPadMode mode,
    gboolean active)
{
  MtAnalysisSink *self = MT_ANALYSIS_SINK (parent);
  MtAnalysisSinkPrivate *priv = PRIV (self);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  if (active) {
    g_mutex_lock (&priv->lock);
    priv->flushing = FALSE;
    priv->srcresult = GST_FLOW_OK;
    g_mutex_unlock (&priv->lock);
    return gst_pad_start_task (pad, output_loop, self, NULL);
  }
  flush_start (self);
  return gst_pad_stop_task (pad);
}

/* The bin asks its sinks for latency. Results are not rendered against the
 * clock, so there is none to add, whatever is (or is not) downstream. */
static gboolean
element_query (GstElement * element, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gst_query_set_latency (query, FALSE, 0, GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return GST_ELEMENT_CLASS (mt_analysis_sink_parent_class)->query (element,
      query);
}

/* ... and hands them the latency to apply, which a sink that does not sync
 * has no use for: taking it is all there is to do. */
static gboolean
element_send_event (GstElement * element, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_LATENCY) {
    gst_event_unref (event);
    return TRUE;
  }
  return GST_ELEMENT_CLASS (mt_analysis_sink_parent_class)->send_event
      (element, event);
}

/* State */

static gboolean
start_stream (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);

  GST_OBJECT_LOCK (self);
  mt_aws_settings_clear (&priv->ctx_aws);
  mt_aws_settings_copy (&priv->ctx_aws, &priv->aws);
  take_rate_group_locked (priv);
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&priv->lock);
  queue_clear_locked (priv);
  g_clear_object (&priv->cancellable);
  priv->cancellable = g_cancellable_new ();
  priv->eos_pending = FALSE;
  priv->eos_nudge = FALSE;
  priv->playing = FALSE;
  priv->queue_limit = 0;
  priv->next_emit_index = 0;
  reset_counts_locked (priv);
  g_mutex_unlock (&priv->lock);

  gst_segment_init (&priv->segment, GST_FORMAT_UNDEFINED);
  gst_segment_init (&priv->out_segment, GST_FORMAT_UNDEFINED);
  priv->interval = 0;
  priv->next_index = 0;
  priv->src_caps_sent = FALSE;
  priv->src_stream_started = FALSE;
  reset_output (self);
  return open_location (self);
}

static void
stop_stream (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);

  stop_engine (self);
  g_mutex_lock (&priv->lock);
  queue_clear_locked (priv);
  g_mutex_unlock (&priv->lock);
  /* Stopped before EOS: the s3:// upload does not happen; a local file
   * keeps what was written, under its .part name. */
  discard_location (self);
  GST_OBJECT_LOCK (self);
  gst_clear_caps (&priv->caps);
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&priv->lines, mt_line_assembler_free);
  gst_clear_caps (&priv->refused_caps);
  g_clear_pointer (&priv->tracks, mt_track_merger_free);
}

static void
set_playing (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);
  gboolean post;
  guint32 seqnum;

  g_mutex_lock (&priv->lock);
  priv->playing = TRUE;
  post = priv->eos_pending;
  seqnum = priv->eos_pending_seqnum;
  priv->eos_pending = FALSE;
  priv->eos_nudge = FALSE;
  g_mutex_unlock (&priv->lock);
  if (post)
    post_eos_message (self, seqnum);
}

static GstStateChangeReturn
change_state (GstElement * element, GstStateChange transition)
{
  MtAnalysisSink *self = MT_ANALYSIS_SINK (element);
  MtAnalysisSinkPrivate *priv = PRIV (self);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!start_stream (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      flush_start (self);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      g_mutex_lock (&priv->lock);
      priv->playing = FALSE;
      g_mutex_unlock (&priv->lock);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (mt_analysis_sink_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      set_playing (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      stop_stream (self);
      break;
    default:
      break;
  }
  return ret;
}

/* Properties */

static void
set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  MtAnalysisSink *self = MT_ANALYSIS_SINK (object);
  MtAnalysisSinkPrivate *priv = PRIV (self);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_BACKEND:
      priv->backend = g_value_get_enum (value);
      break;
    case PROP_MAX_IN_FLIGHT:
      priv->max_in_flight = g_value_get_uint (value);
      break;
    case PROP_MAX_TPS:
      priv->max_tps = g_value_get_double (value);
      break;
    case PROP_RATE_GROUP:
      g_free (priv->rate_group);
      priv->rate_group = g_value_dup_string (value);
      break;
    case PROP_ON_ERROR:
      priv->on_error = g_value_get_enum (value);
      break;
    case PROP_POST_MESSAGES:
      priv->post_messages = g_value_get_boolean (value);
      break;
    case PROP_LOCATION:
      g_free (priv->location);
      priv->location = g_value_dup_string (value);
      break;
    case PROP_ASSET:
      g_free (priv->asset_prop);
      priv->asset_prop = g_value_dup_string (value);
      break;
    case PROP_MAX_PIXELS:
      priv->max_pixels = g_value_get_uint64 (value);
      break;
    default:
      if (!mt_aws_settings_set_property (&priv->aws, PROP_AWS_FIRST, prop_id,
              value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  MtAnalysisSink *self = MT_ANALYSIS_SINK (object);
  MtAnalysisSinkPrivate *priv = PRIV (self);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_BACKEND:
      g_value_set_enum (value, priv->backend);
      break;
    case PROP_MAX_IN_FLIGHT:
      g_value_set_uint (value, priv->max_in_flight);
      break;
    case PROP_MAX_TPS:
      g_value_set_double (value, priv->max_tps);
      break;
    case PROP_RATE_GROUP:
      g_value_set_string (value, priv->rate_group);
      break;
    case PROP_ON_ERROR:
      g_value_set_enum (value, priv->on_error);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, priv->post_messages);
      break;
    case PROP_LOCATION:
      g_value_set_string (value, priv->location);
      break;
    case PROP_ASSET:
      g_value_set_string (value, priv->asset_prop);
      break;
    case PROP_MAX_PIXELS:
      g_value_set_uint64 (value, priv->max_pixels);
      break;
    default:
      if (!mt_aws_settings_get_property (&priv->aws, PROP_AWS_FIRST, prop_id,
              value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
finalize (GObject * object)
{
  MtAnalysisSinkPrivate *priv = PRIV (object);

  g_free (priv->location);
  g_free (priv->asset_prop);
  g_free (priv->engine_label);
  g_free (priv->first_error);
  mt_aws_settings_clear (&priv->aws);
  mt_aws_settings_clear (&priv->ctx_aws);
  g_clear_object (&priv->cancellable);
  g_mutex_clear (&priv->lock);
  g_cond_clear (&priv->cond);
  g_free (priv->rate_group);
  mt_pacer_unref (priv->pacer);
  G_OBJECT_CLASS (mt_analysis_sink_parent_class)->finalize (object);
}

static void constructed (GObject * object);

static void
mt_analysis_sink_class_init (MtAnalysisSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (mt_analysis_sink_debug, "analysissink", 0,
      "mediatag analysis sink base");

  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  gobject_class->constructed = constructed;
  element_class->change_state = GST_DEBUG_FUNCPTR (change_state);
  element_class->query = GST_DEBUG_FUNCPTR (element_query);
  element_class->send_event = GST_DEBUG_FUNCPTR (element_send_event);
  klass->features_type = G_TYPE_NONE;

  /**
   * MtAnalysisSink:backend:
   *
   * Which engine analyses: `aws` (the AWS service), `local` (offline, on
   * this machine), or `auto`: aws when the AWS credential chain yields
   * credentials, local otherwise. The choice is logged and posted as a
   * `mediatag-backend` element message.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_BACKEND,
      g_param_spec_enum ("backend", "Backend", "Which engine analyses",
          MT_TYPE_BACKEND, DEFAULT_BACKEND,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * MtAnalysisSink:max-in-flight:
   *
   * Units analysed at once. Results still leave in input order.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_IN_FLIGHT,
      g_param_spec_uint ("max-in-flight", "Max in flight",
          "Number of units (images, frames, pages, texts) analysed at once "
          "(results stay in input order)", 1, 256,
          MT_ANALYSIS_SINK_DEFAULT_MAX_IN_FLIGHT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * MtAnalysisSink:max-tps:
   *
   * Requests per second at most, evenly spaced, to stay under a service
   * quota; 0 for no limit.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_TPS,
      g_param_spec_double ("max-tps", "Max TPS",
          "Requests per second at most (0: no limit)", 0, G_MAXDOUBLE,
          DEFAULT_MAX_TPS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * MtAnalysisSink:rate-group:
   *
   * A name shared by elements of one process whose requests go to the
   * same service quota: together they stay under max-tps (each paces
   * with its own max-tps value on the group's slots), and what one learns
   * of throttling slows them all. Unset: the element paces alone.
   * `mediatag analyze` and `mediatag batch` put each element type in
   * one group, so that the jobs of a batch share --max-tps.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_RATE_GROUP,
      g_param_spec_string ("rate-group", "Rate group",
          "Elements of one process with the same rate group share max-tps "
          "and the throttling they meet (unset: this element alone)",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * MtAnalysisSink:on-error:
   *
   * What a unit that cannot be analysed does: `skip` writes an
   * `analysis=error` document naming the frame and the error and carries
   * on; `fail` stops with an element error. Retryable errors are retried
   * first; credential and permission errors always fail.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ON_ERROR,
      g_param_spec_enum ("on-error", "On error",
          "What a unit that cannot be analysed does", MT_TYPE_ON_ERROR,
          DEFAULT_ON_ERROR, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * MtAnalysisSink:post-messages:
   *
   * Post an element message with the results of each unit.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post an element message with each unit's results",
          DEFAULT_POST_MESSAGES, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * MtAnalysisSink:location:
   *
   * Also write the results as JSON Lines to this file, or to this
   * `s3://bucket/key` object (uploaded whole at EOS).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Also write the results as JSON Lines here (a path or s3://bucket/key)",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * MtAnalysisSink:asset:
   *
   * The `asset` of the result documents; when unset, the URI upstream
   * answers (filesrc, s3src, uridecodebin).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ASSET,
      g_param_spec_string ("asset", "Asset",
          "The results' asset URI (default: asked upstream)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * MtAnalysisSink:max-pixels:
   *
   * Images and frames larger than this many pixels are refused before
   * anything decodes them (a 389 KB PNG can claim 20000x20000 and cost
   * gigabytes once decoded): an encoded image fails as a unit (see
   * on-error), raw frames of that size are refused at their caps, which
   * stops the stream with an error. 0: no limit.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_PIXELS,
      g_param_spec_uint64 ("max-pixels", "Max pixels",
          "Refuse images and frames above this many pixels (0: no limit)",
          0, G_MAXUINT64, DEFAULT_MAX_PIXELS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  mt_aws_settings_install (gobject_class, PROP_AWS_FIRST);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_type_mark_as_plugin_api (MT_TYPE_ANALYSIS_SINK, 0);
  gst_type_mark_as_plugin_api (MT_TYPE_BACKEND, 0);
  gst_type_mark_as_plugin_api (MT_TYPE_ON_ERROR, 0);
}

static void
mt_analysis_sink_init (MtAnalysisSink * self)
{
  MtAnalysisSinkPrivate *priv = PRIV (self);

  priv->backend = DEFAULT_BACKEND;
  priv->max_in_flight = MT_ANALYSIS_SINK_DEFAULT_MAX_IN_FLIGHT;
  priv->max_tps = DEFAULT_MAX_TPS;
  priv->on_error = DEFAULT_ON_ERROR;
  priv->post_messages = DEFAULT_POST_MESSAGES;
  priv->max_pixels = DEFAULT_MAX_PIXELS;
  mt_aws_settings_init (&priv->aws);
  mt_aws_settings_init (&priv->ctx_aws);
  g_mutex_init (&priv->lock);
  g_cond_init (&priv->cond);
  priv->pacer = mt_pacer_new ();
  g_queue_init (&priv->items);
  priv->cancellable = g_cancellable_new ();
  gst_segment_init (&priv->segment, GST_FORMAT_UNDEFINED);

  /* A sink for the bin's EOS accounting, whether or not src is linked. */
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

/* The pads are made here, not in init: during the base's init the instance
 * still has the base's class, which lacks the subclass's sink template. */
static void
constructed (GObject * object)
{
  MtAnalysisSinkPrivate *priv = PRIV (object);
  GstElementClass *klass = GST_ELEMENT_GET_CLASS (object);
  GstPadTemplate *templ = gst_element_class_get_pad_template (klass, "sink");

  G_OBJECT_CLASS (mt_analysis_sink_parent_class)->constructed (object);
  g_return_if_fail (templ != NULL);

  priv->sinkpad = gst_pad_new_from_template (templ, "sink");
  gst_pad_set_chain_function (priv->sinkpad, GST_DEBUG_FUNCPTR (sink_chain));
  gst_pad_set_event_function (priv->sinkpad, GST_DEBUG_FUNCPTR (sink_event));
  gst_pad_set_query_function (priv->sinkpad, GST_DEBUG_FUNCPTR (sink_query));
  gst_element_add_pad (GST_ELEMENT (object), priv->sinkpad);

  priv->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_activatemode_function (priv->srcpad,
      GST_DEBUG_FUNCPTR (src_activate_mode));
  gst_pad_use_fixed_caps (priv->srcpad);
  gst_element_add_pad (GST_ELEMENT (object), priv->srcpad);
}

void
mt_analysis_sink_class_set_engines (MtAnalysisSinkClass * klass,
    const MtEngine * const *engines, GType features_type)
{
  klass->engines = engines;
  klass->features_type = features_type;
}

const MtEngine *
mt_analysis_sink_get_engine (MtAnalysisSink * self)
{
  return PRIV (self)->engine;
}
