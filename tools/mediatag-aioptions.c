/* Media2Cloud's aiOptions for mediatag analyze: maps the fields that have a
 * meaning here (label, face, facematch, celeb, moderation, text,
 * customlabel, minConfidence, faceCollectionId, frameCaptureMode, textROI,
 * customLabelModels) to rekognitionsink settings, and names every enabled
 * field mediatag cannot honour yet, so nothing is dropped silently. The
 * speech, document and comprehend fields (transcribe, languageCode,
 * customVocabulary, customLanguageModel, textract, keyphrase, entity,
 * sentiment) are read by mediatag-branches.c. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "framecapture.h"
#include "mediatag-analyze.h"

#define DEFAULT_FEATURES "labels+faces+text"
#define DEFAULT_FRAME_CAPTURE_MODE "1002"
#define DEFAULT_MIN_CONFIDENCE 80.0

/* aiOptions flag -> rekognitionsink feature */
static const struct {
  const gchar *ai;
  const gchar *feature;
} feature_map[] = {
  {"label", "labels"},
  {"face", "faces"},
  {"facematch", "face-search"},
  {"celeb", "celebrities"},
  {"moderation", "moderation"},
  {"text", "text"},
  {"customlabel", "custom-labels"},
  {"ppe", "ppe"},
};

/* Flags of Media2Cloud's advanced features that mediatag does not have;
 * enabled, they are named in the warning. */
static const gchar *unsupported_flags[] = {
  "segment", "imageprop", "customentity", "autofaceindexer", "scene",
  "adbreak", "shoppable", "toxicity", NULL
};

void
mt_ai_options_init (MtAiOptions * ai)
{
  memset (ai, 0, sizeof (*ai));
  ai->features = g_strdup (DEFAULT_FEATURES);
  ai->frame_capture_mode = g_strdup (DEFAULT_FRAME_CAPTURE_MODE);
  ai->min_confidence = DEFAULT_MIN_CONFIDENCE;
}

void
mt_ai_options_clear (MtAiOptions * ai)
{
  g_clear_pointer (&ai->features, g_free);
  g_clear_pointer (&ai->frame_capture_mode, g_free);
  g_clear_pointer (&ai->collection_id, g_free);
  g_clear_pointer (&ai->custom_label_models, g_free);
  g_clear_pointer (&ai->text_roi, g_free);
}

/* A JSON value as it was written, shortened, for an error message. */
static gchar *
json_text (JsonNode * n)
{
  g_autofree gchar *t = json_to_string (n, FALSE);

  if (strlen (t) > 40)
    return g_strdup_printf ("%.37s...", t);
  return g_steal_pointer (&t);
}

/* A flag is true, false or absent; anything else ("yes", 1) is refused
 * rather than read as false, so an analysis is never dropped silently. */
static gboolean
member_flag (JsonObject * o, const gchar * name, gboolean * value,
    GError ** error)
{
  JsonNode *n = json_object_get_member (o, name);
  g_autofree gchar *t = NULL;

  *value = FALSE;
  if (!n || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) ==
      G_TYPE_BOOLEAN) {
    *value = json_node_get_boolean (n);
    return TRUE;
  }
  t = json_text (n);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "aiOptions \"%s\": %s is not allowed: it takes true or false", name, t);
  return FALSE;
}

static gboolean
node_is_number (JsonNode * n)
{
  GType t;

  if (!JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  t = json_node_get_value_type (n);
  return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
}

/* textROI: nine booleans, row by row; none or all nine set means no filter. */
static gboolean
text_roi_from_json (JsonNode * node, gchar ** roi, GError ** error)
{
  GString *cells;
  JsonArray *a;
  guint i, n, set = 0;

  if (!JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (json_node_get_array (node)) > 9)
    goto bad;
  a = json_node_get_array (node);
  n = json_array_get_length (a);
  for (i = 0; i < n; i++) {
    JsonNode *e = json_array_get_element (a, i);

    if (!JSON_NODE_HOLDS_VALUE (e)
        || json_node_get_value_type (e) != G_TYPE_BOOLEAN)
      goto bad;
  }
  cells = g_string_new (NULL);
  for (i = 0; i < n; i++) {
    if (json_array_get_boolean_element (a, i)) {
      g_string_append_printf (cells, "%s%u", cells->len ? "," : "", i);
      set++;
    }
  }
  g_free (*roi);
  *roi = g_string_free (cells, set == 0 || set == 9);
  return TRUE;

bad:
  {
    g_autofree gchar *t = json_text (node);

    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "aiOptions \"textROI\": %s is not allowed: it takes an array of up "
        "to 9 true/false values, the cells of a 3x3 grid row by row", t);
    return FALSE;
  }
}

