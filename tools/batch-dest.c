/* mediatag batch: DEST, local or on S3 (batch-dest.h). */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include "awserror.h"
#include "batch-dest.h"
#include "s3.h"

struct _MtBatchDest
{
  gchar *name;
  gchar *local;                 /* local DEST folder, or NULL */
  MtS3Client *s3;
  gchar *bucket;
  gchar *prefix;                /* "" or ending with '/' */
  /* the lock */
  gint lock_fd;
  gchar *lock_key;
  gchar *lock_etag;
};

static gboolean
open_s3 (MtBatchDest * d, GError ** error)
{
  MtAwsSettings settings;
  gchar *key = NULL;

  if (!mt_s3_uri_parse (d->name, TRUE, &d->bucket, &key, error))
    return FALSE;
  d->prefix = key && *key && !g_str_has_suffix (key, "/") ?
      g_strconcat (key, "/", NULL) : g_strdup (key ? key : "");
  g_free (key);
  mt_aws_settings_init (&settings);
  d->s3 = mt_s3_client_new (&settings, FALSE, FALSE, error);
  mt_aws_settings_clear (&settings);
  return d->s3 && mt_s3_client_locate_bucket (d->s3, d->bucket, NULL, error);
}

/* A local DEST is proved writable by making its state folder and a file
 * in it. */
static gboolean
open_local (MtBatchDest * d, GError ** error)
{
  g_autofree gchar *state = NULL;
  g_autofree gchar *probe = NULL;

  d->local = g_canonicalize_filename (d->name, NULL);
  state = g_build_filename (d->local, MT_BATCH_STATE_DIR, "tmp", NULL);
  if (g_mkdir_with_parents (state, 0755) != 0) {
    int e = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
        "cannot write to %s: %s", d->name, g_strerror (e));
    return FALSE;
  }
  probe = g_build_filename (state, "probe-XXXXXX", NULL);
  {
    int fd = g_mkstemp (probe);
    int e = errno;

    if (fd < 0) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
          "cannot write to %s: %s", d->name, g_strerror (e));
      return FALSE;
    }
    close (fd);
    g_unlink (probe);
  }
  return TRUE;
}

MtBatchDest *
mt_batch_dest_open (const gchar * dest, GError ** error)
{
  g_autoptr (MtBatchDest) d = g_new0 (MtBatchDest, 1);

  d->name = g_strdup (dest);
  d->lock_fd = -1;
  if (g_str_has_prefix (dest, "s3://") ? !open_s3 (d, error) :
      !open_local (d, error))
    return NULL;
  return g_steal_pointer (&d);
}

void
mt_batch_dest_free (MtBatchDest * d)
{
  if (!d)
    return;
  mt_batch_dest_unlock (d);
  g_free (d->name);
  g_free (d->local);
  g_clear_pointer (&d->s3, mt_s3_client_free);
  g_free (d->bucket);
  g_free (d->prefix);
  g_free (d);
}

gboolean
mt_batch_dest_is_s3 (const MtBatchDest * d)
{
  return d->s3 != NULL;
}

const gchar *
mt_batch_dest_local (const MtBatchDest * d)
{
  return d->local;
}

const gchar *
mt_batch_dest_name (const MtBatchDest * d)
{
  return d->name;
}

/* ---- scratch and publishing ---- */

gchar *
mt_batch_dest_scratch (MtBatchDest * d, GError ** error)
{
  g_autofree gchar *tmpl = NULL;

  /* Locally on DEST's own file system, so publishing is a rename. */
  if (d->local) {
    tmpl = g_build_filename (d->local, MT_BATCH_STATE_DIR, "tmp",
        "asset-XXXXXX", NULL);
    if (!g_mkdtemp (tmpl)) {
      int e = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
          "cannot write to %s: %s", d->name, g_strerror (e));
      return NULL;
    }
    return g_steal_pointer (&tmpl);
  }
  return g_dir_make_tmp ("mediatag-batch-XXXXXX", error);
}

