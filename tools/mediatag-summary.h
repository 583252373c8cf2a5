/* What mediatag analyze writes after a run: the summary table and WebVTT
 * tracks, both made from the asset's JSON lines results, and the counts
 * that say whether the run was whole. */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

/* How one asset's run went. The analysis elements' `mediatag-summary`
 * messages fill it when they are posted (have_message); otherwise
 * mt_summary_write_outputs() counts the result and error documents. */
typedef struct {
  guint64 units;                /* units analysed (frames, images, ...) */
  guint64 failed;               /* units that failed */
  guint64 results;              /* result documents, errors excluded */
  guint64 errors;               /* error documents */
  gboolean have_message;
  gboolean incomplete;          /* the media or the run stopped short */
  gchar *first_error;           /* "DetectFaces: InternalError (HTTP 500)..." */
  /* For error documents that do not name their API action: the action of
   * the one feature asked for, or NULL. */
  const gchar *default_action;
  /* Features asked for that the engine cannot do, or NULL. */
  const gchar *not_analysed;
} MtRunTotals;

void mt_run_totals_clear (MtRunTotals * t);

/* Reads `jsonl`; for video writes <out_dir>/<name>.<analysis>.vtt per
 * analysis type found (<name>.<analysis>.incomplete.vtt when
 * totals->incomplete, so no partial track looks whole); prints the summary
 * table to `table` (NULL: none): "Nothing found." only when every unit was
 * analysed and nothing was found. */
gboolean mt_summary_write_outputs (const gchar * jsonl, const gchar * out_dir,
    const gchar * name, gboolean video, MtRunTotals * totals, FILE * table,
    GError ** error);

/* The names of the files mt_summary_write_outputs() may write for an asset
 * (complete or incomplete), to remove those of an earlier run. */
void mt_summary_remove_outputs (const gchar * out_dir, const gchar * name,
    gboolean incomplete);

G_END_DECLS
