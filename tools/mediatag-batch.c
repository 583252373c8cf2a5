/* mediatag batch SOURCE --out DEST: every asset of SOURCE through the same
 * code as `mediatag analyze` (mt_analyze_asset), --jobs at a time, each
 * one's results published whole under its path in DEST, and what became of
 * it recorded in DEST's ledger (batch-ledger.h), so that a rerun does only
 * what is not done. Shards split the assets by a hash of their path.
 *
 * Threads: the main thread runs the default main context (signals, the
 * progress line, S3 checkpoints); a lister thread walks SOURCE (and with
 * --watch, the SQS queue) and feeds a pool of --jobs workers, each running
 * one graph at a time in its own main context. The lister waits while
 * 2 x jobs assets are queued, so memory does not grow with SOURCE. */
#include <gst/gst.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "batch-dest.h"
#include "batch-ledger.h"
#include "batch-source.h"
#include "batch-sqs.h"
#include "mediatag-analyze.h"
#include "mediatag-batch.h"
#include "mediatag.h"

#define DEFAULT_MAX_ATTEMPTS 3
#define CHECKPOINT_MS 5000
#define LOCK_REFRESH_S 30
#define SQS_VISIBILITY_S 300
#define SQS_EXTEND_AFTER_S 60

typedef struct {
  MtAnalyzeOptions *analyze;
  gint jobs;
  gint shards;
  gint shard;
  gint max_attempts;
  gint page_size;
  gchar **include;
  gchar **exclude;
  gboolean watch;
  gchar *queue;
  gboolean progress;
} BatchOptions;

/* An SQS message in flight: deleted once its assets are all recorded. */
typedef struct {
  MtSqsMessage *msg;
  guint outstanding;
  gint64 extended;              /* monotonic µs of the last extension */
} Delivery;

typedef struct {
  BatchOptions *opts;
  const gchar *source;
  MtBatchDest *dest;
  MtBatchLedger *ledger;
  guint shard;
  GThreadPool *pool;
  GCancellable *cancel;
  GMainLoop *loop;
  MtSqsClient *sqs;
  GMutex lock;
  GCond cond;
  /* under lock */
  guint queued;                 /* submitted, not finished */
  guint todo;                   /* submitted in all */
  guint done, failed, skipped;  /* finished in this run */
  guint done_before, skipped_before, given_up;
  gboolean listing_done;
  gboolean cannot_run;
  gboolean lost_lock;
  GError *list_error;
  GPtrArray *deliveries;        /* Delivery* in flight */
  GHashTable *inflight;         /* paths submitted, not finished */
  gint64 started;
  gint64 lock_refreshed;
} Batch;

typedef struct {
  MtBatchItem *item;
  guint attempts;               /* before this one */
  Delivery *delivery;           /* NULL unless from SQS */
} Task;

/* ---- the workers ------------------------------------------------------ */

static void
record (Batch * b, const Task * t, MtLedgerState state, const gchar * error,
    const gchar * engine, guint64 duration_ms, guint attempts)
{
  MtLedgerEntry e = { 0 };
  g_autoptr (GError) err = NULL;

  e.path = t->item->path;
  e.source = t->item->uri;
  e.state = state;
  e.attempts = attempts;
  e.engine = (gchar *) engine;
  e.duration_ms = duration_ms;
  e.etag = t->item->etag;
  e.size = t->item->size;
  e.mtime = t->item->mtime;
  e.error = (gchar *) error;
  e.shard = b->shard;
  if (!mt_batch_ledger_record (b->ledger, &e, &err)) {
    /* A ledger that cannot be written cannot say what was done: stop. */
    g_printerr ("mediatag batch: %s\n", err->message);
    g_mutex_lock (&b->lock);
    b->cannot_run = TRUE;
    g_mutex_unlock (&b->lock);
    g_cancellable_cancel (b->cancel);
  }
}

/* "a/b/clip.mp4" -> "a/b" and "clip.mp4": the results are
 * DEST/a/b/clip.mp4.jsonl and its tracks, so no two assets share a name. */
static void
split_path (const gchar * path, gchar ** dir, gchar ** name)
{
  const gchar *slash = strrchr (path, '/');

  *dir = slash ? g_strndup (path, slash - path) : g_strdup ("");
  *name = g_strdup (slash ? slash + 1 : path);
}

static gboolean
stopping (Batch * b)
{
  return mt_analyze_stopped () || g_cancellable_is_cancelled (b->cancel);
}

/* An earlier attempt that was incomplete published <name>.incomplete.jsonl
 * and tracks: the whole results replace them, as in analyze. */
static void
drop_incomplete (Batch * b, const gchar * dir, const gchar * name)
{
  g_autoptr (GError) error = NULL;

  if (!mt_batch_dest_remove_incomplete (b->dest, dir, name, NULL, &error))
    g_printerr ("mediatag batch: could not remove the incomplete results of "
        "%s%s%s: %s\n", dir, *dir ? "/" : "", name, error->message);
}

