/* The WebSocket transport (websocket.h) against a loopback server written
 * from the RFC (ws_server.py): whole and fragmented messages, large ones,
 * ping/pong, close codes both ways, a dropped connection, idle and connect
 * timeouts, cancellation during and after the handshake, a refused
 * handshake, back-pressure from a peer that does not read, and TLS
 * verification (on by default, and the switch that turns it off). */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include "websocket.h"

static gchar *server_port;      /* "ws://127.0.0.1:PORT" */
static gchar *tls_port;         /* "wss://127.0.0.1:PORT" or NULL */

typedef struct
{
  GMutex lock;
  GCond cond;
  GPtrArray *messages;          /* of GBytes; text ones NUL-terminated */
  GArray *binary;               /* of gboolean */
  guint closed;                 /* on_closed calls */
  GError *error;
  gushort code;
  gchar *reason;
} Events;

static void
events_init (Events * ev)
{
  memset (ev, 0, sizeof (*ev));
  g_mutex_init (&ev->lock);
  g_cond_init (&ev->cond);
  ev->messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  ev->binary = g_array_new (FALSE, FALSE, sizeof (gboolean));
}

static void
events_clear (Events * ev)
{
  g_ptr_array_unref (ev->messages);
  g_array_unref (ev->binary);
  g_clear_error (&ev->error);
  g_free (ev->reason);
  g_mutex_clear (&ev->lock);
  g_cond_clear (&ev->cond);
}

static void
on_message (MtWebSocket * ws, gboolean binary, GBytes * message, gpointer data)
{
  Events *ev = data;

  g_mutex_lock (&ev->lock);
  g_ptr_array_add (ev->messages, g_bytes_ref (message));
  g_array_append_val (ev->binary, binary);
  g_cond_broadcast (&ev->cond);
  g_mutex_unlock (&ev->lock);
}

static void
on_closed (MtWebSocket * ws, const GError * error, gushort code,
    const gchar * reason, gpointer data)
{
  Events *ev = data;

  g_mutex_lock (&ev->lock);
  ev->closed++;
  ev->error = error ? g_error_copy (error) : NULL;
  ev->code = code;
  ev->reason = g_strdup (reason);
  g_cond_broadcast (&ev->cond);
  g_mutex_unlock (&ev->lock);
}

/* Waits up to 10 s for n messages; returns the n-th (0-based n-1). */
static GBytes *
wait_message (Events * ev, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  GBytes *b = NULL;

  g_mutex_lock (&ev->lock);
  while (ev->messages->len < n && ev->closed == 0)
    if (!g_cond_wait_until (&ev->cond, &ev->lock, deadline))
      break;
  if (ev->messages->len >= n)
    b = g_bytes_ref (g_ptr_array_index (ev->messages, n - 1));
  g_mutex_unlock (&ev->lock);
  return b;
}

static void
wait_closed (Events * ev, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;

  g_mutex_lock (&ev->lock);
  while (ev->closed == 0)
    if (!g_cond_wait_until (&ev->cond, &ev->lock, deadline))
      break;
  g_mutex_unlock (&ev->lock);
}

static MtWebSocketOptions
default_options (void)
{
  MtWebSocketOptions o = {.connect_timeout_ms = 5000,.tls_verify = TRUE };
  return o;
}

static MtWebSocket *
connect_path (const gchar * path, const MtWebSocketOptions * o, Events * ev,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *url = g_strconcat (server_port, path, NULL);

  return mt_websocket_connect (url, o, on_message, on_closed, ev,
      cancellable, error);
}

static void
send_text (MtWebSocket * ws, const gchar * text)
{
  g_autoptr (GBytes) b = g_bytes_new (text, strlen (text));
  g_autoptr (GError) error = NULL;

  g_assert_true (mt_websocket_send (ws, FALSE, b, &error));
  g_assert_no_error (error);
}

static void
assert_text (GBytes * b, const gchar * text)
{
  g_assert_nonnull (b);
  g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b), text,
      strlen (text));
}

static GBytes *
pattern (gsize n, guint seed)
{
  guint8 *data = g_malloc (n);

  for (gsize i = 0; i < n; i++)
    data[i] = (i * 7 + seed) % 253;
  return g_bytes_new_take (data, n);
}