void
mt_batch_dest_discard (const gchar * path)
{
  GDir *dir;
  const gchar *n;

  if (!path)
    return;
  dir = g_dir_open (path, 0, NULL);
  while (dir && (n = g_dir_read_name (dir))) {
    g_autofree gchar *p = g_build_filename (path, n, NULL);

    if (g_file_test (p, G_FILE_TEST_IS_DIR)
        && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
      mt_batch_dest_discard (p);
    else
      g_unlink (p);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (path);
}

/* The data is on disk before the name points at it: a crash after the
 * rename never shows an empty file under the final name. */
static gboolean
sync_file (const gchar * path, GError ** error)
{
  int fd = g_open (path, O_RDONLY, 0);
  int e;

  if (fd >= 0 && fsync (fd) == 0) {
    close (fd);
    return TRUE;
  }
  e = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s",
      path, g_strerror (e));
  return FALSE;
}

static gboolean
publish_file (MtBatchDest * d, const gchar * from, const gchar * rel,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *to = NULL;
  g_autofree gchar *dir = NULL;
  int e;

  if (d->s3) {
    g_autofree gchar *key = g_strconcat (d->prefix, rel, NULL);
    const gchar *type = g_str_has_suffix (rel, ".jsonl") ?
        "application/x-ndjson" : g_str_has_suffix (rel, ".vtt") ?
        "text/vtt" : g_str_has_suffix (rel, ".jpg") ? "image/jpeg" : NULL;

    return mt_s3_client_put_file (d->s3, d->bucket, key, from, type, 0,
        cancellable, error);
  }
  to = g_build_filename (d->local, rel, NULL);
  dir = g_path_get_dirname (to);
  if (!sync_file (from, error))
    return FALSE;
  if (g_mkdir_with_parents (dir, 0755) == 0 && g_rename (from, to) == 0)
    return TRUE;
  e = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
      "cannot write %s: %s", to, g_strerror (e));
  return FALSE;
}

static gboolean
publish_tree (MtBatchDest * d, const gchar * path, const gchar * rel,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, error);
  const gchar *n;

  if (!dir)
    return FALSE;
  while ((n = g_dir_read_name (dir))) {
    g_autofree gchar *p = g_build_filename (path, n, NULL);
    g_autofree gchar *r = *rel ? g_strconcat (rel, "/", n, NULL) :
        g_strdup (n);
    gboolean ok = g_file_test (p, G_FILE_TEST_IS_DIR) ?
        publish_tree (d, p, r, cancellable, error) :
        publish_file (d, p, r, cancellable, error);

    if (!ok)
      return FALSE;
  }
  return TRUE;
}

gboolean
mt_batch_dest_publish (MtBatchDest * d, const gchar * scratch,
    const gchar * rel_dir, GCancellable * cancellable, GError ** error)
{
  gboolean ok = publish_tree (d, scratch, rel_dir, cancellable, error);

  mt_batch_dest_discard (scratch);
  return ok;
}

/* "<name>.incomplete.jsonl", "<name>.label.incomplete.vtt", ... */
static gboolean
is_incomplete_output (const gchar * file, const gchar * name)
{
  return g_str_has_prefix (file, name) && g_regex_match_simple
      ("^\\.([^./]+\\.)*incomplete\\.(jsonl|vtt|srt|csv)$",
      file + strlen (name), 0, 0);
}

typedef struct {
  MtBatchDest *dest;
  const gchar *name;
  GCancellable *cancellable;
} Removal;

