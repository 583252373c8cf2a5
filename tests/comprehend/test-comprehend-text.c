/* comprehend's text code on its own, no pipeline: VADER against the
 * reference scores its authors publish, RAKE, the language guess, the
 * splitter that keeps texts under Comprehend's 5,000 bytes, and the
 * mapping of text offsets to transcript times and Textract boxes. Needs
 * the NLP data (tools/fetch-models); skipped, saying so, without it. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "gstcomprehend.h"
#include "local.h"

static MtNlpData *data;

static void
skip_without_data (void)
{
  if (!data)
    g_test_skip ("no NLP data: run tools/fetch-models");
}

/* The demo sentences and scores of vaderSentiment (C.J. Hutto), as the
 * npm vader-sentiment 1.1.3 tests carry them. */
static const struct
{
  const gchar *text;
  gdouble neg, neu, pos, compound;
} vader_cases[] = {
  {"VADER is smart, handsome, and funny.", 0.0, 0.254, 0.746, 0.8316},
  {"VADER is not smart, handsome, nor funny.", 0.646, 0.354, 0.0, -0.7424},
  {"VADER is smart, handsome, and funny!", 0.0, 0.248, 0.752, 0.8439},
  {"VADER is very smart, handsome, and funny.", 0.0, 0.299, 0.701, 0.8545},
  {"VADER is VERY SMART, handsome, and FUNNY.", 0.0, 0.246, 0.754, 0.9227},
  {"VADER is VERY SMART, handsome, and FUNNY!!!", 0.0, 0.233, 0.767, 0.9342},
  {"VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!", 0.0, 0.294,
      0.706, 0.9469},
  {"The book was good.", 0.0, 0.508, 0.492, 0.4404},
  {"The book was kind of good.", 0.0, 0.657, 0.343, 0.3832},
  {"The plot was good, but the characters are uncompelling and the dialog "
        "is not great.", 0.327, 0.579, 0.094, -0.7042},
  {"At least it isn't a horrible book.", 0.0, 0.637, 0.363, 0.431},
  {"Make sure you :) or :D today!", 0.0, 0.294, 0.706, 0.8633},
  {"Today SUX!", 0.779, 0.221, 0.0, -0.5461},
  {"Today only kinda sux! But I'll get by, lol", 0.179, 0.569, 0.251, 0.2228},
};

static void
test_vader_reference (void)
{
  guint i;

  skip_without_data ();
  if (!data)
    return;
  for (i = 0; i < G_N_ELEMENTS (vader_cases); i++) {
    const gchar *t = vader_cases[i].text;
    MtVaderScores s = mt_vader_sentence (data, t, strlen (t));

    g_test_message ("%s: compound %.4f (ref %.4f) pos %.3f neg %.3f neu %.3f",
        t, s.compound, vader_cases[i].compound, s.pos, s.neg, s.neu);
    g_assert_cmpfloat_with_epsilon (s.compound, vader_cases[i].compound,
        0.0006);
    g_assert_cmpfloat_with_epsilon (s.pos, vader_cases[i].pos, 0.0006);
    g_assert_cmpfloat_with_epsilon (s.neg, vader_cases[i].neg, 0.0006);
    g_assert_cmpfloat_with_epsilon (s.neu, vader_cases[i].neu, 0.0006);
  }
}

/* Entities: precision and recall per type on sentences written for this
 * test (entities-gold.json), exact text and type. The figures are in
 * docs/elements/comprehend.md; the floors here catch regressions. */
typedef struct
{
  guint tp, fp, fn;
} Count;

static Count *
count_for (GHashTable * counts, const gchar * type)
{
  Count *c = g_hash_table_lookup (counts, type);

  if (!c) {
    c = g_new0 (Count, 1);
    g_hash_table_insert (counts, g_strdup (type), c);
  }
  return c;
}

