/* The summary table and WebVTT tracks of mediatag analyze, made from the
 * result documents (DESIGN.md "Result documents") of one asset: for each
 * found name, how many frames, first and last time, best confidence; for
 * video, one WebVTT file per analysis type whose cues are the tracks the
 * analysis element wrote (result documents with a `track` member: the
 * sightings of a name merged by Media2Cloud's timeline rule, result.h). */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "mediatag-summary.h"

typedef struct {
  gchar *analysis;
  gchar *name;
  GArray *times;                /* gint64 ms of each sighting, sorted later */
  GHashTable *frames;           /* distinct frame or timestamp keys */
  gdouble best;
} Entry;

static void
entry_free (Entry * e)
{
  g_free (e->analysis);
  g_free (e->name);
  g_array_unref (e->times);
  g_hash_table_unref (e->frames);
  g_free (e);
}

static gint
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static gint
cmp_entry (gconstpointer a, gconstpointer b)
{
  const Entry *x = *(Entry * const *) a, *y = *(Entry * const *) b;
  gint c = g_strcmp0 (x->analysis, y->analysis);
  guint nx = g_hash_table_size (x->frames), ny = g_hash_table_size (y->frames);

  if (c)
    return c;
  if (nx != ny)
    return nx > ny ? -1 : 1;
  return g_strcmp0 (x->name, y->name);
}

static void
format_ms (gint64 ms, gchar * buf, gsize len, gboolean vtt)
{
  if (vtt)
    g_snprintf (buf, len, "%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT ":%02"
        G_GINT64_FORMAT ".%03" G_GINT64_FORMAT, ms / 3600000,
        ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
  else
    g_snprintf (buf, len, "%" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT ".%03"
        G_GINT64_FORMAT, ms / 60000, ms / 1000 % 60, ms % 1000);
}

void
mt_run_totals_clear (MtRunTotals * t)
{
  g_clear_pointer (&t->first_error, g_free);
}

/* One line for an error document: "DetectFaces: InternalError (HTTP 500)
 * after 4 attempts" from its action, code, status and attempts when it has
 * them (analysissink.h), else its action (or engine) and message. */
static gchar *
error_line (JsonObject * o, const gchar * default_action)
{
  const gchar *action = json_object_get_string_member_with_default (o,
      "action", default_action);
  const gchar *engine = json_object_get_string_member_with_default (o,
      "engine", "?");
  const gchar *code = NULL;
  const gchar *message = json_object_get_string_member_with_default (o,
      "error", "failed without saying why");
  gint64 status = json_object_get_int_member_with_default (o, "status", 0);
  gint64 attempts = json_object_get_int_member_with_default (o, "attempts",
      0);
  g_autoptr (GString) s = g_string_new (action ? action : engine);
  JsonNode *n = json_object_get_member (o, "code");

  if (n && JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_STRING)
    code = json_node_get_string (n);
  if (!code) {
    g_string_append_printf (s, ": %s", message);
    return g_string_free (g_steal_pointer (&s), FALSE);
  }
  g_string_append_printf (s, ": %s", code);
  if (status)
    g_string_append_printf (s, " (HTTP %" G_GINT64_FORMAT ")", status);
  if (attempts > 1)
    g_string_append_printf (s, " after %" G_GINT64_FORMAT " attempts",
        attempts);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Counts what the documents say when no summary message did. */
static void
count_document (JsonObject * o, const gchar * analysis, MtRunTotals * t)
{
  if (t->have_message)
    return;
  if (g_strcmp0 (analysis, "error") != 0) {
    if (analysis && g_strcmp0 (analysis, "track") != 0
        && !json_object_has_member (o, "track"))
      t->results++;
    return;
  }
  t->errors++;
  t->failed++;
  if (!t->first_error)
    t->first_error = error_line (o, t->default_action);
}

/* Result documents of one asset, grouped by (analysis, name). */
static GPtrArray *
collect (const gchar * jsonl, GPtrArray * tracks, MtRunTotals * totals,
    GError ** error)
{
  g_autofree gchar *data = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GHashTable) by_key = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify)
      entry_free);
  guint i;

  if (!g_file_get_contents (jsonl, &data, NULL, error)) {
    g_ptr_array_unref (entries);
    return NULL;
  }
  lines = g_strsplit (data, "\n", -1);
  for (i = 0; lines[i]; i++) {
    g_autoptr (JsonParser) p = json_parser_new ();
    JsonObject *o;
    const gchar *analysis, *name;
    g_autofree gchar *key = NULL;
    Entry *e;
    gint64 ts;

    if (!*lines[i] || !json_parser_load_from_data (p, lines[i], -1, NULL))
      continue;
    if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
      continue;
    o = json_node_get_object (json_parser_get_root (p));
    analysis = json_object_get_string_member_with_default (o, "analysis", NULL);
    name = json_object_get_string_member_with_default (o, "name", NULL);
    count_document (o, analysis, totals);
    if (!analysis || !name || !strcmp (analysis, "error"))
      continue;
    if (json_object_has_member (o, "track")) {
      g_ptr_array_add (tracks, json_object_ref (o));
      continue;
    }
    ts = json_object_get_int_member_with_default (o, "timestamp", 0);
    key = g_strdup_printf ("%s\x1f%s", analysis, name);
    e = g_hash_table_lookup (by_key, key);
    if (!e) {
      e = g_new0 (Entry, 1);
      e->analysis = g_strdup (analysis);
      e->name = g_strdup (name);
      e->times = g_array_new (FALSE, FALSE, sizeof (gint64));
      e->frames = g_hash_table_new (g_int64_hash, g_int64_equal);
      g_hash_table_insert (by_key, g_steal_pointer (&key), e);
      g_ptr_array_add (entries, e);
    }
    if (!g_hash_table_contains (e->frames, &ts)) {
      gint64 *k = g_new (gint64, 1);

      *k = ts;
      g_hash_table_add (e->frames, k);
      g_array_append_val (e->times, ts);
    }
    e->best = MAX (e->best, json_object_get_double_member_with_default (o,
            "confidence", 0));
  }
  for (i = 0; i < entries->len; i++)
    g_array_sort (((Entry *) entries->pdata[i])->times, cmp_i64);
  g_ptr_array_sort (entries, cmp_entry);
  return entries;
}