/* Publishes what the asset left in scratch (a partial asset's results
 * too, under their .incomplete names) and says its final state; a failed
 * publication replaces *why. */
static MtLedgerState
conclude (Batch * b, const Task * t, MtAssetStatus status,
    const gchar * scratch, GError ** why)
{
  g_autofree gchar *dir = NULL;
  g_autofree gchar *name = NULL;
  g_autoptr (GError) error = NULL;

  if (status == MT_ASSET_UNSUPPORTED)
    return MT_LEDGER_SKIPPED;
  if (status != MT_ASSET_DONE && status != MT_ASSET_PARTIAL)
    return MT_LEDGER_FAILED;
  split_path (t->item->path, &dir, &name);
  if (!mt_batch_dest_publish (b->dest, scratch, dir, NULL, &error)) {
    g_clear_error (why);
    g_propagate_error (why, g_steal_pointer (&error));
    return MT_LEDGER_FAILED;
  }
  if (status == MT_ASSET_DONE)
    drop_incomplete (b, dir, name);
  return status == MT_ASSET_DONE ? MT_LEDGER_DONE : MT_LEDGER_FAILED;
}

static void finish_task (Batch * b, Task * t, MtLedgerState state,
    gboolean recorded);

static void
run_task (Batch * b, Task * t)
{
  g_autofree gchar *scratch = NULL;
  g_autofree gchar *dir = NULL;
  g_autofree gchar *name = NULL;
  g_autofree gchar *engine = NULL;
  g_autofree gchar *shown = NULL;
  g_autoptr (GError) why = NULL;
  MtAssetStatus status;
  MtLedgerState state;
  gint64 t0 = g_get_monotonic_time ();
  guint attempts = t->attempts + 1;

  /* Pending first: a process killed now still counted the attempt. */
  record (b, t, MT_LEDGER_PENDING, NULL, NULL, 0, attempts);
  if (!(scratch = mt_batch_dest_scratch (b->dest, &why))) {
    record (b, t, MT_LEDGER_FAILED, why->message, NULL, 0, attempts);
    finish_task (b, t, MT_LEDGER_FAILED, TRUE);
    return;
  }
  split_path (t->item->path, &dir, &name);
  /* Messages name the results where they will be published. */
  shown = *dir ? g_build_path ("/", mt_batch_dest_name (b->dest), dir,
      NULL) : g_strdup (mt_batch_dest_name (b->dest));
  status = mt_analyze_asset (b->opts->analyze, t->item->uri, scratch, shown,
      name, &engine, &why);
  if (mt_analyze_stopped () && status != MT_ASSET_DONE) {
    /* Stopped by a signal: not a failure of the asset; it stays pending
     * and the next run does it again. */
    mt_batch_dest_discard (scratch);
    finish_task (b, t, MT_LEDGER_PENDING, FALSE);
    return;
  }
  if (status == MT_ASSET_CANNOT_RUN) {
    g_mutex_lock (&b->lock);
    b->cannot_run = TRUE;
    g_mutex_unlock (&b->lock);
    g_cancellable_cancel (b->cancel);
  }
  state = conclude (b, t, status, scratch, &why);
  mt_batch_dest_discard (scratch);
  record (b, t, state, state == MT_LEDGER_DONE ? NULL : why ? why->message :
      NULL, engine, (g_get_monotonic_time () - t0) / 1000, attempts);
  if (state == MT_LEDGER_FAILED && !b->opts->progress)
    g_printerr ("mediatag batch: %s: failed: %s\n", t->item->path,
        why ? why->message : "no reason given");
  finish_task (b, t, state, TRUE);
}

static void
task_free (Task * t)
{
  mt_batch_item_free (t->item);
  g_free (t);
}

static void
delivery_free (Delivery * d)
{
  mt_sqs_message_free (d->msg);
  g_free (d);
}

/* An SQS message whose assets are all recorded is deleted. */
static void
delivery_settle (Batch * b, Delivery * d)
{
  g_autoptr (GError) error = NULL;

  if (!mt_sqs_client_delete (b->sqs, d->msg, NULL, &error))
    g_printerr ("mediatag batch: could not delete SQS message %s (it comes "
        "back and is found done): %s\n", d->msg->message_id, error->message);
  g_mutex_lock (&b->lock);
  g_ptr_array_remove_fast (b->deliveries, d);
  g_mutex_unlock (&b->lock);
  delivery_free (d);
}

static gboolean
all_finished_locked (Batch * b)
{
  return b->listing_done && b->queued == 0;
}

static gboolean
quit_if_finished (gpointer data)
{
  Batch *b = data;

  g_mutex_lock (&b->lock);
  if (all_finished_locked (b))
    g_main_loop_quit (b->loop);
  g_mutex_unlock (&b->lock);
  return G_SOURCE_REMOVE;
}

/* The main loop looks for itself: a quit from another thread before it
 * runs would be lost. */
static void
wake_main_locked (Batch * b)
{
  if (all_finished_locked (b))
    g_idle_add (quit_if_finished, b);
}

