/* What mediatag analyze writes after a run: the summary table and WebVTT
 * tracks, both made from the asset's JSON lines results. */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

/* Reads `jsonl`; for video writes <out_dir>/<name>.<analysis>.vtt per
 * analysis type found; prints the summary table to `table` (NULL: none). */
gboolean mt_summary_write_outputs (const gchar * jsonl, const gchar * out_dir,
    const gchar * name, gboolean video, FILE * table, GError ** error);

G_END_DECLS
