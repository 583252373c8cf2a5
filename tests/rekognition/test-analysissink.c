/* GstHarness tests of the analysis-sink base (plugins/core/analysissink.c)
 * with a fake engine put in through the engine vtable: results in input
 * order whatever order the engine finishes in, the bounded queue, EOS
 * draining, flush cancelling, on-error skip/fail, bus messages and tracks.
 *
 * The fake engine holds every unit until the test releases it, so the
 * tests decide the order of completion instead of relying on timings. */
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "analysissink.h"
#include "awserror.h"
#include "result.h"

/* ---- the fake engine ---- */

#define MAX_UNITS 64

static struct
{
  GMutex lock;
  GCond cond;
  gboolean released[MAX_UNITS];
  gboolean release_all;
  guint running;
  guint max_running;
  guint calls;
  guint cancelled;
  const gchar *name;            /* NULL: "unit-<index>" */
} fake;

static void
fake_reset (void)
{
  g_mutex_lock (&fake.lock);
  memset (fake.released, 0, sizeof (fake.released));
  fake.release_all = FALSE;
  fake.running = fake.max_running = fake.calls = fake.cancelled = 0;
  fake.name = NULL;
  g_mutex_unlock (&fake.lock);
}

static void
fake_release (guint index)
{
  g_mutex_lock (&fake.lock);
  fake.released[index] = TRUE;
  g_cond_broadcast (&fake.cond);
  g_mutex_unlock (&fake.lock);
}

static void
fake_release_all (void)
{
  g_mutex_lock (&fake.lock);
  fake.release_all = TRUE;
  g_cond_broadcast (&fake.cond);
  g_mutex_unlock (&fake.lock);
}

static gboolean
fake_start (const MtEngineContext * ctx, gpointer * state, GError ** error)
{
  *state = GINT_TO_POINTER (1);
  return TRUE;
}

static gboolean
fake_analyze (gpointer state, const MtEngineContext * ctx,
    const MtUnit * unit, GPtrArray * results, GCancellable * cancellable,
    GError ** error)
{
  guint8 first = 0;
  gboolean cancelled = FALSE;
  g_autofree gchar *name = NULL;

  gst_buffer_extract (unit->buffer, 0, &first, 1);
  g_mutex_lock (&fake.lock);
  fake.calls++;
  fake.running++;
  fake.max_running = MAX (fake.max_running, fake.running);
  while (!fake.release_all && !fake.released[unit->index % MAX_UNITS]) {
    /* Cancellation has no signal here: look every few ms. */
    if (g_cancellable_is_cancelled (cancellable)) {
      cancelled = TRUE;
      fake.cancelled++;
      break;
    }
    g_cond_wait_until (&fake.cond, &fake.lock,
        g_get_monotonic_time () + 5 * G_TIME_SPAN_MILLISECOND);
  }
  fake.running--;
  g_mutex_unlock (&fake.lock);

  if (cancelled)
    return !g_cancellable_set_error_if_cancelled (cancellable, error);
  if (first == 'E') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the fake failed");
    return FALSE;
  }
  if (first == 'A') {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_AUTH,
        "UnrecognizedClientException: bad token");
    return FALSE;
  }
  name = fake.name ? g_strdup (fake.name) :
      g_strdup_printf ("unit-%" G_GUINT64_FORMAT, unit->index);
  g_ptr_array_add (results, mt_result_new (MT_ANALYSIS_LABEL, "fake:labels",
          name, 90));
  return TRUE;
}

static const MtEngine fake_engine = {
  .backend = "local",
  .name = "fake",
  .features = 1,
  .start = fake_start,
  .analyze = fake_analyze,
};

static const MtEngine *const fake_engines[] = { &fake_engine, NULL };

/* ---- a subclass using it ---- */

typedef struct
{
  MtAnalysisSink parent;
} TestSink;
typedef struct
{
  MtAnalysisSinkClass parent;
} TestSinkClass;

static GType test_sink_get_type (void);
G_DEFINE_TYPE (TestSink, test_sink, MT_TYPE_ANALYSIS_SINK);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static gpointer
test_get_config (MtAnalysisSink * sink, guint64 * features)
{
  *features = 1;
  return NULL;
}

