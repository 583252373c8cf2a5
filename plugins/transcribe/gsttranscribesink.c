/* transcribesink: the element. Everything streaming-related is in the
 * analysis-sink base (plugins/core/analysissink.c); this file declares the
 * pads, the Transcribe properties and the engines. */

/**
 * SECTION:element-transcribesink
 * @title: transcribesink
 *
 * Speech to text with word times. Raw mono 16-bit audio goes in; one
 * `transcript` result document per segment (an utterance, or a sentence
 * for AWS) comes out as JSON Lines on the src pad, in bus messages and in
 * the `location` file.
 *
 * Engines, picked by `backend`:
 *
 * * `aws`: Amazon Transcribe, streaming (`mode=streaming`,
 *   StartStreamTranscription over WebSocket) or batch (`mode=batch`, the
 *   audio goes to S3 and a StartTranscriptionJob is polled).
 * * `local`: pocketsphinx with its US English model, offline. Input at
 *   any rate from 8 to 48 kHz is resampled to the model's 16 kHz inside
 *   the engine (windowed sinc); utterances are found by pocketsphinx's
 *   voice-activity detection. Words the dictionary lacks can be added with
 *   `vocabulary` ("word:PH ON ES").
 *
 * Each document has `text` (and `name`, the same), `timestamp` and `end`
 * in ms of stream time, `confidence` 0-100 (the mean of its words),
 * `language`, `speaker` when known, and `detail.words`, an array of
 * `{word, start, end, confidence}` with times in ms, in order. The same
 * audio analysed again gives the same document ids.
 *
 * Results that may still change (partial transcripts) are only posted on
 * the bus, as element messages named `transcribesink-partial` with a
 * #gchararray `result` field holding the document as JSON; they never
 * reach the src pad or the `location` file.
 *
 * The element message for final results, named `transcribesink`, has
 * these fields:
 *
 * * #guint64 `timestamp`, #guint64 `stream-time`, #guint64 `running-time`,
 *   #guint64 `duration`: GST_CLOCK_TIME_NONE (results of a session do not
 *   belong to one buffer: each segment's times are in its document)
 * * #gint64 `frame`: -1; #guint `page`: 0
 * * #guint64 `index`: the position of this output in the stream, from 0
 * * #guint `count`: the number of documents
 * * #gchararray `results`: the documents, as a JSON array
 *
 * At EOS a `mediatag-summary` message says how many segments were written
 * (see MtAnalysisSink); with the local engine, audio with no speech in it
 * gives no documents and an info message "No speech found".
 *
 * Audio must be mono S16LE: put `audioconvert ! audioresample` before the
 * element, which then also takes stereo and any rate.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=talk.wav ! wavparse ! audioconvert \
 *     ! audioresample ! transcribesink backend=local location=talk.jsonl
 * gst-launch-1.0 uridecodebin uri=file:///clip.mp4 ! audioconvert \
 *     ! audioresample ! transcribesink language-code=en-US \
 *     ! filesink location=clip.transcript.jsonl
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsttranscribesink.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (transcribe_sink_debug);
#define GST_CAT_DEFAULT transcribe_sink_debug

enum
{
  PROP_0,
  PROP_MODE,
  PROP_LANGUAGE_CODE,
  PROP_IDENTIFY_LANGUAGE,
  PROP_LANGUAGE_OPTIONS,
  PROP_VOCABULARY_NAME,
  PROP_VOCABULARY_FILTER_NAME,
  PROP_VOCABULARY_FILTER_METHOD,
  PROP_LANGUAGE_MODEL_NAME,
  PROP_SHOW_SPEAKER_LABELS,
  PROP_RESULTS_STABILITY,
  PROP_BUCKET,
  PROP_PREFIX,
  PROP_VOCABULARY,
};

typedef enum
{
  MT_VOCABULARY_FILTER_REMOVE,
  MT_VOCABULARY_FILTER_MASK,
  MT_VOCABULARY_FILTER_TAG,
} MtVocabularyFilterMethod;

typedef enum
{
  MT_RESULTS_STABILITY_NONE,
  MT_RESULTS_STABILITY_LOW,
  MT_RESULTS_STABILITY_MEDIUM,
  MT_RESULTS_STABILITY_HIGH,
} MtResultsStability;

#define MT_TYPE_VOCABULARY_FILTER_METHOD \
    (mt_vocabulary_filter_method_get_type ())
static GType mt_vocabulary_filter_method_get_type (void);
#define MT_TYPE_RESULTS_STABILITY (mt_results_stability_get_type ())
static GType mt_results_stability_get_type (void);

#define DEFAULT_MODE MT_TRANSCRIBE_MODE_STREAMING
#define DEFAULT_LANGUAGE_CODE "en-US"
#define DEFAULT_VOCABULARY_FILTER_METHOD MT_VOCABULARY_FILTER_MASK
#define DEFAULT_RESULTS_STABILITY MT_RESULTS_STABILITY_NONE
#define DEFAULT_PREFIX "mediatag-transcribe/"

struct _MtTranscribeSink
{
  MtAnalysisSink parent;

  /* Properties, under the object lock. */
  MtTranscribeMode mode;
  gchar *language_code;
  gboolean identify_language;
  gchar *language_options;
  gchar *vocabulary_name;
  gchar *vocabulary_filter_name;
  MtVocabularyFilterMethod vocabulary_filter_method;
  gchar *language_model_name;
  gboolean show_speaker_labels;
  MtResultsStability results_stability;
  gchar *bucket;
  gchar *prefix;
  gchar *vocabulary;
};