static gboolean
remove_page (GPtrArray * objects, gpointer user_data, GError ** error)
{
  Removal *r = user_data;
  guint i;

  for (i = 0; i < objects->len; i++) {
    MtS3Object *o = g_ptr_array_index (objects, i);
    const gchar *slash = strrchr (o->key, '/');

    if (is_incomplete_output (slash ? slash + 1 : o->key, r->name)
        && !mt_s3_client_delete_object (r->dest->s3, r->dest->bucket, o->key,
            r->cancellable, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
mt_batch_dest_remove_incomplete (MtBatchDest * d, const gchar * rel_dir,
    const gchar * name, GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *dir = NULL;
  g_autoptr (GDir) listing = NULL;
  const gchar *n;

  if (d->s3) {
    g_autofree gchar *key = g_strconcat (d->prefix, rel_dir, *rel_dir ? "/" :
        "", name, ".", NULL);
    Removal r = { d, name, cancellable };

    return mt_s3_client_list_pages (d->s3, d->bucket, key, 0, remove_page, &r,
        cancellable, error);
  }
  dir = g_build_filename (d->local, rel_dir, NULL);
  listing = g_dir_open (dir, 0, NULL);
  while (listing && (n = g_dir_read_name (listing))) {
    g_autofree gchar *p = g_build_filename (dir, n, NULL);

    if (is_incomplete_output (n, name))
      g_unlink (p);
  }
  return TRUE;
}

/* ---- state objects ---- */

static gchar *
state_key (MtBatchDest * d, const gchar * name)
{
  return g_strconcat (d->prefix, MT_BATCH_STATE_DIR "/", name, NULL);
}

static gchar *
state_path (MtBatchDest * d, const gchar * name)
{
  return g_build_filename (d->local, MT_BATCH_STATE_DIR, name, NULL);
}

static gboolean
is_not_found (const GError * error)
{
  return g_error_matches (error, MT_AWS_ERROR, MT_AWS_ERROR_NOT_FOUND);
}

GBytes *
mt_batch_dest_read (MtBatchDest * d, const gchar * name,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *path = NULL;
  gchar *data = NULL;
  gsize len = 0;

  if (d->s3) {
    g_autofree gchar *key = state_key (d, name);
    GBytes *b = mt_s3_client_get_object (d->s3, d->bucket, key,
        G_MAXSIZE, NULL, cancellable, &err);

    if (b)
      return b;
    if (is_not_found (err))
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s",
          err->message);
    else
      g_propagate_error (error, g_steal_pointer (&err));
    return NULL;
  }
  path = state_path (d, name);
  if (!g_file_get_contents (path, &data, &len, &err)) {
    g_set_error (error, G_IO_ERROR, g_error_matches (err, G_FILE_ERROR,
            G_FILE_ERROR_NOENT) ? G_IO_ERROR_NOT_FOUND : G_IO_ERROR_FAILED,
        "%s", err->message);
    return NULL;
  }
  return g_bytes_new_take (data, len);
}

gboolean
mt_batch_dest_write (MtBatchDest * d, const gchar * name, GBytes * data,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *path = NULL;
  gsize len;
  gconstpointer p = g_bytes_get_data (data, &len);

  if (d->s3) {
    g_autofree gchar *key = state_key (d, name);
    MtS3PutOptions opts = { "application/x-ndjson", NULL, NULL };

    return mt_s3_client_put_object (d->s3, d->bucket, key, data, &opts, NULL,
        cancellable, error);
  }
  path = state_path (d, name);
  /* g_file_set_contents: a temporary file fsynced and renamed over. */
  return g_file_set_contents_full (path, p ? p : "", len,
      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644,
      error);
}

typedef struct {
  const gchar *prefix;
  GPtrArray *names;
} ListNames;

static gboolean
gather_names (GPtrArray * objects, gpointer user_data, GError ** error)
{
  ListNames *l = user_data;
  guint i;

  for (i = 0; i < objects->len; i++) {
    MtS3Object *o = g_ptr_array_index (objects, i);
    const gchar *slash = strrchr (o->key, '/');

    g_ptr_array_add (l->names, g_strdup (slash ? slash + 1 : o->key));
  }
  return TRUE;
}

GPtrArray *
mt_batch_dest_list (MtBatchDest * d, const gchar * prefix,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *dir_path = NULL;
  g_autoptr (GDir) dir = NULL;
  const gchar *n;

  if (d->s3) {
    g_autofree gchar *key = state_key (d, prefix);
    ListNames l = { prefix, names };

    if (!mt_s3_client_list_pages (d->s3, d->bucket, key, 0, gather_names, &l,
            cancellable, error))
      return NULL;
    return g_steal_pointer (&names);
  }
  dir_path = g_build_filename (d->local, MT_BATCH_STATE_DIR, NULL);
  dir = g_dir_open (dir_path, 0, NULL);
  while (dir && (n = g_dir_read_name (dir)))
    if (g_str_has_prefix (n, prefix))
      g_ptr_array_add (names, g_strdup (n));
  return g_steal_pointer (&names);
}

/* ---- the lock ---- */

static gchar *
holder_text (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *when = g_date_time_format_iso8601 (now);

  return g_strdup_printf ("mediatag batch, pid %d on %s, since %s",
      (int) getpid (), g_get_host_name (), when);
}

static gboolean
lock_local (MtBatchDest * d, const gchar * name, GError ** error)
{
  g_autofree gchar *path = state_path (d, name);
  g_autofree gchar *holder = NULL;
  g_autofree gchar *mine = holder_text ();
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  int e = errno;

  if (fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
        "cannot write to %s: %s", d->name, g_strerror (e));
    return FALSE;
  }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
    g_file_get_contents (path, &holder, NULL, NULL);
    close (fd);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "%s is in use by "
        "another batch (%s): two batches on one DEST would overwrite each "
        "other's ledger; wait for it or stop it", d->name,
        holder && *holder ? g_strstrip (holder) : "holder unknown");
    return FALSE;
  }
  if (ftruncate (fd, 0) != 0 || write (fd, mine, strlen (mine)) < 0)
    g_warning ("cannot note the lock's holder in %s", path);
  d->lock_fd = fd;
  return TRUE;
}

