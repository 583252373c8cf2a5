/* Result documents: builders, stable ids, JSON Lines serialisation, and the
 * video track merging rule. See result.h. */
#include "result.h"

#include "jsonlines.h"


/* Media2Cloud's timeline rule: a gap under 1.2 sampling intervals is the
 * same sighting continuing. */
#define MT_TRACK_GAP_FACTOR 1.2

static gint64
ns_to_ms (GstClockTime t)
{
  return (gint64) ((t + GST_MSECOND / 2) / GST_MSECOND);
}

JsonObject *
mt_result_new (const gchar * analysis, const gchar * engine,
    const gchar * name, gdouble confidence)
{
  JsonObject *r = json_object_new ();

  json_object_set_string_member (r, "analysis", analysis);
  json_object_set_string_member (r, "engine", engine);
  if (name)
    json_object_set_string_member (r, "name", name);
  if (confidence >= 0)
    json_object_set_double_member (r, "confidence", MIN (confidence, 100.0));
  return r;
}

JsonObject *
mt_result_new_error (const gchar * engine, const GError * error)
{
  JsonObject *r = mt_result_new (MT_ANALYSIS_ERROR, engine, NULL, -1);
  g_autoptr (JsonObject) detail = json_object_new ();

  json_object_set_string_member (detail, "message", error->message);
  json_object_set_string_member (detail, "domain",
      g_quark_to_string (error->domain));
  json_object_set_int_member (detail, "code", error->code);
  json_object_set_string_member (r, "error", error->message);
  mt_result_set_detail (r, detail);
  return r;
}

void
mt_result_set_box (JsonObject * result, gdouble left, gdouble top,
    gdouble width, gdouble height)
{
  JsonObject *box = json_object_new ();

  json_object_set_double_member (box, "left", left);
  json_object_set_double_member (box, "top", top);
  json_object_set_double_member (box, "width", width);
  json_object_set_double_member (box, "height", height);
  json_object_set_object_member (result, "box", box);
}

void
mt_result_set_detail (JsonObject * result, JsonObject * detail)
{
  json_object_set_object_member (result, "detail", json_object_ref (detail));
}

void
mt_result_set_time (JsonObject * result, GstClockTime timestamp,
    GstClockTime end, gint64 frame)
{
  if (GST_CLOCK_TIME_IS_VALID (timestamp))
    json_object_set_int_member (result, "timestamp", ns_to_ms (timestamp));
  if (GST_CLOCK_TIME_IS_VALID (end))
    json_object_set_int_member (result, "end", ns_to_ms (end));
  if (frame >= 0)
    json_object_set_int_member (result, "frame", frame);
}

static void
checksum_member (GChecksum * sum, JsonObject * r, const gchar * member)
{
  JsonNode *node = json_object_get_member (r, member);
  g_autofree gchar *text = NULL;

  /* A separator per field keeps ("ab","c") apart from ("a","bc"). */
  g_checksum_update (sum, (const guchar *) member, -1);
  g_checksum_update (sum, (const guchar *) "=", 1);
  if (node && JSON_NODE_HOLDS_VALUE (node)) {
    if (json_node_get_value_type (node) == G_TYPE_STRING)
      text = g_strdup (json_node_get_string (node));
    else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
      text = g_strdup_printf ("%.6f", json_node_get_double (node));
    else
      text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    g_checksum_update (sum, (const guchar *) text, -1);
  }
  g_checksum_update (sum, (const guchar *) "", 1);
}

static void
checksum_box (GChecksum * sum, JsonObject * r)
{
  JsonObject *box = json_object_has_member (r, "box") ?
      json_object_get_object_member (r, "box") : NULL;
  g_autofree gchar *text = NULL;

  if (!box)
    return;
  /* Rounded, so float noise in a re-run cannot change the id. */
  text = g_strdup_printf ("box=%.6f,%.6f,%.6f,%.6f",
      json_object_get_double_member (box, "left"),
      json_object_get_double_member (box, "top"),
      json_object_get_double_member (box, "width"),
      json_object_get_double_member (box, "height"));
  g_checksum_update (sum, (const guchar *) text, -1);
}

static gboolean
is_placed (JsonObject * r)
{
  return json_object_has_member (r, "timestamp")
      || json_object_has_member (r, "frame")
      || json_object_has_member (r, "page");
}

static gchar *
compute_id (JsonObject * r, guint ordinal, gint64 unit)
{
  static const gchar *const members[] = { "asset", "analysis", "engine",
    "name", "timestamp", "end", "frame", "page"
  };
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (members); i++)
    checksum_member (sum, r, members[i]);
  /* Only when present, so the ids of documents without it never change. */
  if (json_object_has_member (r, "kind"))
    checksum_member (sum, r, "kind");
  checksum_box (sum, r);
  if (ordinal > 0) {
    g_autofree gchar *o = g_strdup_printf ("ordinal=%u", ordinal);
    g_checksum_update (sum, (const guchar *) o, -1);
  }
  if (unit >= 0 && !is_placed (r)) {
    g_autofree gchar *u = g_strdup_printf ("unit=%" G_GINT64_FORMAT, unit);
    g_checksum_update (sum, (const guchar *) u, -1);
  }
  /* 32 hex digits (128 bits) are plenty for uniqueness and keep the
   * documents short. */
  return g_strndup (g_checksum_get_string (sum), 32);
}

