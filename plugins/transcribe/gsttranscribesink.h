/* transcribesink: speech to text with word times, as a streaming element.
 * The element (gsttranscribesink.c) holds the properties and registers the
 * engines; the engines live in engine-*.c and see only MtTranscribeConfig.
 * Shared between the element and every engine: nothing here is
 * engine-specific. */
#pragma once

#include <gst/gst.h>
#include "analysissink.h"

G_BEGIN_DECLS

typedef enum {
  MT_TRANSCRIBE_MODE_STREAMING,  /* AWS: StartStreamTranscription (WebSocket) */
  MT_TRANSCRIBE_MODE_BATCH,      /* AWS: StartTranscriptionJob via S3 */
} MtTranscribeMode;

#define MT_TYPE_TRANSCRIBE_MODE (mt_transcribe_mode_get_type ())
GType mt_transcribe_mode_get_type (void);

/* What an engine gets as MtEngineContext.config: the element's properties,
 * snapshotted at start. Strings may be NULL (unset). */
typedef struct {
  MtTranscribeMode mode;
  gchar *language_code;          /* default "en-US" */
  gboolean identify_language;
  gchar *language_options;       /* "en-US,de-DE" for identify-language */
  gchar *vocabulary_name;
  gchar *vocabulary_filter_name;
  gchar *vocabulary_filter_method;  /* remove | mask | tag */
  gchar *language_model_name;
  gboolean show_speaker_labels;
  gchar *results_stability;      /* NULL (off) | low | medium | high */
  gchar *bucket;                 /* batch: where the audio is uploaded */
  gchar *prefix;                 /* batch: key prefix, default "mediatag-transcribe/" */
  gint sample_rate;              /* from the negotiated caps, Hz */
  gchar **vocabulary_words;      /* local: words added to the dictionary */
} MtTranscribeConfig;

#define MT_TYPE_TRANSCRIBE_SINK (mt_transcribe_sink_get_type ())
G_DECLARE_FINAL_TYPE (MtTranscribeSink, mt_transcribe_sink, MT,
    TRANSCRIBE_SINK, MtAnalysisSink)

GST_ELEMENT_REGISTER_DECLARE (transcribesink);

/* Segment documents (one per utterance or sentence), shared by every
 * engine so their output has one shape: `analysis` "transcript", `name`
 * and `text` the segment's text, `timestamp`/`end` in ms of stream time,
 * `confidence` 0..100 (mean of the words), `language`, `speaker` (may be
 * NULL), and `detail.words` = [{word, start, end, confidence}] built from
 * `words` (a JsonArray of such objects, a reference is taken). `detail`
 * may hold more (the service's own items): pass it, or NULL. */
JsonObject *mt_transcript_segment_new (const gchar * engine,
    const gchar * text, gint64 start_ms, gint64 end_ms, gdouble confidence,
    const gchar * language, const gchar * speaker, JsonArray * words,
    JsonObject * detail);

/* The engines (engine-*.c), all session engines. The AWS one does both
 * modes: its start() picks streaming (engine-aws-streaming.c) or batch
 * (engine-aws-batch.c) by MtTranscribeConfig.mode. */
extern const MtEngine mt_transcribe_engine_aws;
#ifdef MT_HAVE_TRANSCRIBE_LOCAL
extern const MtEngine mt_transcribe_engine_local;
#endif

G_END_DECLS
