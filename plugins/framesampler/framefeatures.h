/* framesampler: the image features behind frame-capture-mode=dynamic.
 *
 * A candidate frame is reduced once to a small RGB picture, from which come
 * its sharpness (variance of the Laplacian of its luma), its perceptual hash
 * (64-bit DCT hash of its 32x32 luma) and a colour histogram, so the element
 * can keep the sharpest frame of a run of near-duplicates and cut runs at
 * shot changes. */
#pragma once

#include <gst/video/video.h>

G_BEGIN_DECLS

#define MT_FRAME_HIST_BINS 64

typedef struct
{
  gdouble sharpness;
  guint64 phash;
  gfloat hist[MT_FRAME_HIST_BINS];
} MtFrameFeatures;

typedef struct _MtFrameAnalyzer MtFrameAnalyzer;

MtFrameAnalyzer *mt_frame_analyzer_new (const GstVideoInfo * in_info);
void mt_frame_analyzer_free (MtFrameAnalyzer * analyzer);
gboolean mt_frame_analyzer_compute (MtFrameAnalyzer * analyzer,
    GstBuffer * buffer, MtFrameFeatures * features);

guint mt_frame_features_hash_distance (const MtFrameFeatures * a,
    const MtFrameFeatures * b);
gdouble mt_frame_features_hist_distance (const MtFrameFeatures * a,
    const MtFrameFeatures * b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtFrameAnalyzer, mt_frame_analyzer_free);

G_END_DECLS
