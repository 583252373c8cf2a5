/* comprehend: the element. Reading JSON Lines, passing every document
 * through, ordering, output and errors are the analysis-sink base's
 * (plugins/core/analysissink.c); this file declares the pads, which
 * documents are analysed, the properties and the engines. */

/**
 * SECTION:element-comprehend
 * @title: comprehend
 *
 * Finds key phrases, entities and sentiment in the text of result
 * documents: the transcripts of transcribesink, the lines and pages of
 * textractsink, or any JSON document with a string `text`. It reads JSON
 * Lines (buffers may split lines anywhere), passes every input document
 * through unchanged and in order, and after each document that carries
 * text it outputs its own documents, also as JSON Lines:
 *
 * * `analysis` "keyphrase": `name` the phrase, `confidence`
 * * `analysis` "entity": `name` the entity's text, `type` (PERSON,
 *   LOCATION, ORGANIZATION, DATE, QUANTITY, COMMERCIAL_ITEM, EVENT, TITLE,
 *   OTHER), `confidence`
 * * `analysis` "sentiment": `name` POSITIVE, NEGATIVE, NEUTRAL or MIXED,
 *   `detail.SentimentScore`
 *
 * Each carries `source` (the id of the document it was found in), that
 * document's `asset`, and where it lies: `timestamp`/`end` (ms) from the
 * transcript words it spans, or `page` and `box` from Textract's words.
 *
 * Engines: `aws` (Amazon Comprehend's batch calls, 25 texts a call,
 * across documents analysed at once) and `local` (offline heuristics:
 * RAKE key phrases, VADER sentiment, gazetteer and pattern entities).
 *
 * The element message, named `comprehend`, has these fields:
 *
 * * #guint64 `timestamp`, #guint64 `stream-time`, #guint64 `running-time`,
 *   #guint64 `duration`: the input buffer's
 * * #gint64 `frame`: -1; #guint `page`: 0
 * * #guint64 `index`: the analysed document's position among them, from 0
 * * #guint `count`: the number of documents made from it
 * * #gchararray `results`: those documents, as a JSON array
 *
 * The analysis-sink base also posts `mediatag-backend` (the engine chosen)
 * at the first buffer and `mediatag-summary` at EOS: see
 * docs/elements/comprehend.md for their fields.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=transcript.jsonl ! comprehend \
 *     features=keyphrases+entities ! filesink location=all.jsonl
 * gst-launch-1.0 filesrc location=pages.jsonl ! comprehend backend=aws \
 *     language-code=auto location=nlp.jsonl ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcomprehend.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (comprehend_debug);
#define GST_CAT_DEFAULT comprehend_debug

enum
{
  PROP_0,
  PROP_FEATURES,
  PROP_LANGUAGE_CODE,
  PROP_MIN_CONFIDENCE,
};

#define DEFAULT_FEATURES MT_COMPREHEND_ALL_FEATURES
#define DEFAULT_LANGUAGE_CODE "en"
#define DEFAULT_MIN_CONFIDENCE 50.0
/* Comprehend's batch calls take 25 texts: with 25 documents analysed at
 * once, the AWS engine fills its batches across them. */
#define DEFAULT_MAX_IN_FLIGHT 25

struct _MtComprehend
{
  MtAnalysisSink parent;

  /* Properties, under the object lock. */
  guint features;
  gchar *language_code;
  gdouble min_confidence;
};