/* customLabelModels: one ARN, or an array of them. */
static gboolean
string_list_from_json (JsonNode * n, gchar ** out, GError ** error)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autofree gchar *t = NULL;
  JsonArray *a;
  guint i;

  if (JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) ==
      G_TYPE_STRING) {
    g_string_append (s, json_node_get_string (n));
  } else if (JSON_NODE_HOLDS_ARRAY (n)) {
    a = json_node_get_array (n);
    for (i = 0; i < json_array_get_length (a); i++) {
      JsonNode *e = json_array_get_element (a, i);

      if (!JSON_NODE_HOLDS_VALUE (e)
          || json_node_get_value_type (e) != G_TYPE_STRING)
        goto bad;
      if (*json_node_get_string (e))
        g_string_append_printf (s, "%s%s", s->len ? "," : "",
            json_node_get_string (e));
    }
  } else {
    goto bad;
  }
  g_free (*out);
  *out = s->len ? g_strdup (s->str) : NULL;
  return TRUE;

bad:
  t = json_text (n);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "aiOptions \"customLabelModels\": %s is not allowed: it takes a model "
      "ARN or an array of them", t);
  return FALSE;
}

static JsonObject *
find_ai_options (JsonNode * root)
{
  JsonObject *o;
  JsonNode *n;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  o = json_node_get_object (root);
  if ((n = json_object_get_member (o, "input")) && JSON_NODE_HOLDS_OBJECT (n))
    o = json_node_get_object (n);
  if ((n = json_object_get_member (o, "aiOptions")) && JSON_NODE_HOLDS_OBJECT (n))
    o = json_node_get_object (n);
  return o;
}

/* ---- where a JSON text is broken --------------------------------------- */

typedef struct {
  gchar c;
  guint line, col;
} Opener;

/* Says where the brackets or a string of `json` go wrong, in words, or NULL
 * when they are balanced (the parser's own message then says what). */
static gchar *
bracket_problem (const gchar * json)
{
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (Opener));
  guint line = 1, col = 0, sline = 0, scol = 0;
  gboolean in_string = FALSE, escaped = FALSE;
  const gchar *p;

  for (p = json; *p; p++) {
    col++;
    if (*p == '\n') {
      line++;
      col = 0;
    }
    if (in_string) {
      if (escaped)
        escaped = FALSE;
      else if (*p == '\\')
        escaped = TRUE;
      else if (*p == '"')
        in_string = FALSE;
      continue;
    }
    if (*p == '"') {
      in_string = TRUE;
      sline = line;
      scol = col;
    } else if (*p == '{' || *p == '[') {
      Opener o = { *p, line, col };

      g_array_append_val (stack, o);
    } else if (*p == '}' || *p == ']') {
      Opener *top;

      if (!stack->len)
        return g_strdup_printf ("line %u, column %u: '%c' closes nothing",
            line, col, *p);
      top = &g_array_index (stack, Opener, stack->len - 1);
      if ((top->c == '{') != (*p == '}'))
        return g_strdup_printf ("line %u, column %u: found '%c' where the "
            "'%c' opened at line %u, column %u needs '%c'", line, col, *p,
            top->c, top->line, top->col, top->c == '{' ? '}' : ']');
      g_array_set_size (stack, stack->len - 1);
    }
  }
  if (in_string)
    return g_strdup_printf ("the string opened at line %u, column %u is "
        "never closed (missing '\"')", sline, scol);
  if (stack->len) {
    Opener *top = &g_array_index (stack, Opener, stack->len - 1);

    return g_strdup_printf ("the '%c' opened at line %u, column %u is never "
        "closed (missing '%c' at the end)", top->c, top->line, top->col,
        top->c == '{' ? '}' : ']');
  }
  return NULL;
}