static void
finish_task (Batch * b, Task * t, MtLedgerState state, gboolean recorded)
{
  Delivery *settle = NULL;

  g_mutex_lock (&b->lock);
  b->queued--;
  if (state == MT_LEDGER_DONE)
    b->done++;
  else if (state == MT_LEDGER_FAILED)
    b->failed++;
  else if (state == MT_LEDGER_SKIPPED)
    b->skipped++;
  if (t->delivery && recorded && --t->delivery->outstanding == 0)
    settle = t->delivery;
  g_hash_table_remove (b->inflight, t->item->path);
  wake_main_locked (b);
  g_cond_broadcast (&b->cond);
  g_mutex_unlock (&b->lock);
  if (settle)
    delivery_settle (b, settle);
  task_free (t);
}

static void
worker (gpointer data, gpointer user_data)
{
  Batch *b = user_data;
  Task *t = data;
  GMainContext *ctx;

  if (stopping (b)) {
    finish_task (b, t, MT_LEDGER_PENDING, FALSE);
    return;
  }
  /* The graph's bus is watched in this thread's own context. */
  ctx = g_main_context_new ();
  g_main_context_push_thread_default (ctx);
  run_task (b, t);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
}

/* ---- the lister ------------------------------------------------------- */

/* S3 event notifications give ETags without the quotes a listing has. */
static gboolean
same_etag (const gchar * a, const gchar * b)
{
  gsize la, lb;

  a += *a == '"';
  b += *b == '"';
  la = strcspn (a, "\"");
  lb = strcspn (b, "\"");
  return la == lb && !strncmp (a, b, la);
}

static gboolean
source_changed (const MtLedgerEntry * e, const MtBatchItem * item)
{
  if (e->etag && item->etag)
    return !same_etag (e->etag, item->etag);
  if (e->size != item->size && (e->mtime || e->etag))
    return TRUE;
  return e->mtime && item->mtime && strcmp (e->mtime, item->mtime) != 0;
}

/* What the ledger says of the item: TRUE when it is to be done now, with
 * the attempts made so far. */
static gboolean
needs_work (Batch * b, const MtBatchItem * item, guint * attempts)
{
  g_autoptr (MtLedgerEntry) e = mt_batch_ledger_lookup (b->ledger,
      item->path);
  gboolean to_do = TRUE;

  *attempts = 0;
  if (!e || source_changed (e, item))
    return TRUE;
  *attempts = e->attempts;
  g_mutex_lock (&b->lock);
  if (e->state == MT_LEDGER_DONE) {
    b->done_before++;
    to_do = FALSE;
  } else if (e->state == MT_LEDGER_SKIPPED) {
    b->skipped_before++;
    to_do = FALSE;
  } else if (e->state == MT_LEDGER_FAILED
      && e->attempts >= (guint) b->opts->max_attempts) {
    b->given_up++;
    to_do = FALSE;
  }
  g_mutex_unlock (&b->lock);
  return to_do;
}

static gboolean
submit (Batch * b, MtBatchItem * item, Delivery * d, GError ** error)
{
  Task *t;
  guint attempts;
  gboolean busy;

  /* Listed and then announced by the queue, or announced twice: one run
   * of it is enough. In flight is asked first: an asset no longer in
   * flight has its outcome in the ledger already. Only this thread
   * submits, so nothing adds the path in between. */
  g_mutex_lock (&b->lock);
  busy = g_hash_table_contains (b->inflight, item->path);
  g_mutex_unlock (&b->lock);
  if (busy || !needs_work (b, item, &attempts)) {
    mt_batch_item_free (item);
    return TRUE;
  }
  g_mutex_lock (&b->lock);
  t = g_new0 (Task, 1);
  t->item = item;
  t->attempts = attempts;
  t->delivery = d;
  g_hash_table_add (b->inflight, g_strdup (item->path));
  /* Back-pressure: the listing never runs far ahead of the workers. */
  while (b->queued >= (guint) b->opts->jobs * 2
      && !g_cancellable_is_cancelled (b->cancel))
    g_cond_wait (&b->cond, &b->lock);
  b->queued++;
  b->todo++;
  if (d)
    d->outstanding++;
  g_mutex_unlock (&b->lock);
  return g_thread_pool_push (b->pool, t, error);
}

static gboolean
on_item (MtBatchItem * item, gpointer user_data, GError ** error)
{
  Batch *b = user_data;

  if (g_cancellable_set_error_if_cancelled (b->cancel, error)) {
    mt_batch_item_free (item);
    return FALSE;
  }
  return submit (b, item, NULL, error);
}

/* The queue's events name any bucket and key: only those under SOURCE
 * are this batch's. */
static MtBatchItem *
item_of_event (Batch * b, const MtSqsMessage * m, guint i,
    const MtBatchFilter * f)
{
  const gchar *uri = g_ptr_array_index (m->uris, i);
  g_autofree gchar *prefix = g_str_has_suffix (b->source, "/") ?
      g_strdup (b->source) : g_strconcat (b->source, "/", NULL);
  MtBatchItem *item;

  if (!g_str_has_prefix (uri, prefix) || g_str_has_suffix (uri, "/")
      || !mt_batch_filter_accepts (f, uri + strlen (prefix)))
    return NULL;
  item = g_new0 (MtBatchItem, 1);
  item->path = g_strdup (uri + strlen (prefix));
  item->uri = g_strdup (uri);
  item->etag = g_strdup (g_ptr_array_index (m->etags, i));
  item->size = g_array_index (m->sizes, guint64, i);
  return item;
}

