/* WebVTT and SubRip subtitles of transcript result documents. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* `segments`: transcript documents (JsonObject), in any order. Cues follow
 * the words (detail.words) at most 42 characters a cue, else the segment. */
gchar *mt_subtitles_vtt (GPtrArray * segments);
gchar *mt_subtitles_srt (GPtrArray * segments);

G_END_DECLS
