/* The engine vtable: what an analysis element (MtAnalysisSink subclass)
 * calls to analyse one unit of media, so its streaming, queueing, ordering,
 * rate limiting, error policy and output are written once in the base and
 * an engine only turns one unit into result documents.
 *
 * An engine is a static const MtEngine. The element lists its engines in a
 * NULL-terminated table (mt_analysis_sink_class_set_engines()); the base
 * picks one by `backend` ("aws", "local") at start.
 *
 * Threading: start() and stop() run in the streaming thread (at the first
 * buffer) or at state change; analyze() runs on the base's worker threads,
 * up to `max-in-flight` calls at once on the same state, so it must be
 * thread-safe. Results are handed back, the base orders them.
 *
 * Writing an engine (docs/engines.md has a walk-through):
 *   const MtEngine my_engine = {
 *     .backend = "local", .name = "local:tesseract",
 *     .features = MY_FEATURE_TEXT,
 *     .start = my_start, .analyze = my_analyze, .stop = my_stop,
 *   };
 */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include "awssettings.h"

G_BEGIN_DECLS

/* What an engine sees of the element that runs it. Valid from start() to
 * stop(); read-only for the engine. */
typedef struct _MtEngineContext {
  GstElement *element;          /* for GST_*_OBJECT logging only */
  /* The element's own settings, snapshotted at start (for rekognitionsink
   * an MtRekognitionConfig, see plugins/rekognition/gstrekognitionsink.h). */
  gconstpointer config;
  /* The requested features (bits of the element's GFlags type) that this
   * engine supports; unsupported ones were already warned about. */
  guint64 features;
  /* The element's AWS settings (region, endpoint, credentials, retries...). */
  const MtAwsSettings *aws;
  /* Private to the base. */
  gpointer priv;
} MtEngineContext;

/* One unit of media: one image, one sampled video frame, ... */
typedef struct _MtUnit {
  GstBuffer *buffer;            /* an encoded image or one raw frame */
  GstCaps *caps;                /* its caps (fixed) */
  guint64 index;                /* 0, 1, 2... in input order */
  gint64 frame;                 /* source frame number, -1 when unknown */
  GstClockTime pts;             /* as on the buffer (may be NONE) */
  GstClockTime duration;
} MtUnit;

typedef struct _MtEngine {
  /* "aws" or "local": what `backend` selects. */
  const gchar *backend;
  /* Names the engine in logs, in the backend bus message and in the
   * `engine` of error documents, e.g. "aws:rekognition". Documents the
   * engine makes carry their own, finer `engine` ("aws:rekognition:
   * DetectLabels"). */
  const gchar *name;
  /* The features it can do: bits of the element's features GFlags type.
   * Requested features outside this set are a warning at start. */
  guint64 features;

  /* Prepares state (clients, models). Returning FALSE with an error stops
   * the element with that error: make it say what to fix. */
  gboolean (*start) (const MtEngineContext * ctx, gpointer * state,
      GError ** error);
  /* Analyses one unit: appends result documents (JsonObject *, see
   * result.h; the base fills in asset, frame, timestamp and id) to
   * `results`. May be called from several threads at once. Must return
   * promptly once `cancellable` is cancelled. An error fails the unit only:
   * the base applies `on-error`, except for credential and permission
   * errors (MT_AWS_ERROR_AUTH, _ACCESS_DENIED, _NO_CREDENTIALS), which
   * always fail the element. */
  gboolean (*analyze) (gpointer state, const MtEngineContext * ctx,
      const MtUnit * unit, GPtrArray * results, GCancellable * cancellable,
      GError ** error);
  /* Releases the state. May be NULL. */
  void (*stop) (gpointer state);
} MtEngine;

/* Waits, if needed, so that calls made after it stay under the element's
 * `max-tps`. An engine calls it before each service request (one unit may
 * need several). Returns FALSE (with G_IO_ERROR_CANCELLED) when cancelled.
 * Implemented by the base (analysissink.c). */
gboolean mt_engine_context_rate_limit (const MtEngineContext * ctx,
    GCancellable * cancellable, GError ** error);

G_END_DECLS