static void
take_message (Batch * b, MtSqsMessage * m, const MtBatchFilter * f)
{
  Delivery *d = g_new0 (Delivery, 1);
  guint i;

  d->msg = m;
  d->extended = g_get_monotonic_time ();
  /* Held while its assets are submitted, so it is not settled early. */
  d->outstanding = 1;
  g_mutex_lock (&b->lock);
  g_ptr_array_add (b->deliveries, d);
  g_mutex_unlock (&b->lock);
  for (i = 0; i < m->uris->len; i++) {
    MtBatchItem *item = item_of_event (b, m, i, f);

    if (item)
      submit (b, item, d, NULL);
  }
  g_mutex_lock (&b->lock);
  i = --d->outstanding;
  g_mutex_unlock (&b->lock);
  if (i == 0)
    delivery_settle (b, d);
}

/* Messages still running stay hidden from other consumers. */
static void
extend_deliveries (Batch * b)
{
  /* Receipt handles are copied so the calls run without the lock: a slow
   * SQS answer must not hold up the workers finishing assets. */
  g_autoptr (GPtrArray) due = g_ptr_array_new_with_free_func (g_free);
  gint64 now = g_get_monotonic_time ();
  guint i;

  g_mutex_lock (&b->lock);
  for (i = 0; i < b->deliveries->len; i++) {
    Delivery *d = g_ptr_array_index (b->deliveries, i);

    if (now - d->extended > SQS_EXTEND_AFTER_S * G_USEC_PER_SEC) {
      d->extended = now;
      g_ptr_array_add (due, g_strdup (d->msg->receipt_handle));
    }
  }
  g_mutex_unlock (&b->lock);
  for (i = 0; i < due->len; i++) {
    g_autoptr (GError) error = NULL;
    MtSqsMessage handle = {.receipt_handle = g_ptr_array_index (due, i) };

    if (!mt_sqs_client_extend (b->sqs, &handle, SQS_VISIBILITY_S, NULL,
            &error))
      g_printerr ("mediatag batch: %s\n", error->message);
  }
}

static gboolean
watch_queue (Batch * b, const MtBatchFilter * f, GError ** error)
{
  while (!stopping (b)) {
    g_autoptr (GPtrArray) msgs = NULL;
    guint i;

    extend_deliveries (b);
    msgs = mt_sqs_client_receive (b->sqs, MIN (10, b->opts->jobs * 2), 20,
        SQS_VISIBILITY_S, b->cancel, error);
    if (!msgs)
      return g_cancellable_is_cancelled (b->cancel);
    for (i = 0; i < msgs->len; i++)
      take_message (b, g_steal_pointer (&msgs->pdata[i]), f);
  }
  return TRUE;
}

static gpointer
lister (gpointer data)
{
  Batch *b = data;
  MtBatchFilter f = { b->opts->include, b->opts->exclude, b->opts->shards,
    b->shard, b->opts->page_size, mt_batch_dest_local (b->dest)
  };
  GError *error = NULL;
  gboolean ok = mt_batch_source_list (b->source, &f, on_item, b, b->cancel,
      &error);

  if (ok && b->sqs)
    ok = watch_queue (b, &f, &error);
  g_mutex_lock (&b->lock);
  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    b->list_error = g_steal_pointer (&error);
  g_clear_error (&error);
  b->listing_done = TRUE;
  wake_main_locked (b);
  g_mutex_unlock (&b->lock);
  return NULL;
}

/* ---- the main thread -------------------------------------------------- */

static void
print_progress (Batch * b, gboolean final)
{
  gdouble secs = (g_get_monotonic_time () - b->started) / 1e6;
  guint finished, left;
  gdouble rate;
  gchar eta[48] = "";

  g_mutex_lock (&b->lock);
  finished = b->done + b->failed + b->skipped;
  left = b->todo - finished;
  rate = secs > 0 ? finished / secs : 0;
  if (b->listing_done && rate > 0 && left && !b->sqs)
    g_snprintf (eta, sizeof eta, ", ETA %.0f s", left / rate);
  g_printerr ("%smediatag batch: %u done, %u failed, %u skipped, %u%s "
      "remaining, %.2f assets/s%s%s", isatty (STDERR_FILENO) ? "\r\033[K" :
      "", b->done, b->failed, b->skipped, left, b->listing_done ? "" : "+",
      rate, eta, isatty (STDERR_FILENO) && !final ? "" : "\n");
  g_mutex_unlock (&b->lock);
}

static gboolean
on_tick (gpointer data)
{
  print_progress (data, FALSE);
  return G_SOURCE_CONTINUE;
}

