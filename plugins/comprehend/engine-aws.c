/* comprehend's AWS engine: Amazon Comprehend's batch calls
 * (BatchDetectKeyPhrases, BatchDetectEntities, BatchDetectSentiment, and
 * BatchDetectDominantLanguage for language-code=auto), 25 texts a call.
 *
 * The base hands the engine one document at a time, on up to
 * `max-in-flight` worker threads. To fill the batches, analyze() does not
 * call the service itself: it queues its texts (one request per text part
 * and call) with the engine's batcher and waits. A dispatcher thread sends
 * a batch as soon as 25 requests of one call and language are queued, or
 * when every worker is waiting on it, or when no more texts come
 * (BATCH_IDLE_MS, BATCH_MAX_WAIT_MS), so documents analysed at once share
 * calls: with 25 in flight, 1,000 transcript segments take 3 x 1000/25
 * calls instead of 3,000 (max-in-flight=4: 750). Batches are sent on a
 * small pool, so the three calls of a set of documents run at once.
 *
 * Texts over 5,000 bytes (the batch calls' limit) are split at sentence
 * ends (mt_text_split); offsets in the answers are mapped back to the whole
 * text, and so to its words' times and boxes. ErrorList items are queued
 * again once, then become error documents; a failed call (after the
 * client's retries of throttling and 5xx) fails the documents in it. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcomprehend.h"

#include <string.h>

#include "awsclient.h"
#include "awserror.h"
#include "result.h"

GST_DEBUG_CATEGORY_STATIC (engine_aws_debug);
#define GST_CAT_DEFAULT engine_aws_debug

#define MAX_BATCH 25
#define MAX_TEXT_BYTES 5000
/* A part-filled batch goes once no text has joined its queue for
 * BATCH_IDLE_MS (the documents analysed at once have all queued theirs),
 * or once its oldest text has waited BATCH_MAX_WAIT_MS (a slow trickle,
 * live input). The idle time is about a call's own latency: on a loaded
 * machine (measured at load 18 on 2 cores) workers queue their texts tens
 * of ms apart, and 30 ms split batches (18.7 texts a call), 100 ms not. */
#define BATCH_IDLE_MS 100
#define BATCH_MAX_WAIT_MS 1000
/* Batches sent at once: the three calls of one set of documents. */
#define SENDERS 3
/* An ErrorList item is queued again this many times before it becomes an
 * error document. */
#define ITEM_RETRIES 1

typedef enum
{
  OP_KEYPHRASES,
  OP_ENTITIES,
  OP_SENTIMENT,
  OP_LANGUAGE,
  N_OPS,
} Op;

static const gchar *const op_action[N_OPS] = {
  "BatchDetectKeyPhrases", "BatchDetectEntities", "BatchDetectSentiment",
  "BatchDetectDominantLanguage",
};

/* Comprehend's LanguageCode enum for the detection calls. */
static const gchar *const aws_languages[] = {
  "en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW",
  NULL
};

/* One analyze() call waiting on the batcher: its requests not yet done.
 * Shared with them (reference counted), since they may outlive a
 * cancelled wait. */
typedef struct
{
  guint remaining;
  gboolean blocked;             /* counted in AwsState.waiting */
} Waiter;

static void
waiter_unref (gpointer w)
{
  g_atomic_rc_box_release (w);
}

/* One text in one call. Shared by the analyze() that made it and the
 * batcher (reference counted): a cancelled analyze() leaves, the batch
 * still completes it. */
typedef struct
{
  Op op;
  gchar *lang;                  /* NULL for OP_LANGUAGE */
  gchar *text;
  guint attempts;
  gint64 queued_us;
  /* Set once done, under the batcher lock. */
  gboolean done;
  JsonObject *result;           /* the ResultList item */
  GError *error;
  gboolean item_error;          /* from ErrorList, not a failed call */
  Waiter *waiter;               /* set while someone waits for it */
} Request;

