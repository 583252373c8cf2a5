/* Unit tests of result documents (plugins/core/result.c): stable ids,
 * one-line serialisation, and the video track merging rule. */
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "result.h"

static JsonObject *
label (const gchar * name, gdouble conf, GstClockTime ts, gint64 frame)
{
  JsonObject *r = mt_result_new ("label",
      "aws:rekognition:DetectLabels", name, conf);

  mt_result_set_time (r, ts, GST_CLOCK_TIME_NONE, frame);
  mt_result_set_box (r, 0.1, 0.2, 0.3, 0.4);
  return r;
}

static JsonObject *
parse_line (const gchar * line)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, line, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_id_stable (void)
{
  g_autoptr (JsonObject) a = label ("Dog", 98.5, 2 * GST_SECOND, 50);
  g_autoptr (JsonObject) b = label ("Dog", 98.5, 2 * GST_SECOND, 50);
  g_autoptr (JsonObject) c = label ("Dog", 98.5, 3 * GST_SECOND, 75);
  g_autoptr (JsonObject) d = label ("Dog", 98.5, 2 * GST_SECOND, 50);

  mt_result_finish (a, "s3://media/clip.mp4", 0);
  mt_result_finish (b, "s3://media/clip.mp4", 0);
  mt_result_finish (c, "s3://media/clip.mp4", 0);
  mt_result_finish (d, "s3://media/other.mp4", 0);
  /* Same input, same id; any of asset, time, frame changing changes it. */
  g_assert_cmpstr (json_object_get_string_member (a, "id"), ==,
      json_object_get_string_member (b, "id"));
  g_assert_cmpstr (json_object_get_string_member (a, "id"), !=,
      json_object_get_string_member (c, "id"));
  g_assert_cmpstr (json_object_get_string_member (a, "id"), !=,
      json_object_get_string_member (d, "id"));
  g_assert_cmpuint (strlen (json_object_get_string_member (a, "id")), ==, 32);
}

static void
test_id_ignores_float_noise_and_confidence (void)
{
  g_autoptr (JsonObject) a = label ("Dog", 98.5, GST_SECOND, 25);
  g_autoptr (JsonObject) b = label ("Dog", 97.0, GST_SECOND, 25);

  mt_result_set_box (b, 0.1 + 1e-9, 0.2, 0.3, 0.4);
  mt_result_finish (a, "file:///a.jpg", 0);
  mt_result_finish (b, "file:///a.jpg", 0);
  /* The id names the finding, not how sure the engine was this time. */
  g_assert_cmpstr (json_object_get_string_member (a, "id"), ==,
      json_object_get_string_member (b, "id"));
}

static void
test_finish_all_unique (void)
{
  g_autoptr (GPtrArray) r1 = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);
  g_autoptr (GPtrArray) r2 = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);
  guint i;

  for (i = 0; i < 3; i++) {
    g_ptr_array_add (r1, mt_result_new ("face", "x", "Face", 99));
    g_ptr_array_add (r2, mt_result_new ("face", "x", "Face", 99));
  }
  mt_result_finish_all (r1, "file:///a.jpg", 7);
  mt_result_finish_all (r2, "file:///a.jpg", 7);
  for (i = 0; i < 3; i++) {
    const gchar *id = json_object_get_string_member (g_ptr_array_index (r1,
            i), "id");

    /* Identical findings get distinct ids, the same ones on every run. */
    g_assert_cmpstr (id, ==, json_object_get_string_member
        (g_ptr_array_index (r2, i), "id"));
    if (i > 0)
      g_assert_cmpstr (id, !=, json_object_get_string_member
          (g_ptr_array_index (r1, i - 1), "id"));
  }
  /* Without time or frame, the unit's position tells images apart. */
  {
    g_autoptr (GPtrArray) r3 =
        g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

    g_ptr_array_add (r3, mt_result_new ("face", "x", "Face", 99));
    mt_result_finish_all (r3, "file:///a.jpg", 8);
    g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (r3,
                0), "id"), !=,
        json_object_get_string_member (g_ptr_array_index (r1, 0), "id"));
  }
}

static void
test_serialise_one_line (void)
{
  g_autoptr (JsonObject) r = label ("Text\nwith \"quotes\" and é", 91.25,
      1500 * GST_MSECOND, 36);
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (JsonObject) back = NULL;
  g_autofree gchar *line = NULL;
  g_autoptr (GList) members = NULL;
  JsonObject *box;

  json_object_set_string_member (detail, "Name", "Text");
  mt_result_set_detail (r, detail);
  mt_result_finish (r, "file:///x.mp4", 0);
  line = mt_result_to_line (r);
  g_assert_null (strchr (line, '\n'));
  back = parse_line (line);
  members = json_object_get_members (back);
  /* The design's field order, id first. */
  g_assert_cmpstr (members->data, ==, "id");
  g_assert_cmpstr (json_object_get_string_member (back, "name"), ==,
      "Text\nwith \"quotes\" and é");
  g_assert_cmpint (json_object_get_int_member (back, "timestamp"), ==, 1500);
  g_assert_cmpint (json_object_get_int_member (back, "frame"), ==, 36);
  g_assert_cmpfloat (json_object_get_double_member (back, "confidence"), ==,
      91.25);
  box = json_object_get_object_member (back, "box");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (box,
          "width"), 0.3, 1e-12);
  g_assert_cmpstr (json_object_get_string_member
      (json_object_get_object_member (back, "detail"), "Name"), ==, "Text");
}

