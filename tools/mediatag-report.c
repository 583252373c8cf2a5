/* mediatag report: reads result documents (JSON Lines files, the folders
 * analyze --out and batch write, s3:// objects and prefixes), groups them
 * by asset and writes one self-contained HTML page of them
 * (report-html.c renders it). Thumbnails that analyze kept beside the
 * results (<asset>.thumbs/<ms>.jpg) are found by the results file's name. */
#include <gst/gst.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "awssettings.h"
#include "http.h"
#include "s3.h"
#include "mediatag.h"
#include "mediatag-report.h"

/* A batch DEST nests assets a few folders deep; deeper is not ours. */
#define MAX_DEPTH 4

typedef struct {
  GHashTable *by_asset;         /* asset URI -> MtReportAsset (borrowed) */
  GPtrArray *assets;            /* of MtReportAsset, in the order first seen */
  guint bad_lines;
  MtS3Client *s3;
} Reader;

void
mt_report_asset_free (MtReportAsset * a)
{
  if (!a)
    return;
  g_free (a->asset);
  g_free (a->results);
  g_free (a->thumbs_dir);
  g_ptr_array_unref (a->docs);
  g_free (a);
}

/* Results analyze kept of media it could not analyse whole. */
static gboolean
is_incomplete (const gchar * where)
{
  return where && g_str_has_suffix (where, ".incomplete.jsonl");
}

static MtReportAsset *
asset_for (Reader * r, const gchar * uri, const gchar * where,
    const gchar * thumbs, gint64 mtime)
{
  MtReportAsset *a = g_hash_table_lookup (r->by_asset, uri);

  if (a) {
    a->incomplete |= is_incomplete (where);
    if (!a->thumbs_dir && thumbs)
      a->thumbs_dir = g_strdup (thumbs);
    a->analysed = MAX (a->analysed, mtime);
    return a;
  }
  a = g_new0 (MtReportAsset, 1);
  a->asset = g_strdup (uri);
  a->results = g_strdup (where);
  a->thumbs_dir = g_strdup (thumbs);
  a->analysed = mtime;
  a->incomplete = is_incomplete (where);
  a->docs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);
  g_ptr_array_add (r->assets, a);
  g_hash_table_insert (r->by_asset, a->asset, a);
  return a;
}

/* One line: a result document, or nothing (blank, a ledger line without
 * `analysis`, or not JSON: counted). */
static void
add_line (Reader * r, JsonParser * parser, const gchar * line, gsize len,
    const gchar * where, const gchar * thumbs, gint64 mtime)
{
  JsonNode *root, *node;
  JsonObject *doc;
  const gchar *uri;

  while (len && g_ascii_isspace (line[len - 1]))
    len--;
  if (!len)
    return;
  if (!json_parser_load_from_data (parser, line, len, NULL)
      || !(root = json_parser_get_root (parser))
      || !JSON_NODE_HOLDS_OBJECT (root)) {
    r->bad_lines++;
    return;
  }
  doc = json_node_get_object (root);
  if (!json_object_has_member (doc, "analysis"))
    return;
  node = json_object_get_member (doc, "asset");
  uri = node && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING ?
      json_node_get_string (node) : where;
  g_ptr_array_add (asset_for (r, uri, where, thumbs, mtime)->docs,
      json_object_ref (doc));
}

static void
add_text (Reader * r, const gchar * text, gsize len, const gchar * where,
    const gchar * thumbs, gint64 mtime)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  const gchar *p = text, *end = text + len;

  while (p < end) {
    const gchar *nl = memchr (p, '\n', end - p);
    const gchar *stop = nl ? nl : end;

    add_line (r, parser, p, stop - p, where, thumbs, mtime);
    p = stop + 1;
  }
}

/* "<dir>/<asset>.jsonl" and "<asset>.incomplete.jsonl" keep their
 * thumbnails in "<dir>/<asset>.thumbs". */