/* One table: a new engine is one more line here (meson.build defines the
 * MT_HAVE_* of the engines it builds). */
static const MtEngine *const engines[] = {
#ifdef MT_HAVE_TRANSCRIBE_AWS
  &mt_transcribe_engine_aws,
#endif
#ifdef MT_HAVE_TRANSCRIBE_LOCAL
  &mt_transcribe_engine_local,
#endif
  NULL,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw, format = (string) S16LE, "
        "channels = (int) 1, rate = (int) [ 8000, 48000 ], "
        "layout = (string) interleaved"));

G_DEFINE_TYPE (MtTranscribeSink, mt_transcribe_sink, MT_TYPE_ANALYSIS_SINK);
GST_ELEMENT_REGISTER_DEFINE (transcribesink, "transcribesink",
    GST_RANK_NONE, MT_TYPE_TRANSCRIBE_SINK);

GType
mt_transcribe_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {MT_TRANSCRIBE_MODE_STREAMING,
        "Streaming (StartStreamTranscription over WebSocket)", "streaming"},
    {MT_TRANSCRIBE_MODE_BATCH,
        "Batch (audio to S3, then StartTranscriptionJob)", "batch"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("MtTranscribeMode",
            values));
  return type;
}

static GType
mt_vocabulary_filter_method_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {MT_VOCABULARY_FILTER_REMOVE, "Filtered words are removed", "remove"},
    {MT_VOCABULARY_FILTER_MASK, "Filtered words are replaced by ***",
        "mask"},
    {MT_VOCABULARY_FILTER_TAG, "Filtered words are kept and tagged", "tag"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("MtTranscribeVocabularyFilterMethod", values));
  return type;
}

static GType
mt_results_stability_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {MT_RESULTS_STABILITY_NONE, "Off (no partial-results stabilization)",
        "none"},
    {MT_RESULTS_STABILITY_LOW, "Low (most accurate partial results)", "low"},
    {MT_RESULTS_STABILITY_MEDIUM, "Medium", "medium"},
    {MT_RESULTS_STABILITY_HIGH, "High (partial results change least)",
        "high"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("MtTranscribeResultsStability", values));
  return type;
}

static const gchar *
enum_nick (GType type, gint value)
{
  GEnumClass *klass = g_type_class_peek (type);
  GEnumValue *v = g_enum_get_value (klass, value);

  return v ? v->value_nick : NULL;
}

/* "a, b,c" -> {"a", "b", "c"}; empty entries dropped. */
static gchar **
split_list (const gchar * s)
{
  g_auto (GStrv) parts = g_strsplit (s ? s : "", ",", -1);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  guint i;

  for (i = 0; parts[i]; i++) {
    g_strstrip (parts[i]);
    if (*parts[i])
      g_strv_builder_add (b, parts[i]);
  }
  return g_strv_builder_end (b);
}

static gint
negotiated_rate (MtAnalysisSink * sink)
{
  g_autoptr (GstCaps) caps = mt_analysis_sink_get_caps (sink);
  gint rate = 0;

  if (caps && gst_caps_get_size (caps) > 0)
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "rate", &rate);
  return rate;
}