typedef struct
{
  MtAwsClient *client;
  const MtComprehendConfig *cfg;
  const MtEngineContext *ctx;
  guint64 features;
  GstElement *element;

  GMutex lock;
  GCond cond;                   /* requests done, queue changed, stopping */
  GQueue pending[N_OPS];        /* Request *, oldest first */
  gint64 last_queued_us[N_OPS];
  guint max_in_flight;          /* the element's workers */
  guint waiting;                /* analyze() calls with requests not done */
  gboolean stopping;
  GThread *dispatcher;
  GThreadPool *senders;
  GCancellable *cancellable;    /* cancelled at stop */
  GHashTable *warned;           /* languages warned about */
} AwsState;

static void
request_free (Request * r)
{
  g_free (r->lang);
  g_free (r->text);
  g_clear_pointer (&r->waiter, waiter_unref);
  if (r->result)
    json_object_unref (r->result);
  g_clear_error (&r->error);
}

static Request *
request_new (Op op, const gchar * lang, const gchar * text, gsize len)
{
  Request *r = g_atomic_rc_box_new0 (Request);

  r->op = op;
  r->lang = g_strdup (lang);
  r->text = g_strndup (text, len);
  return r;
}

static void
request_unref (gpointer r)
{
  g_atomic_rc_box_release_full (r, (GDestroyNotify) request_free);
}

/* The batcher */

/* Takes up to MAX_BATCH requests of the oldest request's language (under
 * the lock). */
static GPtrArray *
take_batch (GQueue * q)
{
  GPtrArray *batch = g_ptr_array_new_with_free_func (request_unref);
  Request *head = g_queue_peek_head (q);
  GList *l = q->head;

  while (l && batch->len < MAX_BATCH) {
    GList *next = l->next;
    Request *r = l->data;

    if (!g_strcmp0 (r->lang, head->lang)) {
      g_ptr_array_add (batch, r);       /* the queue's reference moves */
      g_queue_delete_link (q, l);
    }
    l = next;
  }
  return batch;
}

/* Whether queue q has a batch ready: full, idle, or waited long enough.
 * Otherwise lowers *wake_us to when it will be. */
static gboolean
batch_ready (GQueue * q, gint64 last_us, gint64 now, gint64 * wake_us)
{
  Request *head = g_queue_peek_head (q);
  gint64 due;

  if (!head)
    return FALSE;
  due = MIN (last_us + BATCH_IDLE_MS * 1000,
      head->queued_us + BATCH_MAX_WAIT_MS * 1000);
  if (q->length >= MAX_BATCH || now >= due)
    return TRUE;
  *wake_us = MIN (*wake_us, due);
  return FALSE;
}

static gpointer
dispatch_loop (gpointer data)
{
  AwsState *st = data;

  g_mutex_lock (&st->lock);
  while (!st->stopping) {
    gint64 now = g_get_monotonic_time (), wake = now + G_USEC_PER_SEC;
    gboolean sent = FALSE;
    guint op;

    /* With every worker waiting here, no text can join: waiting longer
     * would only add latency (max-in-flight below 25). */
    gboolean all_waiting = st->waiting >= st->max_in_flight;

    for (op = 0; op < N_OPS; op++) {
      if ((all_waiting && st->pending[op].length)
          || batch_ready (&st->pending[op], st->last_queued_us[op], now, &wake)) {
        GPtrArray *batch = take_batch (&st->pending[op]);

        g_thread_pool_push (st->senders, batch, NULL);
        sent = TRUE;
      }
    }
    if (!sent)
      g_cond_wait_until (&st->cond, &st->lock, wake);
  }
  g_mutex_unlock (&st->lock);
  return NULL;
}

static void
enqueue (AwsState * st, Request * r)
{
  g_mutex_lock (&st->lock);
  r->queued_us = g_get_monotonic_time ();
  st->last_queued_us[r->op] = r->queued_us;
  g_queue_push_tail (&st->pending[r->op], g_atomic_rc_box_acquire (r));
  g_cond_broadcast (&st->cond);
  g_mutex_unlock (&st->lock);
}

