/* mediatag analyze: the audio, document and comprehend branches.
 *
 * One asset is one pipeline. Beside the vision branch (mediatag-analyze.c)
 * the audio branch reads the same source again, decoding only its audio
 * (decodebin caps=audio/x-raw ! queue ! audioconvert ! audioresample !
 * transcribesink); documents
 * (PDF, TIFF, and images when a document feature is asked for) are read
 * by textractsink straight from their own source, as typefind sees them.
 * comprehend follows transcribesink and textractsink on their src pads:
 * it passes their documents through (on to opensearchsink) and adds its
 * own.
 *
 * Each analysis element writes its own `location`; the asset's one
 * results file is the vision branch's (or, without vision, the first
 * branch's) with the others appended after the run. Every element writes
 * each document once and comprehend's location holds only its own
 * documents, so each id is in the file exactly once. */
#include <gst/gst.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "mediatag-branches.h"
#include "mediatag-csv.h"
#include "mediatag-subtitles.h"

#define DEFAULT_DOCUMENT_FEATURES "text+tables+forms"
#define DEFAULT_COMPREHEND_FEATURES "keyphrases+entities+sentiment"
#define TOP_N 5

/* --features names that belong to textractsink ("text" stays vision's:
 * documents always get it) and to comprehend. */
static const gchar *document_names[] = { "tables", "forms", "queries",
  "signatures", "layout", "expense", "identity", NULL
};

static const struct {
  const gchar *name;
  const gchar *feature;
} comprehend_names[] = {
  {"keyphrases", "keyphrases"}, {"keyphrase", "keyphrases"},
  {"entities", "entities"}, {"entity", "entities"},
  {"sentiment", "sentiment"},
};

/* The object member `name`, or NULL (json-glib 1.6 has no _with_default). */
static JsonObject *
object_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

void
mt_branch_options_init (MtBranchOptions * bo)
{
  memset (bo, 0, sizeof *bo);
  bo->transcribe = TRUE;
  bo->textract = TRUE;
}

void
mt_branch_options_clear (MtBranchOptions * bo)
{
  g_free (bo->comprehend_features);
  g_free (bo->document_features);
  g_free (bo->language_code);
  g_free (bo->vocabulary_name);
  g_free (bo->language_model_name);
  g_free (bo->vocabulary);
  g_free (bo->queries);
  g_free (bo->pages);
  g_free (bo->bucket);
  g_free (bo->opensearch_sigv4);
}

GOptionGroup *
mt_branch_options_group (MtBranchOptions * bo)
{
  GOptionEntry entries[] = {
    {"language-code", 0, 0, G_OPTION_ARG_STRING, &bo->language_code,
        "Language spoken, for the transcript (default en-US)", "CODE"},
    {"vocabulary-name", 0, 0, G_OPTION_ARG_STRING, &bo->vocabulary_name,
        "Transcribe custom vocabulary (AWS)", "NAME"},
    {"language-model-name", 0, 0, G_OPTION_ARG_STRING,
          &bo->language_model_name,
        "Transcribe custom language model (AWS)", "NAME"},
    {"vocabulary", 0, 0, G_OPTION_ARG_STRING, &bo->vocabulary,
        "Local speech engine: comma-separated words to recognise", "WORDS"},
    {"transcribe-bucket", 0, 0, G_OPTION_ARG_STRING, &bo->bucket,
          "AWS: transcribe in batch mode through this S3 bucket (default: "
          "streaming)", "BUCKET"},
    {"queries", 0, 0, G_OPTION_ARG_STRING, &bo->queries,
        "Questions for the queries feature, separated by '|'", "Q1|Q2"},
    {"pages", 0, 0, G_OPTION_ARG_STRING, &bo->pages,
        "Pages of PDFs and TIFFs to analyse, e.g. 1-5,9 (default all)",
        "RANGE"},
    {NULL}
  };
  GOptionGroup *g = g_option_group_new ("branches", "Speech and documents:",
      "Options of the speech, document and comprehend analyses", NULL, NULL);

  g_option_group_add_entries (g, entries);
  return g;
}