static gchar *
thumbs_for (const gchar * path)
{
  g_autofree gchar *stem = g_strdup (path);
  gchar *dot;
  gchar *dir;

  if (g_str_has_suffix (stem, ".jsonl"))
    stem[strlen (stem) - 6] = '\0';
  if ((dot = g_strrstr (stem, ".incomplete")) && !strcmp (dot, ".incomplete"))
    *dot = '\0';
  dir = g_strconcat (stem, ".thumbs", NULL);
  if (g_file_test (dir, G_FILE_TEST_IS_DIR))
    return dir;
  g_free (dir);
  return NULL;
}

static gboolean
read_file (Reader * r, const gchar * path, GError ** error)
{
  g_autofree gchar *text = NULL;
  g_autofree gchar *thumbs = thumbs_for (path);
  GStatBuf st;
  gsize len;

  if (!g_file_get_contents (path, &text, &len, error))
    return FALSE;
  add_text (r, text, len, path, thumbs,
      g_stat (path, &st) == 0 ? (gint64) st.st_mtime : 0);
  return TRUE;
}

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar **) a, *(const gchar **) b);
}

static void
collect_jsonl (const gchar * dir, guint depth, GPtrArray * files)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (!d || depth > MAX_DEPTH)
    return;
  while ((name = g_dir_read_name (d))) {
    g_autofree gchar *path = g_build_filename (dir, name, NULL);

    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      collect_jsonl (path, depth + 1, files);
    else if (g_str_has_suffix (name, ".jsonl"))
      g_ptr_array_add (files, g_steal_pointer (&path));
  }
}

static gboolean
read_folder (Reader * r, const gchar * dir, GError ** error)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  guint i;

  collect_jsonl (dir, 0, files);
  if (!files->len) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "%s holds no .jsonl result files", dir);
    return FALSE;
  }
  g_ptr_array_sort (files, compare_paths);
  for (i = 0; i < files->len; i++)
    if (!read_file (r, g_ptr_array_index (files, i), error))
      return FALSE;
  return TRUE;
}

/* ---- S3 --------------------------------------------------------------- */

static MtS3Client *
s3_client (Reader * r, const gchar * bucket, GError ** error)
{
  if (!r->s3) {
    MtAwsSettings settings;

    mt_aws_settings_init (&settings);
    r->s3 = mt_s3_client_new (&settings, FALSE, FALSE, error);
    mt_aws_settings_clear (&settings);
    if (!r->s3)
      return NULL;
  }
  if (!mt_s3_client_locate_bucket (r->s3, bucket, NULL, error))
    return NULL;
  return r->s3;
}

static gboolean
read_s3_object (Reader * r, const gchar * bucket, const gchar * key,
    GError ** error)
{
  g_autofree gchar *url = mt_s3_client_url (r->s3, bucket, key, NULL);
  g_autofree gchar *uri = mt_s3_uri_build (bucket, key);
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", url);
  g_autoptr (MtHttpResponse) resp = NULL;
  MtAwsSendOptions opts = { 0 };
  gconstpointer data;
  gsize len = 0;

  opts.s3 = TRUE;
  opts.action = "GetObject";
  if (!mt_aws_client_send (mt_s3_client_get_aws (r->s3), req, &opts, &resp,
          NULL, error)) {
    g_autofree gchar *why = mt_s3_error_describe (*error, bucket, key, NULL);

    g_clear_error (error);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", why);
    return FALSE;
  }
  data = resp->body ? g_bytes_get_data (resp->body, &len) : "";
  add_text (r, data, len, uri, NULL, 0);
  return TRUE;
}

static gboolean
read_s3 (Reader * r, const gchar * uri, GError ** error)
{
  g_autofree gchar *bucket = NULL, *key = NULL;
  g_autoptr (GPtrArray) objects = NULL;
  guint i, n = 0;

  if (!mt_s3_uri_parse (uri, TRUE, &bucket, &key, error)
      || !s3_client (r, bucket, error))
    return FALSE;
  if (key && *key && !g_str_has_suffix (key, "/"))
    return read_s3_object (r, bucket, key, error);
  objects = mt_s3_client_list_objects (r->s3, bucket, key, 0, NULL, error);
  if (!objects)
    return FALSE;
  for (i = 0; i < objects->len; i++) {
    MtS3Object *o = g_ptr_array_index (objects, i);

    if (!g_str_has_suffix (o->key, ".jsonl"))
      continue;
    if (!read_s3_object (r, bucket, o->key, error))
      return FALSE;
    n++;
  }
  if (!n)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "%s holds no .jsonl result files", uri);
  return n > 0;
}