static const MtEngine *const engines[] = {
  &mt_comprehend_engine_aws,
  &mt_comprehend_engine_local,
  NULL,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-json"));

G_DEFINE_TYPE (MtComprehend, mt_comprehend, MT_TYPE_ANALYSIS_SINK);
GST_ELEMENT_REGISTER_DEFINE (comprehend, "comprehend", GST_RANK_NONE,
    MT_TYPE_COMPREHEND);

GType
mt_comprehend_features_get_type (void)
{
  static GType type = 0;
  static const GFlagsValue values[] = {
    {MT_COMPREHEND_KEYPHRASES, "Key phrases (BatchDetectKeyPhrases; "
          "locally RAKE)", "keyphrases"},
    {MT_COMPREHEND_ENTITIES, "Entities (BatchDetectEntities; locally name "
          "lists and patterns)", "entities"},
    {MT_COMPREHEND_SENTIMENT, "Sentiment (BatchDetectSentiment; locally "
          "VADER)", "sentiment"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_flags_register_static ("MtComprehendFeatures",
            values));
  return type;
}

static gboolean
accept_document (MtAnalysisSink * sink, JsonObject * document)
{
  return mt_comprehend_accepts (document);
}

static void
free_config (gpointer data)
{
  MtComprehendConfig *cfg = data;

  g_free (cfg->language_code);
  g_free (cfg);
}

static gpointer
get_config (MtAnalysisSink * sink, guint64 * features)
{
  MtComprehend *self = MT_COMPREHEND (sink);
  MtComprehendConfig *cfg = g_new0 (MtComprehendConfig, 1);

  GST_OBJECT_LOCK (self);
  cfg->features = self->features;
  cfg->language_code = g_strdup (self->language_code);
  cfg->min_confidence = self->min_confidence;
  GST_OBJECT_UNLOCK (self);
  *features = cfg->features;
  return cfg;
}

/* A language code as Comprehend writes them: "en", "zh-TW", or "auto". */
static gboolean
valid_language_code (const gchar * s)
{
  gsize n = s ? strlen (s) : 0, i;

  if (n < 2 || n > 12)
    return FALSE;
  for (i = 0; i < n; i++) {
    if (!g_ascii_isalpha (s[i]) && s[i] != '-')
      return FALSE;
  }
  return TRUE;
}

static void
set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  MtComprehend *self = MT_COMPREHEND (object);
  const gchar *lang;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FEATURES:
      self->features = g_value_get_flags (value);
      break;
    case PROP_LANGUAGE_CODE:
      lang = g_value_get_string (value);
      if (!valid_language_code (lang)) {
        GST_WARNING_OBJECT (self, "ignoring language-code \"%s\": it takes "
            "a code such as en, de, zh-TW, or auto", GST_STR_NULL (lang));
        break;
      }
      g_free (self->language_code);
      self->language_code = g_value_dup_string (value);
      break;
    case PROP_MIN_CONFIDENCE:
      self->min_confidence = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  MtComprehend *self = MT_COMPREHEND (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FEATURES:
      g_value_set_flags (value, self->features);
      break;
    case PROP_LANGUAGE_CODE:
      g_value_set_string (value, self->language_code);
      break;
    case PROP_MIN_CONFIDENCE:
      g_value_set_double (value, self->min_confidence);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
finalize (GObject * object)
{
  MtComprehend *self = MT_COMPREHEND (object);

  g_free (self->language_code);
  G_OBJECT_CLASS (mt_comprehend_parent_class)->finalize (object);
}

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | \
    GST_PARAM_MUTABLE_READY)

static void
mt_comprehend_class_init (MtComprehendClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  MtAnalysisSinkClass *sink_class = MT_ANALYSIS_SINK_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (comprehend_debug, "comprehend", 0,
      "Comprehend text analysis");

  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;

  /**
   * MtComprehend:features:
   *
   * The analyses to run on each text, combined with `+`, e.g.
   * `keyphrases+entities`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FEATURES,
      g_param_spec_flags ("features", "Features",
          "The analyses to run on each text (combine with +)",
          MT_TYPE_COMPREHEND_FEATURES, DEFAULT_FEATURES, PARAM_FLAGS));
  /**
   * MtComprehend:language-code:
   *
   * The language of the texts (en, es, fr, de, it, pt, ar, hi, ja, ko, zh,
   * zh-TW for AWS), or `auto`: each text's language is detected
   * (BatchDetectDominantLanguage on AWS, a stopword and script guess
   * locally). Text in a language the engine cannot do gets a warning and
   * no documents.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LANGUAGE_CODE,
      g_param_spec_string ("language-code", "Language code",
          "Language of the texts (en, de, zh-TW...), or auto to detect it",
          DEFAULT_LANGUAGE_CODE, PARAM_FLAGS));
  /**
   * MtComprehend:min-confidence:
   *
   * Key phrases and entities below this confidence (0 to 100) are
   * dropped. Sentiment is always written, one per text.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MIN_CONFIDENCE,
      g_param_spec_double ("min-confidence", "Minimum confidence",
          "Key phrases and entities below this confidence, in percent, are "
          "dropped", 0, 100, DEFAULT_MIN_CONFIDENCE, PARAM_FLAGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Comprehend text analysis", "Filter/Analyzer/Text",
      "Key phrases, entities and sentiment of transcripts and document "
      "text, as JSON result documents after the documents they come from",
      "mediatag developers <https://github.com/mediatag/mediatag>");

  sink_class->get_config = get_config;
  sink_class->free_config = free_config;
  sink_class->accept_document = accept_document;
  mt_analysis_sink_class_set_engines (sink_class, engines,
      MT_TYPE_COMPREHEND_FEATURES);
  gst_type_mark_as_plugin_api (MT_TYPE_COMPREHEND_FEATURES, 0);
}

static void
mt_comprehend_init (MtComprehend * self)
{
  self->features = DEFAULT_FEATURES;
  self->language_code = g_strdup (DEFAULT_LANGUAGE_CODE);
  self->min_confidence = DEFAULT_MIN_CONFIDENCE;
  g_object_set (self, "max-in-flight", DEFAULT_MAX_IN_FLIGHT, NULL);
}
