/* mediatag batch: SOURCE listing (batch-source.h). */
#include <errno.h>
#include <gst/gst.h>
#include <glib/gstdio.h>
#include <string.h>

#include "batch-ledger.h"
#include "batch-source.h"
#include "s3.h"

void
mt_batch_item_free (MtBatchItem * item)
{
  if (!item)
    return;
  g_free (item->path);
  g_free (item->uri);
  g_free (item->etag);
  g_free (item->mtime);
  g_free (item);
}

static gboolean
matches_any (gchar ** globs, const gchar * path)
{
  for (; globs && *globs; globs++)
    if (g_pattern_match_simple (*globs, path))
      return TRUE;
  return FALSE;
}

gboolean
mt_batch_filter_accepts (const MtBatchFilter * f, const gchar * path)
{
  if (f->include && !matches_any (f->include, path))
    return FALSE;
  if (matches_any (f->exclude, path))
    return FALSE;
  return f->shards < 2 || mt_batch_shard_of (path, f->shards) == f->shard;
}

static gchar *
iso_time (gint64 sec, glong usec)
{
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (sec);
  g_autoptr (GDateTime) u = t ? g_date_time_add (t, usec) : NULL;

  return u ? g_date_time_format (u, "%FT%T.%fZ") : g_strdup ("");
}

gboolean
mt_batch_source_check (const gchar * source, GError ** error)
{
  gchar *bucket = NULL, *key = NULL;

  if (g_str_has_prefix (source, "s3://")) {
    gboolean ok = mt_s3_uri_parse (source, TRUE, &bucket, &key, error);

    g_free (bucket);
    g_free (key);
    return ok;
  }
  if (g_file_test (source, G_FILE_TEST_EXISTS))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "%s: no such folder or list file (SOURCE is a folder, an "
      "s3://bucket/prefix/ or a text file of paths and URIs)", source);
  return FALSE;
}

/* ---- a local folder ---- */

typedef struct {
  const MtBatchFilter *filter;
  MtBatchItemFunc on_item;
  gpointer user_data;
  GCancellable *cancellable;
  gchar *skip_dir;              /* canonical */
} Walk;

static gboolean
emit (Walk * w, MtBatchItem * item, GError ** error)
{
  if (!mt_batch_filter_accepts (w->filter, item->path)) {
    mt_batch_item_free (item);
    return TRUE;
  }
  return w->on_item (item, w->user_data, error);
}