/* Marks requests done (under the lock); the caller wakes their waiters. */
static void
complete (AwsState * st, Request * r, JsonObject * result, GError * error,
    gboolean item_error)
{
  if (r->waiter && --r->waiter->remaining == 0 && r->waiter->blocked) {
    r->waiter->blocked = FALSE;
    st->waiting--;
  }
  r->result = result ? json_object_ref (result) : NULL;
  r->error = error;
  r->item_error = item_error;
  r->done = TRUE;
}

static JsonObject *
build_request (GPtrArray * batch)
{
  JsonObject *req = json_object_new ();
  JsonArray *texts = json_array_new ();
  Request *first = g_ptr_array_index (batch, 0);
  guint i;

  for (i = 0; i < batch->len; i++)
    json_array_add_string_element (texts,
        ((Request *) g_ptr_array_index (batch, i))->text);
  json_object_set_array_member (req, "TextList", texts);
  if (first->lang)
    json_object_set_string_member (req, "LanguageCode", first->lang);
  return req;
}

static JsonObject *
item_at (JsonArray * list, guint index)
{
  guint i;

  for (i = 0; list && i < json_array_get_length (list); i++) {
    JsonObject *o = json_array_get_object_element (list, i);

    if (o && json_object_get_int_member_with_default (o, "Index", -1)
        == (gint64) index)
      return o;
  }
  return NULL;
}

static GError *
item_error (Op op, JsonObject * e)
{
  return g_error_new (MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
      "%s: %s: %s (item %" G_GINT64_FORMAT ")", op_action[op],
      json_object_get_string_member_with_default (e, "ErrorCode", "?"),
      json_object_get_string_member_with_default (e, "ErrorMessage", ""),
      json_object_get_int_member_with_default (e, "Index", -1));
}

/* Hands each request its ResultList item, or its ErrorList item (queued
 * again while it has retries left). */
static void
distribute (AwsState * st, GPtrArray * batch, JsonObject * resp)
{
  JsonArray *results = json_object_get_array_member (resp, "ResultList");
  JsonArray *errors = json_object_get_array_member (resp, "ErrorList");
  g_autoptr (GPtrArray) again = g_ptr_array_new ();
  guint i;

  g_mutex_lock (&st->lock);
  for (i = 0; i < batch->len; i++) {
    Request *r = g_ptr_array_index (batch, i);
    JsonObject *ok = item_at (results, i), *bad = item_at (errors, i);

    if (ok)
      complete (st, r, ok, NULL, FALSE);
    else if (bad && r->attempts < ITEM_RETRIES)
      g_ptr_array_add (again, r);
    else
      complete (st, r, NULL, bad ? item_error (r->op, bad) :
          g_error_new (MT_AWS_ERROR, MT_AWS_ERROR_FAILED, "%s answered "
              "nothing for item %u", op_action[r->op], i), TRUE);
  }
  g_cond_broadcast (&st->cond);
  g_mutex_unlock (&st->lock);
  for (i = 0; i < again->len; i++) {
    Request *r = g_ptr_array_index (again, i);

    GST_INFO ("%s item %u failed: queued again", op_action[r->op], i);
    r->attempts++;
    enqueue (st, r);
  }
}

static void
fail_batch (AwsState * st, GPtrArray * batch, const GError * error)
{
  guint i;

  g_mutex_lock (&st->lock);
  for (i = 0; i < batch->len; i++)
    complete (st, g_ptr_array_index (batch, i), NULL, g_error_copy (error),
        FALSE);
  g_cond_broadcast (&st->cond);
  g_mutex_unlock (&st->lock);
}

static void
send_batch (gpointer data, gpointer user_data)
{
  g_autoptr (GPtrArray) batch = data;
  AwsState *st = user_data;
  Request *first = g_ptr_array_index (batch, 0);
  g_autofree gchar *target = g_strconcat ("Comprehend_20171127.",
      op_action[first->op], NULL);
  g_autoptr (JsonObject) req = build_request (batch);
  g_autoptr (JsonObject) resp = NULL;
  g_autoptr (GError) error = NULL;

  GST_DEBUG ("%s: %u texts, language %s", op_action[first->op], batch->len,
      GST_STR_NULL (first->lang));
  if (mt_engine_context_rate_limit (st->ctx, st->cancellable, &error))
    resp = mt_aws_client_json_call (st->client, target, req, st->cancellable,
        &error);
  if (resp)
    distribute (st, batch, resp);
  else
    fail_batch (st, batch, error);
}

