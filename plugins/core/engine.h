/* The engine vtable: what an analysis element (MtAnalysisSink subclass)
 * calls to analyse media, so its streaming, queueing, ordering, rate
 * limiting, error policy and output are written once in the base and an
 * engine only turns media into result documents.
 *
 * Two shapes share one struct, told apart by which calls are set:
 *
 * - A unit engine (`analyze` set): one unit at a time, a still image, a
 *   sampled video frame, a document page or a text document. The base runs
 *   analyze() on up to `max-in-flight` worker threads and outputs the
 *   results in input order.
 * - A session engine (`push` set): continuous media (audio). The base calls
 *   push() for every buffer, in order, in the streaming thread, and drain()
 *   at EOS; the engine hands its results over whenever it has them with
 *   mt_engine_context_emit() from any thread (a speech service answers
 *   seconds after the audio, out of step with the buffers).
 *
 * An engine is a static const MtEngine. The element lists its engines in a
 * NULL-terminated table (mt_analysis_sink_class_set_engines()); the base
 * picks one by `backend` ("aws", "local") at start.
 *
 * Threading:
 * - start() and stop() run in the streaming thread (at the first buffer)
 *   or at a state change; stop() runs only after every analyze()/push()/
 *   drain() call has returned, and after it no emit is accepted.
 * - analyze() runs on the base's worker threads, several at once on the
 *   same state: it must be thread-safe.
 * - push() and drain() run in the streaming thread, one at a time, never
 *   at the same time as each other.
 * - mt_engine_context_emit(), _post_partial() and _fail() may be called
 *   from any thread between start() returning TRUE and stop() being called
 *   (session engines: typically their receive thread).
 *
 * Cancellation: every blocking call gets a GCancellable that the base
 * cancels on flush, on a state change to READY, and on a fatal error. A
 * call must then return promptly with G_IO_ERROR_CANCELLED.
 *
 * Errors:
 * - start() returning FALSE stops the element with that error: make it say
 *   what to fix ("no pocketsphinx model for fr-FR: installed are en-us").
 * - analyze() returning FALSE fails that unit only: the base applies
 *   `on-error` (an `analysis=error` document, or an element error), and
 *   counts it (see analysissink.h, the `mediatag-summary` message).
 * - push()/drain() returning FALSE, or mt_engine_context_fail(), fails the
 *   session: with on-error=skip an error document is written and the base
 *   keeps accepting media but drops it (push() is not called again),
 *   counting the element as failed (the stream is incomplete); with
 *   on-error=fail an element error. drain() is still called at EOS after a
 *   failure, so results the engine held from before it come out; it
 *   should then return promptly. Results emitted after drain() returned
 *   are dropped (nothing follows EOS) and the stream counts as
 *   incomplete.
 * - Credential and permission errors (MT_AWS_ERROR_AUTH, _ACCESS_DENIED,
 *   _NO_CREDENTIALS, _CONFIG) always fail the element, whatever on-error.
 *
 * Writing an engine (docs/engines.md has walk-throughs of each shape):
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
  /* The element's own settings, snapshotted at start by its get_config()
   * (for rekognitionsink an MtRekognitionConfig). */
  gconstpointer config;
  /* The requested features (bits of the element's GFlags type) that this
   * engine supports; unsupported ones were already warned about. */
  guint64 features;
  /* The element's AWS settings (region, endpoint, credentials, retries...). */
  const MtAwsSettings *aws;
  /* The asset URI (the `asset` property, or the URI upstream answers:
   * file:///..., s3://bucket/key), NULL when unknown. Textract's async API
   * and back-references use it. */
  const gchar *asset;
  /* Private to the base. */
  gpointer priv;
} MtEngineContext;

/* What a unit is. */
typedef enum {
  MT_UNIT_IMAGE,                /* an encoded image: image/jpeg, image/png... */
  MT_UNIT_VIDEO_FRAME,          /* one raw video frame: video/x-raw */
  MT_UNIT_PAGE,                 /* one page of a document (see `page`) */
  MT_UNIT_AUDIO,                /* a span of raw audio (session engines) */
  MT_UNIT_TEXT,                 /* a result document carrying text */
} MtUnitKind;

/* A whole document (a PDF, a multi-page TIFF) shared by its page units:
 * opened once by the element, read by every page's analyze(), possibly on
 * several threads at once. Reference counted (g_atomic_rc_box). */
typedef struct _MtDocument {
  GBytes *bytes;                /* the file as gathered */
  GstCaps *caps;                /* application/pdf, image/tiff... */
  guint n_pages;
  /* What the element opened it with (a PopplerDocument, say) and how to
   * free that; may be NULL. The element makes sure it is safe to use from
   * several threads (or serialises inside its engine). */
  gpointer handle;
  GDestroyNotify handle_free;
} MtDocument;

/* Takes new references on `bytes` and `caps` (the caller keeps its own);
 * `handle` becomes the document's, freed with `handle_free` with the last
 * reference. */
MtDocument *mt_document_new (GBytes * bytes, GstCaps * caps, guint n_pages,
    gpointer handle, GDestroyNotify handle_free);
