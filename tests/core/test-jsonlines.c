/* Tests of the JSON Lines assembler, line parsing and dead letters
 * (plugins/core/jsonlines.c): lines split across buffers at every byte,
 * CRLF, a missing final newline, blank lines, over-long lines named by
 * number, invalid UTF-8, and dead letters that stay valid JSON whatever
 * the input bytes. */
#include <string.h>

#include "jsonlines.h"

typedef struct
{
  GPtrArray *lines;             /* "N:text" or "N:ERROR:message" */
  guint stop_after;             /* 0: never stop */
} Collected;

static gboolean
collect (const gchar * line, gsize len, guint64 line_no, const GError * error,
    gpointer user_data)
{
  Collected *c = user_data;

  g_assert_true ((line == NULL) != (error == NULL));
  if (line) {
    g_assert_cmpint (line[len], ==, '\0');
    g_ptr_array_add (c->lines, g_strdup_printf ("%" G_GUINT64_FORMAT ":%s",
            line_no, line));
  } else {
    g_ptr_array_add (c->lines, g_strdup_printf ("%" G_GUINT64_FORMAT
            ":ERROR:%s", line_no, error->message));
  }
  return c->stop_after == 0 || c->lines->len < c->stop_after;
}

static Collected *
collected_new (void)
{
  Collected *c = g_new0 (Collected, 1);

  c->lines = g_ptr_array_new_with_free_func (g_free);
  return c;
}

static void
collected_free (Collected * c)
{
  g_ptr_array_unref (c->lines);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Collected, collected_free)

static gchar *
joined (Collected * c)
{
  gchar *s;

  g_ptr_array_add (c->lines, NULL);
  s = g_strjoinv ("|", (gchar **) c->lines->pdata);
  g_ptr_array_remove_index (c->lines, c->lines->len - 1);
  return s;
}

/* Feeds `input` cut at the given offsets (ascending), then finishes. */
static gchar *
feed (const gchar * input, gsize len, gsize max_line, const gsize * cuts,
    guint n_cuts)
{
  g_autoptr (MtLineAssembler) la = mt_line_assembler_new (max_line);
  g_autoptr (Collected) c = collected_new ();
  gsize pos = 0;
  guint i;

  for (i = 0; i <= n_cuts; i++) {
    gsize end = i < n_cuts ? cuts[i] : len;

    g_assert_true (mt_line_assembler_push (la, (const guint8 *) input + pos,
            end - pos, collect, c));
    pos = end;
  }
  g_assert_true (mt_line_assembler_finish (la, collect, c));
  return joined (c);
}

static const gchar mixed[] =
    "{\"a\":1}\n\r\n{\"b\":\"\xc3\xa9t\xc3\xa9\"}\r\n   \n{\"c\":3}";
static const gchar mixed_expected[] =
    "1:{\"a\":1}|3:{\"b\":\"\xc3\xa9t\xc3\xa9\"}|5:{\"c\":3}";

static void
test_whole (void)
{
  g_autofree gchar *out = feed (mixed, strlen (mixed), 0, NULL, 0);

  /* Blank lines (line 2: a lone CRLF, line 4: spaces) are skipped, but
   * the numbers of the lines after them stay those of the input. */
  g_assert_cmpstr (out, ==, mixed_expected);
}

static void
test_split_everywhere (void)
{
  gsize len = strlen (mixed);
  gsize i, j;

  /* One cut at every byte (inside "\r\n", inside "é"), then every pair. */
  for (i = 0; i <= len; i++) {
    g_autofree gchar *out = feed (mixed, len, 0, &i, 1);

    g_assert_cmpstr (out, ==, mixed_expected);
  }
  for (i = 0; i <= len; i++) {
    for (j = i; j <= len; j++) {
      gsize cuts[2] = { i, j };
      g_autofree gchar *out = feed (mixed, len, 0, cuts, 2);

      g_assert_cmpstr (out, ==, mixed_expected);
    }
  }
}