static void
score_sentence (JsonObject * gold, GHashTable * counts)
{
  const gchar *text = json_object_get_string_member (gold, "text");
  JsonArray *want = json_object_get_array_member (gold, "entities");
  g_autoptr (GArray) got = mt_entities (data, text, strlen (text));
  g_autoptr (GHashTable) expected = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  guint i;

  for (i = 0; i < json_array_get_length (want); i++) {
    JsonArray *e = json_array_get_array_element (want, i);

    g_hash_table_add (expected, g_strdup_printf ("%s|%s",
            json_array_get_string_element (e, 0),
            json_array_get_string_element (e, 1)));
  }
  for (i = 0; i < got->len; i++) {
    MtEntity *e = &g_array_index (got, MtEntity, i);
    g_autofree gchar *name = g_strndup (text + e->begin, e->end - e->begin);
    g_autofree gchar *key = g_strdup_printf ("%s|%s", name, e->type);

    if (g_hash_table_remove (expected, key)) {
      count_for (counts, e->type)->tp++;
    } else {
      count_for (counts, e->type)->fp++;
      g_test_message ("false positive: %s in \"%s\"", key, text);
    }
  }
  {
    GHashTableIter it;
    gpointer key;

    g_hash_table_iter_init (&it, expected);
    while (g_hash_table_iter_next (&it, &key, NULL)) {
      count_for (counts, strchr (key, '|') + 1)->fn++;
      g_test_message ("missed: %s in \"%s\"", (gchar *) key, text);
    }
  }
}

/* Prints precision and recall per type over one file; returns the totals. */
static Count
measure (const gchar * file)
{
  static const gchar *const types[] = { "PERSON", "LOCATION", "ORGANIZATION",
    "DATE", "QUANTITY", "TITLE", "COMMERCIAL_ITEM", "EVENT"
  };
  g_autofree gchar *path = g_build_filename (g_getenv ("MEDIATAG_SOURCE_ROOT")
      ? g_getenv ("MEDIATAG_SOURCE_ROOT") : ".", "tests", "comprehend",
      file, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, g_free);
  g_autoptr (GError) error = NULL;
  JsonArray *gold;
  Count all = { 0, };
  guint i;

  g_printerr ("# %s\n", file);
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  gold = json_node_get_array (json_parser_get_root (parser));
  for (i = 0; i < json_array_get_length (gold); i++)
    score_sentence (json_array_get_object_element (gold, i), counts);
  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    Count *c = count_for (counts, types[i]);

    g_printerr ("# %-16s precision %3u/%-3u = %.2f  recall %3u/%-3u = %.2f\n",
        types[i], c->tp, c->tp + c->fp,
        c->tp + c->fp ? (gdouble) c->tp / (c->tp + c->fp) : 0.0, c->tp,
        c->tp + c->fn, c->tp + c->fn ? (gdouble) c->tp / (c->tp + c->fn) : 0);
    all.tp += c->tp;
    all.fp += c->fp;
    all.fn += c->fn;
  }
  g_printerr ("# %-16s precision %3u/%-3u = %.2f  recall %3u/%-3u = %.2f\n",
      "all", all.tp, all.tp + all.fp, (gdouble) all.tp / (all.tp + all.fp),
      all.tp, all.tp + all.fn, (gdouble) all.tp / (all.tp + all.fn));
  return all;
}

/* entities-gold.json was written first and the rules tuned on it;
 * entities-heldout.json was written after, and never tuned on: its
 * figures are the honest ones. */
static void
test_entities_gold (void)
{
  Count dev, held;

  skip_without_data ();
  if (!data)
    return;
  dev = measure ("entities-gold.json");
  held = measure ("entities-heldout.json");
  g_assert_cmpfloat ((gdouble) dev.tp / (dev.tp + dev.fp), >=, 0.9);
  g_assert_cmpfloat ((gdouble) dev.tp / (dev.tp + dev.fn), >=, 0.85);
  g_assert_cmpfloat ((gdouble) held.tp / (held.tp + held.fp), >=, 0.7);
  g_assert_cmpfloat ((gdouble) held.tp / (held.tp + held.fn), >=, 0.6);
}

