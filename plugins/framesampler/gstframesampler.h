/* framesampler: passes only the frames a frame capture mode selects. */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include "framecapture.h"
#include "framefeatures.h"

G_BEGIN_DECLS

/* How framesampler skips the frames between samples. */
typedef enum
{
  MT_FRAME_SAMPLER_SEEK_AUTO,
  MT_FRAME_SAMPLER_SEEK_NONE,
  MT_FRAME_SAMPLER_SEEK_ACCURATE,
  MT_FRAME_SAMPLER_SEEK_KEYFRAME,
} MtFrameSamplerSeek;

#define MT_TYPE_FRAME_SAMPLER_SEEK (mt_frame_sampler_seek_get_type ())
GType mt_frame_sampler_seek_get_type (void);

#define GST_TYPE_FRAME_SAMPLER (gst_frame_sampler_get_type ())
G_DECLARE_FINAL_TYPE (GstFrameSampler, gst_frame_sampler, GST, FRAME_SAMPLER,
    GstElement);

GST_ELEMENT_REGISTER_DECLARE (framesampler);

G_END_DECLS
