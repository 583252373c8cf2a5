/* Tests of the frame capture mode table and its math (plugins/core/
 * framecapture.c) against values worked out by hand from Media2Cloud's
 * FrameCaptureModeHelper. */
#include <gst/gst.h>

#include "framecapture.h"

static void
test_enum_type (void)
{
  GEnumClass *klass = g_type_class_ref (MT_TYPE_FRAME_CAPTURE_MODE);
  GEnumValue *v;

  g_assert_cmpstr (g_type_name (MT_TYPE_FRAME_CAPTURE_MODE), ==,
      "MtFrameCaptureMode");
  v = g_enum_get_value (klass, 1002);
  g_assert_nonnull (v);
  g_assert_cmpstr (v->value_nick, ==, "1f-every-2s");
  g_assert_cmpint (g_enum_get_value_by_nick (klass, "dynamic")->value, ==,
      9999);
  g_assert_cmpint (g_enum_get_value_by_nick (klass, "1f-every-5min")->value,
      ==, 1013);
  g_assert_null (g_enum_get_value (klass, 1006));
  g_type_class_unref (klass);
}

static void
test_from_string (void)
{
  MtFrameCaptureMode mode = MT_FRAME_CAPTURE_MODE_NONE;

  g_assert_true (mt_frame_capture_mode_from_string ("1002", &mode));
  g_assert_cmpint (mode, ==, MT_FRAME_CAPTURE_MODE_1F_EVERY_2S);
  g_assert_true (mt_frame_capture_mode_from_string ("1f-every-30s", &mode));
  g_assert_cmpint (mode, ==, 1005);
  g_assert_true (mt_frame_capture_mode_from_string ("HALF", &mode));
  g_assert_cmpint (mode, ==, 1001);
  g_assert_true (mt_frame_capture_mode_from_string ("0", &mode));
  g_assert_cmpint (mode, ==, MT_FRAME_CAPTURE_MODE_NONE);
  g_assert_false (mt_frame_capture_mode_from_string ("7", &mode));
  g_assert_false (mt_frame_capture_mode_from_string ("1f-every-3s", &mode));
  g_assert_false (mt_frame_capture_mode_from_string ("", &mode));
  g_assert_cmpstr (mt_frame_capture_mode_nick (1011), ==, "1f-every-1min");
}

static void
assert_rate (MtFrameCaptureMode mode, gint fps_n, gint fps_d, gint64 num,
    gint64 den)
{
  MtFrameCaptureRate rate;

  g_assert_true (mt_frame_capture_mode_get_rate (mode, fps_n, fps_d, &rate));
  g_assert_cmpint (rate.num, ==, num);
  g_assert_cmpint (rate.den, ==, den);
}

static void
test_rates (void)
{
  MtFrameCaptureRate rate;

  assert_rate (MT_FRAME_CAPTURE_MODE_12FPS, 25, 1, 12, 1);
  assert_rate (MT_FRAME_CAPTURE_MODE_ALL, 25, 1, 25000, 1000);
  assert_rate (MT_FRAME_CAPTURE_MODE_ALL, 30000, 1001, 30000, 1001);
  assert_rate (MT_FRAME_CAPTURE_MODE_HALF, 60000, 1001, 30000, 1001);
  assert_rate (MT_FRAME_CAPTURE_MODE_HALF, 24000, 1001, 12000, 1001);
  assert_rate (MT_FRAME_CAPTURE_MODE_1F_EVERY_2S, 25, 1, 5, 10);
  assert_rate (MT_FRAME_CAPTURE_MODE_1F_EVERY_5S, 25, 1, 2, 10);
  assert_rate (MT_FRAME_CAPTURE_MODE_1F_EVERY_30S, 25, 1, 1, 30);
  assert_rate (MT_FRAME_CAPTURE_MODE_1F_EVERY_5MIN, 25, 1, 1, 300);
  assert_rate (MT_FRAME_CAPTURE_MODE_DYNAMIC, 25, 1, 1, 1);
  g_assert_false (mt_frame_capture_mode_get_rate (MT_FRAME_CAPTURE_MODE_NONE,
          25, 1, &rate));
  g_assert_false (mt_frame_capture_mode_get_rate (MT_FRAME_CAPTURE_MODE_ALL,
          0, 1, &rate));

  g_assert_true (mt_frame_capture_mode_get_rate (1003, 25, 1, &rate));
  g_assert_cmpuint (mt_frame_capture_rate_interval (&rate), ==, 5 * GST_SECOND);
  g_assert_true (mt_frame_capture_mode_get_rate (1000, 30000, 1001, &rate));
  g_assert_cmpuint (mt_frame_capture_rate_interval (&rate), ==, 33366667);
}