/* "<data>:3:21: Parse error: unexpected ..." -> "line 3, column 21: ..." */
static gchar *
parser_problem (const gchar * message)
{
  guint line, col;
  const gchar *what = strstr (message, "Parse error: ");

  if (sscanf (message, "<data>:%u:%u:", &line, &col) == 2 && what)
    return g_strdup_printf ("line %u, column %u: %s", line, col,
        what + strlen ("Parse error: "));
  return g_strdup (message);
}

static gboolean
parse_json (JsonParser * parser, const gchar * json, GError ** error)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *where = NULL;

  if (json_parser_load_from_data (parser, json, -1, &err))
    return TRUE;
  where = bracket_problem (json);
  if (!where)
    where = parser_problem (err->message);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "not valid JSON: %s", where);
  return FALSE;
}

/* ---- reading ----------------------------------------------------------- */

static gboolean
load_features (MtAiOptions * ai, JsonObject * o, FILE * warn, GError ** error)
{
  g_autoptr (GString) features = g_string_new (NULL);
  g_autoptr (GString) ignored = g_string_new (NULL);
  JsonNode *n;
  gboolean on;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (feature_map); i++) {
    if (!member_flag (o, feature_map[i].ai, &on, error))
      return FALSE;
    if (on)
      g_string_append_printf (features, "%s%s", features->len ? "+" : "",
          feature_map[i].feature);
  }
  for (i = 0; unsupported_flags[i]; i++) {
    if (!member_flag (o, unsupported_flags[i], &on, error))
      return FALSE;
    if (on)
      g_string_append_printf (ignored, "%s%s", ignored->len ? ", " : "",
          unsupported_flags[i]);
  }
  if ((n = json_object_get_member (o, "zeroshotlabels")) &&
      JSON_NODE_HOLDS_ARRAY (n) && json_array_get_length (json_node_get_array (n)))
    g_string_append_printf (ignored, "%szeroshotlabels",
        ignored->len ? ", " : "");
  if (features->len) {
    g_free (ai->features);
    ai->features = g_strdup (features->str);
  }
  if (ignored->len && warn)
    fprintf (warn, "mediatag: aiOptions: not analysed by this version: %s\n",
        ignored->str);
  return TRUE;
}

static gboolean
load_min_confidence (MtAiOptions * ai, JsonObject * o, GError ** error)
{
  JsonNode *n = json_object_get_member (o, "minConfidence");
  g_autofree gchar *t = NULL;

  if (!n || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (node_is_number (n) && json_node_get_double (n) >= 0
      && json_node_get_double (n) <= 100) {
    ai->min_confidence = json_node_get_double (n);
    return TRUE;
  }
  t = json_text (n);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "aiOptions \"minConfidence\": %s is not allowed: it takes a number "
      "from 0 to 100", t);
  return FALSE;
}

static gboolean
load_frame_capture_mode (MtAiOptions * ai, JsonObject * o, FILE * warn,
    GError ** error)
{
  JsonNode *n = json_object_get_member (o, "frameCaptureMode");
  g_autofree gchar *t = NULL;
  MtFrameCaptureMode mode;

  if (!n || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  t = json_text (n);
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) !=
      G_TYPE_INT64 || !mt_frame_capture_mode_from_string (t, &mode)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "aiOptions \"frameCaptureMode\": %s is not allowed: it takes one of "
        "Media2Cloud's codes: %s", t, MT_FRAME_CAPTURE_CODES);
    return FALSE;
  }
  /* 0 ("no frames") with frame-based analysis off is Media2Cloud's way
   * of asking for the Rekognition Video jobs; mediatag analyses frames,
   * so it keeps its default sampling then. */
  if (mode != 0) {
    g_free (ai->frame_capture_mode);
    ai->frame_capture_mode = g_strdup (t);
  } else if (warn) {
    fprintf (warn, "mediatag: aiOptions: frameCaptureMode 0 asks for "
        "Rekognition Video jobs; mediatag analyses sampled frames, at "
        "frame capture mode %s\n", ai->frame_capture_mode);
  }
  return TRUE;
}