static void
test_sink_class_init (TestSinkClass * klass)
{
  GstElementClass *ec = GST_ELEMENT_CLASS (klass);

  gst_element_class_add_static_pad_template (ec, &sink_template);
  gst_element_class_set_static_metadata (ec, "test", "Sink", "test", "test");
  klass->parent.get_config = test_get_config;
  mt_analysis_sink_class_set_engines (MT_ANALYSIS_SINK_CLASS (klass),
      fake_engines, G_TYPE_NONE);
}

static void
test_sink_init (TestSink * self)
{
}

/* ---- helpers ---- */

static GstHarness *
make_harness (guint max_in_flight, const gchar * on_error)
{
  GstHarness *h = gst_harness_new_with_padnames ("testanalysissink", "sink",
      "src");

  gst_harness_set (h, "testanalysissink", "backend", MT_BACKEND_LOCAL,
      "max-in-flight", max_in_flight, NULL);
  gst_util_set_object_arg (G_OBJECT (h->element), "on-error", on_error);
  gst_harness_set_src_caps_str (h, "application/x-test");
  return h;
}

static GstBuffer *
unit_buffer (gchar tag, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_memdup (&tag, 1);

  GST_BUFFER_PTS (buf) = pts;
  return buf;
}

static JsonObject *
pull_doc (GstHarness * h)
{
  g_autoptr (GstBuffer) buf = gst_harness_pull (h);
  g_autoptr (JsonParser) parser = json_parser_new ();
  GstMapInfo map;
  gboolean ok;

  g_assert_nonnull (buf);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  /* One document a buffer, one line. */
  g_assert_cmpint (map.data[map.size - 1], ==, '\n');
  g_assert_null (memchr (map.data, '\n', map.size - 1));
  ok = json_parser_load_from_data (parser, (const gchar *) map.data, map.size,
      NULL);
  gst_buffer_unmap (buf, &map);
  g_assert_true (ok);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static gboolean
has_eos (GstHarness * h)
{
  GstEvent *ev;
  gboolean eos = FALSE;

  while ((ev = gst_harness_try_pull_event (h))) {
    eos |= GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  return eos;
}

typedef struct
{
  GstHarness *h;
  GstBuffer *buf;
  GstFlowReturn ret;
  gboolean done;
} PushJob;

static gpointer
push_thread (gpointer data)
{
  PushJob *job = data;

  job->ret = gst_harness_push (job->h, job->buf);
  g_atomic_int_set (&job->done, TRUE);
  return NULL;
}

/* ---- tests ---- */

static void
test_order_out_of_order_completion (void)
{
  GstHarness *h = make_harness (4, "skip");
  gint i;

  fake_reset ();
  for (i = 0; i < 8; i++)
    g_assert_cmpint (gst_harness_push (h, unit_buffer ('x', i * GST_SECOND)),
        ==, GST_FLOW_OK);
  /* max-in-flight units run at once (no more), then finish last first. */
  g_mutex_lock (&fake.lock);
  while (fake.running < 4)
    g_cond_wait_until (&fake.cond, &fake.lock, g_get_monotonic_time () +
        10 * G_TIME_SPAN_MILLISECOND);
  g_mutex_unlock (&fake.lock);
  for (i = 7; i >= 0; i--)
    fake_release (i);
  for (i = 0; i < 8; i++) {
    g_autoptr (JsonObject) doc = pull_doc (h);
    g_autofree gchar *want = g_strdup_printf ("unit-%d", i);

    g_assert_cmpstr (json_object_get_string_member (doc, "name"), ==, want);
    g_assert_cmpint (json_object_get_int_member (doc, "timestamp"), ==,
        i * 1000);
  }
  g_assert_cmpuint (fake.calls, ==, 8);
  g_assert_cmpuint (fake.max_running, ==, 4);
  gst_harness_teardown (h);
}

static void
test_bounded_queue (void)
{
  GstHarness *h = make_harness (1, "skip");
  PushJob job = { h, NULL, GST_FLOW_ERROR, FALSE };
  GThread *t;
  guint i;

  fake_reset ();
  /* max-in-flight 1 queues 2 units; the third push must wait. */
  for (i = 0; i < 2; i++)
    g_assert_cmpint (gst_harness_push (h, unit_buffer ('x', i)), ==,
        GST_FLOW_OK);
  job.buf = unit_buffer ('x', 2);
  t = g_thread_new ("push", push_thread, &job);
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);
  g_assert_false (g_atomic_int_get (&job.done));
  fake_release (0);
  g_thread_join (t);
  g_assert_cmpint (job.ret, ==, GST_FLOW_OK);
  fake_release_all ();
  for (i = 0; i < 3; i++) {
    g_autoptr (JsonObject) doc = pull_doc (h);
  }
  g_assert_cmpuint (fake.max_running, ==, 1);
  gst_harness_teardown (h);
}

static void
test_eos_drains (void)
{
  GstHarness *h = make_harness (4, "skip");
  guint i;

  fake_reset ();
  for (i = 0; i < 4; i++)
    gst_harness_push (h, unit_buffer ('x', i));
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  /* EOS waits behind the units in flight. */
  g_usleep (100 * G_TIME_SPAN_MILLISECOND);
  g_assert_false (has_eos (h));
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  fake_release_all ();
  for (i = 0; i < 4; i++) {
    g_autoptr (JsonObject) doc = pull_doc (h);
  }
  {
    GstEvent *ev;
    gboolean eos = FALSE;

    while (!eos && (ev = gst_harness_pull_event (h))) {
      eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
      gst_event_unref (ev);
    }
    g_assert_true (eos);
  }
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  gst_harness_teardown (h);
}

static void
test_flush_cancels (void)
{
  GstHarness *h = make_harness (4, "skip");
  g_autoptr (JsonObject) doc = NULL;
  GstSegment segment;
  gint64 start;
  guint i;

  fake_reset ();
  for (i = 0; i < 3; i++)
    gst_harness_push (h, unit_buffer ('x', i));
  g_mutex_lock (&fake.lock);
  while (fake.running < 3)
    g_cond_wait_until (&fake.cond, &fake.lock, g_get_monotonic_time () +
        10 * G_TIME_SPAN_MILLISECOND);
  g_mutex_unlock (&fake.lock);
  start = g_get_monotonic_time ();
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  /* The engine saw the cancellation and nothing of theirs comes out. */
  g_mutex_lock (&fake.lock);
  while (fake.running > 0)
    g_cond_wait_until (&fake.cond, &fake.lock, g_get_monotonic_time () +
        10 * G_TIME_SPAN_MILLISECOND);
  g_mutex_unlock (&fake.lock);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (fake.cancelled, ==, 3);

  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&segment));
  fake_release_all ();
  gst_harness_push (h, unit_buffer ('x', 9));
  doc = pull_doc (h);
  g_assert_cmpstr (json_object_get_string_member (doc, "name"), ==, "unit-3");
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  gst_harness_teardown (h);
}

