/* mediatag batch: the ledger (batch-ledger.h). */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "batch-ledger.h"

static const gchar *state_names[] = { "pending", "done", "failed",
  "skipped"
};

struct _MtBatchLedger
{
  MtBatchDest *dest;
  gchar *own_part;              /* NULL: read-only */
  GMutex lock;
  GHashTable *entries;          /* path -> MtLedgerEntry, the latest */
  GHashTable *own;              /* paths recorded in the own part */
  int fd;                       /* local own part, appended */
  gboolean dirty;               /* S3 own part changed since written */
  gint64 last_time;
};

const gchar *
mt_ledger_state_name (MtLedgerState state)
{
  return state_names[state];
}

MtLedgerEntry *
mt_ledger_entry_copy (const MtLedgerEntry * e)
{
  MtLedgerEntry *c = g_memdup2 (e, sizeof *e);

  c->path = g_strdup (e->path);
  c->source = g_strdup (e->source);
  c->engine = g_strdup (e->engine);
  c->etag = g_strdup (e->etag);
  c->mtime = g_strdup (e->mtime);
  c->error = g_strdup (e->error);
  return c;
}

void
mt_ledger_entry_free (MtLedgerEntry * e)
{
  if (!e)
    return;
  g_free (e->path);
  g_free (e->source);
  g_free (e->engine);
  g_free (e->etag);
  g_free (e->mtime);
  g_free (e->error);
  g_free (e);
}

guint
mt_batch_shard_of (const gchar * path, guint shards)
{
  guint64 h = G_GUINT64_CONSTANT (14695981039346656037);
  const guchar *p;

  for (p = (const guchar *) path; *p; p++) {
    h ^= *p;
    h *= G_GUINT64_CONSTANT (1099511628211);
  }
  return shards ? (guint) (h % shards) : 0;
}

/* ---- lines ---- */

static void
add_string (JsonBuilder * b, const gchar * name, const gchar * value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static gchar *
entry_to_line (const MtLedgerEntry * e)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *text = NULL;

  json_builder_begin_object (b);
  add_string (b, "path", e->path);
  add_string (b, "source", e->source);
  add_string (b, "state", state_names[e->state]);
  json_builder_set_member_name (b, "attempts");
  json_builder_add_int_value (b, e->attempts);
  add_string (b, "engine", e->engine);
  json_builder_set_member_name (b, "duration_ms");
  json_builder_add_int_value (b, (gint64) e->duration_ms);
  add_string (b, "etag", e->etag);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, (gint64) e->size);
  add_string (b, "mtime", e->mtime);
  add_string (b, "error", e->error);
  json_builder_set_member_name (b, "time");
  json_builder_add_int_value (b, e->time);
  json_builder_set_member_name (b, "shard");
  json_builder_add_int_value (b, e->shard);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  return g_strconcat (text, "\n", NULL);
}

static gchar *
dup_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n && JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_STRING ?
      g_strdup (json_node_get_string (n)) : NULL;
}

static gboolean
state_from_name (const gchar * name, MtLedgerState * state)
{
  guint i;

  for (i = 0; name && i < G_N_ELEMENTS (state_names); i++)
    if (!strcmp (name, state_names[i])) {
      *state = i;
      return TRUE;
    }
  return FALSE;
}