/* The process id namespace we run in ("pid:[4026531836]"): pids mean
 * something only inside one (containers have their own). */
static gchar *
pid_namespace (void)
{
  return g_file_read_link ("/proc/self/ns/pid", NULL);
}

/* A holder on this host, in our pid namespace, whose process has ended
 * (killed): its lock need not wait to go stale. Elsewhere (another host,
 * another container) a pid says nothing, and the lock goes stale. */
static gboolean
holder_gone (const gchar * host, const gchar * pidns, gint64 pid)
{
  g_autofree gchar *ours = pid_namespace ();

  if (host == NULL || pidns == NULL || ours == NULL || pid <= 0
      || pid > G_MAXINT || g_strcmp0 (host, g_get_host_name ()) != 0
      || g_strcmp0 (pidns, ours) != 0)
    return FALSE;
  /* Our own pid: the holder was an earlier process that had it. */
  if (pid == getpid ())
    return TRUE;
  return kill ((pid_t) pid, 0) != 0 && errno == ESRCH;
}

static GBytes *
lock_body (void)
{
  g_autofree gchar *holder = holder_text ();
  g_autofree gchar *pidns = pid_namespace ();
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  gchar *text;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "holder");
  json_builder_add_string_value (b, holder);
  json_builder_set_member_name (b, "heartbeat");
  json_builder_add_int_value (b, g_get_real_time () / G_USEC_PER_SEC);
  json_builder_set_member_name (b, "host");
  json_builder_add_string_value (b, g_get_host_name ());
  json_builder_set_member_name (b, "pid");
  json_builder_add_int_value (b, getpid ());
  json_builder_set_member_name (b, "pidns");
  json_builder_add_string_value (b, pidns);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  return g_bytes_new_take (text, strlen (text));
}

static gboolean
is_precondition (const GError * error)
{
  const MtAwsErrorDetails *det = mt_aws_error_get_details (error);

  return det && (!g_strcmp0 (det->code, "PreconditionFailed")
      || !g_strcmp0 (det->code, "ConditionalRequestConflict")
      || det->http_status == 412 || det->http_status == 409);
}

/* The holder, age and whether its process is known to be gone, of the
 * lock object; FALSE when the object is gone. */