/* A cancelled unit's wait_all() wakes at once: the broadcast is made
 * under the lock, so it cannot fall between its test and its wait. */
static void
wake_on_cancel (GCancellable * cancellable, gpointer data)
{
  AwsState *st = data;

  g_mutex_lock (&st->lock);
  g_cond_broadcast (&st->cond);
  g_mutex_unlock (&st->lock);
}

/* Waits until every request is done, or the unit is cancelled. */
static gboolean
wait_all (AwsState * st, GPtrArray * reqs, GCancellable * cancellable,
    GError ** error)
{
  Waiter *w = g_atomic_rc_box_new0 (Waiter);
  gulong id = 0;
  guint i;

  /* Connected outside the lock: an already cancelled cancellable runs the
   * callback right here (as retry.h's wait does). */
  if (cancellable)
    id = g_cancellable_connect (cancellable, G_CALLBACK (wake_on_cancel), st,
        NULL);
  g_mutex_lock (&st->lock);
  for (i = 0; i < reqs->len; i++) {
    Request *r = g_ptr_array_index (reqs, i);

    if (!r->done) {
      g_clear_pointer (&r->waiter, waiter_unref);
      r->waiter = g_atomic_rc_box_acquire (w);
      w->remaining++;
    }
  }
  if (w->remaining) {
    w->blocked = TRUE;
    st->waiting++;
    g_cond_broadcast (&st->cond);
  }
  /* Cancellation wakes the wait (wake_on_cancel), so nothing polls. */
  while (w->remaining && !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&st->cond, &st->lock);
  if (w->blocked) {
    w->blocked = FALSE;
    st->waiting--;
  }
  g_mutex_unlock (&st->lock);
  /* After the unlock: disconnecting waits for a callback that may be
   * waiting for the lock. */
  if (id)
    g_cancellable_disconnect (cancellable, id);
  waiter_unref (w);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* Results into documents */

/* Comprehend's offsets count characters of the part it was given. */
static gsize
part_byte (const gchar * text, const MtTextPart * part, gint64 chars)
{
  const gchar *p = text + part->offset, *end = p + part->len;

  while (chars-- > 0 && p < end)
    p = g_utf8_next_char (p);
  return MIN (p, end) - text;
}

static void
place_offsets (JsonObject * item, const gchar * text, const MtTextPart * part,
    gsize * begin, gsize * end)
{
  gint64 b = json_object_get_int_member_with_default (item, "BeginOffset", 0);
  gint64 e = json_object_get_int_member_with_default (item, "EndOffset", b);

  *begin = part_byte (text, part, b);
  *end = MAX (part_byte (text, part, e), *begin);
}

/* The service's object, with its offsets made relative to the whole text
 * (in characters, as the service counts them): `part_chars` is where the
 * part begins, in characters. */
static JsonObject *
detail_with_offsets (JsonObject * item, glong part_chars)
{
  JsonObject *d = json_object_new ();
  JsonObjectIter iter;
  const gchar *name;
  JsonNode *node;

  json_object_iter_init (&iter, item);
  while (json_object_iter_next (&iter, &name, &node))
    json_object_set_member (d, name, json_node_copy (node));
  json_object_set_int_member (d, "BeginOffset", part_chars +
      json_object_get_int_member_with_default (item, "BeginOffset", 0));
  json_object_set_int_member (d, "EndOffset", part_chars +
      json_object_get_int_member_with_default (item, "EndOffset", 0));
  return d;
}

static void
add_found (AwsState * st, const MtTextSource * src, const MtTextPart * part,
    glong part_chars, Op op, JsonObject * result, GPtrArray * results)
{
  const gchar *list = op == OP_KEYPHRASES ? "KeyPhrases" : "Entities";
  const gchar *analysis = op == OP_KEYPHRASES ? MT_ANALYSIS_KEYPHRASE :
      MT_ANALYSIS_ENTITY;
  g_autofree gchar *engine = g_strconcat ("aws:comprehend:",
      op == OP_KEYPHRASES ? "DetectKeyPhrases" : "DetectEntities", NULL);
  const gchar *text = mt_text_source_get_text (src, NULL);
  JsonArray *items = json_object_get_array_member (result, list);
  guint i;

  for (i = 0; items && i < json_array_get_length (items); i++) {
    JsonObject *item = json_array_get_object_element (items, i);
    gdouble conf = 100 * json_object_get_double_member_with_default (item,
        "Score", 0);
    gsize b, e;
    JsonObject *r;

    if (!item || conf < st->cfg->min_confidence)
      continue;
    place_offsets (item, text, part, &b, &e);
    r = mt_text_source_result (src, analysis, engine,
        json_object_get_string_member_with_default (item, "Text", ""), conf,
        b, e);
    if (op == OP_ENTITIES)
      json_object_set_string_member (r, "type",
          json_object_get_string_member_with_default (item, "Type", "OTHER"));
    json_object_set_object_member (r, "detail",
        detail_with_offsets (item, part_chars));
    g_ptr_array_add (results, r);
  }
}

static const gchar *const score_keys[] = { "Positive", "Negative", "Neutral",
  "Mixed"
};

static const gchar *const sentiment_names[] = { "POSITIVE", "NEGATIVE",
  "NEUTRAL", "MIXED"
};

/* One sentiment for the whole text: the parts' scores averaged, weighted
 * by their length; with one part, exactly the service's answer. */
static void
add_sentiment (const MtTextSource * src, GArray * parts, GPtrArray * reqs,
    GPtrArray * results)
{
  gdouble sum[4] = { 0, }, weight = 0, best = -1;
  g_autoptr (JsonObject) score = json_object_new ();
  g_autoptr (JsonObject) detail = json_object_new ();
  const gchar *name = NULL;
  gsize len;
  guint i, k, n = 0;
  JsonObject *r;

  mt_text_source_get_text (src, &len);
  for (i = 0; i < reqs->len; i++) {
    Request *q = g_ptr_array_index (reqs, i);
    JsonObject *s;

    if (q->op != OP_SENTIMENT || !q->result)
      continue;
    s = json_object_get_object_member (q->result, "SentimentScore");
    for (k = 0; s && k < 4; k++)
      sum[k] += json_object_get_double_member_with_default (s, score_keys[k],
          0) * strlen (q->text);
    weight += strlen (q->text);
    name = json_object_get_string_member_with_default (q->result,
        "Sentiment", NULL);
    n++;
  }
  if (!n || weight <= 0)
    return;
  for (k = 0; k < 4; k++) {
    json_object_set_double_member (score, score_keys[k], sum[k] / weight);
    if (n > 1 && sum[k] > best) {
      best = sum[k];
      name = sentiment_names[k];
    }
  }
  for (k = 0; k < 4 && name; k++) {
    if (!strcmp (name, sentiment_names[k]))
      best = sum[k] / weight;
  }
  json_object_set_object_member (detail, "SentimentScore",
      json_object_ref (score));
  r = mt_text_source_result (src, MT_ANALYSIS_SENTIMENT,
      "aws:comprehend:DetectSentiment", name ? name : "NEUTRAL",
      100 * MAX (best, 0), 0, len);
  json_object_set_object_member (r, "detail", json_object_ref (detail));
  g_ptr_array_add (results, r);
}

static JsonObject *
error_document (Request * q)
{
  JsonObject *r = mt_result_new_error ("aws:comprehend", q->error);

  json_object_set_string_member (r, "action", op_action[q->op]);
  json_object_set_int_member (r, "attempts", q->attempts + 1);
  return r;
}

/* Language */

static void
warn_language (AwsState * st, const gchar * lang)
{
  gboolean first;

  g_mutex_lock (&st->lock);
  first = g_hash_table_add (st->warned, g_strdup (lang));
  g_mutex_unlock (&st->lock);
  if (first)
    GST_ELEMENT_WARNING (st->element, STREAM, NOT_IMPLEMENTED,
        ("Amazon Comprehend cannot analyse text in language \"%s\": such "
            "text gets no key phrase, entity or sentiment documents. It "
            "does en, es, fr, de, it, pt, ar, hi, ja, ko, zh, zh-TW.", lang),
        ("language %s", lang));
}

/* The language of a text: the property, or BatchDetectDominantLanguage's
 * best guess on its first part. NULL (error set) when the call failed. */
static gchar *
language_of (AwsState * st, const gchar * text, const MtTextPart * first,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GPtrArray) reqs = g_ptr_array_new_with_free_func (request_unref);
  Request *q;
  JsonArray *langs;
  JsonObject *top;

  if (strcmp (st->cfg->language_code, "auto"))
    return g_strdup (st->cfg->language_code);
  q = request_new (OP_LANGUAGE, NULL, text + first->offset, first->len);
  g_ptr_array_add (reqs, q);
  enqueue (st, q);
  if (!wait_all (st, reqs, cancellable, error))
    return NULL;
  if (q->error) {
    g_propagate_error (error, g_error_copy (q->error));
    return NULL;
  }
  langs = json_object_get_array_member (q->result, "Languages");
  top = langs && json_array_get_length (langs) ?
      json_array_get_object_element (langs, 0) : NULL;
  return g_strdup (top ? json_object_get_string_member_with_default (top,
          "LanguageCode", "und") : "und");
}