static void
test_echo_text_binary_large (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MtWebSocket) ws = NULL;
  g_autoptr (GBytes) big = pattern (5 * 1024 * 1024, 3);
  g_autoptr (GBytes) got1 = NULL;
  g_autoptr (GBytes) got2 = NULL;

  events_init (&ev);
  ws = connect_path ("/echo", &o, &ev, NULL, &error);
  g_assert_no_error (error);
  send_text (ws, "héllo");
  g_assert_true (mt_websocket_send (ws, TRUE, big, &error));
  got1 = wait_message (&ev, 1);
  got2 = wait_message (&ev, 2);
  assert_text (got1, "héllo");
  g_assert_false (g_array_index (ev.binary, gboolean, 0));
  g_assert_true (g_array_index (ev.binary, gboolean, 1));
  g_assert_true (g_bytes_equal (got2, big));

  mt_websocket_close (ws, 1000, NULL);
  g_assert_cmpuint (ev.closed, ==, 1);
  g_assert_no_error (ev.error);
  g_assert_cmpuint (ev.code, ==, 1000);
  g_assert_false (mt_websocket_send (ws, FALSE, got1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  events_clear (&ev);
}

static void
test_fragmented (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MtWebSocket) ws = NULL;
  g_autoptr (GBytes) text = NULL;
  g_autoptr (GBytes) blob = NULL;
  const guint8 *d;
  gsize n;

  events_init (&ev);
  ws = connect_path ("/fragmented", &o, &ev, NULL, &error);
  g_assert_no_error (error);
  text = wait_message (&ev, 1);
  blob = wait_message (&ev, 2);
  assert_text (text, "hello world");
  g_assert_nonnull (blob);
  d = g_bytes_get_data (blob, &n);
  g_assert_cmpuint (n, ==, 300000);
  for (gsize i = 0; i < n; i++)
    if (d[i] != i % 251)
      g_error ("byte %" G_GSIZE_FORMAT " of the fragmented message is wrong",
          i);
  /* The ping between fragments was answered and the connection is fine. */
  send_text (ws, "still here");
  g_clear_pointer (&text, g_bytes_unref);
  text = wait_message (&ev, 3);
  assert_text (text, "still here");
  events_clear (&ev);
}

static void
test_server_close_code (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MtWebSocket) ws = NULL;

  events_init (&ev);
  ws = connect_path ("/close", &o, &ev, NULL, &error);
  g_assert_no_error (error);
  send_text (ws, "go");
  wait_closed (&ev, 5);
  g_assert_cmpuint (ev.closed, ==, 1);
  g_assert_no_error (ev.error);
  g_assert_cmpuint (ev.code, ==, 4001);
  g_assert_cmpstr (ev.reason, ==, "bye");
  g_assert_true (mt_websocket_wait_closed (ws, 1000, NULL, &error));
  g_assert_no_error (error);
  mt_websocket_close (ws, 1000, NULL);
  g_assert_cmpuint (ev.closed, ==, 1);  /* reported once */
  events_clear (&ev);
}

static void
test_ping_pong (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MtWebSocket) ws = NULL;
  g_autoptr (GBytes) b = NULL;

  events_init (&ev);
  ws = connect_path ("/ping", &o, &ev, NULL, &error);
  g_assert_no_error (error);
  b = wait_message (&ev, 1);
  assert_text (b, "pong ok");
  events_clear (&ev);
}

static void
test_idle_timeout (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MtWebSocket) ws = NULL;
  gint64 t0;

  o.idle_timeout_ms = 300;
  events_init (&ev);
  ws = connect_path ("/silent", &o, &ev, NULL, &error);
  g_assert_no_error (error);
  t0 = g_get_monotonic_time ();
  g_assert_false (mt_websocket_wait_closed (ws, 5000, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 250 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 3 * G_TIME_SPAN_SECOND);
  g_assert_cmpuint (ev.closed, ==, 1);
  g_assert_error (ev.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  events_clear (&ev);
}

/* Messages keep the idle timer from firing. */
static void
test_idle_rearmed_by_messages (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MtWebSocket) ws = NULL;

  o.idle_timeout_ms = 400;
  events_init (&ev);
  ws = connect_path ("/echo", &o, &ev, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 1; i <= 8; i++) {
    g_autoptr (GBytes) b = NULL;
    send_text (ws, "tick");
    b = wait_message (&ev, i);
    g_assert_nonnull (b);
    g_usleep (150 * 1000);
  }
  g_assert_cmpuint (ev.closed, ==, 0);
  events_clear (&ev);
}

static void
test_connect_timeout (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;
  MtWebSocket *ws;
  gint64 t0 = g_get_monotonic_time ();

  o.connect_timeout_ms = 300;
  events_init (&ev);
  ws = connect_path ("/hang", &o, &ev, NULL, &error);
  g_assert_null (ws);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 3 * G_TIME_SPAN_SECOND);
  g_assert_cmpuint (ev.closed, ==, 0);
  events_clear (&ev);
}

