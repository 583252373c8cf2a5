/* mediatag core: frame capture modes.
 *
 * The registered enum MtFrameCaptureMode uses Media2Cloud's frameCaptureMode
 * codes as values, so a user's existing numbers mean the same thing here,
 * and the math that turns a mode into sample frame numbers and millisecond
 * timestamps exactly as Media2Cloud's FrameCaptureModeHelper does. Shared by
 * framesampler, the analysis sinks (track merging needs the interval) and the
 * mediatag tool (aiOptions.frameCaptureMode). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* The sticky custom downstream event framesampler sends before its first
 * buffer, so analysis sinks know the sampling interval. */
#define MT_SAMPLING_EVENT_NAME "mediatag/sampling"
/* gint: the MtFrameCaptureMode code the element was set to */
#define MT_SAMPLING_FIELD_MODE "mode"
/* guint64: nanoseconds between samples (the `interval` property when set),
 * 0 when not constant (dynamic) */
#define MT_SAMPLING_FIELD_INTERVAL "interval"

typedef enum
{
  MT_FRAME_CAPTURE_MODE_NONE = 0,
  MT_FRAME_CAPTURE_MODE_1FPS = 1,
  MT_FRAME_CAPTURE_MODE_2FPS = 2,
  MT_FRAME_CAPTURE_MODE_3FPS = 3,
  MT_FRAME_CAPTURE_MODE_4FPS = 4,
  MT_FRAME_CAPTURE_MODE_5FPS = 5,
  MT_FRAME_CAPTURE_MODE_10FPS = 10,
  MT_FRAME_CAPTURE_MODE_12FPS = 12,
  MT_FRAME_CAPTURE_MODE_15FPS = 15,
  MT_FRAME_CAPTURE_MODE_ALL = 1000,
  MT_FRAME_CAPTURE_MODE_HALF = 1001,
  MT_FRAME_CAPTURE_MODE_1F_EVERY_2S = 1002,
  MT_FRAME_CAPTURE_MODE_1F_EVERY_5S = 1003,
  MT_FRAME_CAPTURE_MODE_1F_EVERY_10S = 1004,
  MT_FRAME_CAPTURE_MODE_1F_EVERY_30S = 1005,
  MT_FRAME_CAPTURE_MODE_1F_EVERY_1MIN = 1011,
  MT_FRAME_CAPTURE_MODE_1F_EVERY_2MIN = 1012,
  MT_FRAME_CAPTURE_MODE_1F_EVERY_5MIN = 1013,
  MT_FRAME_CAPTURE_MODE_DYNAMIC = 9999,
} MtFrameCaptureMode;

#define MT_TYPE_FRAME_CAPTURE_MODE (mt_frame_capture_mode_get_type ())
GType mt_frame_capture_mode_get_type (void);

/* A sampling rate as Media2Cloud states it: num samples every den seconds
 * (1f-every-2s is 5/10, all at 29.97 fps is 30000/1001). */
typedef struct
{
  gint64 num;
  gint64 den;
} MtFrameCaptureRate;

gboolean mt_frame_capture_mode_from_string (const gchar * str,
    MtFrameCaptureMode * mode);

const gchar *mt_frame_capture_mode_nick (MtFrameCaptureMode mode);

gboolean mt_frame_capture_mode_get_rate (MtFrameCaptureMode mode,
    gint fps_n, gint fps_d, MtFrameCaptureRate * rate);

GstClockTime mt_frame_capture_rate_interval (const MtFrameCaptureRate * rate);

guint64 mt_frame_capture_sample_frame (const MtFrameCaptureRate * rate,
    guint64 k, gint fps_n, gint fps_d);

guint64 mt_frame_capture_frame_ms (guint64 frame, gint fps_n, gint fps_d);

GstClockTime mt_frame_capture_frame_time (guint64 frame, gint fps_n,
    gint fps_d);

guint64 mt_frame_capture_frame_at_time (GstClockTime time, gint fps_n,
    gint fps_d);

G_END_DECLS