/* ---- aiOptions -------------------------------------------------------- */

/* Bare, {"aiOptions": ...} or {"input": {"aiOptions": ...}}, as
 * mediatag-aioptions.c reads them (which has checked the file already). */
static JsonObject *
ai_object (JsonNode * root)
{
  JsonObject *o;

  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  o = json_node_get_object (root);
  if (json_object_has_member (o, "input")
      && JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "input")))
    o = json_object_get_object_member (o, "input");
  if (json_object_has_member (o, "aiOptions")
      && JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "aiOptions")))
    o = json_object_get_object_member (o, "aiOptions");
  return o;
}

static gboolean
ai_flag (JsonObject * o, const gchar * name, gboolean * present,
    gboolean * value, GError ** error)
{
  JsonNode *n = json_object_get_member (o, name);

  *present = n && !JSON_NODE_HOLDS_NULL (n);
  if (!*present)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_BOOLEAN) {
    *value = json_node_get_boolean (n);
    return TRUE;
  }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "aiOptions \"%s\": not allowed: it takes true or false", name);
  return FALSE;
}

/* A string member into *field, unless the command line set it. */
static gboolean
ai_string (JsonObject * o, const gchar * name, gchar ** field,
    GError ** error)
{
  JsonNode *n = json_object_get_member (o, name);

  if (!n || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_STRING) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "aiOptions \"%s\": not allowed: it takes a string", name);
    return FALSE;
  }
  if (!*field && *json_node_get_string (n))
    *field = g_strdup (json_node_get_string (n));
  return TRUE;
}

/* keyphrase, entity, sentiment: when any is given, exactly those that are
 * true run. */
static gboolean
ai_comprehend (MtBranchOptions * bo, JsonObject * o, GError ** error)
{
  static const gchar *keys[][2] = { {"keyphrase", "keyphrases"},
  {"entity", "entities"}, {"sentiment", "sentiment"}
  };
  g_autoptr (GString) f = g_string_new (NULL);
  gboolean any = FALSE, present, on;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (keys); i++) {
    on = FALSE;
    if (!ai_flag (o, keys[i][0], &present, &on, error))
      return FALSE;
    any |= present;
    if (on)
      g_string_append_printf (f, "%s%s", f->len ? "+" : "", keys[i][1]);
  }
  if (any) {
    g_free (bo->comprehend_features);
    bo->comprehend_features = g_strdup (f->str);
  }
  return TRUE;
}

gboolean
mt_branch_options_load_ai (MtBranchOptions * bo, const gchar * path,
    GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;
  gboolean present, on;

  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;
  if (!(o = ai_object (json_parser_get_root (parser))))
    return TRUE;
  on = TRUE;
  if (!ai_flag (o, "transcribe", &present, &on, error))
    return FALSE;
  bo->transcribe = on;
  on = TRUE;
  if (!ai_flag (o, "textract", &present, &on, error))
    return FALSE;
  bo->textract = on;
  return ai_comprehend (bo, o, error)
      && ai_string (o, "languageCode", &bo->language_code, error)
      && ai_string (o, "customVocabulary", &bo->vocabulary_name, error)
      && ai_string (o, "customLanguageModel", &bo->language_model_name,
      error);
}

/* ---- --features ------------------------------------------------------- */

static const gchar *
comprehend_feature (const gchar * name)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (comprehend_names); i++)
    if (!strcmp (name, comprehend_names[i].name))
      return comprehend_names[i].feature;
  return NULL;
}

static void
join (GString * s, const gchar * word)
{
  g_string_append_printf (s, "%s%s", s->len ? "+" : "", word);
}

gchar *
mt_branch_feature_names (void)
{
  g_autofree gchar *docs = g_strjoinv (", ", (gchar **) document_names);

  return g_strdup_printf ("%s (documents); keyphrases, entities, sentiment "
      "(text)", docs);
}