static void
test_rake (void)
{
  const gchar *text = "Compatibility of systems of linear constraints over "
      "the set of natural numbers. Criteria of compatibility of a system of "
      "linear Diophantine equations, strict inequations, and nonstrict "
      "inequations are considered. Upper bounds for components of a minimal "
      "set of solutions and algorithms of construction of minimal generating "
      "sets of solutions for all types of systems are given.";
  g_autoptr (GArray) k = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint i;

  skip_without_data ();
  if (!data)
    return;
  k = mt_rake (data, "en", text, strlen (text));
  g_assert_nonnull (k);
  for (i = 0; i < k->len; i++) {
    MtKeyPhrase *p = &g_array_index (k, MtKeyPhrase, i);

    g_ptr_array_add (names, g_strndup (text + p->begin, p->end - p->begin));
    g_test_message ("%.2f %.1f %s", p->score, p->confidence,
        (gchar *) g_ptr_array_index (names, i));
    g_assert_cmpfloat (p->confidence, >=, 50);
    g_assert_cmpfloat (p->confidence, <=, 100);
  }
  /* RAKE's own paper example: its top phrases are the long technical ones
   * (the stopword list differs from the paper's, so not word for word). */
  g_assert_cmpfloat (g_array_index (k, MtKeyPhrase, 0).confidence, ==, 100);
  g_assert_true (g_ptr_array_find_with_equal_func (names,
          "linear Diophantine equations", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (names,
          "minimal generating sets", g_str_equal, NULL)
      || g_ptr_array_find_with_equal_func (names,
          "minimal generating", g_str_equal, NULL));
  g_assert_null (mt_rake (data, "xx", text, strlen (text)));
}

static void
test_language_guess (void)
{
  static const struct
  {
    const gchar *text, *lang;
  } cases[] = {
    {"The weather is nice today and we are going to the park with the "
          "children.", "en"},
    {"Der Hund ist sehr groß und er spielt gern mit den Kindern im Garten.",
        "de"},
    {"El perro es muy grande y le gusta jugar con los niños en el jardín.",
        "es"},
    {"Le chien est très grand et il aime jouer avec les enfants dans le "
          "jardin.", "fr"},
    {"今日はとても良い天気ですね。公園に行きましょう。",
        "ja"},
    {"今天天气很好，我们去公园吧。", "zh"},
    {"오늘은 날씨가 아주 좋습니다.", "ko"},
    {"xq zzv plk", "und"},
    /* An invoice page as textractsink joins it: few function words, and
     * digits that Spanish's stopword list has ("1", "4", "7"). */
    {"Quarterly Invoice Report\nInvoice Number: INV-2026-0042\n"
          "Customer: Acme Widgets Limited\n<script>alert(1)</script>\n"
          "Item\nQuantity\nPrice\nBlue widget\n4\n12.50\nRed gadget\n10\n"
          "3.75\nGreen sprocket\n7\n8.00", "en"},
    {"Approved by Jane Smith, Finance Director, London.", "en"},
    {"Item Quantity Price", "en"},
    {"4 7 1 12.50", "und"},
    {"Größe Straße Übergröße", "und"},
  };
  guint i;

  skip_without_data ();
  if (!data)
    return;
  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpstr (mt_nlp_guess_language (data, cases[i].text,
            strlen (cases[i].text)), ==, cases[i].lang);
}

/* A 12 KB text becomes parts of at most 5,000 bytes that end at sentence
 * ends, cover it exactly, and never cut a UTF-8 character. */
static void
test_split (void)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autoptr (GArray) parts = NULL;
  gsize covered = 0;
  guint i;

  for (i = 0; s->len < 12 * 1024; i++)
    g_string_append_printf (s, "Sentence number %u says café and naïve "
        "things about Zürich. ", i);
  parts = mt_text_split (s->str, s->len, 5000);
  g_assert_cmpuint (parts->len, ==, 3);
  for (i = 0; i < parts->len; i++) {
    MtTextPart *p = &g_array_index (parts, MtTextPart, i);

    g_assert_cmpuint (p->offset, ==, covered);
    g_assert_cmpuint (p->len, <=, 5000);
    g_assert_true (g_utf8_validate (s->str + p->offset, p->len, NULL));
    if (i + 1 < parts->len) {
      g_autofree gchar *part = g_strndup (s->str + p->offset, p->len);

      g_assert_true (g_str_has_suffix (part, ". "));
    }
    covered += p->len;
  }
  g_assert_cmpuint (covered, ==, s->len);

  /* No sentence end, no space: cut at a character boundary. */
  g_string_truncate (s, 0);
  for (i = 0; i < 3000; i++)
    g_string_append (s, "é");
  g_clear_pointer (&parts, g_array_unref);
  parts = mt_text_split (s->str, s->len, 5000);
  g_assert_cmpuint (parts->len, ==, 2);
  g_assert_cmpuint (g_array_index (parts, MtTextPart, 0).len, ==, 5000);
  g_assert_cmpuint (g_array_index (parts, MtTextPart, 1).len, ==, 1000);
}

