/* mediatag core: frame capture modes and their sample math.
 *
 * The rates and the rounding follow Media2Cloud's
 * source/layers/core-lib/lib/frameCaptureModeHelper.js
 * (aws-solutions-library-samples/guidance-for-media2cloud-on-aws):
 * suggestFrameCaptureRate() gives a mode's rate as numerator/denominator
 * (samples per denominator seconds), and computeFrameNumAndTimestamp() names
 * sample k as frame round(k * fr * den / num) at round(frame * 1000 / fr) ms.
 * Media2Cloud computes in JavaScript doubles; here fr is the exact fraction
 * from the caps (30000/1001, not 29.97) and the rounding is done in integers
 * (half up, as Math.round does for positive numbers), so long NTSC videos do
 * not drift by a millisecond now and then. */
#include "framecapture.h"

static const GEnumValue mode_values[] = {
  {MT_FRAME_CAPTURE_MODE_NONE, "No frames", "none"},
  {MT_FRAME_CAPTURE_MODE_1FPS, "1 frame per second", "1fps"},
  {MT_FRAME_CAPTURE_MODE_2FPS, "2 frames per second", "2fps"},
  {MT_FRAME_CAPTURE_MODE_3FPS, "3 frames per second", "3fps"},
  {MT_FRAME_CAPTURE_MODE_4FPS, "4 frames per second", "4fps"},
  {MT_FRAME_CAPTURE_MODE_5FPS, "5 frames per second", "5fps"},
  {MT_FRAME_CAPTURE_MODE_10FPS, "10 frames per second", "10fps"},
  {MT_FRAME_CAPTURE_MODE_12FPS, "12 frames per second", "12fps"},
  {MT_FRAME_CAPTURE_MODE_15FPS, "15 frames per second", "15fps"},
  {MT_FRAME_CAPTURE_MODE_ALL, "Every frame", "all"},
  {MT_FRAME_CAPTURE_MODE_HALF, "Half the source frame rate", "half"},
  {MT_FRAME_CAPTURE_MODE_1F_EVERY_2S, "1 frame every 2 seconds",
      "1f-every-2s"},
  {MT_FRAME_CAPTURE_MODE_1F_EVERY_5S, "1 frame every 5 seconds",
      "1f-every-5s"},
  {MT_FRAME_CAPTURE_MODE_1F_EVERY_10S, "1 frame every 10 seconds",
      "1f-every-10s"},
  {MT_FRAME_CAPTURE_MODE_1F_EVERY_30S, "1 frame every 30 seconds",
      "1f-every-30s"},
  {MT_FRAME_CAPTURE_MODE_1F_EVERY_1MIN, "1 frame every minute",
      "1f-every-1min"},
  {MT_FRAME_CAPTURE_MODE_1F_EVERY_2MIN, "1 frame every 2 minutes",
      "1f-every-2min"},
  {MT_FRAME_CAPTURE_MODE_1F_EVERY_5MIN, "1 frame every 5 minutes",
      "1f-every-5min"},
  {MT_FRAME_CAPTURE_MODE_DYNAMIC,
        "1 fps candidates, keeping sharp frames that differ, per shot",
      "dynamic"},
  {0, NULL, NULL}
};