gboolean
mt_branch_options_take_features (MtBranchOptions * bo, gchar ** features,
    const gchar * vision_default, GError ** error)
{
  g_auto (GStrv) names = g_strsplit (*features, "+", -1);
  g_autoptr (GString) vision = g_string_new (NULL);
  g_autoptr (GString) doc = g_string_new (NULL);
  g_autoptr (GString) nlp = g_string_new (NULL);
  guint i;

  for (i = 0; names[i]; i++) {
    const gchar *c = comprehend_feature (names[i]);

    if (g_strv_contains (document_names, names[i]))
      join (doc, names[i]);
    else if (c)
      join (nlp, c);
    else
      join (vision, names[i]);
  }
  if (strstr (doc->str, "queries") && !bo->queries) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--features %s: queries needs the questions: --queries "
        "\"Q1|Q2\"", *features);
    return FALSE;
  }
  if (doc->len)
    bo->document_features = g_strdup_printf ("text+%s", doc->str);
  if (nlp->len) {
    g_free (bo->comprehend_features);
    bo->comprehend_features = g_strdup (nlp->str);
  }
  bo->no_vision = !vision->len;
  g_free (*features);
  *features = g_strdup (vision->len ? vision->str : vision_default);
  return TRUE;
}

/* ---- the plan --------------------------------------------------------- */

void
mt_branch_plan_clear (MtBranchPlan * p)
{
  g_free (p->document_features);
  g_free (p->audio_location);
  g_free (p->document_location);
  g_free (p->comprehend_location);
}

static gboolean
nothing_to_do (const gchar * kind, const MtBranchOptions * bo,
    gboolean has_audio, GError ** error)
{
  const gchar *why = "no analysis asked for applies to it";

  if (!strcmp (kind, "audio") || (has_audio && bo->no_vision))
    why = "speech analysis is turned off (aiOptions transcribe false)";
  else if (!strcmp (kind, "document"))
    why = "document analysis is turned off (aiOptions textract false)";
  else if (!strcmp (kind, "image"))
    why = "--features names no feature for images";
  g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NOT_IMPLEMENTED,
      "%s: nothing analysed: %s", kind, why);
  return FALSE;
}

gboolean
mt_branch_plan_make (MtBranchPlan * p, const MtBranchOptions * bo,
    const gchar * kind, gboolean has_audio, const gchar * part,
    GError ** error)
{
  gboolean video = !strcmp (kind, "video"), image = !strcmp (kind, "image");
  const gchar *nlp = bo->comprehend_features ? bo->comprehend_features :
      DEFAULT_COMPREHEND_FEATURES;

  p->vision = (video || image) && !bo->no_vision;
  p->audio = bo->transcribe && (!strcmp (kind, "audio")
      || (video && has_audio));
  p->document = bo->textract && (!strcmp (kind, "document")
      || (image && bo->document_features));
  if (!p->vision && !p->audio && !p->document)
    return nothing_to_do (kind, bo, has_audio, error);
  p->comprehend = (p->audio || p->document) && *nlp;
  if (p->document)
    p->document_features = g_strdup (bo->document_features ?
        bo->document_features : DEFAULT_DOCUMENT_FEATURES);
  /* The vision branch writes the asset's file; without it, the one other
   * branch there is (audio and documents never meet) writes it. */
  if (p->vision && p->audio)
    p->audio_location = g_strconcat (part, ".audio", NULL);
  if (p->vision && p->document)
    p->document_location = g_strconcat (part, ".document", NULL);
  if (p->comprehend)
    p->comprehend_location = g_strconcat (part, ".comprehend", NULL);
  return TRUE;
}

/* ---- the launch line -------------------------------------------------- */