static void
test_stop_cancels (void)
{
  GstHarness *h = make_harness (4, "skip");
  gint64 start;
  guint i;

  fake_reset ();
  for (i = 0; i < 3; i++)
    gst_harness_push (h, unit_buffer ('x', i));
  g_mutex_lock (&fake.lock);
  while (fake.running < 3)
    g_cond_wait_until (&fake.cond, &fake.lock, g_get_monotonic_time () +
        10 * G_TIME_SPAN_MILLISECOND);
  g_mutex_unlock (&fake.lock);
  /* Going to NULL with units the engine would never finish by itself. */
  start = g_get_monotonic_time ();
  g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_NULL), ==,
      GST_STATE_CHANGE_SUCCESS);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (fake.cancelled, ==, 3);
  g_assert_cmpuint (fake.running, ==, 0);
  gst_harness_teardown (h);
}

static void
test_on_error_skip (void)
{
  GstHarness *h = make_harness (2, "skip");
  g_autoptr (JsonObject) a = NULL;
  g_autoptr (JsonObject) b = NULL;
  g_autoptr (JsonObject) c = NULL;
  g_autoptr (JsonObject) d = NULL;

  fake_reset ();
  fake_release_all ();
  gst_harness_push (h, unit_buffer ('x', 0));
  gst_harness_push (h, unit_buffer ('E', GST_SECOND));
  gst_harness_push (h, gst_buffer_new ());
  gst_harness_push (h, unit_buffer ('x', 3 * GST_SECOND));
  a = pull_doc (h);
  b = pull_doc (h);
  c = pull_doc (h);
  d = pull_doc (h);
  g_assert_cmpstr (json_object_get_string_member (a, "name"), ==, "unit-0");
  g_assert_cmpstr (json_object_get_string_member (b, "analysis"), ==, "error");
  g_assert_cmpstr (json_object_get_string_member (b, "error"), ==,
      "the fake failed");
  g_assert_cmpint (json_object_get_int_member (b, "timestamp"), ==, 1000);
  /* The empty buffer never reached the engine. */
  g_assert_cmpstr (json_object_get_string_member (c, "analysis"), ==, "error");
  g_assert_nonnull (strstr (json_object_get_string_member (c, "error"),
          "empty"));
  g_assert_cmpstr (json_object_get_string_member (d, "name"), ==, "unit-3");
  g_assert_cmpuint (fake.calls, ==, 3);
  gst_harness_teardown (h);
}