static void
free_config (gpointer data)
{
  MtTranscribeConfig *cfg = data;

  g_free (cfg->language_code);
  g_free (cfg->language_options);
  g_free (cfg->vocabulary_name);
  g_free (cfg->vocabulary_filter_name);
  g_free (cfg->vocabulary_filter_method);
  g_free (cfg->language_model_name);
  g_free (cfg->results_stability);
  g_free (cfg->bucket);
  g_free (cfg->prefix);
  g_strfreev (cfg->vocabulary_words);
  g_free (cfg);
}

static gpointer
get_config (MtAnalysisSink * sink, guint64 * features)
{
  MtTranscribeSink *self = MT_TRANSCRIBE_SINK (sink);
  MtTranscribeConfig *cfg = g_new0 (MtTranscribeConfig, 1);

  GST_OBJECT_LOCK (self);
  cfg->mode = self->mode;
  cfg->language_code = g_strdup (self->language_code ? self->language_code :
      DEFAULT_LANGUAGE_CODE);
  cfg->identify_language = self->identify_language;
  cfg->language_options = g_strdup (self->language_options);
  cfg->vocabulary_name = g_strdup (self->vocabulary_name);
  cfg->vocabulary_filter_name = g_strdup (self->vocabulary_filter_name);
  /* The method only means something with a filter. */
  if (self->vocabulary_filter_name)
    cfg->vocabulary_filter_method = g_strdup (enum_nick
        (MT_TYPE_VOCABULARY_FILTER_METHOD, self->vocabulary_filter_method));
  cfg->language_model_name = g_strdup (self->language_model_name);
  cfg->show_speaker_labels = self->show_speaker_labels;
  if (self->results_stability != MT_RESULTS_STABILITY_NONE)
    cfg->results_stability = g_strdup (enum_nick (MT_TYPE_RESULTS_STABILITY,
            self->results_stability));
  cfg->bucket = g_strdup (self->bucket);
  cfg->prefix = g_strdup (self->prefix ? self->prefix : DEFAULT_PREFIX);
  cfg->vocabulary_words = split_list (self->vocabulary);
  GST_OBJECT_UNLOCK (self);

  cfg->sample_rate = negotiated_rate (sink);
  *features = 0;
  return cfg;
}

/* A string property: NULL for "" so that unset and empty mean the same. */
static void
set_string (gchar ** field, const GValue * value)
{
  const gchar *s = g_value_get_string (value);

  g_free (*field);
  *field = s && *s ? g_strdup (s) : NULL;
}

static void
set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  MtTranscribeSink *self = MT_TRANSCRIBE_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_LANGUAGE_CODE:
      set_string (&self->language_code, value);
      break;
    case PROP_IDENTIFY_LANGUAGE:
      self->identify_language = g_value_get_boolean (value);
      break;
    case PROP_LANGUAGE_OPTIONS:
      set_string (&self->language_options, value);
      break;
    case PROP_VOCABULARY_NAME:
      set_string (&self->vocabulary_name, value);
      break;
    case PROP_VOCABULARY_FILTER_NAME:
      set_string (&self->vocabulary_filter_name, value);
      break;
    case PROP_VOCABULARY_FILTER_METHOD:
      self->vocabulary_filter_method = g_value_get_enum (value);
      break;
    case PROP_LANGUAGE_MODEL_NAME:
      set_string (&self->language_model_name, value);
      break;
    case PROP_SHOW_SPEAKER_LABELS:
      self->show_speaker_labels = g_value_get_boolean (value);
      break;
    case PROP_RESULTS_STABILITY:
      self->results_stability = g_value_get_enum (value);
      break;
    case PROP_BUCKET:
      set_string (&self->bucket, value);
      break;
    case PROP_PREFIX:
      set_string (&self->prefix, value);
      break;
    case PROP_VOCABULARY:
      set_string (&self->vocabulary, value);
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
  MtTranscribeSink *self = MT_TRANSCRIBE_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_LANGUAGE_CODE:
      g_value_set_string (value, self->language_code ? self->language_code :
          DEFAULT_LANGUAGE_CODE);
      break;
    case PROP_IDENTIFY_LANGUAGE:
      g_value_set_boolean (value, self->identify_language);
      break;
    case PROP_LANGUAGE_OPTIONS:
      g_value_set_string (value, self->language_options);
      break;
    case PROP_VOCABULARY_NAME:
      g_value_set_string (value, self->vocabulary_name);
      break;
    case PROP_VOCABULARY_FILTER_NAME:
      g_value_set_string (value, self->vocabulary_filter_name);
      break;
    case PROP_VOCABULARY_FILTER_METHOD:
      g_value_set_enum (value, self->vocabulary_filter_method);
      break;
    case PROP_LANGUAGE_MODEL_NAME:
      g_value_set_string (value, self->language_model_name);
      break;
    case PROP_SHOW_SPEAKER_LABELS:
      g_value_set_boolean (value, self->show_speaker_labels);
      break;
    case PROP_RESULTS_STABILITY:
      g_value_set_enum (value, self->results_stability);
      break;
    case PROP_BUCKET:
      g_value_set_string (value, self->bucket);
      break;
    case PROP_PREFIX:
      g_value_set_string (value, self->prefix ? self->prefix : DEFAULT_PREFIX);
      break;
    case PROP_VOCABULARY:
      g_value_set_string (value, self->vocabulary);
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
  MtTranscribeSink *self = MT_TRANSCRIBE_SINK (object);

  g_free (self->language_code);
  g_free (self->language_options);
  g_free (self->vocabulary_name);
  g_free (self->vocabulary_filter_name);
  g_free (self->language_model_name);
  g_free (self->bucket);
  g_free (self->prefix);
  g_free (self->vocabulary);
  G_OBJECT_CLASS (mt_transcribe_sink_parent_class)->finalize (object);
}

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | \
    GST_PARAM_MUTABLE_READY)