static void
test_byte_at_a_time (void)
{
  gsize len = strlen (mixed);
  g_autofree gsize *cuts = g_new (gsize, len);
  g_autofree gchar *out = NULL;
  gsize i;

  for (i = 0; i < len; i++)
    cuts[i] = i + 1;
  out = feed (mixed, len, 0, cuts, len);
  g_assert_cmpstr (out, ==, mixed_expected);
}

static void
test_final_newline_or_not (void)
{
  g_autofree gchar *with = feed ("{}\n{}\n", 6, 0, NULL, 0);
  g_autofree gchar *without = feed ("{}\n{}", 5, 0, NULL, 0);
  g_autofree gchar *crlf = feed ("{}\r\n{}\r\n", 8, 0, NULL, 0);
  g_autofree gchar *lone_cr = feed ("{}\r", 3, 0, NULL, 0);

  g_assert_cmpstr (with, ==, "1:{}|2:{}");
  g_assert_cmpstr (without, ==, "1:{}|2:{}");
  g_assert_cmpstr (crlf, ==, "1:{}|2:{}");
  /* A last line ending in "\r" without "\n" is still a CRLF line. */
  g_assert_cmpstr (lone_cr, ==, "1:{}");
}

static void
test_too_long (void)
{
  /* max 10: line 2 has 11 bytes, line 4 exactly 10 (plus "\r\n"). */
  static const gchar input[] =
      "0123456789\nABCDEFGHIJK\nshort\n9876543210\r\nlast-one-too-long";
  gsize len = strlen (input);
  gsize i;

  for (i = 0; i <= len; i++) {
    g_autofree gchar *out = feed (input, len, 10, &i, 1);

    g_assert_cmpstr (out, ==, "1:0123456789|"
        "2:ERROR:line 2 is longer than 10 bytes|3:short|4:9876543210|"
        "5:ERROR:line 5 is longer than 10 bytes");
  }
}

static void
test_too_long_reported_once_memory_bounded (void)
{
  g_autoptr (MtLineAssembler) la = mt_line_assembler_new (100);
  g_autoptr (Collected) c = collected_new ();
  guint8 block[64];
  g_autofree gchar *out = NULL;
  guint i;

  /* 6.4 MB on one line through a 100-byte limit: one report, and the
   * assembler keeps going with the next line. */
  memset (block, 'x', sizeof (block));
  for (i = 0; i < 100000; i++)
    g_assert_true (mt_line_assembler_push (la, block, sizeof (block), collect,
            c));
  g_assert_true (mt_line_assembler_push (la, (const guint8 *) "\n{}\n", 4,
          collect, c));
  out = joined (c);
  g_assert_cmpstr (out, ==, "1:ERROR:line 1 is longer than 100 bytes|2:{}");
  g_assert_cmpuint (mt_line_assembler_get_line_count (la), ==, 2);
}

static void
test_stop_and_reset (void)
{
  g_autoptr (MtLineAssembler) la = mt_line_assembler_new (0);
  g_autoptr (Collected) c = collected_new ();
  g_autofree gchar *out = NULL;

  c->stop_after = 2;
  g_assert_false (mt_line_assembler_push (la, (const guint8 *) "a\nb\nc\n", 6,
          collect, c));
  g_assert_cmpuint (c->lines->len, ==, 2);

  /* After a flush, numbering starts again and no partial line is left. */
  mt_line_assembler_reset (la);
  g_ptr_array_set_size (c->lines, 0);
  c->stop_after = 0;
  g_assert_true (mt_line_assembler_push (la, (const guint8 *) "part", 4,
          collect, c));
  mt_line_assembler_reset (la);
  g_assert_true (mt_line_assembler_push (la, (const guint8 *) "x\n", 2,
          collect, c));
  out = joined (c);
  g_assert_cmpstr (out, ==, "1:x");
}

