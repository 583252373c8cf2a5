/* rekognitionsink: every Rekognition image analysis as a streaming element.
 * This header is also the contract for its engines (engine-aws.c,
 * engine-local.c): the feature flags, the settings snapshot they get as
 * MtEngineContext.config, and the engine table. */
#pragma once

#include <gst/gst.h>
#include "analysissink.h"

G_BEGIN_DECLS

typedef enum {
  MT_REKOGNITION_LABELS = 1 << 0,
  MT_REKOGNITION_FACES = 1 << 1,
  MT_REKOGNITION_FACE_SEARCH = 1 << 2,
  MT_REKOGNITION_CELEBRITIES = 1 << 3,
  MT_REKOGNITION_MODERATION = 1 << 4,
  MT_REKOGNITION_TEXT = 1 << 5,
  MT_REKOGNITION_CUSTOM_LABELS = 1 << 6,
  MT_REKOGNITION_PPE = 1 << 7,
} MtRekognitionFeatures;

#define MT_REKOGNITION_ALL_FEATURES 0xff

/* The `analysis` values of its documents (and "text", result.h). */
#define MT_ANALYSIS_LABEL "label"
#define MT_ANALYSIS_FACE "face"
#define MT_ANALYSIS_FACEMATCH "facematch"
#define MT_ANALYSIS_CELEBRITY "celebrity"
#define MT_ANALYSIS_MODERATION "moderation"
#define MT_ANALYSIS_CUSTOMLABEL "customlabel"
#define MT_ANALYSIS_PPE "ppe"

#define MT_TYPE_REKOGNITION_FEATURES (mt_rekognition_features_get_type ())
GType mt_rekognition_features_get_type (void);

/* The 3x3 text region-of-interest grid, as Media2Cloud's textROI: bit i is
 * cell i, row-major from the top-left. No cell or all nine: no filter. */
#define MT_TEXT_ROI_ALL 0x1ff

/* What an engine gets as MtEngineContext.config: the element's properties,
 * snapshotted at start. */
typedef struct {
  guint64 features;
  gdouble min_confidence;       /* 0..100, applied to every feature */
  guint max_labels;             /* 0: the service's default */
  gchar *collection_id;         /* face-search */
  gchar **custom_label_models;  /* project version ARNs */
  gboolean auto_start_model;
  guint min_inference_units;    /* when auto-starting a model */
  guint text_roi;               /* MT_TEXT_ROI_* bits */
} MtRekognitionConfig;

/* Parses text-roi: nine comma-separated 0/1 (or true/false) values, or a
 * comma-separated list of cell indices 0-8; cells row-major from the
 * top-left. Returns FALSE on anything else. */
gboolean mt_rekognition_parse_text_roi (const gchar * s, guint * roi);

#define MT_TYPE_REKOGNITION_SINK (mt_rekognition_sink_get_type ())
G_DECLARE_FINAL_TYPE (MtRekognitionSink, mt_rekognition_sink, MT,
    REKOGNITION_SINK, MtAnalysisSink)

GST_ELEMENT_REGISTER_DECLARE (rekognitionsink);

/* The engines (engine-*.c). */
extern const MtEngine mt_rekognition_engine_aws;
#ifdef MT_HAVE_REKOGNITION_LOCAL
extern const MtEngine mt_rekognition_engine_local;
#endif

G_END_DECLS