static void
install_string (GObjectClass * klass, guint id, const gchar * name,
    const gchar * nick, const gchar * blurb, const gchar * def)
{
  g_object_class_install_property (klass, id, g_param_spec_string (name, nick,
          blurb, def, PARAM_FLAGS));
}

static void
install_language_properties (GObjectClass * klass)
{
  /**
   * MtTranscribeSink:language-code:
   *
   * The language spoken, as a BCP-47 code Transcribe knows ("en-US",
   * "de-DE"...). The local engine has en-US only (pocketsphinx-en-us);
   * another code is an error at start naming what is installed.
   *
   * Since: 0.1
   */
  install_string (klass, PROP_LANGUAGE_CODE, "language-code",
      "Language code", "The language spoken (en-US, de-DE, ...)",
      DEFAULT_LANGUAGE_CODE);
  /**
   * MtTranscribeSink:identify-language:
   *
   * Let Transcribe identify the language among `language-options`
   * (AWS only; `language-code` is then not sent).
   *
   * Since: 0.1
   */
  g_object_class_install_property (klass, PROP_IDENTIFY_LANGUAGE,
      g_param_spec_boolean ("identify-language", "Identify language",
          "Identify the language among language-options (AWS only)", FALSE,
          PARAM_FLAGS));
  /**
   * MtTranscribeSink:language-options:
   *
   * Comma-separated language codes identify-language chooses among, e.g.
   * "en-US,de-DE,fr-FR" (AWS only).
   *
   * Since: 0.1
   */
  install_string (klass, PROP_LANGUAGE_OPTIONS, "language-options",
      "Language options",
      "Comma-separated candidates for identify-language (AWS only)", NULL);
  /**
   * MtTranscribeSink:language-model-name:
   *
   * A Transcribe custom language model to decode with (AWS only).
   *
   * Since: 0.1
   */
  install_string (klass, PROP_LANGUAGE_MODEL_NAME, "language-model-name",
      "Language model name", "A Transcribe custom language model (AWS only)",
      NULL);
}

static void
install_vocabulary_properties (GObjectClass * klass)
{
  /**
   * MtTranscribeSink:vocabulary-name:
   *
   * A Transcribe custom vocabulary (AWS only; locally see `vocabulary`).
   *
   * Since: 0.1
   */
  install_string (klass, PROP_VOCABULARY_NAME, "vocabulary-name",
      "Vocabulary name", "A Transcribe custom vocabulary (AWS only)", NULL);
  /**
   * MtTranscribeSink:vocabulary-filter-name:
   *
   * A Transcribe vocabulary filter: words to remove, mask or tag (AWS
   * only).
   *
   * Since: 0.1
   */
  install_string (klass, PROP_VOCABULARY_FILTER_NAME,
      "vocabulary-filter-name", "Vocabulary filter name",
      "A Transcribe vocabulary filter (AWS only)", NULL);
  /**
   * MtTranscribeSink:vocabulary-filter-method:
   *
   * What the vocabulary filter does with its words.
   *
   * Since: 0.1
   */
  g_object_class_install_property (klass, PROP_VOCABULARY_FILTER_METHOD,
      g_param_spec_enum ("vocabulary-filter-method",
          "Vocabulary filter method",
          "What vocabulary-filter-name does with its words",
          MT_TYPE_VOCABULARY_FILTER_METHOD, DEFAULT_VOCABULARY_FILTER_METHOD,
          PARAM_FLAGS));
  /**
   * MtTranscribeSink:vocabulary:
   *
   * Words the local engine must know, comma-separated. A word already in
   * the pocketsphinx dictionary is written as is; any other needs its
   * pronunciation in the model's phones, as in cmudict:
   * "mediatag:M IY D IY AH T AE G". pocketsphinx 0.8 cannot guess one, so
   * an unknown word without phones is an error at start.
   *
   * Since: 0.1
   */
  install_string (klass, PROP_VOCABULARY, "vocabulary", "Vocabulary",
      "Local engine: comma-separated words to recognise, unknown ones as "
      "word:PH ON ES", NULL);
}

