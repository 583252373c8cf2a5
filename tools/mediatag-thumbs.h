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

/* Makes `dir` (removing the thumbnails of an earlier run) and has the
 * "mtthumbs" sink of `pipeline` write each frame to <dir>/<ms>.jpg, <ms>
 * being the frame's time in ms as the result documents give it. FALSE
 * with `error` when the folder cannot be made; a pipeline without that
 * sink is left alone. */
gboolean mt_thumbs_attach (GstElement * pipeline, const gchar * dir,
    GError ** error);

G_END_DECLS
