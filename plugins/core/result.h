/* Result documents (DESIGN.md "Result documents"): one JSON object per
 * finding, serialised as one line (JSON Lines), with a stable `id` so the
 * same input analysed again gives the same id and indexing twice does not
 * duplicate. Plus video tracks: consecutive sightings of one name merged
 * into spans when the gap is under 1.2 sampling intervals (Media2Cloud's
 * timeline rule).
 *
 * A document is a plain JsonObject; these helpers set its fields with the
 * names and units the design fixes (times in ms, boxes 0..1). */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* `analysis` values every element shares. Each element defines its own
 * kinds beside its engines (gstrekognitionsink.h: label, face...;
 * gstcomprehend.h: keyphrase, entity, sentiment). */
#define MT_ANALYSIS_TEXT "text"         /* rekognitionsink and textractsink */
#define MT_ANALYSIS_ERROR "error"
/* A span of consecutive sightings (see the track merger below); its `kind`
 * is the analysis it tracks. Never a sighting itself. */
#define MT_ANALYSIS_TRACK "track"

/* A new document with analysis, engine ("aws:rekognition:DetectLabels"),
 * name (may be NULL) and confidence (0..100; negative: none). */
JsonObject *mt_result_new (const gchar * analysis, const gchar * engine,
    const gchar * name, gdouble confidence);

/* An `analysis=error` document naming what failed and why. */
JsonObject *mt_result_new_error (const gchar * engine, const GError * error);

/* The box relative to the image, 0..1. (Each element converts its
 * service's own box shape: rekognition's is in plugins/rekognition.) */
void mt_result_set_box (JsonObject * result, gdouble left, gdouble top,
    gdouble width, gdouble height);

/* `detail`: the engine's own object, kept verbatim (a reference is taken). */
void mt_result_set_detail (JsonObject * result, JsonObject * detail);

/* `timestamp` (and `end` when end is valid) in ms from GstClockTimes, and
 * `frame` when frame >= 0. */
void mt_result_set_time (JsonObject * result, GstClockTime timestamp,
    GstClockTime end, gint64 frame);

/* Sets `asset` (when not NULL) and `id`. The id is a SHA-256 over asset,
 * analysis, engine, name, timestamp, end, frame, page and box (rounded to
 * 1e-6), and `kind` when the document has one (tracks), with `ordinal`
 * mixed in when > 0 to tell apart two findings that agree on all of
 * those. */
void mt_result_finish (JsonObject * result, const gchar * asset,
    guint ordinal);

/* Finishes every document of one unit, giving identical findings distinct
 * ordinals in order, so ids stay both unique and stable. `unit` (the
 * unit's position in its stream) is mixed into the ids of documents that
 * have no timestamp, frame or page (images in a stream without times). */
void mt_result_finish_all (GPtrArray * results, const gchar * asset,
    guint64 unit);

/* One compact JSON line, without the trailing newline. */
gchar *mt_result_to_line (JsonObject * result);
/* A JSON array of the documents, for bus messages. */
gchar *mt_results_to_json_array (GPtrArray * results);

/* Video tracks. Feed sightings in time order; a sighting joins the open
 * track of the same (analysis, engine, name) when its timestamp is less
 * than 1.2 intervals after the track's end, otherwise that track is closed
 * and a new one begins. Closed tracks come out as their own kind of
 * document, so counting sightings never counts them: `analysis` "track",
 * `kind` the analysis tracked ("label", "face"...), the sightings' engine
 * and name, `timestamp`/`end` spanning the track, `confidence` the mean,
 * and `track` = {name, begin, end, count, confidence}; `count` counts the
 * frames the name was seen in. */
typedef struct _MtTrackMerger MtTrackMerger;

MtTrackMerger *mt_track_merger_new (void);
void mt_track_merger_free (MtTrackMerger * merger);
/* Adds every named, non-error document of one unit taken at `timestamp`
 * (ns). `interval` (ns) is the sampling interval in force; 0 if unknown, in
 * which case the merger infers it from consecutive timestamps. Tracks that
 * can no longer grow are appended to `closed` (JsonObject *, finished). */
void mt_track_merger_add (MtTrackMerger * merger, GPtrArray * results,
    GstClockTime timestamp, GstClockTime interval, const gchar * asset,
    GPtrArray * closed);
/* Closes every open track (at EOS), appending them to `closed` in order of
 * their beginning. */
void mt_track_merger_flush (MtTrackMerger * merger, const gchar * asset,
    GPtrArray * closed);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtTrackMerger, mt_track_merger_free)

G_END_DECLS