static void
install_aws_properties (GObjectClass * klass)
{
  /**
   * MtTranscribeSink:mode:
   *
   * How the AWS engine transcribes: streaming as the audio plays, or
   * batch (the audio is uploaded to S3 and a transcription job run),
   * which suits whole files.
   *
   * Since: 0.1
   */
  g_object_class_install_property (klass, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "AWS: streaming (WebSocket) or batch (S3 and a transcription job)",
          MT_TYPE_TRANSCRIBE_MODE, DEFAULT_MODE, PARAM_FLAGS));
  /**
   * MtTranscribeSink:show-speaker-labels:
   *
   * Label who speaks (`speaker` in the documents; AWS only).
   *
   * Since: 0.1
   */
  g_object_class_install_property (klass, PROP_SHOW_SPEAKER_LABELS,
      g_param_spec_boolean ("show-speaker-labels", "Show speaker labels",
          "Label speakers in the documents (AWS only)", FALSE, PARAM_FLAGS));
  /**
   * MtTranscribeSink:results-stability:
   *
   * Partial-results stabilization of AWS streaming: how much partial
   * results (bus messages only) may still change.
   *
   * Since: 0.1
   */
  g_object_class_install_property (klass, PROP_RESULTS_STABILITY,
      g_param_spec_enum ("results-stability", "Results stability",
          "AWS streaming: partial-results stabilization",
          MT_TYPE_RESULTS_STABILITY, DEFAULT_RESULTS_STABILITY, PARAM_FLAGS));
  /**
   * MtTranscribeSink:bucket:
   *
   * Batch mode: the S3 bucket the audio is uploaded to (not needed when
   * the asset already is an s3:// object).
   *
   * Since: 0.1
   */
  install_string (klass, PROP_BUCKET, "bucket", "Bucket",
      "Batch mode: the S3 bucket the audio is uploaded to", NULL);
  /**
   * MtTranscribeSink:prefix:
   *
   * Batch mode: the key prefix of the uploaded audio and of the job's
   * output.
   *
   * Since: 0.1
   */
  install_string (klass, PROP_PREFIX, "prefix", "Prefix",
      "Batch mode: key prefix of the uploaded audio", DEFAULT_PREFIX);
}

static void
mt_transcribe_sink_class_init (MtTranscribeSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  MtAnalysisSinkClass *sink_class = MT_ANALYSIS_SINK_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (transcribe_sink_debug, "transcribesink", 0,
      "Speech to text");

  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;

  install_aws_properties (gobject_class);
  install_language_properties (gobject_class);
  install_vocabulary_properties (gobject_class);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Speech to text", "Sink/Analyzer/Audio",
      "Transcribes speech with word times (Amazon Transcribe streaming or "
      "batch, or pocketsphinx offline) into JSON result documents",
      "mediatag developers <https://github.com/mediatag/mediatag>");

  sink_class->get_config = get_config;
  sink_class->free_config = free_config;
  mt_analysis_sink_class_set_engines (sink_class, engines, G_TYPE_NONE);
  gst_type_mark_as_plugin_api (MT_TYPE_TRANSCRIBE_MODE, 0);
  gst_type_mark_as_plugin_api (MT_TYPE_VOCABULARY_FILTER_METHOD, 0);
  gst_type_mark_as_plugin_api (MT_TYPE_RESULTS_STABILITY, 0);
}

static void
mt_transcribe_sink_init (MtTranscribeSink * self)
{
  self->mode = DEFAULT_MODE;
  self->vocabulary_filter_method = DEFAULT_VOCABULARY_FILTER_METHOD;
  self->results_stability = DEFAULT_RESULTS_STABILITY;
}
