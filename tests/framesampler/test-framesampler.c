/* Element tests of framesampler with GstHarness: which frames pass for a
 * mode, with which PTS and frame number, the sampling event, variable-rate
 * input, the dynamic mode on synthetic scenes, and the clear error for a
 * stream without frames. Decoded clips and seeking are covered by
 * test_framesampler_clips.py. */
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <string.h>

#include "framecapture.h"

#define W 64
#define H 48

static GstClockTime
frame_pts (guint64 i, gint fps_n, gint fps_d)
{
  return gst_util_uint64_scale (i, fps_d * GST_SECOND, fps_n);
}

static GstHarness *
new_sampler (const gchar * props, const gchar * format, gint fps_n, gint fps_d)
{
  GstHarness *h = gst_harness_new_parse (props);
  g_autofree gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,"
      "height=%d,framerate=%d/%d", format, W, H, fps_n, fps_d);

  gst_harness_set_src_caps_str (h, caps);
  return h;
}

static void
push_frame (GstHarness * h, GstBuffer * buf, GstClockTime pts,
    GstClockTime duration)
{
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = duration;
  g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
}

/* Pushes n gray frames at a constant rate, returns the offsets that came
 * out and checks every PTS came out unchanged. */
static GArray *
run_cfr (const gchar * props, gint fps_n, gint fps_d, guint n)
{
  GstHarness *h = new_sampler (props, "GRAY8", fps_n, fps_d);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (guint64));
  GstBuffer *buf;

  for (guint i = 0; i < n; i++)
    push_frame (h, gst_harness_create_buffer (h, W * H),
        frame_pts (i, fps_n, fps_d), frame_pts (1, fps_n, fps_d));
  gst_harness_push_event (h, gst_event_new_eos ());
  while ((buf = gst_harness_try_pull (h))) {
    guint64 frame = GST_BUFFER_OFFSET (buf);

    g_assert_cmpuint (GST_BUFFER_OFFSET_END (buf), ==, frame + 1);
    g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, frame_pts (frame, fps_n,
            fps_d));
    g_array_append_val (out, frame);
    gst_buffer_unref (buf);
  }
  gst_harness_teardown (h);
  return out;
}

static void
assert_frames (GArray * got, const guint64 * want, guint n_want)
{
  g_assert_cmpuint (got->len, ==, n_want);
  for (guint i = 0; i < n_want; i++)
    g_assert_cmpuint (g_array_index (got, guint64, i), ==, want[i]);
  g_array_unref (got);
}

static void
test_1fps_ntsc (void)
{
  const guint64 want[] = { 0, 30, 60, 90, 120, 150, 180 };

  assert_frames (run_cfr ("framesampler frame-capture-mode=1fps", 30000, 1001,
          200), want, G_N_ELEMENTS (want));
}

static void
test_nick_and_code_are_the_same (void)
{
  const guint64 want[] = { 0, 50, 100, 150, 200, 250 };

  assert_frames (run_cfr ("framesampler frame-capture-mode=1002", 25, 1, 300),
      want, G_N_ELEMENTS (want));
  assert_frames (run_cfr ("framesampler frame-capture-mode=1f-every-2s", 25, 1,
          300), want, G_N_ELEMENTS (want));
}

static void
test_half_and_all (void)
{
  const guint64 half[] = { 0, 2, 4, 6, 8 };
  const guint64 all[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

  assert_frames (run_cfr ("framesampler frame-capture-mode=half", 60000, 1001,
          10), half, G_N_ELEMENTS (half));
  assert_frames (run_cfr ("framesampler frame-capture-mode=all", 60000, 1001,
          10), all, G_N_ELEMENTS (all));
}

static void
test_interval_overrides_mode (void)
{
  /* 0.5 s at 25 fps: round (12.5 k) */
  const guint64 want[] = { 0, 13, 25, 38, 50 };

  assert_frames (run_cfr ("framesampler frame-capture-mode=1fps "
          "interval=500000000", 25, 1, 60), want, G_N_ELEMENTS (want));
}

static void
test_short_clip_gives_first_frame (void)
{
  const guint64 want[] = { 0 };

  assert_frames (run_cfr ("framesampler frame-capture-mode=1f-every-5min",
          30, 1, 10), want, G_N_ELEMENTS (want));
}

static void
test_none_passes_nothing (void)
{
  GstHarness *h = new_sampler ("framesampler frame-capture-mode=none",
      "GRAY8", 25, 1);
  g_autoptr (GstBus) bus = gst_bus_new ();

  gst_element_set_bus (h->element, bus);
  for (guint i = 0; i < 30; i++)
    push_frame (h, gst_harness_create_buffer (h, W * H), frame_pts (i, 25, 1),
        GST_SECOND / 25);
  gst_harness_push_event (h, gst_event_new_eos ());
  g_assert_cmpuint (gst_harness_buffers_received (h), ==, 0);
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR));
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
}