static void
test_error_document (void)
{
  g_autoptr (GError) err = g_error_new_literal (G_IO_ERROR,
      G_IO_ERROR_INVALID_DATA, "InvalidImageFormatException: bad image");
  g_autoptr (JsonObject) r = mt_result_new_error ("aws:rekognition", err);

  g_assert_cmpstr (json_object_get_string_member (r, "analysis"), ==, "error");
  g_assert_cmpstr (json_object_get_string_member (r, "error"), ==,
      "InvalidImageFormatException: bad image");
}

/* A unit with many identical findings (every word of a long text, say)
 * gets unique ids in linear time; the n-th keeps ordinal n, as always. */
static void
test_finish_all_many_identical (void)
{
  g_autoptr (GPtrArray) r = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (JsonObject) third = mt_result_new ("keyphrase", "x", "the", 90);
  guint i;

  for (i = 0; i < 20000; i++) {
    JsonObject *doc = mt_result_new ("keyphrase", "x", "the", 90);

    mt_result_set_time (doc, GST_SECOND, GST_CLOCK_TIME_NONE, -1);
    g_ptr_array_add (r, doc);
  }
  mt_result_finish_all (r, "file:///a.txt", 0);
  mt_result_set_time (third, GST_SECOND, GST_CLOCK_TIME_NONE, -1);
  for (i = 0; i < r->len; i++)
    g_assert_true (g_hash_table_add (ids, (gpointer)
            json_object_get_string_member (g_ptr_array_index (r, i), "id")));
  mt_result_finish (third, "file:///a.txt", 3);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (r, 3),
          "id"), ==, json_object_get_string_member (third, "id"));
}

/* One compact line stays strict JSON whatever the text holds: json-glib
 * alone leaves 0x1F raw. */
static void
test_control_bytes_escaped (void)
{
  g_autoptr (JsonObject) r = mt_result_new ("text", "e", "a\x1f\x01" "b", 90);
  g_autofree gchar *line = mt_result_to_line (r);
  guint i;

  for (i = 0; line[i]; i++)
    g_assert_cmpint ((guchar) line[i], >=, 0x20);
  g_assert_nonnull (strstr (line, "a\\u001f\\u0001b"));
}

/* Feeds one sighting per timestamp (seconds) of `name`. */
static void
feed (MtTrackMerger * m, const gchar * name, const gdouble * secs, guint n,
    GstClockTime interval, GPtrArray * closed)
{
  guint i;

  for (i = 0; i < n; i++) {
    g_autoptr (GPtrArray) unit =
        g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
    GstClockTime ts = (GstClockTime) (secs[i] * GST_SECOND);

    if (name)
      g_ptr_array_add (unit, label (name, 90 + i, ts, -1));
    mt_track_merger_add (m, unit, ts, interval, "file:///v.mp4", closed);
  }
}

static JsonObject *
track_of (GPtrArray * closed, guint i)
{
  return json_object_get_object_member (g_ptr_array_index (closed, i), "track");
}

static void
test_tracks_gap_rule (void)
{
  g_autoptr (MtTrackMerger) m = mt_track_merger_new ();
  g_autoptr (GPtrArray) closed =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  /* Every 2 s: 2.4 s is the largest gap that merges. 6 -> 8.4 is under
   * 1.2 intervals (2.4 s is not under itself: 8.5 is apart). */
  const gdouble secs[] = { 0, 2, 4, 6, 8.3, 10.8 };

  feed (m, "Dog", secs, G_N_ELEMENTS (secs), 2 * GST_SECOND, closed);
  /* 10.8 - 8.3 = 2.5 s >= 2.4 s: the first track closed when 10.8 came. */
  g_assert_cmpuint (closed->len, ==, 1);
  g_assert_cmpint (json_object_get_int_member (track_of (closed, 0),
          "begin"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (track_of (closed, 0), "end"),
      ==, 8300);
  g_assert_cmpint (json_object_get_int_member (track_of (closed, 0),
          "count"), ==, 5);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (track_of
          (closed, 0), "confidence"), 92.0, 1e-9);
  mt_track_merger_flush (m, "file:///v.mp4", closed);
  g_assert_cmpuint (closed->len, ==, 2);
  g_assert_cmpint (json_object_get_int_member (track_of (closed, 1),
          "begin"), ==, 10800);
  g_assert_cmpint (json_object_get_int_member (track_of (closed, 1),
          "count"), ==, 1);
  /* Track documents are documents of their own kind: analysis "track",
   * the tracked analysis in `kind`, engine, span, id. */
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (closed,
              0), "analysis"), ==, "track");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (closed,
              0), "kind"), ==, "label");
  g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (closed, 0),
          "end"), ==, 8300);
  g_assert_true (json_object_has_member (g_ptr_array_index (closed, 0), "id"));
}

