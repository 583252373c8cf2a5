/* rekognitionsink: the element. Everything streaming-related is in the
 * analysis-sink base (plugins/core/analysissink.c); this file declares the
 * pads, the Rekognition properties and the engines. */

/**
 * SECTION:element-rekognitionsink
 * @title: rekognitionsink
 *
 * Analyses images (image/jpeg, image/png, one image per buffer) or video
 * frames (video/x-raw, usually from framesampler) with Amazon Rekognition
 * or a local engine, and outputs one result document per detection as JSON
 * Lines on its src pad, in bus messages and in the `location` file.
 *
 * `features` picks the analyses, combinable with `+`: `labels`
 * (DetectLabels), `faces` (DetectFaces, all attributes), `face-search`
 * (each face cropped, at least 50x50, then SearchFacesByImage in
 * `collection-id`), `celebrities` (RecognizeCelebrities), `moderation`
 * (DetectModerationLabels), `text` (DetectText, with `text-roi`),
 * `custom-labels` (DetectCustomLabels on every model in
 * `custom-label-models`), `ppe` (DetectProtectiveEquipment).
 *
 * Images are kept under the API's limits (5 MB; 4 MB for custom labels)
 * by re-encoding or scaling down, never rejected for size. Raw video frames
 * are encoded as JPEG.
 *
 * For video, sightings of one name in consecutive samples are also merged
 * into track documents (`track` = {name, begin, end, count, confidence})
 * when the gap is under 1.2 sampling intervals.
 *
 * The element message, named `rekognitionsink`, has these fields:
 *
 * * #guint64 `timestamp`: the buffer's timestamp
 * * #guint64 `stream-time`, #guint64 `running-time`, #guint64 `duration`
 * * #gint64 `frame`: the source frame number, -1 for images
 * * #guint `page`: 0 (pages are textractsink's)
 * * #guint64 `index`: the unit's position in the input, from 0
 * * #guint `count`: the number of documents
 * * #gchararray `results`: the documents, as a JSON array
 *
 * The analysis-sink base also posts `mediatag-backend` (the engine chosen)
 * at the first buffer and `mediatag-summary` at EOS: see
 * docs/elements/rekognitionsink.md for their fields.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=photo.jpg ! rekognitionsink \
 *     features=labels+text location=photo.jsonl
 * gst-launch-1.0 uridecodebin uri=file:///clip.mp4 ! videoconvert \
 *     ! framesampler frame-capture-mode=1f-every-2s \
 *     ! rekognitionsink features=labels+faces ! filesink location=out.jsonl
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrekognitionsink.h"

#include <string.h>
#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (rekognition_sink_debug);
#define GST_CAT_DEFAULT rekognition_sink_debug

enum
{
  PROP_0,
  PROP_FEATURES,
  PROP_MIN_CONFIDENCE,
  PROP_MAX_LABELS,
  PROP_COLLECTION_ID,
  PROP_CUSTOM_LABEL_MODELS,
  PROP_AUTO_START_MODEL,
  PROP_MIN_INFERENCE_UNITS,
  PROP_TEXT_ROI,
};

#define DEFAULT_FEATURES MT_REKOGNITION_LABELS
#define DEFAULT_MIN_CONFIDENCE 80.0
#define DEFAULT_MAX_LABELS 0
#define DEFAULT_AUTO_START_MODEL FALSE
#define DEFAULT_MIN_INFERENCE_UNITS 1

struct _MtRekognitionSink
{
  MtAnalysisSink parent;

  /* Properties, under the object lock. */
  guint features;
  gdouble min_confidence;
  guint max_labels;
  gchar *collection_id;
  gchar *custom_label_models;
  gboolean auto_start_model;
  guint min_inference_units;
  gchar *text_roi;
};

/* One table: a new engine is one more line here (engine-local.c is picked
 * up by meson.build when present). */