/* Worked by hand: round(k * fr * den / num), round(frame * 1000 / fr). */
static void
test_sample_frames (void)
{
  MtFrameCaptureRate rate;

  /* 1 fps at 29.97: 29.97, 59.94, 89.91 -> 30, 60, 90 */
  mt_frame_capture_mode_get_rate (1, 30000, 1001, &rate);
  g_assert_cmpuint (mt_frame_capture_sample_frame (&rate, 1, 30000, 1001),
      ==, 30);
  g_assert_cmpuint (mt_frame_capture_sample_frame (&rate, 3, 30000, 1001),
      ==, 90);
  /* k = 17: 509.49 -> 509 (NTSC drift shows after 16 s) */
  g_assert_cmpuint (mt_frame_capture_sample_frame (&rate, 17, 30000, 1001),
      ==, 509);
  g_assert_cmpuint (mt_frame_capture_frame_ms (30, 30000, 1001), ==, 1001);
  /* 15 * 1001 / 30 = 500.5 ms: half up, as Math.round */
  g_assert_cmpuint (mt_frame_capture_frame_ms (15, 30000, 1001), ==, 501);

  /* 1 fps at 12.5 fps: 12.5 -> 13 (half up), 25, 37.5 -> 38 */
  g_assert_cmpuint (mt_frame_capture_sample_frame (&rate, 1, 25, 2), ==, 13);
  g_assert_cmpuint (mt_frame_capture_sample_frame (&rate, 3, 25, 2), ==, 38);

  /* 1f-every-2s at 59.94: 119.88 -> 120 at 2002 ms */
  mt_frame_capture_mode_get_rate (1002, 60000, 1001, &rate);
  g_assert_cmpuint (mt_frame_capture_sample_frame (&rate, 1, 60000, 1001),
      ==, 120);
  g_assert_cmpuint (mt_frame_capture_frame_ms (120, 60000, 1001), ==, 2002);

  /* half at 23.976: every other frame */
  mt_frame_capture_mode_get_rate (1001, 24000, 1001, &rate);
  for (guint64 k = 0; k < 1000; k++)
    g_assert_cmpuint (mt_frame_capture_sample_frame (&rate, k, 24000, 1001),
        ==, 2 * k);

  /* 1f-every-5min at 25 fps over 10 hours: no overflow, exact */
  mt_frame_capture_mode_get_rate (1013, 25, 1, &rate);
  g_assert_cmpuint (mt_frame_capture_sample_frame (&rate, 120, 25, 1), ==,
      900000);
  g_assert_cmpuint (mt_frame_capture_frame_ms (900000, 25, 1), ==, 36000000);
}

static void
test_frame_time (void)
{
  /* frame 30 at 29.97 is at 1.001 s; the nearest frame to 1.001 s is 30 */
  g_assert_cmpuint (mt_frame_capture_frame_time (30, 30000, 1001), ==,
      1001000000);
  g_assert_cmpuint (mt_frame_capture_frame_at_time (1001000000, 30000, 1001),
      ==, 30);
  /* Matroska's millisecond times still name the right frame */
  g_assert_cmpuint (mt_frame_capture_frame_at_time (500 * GST_MSECOND, 30000,
          1001), ==, 15);
  g_assert_cmpuint (mt_frame_capture_frame_at_time (501 * GST_MSECOND, 30000,
          1001), ==, 15);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/framecapture/enum-type", test_enum_type);
  g_test_add_func ("/framecapture/from-string", test_from_string);
  g_test_add_func ("/framecapture/rates", test_rates);
  g_test_add_func ("/framecapture/sample-frames", test_sample_frames);
  g_test_add_func ("/framecapture/frame-time", test_frame_time);
  return g_test_run ();
}