static GstMessage *
wait_error (GstBus * bus)
{
  return gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
}

static void
check_fails (const gchar * on_error, gchar tag, gint domain_code)
{
  GstHarness *h = make_harness (2, on_error);
  g_autoptr (GstBus) bus = gst_bus_new ();
  g_autoptr (GstMessage) msg = NULL;
  g_autoptr (GError) err = NULL;
  GstFlowReturn ret = GST_FLOW_OK;
  guint i;

  fake_reset ();
  fake_release_all ();
  gst_element_set_bus (h->element, bus);
  gst_harness_push (h, unit_buffer (tag, 0));
  msg = wait_error (bus);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &err, NULL);
  g_assert_true (err->domain == GST_RESOURCE_ERROR
      || err->domain == GST_STREAM_ERROR);
  g_assert_cmpint (err->code, ==, domain_code);
  /* Upstream is told to stop. */
  for (i = 0; i < 50 && ret == GST_FLOW_OK; i++) {
    ret = gst_harness_push (h, unit_buffer ('x', i + 1));
    g_usleep (10000);
  }
  g_assert_cmpint (ret, ==, GST_FLOW_ERROR);
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
}

static void
test_on_error_fail (void)
{
  check_fails ("fail", 'E', GST_STREAM_ERROR_FAILED);
}

static void
test_auth_always_fails (void)
{
  check_fails ("skip", 'A', GST_RESOURCE_ERROR_NOT_AUTHORIZED);
}

static void
test_bus_message (void)
{
  GstHarness *h = make_harness (1, "skip");
  g_autoptr (GstBus) bus = gst_bus_new ();
  g_autoptr (JsonObject) doc = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  GstMessage *msg;
  const GstStructure *s = NULL;
  guint64 ts;
  guint count;

  fake_reset ();
  fake_release_all ();
  gst_element_set_bus (h->element, bus);
  gst_harness_push (h, unit_buffer ('x', 5 * GST_SECOND));
  doc = pull_doc (h);
  while ((msg = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND,
              GST_MESSAGE_ELEMENT))) {
    s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "testanalysissink"))
      break;
    gst_message_unref (msg);
  }
  g_assert_nonnull (msg);
  g_assert_true (gst_structure_get_uint64 (s, "timestamp", &ts));
  g_assert_cmpuint (ts, ==, 5 * GST_SECOND);
  g_assert_true (gst_structure_get_uint (s, "count", &count));
  g_assert_cmpuint (count, ==, 1);
  g_assert_true (gst_structure_has_field (s, "running-time"));
  g_assert_true (gst_structure_has_field (s, "stream-time"));
  g_assert_true (gst_structure_has_field (s, "duration"));
  g_assert_true (json_parser_load_from_data (parser,
          gst_structure_get_string (s, "results"), -1, NULL));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element
          (json_node_get_array (json_parser_get_root (parser)), 0), "id"), ==,
      json_object_get_string_member (doc, "id"));
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
}