static const MtEngine *const engines[] = {
  &mt_rekognition_engine_aws,
#ifdef MT_HAVE_REKOGNITION_LOCAL
  &mt_rekognition_engine_local,
#endif
  NULL,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("image/jpeg; image/png; "
        GST_VIDEO_CAPS_MAKE ("{ I420, NV12, YV12, YUY2, UYVY, RGB, BGR, "
            "RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, GRAY8 }")));

G_DEFINE_TYPE (MtRekognitionSink, mt_rekognition_sink, MT_TYPE_ANALYSIS_SINK);
GST_ELEMENT_REGISTER_DEFINE (rekognitionsink, "rekognitionsink",
    GST_RANK_NONE, MT_TYPE_REKOGNITION_SINK);

GType
mt_rekognition_features_get_type (void)
{
  static GType type = 0;
  static const GFlagsValue values[] = {
    {MT_REKOGNITION_LABELS, "Labels (DetectLabels)", "labels"},
    {MT_REKOGNITION_FACES, "Faces with all attributes (DetectFaces)",
        "faces"},
    {MT_REKOGNITION_FACE_SEARCH,
        "Faces searched in collection-id (SearchFacesByImage)", "face-search"},
    {MT_REKOGNITION_CELEBRITIES, "Celebrities (RecognizeCelebrities)",
        "celebrities"},
    {MT_REKOGNITION_MODERATION,
        "Moderation labels (DetectModerationLabels)", "moderation"},
    {MT_REKOGNITION_TEXT, "Text (DetectText)", "text"},
    {MT_REKOGNITION_CUSTOM_LABELS,
          "Custom labels of custom-label-models (DetectCustomLabels)",
        "custom-labels"},
    {MT_REKOGNITION_PPE,
        "Protective equipment (DetectProtectiveEquipment)", "ppe"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_flags_register_static ("MtRekognitionFeatures",
            values));
  return type;
}

static gboolean
parse_roi_booleans (GStrv cells, guint * roi)
{
  guint i, bits = 0;

  if (g_strv_length (cells) != 9)
    return FALSE;
  for (i = 0; i < 9; i++) {
    const gchar *c = cells[i];

    if (!g_ascii_strcasecmp (c, "1") || !g_ascii_strcasecmp (c, "true"))
      bits |= 1u << i;
    else if (g_ascii_strcasecmp (c, "0") && g_ascii_strcasecmp (c, "false"))
      return FALSE;
  }
  *roi = bits;
  return TRUE;
}

static gboolean
parse_roi_indices (GStrv cells, guint * roi)
{
  guint i, bits = 0;
  guint64 cell;

  for (i = 0; cells[i]; i++) {
    if (!g_ascii_string_to_unsigned (cells[i], 10, 0, 8, &cell, NULL))
      return FALSE;
    bits |= 1u << cell;
  }
  *roi = bits;
  return TRUE;
}

gboolean
mt_rekognition_parse_text_roi (const gchar * s, guint * roi)
{
  g_auto (GStrv) cells = NULL;
  guint i;

  *roi = 0;
  if (!s || !*s)
    return TRUE;
  cells = g_strsplit (s, ",", -1);
  for (i = 0; cells[i]; i++)
    g_strstrip (cells[i]);
  /* Nine booleans as Media2Cloud's textROI array, or the indices of the
   * cells (0-8) as `mediatag analyze --text-roi` writes them. */
  return parse_roi_booleans (cells, roi) || parse_roi_indices (cells, roi);
}

static void
free_config (gpointer data)
{
  MtRekognitionConfig *cfg = data;

  g_free (cfg->collection_id);
  g_strfreev (cfg->custom_label_models);
  g_free (cfg);
}

static gchar **
split_models (const gchar * s)
{
  g_auto (GStrv) parts = g_strsplit_set (s ? s : "", ", ", -1);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  guint i;

  for (i = 0; parts[i]; i++) {
    if (*parts[i])
      g_strv_builder_add (b, parts[i]);
  }
  return g_strv_builder_end (b);
}

static gpointer
get_config (MtAnalysisSink * sink, guint64 * features)
{
  MtRekognitionSink *self = MT_REKOGNITION_SINK (sink);
  MtRekognitionConfig *cfg = g_new0 (MtRekognitionConfig, 1);
  g_autofree gchar *roi = NULL;

  GST_OBJECT_LOCK (self);
  cfg->features = self->features;
  cfg->min_confidence = self->min_confidence;
  cfg->max_labels = self->max_labels;
  cfg->collection_id = g_strdup (self->collection_id);
  cfg->custom_label_models = split_models (self->custom_label_models);
  cfg->auto_start_model = self->auto_start_model;
  cfg->min_inference_units = self->min_inference_units;
  roi = g_strdup (self->text_roi);
  GST_OBJECT_UNLOCK (self);

  /* set_property only stores a valid text-roi. */
  mt_rekognition_parse_text_roi (roi, &cfg->text_roi);
  *features = cfg->features;
  return cfg;
}

static void
set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  MtRekognitionSink *self = MT_REKOGNITION_SINK (object);
  guint roi;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FEATURES:
      self->features = g_value_get_flags (value);
      break;
    case PROP_MIN_CONFIDENCE:
      self->min_confidence = g_value_get_double (value);
      break;
    case PROP_MAX_LABELS:
      self->max_labels = g_value_get_uint (value);
      break;
    case PROP_COLLECTION_ID:
      g_free (self->collection_id);
      self->collection_id = g_value_dup_string (value);
      break;
    case PROP_CUSTOM_LABEL_MODELS:
      g_free (self->custom_label_models);
      self->custom_label_models = g_value_dup_string (value);
      break;
    case PROP_AUTO_START_MODEL:
      self->auto_start_model = g_value_get_boolean (value);
      break;
    case PROP_MIN_INFERENCE_UNITS:
      self->min_inference_units = g_value_get_uint (value);
      break;
    case PROP_TEXT_ROI:
      if (!mt_rekognition_parse_text_roi (g_value_get_string (value), &roi)) {
        GST_WARNING_OBJECT (self, "ignoring text-roi \"%s\": it takes nine "
            "comma-separated 0/1 values or cell indices 0-8",
            g_value_get_string (value));
        break;
      }
      g_free (self->text_roi);
      self->text_roi = g_value_dup_string (value);
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
  MtRekognitionSink *self = MT_REKOGNITION_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FEATURES:
      g_value_set_flags (value, self->features);
      break;
    case PROP_MIN_CONFIDENCE:
      g_value_set_double (value, self->min_confidence);
      break;
    case PROP_MAX_LABELS:
      g_value_set_uint (value, self->max_labels);
      break;
    case PROP_COLLECTION_ID:
      g_value_set_string (value, self->collection_id);
      break;
    case PROP_CUSTOM_LABEL_MODELS:
      g_value_set_string (value, self->custom_label_models);
      break;
    case PROP_AUTO_START_MODEL:
      g_value_set_boolean (value, self->auto_start_model);
      break;
    case PROP_MIN_INFERENCE_UNITS:
      g_value_set_uint (value, self->min_inference_units);
      break;
    case PROP_TEXT_ROI:
      g_value_set_string (value, self->text_roi);
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
  MtRekognitionSink *self = MT_REKOGNITION_SINK (object);

  g_free (self->collection_id);
  g_free (self->custom_label_models);
  g_free (self->text_roi);
  G_OBJECT_CLASS (mt_rekognition_sink_parent_class)->finalize (object);
}

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | \
    GST_PARAM_MUTABLE_READY)