static void print_rows (GPtrArray * entries, FILE * out);

/* "Nothing found." is a finding: it is said only when every unit was
 * analysed; otherwise the table says what is missing. */
static void
print_table (GPtrArray * entries, const MtRunTotals * t, FILE * out)
{
  if (!entries->len && !t->failed && !t->incomplete && !t->not_analysed) {
    fprintf (out, "Nothing found.\n");
    return;
  }
  if (!entries->len)
    fprintf (out, "No results.\n");
  else
    print_rows (entries, out);
  if (t->failed)
    fprintf (out, "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " units "
        "failed and were not analysed: %s\n", t->failed,
        MAX (t->units, t->failed), t->first_error ? t->first_error : "");
  if (t->not_analysed)
    fprintf (out, "Not analysed (the engine cannot do them): %s\n",
        t->not_analysed);
  if (t->incomplete)
    fprintf (out, "Incomplete: not all of the media was analysed.\n");
}

static void
print_rows (GPtrArray * entries, FILE * out)
{
  guint i;

  fprintf (out, "%-12s %-32s %7s %10s %10s %6s\n", "analysis", "name",
      "frames", "first", "last", "best");
  for (i = 0; i < entries->len; i++) {
    Entry *e = entries->pdata[i];
    gchar first[32], last[32];

    format_ms (g_array_index (e->times, gint64, 0), first, sizeof first,
        FALSE);
    format_ms (g_array_index (e->times, gint64, e->times->len - 1), last,
        sizeof last, FALSE);
    fprintf (out, "%-12s %-32.32s %7u %10s %10s %6.1f\n", e->analysis,
        e->name, g_hash_table_size (e->frames), first, last, e->best);
  }
}