gchar *
mt_launch_quote (const gchar * value)
{
  GString *q = g_string_new ("\"");

  for (const gchar * c = value; *c; c++) {
    if (*c == '"' || *c == '\\')
      g_string_append_c (q, '\\');
    g_string_append_c (q, *c);
  }
  g_string_append_c (q, '"');
  return g_string_free (q, FALSE);
}

void
mt_launch_append_prop (GString * s, const gchar * prop, const gchar * value)
{
  g_autofree gchar *q = NULL;

  if (!value)
    return;
  q = mt_launch_quote (value);
  g_string_append_printf (s, " %s=%s", prop, q);
}

void
mt_branch_append_index (GString * s, const gchar * url, const gchar * sigv4)
{
  g_string_append (s, " ! opensearchsink");
  mt_launch_append_prop (s, "url", url);
  if (sigv4)
    g_string_append_printf (s, " aws-sigv4=true aws-service=%s", sigv4);
}

void
mt_branch_append_rate (GString * s, const gchar * element, gdouble max_tps)
{
  g_string_append_printf (s, " rate-group=%s", element);
  if (max_tps > 0) {
    gchar num[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append_printf (s, " max-tps=%s",
        g_ascii_dtostr (num, sizeof num, max_tps));
  }
}

/* comprehend reads the language of the text: "en-US" speech is "en" text.
 * Without a language code, English, as transcribesink assumes: the local
 * guess ("auto") takes the short lines of tables for no language at all. */
static gchar *
comprehend_language (const MtBranchOptions * bo)
{
  if (!bo->language_code)
    return g_strdup ("en");
  if (g_str_has_prefix (bo->language_code, "zh-TW"))
    return g_strdup ("zh-TW");
  return g_strndup (bo->language_code, strcspn (bo->language_code, "-_"));
}

/* After a branch's analysis element: comprehend, then the index. */
static void
append_tail (GString * s, const MtBranchPlan * p, const MtBranchOptions * bo,
    const gchar * backend, const gchar * opensearch)
{
  if (p->comprehend) {
    g_autofree gchar *lang = comprehend_language (bo);

    g_string_append_printf (s, " ! comprehend features=%s backend=%s",
        bo->comprehend_features ? bo->comprehend_features :
        DEFAULT_COMPREHEND_FEATURES, backend);
    mt_branch_append_rate (s, "comprehend", bo->max_tps);
    mt_launch_append_prop (s, "language-code", lang);
    mt_launch_append_prop (s, "location", p->comprehend_location);
  }
  if (opensearch)
    mt_branch_append_index (s, opensearch, bo->opensearch_sigv4);
}

/* The audio is read from its own source: framesampler seeks its frames'
 * decoder past what it skips, and a shared decodebin would skip the speech
 * with them (decoding every frame instead costs what sparse sampling
 * saves). decodebin decodes only the audio here. Rates above 16 kHz come
 * down to it (the local model's, what Transcribe recommends); lower ones
 * pass as they are, so that transcribesink knows telephone audio for what
 * it is (the local engine treats 8 kHz apart, and warns). */
static void
append_audio (GString * s, const MtBranchPlan * p, const MtBranchOptions * bo,
    const gchar * source, const gchar * backend, const gchar * location)
{
  g_string_append_printf (s, "%s%s ! decodebin caps=audio/x-raw ! queue"
      " ! audioconvert ! audioresample ! audio/x-raw,rate=[8000,16000]"
      " ! transcribesink", s->len ? " " : "", source);
  g_string_append_printf (s, " backend=%s", backend);
  mt_branch_append_rate (s, "transcribesink", bo->max_tps);
  mt_launch_append_prop (s, "language-code", bo->language_code);
  mt_launch_append_prop (s, "vocabulary-name", bo->vocabulary_name);
  mt_launch_append_prop (s, "language-model-name", bo->language_model_name);
  mt_launch_append_prop (s, "vocabulary", bo->vocabulary);
  if (bo->bucket) {
    g_string_append (s, " mode=batch");
    mt_launch_append_prop (s, "bucket", bo->bucket);
  }
  mt_launch_append_prop (s, "location", location);
}

static void
append_document (GString * s, const MtBranchPlan * p,
    const MtBranchOptions * bo, const gchar * source, const gchar * backend,
    const gchar * location)
{
  g_string_append_printf (s, "%s%s ! typefind", s->len ? " " : "", source);
  mt_launch_append_prop (s, "force-caps", p->document_caps);
  g_string_append_printf (s, " ! textractsink backend=%s features=%s",
      backend, p->document_features);
  mt_branch_append_rate (s, "textractsink", bo->max_tps);
  mt_launch_append_prop (s, "queries", bo->queries);
  mt_launch_append_prop (s, "pages", bo->pages);
  mt_launch_append_prop (s, "location", location);
}

void
mt_branch_plan_append (const MtBranchPlan * p, GString * launch,
    const MtBranchOptions * bo, const gchar * source, const gchar * backend,
    gdouble min_confidence, const gchar * part, const gchar * opensearch)
{
  if (p->audio) {
    append_audio (launch, p, bo, source, backend,
        p->audio_location ? p->audio_location : part);
    append_tail (launch, p, bo, backend, opensearch);
  }
  if (p->document) {
    append_document (launch, p, bo, source, backend,
        p->document_location ? p->document_location : part);
    append_tail (launch, p, bo, backend, opensearch);
  }
}

/* ---- after the run ---------------------------------------------------- */

/* `loc`, or `loc`.part that an element keeps when it did not reach EOS. */
static gchar *
branch_file (const gchar * loc)
{
  g_autofree gchar *inner = g_strconcat (loc, ".part", NULL);

  if (g_file_test (loc, G_FILE_TEST_EXISTS)) {
    g_unlink (inner);
    return g_strdup (loc);
  }
  if (g_file_test (inner, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&inner);
  return NULL;
}

/* The id of a result line, or NULL. */
static gchar *
line_id (JsonParser * parser, const gchar * line)
{
  JsonNode *root;
  JsonObject *o;

  if (!json_parser_load_from_data (parser, line, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  o = json_node_get_object (root);
  return g_strdup (json_object_get_string_member_with_default (o, "id",
          NULL));
}

/* Whole lines of `loc`'s file appended to `out`, each id once: comprehend
 * finds the same phrase in a page and in its line and gives both the same
 * id; the file is removed. */
static gboolean
append_branch (FILE * out, const gchar * loc, GHashTable * seen,
    GError ** error)
{
  g_autofree gchar *file = loc ? branch_file (loc) : NULL;
  g_autofree gchar *data = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (GStrv) lines = NULL;
  gchar *last;
  guint i;

  if (!file)
    return TRUE;
  if (!g_file_get_contents (file, &data, NULL, error))
    return FALSE;
  /* A line cut short by a stop at once is left out. */
  last = strrchr (data, '\n');
  if (!last)
    *data = '\0';
  else
    last[1] = '\0';
  lines = g_strsplit (data, "\n", -1);
  for (i = 0; lines[i]; i++) {
    gchar *id = *lines[i] ? line_id (parser, lines[i]) : NULL;

    if (!*lines[i] || (id && !g_hash_table_add (seen, id)))
      continue;
    if (fprintf (out, "%s\n", lines[i]) < 0) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot append %s",
          file);
      return FALSE;
    }
  }
  g_unlink (file);
  return TRUE;
}

gchar *
mt_branch_plan_merge (const MtBranchPlan * p, const gchar * written,
    const gchar * part, GError ** error)
{
  const gchar *target = written ? written : part;
  const gchar *locs[] = { p->audio_location, p->document_location,
    p->comprehend_location
  };
  gboolean any = written != NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  FILE *out;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (locs); i++)
    if (locs[i] && !any) {
      g_autofree gchar *f = branch_file (locs[i]);

      any = f != NULL;
    }
  if (!any)
    return NULL;
  if (!(out = g_fopen (target, "ab"))) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot write %s",
        target);
    return NULL;
  }
  for (i = 0; i < G_N_ELEMENTS (locs); i++)
    if (!append_branch (out, locs[i], seen, error)) {
      fclose (out);
      return NULL;
    }
  if (fclose (out) != 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot write %s",
        target);
    return NULL;
  }
  return g_strdup (target);
}

