/* Unit tests of the retry policy (retry.h): which errors are retried,
 * Retry-After in its three forms, the attempt and time budgets, a wait
 * cancelled midway, and the adaptive rate limiter against botocore's
 * CUBIC numbers. */
#include <gst/gst.h>
#include <math.h>
#include <string.h>

#include "awserror.h"
#include "retry.h"

static GError *
answer_error (guint status, const gchar * body)
{
  MtHttpResponse resp = { 0, };
  GError *error;

  resp.status = status;
  resp.headers = g_array_new (FALSE, TRUE, sizeof (MtHeader));
  resp.body = body ? g_bytes_new_static (body, strlen (body)) : NULL;
  error = mt_aws_error_from_response (&resp, NULL);
  g_clear_pointer (&resp.body, g_bytes_unref);
  g_array_unref (resp.headers);
  return error;
}

static void
test_classify (void)
{
  struct
  {
    guint status;
    const gchar *body;
    MtRetryClass want;
  } cases[] = {
    {400, "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}",
        MT_RETRY_THROTTLED},
    {429, NULL, MT_RETRY_THROTTLED},
    {503, "<Error><Code>SlowDown</Code></Error>", MT_RETRY_THROTTLED},
    {500, "{\"__type\":\"InternalServerError\"}", MT_RETRY_TRANSIENT},
    {502, NULL, MT_RETRY_TRANSIENT},
    {504, NULL, MT_RETRY_TRANSIENT},
    {200, "<Error><Code>InternalError</Code></Error>", MT_RETRY_TRANSIENT},
    {400, "{\"__type\":\"ValidationException\"}", MT_RETRY_NEVER},
    {400, "{\"__type\":\"UnrecognizedClientException\"}", MT_RETRY_NEVER},
    {403, "<Error><Code>AccessDenied</Code></Error>", MT_RETRY_NEVER},
    {404, NULL, MT_RETRY_NEVER},
    {413, NULL, MT_RETRY_NEVER},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) e = answer_error (cases[i].status, cases[i].body);

    g_test_message ("HTTP %u %s", cases[i].status, cases[i].body);
    g_assert_cmpint (mt_retry_classify (e), ==, cases[i].want);
  }
  g_assert_cmpint (mt_retry_classify_answer (429, NULL), ==,
      MT_RETRY_THROTTLED);
  g_assert_cmpint (mt_retry_classify_answer (503, NULL), ==,
      MT_RETRY_TRANSIENT);
  g_assert_cmpint (mt_retry_classify_answer (409, "Conflict"), ==,
      MT_RETRY_NEVER);
  g_assert_cmpint (mt_retry_classify (NULL), ==, MT_RETRY_NEVER);
}

static void
test_classify_transport (void)
{
  const GIOErrorEnum retried[] = { G_IO_ERROR_TIMED_OUT,
    G_IO_ERROR_CONNECTION_REFUSED, G_IO_ERROR_CONNECTION_CLOSED,
    G_IO_ERROR_HOST_NOT_FOUND, G_IO_ERROR_NETWORK_UNREACHABLE
  };
  const GIOErrorEnum final[] = { G_IO_ERROR_CANCELLED, G_IO_ERROR_FAILED,
    G_IO_ERROR_INVALID_ARGUMENT
  };

  for (guint i = 0; i < G_N_ELEMENTS (retried); i++) {
    g_autoptr (GError) io = g_error_new_literal (G_IO_ERROR, retried[i], "x");
    g_autoptr (GError) wrapped = mt_aws_error_from_transport (io);

    g_assert_cmpint (mt_retry_classify (io), ==, MT_RETRY_TRANSIENT);
    g_assert_cmpint (mt_retry_classify (wrapped), ==, MT_RETRY_TRANSIENT);
  }
  for (guint i = 0; i < G_N_ELEMENTS (final); i++) {
    g_autoptr (GError) io = g_error_new_literal (G_IO_ERROR, final[i], "x");
    g_autoptr (GError) wrapped = mt_aws_error_from_transport (io);

    g_assert_cmpint (mt_retry_classify (io), ==, MT_RETRY_NEVER);
    g_assert_cmpint (mt_retry_classify (wrapped), ==, MT_RETRY_NEVER);
  }
  {
    g_autoptr (GError) other = g_error_new_literal (G_FILE_ERROR,
        G_FILE_ERROR_NOENT, "x");

    g_assert_cmpint (mt_retry_classify (other), ==, MT_RETRY_NEVER);
  }
}