static void
finish (JsonObject * result, const gchar * asset, guint ordinal, gint64 unit)
{
  g_autofree gchar *id = NULL;

  if (asset)
    json_object_set_string_member (result, "asset", asset);
  id = compute_id (result, ordinal, unit);
  json_object_set_string_member (result, "id", id);
}

void
mt_result_finish (JsonObject * result, const gchar * asset, guint ordinal)
{
  finish (result, asset, ordinal, -1);
}

void
mt_result_finish_all (GPtrArray * results, const gchar * asset, guint64 unit)
{
  /* id without ordinal -> ordinals given so far: the n-th identical
   * finding gets ordinal n without trying 1..n-1 again, so a unit with
   * thousands of identical findings stays linear. */
  g_autoptr (GHashTable) given = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  guint i;

  for (i = 0; i < results->len; i++) {
    JsonObject *r = g_ptr_array_index (results, i);
    g_autofree gchar *base = NULL;
    guint ordinal;

    finish (r, asset, 0, (gint64) unit);
    base = g_strdup (json_object_get_string_member (r, "id"));
    ordinal = GPOINTER_TO_UINT (g_hash_table_lookup (given, base));
    if (ordinal > 0)
      finish (r, asset, ordinal, (gint64) unit);
    while (g_hash_table_contains (seen, json_object_get_string_member (r,
                "id")))
      finish (r, asset, ++ordinal, (gint64) unit);
    g_hash_table_add (seen, g_strdup (json_object_get_string_member (r, "id")));
    g_hash_table_insert (given, g_steal_pointer (&base),
        GUINT_TO_POINTER (ordinal + 1));
  }
}

/* Readers scan documents by eye and by tools: the fixed fields come first,
 * in the design's order, then anything an engine added. */
static const gchar *const member_order[] = { "id", "asset", "analysis",
  "kind", "engine", "name", "confidence", "timestamp", "end", "frame", "page", "box",
  "track", "error"
};

static JsonNode *
ordered_node (JsonObject * r)
{
  g_autoptr (JsonObject) out = json_object_new ();
  g_autoptr (GList) members = json_object_get_members (r);
  JsonNode *node;
  GList *l;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (member_order); i++) {
    if (json_object_has_member (r, member_order[i]))
      json_object_set_member (out, member_order[i],
          json_object_dup_member (r, member_order[i]));
  }
  for (l = members; l; l = l->next) {
    if (!json_object_has_member (out, l->data))
      json_object_set_member (out, l->data,
          json_object_dup_member (r, l->data));
  }
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, out);
  return node;
}

gchar *
mt_result_to_line (JsonObject * result)
{
  g_autoptr (JsonNode) node = ordered_node (result);

  /* Compact JSON never holds a newline: string newlines are escaped, so
   * one document is one line. */
  return mt_json_to_line (node);
}

gchar *
mt_results_to_json_array (GPtrArray * results)
{
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  guint i;

  for (i = 0; i < results->len; i++)
    json_array_add_element (array, ordered_node (g_ptr_array_index (results,
                i)));
  json_node_set_array (node, array);
  return mt_json_to_line (node);
}

/* Tracks */

typedef struct
{
  gchar *analysis;
  gchar *engine;
  gchar *name;
  GstClockTime begin;
  GstClockTime end;
  guint count;
  gdouble confidence_sum;
  guint confidence_n;
} MtTrack;

struct _MtTrackMerger
{
  GHashTable *open;             /* "analysis\nengine\nname" -> MtTrack */
  GstClockTime last_timestamp;
  GstClockTime inferred_interval;
};

static void
track_free (MtTrack * t)
{
  g_free (t->analysis);
  g_free (t->engine);
  g_free (t->name);
  g_free (t);
}

MtTrackMerger *
mt_track_merger_new (void)
{
  MtTrackMerger *m = g_new0 (MtTrackMerger, 1);

  m->open = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) track_free);
  m->last_timestamp = GST_CLOCK_TIME_NONE;
  return m;
}

void
mt_track_merger_free (MtTrackMerger * merger)
{
  if (!merger)
    return;
  g_hash_table_unref (merger->open);
  g_free (merger);
}