/* ---- outputs and summary ---------------------------------------------- */

typedef struct {
  GPtrArray *transcripts;       /* JsonObject */
  GPtrArray *tables;            /* JsonObject */
  GHashTable *pages;            /* page numbers with a document */
  guint fields;
  GHashTable *entities;         /* "name (TYPE)" -> count */
  GHashTable *phrases;          /* name -> count */
} Found;

static void
found_clear (Found * f)
{
  g_clear_pointer (&f->transcripts, g_ptr_array_unref);
  g_clear_pointer (&f->tables, g_ptr_array_unref);
  g_clear_pointer (&f->pages, g_hash_table_unref);
  g_clear_pointer (&f->entities, g_hash_table_unref);
  g_clear_pointer (&f->phrases, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Found, found_clear)

static void
count (GHashTable * t, const gchar * key, guint n)
{
  g_hash_table_insert (t, g_strdup (key),
      GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (t, key)) + n));
}

static void
add_finding (Found * f, JsonObject * o)
{
  const gchar *a = json_object_get_string_member_with_default (o, "analysis",
      "");
  const gchar *name = json_object_get_string_member_with_default (o, "name",
      NULL);
  JsonObject *d = object_member (o, "detail");
  guint n = d ? MAX (1, json_object_get_int_member_with_default (d,
          "Occurrences", 1)) : 1;

  if (!strcmp (a, "transcript"))
    g_ptr_array_add (f->transcripts, json_object_ref (o));
  else if (!strcmp (a, "table"))
    g_ptr_array_add (f->tables, json_object_ref (o));
  else if (!strcmp (a, "document"))
    g_hash_table_add (f->pages, GINT_TO_POINTER (1 +
            json_object_get_int_member_with_default (o, "page", 0)));
  else if (!strcmp (a, "field") || !strcmp (a, "expense")
      || !strcmp (a, "identity") || !strcmp (a, "answer"))
    f->fields++;
  else if (!strcmp (a, "entity") && name) {
    g_autofree gchar *k = g_strdup_printf ("%s (%s)", name,
        json_object_get_string_member_with_default (o, "type", "OTHER"));

    count (f->entities, k, n);
  } else if (!strcmp (a, "keyphrase") && name)
    count (f->phrases, name, n);
}

