/* textractsink: documents as data (text, tables, forms, invoices, identity
 * documents), page by page. The element (gsttextractsink.c) gathers a
 * document, opens it, and queues one page unit per page; the engines
 * (engine-*.c) see only MtTextractConfig and one page at a time. */
#pragma once

#include <gst/gst.h>
#include "analysissink.h"

G_BEGIN_DECLS

typedef enum {
  MT_TEXTRACT_TEXT = 1 << 0,
  MT_TEXTRACT_TABLES = 1 << 1,
  MT_TEXTRACT_FORMS = 1 << 2,
  MT_TEXTRACT_QUERIES = 1 << 3,
  MT_TEXTRACT_SIGNATURES = 1 << 4,
  MT_TEXTRACT_LAYOUT = 1 << 5,
  MT_TEXTRACT_EXPENSE = 1 << 6,
  MT_TEXTRACT_IDENTITY = 1 << 7,
} MtTextractFeatures;

#define MT_TEXTRACT_ALL_FEATURES 0xff

#define MT_TYPE_TEXTRACT_FEATURES (mt_textract_features_get_type ())
GType mt_textract_features_get_type (void);

/* What an engine gets as MtEngineContext.config, snapshotted at start. */
typedef struct {
  guint64 features;
  gchar **queries;              /* QUERIES questions, NULL-terminated, may be NULL */
  gdouble min_confidence;       /* 0..100 */
  guint dpi;                    /* rendering resolution for local OCR */
  gchar *password;              /* encrypted PDFs; never logged */
} MtTextractConfig;

#define MT_TYPE_TEXTRACT_SINK (mt_textract_sink_get_type ())
G_DECLARE_FINAL_TYPE (MtTextractSink, mt_textract_sink, MT,
    TEXTRACT_SINK, MtAnalysisSink)

GST_ELEMENT_REGISTER_DECLARE (textractsink);

/* The engines (engine-*.c). */
extern const MtEngine mt_textract_engine_aws;
#ifdef MT_HAVE_TEXTRACT_LOCAL
extern const MtEngine mt_textract_engine_local;
#endif

G_END_DECLS
