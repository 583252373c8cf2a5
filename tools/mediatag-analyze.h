/* mediatag analyze: the graph it builds, and Media2Cloud aiOptions. */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

/* What the analysis graph of one asset is made of. */
typedef struct {
  const gchar *features;            /* rekognitionsink features, '+'-joined */
  const gchar *frame_capture_mode;  /* code or nick */
  gdouble min_confidence;
  const gchar *backend;
  const gchar *location;            /* where rekognitionsink writes JSON lines */
  const gchar *opensearch;          /* NULL: no indexing */
  const gchar *opensearch_sigv4;    /* NULL, es or aoss */
  const gchar *collection_id;
  const gchar *custom_label_models;
  const gchar *text_roi;
  gboolean sink_has_max_pixels;     /* FALSE: max_pixels is not passed */
  guint64 max_pixels;               /* 0: no limit */
  const gchar *thumbs_dir;          /* NULL: no thumbnails (mediatag-thumbs.h) */
  gboolean decode_all;              /* framesampler seek=none */
  gdouble max_tps;                  /* 0: no limit */
  const gchar *decoder;             /* of images; NULL: decodebin */
} MtAnalyzeGraph;

/* The launch line analysing `uri` (video: sampled frames; else one image). */
gchar *mt_analyze_build_launch (const gchar * uri, gboolean video,
    const MtAnalyzeGraph * graph);

/* Media2Cloud's frameCaptureMode codes, for messages. */
#define MT_FRAME_CAPTURE_CODES "1, 2, 3, 4, 5, 10, 12, 15 (frames a second), " \
  "1000 (all), 1001 (half), 1002, 1003, 1004, 1005, 1011, 1012, 1013 " \
  "(one every 2 s, 5 s, 10 s, 30 s, 1 min, 2 min, 5 min), 9999 (dynamic)"

/* Analysis settings, from defaults, a Media2Cloud aiOptions file, then the
 * command line. */
typedef struct {
  gchar *features;
  gchar *frame_capture_mode;
  gdouble min_confidence;
  gchar *collection_id;
  gchar *custom_label_models;
  gchar *text_roi;
} MtAiOptions;

void mt_ai_options_init (MtAiOptions * ai);
void mt_ai_options_clear (MtAiOptions * ai);
/* Reads aiOptions (bare, or inside {"aiOptions": ...} or
 * {"input": {"aiOptions": ...}}); fields mediatag cannot honour are named
 * in a warning on `warn`. */
gboolean mt_ai_options_load (MtAiOptions * ai, const gchar * path,
    FILE * warn, GError ** error);
gboolean mt_ai_options_load_data (MtAiOptions * ai, const gchar * json,
    FILE * warn, GError ** error);
/* Applies command-line values that were given (NULL / negative: not given). */
gboolean mt_ai_options_override (MtAiOptions * ai, const gchar * features,
    const gchar * frame_capture_mode, gdouble min_confidence,
    const gchar * collection_id, const gchar * custom_label_models,
    const gchar * text_roi, GError ** error);

/* --text-roi: distinct cells 0 to 8, comma-separated. */
gboolean mt_text_roi_check (const gchar * roi, GError ** error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MtAiOptions, mt_ai_options_clear)

/* ---- one asset at a time (mediatag batch) ----
 * analyze's options parsed and checked as analyze does, and one asset run
 * through the same probe, graph and output code as `mediatag analyze`.
 * mt_analyze_asset() may run in several threads at once, each with its own
 * thread-default GMainContext pushed (its graph's bus is watched there);
 * the options are only read. */
typedef struct _MtAnalyzeOptions MtAnalyzeOptions;

typedef enum {
  MT_ASSET_DONE,                /* analysed whole, every unit succeeded */
  MT_ASSET_PARTIAL,             /* results kept, not all of it (why given) */
  MT_ASSET_FAILED,              /* nothing analysed (why given) */
  MT_ASSET_UNSUPPORTED,         /* not media mediatag reads */
  MT_ASSET_CANNOT_RUN,          /* the engine can do none of the features:
                                 * no asset would be analysed */
} MtAssetStatus;

MtAnalyzeOptions *mt_analyze_options_new (void);
void mt_analyze_options_free (MtAnalyzeOptions * opts);
/* Adds analyze's options (--features, --backend, --out, --opensearch, ...)
 * to ctx, to be filled by its parse. */
void mt_analyze_options_add (MtAnalyzeOptions * opts, GOptionContext * ctx);
/* Checks them as analyze does, before any work: G_OPTION_ERROR for a bad
 * value (usage), other domains when mediatag's plugins are missing. */
gboolean mt_analyze_options_check (MtAnalyzeOptions * opts, GError ** error);
const gchar *mt_analyze_options_get_out (const MtAnalyzeOptions * opts);
const gchar *mt_analyze_options_get_opensearch (const MtAnalyzeOptions *
    opts);

/* Analyses `uri` into out_dir (which must exist) as <name>.jsonl, its
 * tracks and thumbnails; messages name those files in shown_dir (where
 * they will be published; NULL: out_dir). Anything but MT_ASSET_DONE sets
 * `error` to the first reason, a sentence. *engine (may be NULL) gets the
 * engines the elements picked ("local:opencv-dnn"). */
MtAssetStatus mt_analyze_asset (const MtAnalyzeOptions * opts,
    const gchar * uri, const gchar * out_dir, const gchar * shown_dir,
    const gchar * name, gchar ** engine, GError ** error);

/* What a signal does to analyze: the first drains the graphs running, the
 * second stops them at once. mt_analyze_stopped() is the first signal's
 * number, 0 when none came. */
void mt_analyze_stop (gint signo);
gint mt_analyze_stopped (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtAnalyzeOptions, mt_analyze_options_free)

G_END_DECLS