static gboolean
read_found (const gchar * jsonl, Found * f, GError ** error)
{
  g_autofree gchar *data = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  guint i;

  f->transcripts = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);
  f->tables = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);
  f->pages = g_hash_table_new (NULL, NULL);
  f->entities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  f->phrases = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!g_file_get_contents (jsonl, &data, NULL, error))
    return FALSE;
  lines = g_strsplit (data, "\n", -1);
  for (i = 0; lines[i]; i++) {
    JsonNode *root;

    if (!*lines[i] || !json_parser_load_from_data (parser, lines[i], -1,
            NULL))
      continue;
    root = json_parser_get_root (parser);
    if (root && JSON_NODE_HOLDS_OBJECT (root))
      add_finding (f, json_node_get_object (root));
  }
  return TRUE;
}

static gboolean
write_file (const gchar * out_dir, const gchar * file, const gchar * text,
    GError ** error)
{
  g_autofree gchar *path = g_build_filename (out_dir, file, NULL);

  return g_file_set_contents (path, text, -1, error);
}

static gboolean
write_subtitles (Found * f, const gchar * out_dir, const gchar * name,
    const gchar * inc, GError ** error)
{
  g_autofree gchar *vtt = NULL, *srt = NULL, *vtt_name = NULL;
  g_autofree gchar *srt_name = NULL;

  if (!f->transcripts->len)
    return TRUE;
  vtt = mt_subtitles_vtt (f->transcripts);
  srt = mt_subtitles_srt (f->transcripts);
  vtt_name = g_strdup_printf ("%s.transcript.%svtt", name, inc);
  srt_name = g_strdup_printf ("%s.transcript.%ssrt", name, inc);
  return write_file (out_dir, vtt_name, vtt, error)
      && write_file (out_dir, srt_name, srt, error);
}

