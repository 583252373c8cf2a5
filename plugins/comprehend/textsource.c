/* The text of an input result document and where its words lie in the
 * media, shared by comprehend's engines: an engine finds a phrase at some
 * bytes of the text, and this turns that span into media times (the
 * transcript's words) or a page and box (Textract's words), so every
 * engine places its findings the same way. Also the splitter that keeps
 * texts under a service's size limit. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcomprehend.h"

#include <string.h>

#include "result.h"

typedef struct
{
  gsize begin, end;             /* bytes of the text */
  gint64 start_ms, end_ms;      /* -1: none */
  gboolean has_box;
  gdouble left, top, right, bottom;
} Word;

struct _MtTextSource
{
  gchar *text;
  gsize len;
  gchar *id;
  gchar *asset;
  gint64 timestamp, end;        /* the input's own, -1: none */
  gint64 page;                  /* -1: none */
  gboolean has_box;
  gdouble box[4];               /* left, top, width, height */
  GArray *words;                /* Word, in text order */
};

static gint64
int_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (!n || !JSON_NODE_HOLDS_VALUE (n))
    return -1;
  if (json_node_get_value_type (n) == G_TYPE_INT64)
    return json_node_get_int (n);
  if (json_node_get_value_type (n) == G_TYPE_DOUBLE)
    return (gint64) (json_node_get_double (n) + 0.5);
  return -1;
}

static gboolean
double_member (JsonObject * o, const gchar * name, gdouble * v)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (!n || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  if (json_node_get_value_type (n) != G_TYPE_INT64
      && json_node_get_value_type (n) != G_TYPE_DOUBLE)
    return FALSE;
  *v = json_node_get_double (n);
  return TRUE;
}