/* S3: the ledger part written whole, and the lock renewed. */
static gboolean
on_checkpoint (gpointer data)
{
  Batch *b = data;
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_monotonic_time ();

  if (!mt_batch_ledger_checkpoint (b->ledger, NULL, &error))
    g_printerr ("mediatag batch: cannot write the ledger (tried again "
        "later): %s\n", error->message);
  g_clear_error (&error);
  if (now - b->lock_refreshed > LOCK_REFRESH_S * G_USEC_PER_SEC) {
    b->lock_refreshed = now;
    if (!mt_batch_dest_refresh_lock (b->dest, &error)) {
      g_printerr ("mediatag batch: lost the lock of %s, stopping: %s\n",
          mt_batch_dest_name (b->dest), error->message);
      b->lost_lock = TRUE;
      g_cancellable_cancel (b->cancel);
    }
  }
  return G_SOURCE_CONTINUE;
}

typedef struct {
  Batch *b;
  gint signo;
} SignalData;

static gboolean
on_stop_signal (gpointer data)
{
  SignalData *s = data;

  /* The first drains the graphs running (their assets finish and are
   * recorded), the second stops them at once; nothing new starts. */
  mt_analyze_stop (s->signo);
  g_cancellable_cancel (s->b->cancel);
  g_mutex_lock (&s->b->lock);
  g_cond_broadcast (&s->b->cond);
  g_mutex_unlock (&s->b->lock);
  return G_SOURCE_CONTINUE;
}

static int
exit_status (Batch * b)
{
  guint failed = b->failed + b->given_up;

  if (mt_analyze_stopped ())
    return 128 + mt_analyze_stopped ();
  if (b->cannot_run || b->lost_lock)
    return MT_EXIT_ERROR;
  if (b->list_error)
    return b->done || b->failed ? MT_EXIT_PARTIAL : MT_EXIT_ERROR;
  if (failed && !b->done && !b->done_before)
    return MT_EXIT_ERROR;
  return failed ? MT_EXIT_PARTIAL : MT_EXIT_OK;
}

static void
print_summary (Batch * b)
{
  if (b->opts->progress)
    print_progress (b, TRUE);
  g_printerr ("mediatag batch: %u done, %u failed, %u skipped in this run",
      b->done, b->failed, b->skipped);
  if (b->done_before || b->skipped_before)
    g_printerr ("; %u done, %u skipped before", b->done_before,
        b->skipped_before);
  if (b->given_up)
    g_printerr ("; %u failed %d times, not tried again (--max-attempts)",
        b->given_up, b->opts->max_attempts);
  g_printerr ("\n");
  if (b->list_error)
    g_printerr ("mediatag batch: %s: %s\n", b->source,
        b->list_error->message);
}

static void
run_loop (Batch * b)
{
  static const gint sigs[] = { SIGINT, SIGTERM, SIGHUP };
  SignalData sd[G_N_ELEMENTS (sigs)];
  guint ids[G_N_ELEMENTS (sigs)], tick = 0, cp = 0, i;
  GThread *list_thread;

  for (i = 0; i < G_N_ELEMENTS (sigs); i++) {
    sd[i].b = b;
    sd[i].signo = sigs[i];
    ids[i] = g_unix_signal_add (sigs[i], on_stop_signal, &sd[i]);
  }
  if (b->opts->progress)
    tick = g_timeout_add (isatty (STDERR_FILENO) ? 500 : 2000, on_tick, b);
  if (mt_batch_dest_is_s3 (b->dest))
    cp = g_timeout_add (CHECKPOINT_MS, on_checkpoint, b);
  b->started = b->lock_refreshed = g_get_monotonic_time ();
  list_thread = g_thread_new ("batch-list", lister, b);
  g_main_loop_run (b->loop);
  g_thread_join (list_thread);
  g_thread_pool_free (g_steal_pointer (&b->pool), FALSE, TRUE);
  if (tick)
    g_source_remove (tick);
  if (cp)
    g_source_remove (cp);
  for (i = 0; i < G_N_ELEMENTS (sigs); i++)
    g_source_remove (ids[i]);
}

/* ---- options ---------------------------------------------------------- */