static void
test_video_tracks (void)
{
  GstHarness *h = make_harness (2, "skip");
  const guint secs[] = { 0, 1, 2, 5 };
  guint i;
  g_autoptr (JsonObject) t1 = NULL;
  g_autoptr (JsonObject) t2 = NULL;

  fake_reset ();
  fake_release_all ();
  fake.name = "Dog";
  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=GRAY8,width=1,height=1,framerate=25/1");
  for (i = 0; i < G_N_ELEMENTS (secs); i++) {
    g_autoptr (JsonObject) doc = NULL;

    gst_harness_push (h, unit_buffer ('x', secs[i] * GST_SECOND));
    doc = pull_doc (h);
    /* No framesampler: the frame number comes from time and rate. */
    g_assert_cmpint (json_object_get_int_member (doc, "frame"), ==,
        secs[i] * 25);
    if (secs[i] == 5)
      t1 = pull_doc (h);        /* 5 - 2 >= 1.2 s: the first track ends */
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  t2 = pull_doc (h);
  g_assert_nonnull (t1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member
          (t1, "track"), "count"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (t1, "end"), ==, 2000);
  g_assert_cmpint (json_object_get_int_member (t2, "timestamp"), ==, 5000);
  gst_harness_teardown (h);
}

/* Documents carry media (stream) time: an MP4 whose first frame has PTS
 * 80 ms in a segment starting at 80 ms shows that frame at 0 ms. */
static void
test_stream_time (void)
{
  GstHarness *h = make_harness (1, "skip");
  GstSegment segment;
  g_autoptr (JsonObject) d0 = NULL;
  g_autoptr (JsonObject) d1 = NULL;

  fake_reset ();
  fake_release_all ();
  fake.name = "Dog";
  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=GRAY8,width=1,height=1,framerate=25/1");
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = 80 * GST_MSECOND;
  segment.time = 0;
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  gst_harness_push (h, unit_buffer ('x', 80 * GST_MSECOND));
  gst_harness_push (h, unit_buffer ('y', 1080 * GST_MSECOND));
  d0 = pull_doc (h);
  d1 = pull_doc (h);
  g_assert_cmpint (json_object_get_int_member (d0, "timestamp"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (d0, "frame"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (d1, "timestamp"), ==, 1000);
  g_assert_cmpint (json_object_get_int_member (d1, "frame"), ==, 25);
  gst_harness_teardown (h);
}

static void
test_location_file (void)
{
  GstElement *element;
  GstHarness *h;
  g_autofree gchar *dir = g_dir_make_tmp ("mt-analysissink-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "out.jsonl", NULL);
  g_autofree gchar *contents = NULL;
  g_auto (GStrv) lines = NULL;

  fake_reset ();
  fake_release_all ();
  /* location is opened when the element starts: set it before. */
  element = gst_element_factory_make ("testanalysissink", NULL);
  g_object_set (element, "backend", MT_BACKEND_LOCAL, "location", path,
      "asset", "file:///clip.mp4", NULL);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  gst_harness_set_src_caps_str (h, "application/x-test");
  gst_harness_push (h, unit_buffer ('x', 0));
  gst_harness_push (h, unit_buffer ('x', GST_SECOND));
  gst_harness_push_event (h, gst_event_new_eos ());
  {
    g_autoptr (JsonObject) a = pull_doc (h);
    g_autoptr (JsonObject) b = pull_doc (h);
  }
  while (!has_eos (h))
    g_usleep (10000);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[2], ==, "");
  g_assert_nonnull (strstr (lines[0], "\"asset\":\"file:///clip.mp4\""));
  g_assert_nonnull (strstr (lines[1], "\"name\":\"unit-1\""));
  gst_harness_teardown (h);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_mutex_init (&fake.lock);
  g_cond_init (&fake.cond);
  gst_element_register (NULL, "testanalysissink", GST_RANK_NONE,
      test_sink_get_type ());
  g_test_add_func ("/analysissink/order", test_order_out_of_order_completion);
  g_test_add_func ("/analysissink/bounded-queue", test_bounded_queue);
  g_test_add_func ("/analysissink/eos-drains", test_eos_drains);
  g_test_add_func ("/analysissink/flush-cancels", test_flush_cancels);
  g_test_add_func ("/analysissink/stop-cancels", test_stop_cancels);
  g_test_add_func ("/analysissink/on-error-skip", test_on_error_skip);
  g_test_add_func ("/analysissink/on-error-fail", test_on_error_fail);
  g_test_add_func ("/analysissink/auth-always-fails", test_auth_always_fails);
  g_test_add_func ("/analysissink/bus-message", test_bus_message);
  g_test_add_func ("/analysissink/video-tracks", test_video_tracks);
  g_test_add_func ("/analysissink/location-file", test_location_file);
  g_test_add_func ("/analysissink/stream-time", test_stream_time);
  return g_test_run ();
}