static JsonObject *
object_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static JsonArray *
array_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static const gchar *
string_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (!n || !JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

/* A box as {left, top, width, height} (ours) or Textract's BoundingBox
 * {Left, Top, Width, Height}. */
static gboolean
read_box (JsonObject * o, gboolean textract, gdouble v[4])
{
  static const gchar *const ours[] = { "left", "top", "width", "height" };
  static const gchar *const theirs[] = { "Left", "Top", "Width", "Height" };
  guint i;

  if (!o)
    return FALSE;
  for (i = 0; i < 4; i++) {
    if (!double_member (o, textract ? theirs[i] : ours[i], &v[i]))
      return FALSE;
  }
  return TRUE;
}

/* Finds `word` at or after `from`, exactly or ignoring ASCII case (speech
 * engines and OCR differ from the text in case only, if at all). */
static const gchar *
find_word (const gchar * text, gsize len, gsize from, const gchar * word)
{
  gsize wlen = strlen (word), i;
  const gchar *hit;

  if (!wlen || from >= len)
    return NULL;
  hit = g_strstr_len (text + from, len - from, word);
  if (hit)
    return hit;
  for (i = from; i + wlen <= len; i++) {
    if (!g_ascii_strncasecmp (text + i, word, wlen))
      return text + i;
  }
  return NULL;
}

/* Places one word of the source in the text, after the previous one. A
 * word not found is left out (a filler word the text does not repeat) and
 * does not move the cursor. */
static void
add_word (MtTextSource * src, gsize * cursor, const gchar * word, Word * w)
{
  const gchar *hit = find_word (src->text, src->len, *cursor, word);

  if (!hit)
    return;
  w->begin = hit - src->text;
  w->end = w->begin + strlen (word);
  *cursor = w->end;
  g_array_append_val (src->words, *w);
}

/* Transcripts: detail.words = [{word, start, end, confidence}] in ms. */
static void
read_transcript_words (MtTextSource * src, JsonArray * words)
{
  gsize cursor = 0;
  guint i;

  for (i = 0; i < json_array_get_length (words); i++) {
    JsonNode *n = json_array_get_element (words, i);
    JsonObject *o =
        JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
    const gchar *word = string_member (o, "word");
    Word w = { 0, 0, int_member (o, "start"), int_member (o, "end"), FALSE };

    if (word && w.start_ms >= 0)
      add_word (src, &cursor, word, &w);
  }
}

/* Textract: detail.Blocks with WORD blocks, each with Text and
 * Geometry.BoundingBox, in reading order. */
static void
read_textract_words (MtTextSource * src, JsonArray * blocks)
{
  gsize cursor = 0;
  guint i;

  for (i = 0; i < json_array_get_length (blocks); i++) {
    JsonNode *n = json_array_get_element (blocks, i);
    JsonObject *o =
        JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
    const gchar *word = string_member (o, "Text");
    Word w = { 0, 0, -1, -1, TRUE };
    gdouble b[4];

    if (!word || g_strcmp0 (string_member (o, "BlockType"), "WORD")
        || !read_box (object_member (object_member (o, "Geometry"),
                "BoundingBox"), TRUE, b))
      continue;
    w.left = b[0];
    w.top = b[1];
    w.right = b[0] + b[2];
    w.bottom = b[1] + b[3];
    add_word (src, &cursor, word, &w);
  }
}

MtTextSource *
mt_text_source_new (JsonObject * document, const gchar * fallback_asset,
    GError ** error)
{
  const gchar *text = string_member (document, "text");
  const gchar *asset = string_member (document, "asset");
  JsonObject *detail = object_member (document, "detail");
  MtTextSource *src;
  const gchar *bad;

  if (!text || !*text)
    return NULL;
  if (!g_utf8_validate (text, -1, &bad)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The text of document %s is not valid UTF-8 (at byte %"
        G_GSIZE_FORMAT ")", GST_STR_NULL (string_member (document, "id")),
        (gsize) (bad - text));
    return NULL;
  }
  src = g_new0 (MtTextSource, 1);
  src->text = g_strdup (text);
  src->len = strlen (text);
  src->id = g_strdup (string_member (document, "id"));
  src->asset = g_strdup (asset ? asset : fallback_asset);
  src->timestamp = int_member (document, "timestamp");
  src->end = int_member (document, "end");
  src->page = int_member (document, "page");
  src->has_box = read_box (object_member (document, "box"), FALSE, src->box);
  src->words = g_array_new (FALSE, FALSE, sizeof (Word));
  if (array_member (detail, "words"))
    read_transcript_words (src, array_member (detail, "words"));
  else if (array_member (detail, "Blocks"))
    read_textract_words (src, array_member (detail, "Blocks"));
  return src;
}

void
mt_text_source_free (MtTextSource * src)
{
  if (!src)
    return;
  g_free (src->text);
  g_free (src->id);
  g_free (src->asset);
  g_array_unref (src->words);
  g_free (src);
}

const gchar *
mt_text_source_get_text (const MtTextSource * src, gsize * len)
{
  if (len)
    *len = src->len;
  return src->text;
}

/* The words overlapping [begin, end): their time span and box union. */
static gboolean
span_words (const MtTextSource * src, gsize begin, gsize end, Word * span)
{
  gboolean any = FALSE;
  guint i;

  for (i = 0; i < src->words->len; i++) {
    const Word *w = &g_array_index (src->words, Word, i);

    if (w->end <= begin || w->begin >= end)
      continue;
    if (!any) {
      *span = *w;
      any = TRUE;
      continue;
    }
    span->start_ms = MIN (span->start_ms, w->start_ms);
    span->end_ms = MAX (span->end_ms, w->end_ms);
    span->left = MIN (span->left, w->left);
    span->top = MIN (span->top, w->top);
    span->right = MAX (span->right, w->right);
    span->bottom = MAX (span->bottom, w->bottom);
  }
  return any;
}

static void
place (const MtTextSource * src, JsonObject * r, gsize begin, gsize end)
{
  Word span = { 0, 0, -1, -1, FALSE };
  gboolean found = span_words (src, begin, end, &span);

  if (found && span.start_ms >= 0) {
    json_object_set_int_member (r, "timestamp", span.start_ms);
    json_object_set_int_member (r, "end", MAX (span.end_ms, span.start_ms));
  } else if (src->timestamp >= 0) {
    json_object_set_int_member (r, "timestamp", src->timestamp);
    if (src->end >= 0)
      json_object_set_int_member (r, "end", src->end);
  }
  if (src->page >= 0)
    json_object_set_int_member (r, "page", src->page);
  if (found && span.has_box)
    mt_result_set_box (r, span.left, span.top, span.right - span.left,
        span.bottom - span.top);
  else if (src->has_box)
    mt_result_set_box (r, src->box[0], src->box[1], src->box[2], src->box[3]);
}

JsonObject *
mt_text_source_result (const MtTextSource * src, const gchar * analysis,
    const gchar * engine, const gchar * name, gdouble confidence,
    gsize begin, gsize end)
{
  JsonObject *r = mt_result_new (analysis, engine, name, confidence);

  if (src->id)
    json_object_set_string_member (r, "source", src->id);
  if (src->asset)
    json_object_set_string_member (r, "asset", src->asset);
  place (src, r, begin, MAX (end, begin + 1));
  return r;
}

/* Detections that merely carry a name, and comprehend's own results, are
 * never analysed again. */
static const gchar *const not_text[] = {
  "label", "face", "facematch", "celebrity", "moderation", "customlabel",
  "ppe", "track", "error", "keyphrase", "entity", "sentiment", "table",
  "field", "expense", "identity", NULL
};

/* A Textract line (analysis `text` with its LINE block in detail.Block):
 * textractsink writes the page's `document` before its lines, and that
 * page holds the same words with their own boxes. Analysing both would
 * find everything twice, once with the word's box and once with the
 * line's, so only the page is analysed. */
static gboolean
textract_line (JsonObject * document)
{
  JsonObject *block = object_member (object_member (document, "detail"),
      "Block");

  return !g_strcmp0 (string_member (document, "analysis"), MT_ANALYSIS_TEXT)
      && !g_strcmp0 (string_member (block, "BlockType"), "LINE");
}

gboolean
mt_comprehend_accepts (JsonObject * document)
{
  JsonNode *text = json_object_get_member (document, "text");
  JsonNode *analysis = json_object_get_member (document, "analysis");

  if (!text || !JSON_NODE_HOLDS_VALUE (text)
      || json_node_get_value_type (text) != G_TYPE_STRING)
    return FALSE;
  if (analysis && JSON_NODE_HOLDS_VALUE (analysis)
      && json_node_get_value_type (analysis) == G_TYPE_STRING
      && g_strv_contains (not_text, json_node_get_string (analysis)))
    return FALSE;
  return !textract_line (document);
}

/* Merging */

static gchar *
placement_key (JsonObject * r)
{
  static const gchar *const members[] = { "analysis", "type", "name",
    "timestamp", "end", "page", "box"
  };
  g_autoptr (GString) key = g_string_new (NULL);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (members); i++) {
    JsonNode *n = json_object_get_member (r, members[i]);
    g_autofree gchar *v = n ? json_to_string (n, FALSE) : g_strdup ("-");

    g_string_append_printf (key, "%s\x1f", v);
  }
  return g_string_free (g_steal_pointer (&key), FALSE);
}