static GOptionContext *
batch_context (BatchOptions * o)
{
  GOptionEntry entries[] = {
    {"jobs", 'j', 0, G_OPTION_ARG_INT, &o->jobs,
        "Assets analysed at once, one graph each (default 1)", "N"},
    {"shards", 0, 0, G_OPTION_ARG_INT, &o->shards,
        "Split SOURCE into N shards by a hash of each asset's path", "N"},
    {"shard", 0, 0, G_OPTION_ARG_INT, &o->shard,
        "The shard this process does, 0 to N-1 (default: "
          "$JOB_COMPLETION_INDEX or $AWS_BATCH_JOB_ARRAY_INDEX)", "I"},
    {"max-attempts", 0, 0, G_OPTION_ARG_INT, &o->max_attempts,
        "Tries of a failing asset over all runs (default 3)", "K"},
    {"include", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->include,
        "Only paths matching this glob (* and ?; repeatable)", "GLOB"},
    {"exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->exclude,
        "Leave out paths matching this glob (repeatable)", "GLOB"},
    {"watch", 0, 0, G_OPTION_ARG_NONE, &o->watch,
        "After SOURCE, keep running: new objects from the S3 event "
          "notifications of --queue", NULL},
    {"queue", 0, 0, G_OPTION_ARG_STRING, &o->queue,
        "SQS queue URL receiving SOURCE's bucket's ObjectCreated events",
        "URL"},
    {"progress", 0, 0, G_OPTION_ARG_NONE, &o->progress,
        "Print the progress line even when stderr is not a terminal", NULL},
    {"page-size", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &o->page_size,
        "S3 keys per listing page (default 1000)", "N"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("SOURCE --out DEST - analyse "
      "a folder, an S3 prefix or a list");

  g_option_context_set_summary (ctx,
      "Runs every asset of SOURCE (a folder, walked recursively; "
      "s3://bucket/prefix/;\nor a text file of paths and URIs, one a line) "
      "through mediatag analyze and\nwrites its results under its path "
      "in DEST (a folder or s3://bucket/prefix/):\nSOURCE/a/clip.mp4 gives "
      "DEST/a/clip.mp4.jsonl and its tracks. A ledger in\n"
      "DEST/.mediatag/ records each asset (done, failed with why, skipped "
      "when not\nmedia); a rerun does only what is not done, tries failed "
      "ones again up to\n--max-attempts and redoes changed sources.\n\n"
      "mediatag batch status DEST [--json]: what the ledger says.");
  g_option_context_set_description (ctx, MT_EXIT_STATUS_HELP);
  g_option_context_add_main_entries (ctx, entries, NULL);
  mt_analyze_options_add (o->analyze, ctx);
  return ctx;
}

static gboolean
shard_from_env (BatchOptions * o, GError ** error)
{
  static const gchar *vars[] = { "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX"
  };
  guint i;

  for (i = 0; o->shard < 0 && i < G_N_ELEMENTS (vars); i++) {
    const gchar *v = g_getenv (vars[i]);
    guint64 n;

    if (!v)
      continue;
    if (!g_ascii_string_to_unsigned (v, 10, 0, G_MAXINT, &n, NULL))
      return mt_usage_error (error, "$%s=%s: not a shard index", vars[i], v);
    o->shard = n;
  }
  return TRUE;
}

static gboolean
check_batch_options (BatchOptions * o, GError ** error)
{
  if (o->jobs < 1 || o->jobs > 256)
    return mt_usage_error (error, "--jobs %d: not allowed: it takes 1 to 256",
        o->jobs);
  if (o->max_attempts < 1)
    return mt_usage_error (error, "--max-attempts %d: not allowed: at least 1",
        o->max_attempts);
  if (o->page_size < 0 || o->page_size > 1000)
    return mt_usage_error (error, "--page-size %d: 1 to 1000", o->page_size);
  if (o->shards < 0)
    return mt_usage_error (error, "--shards %d: not allowed", o->shards);
  if (o->shards > 1 && !shard_from_env (o, error))
    return FALSE;
  if (o->shards > 1 && o->shard < 0)
    return mt_usage_error (error, "--shards %d: which shard is this? --shard I, or "
        "$JOB_COMPLETION_INDEX / $AWS_BATCH_JOB_ARRAY_INDEX", o->shards);
  if (o->shard >= 0 && o->shard >= MAX (o->shards, 1))
    return mt_usage_error (error, "--shard %d: not allowed with --shards %d: it "
        "takes 0 to %d", o->shard, MAX (o->shards, 1),
        MAX (o->shards, 1) - 1);
  if (o->watch != (o->queue != NULL))
    return mt_usage_error (error, "--watch and --queue URL go together");
  return TRUE;
}

/* ---- the run ---------------------------------------------------------- */

static MtBatchDest *
open_dest (const gchar * out, guint shard, gchar ** part, GError ** error)
{
  g_autoptr (MtBatchDest) dest = mt_batch_dest_open (out, error);
  g_autofree gchar *lock = g_strdup_printf ("lock-%u", shard);

  if (!dest || !mt_batch_dest_lock (dest, lock, error))
    return NULL;
  *part = g_strdup_printf ("ledger-%u.jsonl", shard);
  return g_steal_pointer (&dest);
}

/* A watch reads the queue of the bucket it lists. */
static gboolean
open_queue (Batch * b, GError ** error)
{
  MtAwsSettings settings;

  if (!b->opts->queue)
    return TRUE;
  if (!g_str_has_prefix (b->source, "s3://"))
    return mt_usage_error (error, "--watch: SOURCE must be an s3://bucket/prefix/ "
        "whose events the queue receives");
  mt_aws_settings_init (&settings);
  b->sqs = mt_sqs_client_new (&settings, b->opts->queue, error);
  mt_aws_settings_clear (&settings);
  return b->sqs && mt_sqs_client_check (b->sqs, NULL, error);
}

static void
batch_clear (Batch * b)
{
  if (b->ledger)
    mt_batch_ledger_free (b->ledger);
  if (b->dest)
    mt_batch_dest_free (b->dest);
  g_clear_pointer (&b->sqs, mt_sqs_client_free);
  g_clear_object (&b->cancel);
  g_clear_pointer (&b->loop, g_main_loop_unref);
  g_clear_pointer (&b->deliveries, g_ptr_array_unref);
  g_clear_pointer (&b->inflight, g_hash_table_unref);
  g_clear_error (&b->list_error);
  g_mutex_clear (&b->lock);
  g_cond_clear (&b->cond);
}

/* Scratch folders of a run that was killed: nothing in them was
 * published, and the ledger says those assets are pending. */
static void
clean_scratch (MtBatchDest * dest)
{
  g_autofree gchar *tmp = NULL;
  g_autoptr (GDir) dir = NULL;
  const gchar *n;

  if (!mt_batch_dest_local (dest))
    return;
  tmp = g_build_filename (mt_batch_dest_local (dest), MT_BATCH_STATE_DIR,
      "tmp", NULL);
  dir = g_dir_open (tmp, 0, NULL);
  while (dir && (n = g_dir_read_name (dir))) {
    g_autofree gchar *p = g_build_filename (tmp, n, NULL);

    if (g_str_has_prefix (n, "asset-"))
      mt_batch_dest_discard (p);
  }
}

static int
batch_start (Batch * b, const gchar * out)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *part = NULL;

  b->dest = open_dest (out, b->shard, &part, &error);
  if (!b->dest || !open_queue (b, &error)) {
    g_printerr ("mediatag batch: %s\n", error->message);
    return g_error_matches (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE)
        ? MT_EXIT_USAGE : MT_EXIT_ERROR;
  }
  /* Only this shard's scratch would be safe to remove under a shared
   * DEST, and only when one shard runs at a time. */
  if (b->opts->shards < 2)
    clean_scratch (b->dest);
  b->ledger = mt_batch_ledger_open (b->dest, part, NULL, &error);
  if (!b->ledger) {
    g_printerr ("mediatag batch: %s\n", error->message);
    return MT_EXIT_ERROR;
  }
  b->pool = g_thread_pool_new (worker, b, b->opts->jobs, TRUE, &error);
  if (!b->pool) {
    g_printerr ("mediatag batch: %s\n", error->message);
    return MT_EXIT_ERROR;
  }
  run_loop (b);
  if (!mt_batch_ledger_checkpoint (b->ledger, NULL, &error)) {
    g_printerr ("mediatag batch: cannot write the ledger: %s\n",
        error->message);
    b->cannot_run = TRUE;
  }
  print_summary (b);
  return exit_status (b);
}

static int
batch_run_assets (BatchOptions * o, const gchar * source, const gchar * out)
{
  Batch b = { 0 };
  int status;

  b.opts = o;
  b.source = source;
  b.shard = o->shards > 1 ? (guint) o->shard : 0;
  b.cancel = g_cancellable_new ();
  b.loop = g_main_loop_new (NULL, FALSE);
  b.deliveries = g_ptr_array_new ();
  b.inflight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&b.lock);
  g_cond_init (&b.cond);
  status = batch_start (&b, out);
  batch_clear (&b);
  return status;
}