static void
test_sampling_event (void)
{
  GstHarness *h = new_sampler ("framesampler frame-capture-mode=1f-every-2s",
      "GRAY8", 30000, 1001);
  GstEvent *ev;
  const GstStructure *s;
  gint mode = 0;
  guint64 interval = 0;

  push_frame (h, gst_harness_create_buffer (h, W * H), 0, 33366666);
  ev = gst_pad_get_sticky_event (h->sinkpad, GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
      0);
  g_assert_nonnull (ev);
  s = gst_event_get_structure (ev);
  g_assert_true (gst_structure_has_name (s, MT_SAMPLING_EVENT_NAME));
  g_assert_true (gst_structure_get_int (s, MT_SAMPLING_FIELD_MODE, &mode));
  g_assert_true (gst_structure_get_uint64 (s, MT_SAMPLING_FIELD_INTERVAL,
          &interval));
  g_assert_cmpint (mode, ==, 1002);
  g_assert_cmpuint (interval, ==, 2 * GST_SECOND);
  gst_event_unref (ev);
  gst_harness_teardown (h);
}

static void
test_post_messages (void)
{
  GstHarness *h = new_sampler ("framesampler frame-capture-mode=1fps "
      "post-messages=true", "GRAY8", 25, 1);
  g_autoptr (GstBus) bus = gst_bus_new ();
  GstMessage *msg;
  const GstStructure *s;
  guint64 frame = 0, ts = 0;

  gst_element_set_bus (h->element, bus);
  for (guint i = 0; i < 30; i++)
    push_frame (h, gst_harness_create_buffer (h, W * H), frame_pts (i, 25, 1),
        GST_SECOND / 25);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  gst_message_unref (msg);      /* frame 0 */
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  g_assert_nonnull (msg);
  s = gst_message_get_structure (msg);
  g_assert_true (gst_structure_has_name (s, "framesampler"));
  g_assert_true (gst_structure_get_uint64 (s, "frame", &frame));
  g_assert_true (gst_structure_get_uint64 (s, "timestamp", &ts));
  g_assert_cmpuint (frame, ==, 25);
  g_assert_cmpuint (ts, ==, GST_SECOND);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
}

/* framerate 0/1: the first frame at or after each sample time, numbered by
 * its position in the stream. */
static void
test_variable_rate (void)
{
  const GstClockTime pts_ms[] = { 0, 400, 990, 1010, 1500, 2200, 2300, 2999,
    3000, 4700
  };
  const guint64 want[] = { 0, 3, 5, 8, 9 };
  GstHarness *h = new_sampler ("framesampler frame-capture-mode=1fps",
      "GRAY8", 0, 1);
  GstBuffer *buf;
  guint i = 0;

  for (guint j = 0; j < G_N_ELEMENTS (pts_ms); j++)
    push_frame (h, gst_harness_create_buffer (h, W * H),
        pts_ms[j] * GST_MSECOND, GST_CLOCK_TIME_NONE);
  while ((buf = gst_harness_try_pull (h))) {
    g_assert_cmpuint (i, <, G_N_ELEMENTS (want));
    g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, want[i]);
    g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, pts_ms[want[i]] * GST_MSECOND);
    gst_buffer_unref (buf);
    i++;
  }
  g_assert_cmpuint (i, ==, G_N_ELEMENTS (want));
  gst_harness_teardown (h);
}

static void
test_no_frames_is_an_error (void)
{
  GstHarness *h = new_sampler ("framesampler", "GRAY8", 25, 1);
  g_autoptr (GstBus) bus = gst_bus_new ();
  GstMessage *msg;
  g_autoptr (GError) err = NULL;

  gst_element_set_bus (h->element, bus);
  gst_harness_push_event (h, gst_event_new_eos ());
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &err, NULL);
  g_assert_nonnull (strstr (err->message, "has no frames"));
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
}