static gpointer
cancel_later (gpointer data)
{
  g_usleep (200 * 1000);
  g_cancellable_cancel (data);
  return NULL;
}

static void
test_cancel_during_connect (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) c = g_cancellable_new ();
  GThread *t;
  MtWebSocket *ws;
  gint64 t0 = g_get_monotonic_time ();

  o.connect_timeout_ms = 20000;
  events_init (&ev);
  t = g_thread_new ("cancel", cancel_later, c);
  ws = connect_path ("/hang", &o, &ev, c, &error);
  g_thread_join (t);
  g_assert_null (ws);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_TIME_SPAN_SECOND);
  events_clear (&ev);
}

static void
test_cancel_when_open (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) c = g_cancellable_new ();
  g_autoptr (MtWebSocket) ws = NULL;

  events_init (&ev);
  ws = connect_path ("/silent", &o, &ev, c, &error);
  g_assert_no_error (error);
  g_cancellable_cancel (c);
  wait_closed (&ev, 2);
  g_assert_cmpuint (ev.closed, ==, 1);
  g_assert_error (ev.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  events_clear (&ev);
}

static void
test_refused (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;
  MtWebSocket *ws;

  events_init (&ev);
  ws = connect_path ("/refuse?X-Amz-Signature=0123secret", &o, &ev, NULL,
      &error);
  g_assert_null (ws);
  g_assert_nonnull (error);
  g_assert_cmpuint (mt_websocket_connect_error_status (error), ==, 403);
  g_assert_nonnull (strstr (error->message, "403"));
  g_assert_null (strstr (error->message, "0123secret"));
  events_clear (&ev);
}

static void
test_dropped (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MtWebSocket) ws = NULL;

  events_init (&ev);
  ws = connect_path ("/drop", &o, &ev, NULL, &error);
  g_assert_no_error (error);
  send_text (ws, "bye?");
  wait_closed (&ev, 5);
  g_assert_cmpuint (ev.closed, ==, 1);
  g_assert_nonnull (ev.error);
  g_assert_false (mt_websocket_wait_sent (ws, 0, NULL, &error));
  g_assert_nonnull (error);
  events_clear (&ev);
}

/* A peer that reads nothing for 2 s: sending waits instead of queueing
 * without end, and everything arrives once it reads again. */
static void
test_back_pressure (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MtWebSocket) ws = NULL;
  g_autoptr (GBytes) chunk = pattern (64 * 1024, 1);
  g_autoptr (GBytes) count = NULL;
  const gsize bound = 256 * 1024;
  const guint n = 160;          /* 10 MiB */
  gsize max_seen = 0;
  gint64 t0, waited;

  events_init (&ev);
  ws = connect_path ("/slow", &o, &ev, NULL, &error);
  g_assert_no_error (error);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++) {
    g_assert_true (mt_websocket_send (ws, TRUE, chunk, &error));
    max_seen = MAX (max_seen, mt_websocket_get_pending (ws));
    g_assert_true (mt_websocket_wait_sent (ws, bound, NULL, &error));
    g_assert_no_error (error);
  }
  waited = g_get_monotonic_time () - t0;
  g_assert_cmpuint (max_seen, <=, bound + g_bytes_get_size (chunk));
  /* The socket buffers are far smaller than 10 MiB: we had to wait. */
  g_assert_cmpint (waited, >, G_TIME_SPAN_SECOND);
  count = wait_message (&ev, 1);
  g_assert_nonnull (count);
  {
    g_autofree gchar *s = g_strndup (g_bytes_get_data (count, NULL),
        g_bytes_get_size (count));
    g_assert_cmpuint (g_ascii_strtoull (s, NULL, 10), ==,
        (guint64) n * g_bytes_get_size (chunk));
  }
  events_clear (&ev);
}