/* ---- status ----------------------------------------------------------- */

static void
status_json (GPtrArray * entries, const guint counts[4])
{
  g_autoptr (JsonBuilder) jb = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *text = NULL;
  guint i;

  json_builder_begin_object (jb);
  for (i = 0; i < 4; i++) {
    json_builder_set_member_name (jb, mt_ledger_state_name (i));
    json_builder_add_int_value (jb, counts[i]);
  }
  json_builder_set_member_name (jb, "failures");
  json_builder_begin_array (jb);
  for (i = 0; i < entries->len; i++) {
    MtLedgerEntry *e = g_ptr_array_index (entries, i);

    if (e->state != MT_LEDGER_FAILED)
      continue;
    json_builder_begin_object (jb);
    json_builder_set_member_name (jb, "path");
    json_builder_add_string_value (jb, e->path);
    json_builder_set_member_name (jb, "source");
    json_builder_add_string_value (jb, e->source ? e->source : "");
    json_builder_set_member_name (jb, "error");
    json_builder_add_string_value (jb, e->error ? e->error : "");
    json_builder_set_member_name (jb, "attempts");
    json_builder_add_int_value (jb, e->attempts);
    json_builder_end_object (jb);
  }
  json_builder_end_array (jb);
  json_builder_end_object (jb);
  root = json_builder_get_root (jb);
  text = json_to_string (root, TRUE);
  printf ("%s\n", text);
}