static void
test_retry_after (void)
{
  g_autoptr (GDateTime) soon = NULL;
  g_autofree gchar *date = NULL;
  gint64 ms;

  g_assert_cmpint (mt_retry_after_ms (NULL, NULL), ==, -1);
  g_assert_cmpint (mt_retry_after_ms (NULL, "3"), ==, 3000);
  g_assert_cmpint (mt_retry_after_ms ("700", "3"), ==, 700);
  g_assert_cmpint (mt_retry_after_ms ("soon", "2"), ==, 2000);
  g_assert_cmpint (mt_retry_after_ms (NULL, "-1"), ==, -1);
  g_assert_cmpint (mt_retry_after_ms (NULL, "whenever"), ==, -1);
  /* An HTTP date (IMF-fixdate) 8 s ahead; whole seconds. */
  soon = g_date_time_add_seconds (g_date_time_new_now_utc (), 8);
  date = g_date_time_format (soon, "%a, %d %b %Y %H:%M:%S GMT");
  ms = mt_retry_after_ms (NULL, date);
  g_test_message ("Retry-After: %s -> %" G_GINT64_FORMAT " ms", date, ms);
  g_assert_cmpint (ms, >=, 6000);
  g_assert_cmpint (ms, <=, 8000);
  /* A date in the past: go now. */
  g_assert_cmpint (mt_retry_after_ms (NULL,
          "Wed, 21 Oct 2015 07:28:00 GMT"), ==, 0);
}

static void
test_backoff_and_retry_after_bound (void)
{
  MtRetryPolicy p;
  MtRetryState st;

  mt_retry_policy_init (&p, 20);
  mt_retry_state_init (&st, &p);
  /* Full jitter: retry n waits at most min(base * 2^(n-1), max). */
  for (guint n = 1; n <= 8; n++) {
    gint64 d = mt_retry_next_delay (&st, MT_RETRY_TRANSIENT, -1);

    g_assert_cmpint (d, >=, 0);
    g_assert_cmpint (d, <=, MIN (1000 << (n - 1), 20000));
  }
  /* A server's wish is honoured, but never beyond 5 s more. */
  mt_retry_state_init (&st, &p);
  p.base_ms = 1;
  g_assert_cmpint (mt_retry_next_delay (&st, MT_RETRY_THROTTLED, 1500), >=,
      1500);
  g_assert_cmpint (mt_retry_next_delay (&st, MT_RETRY_THROTTLED, 60000), <=,
      5002);
}

static void
test_budget_exhausted (void)
{
  MtRetryPolicy p;
  MtRetryState st;
  guint n;

  /* 3 retries: 4 attempts for transient errors... */
  mt_retry_policy_init (&p, 3);
  p.base_ms = 0;
  mt_retry_state_init (&st, &p);
  for (n = 0; mt_retry_next_delay (&st, MT_RETRY_TRANSIENT, -1) >= 0; n++);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpuint (st.attempts, ==, 4);
  /* ... a larger budget for throttling, counted apart ... */
  mt_retry_state_init (&st, &p);
  for (n = 0; mt_retry_next_delay (&st, MT_RETRY_THROTTLED, -1) >= 0; n++);
  g_assert_cmpuint (n, ==, 4 * MT_RETRY_THROTTLE_FACTOR - 1);
  mt_retry_state_init (&st, &p);
  for (n = 0; n < 10; n++)
    g_assert_cmpint (mt_retry_next_delay (&st, MT_RETRY_THROTTLED, -1), >=, 0);
  g_assert_cmpint (mt_retry_next_delay (&st, MT_RETRY_TRANSIENT, -1), >=, 0);
  /* ... permanent errors never, and retries=0 means none at all. */
  mt_retry_state_init (&st, &p);
  g_assert_cmpint (mt_retry_next_delay (&st, MT_RETRY_NEVER, -1), ==, -1);
  mt_retry_policy_init (&p, 0);
  mt_retry_state_init (&st, &p);
  g_assert_cmpint (mt_retry_next_delay (&st, MT_RETRY_THROTTLED, -1), ==, -1);

  /* The time budget: no retry that would start after it. */
  mt_retry_policy_init (&p, 10);
  p.budget_ms = 2000;
  mt_retry_state_init (&st, &p);
  g_assert_cmpint (mt_retry_next_delay (&st, MT_RETRY_TRANSIENT, 1000), >=,
      1000);
  st.started_us -= 1500 * G_TIME_SPAN_MILLISECOND;
  g_assert_cmpint (mt_retry_next_delay (&st, MT_RETRY_TRANSIENT, 1000), ==,
      -1);
}