static gboolean
read_lock (MtBatchDest * d, gchar ** holder, gint64 * age, gboolean * gone,
    gchar ** etag, GError ** error)
{
  g_autoptr (GBytes) b = mt_s3_client_get_object (d->s3, d->bucket,
      d->lock_key, 65536, etag, NULL, error);
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonObject *o;
  gsize len;
  const gchar *data;

  *gone = FALSE;
  if (!b)
    return FALSE;
  data = g_bytes_get_data (b, &len);
  if (!json_parser_load_from_data (p, data ? data : "", len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p))) {
    *holder = g_strdup ("holder unknown");
    *age = G_MAXINT64;
    return TRUE;
  }
  o = json_node_get_object (json_parser_get_root (p));
  *holder = g_strdup (json_object_get_string_member_with_default (o,
          "holder", "holder unknown"));
  *age = g_get_real_time () / G_USEC_PER_SEC -
      json_object_get_int_member_with_default (o, "heartbeat", 0);
  *gone = holder_gone (json_object_get_string_member_with_default (o, "host",
          NULL), json_object_get_string_member_with_default (o, "pidns",
          NULL), json_object_get_int_member_with_default (o, "pid", 0));
  return TRUE;
}

static gboolean
put_lock (MtBatchDest * d, const gchar * if_none, const gchar * if_match,
    GError ** error)
{
  g_autoptr (GBytes) body = lock_body ();
  MtS3PutOptions opts = { "application/json", if_none, if_match };
  gchar *etag = NULL;

  if (!mt_s3_client_put_object (d->s3, d->bucket, d->lock_key, body, &opts,
          &etag, NULL, error))
    return FALSE;
  g_free (d->lock_etag);
  d->lock_etag = etag;
  return TRUE;
}

/* Created only when absent; an existing lock is taken over only when its
 * holder stopped renewing it, and only if no one else took it meanwhile
 * (If-Match on the ETag read). */
static gboolean
lock_s3 (MtBatchDest * d, const gchar * name, GError ** error)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *holder = NULL;
  g_autofree gchar *etag = NULL;
  gint64 age = 0;
  gboolean gone = FALSE;

  d->lock_key = state_key (d, name);
  if (put_lock (d, "*", NULL, &err))
    return TRUE;
  if (!is_precondition (err)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write to "
        "%s: %s", d->name, err->message);
    return FALSE;
  }
  g_clear_error (&err);
  if (!read_lock (d, &holder, &age, &gone, &etag, &err))
    return put_lock (d, "*", NULL, error);
  if (gone || age >= MT_BATCH_LOCK_STALE_S) {
    if (gone)
      g_printerr ("mediatag batch: %s: taking over the lock of %s: that "
          "process is gone\n", d->name, holder);
    else
      g_printerr ("mediatag batch: %s: taking over the lock of %s, not "
          "renewed for %" G_GINT64_FORMAT " s\n", d->name, holder, age);
    if (put_lock (d, NULL, etag, &err))
      return TRUE;
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "%s is in use by "
      "another batch (%s, last seen %" G_GINT64_FORMAT " s ago): two batches "
      "on one DEST would overwrite each other's ledger; wait for it or stop "
      "it (a lock not renewed for %d s is taken over)", d->name, holder,
      MAX (age, 0), MT_BATCH_LOCK_STALE_S);
  return FALSE;
}

gboolean
mt_batch_dest_lock (MtBatchDest * d, const gchar * name, GError ** error)
{
  return d->s3 ? lock_s3 (d, name, error) : lock_local (d, name, error);
}

gboolean
mt_batch_dest_refresh_lock (MtBatchDest * d, GError ** error)
{
  if (!d->s3 || !d->lock_etag)
    return TRUE;
  return put_lock (d, NULL, d->lock_etag, error);
}

void
mt_batch_dest_unlock (MtBatchDest * d)
{
  g_autoptr (GError) error = NULL;

  if (d->lock_fd >= 0) {
    close (d->lock_fd);
    d->lock_fd = -1;
  }
  if (d->s3 && d->lock_etag
      && !mt_s3_client_delete_object (d->s3, d->bucket, d->lock_key, NULL,
          &error))
    g_printerr ("mediatag batch: could not remove the lock s3://%s/%s: %s\n",
        d->bucket, d->lock_key, error->message);
  g_clear_pointer (&d->lock_etag, g_free);
  g_clear_pointer (&d->lock_key, g_free);
}