static void
test_parse (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) obj = NULL;
  static const gchar bad_utf8[] = "{\"text\":\"\xff\xfe\"}";

  obj = mt_json_line_parse ("{\"text\":\"hi\"}", 13, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (obj, "text"), ==, "hi");

  g_assert_null (mt_json_line_parse (bad_utf8, strlen (bad_utf8), 7, &error));
  g_assert_error (error, MT_LINE_ERROR, MT_LINE_ERROR_NOT_JSON);
  g_assert_nonnull (strstr (error->message, "line 7"));
  g_assert_nonnull (strstr (error->message, "UTF-8"));
  g_clear_error (&error);

  g_assert_null (mt_json_line_parse ("{\"a\":", 5, 8, &error));
  g_assert_error (error, MT_LINE_ERROR, MT_LINE_ERROR_NOT_JSON);
  g_assert_true (g_str_has_prefix (error->message, "line 8 is not JSON: "));
  g_clear_error (&error);

  g_assert_null (mt_json_line_parse ("[1,2]", 5, 12, &error));
  g_assert_error (error, MT_LINE_ERROR, MT_LINE_ERROR_NOT_OBJECT);
  g_assert_cmpstr (error->message, ==,
      "line 12 is a JSON array, not an object");
  g_clear_error (&error);

  g_assert_null (mt_json_line_parse ("\"s\"", 3, 13, &error));
  g_assert_error (error, MT_LINE_ERROR, MT_LINE_ERROR_NOT_OBJECT);
  g_assert_cmpstr (error->message, ==,
      "line 13 is a JSON string, not an object");
}

/* A dead letter must parse as one JSON object and give the bytes back. */
static JsonObject *
parse_letter (const gchar * letter)
{
  g_autoptr (GError) error = NULL;
  JsonObject *obj;

  g_assert_null (strchr (letter, '\n'));
  obj = mt_json_line_parse (letter, strlen (letter), 1, &error);
  g_assert_no_error (error);
  return obj;
}

static void
test_dead_letters (void)
{
  static const gchar ctl[] = "{\"a\":\"x\x1f\x01\ty\"} \x7f";
  static const gchar bad[] = "ab\xc3(\0z";
  g_autofree gchar *l1 = mt_dead_letter_line (ctl, strlen (ctl), 3,
      "line 3 is not JSON");
  g_autofree gchar *l2 = mt_dead_letter_line (bad, sizeof (bad) - 1, 4,
      "not UTF-8");
  g_autofree gchar *l3 = mt_dead_letter_line (NULL, 0, 5,
      "line 5 is longer than 10 bytes");
  g_autoptr (JsonObject) o1 = parse_letter (l1);
  g_autoptr (JsonObject) o2 = parse_letter (l2);
  g_autoptr (JsonObject) o3 = parse_letter (l3);
  g_autofree guchar *bytes = NULL;
  gsize n;

  g_assert_cmpint (json_object_get_int_member (o1, "line"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (o1, "reason"), ==,
      "line 3 is not JSON");
  g_assert_cmpstr (json_object_get_string_member (o1, "text"), ==, ctl);
  /* Strict JSON: no raw control byte anywhere (json-glib alone leaves
   * 0x1F raw). */
  for (n = 0; l1[n]; n++)
    g_assert_cmpint ((guchar) l1[n], >=, 0x20);

  g_assert_false (json_object_has_member (o2, "text"));
  bytes = g_base64_decode (json_object_get_string_member (o2, "base64"), &n);
  g_assert_cmpmem (bytes, n, bad, sizeof (bad) - 1);

  g_assert_cmpint (json_object_get_int_member (o3, "line"), ==, 5);
  g_assert_false (json_object_has_member (o3, "text"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/jsonlines/whole", test_whole);
  g_test_add_func ("/jsonlines/split-everywhere", test_split_everywhere);
  g_test_add_func ("/jsonlines/byte-at-a-time", test_byte_at_a_time);
  g_test_add_func ("/jsonlines/final-newline", test_final_newline_or_not);
  g_test_add_func ("/jsonlines/too-long", test_too_long);
  g_test_add_func ("/jsonlines/too-long-once",
      test_too_long_reported_once_memory_bounded);
  g_test_add_func ("/jsonlines/stop-and-reset", test_stop_and_reset);
  g_test_add_func ("/jsonlines/parse", test_parse);
  g_test_add_func ("/jsonlines/dead-letters", test_dead_letters);
  return g_test_run ();
}