static gboolean
load_strings (MtAiOptions * ai, JsonObject * o, GError ** error)
{
  JsonNode *n;

  if ((n = json_object_get_member (o, "faceCollectionId"))
      && !JSON_NODE_HOLDS_NULL (n)) {
    g_autofree gchar *t = json_text (n);

    if (!JSON_NODE_HOLDS_VALUE (n)
        || json_node_get_value_type (n) != G_TYPE_STRING) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "aiOptions \"faceCollectionId\": %s is not allowed: it takes a "
          "collection name (a string)", t);
      return FALSE;
    }
    g_free (ai->collection_id);
    ai->collection_id = g_strdup (json_node_get_string (n));
  }
  if ((n = json_object_get_member (o, "textROI"))
      && !JSON_NODE_HOLDS_NULL (n)
      && !text_roi_from_json (n, &ai->text_roi, error))
    return FALSE;
  if ((n = json_object_get_member (o, "customLabelModels"))
      && !string_list_from_json (n, &ai->custom_label_models, error))
    return FALSE;
  return TRUE;
}

gboolean
mt_ai_options_load_data (MtAiOptions * ai, const gchar * json, FILE * warn,
    GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;
  gboolean framebased;

  if (!parse_json (parser, json, error))
    return FALSE;
  o = find_ai_options (json_parser_get_root (parser));
  if (!o) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "not an aiOptions JSON object (it takes {\"label\": true, ...}, "
        "alone or inside {\"aiOptions\": ...} or {\"input\": {\"aiOptions\": "
        "...}})");
    return FALSE;
  }
  if (!load_features (ai, o, warn, error)
      || !load_min_confidence (ai, o, error)
      || !load_frame_capture_mode (ai, o, warn, error)
      || !load_strings (ai, o, error)
      || !member_flag (o, "framebased", &framebased, error))
    return FALSE;
  if (json_object_has_member (o, "framebased") && !framebased && warn)
    fprintf (warn, "mediatag: aiOptions: framebased=false: mediatag "
        "analyses sampled frames (frame-based) only\n");
  return TRUE;
}

gboolean
mt_ai_options_load (MtAiOptions * ai, const gchar * path, FILE * warn,
    GError ** error)
{
  g_autofree gchar *data = NULL;

  if (!g_file_get_contents (path, &data, NULL, error))
    return FALSE;
  return mt_ai_options_load_data (ai, data, warn, error);
}

/* "0,1,2": distinct cells 0 to 8 of the 3x3 grid. */
gboolean
mt_text_roi_check (const gchar * roi, GError ** error)
{
  g_auto (GStrv) cells = g_strsplit (roi, ",", -1);
  gboolean seen[9] = { FALSE };
  guint i;

  for (i = 0; cells[i]; i++) {
    gchar *end = NULL;
    gchar *cell = g_strstrip (cells[i]);
    guint64 v = g_ascii_strtoull (cell, &end, 10);

    if (!*cell || *end || v > 8 || seen[v]) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "--text-roi %s: \"%s\" is not allowed: it takes distinct cells 0 "
          "to 8 of a 3x3 grid (0 top left, 8 bottom right), comma-separated",
          roi, cell);
      return FALSE;
    }
    seen[v] = TRUE;
  }
  return TRUE;
}

gboolean
mt_ai_options_override (MtAiOptions * ai, const gchar * features,
    const gchar * frame_capture_mode, gdouble min_confidence,
    const gchar * collection_id, const gchar * custom_label_models,
    const gchar * text_roi, GError ** error)
{
  if (min_confidence >= 0) {
    if (min_confidence > 100) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "--min-confidence takes 0 to 100, not %g", min_confidence);
      return FALSE;
    }
    ai->min_confidence = min_confidence;
  }
  if (text_roi && !mt_text_roi_check (text_roi, error))
    return FALSE;
#define OVERRIDE(field, value) \
  if (value) { g_free (ai->field); ai->field = g_strdup (value); }
  OVERRIDE (features, features);
  OVERRIDE (frame_capture_mode, frame_capture_mode);
  OVERRIDE (collection_id, collection_id);
  OVERRIDE (custom_label_models, custom_label_models);
  OVERRIDE (text_roi, text_roi);
#undef OVERRIDE
  return TRUE;
}
