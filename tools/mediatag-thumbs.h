/* Thumbnails of the frames mediatag analyze analyses, kept beside the
 * results (<asset>.thumbs/<ms>.jpg, ~240 px wide JPEG) so that
 * `mediatag report` can draw boxes over them without the original media. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define MT_THUMBS_WIDTH 240

/* Launch-line pieces: the tee that goes right before the analysis element
 * (after the frames are sampled), and the branch from that tee that
 * scales and encodes each frame into a fakesink named "mtthumbs". */
void mt_thumbs_append_tee (GString * launch);
void mt_thumbs_append_branch (GString * launch);

/* Removes the thumbnails of an earlier run from `dir` and has the
 * "mtthumbs" sink of `pipeline` write each frame to <dir>/<ms>.jpg (the
 * folder made at the first frame), <ms> being the frame's stream time in
 * ms as the result documents give it. FALSE with `error` when `dir` is
 * not a folder; a pipeline without that sink is left alone. */
gboolean mt_thumbs_attach (GstElement * pipeline, const gchar * dir,
    GError ** error);

/* Removes `dir` and its thumbnails: for an asset whose results were not
 * kept. */
void mt_thumbs_discard (const gchar * dir);

G_END_DECLS