static MtBatchItem *
local_item (const gchar * abs, const gchar * rel, const GStatBuf * st)
{
  MtBatchItem *item = g_new0 (MtBatchItem, 1);

  item->path = g_strdup (rel);
  item->uri = gst_filename_to_uri (abs, NULL);
  item->size = st->st_size;
  item->mtime = iso_time (st->st_mtim.tv_sec, st->st_mtim.tv_nsec / 1000);
  return item;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

static gboolean
walk (Walk * w, const gchar * abs, const gchar * rel, GError ** error)
{
  g_autoptr (GDir) dir = g_dir_open (abs, 0, error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *n;
  guint i;

  if (!dir)
    return FALSE;
  while ((n = g_dir_read_name (dir)))
    if (n[0] != '.')
      g_ptr_array_add (names, g_strdup (n));
  /* A stable order: the same run twice goes the same way. */
  g_ptr_array_sort (names, compare_names);
  for (i = 0; i < names->len; i++) {
    const gchar *name = g_ptr_array_index (names, i);
    g_autofree gchar *p = g_build_filename (abs, name, NULL);
    g_autofree gchar *r = *rel ? g_strconcat (rel, "/", name, NULL) :
        g_strdup (name);
    GStatBuf st;

    if (g_cancellable_set_error_if_cancelled (w->cancellable, error))
      return FALSE;
    if (g_lstat (p, &st) != 0)
      continue;
    if (S_ISDIR (st.st_mode)) {
      if (w->skip_dir && !strcmp (p, w->skip_dir))
        continue;
      if (!walk (w, p, r, error))
        return FALSE;
    } else if (S_ISLNK (st.st_mode) && g_stat (p, &st) != 0) {
      /* A link to nothing is an asset that cannot be read: it fails
       * (named, with the reason) rather than vanish from the run. Links
       * to folders are not followed (no loops). */
      MtBatchItem *item = g_new0 (MtBatchItem, 1);

      item->path = g_strdup (r);
      item->uri = gst_filename_to_uri (p, NULL);
      if (!emit (w, item, error))
        return FALSE;
    } else if (S_ISREG (st.st_mode)
        && !emit (w, local_item (p, r, &st), error)) {
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- an S3 prefix ---- */

typedef struct {
  Walk *w;
  const gchar *bucket;
  const gchar *prefix;
} S3Walk;

static gboolean
on_page (GPtrArray * objects, gpointer user_data, GError ** error)
{
  S3Walk *s = user_data;
  guint i;

  for (i = 0; i < objects->len; i++) {
    MtS3Object *o = g_ptr_array_index (objects, i);
    MtBatchItem *item;

    /* "folder/" placeholder objects are not assets. */
    if (g_str_has_suffix (o->key, "/"))
      continue;
    item = g_new0 (MtBatchItem, 1);
    item->path = g_strdup (o->key + strlen (s->prefix));
    item->uri = mt_s3_uri_build (s->bucket, o->key);
    item->etag = g_strdup (o->etag);
    item->size = o->size;
    item->mtime = g_strdup (o->last_modified);
    if (!emit (s->w, item, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
list_s3 (Walk * w, const gchar * source, GError ** error)
{
  g_autofree gchar *bucket = NULL;
  g_autofree gchar *key = NULL;
  g_autofree gchar *prefix = NULL;
  g_autoptr (MtS3Client) s3 = NULL;
  MtAwsSettings settings;
  S3Walk s;

  if (!mt_s3_uri_parse (source, TRUE, &bucket, &key, error))
    return FALSE;
  /* s3://b/photos lists photos/..., not photos-old/... */
  prefix = key && *key && !g_str_has_suffix (key, "/") ?
      g_strconcat (key, "/", NULL) : g_strdup (key ? key : "");
  mt_aws_settings_init (&settings);
  s3 = mt_s3_client_new (&settings, FALSE, FALSE, error);
  mt_aws_settings_clear (&settings);
  if (!s3 || !mt_s3_client_locate_bucket (s3, bucket, w->cancellable, error))
    return FALSE;
  s.w = w;
  s.bucket = bucket;
  s.prefix = prefix;
  return mt_s3_client_list_pages (s3, bucket, prefix, w->filter->page_size,
      on_page, &s, w->cancellable, error);
}

/* ---- a list file ---- */

/* "s3://b/k" -> "b/k"; "/abs/x.jpg" -> "abs/x.jpg" */
static gchar *
path_of_uri (const gchar * uri)
{
  g_autofree gchar *file = g_str_has_prefix (uri, "file:") ?
      g_filename_from_uri (uri, NULL, NULL) : NULL;
  const gchar *s = file ? file : uri;
  const gchar *colon = file ? NULL : strstr (s, "://");

  s = colon ? colon + 3 : s;
  while (*s == '/')
    s++;
  return g_strdup (s);
}

static MtBatchItem *
list_item (const gchar * line, const gchar * base, GError ** error)
{
  g_autoptr (MtBatchItem) item = g_new0 (MtBatchItem, 1);
  g_autofree gchar *abs = NULL;
  GStatBuf st;

  if (g_str_has_prefix (line, "s3://")) {
    item->uri = g_strdup (line);
  } else {
    abs = g_str_has_prefix (line, "file:") ? g_filename_from_uri (line, NULL,
        NULL) : g_canonicalize_filename (line, base);
    if (!abs || g_stat (abs, &st) != 0) {
      /* Listed but missing: the asset fails when it is read, the run
       * goes on. */
      item->uri = abs ? gst_filename_to_uri (abs, NULL) : g_strdup (line);
    } else {
      item->uri = gst_filename_to_uri (abs, error);
      item->size = st.st_size;
      item->mtime = iso_time (st.st_mtim.tv_sec, st.st_mtim.tv_nsec / 1000);
    }
    if (!item->uri)
      return NULL;
  }
  item->path = path_of_uri (item->uri);
  return g_steal_pointer (&item);
}

static gboolean
list_file (Walk * w, const gchar * source, GError ** error)
{
  g_autoptr (GFile) file = g_file_new_for_path (source);
  g_autoptr (GFileInputStream) in = g_file_read (file, w->cancellable, error);
  g_autoptr (GDataInputStream) data = NULL;
  /* Relative entries are relative to the list's folder, itself made
   * absolute (g_canonicalize_filename takes only an absolute base). */
  g_autofree gchar *abs_source = g_canonicalize_filename (source, NULL);
  g_autofree gchar *base = g_path_get_dirname (abs_source);
  gchar *line;
  GError *err = NULL;

  if (!in)
    return FALSE;
  data = g_data_input_stream_new (G_INPUT_STREAM (in));
  while ((line = g_data_input_stream_read_line_utf8 (data, NULL,
              w->cancellable, &err))) {
    g_autofree gchar *l = line;
    MtBatchItem *item;

    g_strstrip (l);
    if (!*l || *l == '#')
      continue;
    if (!(item = list_item (l, base, error)) || !emit (w, item, error))
      return FALSE;
  }
  if (err) {
    g_propagate_prefixed_error (error, err, "%s: ", source);
    return FALSE;
  }
  return TRUE;
}

gboolean
mt_batch_source_list (const gchar * source, const MtBatchFilter * filter,
    MtBatchItemFunc on_item, gpointer user_data, GCancellable * cancellable,
    GError ** error)
{
  Walk w = { filter, on_item, user_data, cancellable, NULL };
  g_autofree gchar *root = NULL;
  gboolean ok;

  if (g_str_has_prefix (source, "s3://"))
    return list_s3 (&w, source, error);
  if (!g_file_test (source, G_FILE_TEST_IS_DIR))
    return list_file (&w, source, error);
  root = g_canonicalize_filename (source, NULL);
  w.skip_dir = filter->skip_dir ? g_canonicalize_filename (filter->skip_dir,
      NULL) : NULL;
  ok = walk (&w, root, "", error);
  g_free (w.skip_dir);
  return ok;
}
