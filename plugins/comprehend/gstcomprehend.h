/* comprehend: key phrases, entities and sentiment over the text of result
 * documents (transcripts, document text). This header is the contract
 * between the element (gstcomprehend.c) and its engines (engine-aws.c,
 * engine-local.c): the feature flags, the settings snapshot they get as
 * MtEngineContext.config, the text helpers both use (textsource.c), and
 * the engine table. */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include "analysissink.h"

G_BEGIN_DECLS

typedef enum {
  MT_COMPREHEND_KEYPHRASES = 1 << 0,
  MT_COMPREHEND_ENTITIES = 1 << 1,
  MT_COMPREHEND_SENTIMENT = 1 << 2,
} MtComprehendFeatures;

#define MT_COMPREHEND_ALL_FEATURES 0x7

#define MT_TYPE_COMPREHEND_FEATURES (mt_comprehend_features_get_type ())
GType mt_comprehend_features_get_type (void);

/* `analysis` values of the documents comprehend makes. */
#define MT_ANALYSIS_KEYPHRASE "keyphrase"
#define MT_ANALYSIS_ENTITY "entity"
#define MT_ANALYSIS_SENTIMENT "sentiment"

/* What an engine gets as MtEngineContext.config, snapshotted at start. */
typedef struct {
  guint64 features;
  gchar *language_code;         /* "en", "de"... or "auto" */
  gdouble min_confidence;       /* 0..100: key phrases and entities */
} MtComprehendConfig;

/* The text of one input document and where each part of it lies in the
 * media: transcript words (detail.words, ms) give times, Textract WORD
 * blocks (detail.Blocks) give boxes. Offsets are in bytes of the UTF-8
 * text. Read-only once made: engines share it between threads. */
typedef struct _MtTextSource MtTextSource;

/* NULL when the document has no usable text: no string `text`, or an
 * empty one, or (error set) text that is not valid UTF-8. */
MtTextSource *mt_text_source_new (JsonObject * document,
    const gchar * fallback_asset, GError ** error);
void mt_text_source_free (MtTextSource * src);
const gchar *mt_text_source_get_text (const MtTextSource * src, gsize * len);

/* A result document for the bytes [begin, end) of the text: `analysis`,
 * `engine`, `name`, `confidence` (negative: none), `source` (the input's
 * id), `asset`, and `timestamp`/`end` from the words it spans (else the
 * input's own), `page`, and `box` (the union of the spanned words' boxes,
 * else the input's own). */
JsonObject *mt_text_source_result (const MtTextSource * src,
    const gchar * analysis, const gchar * engine, const gchar * name,
    gdouble confidence, gsize begin, gsize end);

/* Merges findings nothing tells apart (same analysis, type, name and
 * placement: times, page, box), as the same name repeated on a page
 * without word boxes: the first stays, with `detail.Occurrences` the
 * count and the highest confidence. Keeps ids unique without ordinals,
 * and the output one document per thing found per place. */
void mt_text_results_merge (GPtrArray * results);

/* A part of a text, in bytes. */
typedef struct {
  gsize offset;
  gsize len;
} MtTextPart;

/* Splits text into parts of at most max_bytes, at sentence ends where it
 * can, else at spaces, else at a character boundary; parts never cut a
 * UTF-8 sequence and together cover the whole text. GArray of MtTextPart. */
GArray *mt_text_split (const gchar * text, gsize len, gsize max_bytes);

#define MT_TYPE_COMPREHEND (mt_comprehend_get_type ())
G_DECLARE_FINAL_TYPE (MtComprehend, mt_comprehend, MT, COMPREHEND,
    MtAnalysisSink)

GST_ELEMENT_REGISTER_DECLARE (comprehend);

/* Whether comprehend analyses a document: transcripts, text and document
 * results, and any document with a string `text`; never detections that
 * merely carry a name (labels, faces...), nor Textract lines, whose words
 * their page's `document` already carries (each text is analysed once). */
gboolean mt_comprehend_accepts (JsonObject * document);

/* The engines (engine-*.c). */
extern const MtEngine mt_comprehend_engine_aws;
extern const MtEngine mt_comprehend_engine_local;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtTextSource, mt_text_source_free)

G_END_DECLS