static gboolean
read_input (Reader * r, const gchar * input, GError ** error)
{
  gboolean ok;

  if (g_str_has_prefix (input, "s3://"))
    ok = read_s3 (r, input, error);
  else if (g_file_test (input, G_FILE_TEST_IS_DIR))
    ok = read_folder (r, input, error);
  else
    ok = read_file (r, input, error);
  if (!ok)
    g_prefix_error (error, "%s: ", input);
  return ok;
}

gboolean
mt_report_write (const gchar * const *inputs, const gchar * out,
    GError ** error)
{
  Reader r = { 0 };
  g_autofree gchar *html = NULL;
  gboolean ok = TRUE;
  guint i;

  r.by_asset = g_hash_table_new (g_str_hash, g_str_equal);
  r.assets = g_ptr_array_new_with_free_func ((GDestroyNotify)
      mt_report_asset_free);
  for (i = 0; ok && inputs[i]; i++)
    ok = read_input (&r, inputs[i], error);
  if (ok && !r.assets->len) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "no result documents in %s%s", inputs[0], inputs[1] ? " ..." : "");
    ok = FALSE;
  }
  if (ok && r.bad_lines)
    g_printerr ("mediatag report: %u lines were not JSON objects and were "
        "left out\n", r.bad_lines);
  if (ok) {
    html = mt_report_render (r.assets);
    ok = g_file_set_contents (out, html, -1, error);
  }
  g_clear_pointer (&r.s3, mt_s3_client_free);
  g_hash_table_unref (r.by_asset);
  g_ptr_array_unref (r.assets);
  return ok;
}

gboolean
mt_report_write_beside (const gchar * base, gboolean incomplete,
    GError ** error)
{
  g_autofree gchar *whole = g_strconcat (base, ".jsonl", NULL);
  g_autofree gchar *part = g_strconcat (base, ".incomplete.jsonl", NULL);
  g_autofree gchar *out = NULL;
  g_autofree gchar *other = NULL;
  const gchar *inputs[2] = { whole, NULL };

  /* The page of incomplete results is named as they are, and replaces the
   * other kind's page as the results replaced theirs. */
  if (incomplete)
    inputs[0] = part;
  out = g_strconcat (base, incomplete ? ".incomplete.html" : ".html", NULL);
  other = g_strconcat (base, incomplete ? ".html" : ".incomplete.html", NULL);
  if (!incomplete)
    g_unlink (other);
  return mt_report_write (inputs, out, error);
}

/* ---- the verb --------------------------------------------------------- */

static int
report_run (int argc, char **argv)
{
  g_autofree gchar *out = NULL;
  g_autoptr (GError) error = NULL;
  GOptionEntry entries[] = {
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
        "The HTML file to write (default report.html)", "FILE"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx =
      g_option_context_new ("RESULTS... - one HTML page of results");

  g_option_context_set_summary (ctx,
      "RESULTS are JSON Lines result files, folders holding them (an "
      "analyze --out\nfolder, a batch DEST) or s3://bucket/key objects and "
      "s3://bucket/prefix/\nprefixes. The page is one self-contained file: "
      "it makes no network request\nand opens from disk. Thumbnails analyze "
      "kept (<asset>.thumbs/) are embedded.");
  g_option_context_set_description (ctx, MT_EXIT_STATUS_HELP);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    fprintf (stderr, "mediatag report: %s\n", error->message);
    return MT_EXIT_USAGE;
  }
  if (argc < 2) {
    fprintf (stderr, "mediatag report: name at least one results file, "
        "folder or s3:// URI\n");
    return MT_EXIT_USAGE;
  }
  if (!mt_report_write ((const gchar * const *) argv + 1,
          out ? out : "report.html", &error)) {
    fprintf (stderr, "mediatag report: %s\n", error->message);
    return MT_EXIT_ERROR;
  }
  return MT_EXIT_OK;
}

const MtVerb mt_verb_report = {
  "report",
  "Write one self-contained HTML page of results",
  report_run,
};