/* ---- dynamic mode on synthetic scenes ---- */

typedef struct
{
  guint8 base[3];               /* scene colour */
  gboolean transpose;           /* another layout, same colours */
  gint texture;                 /* amplitude of the fine detail: sharpness */
} Scene;

static GstBuffer *
scene_frame (const Scene * sc)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, W * H * 3, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gint y = 0; y < H; y++)
    for (gint x = 0; x < W; x++) {
      gint bx = sc->transpose ? y / 16 : x / 16, by = sc->transpose ? x / 16 :
          y / 12;
      gint block = ((bx * 7 + by * 3) % 5) * 24;
      gint fine = ((x + y) & 1) ? sc->texture : -sc->texture;

      for (gint c = 0; c < 3; c++)
        map.data[(y * W + x) * 3 + c] = CLAMP (sc->base[c] + block + fine, 0,
            255);
    }
  gst_buffer_unmap (buf, &map);
  return buf;
}

static void
test_dynamic (void)
{
  /* 10 fps, so candidates are every 10th frame. Scene A (blue) for 6 s with
   * its sharpest candidate at frame 30; scene B (red) for 3 s, sharpest at
   * 80; scene C, B's colours in another layout, for 2 s, sharpest at 100. */
  GstHarness *h = new_sampler ("framesampler frame-capture-mode=dynamic",
      "RGB", 10, 1);
  const Scene a = { {20, 40, 120}, FALSE, 0 }, b = { {
      120, 30, 20}, FALSE, 0
  }, c = { {
      120, 30, 20}, TRUE, 0
  };
  const guint64 want[] = { 30, 80, 100 };
  GstBuffer *buf;
  guint i = 0;

  for (guint f = 0; f < 110; f++) {
    Scene sc = f < 60 ? a : f < 90 ? b : c;

    sc.texture = f == 30 || f == 80 || f == 100 ? 12 : (f % 20 == 0 ? 6 : 2);
    push_frame (h, scene_frame (&sc), frame_pts (f, 10, 1), GST_SECOND / 10);
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  while ((buf = gst_harness_try_pull (h))) {
    g_assert_cmpuint (i, <, G_N_ELEMENTS (want));
    g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, want[i]);
    g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, frame_pts (want[i], 10, 1));
    gst_buffer_unref (buf);
    i++;
  }
  g_assert_cmpuint (i, ==, G_N_ELEMENTS (want));
  gst_harness_teardown (h);
}

static void
test_dynamic_thresholds (void)
{
  /* hash-distance=64: everything is a near-duplicate; a shot-threshold of 1
   * sees no shot change: one frame, the sharpest of all. */
  GstHarness *h = new_sampler ("framesampler frame-capture-mode=dynamic "
      "hash-distance=64 shot-threshold=1.0", "RGB", 10, 1);
  Scene sc = { {20, 40, 120}, FALSE, 2 };
  GstBuffer *buf;

  for (guint f = 0; f < 50; f++) {
    sc.base[0] = f < 25 ? 20 : 200;
    sc.texture = f == 40 ? 12 : 2;
    push_frame (h, scene_frame (&sc), frame_pts (f, 10, 1), GST_SECOND / 10);
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  g_assert_cmpuint (gst_harness_buffers_received (h), ==, 1);
  buf = gst_harness_pull (h);
  g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, 40);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/framesampler/1fps-ntsc", test_1fps_ntsc);
  g_test_add_func ("/framesampler/nick-and-code",
      test_nick_and_code_are_the_same);
  g_test_add_func ("/framesampler/half-and-all", test_half_and_all);
  g_test_add_func ("/framesampler/interval", test_interval_overrides_mode);
  g_test_add_func ("/framesampler/short-clip",
      test_short_clip_gives_first_frame);
  g_test_add_func ("/framesampler/none", test_none_passes_nothing);
  g_test_add_func ("/framesampler/sampling-event", test_sampling_event);
  g_test_add_func ("/framesampler/post-messages", test_post_messages);
  g_test_add_func ("/framesampler/variable-rate", test_variable_rate);
  g_test_add_func ("/framesampler/no-frames", test_no_frames_is_an_error);
  g_test_add_func ("/framesampler/dynamic", test_dynamic);
  g_test_add_func ("/framesampler/dynamic-thresholds", test_dynamic_thresholds);
  return g_test_run ();
}