static void
test_tracks_inferred_interval (void)
{
  g_autoptr (MtTrackMerger) m = mt_track_merger_new ();
  g_autoptr (GPtrArray) closed =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  const gdouble dog[] = { 0, 1, 2 };
  const gdouble nothing[] = { 3 };
  const gdouble dog_again[] = { 4, 5 };

  /* No interval given: 1 s is inferred from consecutive units. At 3 s
   * (no dog) the gap is 1 s, under 1.2 s: still open; at 4 s it is 2 s. */
  feed (m, "Dog", dog, 3, 0, closed);
  feed (m, NULL, nothing, 1, 0, closed);
  g_assert_cmpuint (closed->len, ==, 0);
  feed (m, "Dog", dog_again, 2, 0, closed);
  g_assert_cmpuint (closed->len, ==, 1);
  mt_track_merger_flush (m, NULL, closed);
  g_assert_cmpuint (closed->len, ==, 2);
  g_assert_cmpint (json_object_get_int_member (track_of (closed, 0), "end"),
      ==, 2000);
  g_assert_cmpint (json_object_get_int_member (track_of (closed, 1),
          "begin"), ==, 4000);
  g_assert_cmpint (json_object_get_int_member (track_of (closed, 1), "end"),
      ==, 5000);
}

static void
test_tracks_names_apart_and_same_frame (void)
{
  g_autoptr (MtTrackMerger) m = mt_track_merger_new ();
  g_autoptr (GPtrArray) closed =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr (GPtrArray) unit =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  /* Three faces in one frame count as one sighting; two names, two
   * tracks, in a stable order. */
  g_ptr_array_add (unit, label ("Face", 99, 0, 0));
  g_ptr_array_add (unit, label ("Face", 98, 0, 0));
  g_ptr_array_add (unit, label ("Face", 97, 0, 0));
  g_ptr_array_add (unit, label ("Cat", 90, 0, 0));
  g_ptr_array_add (unit, mt_result_new (MT_ANALYSIS_ERROR, "e", NULL, -1));
  mt_track_merger_add (m, unit, 0, GST_SECOND, NULL, closed);
  mt_track_merger_flush (m, NULL, closed);
  g_assert_cmpuint (closed->len, ==, 2);
  g_assert_cmpstr (json_object_get_string_member (track_of (closed, 0),
          "name"), ==, "Cat");
  g_assert_cmpstr (json_object_get_string_member (track_of (closed, 1),
          "name"), ==, "Face");
  g_assert_cmpint (json_object_get_int_member (track_of (closed, 1),
          "count"), ==, 1);
}

/* A track is never a sighting: fed back to a merger (a second pass over a
 * results file), it starts no track; and tracks of two kinds that agree on
 * everything else still get two ids. */
static void
test_track_is_its_own_kind (void)
{
  g_autoptr (MtTrackMerger) m = mt_track_merger_new ();
  g_autoptr (GPtrArray) closed =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr (GPtrArray) unit =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  JsonObject *face = mt_result_new ("face", "e", "Person", 90);
  JsonObject *lbl = mt_result_new ("label", "e", "Person", 90);
  JsonObject *a, *b;

  g_ptr_array_add (unit, face);
  g_ptr_array_add (unit, lbl);
  mt_track_merger_add (m, unit, 0, GST_SECOND, NULL, closed);
  mt_track_merger_flush (m, NULL, closed);
  g_assert_cmpuint (closed->len, ==, 2);
  a = g_ptr_array_index (closed, 0);
  b = g_ptr_array_index (closed, 1);
  g_assert_cmpstr (json_object_get_string_member (a, "kind"), ==, "face");
  g_assert_cmpstr (json_object_get_string_member (b, "kind"), ==, "label");
  g_assert_cmpstr (json_object_get_string_member (a, "id"), !=,
      json_object_get_string_member (b, "id"));

  mt_track_merger_add (m, closed, 5 * GST_SECOND, GST_SECOND, NULL, unit);
  mt_track_merger_flush (m, NULL, unit);
  g_assert_cmpuint (unit->len, ==, 2);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/result/id-stable", test_id_stable);
  g_test_add_func ("/result/id-ignores-float-noise",
      test_id_ignores_float_noise_and_confidence);
  g_test_add_func ("/result/finish-all-unique", test_finish_all_unique);
  g_test_add_func ("/result/finish-all-many-identical",
      test_finish_all_many_identical);
  g_test_add_func ("/result/serialise-one-line", test_serialise_one_line);
  g_test_add_func ("/result/error-document", test_error_document);
  g_test_add_func ("/result/control-bytes", test_control_bytes_escaped);
  g_test_add_func ("/result/track-kind", test_track_is_its_own_kind);
  g_test_add_func ("/result/tracks-gap-rule", test_tracks_gap_rule);
  g_test_add_func ("/result/tracks-inferred-interval",
      test_tracks_inferred_interval);
  g_test_add_func ("/result/tracks-names-apart",
      test_tracks_names_apart_and_same_frame);
  return g_test_run ();
}