static JsonObject *
parse_object (const gchar * json)
{
  g_autoptr (JsonParser) p = json_parser_new ();

  g_assert_true (json_parser_load_from_data (p, json, -1, NULL));
  return json_node_dup_object (json_parser_get_root (p));
}

/* Offsets become the times of the words they span. */
static void
test_source_transcript (void)
{
  g_autoptr (JsonObject) doc = parse_object ("{\"id\": \"seg1\", \"asset\": "
      "\"file:///a.wav\", \"analysis\": \"transcript\", \"timestamp\": 1000, "
      "\"end\": 4000, \"text\": \"Hello Paris, it is sunny.\", \"detail\": "
      "{\"words\": [{\"word\": \"hello\", \"start\": 1000, \"end\": 1400}, "
      "{\"word\": \"Paris\", \"start\": 1500, \"end\": 2000}, {\"word\": "
      "\"it\", \"start\": 2100, \"end\": 2200}, {\"word\": \"is\", \"start\": "
      "2200, \"end\": 2400}, {\"word\": \"sunny\", \"start\": 2500, \"end\": "
      "3900}]}}");
  g_autoptr (MtTextSource) src = mt_text_source_new (doc, NULL, NULL);
  g_autoptr (JsonObject) r = NULL, whole = NULL;

  /* "Paris" is bytes 6-11. */
  r = mt_text_source_result (src, "entity", "test", "Paris", 90, 6, 11);
  g_assert_cmpstr (json_object_get_string_member (r, "source"), ==, "seg1");
  g_assert_cmpstr (json_object_get_string_member (r, "asset"), ==,
      "file:///a.wav");
  g_assert_cmpint (json_object_get_int_member (r, "timestamp"), ==, 1500);
  g_assert_cmpint (json_object_get_int_member (r, "end"), ==, 2000);
  /* "it is sunny" spans three words. */
  whole = mt_text_source_result (src, "keyphrase", "test", "x", 90, 13, 24);
  g_assert_cmpint (json_object_get_int_member (whole, "timestamp"), ==, 2100);
  g_assert_cmpint (json_object_get_int_member (whole, "end"), ==, 3900);
}