static void
test_bad_url (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;

  events_init (&ev);
  g_assert_null (mt_websocket_connect ("https://example.invalid/", &o,
          on_message, on_closed, &ev, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  events_clear (&ev);
}

/* A self-signed certificate: refused by default, accepted when the user
 * turns verification off. */
static void
test_tls_verify (void)
{
  Events ev;
  MtWebSocketOptions o = default_options ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *url = NULL;
  MtWebSocket *ws;
  g_autoptr (GBytes) b = NULL;

  if (tls_port == NULL) {
    g_test_skip ("openssl could not make a certificate");
    return;
  }
  url = g_strconcat (tls_port, "/echo", NULL);
  events_init (&ev);
  ws = mt_websocket_connect (url, &o, on_message, on_closed, &ev, NULL, &error);
  g_assert_null (ws);
  g_assert_nonnull (error);
  g_clear_error (&error);

  o.tls_verify = FALSE;
  ws = mt_websocket_connect (url, &o, on_message, on_closed, &ev, NULL, &error);
  g_assert_no_error (error);
  send_text (ws, "over tls");
  b = wait_message (&ev, 1);
  assert_text (b, "over tls");
  mt_websocket_close (ws, 1000, NULL);
  mt_websocket_free (ws);
  events_clear (&ev);
}

/* Starts ws_server.py (without the sanitizer runtime, which python3 does
 * not need) and returns the base URL it prints its port for. The server
 * exits when our end of its stdin closes, so it never outlives the test. */
static GSubprocess *
start_server (const gchar * scheme, const gchar * const *extra, gchar ** url)
{
  g_autoptr (GSubprocessLauncher) l =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GDataInputStream) in = NULL;
  g_autofree gchar *line = NULL;
  GSubprocess *p;

  g_subprocess_launcher_unsetenv (l, "LD_PRELOAD");
  g_ptr_array_add (argv, (gpointer) WS_PYTHON);
  g_ptr_array_add (argv, (gpointer) WS_SERVER);
  g_ptr_array_add (argv, (gpointer) "0");
  for (guint i = 0; extra && extra[i]; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);
  p = g_subprocess_launcher_spawnv (l, (const gchar * const *) argv->pdata,
      NULL);
  g_assert_nonnull (p);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (p));
  line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
  if (line == NULL) {
    g_subprocess_force_exit (p);
    g_object_unref (p);
    return NULL;
  }
  *url = g_strdup_printf ("%s://127.0.0.1:%s", scheme, g_strstrip (line));
  return p;
}

static gchar *
make_certificate (const gchar * dir)
{
  g_autofree gchar *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree gchar *key = g_build_filename (dir, "key.pem", NULL);
  const gchar *argv[] = { "openssl", "req", "-x509", "-newkey", "ec",
    "-pkeyopt", "ec_paramgen_curve:prime256v1",
    "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", key,
    "-out", cert, NULL
  };
  gint status = -1;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
          NULL, NULL, NULL, &status, NULL) || status != 0)
    return NULL;
  return g_strdup (dir);
}

int
main (int argc, char **argv)
{
  g_autoptr (GSubprocess) server = NULL;
  g_autoptr (GSubprocess) tls_server = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("mt-ws-XXXXXX", NULL);
  g_autofree gchar *certdir = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  server = start_server ("ws", NULL, &server_port);
  g_assert_nonnull (server);
  certdir = dir ? make_certificate (dir) : NULL;
  if (certdir != NULL) {
    const gchar *extra[] = { "--tls", certdir, NULL };
    tls_server = start_server ("wss", extra, &tls_port);
  }

  g_test_add_func ("/websocket/echo", test_echo_text_binary_large);
  g_test_add_func ("/websocket/fragmented", test_fragmented);
  g_test_add_func ("/websocket/server-close-code", test_server_close_code);
  g_test_add_func ("/websocket/ping-pong", test_ping_pong);
  g_test_add_func ("/websocket/idle-timeout", test_idle_timeout);
  g_test_add_func ("/websocket/idle-rearmed", test_idle_rearmed_by_messages);
  g_test_add_func ("/websocket/connect-timeout", test_connect_timeout);
  g_test_add_func ("/websocket/cancel-during-connect",
      test_cancel_during_connect);
  g_test_add_func ("/websocket/cancel-when-open", test_cancel_when_open);
  g_test_add_func ("/websocket/refused", test_refused);
  g_test_add_func ("/websocket/dropped", test_dropped);
  g_test_add_func ("/websocket/back-pressure", test_back_pressure);
  g_test_add_func ("/websocket/bad-url", test_bad_url);
  g_test_add_func ("/websocket/tls-verify", test_tls_verify);
  ret = g_test_run ();

  g_subprocess_force_exit (server);
  if (tls_server != NULL)
    g_subprocess_force_exit (tls_server);
  if (certdir != NULL) {
    g_autofree gchar *c = g_build_filename (certdir, "cert.pem", NULL);
    g_autofree gchar *k = g_build_filename (certdir, "key.pem", NULL);
    g_unlink (c);
    g_unlink (k);
  }
  if (dir != NULL)
    g_rmdir (dir);
  g_free (server_port);
  g_free (tls_port);
  return ret;
}