static void
status_text (GPtrArray * entries, const guint counts[4])
{
  guint i;

  printf ("%u done, %u failed, %u pending, %u skipped\n",
      counts[MT_LEDGER_DONE], counts[MT_LEDGER_FAILED],
      counts[MT_LEDGER_PENDING], counts[MT_LEDGER_SKIPPED]);
  for (i = 0; i < entries->len; i++) {
    MtLedgerEntry *e = g_ptr_array_index (entries, i);

    if (e->state == MT_LEDGER_FAILED)
      printf ("failed: %s: %s (%u attempt%s)\n", e->path,
          e->error ? e->error : "no reason recorded", e->attempts,
          e->attempts == 1 ? "" : "s");
    else if (e->state == MT_LEDGER_PENDING)
      printf ("pending: %s (started, not finished)\n", e->path);
  }
}

/* Looked for before opening DEST, which would make a local one. */
static gboolean
has_local_ledger (const gchar * dest)
{
  g_autofree gchar *state = NULL;

  if (g_str_has_prefix (dest, "s3://"))
    return TRUE;
  state = g_build_filename (dest, MT_BATCH_STATE_DIR, NULL);
  return g_file_test (state, G_FILE_TEST_IS_DIR);
}

static MtBatchLedger *
open_ledger_read_only (const gchar * name, MtBatchDest ** dest,
    GError ** error)
{
  g_autoptr (GPtrArray) parts = NULL;

  if (!has_local_ledger (name)
      || !(*dest = mt_batch_dest_open (name, error))
      || !(parts = mt_batch_dest_list (*dest, "ledger-", NULL, error))
      || !parts->len) {
    if (error && !*error)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no batch "
          "ledger here (DEST/" MT_BATCH_STATE_DIR "/ledger-*.jsonl)");
    return NULL;
  }
  return mt_batch_ledger_open (*dest, NULL, NULL, error);
}

static int
batch_status (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    {"json", 0, 0, G_OPTION_ARG_NONE, &json,
        "Counts and failures as one JSON object", NULL},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("DEST - what the "
      "ledger of a batch says");
  g_autoptr (GError) error = NULL;
  g_autoptr (MtBatchDest) dest = NULL;
  g_autoptr (MtBatchLedger) ledger = NULL;
  g_autoptr (GPtrArray) all = NULL;
  guint counts[4] = { 0 }, i;

  g_option_context_set_description (ctx, "Exit status: 0 every asset done "
      "(or skipped); 3 some failed or pending;\n1 no ledger could be read; "
      "2 usage.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2) {
    g_printerr ("mediatag batch status: %s\n", error ? error->message :
        "name one DEST (a folder or s3://bucket/prefix/)");
    return MT_EXIT_USAGE;
  }
  if (!(ledger = open_ledger_read_only (argv[1], &dest, &error))) {
    g_printerr ("mediatag batch status: %s: %s\n", argv[1], error->message);
    return MT_EXIT_ERROR;
  }
  all = mt_batch_ledger_entries (ledger);
  for (i = 0; i < all->len; i++)
    counts[((MtLedgerEntry *) g_ptr_array_index (all, i))->state]++;
  if (json)
    status_json (all, counts);
  else
    status_text (all, counts);
  return counts[MT_LEDGER_FAILED] || counts[MT_LEDGER_PENDING] ?
      MT_EXIT_PARTIAL : MT_EXIT_OK;
}

/* ---- the verb --------------------------------------------------------- */

static void
batch_options_clear (BatchOptions * o)
{
  mt_analyze_options_free (o->analyze);
  g_strfreev (o->include);
  g_strfreev (o->exclude);
  g_free (o->queue);
}

static int
batch_main (int argc, char **argv)
{
  BatchOptions o = { 0 };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  int status = MT_EXIT_USAGE;

  o.analyze = mt_analyze_options_new ();
  o.jobs = 1;
  o.shard = -1;
  o.max_attempts = DEFAULT_MAX_ATTEMPTS;
  ctx = batch_context (&o);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)
      || (argc != 2 && (error = g_error_new (G_OPTION_ERROR,
                  G_OPTION_ERROR_BAD_VALUE, "name one SOURCE (a folder, "
                  "s3://bucket/prefix/ or a list file)")))
      || (!mt_analyze_options_get_out (o.analyze) && (error =
              g_error_new (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  "--out DEST is required (a folder or "
                  "s3://bucket/prefix/)")))
      || !check_batch_options (&o, &error)
      || !mt_batch_source_check (argv[1], &error)
      || !mt_analyze_options_check (o.analyze, &error)) {
    g_printerr ("mediatag batch: %s\n", error->message);
    if (error->domain != G_OPTION_ERROR)
      status = MT_EXIT_ERROR;
    goto out;
  }
  if (isatty (STDERR_FILENO))
    o.progress = TRUE;
  status = batch_run_assets (&o, argv[1], mt_analyze_options_get_out
      (o.analyze));
out:
  batch_options_clear (&o);
  return status;
}

static int
batch_verb (int argc, char **argv)
{
  if (argc > 1 && !strcmp (argv[1], "status"))
    return batch_status (argc - 1, argv + 1);
  return batch_main (argc, argv);
}

const MtVerb mt_verb_batch = {
  "batch",
  "Analyse a folder, an S3 prefix or a list, with a ledger, retries, "
      "resume and shards",
  batch_verb,
};