static void
count_occurrence (JsonObject * kept, JsonObject * dup)
{
  JsonObject *detail = json_object_get_object_member (kept, "detail");
  gdouble a = json_object_get_double_member_with_default (kept,
      "confidence", -1);
  gdouble b = json_object_get_double_member_with_default (dup,
      "confidence", -1);

  if (!detail) {
    detail = json_object_new ();
    json_object_set_object_member (kept, "detail", detail);
  }
  json_object_set_int_member (detail, "Occurrences",
      json_object_get_int_member_with_default (detail, "Occurrences", 1) + 1);
  if (b > a)
    json_object_set_double_member (kept, "confidence", b);
}

void
mt_text_results_merge (GPtrArray * results)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);
  guint i;

  /* Rebuilt rather than removed from in place, which would be quadratic
   * in a long text's repeated names. Stealing from a second reference
   * leaves `results` empty but alive. */
  g_ptr_array_extend_and_steal (all, g_ptr_array_ref (results));
  for (i = 0; i < all->len; i++) {
    JsonObject *r = g_ptr_array_index (all, i);
    gchar *key = placement_key (r);
    JsonObject *kept = g_hash_table_lookup (seen, key);

    if (kept && g_strcmp0 (json_object_get_string_member_with_default (r,
                "analysis", ""), "error")) {
      count_occurrence (kept, r);
      g_free (key);
      continue;
    }
    g_hash_table_insert (seen, key, r);
    g_ptr_array_add (results, json_object_ref (r));
  }
}

/* Splitting */

/* The last sentence end (". ", "! ", "? ", a newline) in [from, limit),
 * as the offset just after it; 0 if none. */
static gsize
last_sentence_end (const gchar * text, gsize from, gsize limit)
{
  gsize i;

  for (i = limit; i > from + 1; i--) {
    gchar c = text[i - 1], p = text[i - 2];

    if (c == '\n' || (g_ascii_isspace (c) && strchr (".!?", p)))
      return i;
  }
  return 0;
}

static gsize
last_space (const gchar * text, gsize from, gsize limit)
{
  gsize i;

  for (i = limit; i > from + 1; i--) {
    if (g_ascii_isspace (text[i - 1]))
      return i;
  }
  return 0;
}

/* Backs off to the start of a UTF-8 sequence, so a part never ends
 * inside a character. */
static gsize
char_boundary (const gchar * text, gsize from, gsize limit)
{
  while (limit > from + 1 && ((guchar) text[limit] & 0xC0) == 0x80)
    limit--;
  return limit;
}

GArray *
mt_text_split (const gchar * text, gsize len, gsize max_bytes)
{
  GArray *parts = g_array_new (FALSE, FALSE, sizeof (MtTextPart));
  gsize from = 0;

  while (from < len) {
    MtTextPart part = { from, len - from };
    gsize cut;

    if (part.len > max_bytes) {
      gsize limit = from + max_bytes;

      /* Prefer a sentence end in the second half of the window, so parts
       * stay large (fewer calls) but sentences stay whole. */
      cut = last_sentence_end (text, from + max_bytes / 2, limit);
      if (!cut)
        cut = last_space (text, from + max_bytes / 2, limit);
      if (!cut)
        cut = char_boundary (text, from, limit);
      part.len = cut - from;
    }
    g_array_append_val (parts, part);
    from += part.len;
  }
  return parts;
}