static gboolean
unsupported_language (const GError * error)
{
  const MtAwsErrorDetails *d = mt_aws_error_get_details (error);

  return d && !g_strcmp0 (d->code, "UnsupportedLanguageException");
}

/* analyze */

static void
queue_parts (AwsState * st, const gchar * text, GArray * parts,
    const gchar * lang, GPtrArray * reqs)
{
  static const guint64 op_feature[] = { MT_COMPREHEND_KEYPHRASES,
    MT_COMPREHEND_ENTITIES, MT_COMPREHEND_SENTIMENT
  };
  guint op, i;

  for (op = OP_KEYPHRASES; op <= OP_SENTIMENT; op++) {
    if (!(st->features & op_feature[op]))
      continue;
    for (i = 0; i < parts->len; i++) {
      MtTextPart *p = &g_array_index (parts, MtTextPart, i);
      Request *q = request_new (op, lang, text + p->offset, p->len);

      g_ptr_array_add (reqs, q);
      enqueue (st, q);
    }
  }
}

/* Documents from the answers; FALSE with the first failed call's error
 * (the unit failed), item errors become error documents. */
static gboolean
collect (AwsState * st, const MtTextSource * src, GArray * parts,
    GPtrArray * reqs, GPtrArray * results, GError ** error)
{
  const gchar *text = mt_text_source_get_text (src, NULL);
  g_autofree glong *chars = g_new0 (glong, parts->len);
  guint i;

  /* Where each part begins in characters, for the offsets in `detail`. */
  for (i = 1; i < parts->len; i++) {
    MtTextPart *prev = &g_array_index (parts, MtTextPart, i - 1);

    chars[i] = chars[i - 1] + g_utf8_strlen (text + prev->offset, prev->len);
  }
  for (i = 0; i < reqs->len; i++) {
    Request *q = g_ptr_array_index (reqs, i);
    /* Requests are queued per op over the parts, in order. */
    guint k = i % parts->len;
    MtTextPart *part = &g_array_index (parts, MtTextPart, k);

    if (q->error && unsupported_language (q->error)) {
      /* The service knows better than our list: a language it refuses is
       * a warning and no documents, as for one we know it cannot do. */
      warn_language (st, q->lang);
      return TRUE;
    }
    if (q->error && !q->item_error) {
      g_propagate_error (error, g_error_copy (q->error));
      return FALSE;
    }
    if (q->error)
      g_ptr_array_add (results, error_document (q));
    else if (q->op == OP_KEYPHRASES || q->op == OP_ENTITIES)
      add_found (st, src, part, chars[k], q->op, q->result, results);
  }
  add_sentiment (src, parts, reqs, results);
  mt_text_results_merge (results);
  return TRUE;
}