/* "table 2" on page 3 -> <name>.p3.t2.csv */
static gboolean
write_tables (Found * f, const gchar * out_dir, const gchar * name,
    const gchar * inc, GError ** error)
{
  guint i;

  for (i = 0; i < f->tables->len; i++) {
    JsonObject *t = f->tables->pdata[i];
    JsonObject *d = object_member (t, "detail");
    const gchar *tname = json_object_get_string_member_with_default (t,
        "name", "");
    const gchar *num = strrchr (tname, ' ');
    g_autofree gchar *csv = NULL, *file = NULL;

    if (!d || !json_object_has_member (d, "rows")
        || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (d, "rows")))
      continue;
    csv = mt_csv_from_rows (json_object_get_array_member (d, "rows"));
    file = g_strdup_printf ("%s.p%" G_GINT64_FORMAT ".t%u.%scsv", name,
        json_object_get_int_member_with_default (t, "page", 1),
        num ? (guint) g_ascii_strtoull (num + 1, NULL, 10) : i + 1, inc);
    if (!write_file (out_dir, file, csv, error))
      return FALSE;
  }
  return TRUE;
}

static gint
cmp_count (gconstpointer a, gconstpointer b, gpointer table)
{
  guint x = GPOINTER_TO_UINT (g_hash_table_lookup (table, *(gchar **) a));
  guint y = GPOINTER_TO_UINT (g_hash_table_lookup (table, *(gchar **) b));

  if (x != y)
    return x > y ? -1 : 1;
  return strcmp (*(gchar **) a, *(gchar **) b);
}

/* The TOP_N most frequent, "name x3, other x2" */
static gchar *
top_of (GHashTable * t)
{
  guint len = 0, i;
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (t, &len);
  GString *s = g_string_new (NULL);

  g_qsort_with_data (keys, len, sizeof (gpointer), cmp_count, t);
  for (i = 0; i < MIN (len, TOP_N); i++) {
    guint n = GPOINTER_TO_UINT (g_hash_table_lookup (t, keys[i]));

    g_autofree gchar *one = g_strdup (keys[i]);

    /* A phrase may span lines of a page: the summary keeps one line. */
    g_string_append_printf (s, "%s%s", i ? ", " : "",
        g_strdelimit (one, "\r\n\t", ' '));
    if (n > 1)
      g_string_append_printf (s, " x%u", n);
  }
  return g_string_free (s, FALSE);
}

static void
print_transcript (Found * f, FILE * out)
{
  g_autoptr (GString) text = g_string_new (NULL);
  gint64 speech = 0;
  guint i, words = 0;

  if (!f->transcripts->len) {
    fprintf (out, "Transcript: no speech found.\n");
    return;
  }
  for (i = 0; i < f->transcripts->len; i++) {
    JsonObject *o = f->transcripts->pdata[i];
    const gchar *t = json_object_get_string_member_with_default (o, "text",
        "");
    g_auto (GStrv) w = g_strsplit_set (t, " \t\n", -1);
    gint64 ts = json_object_get_int_member_with_default (o, "timestamp", 0);

    words += g_strv_length (w);
    speech += MAX (0, json_object_get_int_member_with_default (o, "end",
            ts) - ts);
    if (text->len < 60)
      g_string_append_printf (text, "%s%s", text->len ? " " : "", t);
  }
  if (text->len > 60) {
    g_string_truncate (text, 60);
    g_string_append (text, "...");
  }
  fprintf (out, "Transcript: %u segment%s, %u words, %.1f s of speech: "
      "\"%s\"\n", f->transcripts->len, f->transcripts->len == 1 ? "" : "s",
      words, speech / 1000.0, text->str);
}