MtDocument *mt_document_ref (MtDocument * doc);
void mt_document_unref (MtDocument * doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtDocument, mt_document_unref)

/* Page ranges ("1-5,9", pages counted from 1): the pages of `spec` that
 * are in 1..n_pages, ascending and once each; an empty or NULL spec is
 * every page. NULL (with *valid FALSE) when `spec` is no range. */
GArray *mt_pages_select (const gchar * spec, guint n_pages, gboolean * valid);
/* Whether `spec` is a page range (NULL and "" are: every page). */
gboolean mt_pages_valid (const gchar * spec);

/* One unit of media. Which fields are set depends on `kind`. */
typedef struct _MtUnit {
  MtUnitKind kind;
  /* IMAGE, VIDEO_FRAME, AUDIO: the buffer with its (fixed) caps.
   * PAGE: an encoded or raw image of the page when the element has one
   * (a photo of a page, a single-page image), else NULL and `document`
   * set. TEXT: NULL. */
  GstBuffer *buffer;
  GstCaps *caps;
  guint64 index;                /* 0, 1, 2... in input order */
  gint64 frame;                 /* source frame number, -1 when unknown */
  GstClockTime pts;             /* as on the buffer (may be NONE) */
  GstClockTime duration;
  /* Media time (stream time) of the buffer, GST_CLOCK_TIME_NONE when
   * unknown: what result timestamps are in. Audio engines compute their
   * word times from it. */
  GstClockTime stream_time;
  /* PAGE: the page number from 1, the page count, and the resolution the
   * page is (or is to be) rendered at. */
  guint page;
  guint n_pages;
  guint dpi;
  MtDocument *document;         /* PAGE: the whole document, may be NULL */
  /* TEXT: the input result document (read-only; its `text`, `id`,
   * `asset`, `timestamp`, `page`, `detail.words`...). */
  JsonObject *text_document;
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
   * Requested features outside this set are a warning at start (an error
   * when none of the requested ones is left). */
  guint64 features;

  /* Prepares state (clients, models). Returning FALSE with an error stops
   * the element with that error. */
  gboolean (*start) (const MtEngineContext * ctx, gpointer * state,
      GError ** error);

  /* Unit engines. Analyses one unit: appends result documents
   * (JsonObject *, see result.h) to `results`. The base then fills in what
   * is missing of `asset`, `timestamp` (the unit's media time), `frame`,
   * `page`, and sets `id`. */
  gboolean (*analyze) (gpointer state, const MtEngineContext * ctx,
      const MtUnit * unit, GPtrArray * results, GCancellable * cancellable,
      GError ** error);

  /* Session engines. push() takes one span of audio (kind MT_UNIT_AUDIO,
   * `stream_time` set); it may block for back-pressure (a service that
   * reads at real-time speed) but must honour `cancellable`. drain() runs
   * at EOS: it tells the service the stream is over and returns once every
   * result has been emitted (or the session failed). */
  gboolean (*push) (gpointer state, const MtEngineContext * ctx,
      const MtUnit * unit, GCancellable * cancellable, GError ** error);
  gboolean (*drain) (gpointer state, const MtEngineContext * ctx,
      GCancellable * cancellable, GError ** error);

  /* Releases the state. May be NULL. */
  void (*stop) (gpointer state);
} MtEngine;

#define MT_ENGINE_IS_SESSION(e) ((e)->push != NULL)

/* Waits, if needed, so that calls made after it stay under the element's
 * `max-tps` and under the adaptive rate the base learns from throttling
 * (see retry.h). An engine calls it before each service request (one unit
 * may need several). Returns FALSE (with G_IO_ERROR_CANCELLED) when
 * cancelled. */
gboolean mt_engine_context_rate_limit (const MtEngineContext * ctx,
    GCancellable * cancellable, GError ** error);

/* An AWS JSON 1.1 call made the way every engine makes it: paced by
 * mt_engine_context_rate_limit(), then mt_aws_client_json_call() with its
 * retries. `target` is the full X-Amz-Target ("Textract.AnalyzeDocument"). */
struct _MtAwsClient;
JsonObject *mt_engine_context_json_call (const MtEngineContext * ctx,
    struct _MtAwsClient *client, const gchar * target, JsonObject * request,
    GCancellable * cancellable, GError ** error);

/* Session engines: hands finished result documents to the base, which
 * takes them (steals the array's contents), fills in `asset` and `id`
 * (documents must carry their own `timestamp`/`end`, in ms of stream time),
 * and outputs them after everything already queued. Thread-safe. */
void mt_engine_context_emit (const MtEngineContext * ctx, GPtrArray * results);

/* Session engines: a result that may still change (a partial transcript).
 * Posted as a bus element message named "<element-factory>-partial" with
 * a `result` JSON string field; never written to the src pad or location.
 * Takes a reference on `result`. Thread-safe. */
void mt_engine_context_post_partial (const MtEngineContext * ctx,
    JsonObject * result);

/* Session engines: the session failed asynchronously (the service closed
 * the stream with an exception). Applied as described under "Errors"
 * above; a later drain() should then return FALSE promptly. Thread-safe. */
void mt_engine_context_fail (const MtEngineContext * ctx,
    const GError * error);

G_END_DECLS