static gboolean
blank (const gchar * text)
{
  for (; *text; text++) {
    if (!g_ascii_isspace (*text))
      return FALSE;
  }
  return TRUE;
}

static gboolean
aws_analyze (gpointer state, const MtEngineContext * ctx,
    const MtUnit * unit, GPtrArray * results, GCancellable * cancellable,
    GError ** error)
{
  AwsState *st = state;
  g_autoptr (MtTextSource) src = NULL;
  g_autoptr (GArray) parts = NULL;
  g_autoptr (GPtrArray) reqs = g_ptr_array_new_with_free_func (request_unref);
  g_autofree gchar *lang = NULL;
  GError *err = NULL;
  const gchar *text;
  gsize len;

  src = mt_text_source_new (unit->text_document, ctx->asset, &err);
  if (!src) {
    if (err)
      g_propagate_error (error, err);
    return err == NULL;
  }
  text = mt_text_source_get_text (src, &len);
  if (blank (text))
    return TRUE;
  parts = mt_text_split (text, len, MAX_TEXT_BYTES);
  lang = language_of (st, text, &g_array_index (parts, MtTextPart, 0),
      cancellable, error);
  if (!lang)
    return FALSE;
  if (!g_strv_contains (aws_languages, lang)) {
    warn_language (st, lang);
    return TRUE;
  }
  queue_parts (st, text, parts, lang, reqs);
  if (!wait_all (st, reqs, cancellable, error))
    return FALSE;
  return collect (st, src, parts, reqs, results, error);
}