static void
print_found (const MtBranchPlan * p, Found * f, FILE * out)
{
  if (p->audio)
    print_transcript (f, out);
  if (p->document)
    fprintf (out, "Document: %u page%s with text, %u table%s, %u "
        "field%s\n", g_hash_table_size (f->pages),
        g_hash_table_size (f->pages) == 1 ? "" : "s", f->tables->len,
        f->tables->len == 1 ? "" : "s", f->fields, f->fields == 1 ? "" : "s");
  if (g_hash_table_size (f->entities)) {
    g_autofree gchar *top = top_of (f->entities);

    fprintf (out, "Top entities: %s\n", top);
  }
  if (g_hash_table_size (f->phrases)) {
    g_autofree gchar *top = top_of (f->phrases);

    fprintf (out, "Key phrases: %s\n", top);
  }
}

gboolean
mt_branch_write_outputs (const MtBranchPlan * p, const gchar * jsonl,
    const gchar * out_dir, const gchar * name, gboolean incomplete,
    FILE * table, GError ** error)
{
  g_auto (Found) f = { 0 };
  const gchar *inc = incomplete ? "incomplete." : "";

  if (!p->audio && !p->document && !p->comprehend)
    return TRUE;
  if (!read_found (jsonl, &f, error)
      || !write_subtitles (&f, out_dir, name, inc, error)
      || !write_tables (&f, out_dir, name, inc, error))
    return FALSE;
  if (table)
    print_found (p, &f, table);
  return TRUE;
}

/* <name>.transcript.vtt|srt, <name>.p<N>.t<N>.csv, with "incomplete."
 * before the extension for an incomplete run's. */
static gboolean
is_branch_output (const gchar * file, const gchar * name, gboolean inc)
{
  const gchar *rest, *ext;

  if (!g_str_has_prefix (file, name) || file[strlen (name)] != '.')
    return FALSE;
  rest = file + strlen (name) + 1;
  if (g_str_has_prefix (rest, "transcript.")) {
    ext = rest + strlen ("transcript.");
    if (inc && !g_str_has_prefix (ext, "incomplete."))
      return FALSE;
    ext += inc ? strlen ("incomplete.") : 0;
    return !strcmp (ext, "vtt") || !strcmp (ext, "srt");
  }
  if (*rest != 'p' || !g_ascii_isdigit (rest[1]))
    return FALSE;
  rest += 1 + strspn (rest + 1, "0123456789");
  if (rest[0] != '.' || rest[1] != 't' || !g_ascii_isdigit (rest[2]))
    return FALSE;
  rest += 2 + strspn (rest + 2, "0123456789");
  return !strcmp (rest, inc ? ".incomplete.csv" : ".csv");
}

void
mt_branch_remove_outputs (const gchar * out_dir, const gchar * name,
    gboolean incomplete)
{
  g_autoptr (GDir) dir = g_dir_open (out_dir, 0, NULL);
  const gchar *f;

  while (dir && (f = g_dir_read_name (dir))) {
    if (is_branch_output (f, name, incomplete)) {
      g_autofree gchar *path = g_build_filename (out_dir, f, NULL);

      g_unlink (path);
    }
  }
}

gchar *
mt_branch_plan_describe (const MtBranchPlan * p, const gchar * vision)
{
  GString *s = g_string_new (p->vision ? vision : NULL);

  if (p->audio)
    g_string_append_printf (s, "%sspeech", s->len ? ", " : "");
  if (p->document)
    g_string_append_printf (s, "%sdocument %s", s->len ? ", " : "",
        p->document_features);
  if (p->comprehend)
    g_string_append_printf (s, ", then comprehend");
  return g_string_free (s, FALSE);
}