static gpointer
run_loop (gpointer loop)
{
  g_main_loop_run (loop);
  return NULL;
}

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

/* Runs `fn` while another thread cancels after 100 ms; returns the ms it
 * took. */
static gint64
time_cancelled (gboolean (*fn) (gpointer, GCancellable *, GError **),
    gpointer data)
{
  g_autoptr (GCancellable) c = g_cancellable_new ();
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSource) timer = g_timeout_source_new (100);
  GThread *thread;
  GMainLoop *loop = g_main_loop_new (ctx, FALSE);
  gint64 start;

  g_source_set_callback (timer, cancel_cb, c, NULL);
  g_source_attach (timer, ctx);
  thread = g_thread_new ("canceller", run_loop, loop);
  start = g_get_monotonic_time ();
  g_assert_false (fn (data, c, &error));
  start = (g_get_monotonic_time () - start) / 1000;
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_main_loop_quit (loop);
  g_thread_join (thread);
  g_main_loop_unref (loop);
  return start;
}

static gboolean
wait_10s (gpointer data, GCancellable * c, GError ** error)
{
  return mt_retry_wait (10000, c, error);
}

static void
test_cancel_mid_wait (void)
{
  g_autoptr (GCancellable) done = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  gint64 ms = time_cancelled (wait_10s, NULL);

  g_test_message ("cancelled wait returned after %" G_GINT64_FORMAT " ms",
      ms);
  g_assert_cmpint (ms, >=, 90);
  g_assert_cmpint (ms, <, 600);
  /* Already cancelled: returns at once. */
  g_cancellable_cancel (done);
  g_assert_false (mt_retry_wait (10000, done, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Not cancelled: waits the time. */
  {
    gint64 start = g_get_monotonic_time ();

    g_assert_true (mt_retry_wait (50, NULL, NULL));
    g_assert_cmpint (g_get_monotonic_time () - start, >=, 50000);
  }
}

/* --- the rate limiter --- */

static gdouble
fake_now (gpointer data)
{
  return *(gdouble *) data;
}

/* Answers at `rate` per second for `seconds`, none throttled; returns the
 * time of the last answer. */
static gdouble
answer_for (MtRateLimiter * l, gdouble * now, gdouble rate, gdouble seconds)
{
  gdouble end = *now + seconds, last = *now;

  while (*now < end) {
    last = *now;
    mt_rate_limiter_update (l, FALSE, -1);
    *now += 1.0 / rate;
  }
  return last;
}

static void
test_limiter_cubic (void)
{
  gdouble now = 1000.0;
  g_autoptr (MtRateLimiter) l = mt_rate_limiter_new_with_clock (fake_now,
      &now);
  gdouble before, cut, w_max, k, t0;

  /* Not enabled before a throttle: everything passes at once. */
  answer_for (l, &now, 20, 3);
  g_assert_cmpfloat (mt_rate_limiter_get_rate (l), ==, 0);
  g_assert_true (mt_rate_limiter_acquire (l, NULL, NULL));

  /* A throttle cuts to beta (0.7) times the measured rate (~20/s). */
  mt_rate_limiter_update (l, TRUE, -1);
  cut = mt_rate_limiter_get_rate (l);
  g_test_message ("rate after a throttle at 20/s: %.2f", cut);
  g_assert_cmpfloat (cut, >, 0.7 * 15);
  g_assert_cmpfloat (cut, <, 0.7 * 25);
  w_max = cut / 0.7;
  k = cbrt (w_max * 0.3 / 0.4);

  /* Then CUBIC: back to w_max after k seconds, above it after. */
  before = cut;
  t0 = now;
  while (now < t0 + k + 1) {
    gdouble t = answer_for (l, &now, 20, 0.25) - t0;
    gdouble want = MIN (0.4 * pow (t - k, 3) + w_max, 40);

    g_assert_cmpfloat (fabs (mt_rate_limiter_get_rate (l) - want), <, 1.0);
    g_assert_cmpfloat (mt_rate_limiter_get_rate (l), >=, before - 1e-9);
    before = mt_rate_limiter_get_rate (l);
  }
  g_assert_cmpfloat (before, >, w_max);

  /* A throttle of a request sent before the last cut does not cut again. */
  {
    gdouble sent = now - 0.1, cut_at, rate;

    now += 0.2;
    mt_rate_limiter_update (l, TRUE, now);
    cut_at = now;
    rate = mt_rate_limiter_get_rate (l);
    now += 0.01;
    mt_rate_limiter_update (l, TRUE, sent);
    g_assert_cmpfloat (mt_rate_limiter_get_rate (l), >=, rate);
    now += 0.01;
    mt_rate_limiter_update (l, TRUE, cut_at + 0.005);
    g_assert_cmpfloat (mt_rate_limiter_get_rate (l), <, rate);
  }

  /* Throttles in a row bring it down to the floor of 0.5/s, not to 0. */
  for (guint i = 0; i < 40; i++) {
    now += 0.6;
    mt_rate_limiter_update (l, TRUE, -1);
  }
  g_assert_cmpfloat (mt_rate_limiter_get_rate (l), ==, 0.5);
}

static gboolean
acquire_twice (gpointer data, GCancellable * c, GError ** error)
{
  return mt_rate_limiter_acquire (data, c, error)
      && mt_rate_limiter_acquire (data, c, error);
}

static void
test_limiter_waits_and_cancels (void)
{
  g_autoptr (MtRateLimiter) l = mt_rate_limiter_new ();
  gint64 ms;

  /* Throttled at the first answer: about one token a second (0.7 times
   * the one answer measured over half a second, smoothed), so one of two
   * requests waits; a cancel ends the wait. */
  mt_rate_limiter_update (l, TRUE, -1);
  g_assert_cmpfloat (mt_rate_limiter_get_rate (l), >=, 0.5);
  g_assert_cmpfloat (mt_rate_limiter_get_rate (l), <=, 1.2);
  ms = time_cancelled (acquire_twice, l);
  g_test_message ("cancelled acquire returned after %" G_GINT64_FORMAT " ms",
      ms);
  g_assert_cmpint (ms, >=, 90);
  g_assert_cmpint (ms, <, 600);
}

static void
test_outcome_message (void)
{
  g_autoptr (GError) e = answer_error (500,
      "{\"__type\":\"InternalError\",\"message\":\"Internal server error\"}");
  g_autoptr (GError) io = g_error_new_literal (G_IO_ERROR,
      G_IO_ERROR_CONNECTION_REFUSED, "Could not connect to 127.0.0.1:9");
  g_autoptr (GError) net = mt_aws_error_from_transport (io);
  const MtAwsErrorDetails *d;

  mt_aws_error_set_outcome (e, "DetectFaces", 4);
  g_assert_cmpstr (e->message, ==,
      "DetectFaces: InternalError (HTTP 500) after 4 attempts: "
      "Internal server error");
  d = mt_aws_error_get_details (e);
  g_assert_cmpstr (d->action, ==, "DetectFaces");
  g_assert_cmpuint (d->attempts, ==, 4);
  g_assert_cmpuint (d->http_status, ==, 500);

  mt_aws_error_set_outcome (net, "GetObject", 2);
  g_assert_cmpstr (net->message, ==, "GetObject: request failed after 2 "
      "attempts: Could not connect to 127.0.0.1:9");
  g_assert_cmpstr (mt_aws_error_get_details (net)->action, ==, "GetObject");
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/retry/classify", test_classify);
  g_test_add_func ("/retry/classify-transport", test_classify_transport);
  g_test_add_func ("/retry/retry-after", test_retry_after);
  g_test_add_func ("/retry/backoff", test_backoff_and_retry_after_bound);
  g_test_add_func ("/retry/budget-exhausted", test_budget_exhausted);
  g_test_add_func ("/retry/cancel-mid-wait", test_cancel_mid_wait);
  g_test_add_func ("/retry/limiter-cubic", test_limiter_cubic);
  g_test_add_func ("/retry/limiter-cancel", test_limiter_waits_and_cancels);
  g_test_add_func ("/retry/outcome-message", test_outcome_message);
  return g_test_run ();
}