static void
free_gstring (gpointer s)
{
  g_string_free (s, TRUE);
}

static gint
cmp_track (gconstpointer a, gconstpointer b)
{
  JsonObject *x = *(JsonObject * const *) a, *y = *(JsonObject * const *) b;
  gint64 tx = json_object_get_int_member_with_default (x, "timestamp", 0);
  gint64 ty = json_object_get_int_member_with_default (y, "timestamp", 0);

  return tx < ty ? -1 : tx > ty;
}

static gboolean
write_vtt (GPtrArray * tracks, const gchar * out_dir, const gchar * name,
    gboolean incomplete, GError ** error)
{
  g_autoptr (GHashTable) files = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, free_gstring);
  GHashTableIter it;
  gpointer k, v;
  guint i;

  g_ptr_array_sort (tracks, cmp_track);
  for (i = 0; i < tracks->len; i++) {
    JsonObject *t = tracks->pdata[i];
    const gchar *analysis = json_object_get_string_member_with_default (t,
        "kind", json_object_get_string_member (t, "analysis"));
    gint64 begin = json_object_get_int_member_with_default (t, "timestamp", 0);
    gint64 end = json_object_get_int_member_with_default (t, "end", begin);
    GString *vtt = g_hash_table_lookup (files, analysis);
    gchar b[32], e[32];

    if (!vtt) {
      vtt = g_string_new ("WEBVTT\n\n");
      g_hash_table_insert (files, g_strdup (analysis), vtt);
    }
    format_ms (begin, b, sizeof b, TRUE);
    format_ms (MAX (end, begin + 1), e, sizeof e, TRUE);
    g_string_append_printf (vtt, "%s --> %s\n%s\n\n", b, e,
        json_object_get_string_member (t, "name"));
  }

  g_hash_table_iter_init (&it, files);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    g_autofree gchar *base = g_strdup_printf ("%s.%s.%svtt", name,
        (const gchar *) k, incomplete ? "incomplete." : "");
    g_autofree gchar *path = g_build_filename (out_dir, base, NULL);
    GString *s = v;

    if (!g_file_set_contents (path, s->str, s->len, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
mt_summary_write_outputs (const gchar * jsonl, const gchar * out_dir,
    const gchar * name, gboolean video, MtRunTotals * totals, FILE * table,
    GError ** error)
{
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GPtrArray) tracks =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  entries = collect (jsonl, tracks, totals, error);
  if (!entries)
    return FALSE;
  if (!totals->have_message)
    totals->units = MAX (totals->units, totals->failed);
  if (video && !write_vtt (tracks, out_dir, name, totals->incomplete, error))
    return FALSE;
  if (table)
    print_table (entries, totals, table);
  return TRUE;
}

/* <name>.<analysis>.vtt, or <name>.<analysis>.incomplete.vtt */
static gboolean
is_vtt_of (const gchar * file, const gchar * name, gboolean incomplete)
{
  const gchar *rest;
  gsize n;

  if (!g_str_has_prefix (file, name) || file[strlen (name)] != '.')
    return FALSE;
  rest = file + strlen (name) + 1;
  n = strspn (rest, "abcdefghijklmnopqrstuvwxyz");
  if (!n)
    return FALSE;
  return !strcmp (rest + n, incomplete ? ".incomplete.vtt" : ".vtt");
}

void
mt_summary_remove_outputs (const gchar * out_dir, const gchar * name,
    gboolean incomplete)
{
  g_autoptr (GDir) dir = g_dir_open (out_dir, 0, NULL);
  g_autofree gchar *jsonl = g_strdup_printf ("%s.%sjsonl", name,
      incomplete ? "incomplete." : "");
  g_autofree gchar *path = g_build_filename (out_dir, jsonl, NULL);
  const gchar *f;

  g_unlink (path);
  while (dir && (f = g_dir_read_name (dir))) {
    if (is_vtt_of (f, name, incomplete)) {
      g_autofree gchar *p = g_build_filename (out_dir, f, NULL);

      g_unlink (p);
    }
  }
}