/* A record, or NULL for a line that is not one (cut short by a crash). */
static MtLedgerEntry *
entry_from_line (const gchar * line, gsize len)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (MtLedgerEntry) e = g_new0 (MtLedgerEntry, 1);
  JsonObject *o;

  if (!json_parser_load_from_data (p, line, len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    return NULL;
  o = json_node_get_object (json_parser_get_root (p));
  e->path = dup_member (o, "path");
  if (!e->path || !state_from_name (json_object_get_string_member_with_default
          (o, "state", NULL), &e->state))
    return NULL;
  e->source = dup_member (o, "source");
  e->engine = dup_member (o, "engine");
  e->etag = dup_member (o, "etag");
  e->mtime = dup_member (o, "mtime");
  e->error = dup_member (o, "error");
  e->attempts = json_object_get_int_member_with_default (o, "attempts", 0);
  e->duration_ms = json_object_get_int_member_with_default (o,
      "duration_ms", 0);
  e->size = json_object_get_int_member_with_default (o, "size", 0);
  e->time = json_object_get_int_member_with_default (o, "time", 0);
  e->shard = json_object_get_int_member_with_default (o, "shard", 0);
  return g_steal_pointer (&e);
}

/* Keeps the later of two records of one path; a tie goes to the one read
 * last (later in its part). */
static void
keep_latest (MtBatchLedger * l, MtLedgerEntry * e, gboolean own)
{
  MtLedgerEntry *have = g_hash_table_lookup (l->entries, e->path);

  if (own)
    g_hash_table_add (l->own, g_strdup (e->path));
  if (have && have->time > e->time) {
    mt_ledger_entry_free (e);
    return;
  }
  g_hash_table_replace (l->entries, e->path, e);
  l->last_time = MAX (l->last_time, e->time);
}

static void
load_part (MtBatchLedger * l, GBytes * data, gboolean own)
{
  gsize len;
  const gchar *p = g_bytes_get_data (data, &len), *end = p + len;

  while (p && p < end) {
    const gchar *nl = memchr (p, '\n', end - p);
    const gchar *stop = nl ? nl : end;
    MtLedgerEntry *e = entry_from_line (p, stop - p);

    if (e)
      keep_latest (l, e, own);
    p = stop + 1;
  }
}

static gboolean
load_parts (MtBatchLedger * l, GCancellable * cancellable, GError ** error)
{
  g_autoptr (GPtrArray) names = mt_batch_dest_list (l->dest, "ledger-",
      cancellable, error);
  guint i;

  if (!names)
    return FALSE;
  for (i = 0; i < names->len; i++) {
    const gchar *name = g_ptr_array_index (names, i);
    g_autoptr (GError) err = NULL;
    g_autoptr (GBytes) data = NULL;

    if (!g_str_has_suffix (name, ".jsonl"))
      continue;
    data = mt_batch_dest_read (l->dest, name, cancellable, &err);
    if (!data && g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
      continue;
    if (!data) {
      g_propagate_prefixed_error (error, g_steal_pointer (&err),
          "cannot read the ledger %s: ", name);
      return FALSE;
    }
    load_part (l, data, !g_strcmp0 (name, l->own_part));
  }
  return TRUE;
}

/* The own part: one line per asset it recorded, the latest. */
static GBytes *
own_contents (MtBatchLedger * l)
{
  GString *s = g_string_new (NULL);
  g_autoptr (GList) paths = g_hash_table_get_keys (l->own);
  GList *p;

  paths = g_list_sort (paths, (GCompareFunc) strcmp);
  for (p = paths; p; p = p->next) {
    MtLedgerEntry *e = g_hash_table_lookup (l->entries, p->data);
    g_autofree gchar *line = e ? entry_to_line (e) : NULL;

    if (line)
      g_string_append (s, line);
  }
  return g_string_free_to_bytes (s);
}

static gboolean
open_own_part (MtBatchLedger * l, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (GBytes) data = own_contents (l);
  g_autofree gchar *path = NULL;
  int e;

  if (!mt_batch_dest_write (l->dest, l->own_part, data, cancellable, error))
    return FALSE;
  if (mt_batch_dest_is_s3 (l->dest))
    return TRUE;
  path = g_build_filename (mt_batch_dest_local (l->dest), MT_BATCH_STATE_DIR,
      l->own_part, NULL);
  l->fd = g_open (path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
  if (l->fd >= 0)
    return TRUE;
  e = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", path,
      g_strerror (e));
  return FALSE;
}

MtBatchLedger *
mt_batch_ledger_open (MtBatchDest * dest, const gchar * own_part,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (MtBatchLedger) l = g_new0 (MtBatchLedger, 1);

  l->dest = dest;
  l->own_part = g_strdup (own_part);
  l->fd = -1;
  g_mutex_init (&l->lock);
  l->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) mt_ledger_entry_free);
  l->own = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!load_parts (l, cancellable, error))
    return NULL;
  if (own_part && !open_own_part (l, cancellable, error))
    return NULL;
  return g_steal_pointer (&l);
}

