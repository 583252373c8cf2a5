/* MtAnalysisSink: the base class of every analysis element (rekognitionsink,
 * transcribesink, textractsink, comprehend). It owns everything but the
 * analysis itself:
 *
 * - a media sink pad (the subclass adds its template named "sink") and an
 *   `application/x-json` src pad carrying result documents, one JSON line
 *   per buffer; an unlinked src pad is not an error;
 * - units made from the input by its caps (engine.h, MtUnitKind): image/jpeg,
 *   image/png... one IMAGE unit per buffer, video/x-raw one VIDEO_FRAME,
 *   audio/x-raw AUDIO spans for session engines, application/x-json one TEXT unit per
 *   document the subclass accepts (JSON Lines, jsonlines.h; every input
 *   document is also passed through on the src pad, byte for byte and in
 *   order, before the results made from it; the location file and bus
 *   messages carry only the element's own results; a line that is not a
 *   JSON object is skipped with a warning, counted in `bad-lines`, and
 *   makes the run incomplete; results of a TEXT unit keep the input
 *   document's `asset`, and its `timestamp`/`end`/`page` unless the engine
 *   set them); a subclass that gathers (textractsink: a PDF
 *   whole, then its pages) takes over with handle_buffer/handle_eos and
 *   mt_analysis_sink_queue_unit();
 * - bus element messages named after the element factory, with
 *   `timestamp`, `stream-time`, `running-time`, `duration`, `frame`,
 *   `page`, `index`, `count` and `results` (a JSON array), behind
 *   `post-messages`;
 * - at EOS, before the EOS message, one `mediatag-summary` element message
 *   (see below) saying how many units were analysed and how many failed,
 *   so no caller has to guess whether "no results" means "nothing found";
 * - `location`: the JSON lines also go to a file (written as
 *   `<location>.part`, renamed at EOS; left as `.part` when the stream was
 *   stopped before EOS) or to an s3:// object (uploaded whole at EOS);
 * - engines (engine.h) picked by `backend` = auto | aws | local, unit or
 *   session shaped;
 * - unit engines: up to `max-in-flight` units analysed at once on worker
 *   threads, results pushed in input order, a bounded queue (upstream
 *   waits rather than being buffered without end), `max-tps` pacing and
 *   the adaptive rate that slows down on throttling;
 * - session engines: push() in the streaming thread, results emitted
 *   whenever they come, drain() at EOS;
 * - `max-pixels` (default 80 Mpx): an encoded image above it (size from the
 *   caps, else its PNG IHDR or JPEG SOF header) fails as a unit without
 *   being decoded; raw video caps above it are refused with an element
 *   error, before a decoder allocates a frame;
 * - EOS drains every unit in flight; flushing and NULL cancel promptly;
 * - `on-error`: fail, or skip (an analysis=error document, then carry on);
 * - video tracks (result.h, analysis "track") at EOS;
 * - the common AWS properties (awssettings.h).
 *
 * The `mediatag-summary` element message (posted at EOS):
 * - #guint64 `units`: units taken, failed ones included (buffers pushed,
 *   for sessions)
 * - #guint64 `failed`: units (or sessions) that failed
 * - #guint64 `results`: documents written, error documents excluded
 * - #guint64 `errors`: error documents written
 * - #guint64 `bad-lines`: JSON Lines input lines that were not documents
 * - #gboolean `incomplete`: a session failed, or input was dropped (bad
 *   lines, mt_analysis_sink_note_loss(), results after a session's end)
 * - #gchararray `first-error`: the first failure in one line, e.g.
 *   "DetectFaces: InternalError (HTTP 500) after 4 attempts", or NULL
 * - #gchararray `engine`: the engine's name
 * Error documents carry, beside `error` (the message): `action` (the API
 * action, e.g. "DetectFaces", when there is one), `code` (the service's
 * code), `status` (HTTP status), `attempts`, each when known. The code and
 * status come from the error's MtAwsErrorDetails (awserror.h), the action
 * and attempts from the AWS client's wording of a call it gave up on
 * ("DetectFaces: InternalError (HTTP 500) after 4 attempts: ...").
 *
 * A subclass adds its sink pad template, sets its engines and feature type,
 * and implements get_config()/free_config() to snapshot its properties. */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include "awssettings.h"