static void
mt_rekognition_sink_class_init (MtRekognitionSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  MtAnalysisSinkClass *sink_class = MT_ANALYSIS_SINK_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (rekognition_sink_debug, "rekognitionsink", 0,
      "Rekognition image analysis");

  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;

  /**
   * MtRekognitionSink:features:
   *
   * The analyses to run on each image, combined with `+`, e.g.
   * `labels+faces+text`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FEATURES,
      g_param_spec_flags ("features", "Features",
          "The analyses to run on each image (combine with +)",
          MT_TYPE_REKOGNITION_FEATURES, DEFAULT_FEATURES, PARAM_FLAGS));
  /**
   * MtRekognitionSink:min-confidence:
   *
   * Findings below this confidence (0 to 100) are dropped, for every
   * feature (also the face match threshold of face-search).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MIN_CONFIDENCE,
      g_param_spec_double ("min-confidence", "Minimum confidence",
          "Findings below this confidence, in percent, are dropped", 0, 100,
          DEFAULT_MIN_CONFIDENCE, PARAM_FLAGS));
  /**
   * MtRekognitionSink:max-labels:
   *
   * At most this many labels (and moderation labels) per image; 0 for the
   * service's default.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_LABELS,
      g_param_spec_uint ("max-labels", "Max labels",
          "Number of labels per image at most (0: the service's default)",
          0, 1000, DEFAULT_MAX_LABELS, PARAM_FLAGS));
  /**
   * MtRekognitionSink:collection-id:
   *
   * The face collection face-search looks in; checked at start.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_COLLECTION_ID,
      g_param_spec_string ("collection-id", "Collection ID",
          "The face collection face-search looks in (needed by face-search)",
          NULL, PARAM_FLAGS));
  /**
   * MtRekognitionSink:custom-label-models:
   *
   * Comma-separated project version ARNs of the Custom Labels models to
   * run; each must be RUNNING (checked at start) unless auto-start-model.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CUSTOM_LABEL_MODELS,
      g_param_spec_string ("custom-label-models", "Custom label models",
          "Comma-separated Custom Labels project version ARNs", NULL,
          PARAM_FLAGS));
  /**
   * MtRekognitionSink:auto-start-model:
   *
   * Start a custom-labels model that is not running, and wait until it
   * runs, instead of failing. Running models bill by the hour: stop them
   * with `mediatag models stop`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_AUTO_START_MODEL,
      g_param_spec_boolean ("auto-start-model", "Auto-start model",
          "Start custom-labels models that are not running",
          DEFAULT_AUTO_START_MODEL, PARAM_FLAGS));
  /**
   * MtRekognitionSink:min-inference-units:
   *
   * Inference units for a model started by auto-start-model.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MIN_INFERENCE_UNITS,
      g_param_spec_uint ("min-inference-units", "Min inference units",
          "Number of inference units of a model started by auto-start-model",
          1, 1000, DEFAULT_MIN_INFERENCE_UNITS, PARAM_FLAGS));
  /**
   * MtRekognitionSink:text-roi:
   *
   * Media2Cloud's 3x3 region-of-interest grid for text, row by row from
   * the top-left: either nine comma-separated 0/1 values as Media2Cloud's
   * textROI ("0,0,0,0,0,0,1,1,1" keeps the bottom third) or the indices
   * of the cells to keep ("6,7,8"). No cell or all nine: the whole image.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TEXT_ROI,
      g_param_spec_string ("text-roi", "Text region of interest",
          "3x3 grid, row by row from the top-left: nine 0/1 values, or the "
          "indices (0-8) of the cells to keep (unset: the whole image)", NULL,
          PARAM_FLAGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Rekognition image analysis", "Sink/Analyzer/Video/Image",
      "Labels, faces, face search, celebrities, moderation, text, custom "
      "labels and PPE of images and video frames, as JSON result documents",
      "mediatag developers <https://github.com/mediatag/mediatag>");

  sink_class->get_config = get_config;
  sink_class->free_config = free_config;
  mt_analysis_sink_class_set_engines (sink_class, engines,
      MT_TYPE_REKOGNITION_FEATURES);
  gst_type_mark_as_plugin_api (MT_TYPE_REKOGNITION_FEATURES, 0);
}

static void
mt_rekognition_sink_init (MtRekognitionSink * self)
{
  self->features = DEFAULT_FEATURES;
  self->min_confidence = DEFAULT_MIN_CONFIDENCE;
  self->max_labels = DEFAULT_MAX_LABELS;
  self->auto_start_model = DEFAULT_AUTO_START_MODEL;
  self->min_inference_units = DEFAULT_MIN_INFERENCE_UNITS;
}