void
mt_batch_ledger_free (MtBatchLedger * l)
{
  if (!l)
    return;
  if (l->fd >= 0)
    close (l->fd);
  g_hash_table_unref (l->entries);
  g_hash_table_unref (l->own);
  g_mutex_clear (&l->lock);
  g_free (l->own_part);
  g_free (l);
}

MtLedgerEntry *
mt_batch_ledger_lookup (MtBatchLedger * l, const gchar * path)
{
  MtLedgerEntry *e;

  g_mutex_lock (&l->lock);
  e = g_hash_table_lookup (l->entries, path);
  e = e ? mt_ledger_entry_copy (e) : NULL;
  g_mutex_unlock (&l->lock);
  return e;
}

/* One write of the whole line, then fdatasync: a crash leaves the line
 * whole or cut short, and a cut line is ignored when read. */
static gboolean
append_line (MtBatchLedger * l, const gchar * line, GError ** error)
{
  gsize len = strlen (line);
  gssize n = write (l->fd, line, len);
  int e;

  if (n == (gssize) len && fdatasync (l->fd) == 0)
    return TRUE;
  e = n < 0 || n == (gssize) len ? errno : ENOSPC;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
      "cannot write the ledger %s: %s", l->own_part, g_strerror (e));
  return FALSE;
}

gboolean
mt_batch_ledger_record (MtBatchLedger * l, MtLedgerEntry * e, GError ** error)
{
  g_autofree gchar *line = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (l->own_part != NULL, FALSE);
  g_mutex_lock (&l->lock);
  /* Later than every record read, even with a clock that went back. */
  e->time = MAX (g_get_real_time (), l->last_time + 1);
  line = entry_to_line (e);
  if (l->fd >= 0)
    ok = append_line (l, line, error);
  if (ok) {
    keep_latest (l, mt_ledger_entry_copy (e), TRUE);
    l->dirty = TRUE;
  }
  g_mutex_unlock (&l->lock);
  return ok;
}

gboolean
mt_batch_ledger_checkpoint (MtBatchLedger * l, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (GBytes) data = NULL;

  if (!l->own_part || !mt_batch_dest_is_s3 (l->dest))
    return TRUE;
  g_mutex_lock (&l->lock);
  if (l->dirty)
    data = own_contents (l);
  l->dirty = FALSE;
  g_mutex_unlock (&l->lock);
  if (!data || mt_batch_dest_write (l->dest, l->own_part, data, cancellable,
          error))
    return TRUE;
  g_mutex_lock (&l->lock);
  l->dirty = TRUE;
  g_mutex_unlock (&l->lock);
  return FALSE;
}

static gint
by_path (gconstpointer a, gconstpointer b)
{
  const MtLedgerEntry *x = *(MtLedgerEntry * const *) a;
  const MtLedgerEntry *y = *(MtLedgerEntry * const *) b;

  return strcmp (x->path, y->path);
}

GPtrArray *
mt_batch_ledger_entries (MtBatchLedger * l)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify)
      mt_ledger_entry_free);
  GHashTableIter it;
  gpointer v;

  g_mutex_lock (&l->lock);
  g_hash_table_iter_init (&it, l->entries);
  while (g_hash_table_iter_next (&it, NULL, &v))
    g_ptr_array_add (all, mt_ledger_entry_copy (v));
  g_mutex_unlock (&l->lock);
  g_ptr_array_sort (all, by_path);
  return all;
}