#include "engine.h"

G_BEGIN_DECLS

#define MT_TYPE_ANALYSIS_SINK (mt_analysis_sink_get_type ())
G_DECLARE_DERIVABLE_TYPE (MtAnalysisSink, mt_analysis_sink, MT,
    ANALYSIS_SINK, GstElement)

typedef enum {
  MT_BACKEND_AUTO,
  MT_BACKEND_AWS,
  MT_BACKEND_LOCAL,
} MtBackend;

typedef enum {
  MT_ON_ERROR_SKIP,
  MT_ON_ERROR_FAIL,
} MtOnError;

#define MT_TYPE_BACKEND (mt_backend_get_type ())
GType mt_backend_get_type (void);
#define MT_TYPE_ON_ERROR (mt_on_error_get_type ())
GType mt_on_error_get_type (void);

#define MT_ANALYSIS_SINK_DEFAULT_MAX_IN_FLIGHT 4

struct _MtAnalysisSinkClass {
  GstElementClass parent_class;

  /* Set with mt_analysis_sink_class_set_engines() in class_init. */
  const MtEngine *const *engines;
  /* The GFlags type of the element's features, for naming unsupported
   * ones in warnings; G_TYPE_NONE when the element has none. */
  GType features_type;

  /* Snapshot of the subclass's properties for the engine (taken at start,
   * the object lock is not held), and the features requested. */
  gpointer (*get_config) (MtAnalysisSink * self, guint64 * features);
  void (*free_config) (gpointer config);

  /* Optional. Takes over how buffers become units (the default is above).
   * Runs in the streaming thread; queue units with
   * mt_analysis_sink_queue_unit(). The engine is started before the first
   * call. The buffer is the callee's. */
  GstFlowReturn (*handle_buffer) (MtAnalysisSink * self, GstBuffer * buffer);
  /* Optional. At EOS, in the streaming thread, before the base drains and
   * outputs EOS: an element that gathers queues its units here. */
  GstFlowReturn (*handle_eos) (MtAnalysisSink * self);
  /* Optional, for application/x-json input: whether a document becomes a
   * TEXT unit (it is passed through either way). NULL: documents with a
   * string `text` member. */
  gboolean (*accept_document) (MtAnalysisSink * self, JsonObject * document);

  gpointer padding[8];
};

/* engines: NULL-terminated, static. */
void mt_analysis_sink_class_set_engines (MtAnalysisSinkClass * klass,
    const MtEngine * const *engines, GType features_type);

/* The engine chosen at start (NULL before). */
const MtEngine *mt_analysis_sink_get_engine (MtAnalysisSink * self);

/* Queues one unit (from handle_buffer/handle_eos, streaming thread), in
 * order after what is queued, waiting for room in the bounded queue. Takes
 * over what the unit holds (buffer, caps, document, text_document) and
 * clears `unit`; the base sets `index`, `caps` when NULL (the current
 * ones), and `stream_time` from `pts` when it is NONE. Returns
 * GST_FLOW_FLUSHING when flushing, or the output's error. Unit engines
 * only. */
GstFlowReturn mt_analysis_sink_queue_unit (MtAnalysisSink * self,
    MtUnit * unit);

/* The sink pad's current caps (NULL before any), a new reference. */
GstCaps *mt_analysis_sink_get_caps (MtAnalysisSink * self);

/* Posts a warning and counts the input as incomplete in the summary (a
 * document that could not be read, a page that could not be opened), for
 * losses that are not an analysis failure of a whole unit. */
void mt_analysis_sink_note_loss (MtAnalysisSink * self, const gchar * what);

G_END_DECLS