static void
aws_stop (gpointer state)
{
  AwsState *st = state;
  guint op;

  g_cancellable_cancel (st->cancellable);
  g_mutex_lock (&st->lock);
  st->stopping = TRUE;
  g_cond_broadcast (&st->cond);
  g_mutex_unlock (&st->lock);
  if (st->dispatcher)
    g_thread_join (st->dispatcher);
  if (st->senders)
    g_thread_pool_free (st->senders, FALSE, TRUE);
  for (op = 0; op < N_OPS; op++)
    g_queue_clear_full (&st->pending[op], request_unref);
  g_clear_pointer (&st->client, mt_aws_client_free);
  g_clear_pointer (&st->warned, g_hash_table_unref);
  g_clear_object (&st->cancellable);
  g_mutex_clear (&st->lock);
  g_cond_clear (&st->cond);
  g_free (st);
}

static gboolean
aws_start (const MtEngineContext * ctx, gpointer * state, GError ** error)
{
  static gsize debug_once = 0;
  AwsState *st;
  const gchar *lang;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (engine_aws_debug, "comprehend-aws", 0,
        "comprehend AWS engine");
    g_once_init_leave (&debug_once, 1);
  }
  st = g_new0 (AwsState, 1);
  g_mutex_init (&st->lock);
  g_cond_init (&st->cond);
  st->cfg = ctx->config;
  st->ctx = ctx;
  st->features = ctx->features;
  st->element = ctx->element;
  st->cancellable = g_cancellable_new ();
  g_object_get (ctx->element, "max-in-flight", &st->max_in_flight, NULL);
  st->warned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  st->client = mt_aws_client_new (ctx->aws, &mt_aws_service_comprehend,
      FALSE, error);
  if (!st->client || !mt_aws_client_check_credentials (st->client, NULL, error)) {
    aws_stop (st);
    return FALSE;
  }
  st->senders = g_thread_pool_new (send_batch, st, SENDERS, FALSE, NULL);
  st->dispatcher = g_thread_new ("comprehend-batch", dispatch_loop, st);
  lang = st->cfg->language_code;
  if (strcmp (lang, "auto") && !g_strv_contains (aws_languages, lang))
    warn_language (st, lang);
  GST_INFO_OBJECT (st->element, "Comprehend at %s",
      mt_aws_client_get_endpoint (st->client));
  *state = st;
  return TRUE;
}

const MtEngine mt_comprehend_engine_aws = {
  .backend = "aws",
  .name = "aws:comprehend",
  .features = MT_COMPREHEND_ALL_FEATURES,
  .start = aws_start,
  .analyze = aws_analyze,
  .stop = aws_stop,
};