/* Offsets become the page and the union of the Textract words' boxes. */
static void
test_source_document (void)
{
  g_autoptr (JsonObject) doc = parse_object ("{\"id\": \"p1\", \"analysis\": "
      "\"document\", \"page\": 2, \"text\": \"Acme Corp\\nInvoice\", "
      "\"detail\": {\"Blocks\": [{\"BlockType\": \"LINE\", \"Text\": \"Acme "
      "Corp\"}, {\"BlockType\": \"WORD\", \"Text\": \"Acme\", \"Geometry\": "
      "{\"BoundingBox\": {\"Left\": 0.1, \"Top\": 0.2, \"Width\": 0.1, "
      "\"Height\": 0.05}}}, {\"BlockType\": \"WORD\", \"Text\": \"Corp\", "
      "\"Geometry\": {\"BoundingBox\": {\"Left\": 0.25, \"Top\": 0.21, "
      "\"Width\": 0.1, \"Height\": 0.05}}}]}}");
  g_autoptr (MtTextSource) src = mt_text_source_new (doc, "s3://b/k.pdf", NULL);
  g_autoptr (JsonObject) r = mt_text_source_result (src, "entity", "test",
      "Acme Corp", 90, 0, 9);
  JsonObject *box = json_object_get_object_member (r, "box");

  g_assert_cmpstr (json_object_get_string_member (r, "asset"), ==,
      "s3://b/k.pdf");
  g_assert_cmpint (json_object_get_int_member (r, "page"), ==, 2);
  g_assert_false (json_object_has_member (r, "timestamp"));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (box, "left"),
      0.1, 1e-9);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (box, "top"),
      0.2, 1e-9);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (box,
          "width"), 0.25, 1e-9);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (box,
          "height"), 0.06, 1e-9);
}

static void
test_source_bad_text (void)
{
  g_autoptr (JsonObject) empty = parse_object ("{\"text\": \"\"}");
  g_autoptr (JsonObject) none = parse_object ("{\"name\": \"Dog\"}");
  g_autoptr (JsonObject) bad = json_object_new ();
  g_autoptr (GError) error = NULL;

  g_assert_null (mt_text_source_new (empty, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (mt_text_source_new (none, NULL, &error));
  g_assert_no_error (error);
  json_object_set_string_member (bad, "text", "caf\xc3");
  g_assert_null (mt_text_source_new (bad, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_accepts (void)
{
  static const struct
  {
    const gchar *json;
    gboolean accepted;
  } cases[] = {
    {"{\"analysis\": \"transcript\", \"text\": \"hi\"}", TRUE},
    {"{\"analysis\": \"text\", \"text\": \"hi\"}", TRUE},
    {"{\"analysis\": \"document\", \"text\": \"hi\"}", TRUE},
    /* A Textract line: its page's document carries the same words. */
    {"{\"analysis\": \"text\", \"text\": \"hi\", \"detail\": "
          "{\"Block\": {\"BlockType\": \"LINE\", \"Text\": \"hi\"}}}", FALSE},
    {"{\"analysis\": \"text\", \"text\": \"hi\", \"detail\": "
          "{\"Block\": {\"BlockType\": \"WORD\"}}}", TRUE},
    {"{\"text\": \"anything with text\"}", TRUE},
    {"{\"analysis\": \"label\", \"name\": \"Dog\", \"text\": \"Dog\"}", FALSE},
    {"{\"analysis\": \"face\", \"confidence\": 99}", FALSE},
    {"{\"analysis\": \"keyphrase\", \"text\": \"loop\"}", FALSE},
    {"{\"analysis\": \"transcript\", \"text\": 5}", FALSE},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (JsonObject) o = parse_object (cases[i].json);

    g_assert_cmpint (mt_comprehend_accepts (o), ==, cases[i].accepted);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  data = mt_nlp_data_load (NULL, NULL);
  g_test_add_func ("/comprehend/vader/reference", test_vader_reference);
  g_test_add_func ("/comprehend/rake", test_rake);
  g_test_add_func ("/comprehend/entities/gold", test_entities_gold);
  g_test_add_func ("/comprehend/language", test_language_guess);
  g_test_add_func ("/comprehend/split", test_split);
  g_test_add_func ("/comprehend/source/transcript", test_source_transcript);
  g_test_add_func ("/comprehend/source/document", test_source_document);
  g_test_add_func ("/comprehend/source/bad-text", test_source_bad_text);
  g_test_add_func ("/comprehend/accepts", test_accepts);
  return g_test_run ();
}