GType
mt_frame_capture_mode_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("MtFrameCaptureMode", mode_values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static const GEnumValue *
find_value (MtFrameCaptureMode mode)
{
  for (const GEnumValue * v = mode_values; v->value_nick; v++) {
    if (v->value == (gint) mode)
      return v;
  }
  return NULL;
}

/**
 * mt_frame_capture_mode_from_string:
 * @str: a mode code ("1002") or nick ("1f-every-2s")
 * @mode: (out): the mode
 *
 * Returns: %TRUE when @str names a mode Media2Cloud knows.
 */
gboolean
mt_frame_capture_mode_from_string (const gchar * str, MtFrameCaptureMode * mode)
{
  guint64 code;

  g_return_val_if_fail (str != NULL, FALSE);

  for (const GEnumValue * v = mode_values; v->value_nick; v++) {
    if (g_ascii_strcasecmp (str, v->value_nick) == 0) {
      *mode = v->value;
      return TRUE;
    }
  }
  if (!g_ascii_string_to_unsigned (str, 10, 0, G_MAXINT, &code, NULL))
    return FALSE;
  if (!find_value ((MtFrameCaptureMode) code))
    return FALSE;
  *mode = (MtFrameCaptureMode) code;
  return TRUE;
}

const gchar *
mt_frame_capture_mode_nick (MtFrameCaptureMode mode)
{
  const GEnumValue *v = find_value (mode);

  return v ? v->value_nick : NULL;
}

/* Math.round (fps) for a positive fraction. */
static gint64
round_fps (gint fps_n, gint fps_d)
{
  return gst_util_uint64_scale_int_round (1, fps_n, fps_d);
}

static gboolean
fps_is_integer (gint fps_n, gint fps_d)
{
  return fps_n % fps_d == 0;
}

static gboolean
set_rate (MtFrameCaptureRate * rate, gint64 num, gint64 den)
{
  rate->num = num;
  rate->den = den;
  return TRUE;
}

/* "all" and "half" follow the source: NTSC-style rates (not whole numbers)
 * get the 1001 denominator, exactly as suggestFrameCaptureRate() does. */
static gboolean
source_rate (gint fps_n, gint fps_d, gint64 per_second,
    MtFrameCaptureRate * rate)
{
  if (fps_n <= 0 || fps_d <= 0)
    return FALSE;
  rate->num = round_fps (fps_n, fps_d) * per_second;
  rate->den = fps_is_integer (fps_n, fps_d) ? 1000 : 1001;
  return rate->num > 0;
}

/**
 * mt_frame_capture_mode_get_rate:
 * @mode: the mode
 * @fps_n: source frame rate numerator (only "all" and "half" need it)
 * @fps_d: source frame rate denominator
 * @rate: (out): num samples every den seconds
 *
 * Returns: %FALSE for "none", an unknown code, or "all"/"half" without a
 * source rate.
 */
gboolean
mt_frame_capture_mode_get_rate (MtFrameCaptureMode mode, gint fps_n,
    gint fps_d, MtFrameCaptureRate * rate)
{
  g_return_val_if_fail (rate != NULL, FALSE);

  switch (mode) {
    case MT_FRAME_CAPTURE_MODE_1FPS:
    case MT_FRAME_CAPTURE_MODE_2FPS:
    case MT_FRAME_CAPTURE_MODE_3FPS:
    case MT_FRAME_CAPTURE_MODE_4FPS:
    case MT_FRAME_CAPTURE_MODE_5FPS:
    case MT_FRAME_CAPTURE_MODE_10FPS:
    case MT_FRAME_CAPTURE_MODE_12FPS:
    case MT_FRAME_CAPTURE_MODE_15FPS:
      return set_rate (rate, mode, 1);
    case MT_FRAME_CAPTURE_MODE_ALL:
      return source_rate (fps_n, fps_d, 1000, rate);
    case MT_FRAME_CAPTURE_MODE_HALF:
      return source_rate (fps_n, fps_d, 500, rate);
    case MT_FRAME_CAPTURE_MODE_1F_EVERY_2S:
      return set_rate (rate, 5, 10);
    case MT_FRAME_CAPTURE_MODE_1F_EVERY_5S:
      return set_rate (rate, 2, 10);
    case MT_FRAME_CAPTURE_MODE_1F_EVERY_10S:
      return set_rate (rate, 1, 10);
    case MT_FRAME_CAPTURE_MODE_1F_EVERY_30S:
      return set_rate (rate, 1, 30);
    case MT_FRAME_CAPTURE_MODE_1F_EVERY_1MIN:
      return set_rate (rate, 1, 60);
    case MT_FRAME_CAPTURE_MODE_1F_EVERY_2MIN:
      return set_rate (rate, 1, 120);
    case MT_FRAME_CAPTURE_MODE_1F_EVERY_5MIN:
      return set_rate (rate, 1, 300);
    case MT_FRAME_CAPTURE_MODE_DYNAMIC:
      return set_rate (rate, 1, 1);
    case MT_FRAME_CAPTURE_MODE_NONE:
    default:
      return FALSE;
  }
}

/* The time between samples, rounded to the nanosecond. */
GstClockTime
mt_frame_capture_rate_interval (const MtFrameCaptureRate * rate)
{
  g_return_val_if_fail (rate != NULL && rate->num > 0, GST_CLOCK_TIME_NONE);

  return gst_util_uint64_scale_round (rate->den, GST_SECOND, rate->num);
}

/**
 * mt_frame_capture_sample_frame:
 *
 * Returns: the frame number of sample @k: round(k * fr * den / num).
 */
guint64
mt_frame_capture_sample_frame (const MtFrameCaptureRate * rate, guint64 k,
    gint fps_n, gint fps_d)
{
  g_return_val_if_fail (rate != NULL && rate->num > 0 && fps_d > 0, 0);

  return gst_util_uint64_scale_round (k, (guint64) fps_n * rate->den,
      (guint64) fps_d * rate->num);
}

/**
 * mt_frame_capture_frame_ms:
 *
 * Returns: Media2Cloud's timestamp of @frame: round(frame * 1000 / fr) ms.
 */
guint64
mt_frame_capture_frame_ms (guint64 frame, gint fps_n, gint fps_d)
{
  g_return_val_if_fail (fps_n > 0 && fps_d > 0, 0);

  return gst_util_uint64_scale_round (frame, (guint64) fps_d * 1000, fps_n);
}

/* Where a constant-rate stream puts @frame: demuxers truncate when they turn
 * their timescale into nanoseconds, so truncate too. */
GstClockTime
mt_frame_capture_frame_time (guint64 frame, gint fps_n, gint fps_d)
{
  g_return_val_if_fail (fps_n > 0 && fps_d > 0, GST_CLOCK_TIME_NONE);

  return gst_util_uint64_scale (frame, (guint64) fps_d * GST_SECOND, fps_n);
}

/* The frame at @time, to the nearest frame: containers with a coarse
 * timescale (Matroska's milliseconds) round frame times either way. */
guint64
mt_frame_capture_frame_at_time (GstClockTime time, gint fps_n, gint fps_d)
{
  g_return_val_if_fail (GST_CLOCK_TIME_IS_VALID (time), 0);
  g_return_val_if_fail (fps_n > 0 && fps_d > 0, 0);

  return gst_util_uint64_scale_round (time, fps_n,
      (guint64) fps_d * GST_SECOND);
}
