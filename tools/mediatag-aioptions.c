/* Media2Cloud's aiOptions for mediatag analyze: maps the fields that have a
 * meaning here (label, face, facematch, celeb, moderation, text,
 * customlabel, minConfidence, faceCollectionId, frameCaptureMode, textROI,
 * customLabelModels) to rekognitionsink settings, and names every enabled
 * field mediatag cannot honour yet, so nothing is dropped silently. */
#include <json-glib/json-glib.h>
#include <string.h>

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

/* Flags that other analyses (audio, documents) or Media2Cloud's advanced
 * features own; enabled, they are named in the warning. */
static const gchar *unsupported_flags[] = {
  "segment", "imageprop", "transcribe", "keyphrase", "entity", "sentiment",
  "customentity", "textract", "autofaceindexer", "scene", "adbreak",
  "shoppable", "toxicity", NULL
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

static gboolean
member_true (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (!n || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  if (json_node_get_value_type (n) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (n);
  return FALSE;
}

/* textROI: nine booleans, row by row; none or all nine set means no filter. */
static gchar *
text_roi_from_json (JsonArray * a)
{
  GString *cells = g_string_new (NULL);
  guint i, n = json_array_get_length (a), set = 0;

  for (i = 0; i < n && i < 9; i++) {
    JsonNode *e = json_array_get_element (a, i);

    if (JSON_NODE_HOLDS_VALUE (e) && json_node_get_boolean (e)) {
      g_string_append_printf (cells, "%s%u", cells->len ? "," : "", i);
      set++;
    }
  }
  if (set == 0 || set == 9) {
    g_string_free (cells, TRUE);
    return NULL;
  }
  return g_string_free (cells, FALSE);
}

static gchar *
string_list_from_json (JsonNode * n)
{
  GString *s;
  JsonArray *a;
  guint i;

  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (n));
  if (!JSON_NODE_HOLDS_ARRAY (n))
    return NULL;
  a = json_node_get_array (n);
  s = g_string_new (NULL);
  for (i = 0; i < json_array_get_length (a); i++) {
    const gchar *v = json_array_get_string_element (a, i);

    if (v && *v)
      g_string_append_printf (s, "%s%s", s->len ? "," : "", v);
  }
  if (!s->len) {
    g_string_free (s, TRUE);
    return NULL;
  }
  return g_string_free (s, FALSE);
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

gboolean
mt_ai_options_load_data (MtAiOptions * ai, const gchar * json, FILE * warn,
    GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GString) features = g_string_new (NULL);
  g_autoptr (GString) ignored = g_string_new (NULL);
  JsonObject *o;
  JsonNode *n;
  guint i;

  if (!json_parser_load_from_data (parser, json, -1, error))
    return FALSE;
  o = find_ai_options (json_parser_get_root (parser));
  if (!o) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "not an aiOptions JSON object");
    return FALSE;
  }

  for (i = 0; i < G_N_ELEMENTS (feature_map); i++)
    if (member_true (o, feature_map[i].ai))
      g_string_append_printf (features, "%s%s", features->len ? "+" : "",
          feature_map[i].feature);
  for (i = 0; unsupported_flags[i]; i++)
    if (member_true (o, unsupported_flags[i]))
      g_string_append_printf (ignored, "%s%s", ignored->len ? ", " : "",
          unsupported_flags[i]);
  if ((n = json_object_get_member (o, "zeroshotlabels")) &&
      JSON_NODE_HOLDS_ARRAY (n) && json_array_get_length (json_node_get_array (n)))
    g_string_append_printf (ignored, "%szeroshotlabels",
        ignored->len ? ", " : "");

  if (features->len) {
    g_free (ai->features);
    ai->features = g_strdup (features->str);
  }
  if ((n = json_object_get_member (o, "minConfidence")) &&
      JSON_NODE_HOLDS_VALUE (n))
    ai->min_confidence = json_node_get_double (n);
  if ((n = json_object_get_member (o, "frameCaptureMode")) &&
      JSON_NODE_HOLDS_VALUE (n)) {
    gint64 mode = json_node_get_int (n);

    /* 0 ("no frames") with frame-based analysis off is Media2Cloud's way
     * of asking for the Rekognition Video jobs; mediatag analyses frames,
     * so it keeps its default sampling then. */
    if (mode != 0) {
      g_free (ai->frame_capture_mode);
      ai->frame_capture_mode = g_strdup_printf ("%" G_GINT64_FORMAT, mode);
    } else if (warn) {
      fprintf (warn, "mediatag: aiOptions: frameCaptureMode 0 asks for "
          "Rekognition Video jobs; mediatag analyses sampled frames, at "
          "frame capture mode %s\n", ai->frame_capture_mode);
    }
  }
  if (json_object_has_member (o, "framebased") && !member_true (o,
          "framebased") && warn)
    fprintf (warn, "mediatag: aiOptions: framebased=false: mediatag "
        "analyses sampled frames (frame-based) only\n");
  if ((n = json_object_get_member (o, "faceCollectionId")) &&
      JSON_NODE_HOLDS_VALUE (n)) {
    g_free (ai->collection_id);
    ai->collection_id = g_strdup (json_node_get_string (n));
  }
  if ((n = json_object_get_member (o, "textROI")) && JSON_NODE_HOLDS_ARRAY (n)) {
    g_free (ai->text_roi);
    ai->text_roi = text_roi_from_json (json_node_get_array (n));
  }
  if ((n = json_object_get_member (o, "customLabelModels"))) {
    g_free (ai->custom_label_models);
    ai->custom_label_models = string_list_from_json (n);
  }
  if (ignored->len && warn)
    fprintf (warn, "mediatag: aiOptions: not analysed by this version: %s\n",
        ignored->str);
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