static JsonObject *
track_to_result (const MtTrack * t, const gchar * asset)
{
  gdouble mean = t->confidence_n ? t->confidence_sum / t->confidence_n : -1;
  JsonObject *r = mt_result_new (MT_ANALYSIS_TRACK, t->engine, t->name, mean);
  JsonObject *track = json_object_new ();

  json_object_set_string_member (r, "kind", t->analysis);
  mt_result_set_time (r, t->begin, t->end, -1);
  json_object_set_string_member (track, "name", t->name);
  json_object_set_int_member (track, "begin", ns_to_ms (t->begin));
  json_object_set_int_member (track, "end", ns_to_ms (t->end));
  json_object_set_int_member (track, "count", t->count);
  if (mean >= 0)
    json_object_set_double_member (track, "confidence", mean);
  json_object_set_object_member (r, "track", track);
  mt_result_finish (r, asset, 0);
  return r;
}

static gint
track_compare (gconstpointer a, gconstpointer b)
{
  const MtTrack *ta = *(const MtTrack **) a;
  const MtTrack *tb = *(const MtTrack **) b;
  gint c;

  if (ta->begin != tb->begin)
    return ta->begin < tb->begin ? -1 : 1;
  if ((c = g_strcmp0 (ta->analysis, tb->analysis)))
    return c;
  if ((c = g_strcmp0 (ta->engine, tb->engine)))
    return c;
  return g_strcmp0 (ta->name, tb->name);
}

/* Closes the open tracks that can no longer grow (or all of them), in a
 * stable order (hash order is not), so every run gives the same output. */
static void
close_tracks (MtTrackMerger * m, GstClockTime now, GstClockTime interval,
    gboolean all, const gchar * asset, GPtrArray * closed)
{
  g_autoptr (GPtrArray) done = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;
  guint i;

  g_hash_table_iter_init (&iter, m->open);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    MtTrack *t = value;

    if (all || (GST_CLOCK_TIME_IS_VALID (interval) && interval > 0
            && (gdouble) (now - t->end) >= MT_TRACK_GAP_FACTOR * interval))
      g_ptr_array_add (done, t);
  }
  g_ptr_array_sort (done, track_compare);
  for (i = 0; i < done->len; i++) {
    MtTrack *t = g_ptr_array_index (done, i);
    g_autofree gchar *k = g_strjoin ("\n", t->analysis, t->engine, t->name,
        NULL);

    g_ptr_array_add (closed, track_to_result (t, asset));
    g_hash_table_remove (m->open, k);
  }
}

static void
track_sighting (MtTrackMerger * m, JsonObject * r, GstClockTime timestamp)
{
  const gchar *analysis = json_object_get_string_member (r, "analysis");
  const gchar *engine = json_object_get_string_member (r, "engine");
  const gchar *name = json_object_get_string_member_with_default (r, "name",
      NULL);
  g_autofree gchar *key = NULL;
  MtTrack *t;

  if (!name || !analysis || !engine || !g_strcmp0 (analysis, MT_ANALYSIS_ERROR)
      || !g_strcmp0 (analysis, MT_ANALYSIS_TRACK))
    return;
  key = g_strjoin ("\n", analysis, engine, name, NULL);
  t = g_hash_table_lookup (m->open, key);
  if (!t) {
    t = g_new0 (MtTrack, 1);
    t->analysis = g_strdup (analysis);
    t->engine = g_strdup (engine);
    t->name = g_strdup (name);
    t->begin = timestamp;
    g_hash_table_insert (m->open, g_steal_pointer (&key), t);
  }
  /* Several sightings in one frame (three faces) count as one frame. */
  if (t->count == 0 || t->end != timestamp)
    t->count++;
  t->end = timestamp;
  if (json_object_has_member (r, "confidence")) {
    t->confidence_sum += json_object_get_double_member (r, "confidence");
    t->confidence_n++;
  }
}

void
mt_track_merger_add (MtTrackMerger * merger, GPtrArray * results,
    GstClockTime timestamp, GstClockTime interval, const gchar * asset,
    GPtrArray * closed)
{
  guint i;

  if (!GST_CLOCK_TIME_IS_VALID (timestamp))
    return;
  if (GST_CLOCK_TIME_IS_VALID (merger->last_timestamp)
      && timestamp > merger->last_timestamp) {
    GstClockTime d = timestamp - merger->last_timestamp;

    /* The smallest step seen is the sampling interval: larger steps are
     * frames the sampler skipped (dynamic mode) or a gap in the stream. */
    if (merger->inferred_interval == 0 || d < merger->inferred_interval)
      merger->inferred_interval = d;
  }
  merger->last_timestamp = timestamp;
  if (interval == 0 || !GST_CLOCK_TIME_IS_VALID (interval))
    interval = merger->inferred_interval;

  close_tracks (merger, timestamp, interval, FALSE, asset, closed);
  for (i = 0; i < results->len; i++)
    track_sighting (merger, g_ptr_array_index (results, i), timestamp);
}

void
mt_track_merger_flush (MtTrackMerger * merger, const gchar * asset,
    GPtrArray * closed)
{
  close_tracks (merger, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, TRUE, asset,
      closed);
  merger->last_timestamp = GST_CLOCK_TIME_NONE;
  merger->inferred_interval = 0;
}
