/* MtAnalysisSink: the base class of every analysis element (rekognitionsink,
 * textractsink, ...). It owns everything but the analysis itself:
 *
 * - a media sink pad (the subclass adds its template named "sink") and an
 *   `application/x-json` src pad carrying result documents, one JSON line
 *   per buffer; an unlinked src pad is not an error;
 * - bus element messages named after the element factory, with
 *   `timestamp`, `stream-time`, `running-time`, `duration`, `frame`,
 *   `count` and `results` (a JSON array), behind `post-messages`;
 * - `location`: the JSON lines also go to a file, or to an s3:// object
 *   (uploaded whole at EOS);
 * - engines (engine.h) picked by `backend` = auto | aws | local;
 * - up to `max-in-flight` units analysed at once on worker threads, results
 *   pushed in input order, a bounded queue (upstream waits rather than
 *   being buffered without end), `max-tps` pacing;
 * - EOS drains every unit in flight; flushing and NULL cancel promptly;
 * - `on-error`: fail, or skip (an analysis=error document, then carry on);
 * - video tracks (result.h) at EOS;
 * - the common AWS properties (awssettings.h).
 *
 * A subclass adds its sink pad template, sets its engines and feature type,
 * and implements get_config()/free_config() to snapshot its properties. */
#pragma once

#include <gst/gst.h>
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

  gpointer padding[8];
};

/* engines: NULL-terminated, static. */
void mt_analysis_sink_class_set_engines (MtAnalysisSinkClass * klass,
    const MtEngine * const *engines, GType features_type);

/* The engine chosen at start (NULL before). */
const MtEngine *mt_analysis_sink_get_engine (MtAnalysisSink * self);

G_END_DECLS
