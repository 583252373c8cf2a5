/* Tests of the libcurl HTTP layer (http.h) against an in-process loopback
 * server on 127.0.0.1: requests as they reach the wire, byte-exact bodies,
 * streaming, connection reuse, cancellation from another thread, timeouts
 * and the transport errors a caller sees. */
#include <gst/gst.h>
#include <string.h>

#include "core.h"
#include "http.h"

/* --- a small HTTP/1.1 server, one thread per connection --- */

typedef enum
{
  SERVE_NORMAL,                 /* answer each request with `reply` */
  SERVE_SILENT,                 /* read the request, never answer */
  SERVE_TRUNCATE,               /* promise 100 bytes, send 10, close */
} ServeMode;

typedef struct
{
  GSocketListener *listener;
  guint16 port;
  ServeMode mode;
  gchar *reply;                 /* a whole response, for SERVE_NORMAL */
  GMutex lock;
  GPtrArray *requests;          /* of GBytes: raw requests as received */
  gint connections;             /* atomic */
  GThread *accept_thread;
  GCancellable *stop;
  gint refs;                    /* atomic: the test and each connection */
} TestServer;

static void test_server_unref (TestServer * srv);

static gboolean
read_exact (GInputStream * in, guint8 * buf, gsize len)
{
  gsize got = 0;

  return g_input_stream_read_all (in, buf, len, &got, NULL, NULL)
      && got == len;
}

/* Reads one request (head and Content-Length body); NULL at end of stream. */
static GBytes *
read_request (GInputStream * in)
{
  g_autoptr (GByteArray) raw = g_byte_array_new ();
  g_autofree gchar *head = NULL;
  const gchar *cl;
  guint8 c;
  gsize body_len = 0;

  while (raw->len < 4 || memcmp (raw->data + raw->len - 4, "\r\n\r\n", 4)) {
    if (!read_exact (in, &c, 1))
      return NULL;
    g_byte_array_append (raw, &c, 1);
  }
  head = g_ascii_strdown ((const gchar *) raw->data, raw->len);
  cl = strstr (head, "\r\ncontent-length:");
  if (cl)
    body_len = g_ascii_strtoull (cl + strlen ("\r\ncontent-length:"), NULL, 10);
  if (body_len) {
    gsize off = raw->len;

    g_byte_array_set_size (raw, off + body_len);
    if (!read_exact (in, raw->data + off, body_len))
      return NULL;
  }
  return g_byte_array_free_to_bytes (g_steal_pointer (&raw));
}

static gpointer
serve_connection (gpointer data)
{
  gpointer *args = data;
  TestServer *srv = args[0];
  g_autoptr (GSocketConnection) conn = args[1];
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  GBytes *req;

  g_free (args);
  while ((req = read_request (in))) {
    g_mutex_lock (&srv->lock);
    g_ptr_array_add (srv->requests, req);
    g_mutex_unlock (&srv->lock);

    if (srv->mode == SERVE_SILENT) {
      /* Hold the connection open until the client gives up. */
      guint8 c;
      read_exact (in, &c, 1);
      break;
    }
    if (srv->mode == SERVE_TRUNCATE) {
      const gchar *part = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
          "0123456789";
      g_output_stream_write_all (out, part, strlen (part), NULL, NULL, NULL);
      break;
    }
    if (!g_output_stream_write_all (out, srv->reply, strlen (srv->reply), NULL,
            NULL, NULL))
      break;
  }
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  test_server_unref (srv);
  return NULL;
}

static gpointer
accept_loop (gpointer data)
{
  TestServer *srv = data;

  for (;;) {
    GSocketConnection *conn = g_socket_listener_accept (srv->listener, NULL,
        srv->stop, NULL);
    gpointer *args;

    if (conn == NULL)
      return NULL;
    g_atomic_int_inc (&srv->connections);
    g_atomic_int_inc (&srv->refs);
    args = g_new (gpointer, 2);
    args[0] = srv;
    args[1] = conn;
    g_thread_unref (g_thread_new ("test-conn", serve_connection, args));
  }
}

static TestServer *
test_server_new (ServeMode mode, const gchar * reply)
{
  TestServer *srv = g_new0 (TestServer, 1);
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) err = NULL;

  srv->listener = g_socket_listener_new ();
  g_socket_listener_add_address (srv->listener, addr, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL, &bound, &err);
  g_assert_no_error (err);
  srv->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  srv->mode = mode;
  srv->reply = g_strdup (reply);
  srv->requests = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  srv->stop = g_cancellable_new ();
  g_mutex_init (&srv->lock);
  srv->refs = 1;
  srv->accept_thread = g_thread_new ("test-accept", accept_loop, srv);
  return srv;
}

static void
test_server_unref (TestServer * srv)
{
  if (!g_atomic_int_dec_and_test (&srv->refs))
    return;
  g_object_unref (srv->listener);
  g_object_unref (srv->stop);
  g_ptr_array_unref (srv->requests);
  g_mutex_clear (&srv->lock);
  g_free (srv->reply);
  g_free (srv);
}

/* Stops accepting; connections still open end when their client closes. */
static void
test_server_free (TestServer * srv)
{
  g_cancellable_cancel (srv->stop);
  g_thread_join (srv->accept_thread);
  g_socket_listener_close (srv->listener);
  test_server_unref (srv);
}

static gchar *
test_server_url (TestServer * srv, const gchar * path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", srv->port, path);
}

/* The n-th request the server received, as a string. */
static gchar *
test_server_request (TestServer * srv, guint n)
{
  gchar *s = NULL;

  g_mutex_lock (&srv->lock);
  if (n < srv->requests->len) {
    gsize len;
    const gchar *d = g_bytes_get_data (srv->requests->pdata[n], &len);
    s = g_strndup (d, len);
  }
  g_mutex_unlock (&srv->lock);
  return s;
}

static guint
test_server_n_requests (TestServer * srv)
{
  guint n;

  g_mutex_lock (&srv->lock);
  n = srv->requests->len;
  g_mutex_unlock (&srv->lock);
  return n;
}

static const gchar *hello_reply =
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Amz-Request-Id: abc\r\n"
    "X-Folded: one\r\n two\r\n\r\nhello";

static MtHttpClient *
new_client (guint request_timeout_ms)
{
  MtHttpOptions opts = { 0, };

  opts.connect_timeout_ms = 2000;
  opts.request_timeout_ms = request_timeout_ms;
  opts.tls_verify = TRUE;
  return mt_http_client_new (&opts);
}

/* --- tests --- */

static void
test_uri_encode (void)
{
  g_autofree gchar *a = mt_uri_encode ("a b/c+d~e_f.g-h", FALSE);
  g_autofree gchar *b = mt_uri_encode ("dir/sub dir/é.jpg", TRUE);
  g_autofree gchar *c = mt_uri_encode ("", TRUE);
  g_autofree gchar *d = mt_uri_encode ("*=&%", FALSE);

  g_assert_cmpstr (a, ==, "a%20b%2Fc%2Bd~e_f.g-h");
  g_assert_cmpstr (b, ==, "dir/sub%20dir/%C3%A9.jpg");
  g_assert_cmpstr (c, ==, "");
  g_assert_cmpstr (d, ==, "%2A%3D%26%25");
}

static void
test_request_headers (void)
{
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", "http://x/");

  mt_http_request_set_header (req, "Content-Type", "a");
  mt_http_request_set_header (req, "X-Other", "1");
  mt_http_request_set_header (req, "content-type", "b");
  g_assert_cmpuint (req->headers->len, ==, 2);
  g_assert_cmpstr (mt_http_request_get_header (req, "CONTENT-TYPE"), ==, "b");
  /* Replacing keeps the first position. */
  g_assert_cmpstr (g_array_index (req->headers, MtHeader, 0).value, ==, "b");
  mt_http_request_remove_header (req, "Content-type");
  g_assert_null (mt_http_request_get_header (req, "Content-Type"));
  g_assert_cmpstr (mt_http_request_get_header (req, "x-other"), ==, "1");
}

static void
test_get (void)
{
  TestServer *srv = test_server_new (SERVE_NORMAL, hello_reply);
  g_autoptr (MtHttpClient) client = new_client (5000);
  g_autofree gchar *url = test_server_url (srv, "/a%20b/c?x=1&y=%2F");
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", url);
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *seen = NULL;

  mt_http_request_set_header (req, "X-Amz-Date", "20240101T000000Z");
  mt_http_request_set_header (req, "X-Empty", "");
  mt_http_request_set_header (req, "X-Amz-Meta-Note", "a\r\nX-Injected: 1");
  g_assert_true (mt_http_client_send (client, req, NULL, NULL, &resp, NULL,
          &err));
  g_assert_no_error (err);
  g_assert_cmpuint (resp->status, ==, 200);
  g_assert_cmpstr (mt_http_response_get_header (resp, "x-amz-request-id"), ==,
      "abc");
  g_assert_cmpstr (mt_http_response_get_header (resp, "X-Folded"), ==,
      "one two");
  g_assert_cmpmem (g_bytes_get_data (resp->body, NULL),
      g_bytes_get_size (resp->body), "hello", 5);

  seen = test_server_request (srv, 0);
  /* The path and query go on the wire exactly as given (SigV4 signs them). */
  g_assert_true (g_str_has_prefix (seen,
          "GET /a%20b/c?x=1&y=%2F HTTP/1.1\r\n"));
  g_assert_nonnull (strstr (seen, "\r\nX-Amz-Date: 20240101T000000Z\r\n"));
  g_assert_nonnull (strstr (seen, "\r\nX-Empty:"));
  /* A line break cannot smuggle in a header. */
  g_assert_nonnull (strstr (seen, "\r\nX-Amz-Meta-Note: a  X-Injected: 1\r\n"));
  g_assert_null (strstr (seen, "\r\nX-Injected"));
  g_assert_null (strstr (seen, "Accept:"));
  g_assert_nonnull (strstr (seen, "\r\nUser-Agent: mediatag/"));
  g_assert_null (strstr (seen, "Content-Type:"));
  test_server_free (srv);
}

static void
test_redirect_not_followed (void)
{
  TestServer *srv = test_server_new (SERVE_NORMAL,
      "HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:1/x\r\n"
      "x-amz-bucket-region: eu-west-1\r\nContent-Length: 0\r\n\r\n");
  g_autoptr (MtHttpClient) client = new_client (5000);
  g_autofree gchar *url = test_server_url (srv, "/bucket");
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("HEAD", url);
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autoptr (GError) err = NULL;

  /* S3 answers a wrong region with 301: the caller reads the region, and
   * a signed request must not be replayed to another host. */
  g_assert_true (mt_http_client_send (client, req, NULL, NULL, &resp, NULL,
          &err));
  g_assert_no_error (err);
  g_assert_cmpuint (resp->status, ==, 301);
  g_assert_cmpstr (mt_http_response_get_header (resp, "X-Amz-Bucket-Region"),
      ==, "eu-west-1");
  g_assert_cmpuint (test_server_n_requests (srv), ==, 1);
  test_server_free (srv);
}

static void
test_methods_and_bodies (void)
{
  TestServer *srv = test_server_new (SERVE_NORMAL,
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  g_autoptr (MtHttpClient) client = new_client (5000);
  g_autofree gchar *url = test_server_url (srv, "/k");
  guint8 payload[70000];
  g_autoptr (GBytes) body = NULL;
  const gchar *methods[] = { "PUT", "POST", "PUT", "DELETE", "HEAD" };

  for (guint i = 0; i < sizeof (payload); i++)
    payload[i] = (guint8) (i * 7 + (i >> 8));
  body = g_bytes_new (payload, sizeof (payload));

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++) {
    g_autoptr (MtHttpRequest) req = mt_http_request_new (methods[i], url);
    g_autoptr (MtHttpResponse) resp = NULL;
    g_autoptr (GError) err = NULL;

    if (i < 2)
      mt_http_request_set_body (req, body);
    else if (i == 2)
      mt_http_request_set_body (req, g_bytes_new_static ("", 0));
    g_assert_true (mt_http_client_send (client, req, NULL, NULL, &resp, NULL,
            &err));
    g_assert_no_error (err);
    g_assert_cmpuint (resp->status, ==, 200);
  }

  g_assert_cmpuint (test_server_n_requests (srv), ==, 5);
  for (guint i = 0; i < 2; i++) {
    g_autofree gchar *seen = test_server_request (srv, i);
    const gchar *end = strstr (seen, "\r\n\r\n") + 4;
    gsize len;
    g_autoptr (GBytes) raw = NULL;

    g_assert_true (g_str_has_prefix (seen, methods[i]));
    /* No 100-continue round trip, no form content type added by curl. */
    g_assert_null (strstr (seen, "Expect:"));
    g_assert_null (strstr (seen, "Content-Type:"));
    g_mutex_lock (&srv->lock);
    raw = g_bytes_ref (srv->requests->pdata[i]);
    g_mutex_unlock (&srv->lock);
    len = g_bytes_get_size (raw) - (end - seen);
    g_assert_cmpmem ((const guint8 *) g_bytes_get_data (raw, NULL) +
        (end - seen), len, payload, sizeof (payload));
  }
  {
    g_autofree gchar *put0 = test_server_request (srv, 2);
    g_autofree gchar *del = test_server_request (srv, 3);
    g_autofree gchar *head = test_server_request (srv, 4);

    g_assert_nonnull (strstr (put0, "Content-Length: 0\r\n"));
    g_assert_true (g_str_has_prefix (del, "DELETE /k HTTP/1.1"));
    g_assert_true (g_str_has_prefix (head, "HEAD /k HTTP/1.1"));
  }
  /* All five went over one kept-alive connection. */
  g_assert_cmpint (g_atomic_int_get (&srv->connections), ==, 1);
  test_server_free (srv);
}

typedef struct
{
  GByteArray *got;
  guint status_seen;
  guint calls;
  guint abort_after;
} StreamState;

static gboolean
collect_data (const MtHttpResponse * resp, const guint8 * data, gsize len,
    gpointer user_data)
{
  StreamState *s = user_data;

  s->status_seen = resp->status;
  s->calls++;
  g_byte_array_append (s->got, data, len);
  return s->abort_after == 0 || s->calls < s->abort_after;
}

static gchar *
big_reply (gsize n, gchar ** body_out)
{
  gchar *body = g_malloc (n + 1);

  for (gsize i = 0; i < n; i++)
    body[i] = 'a' + i % 26;
  body[n] = '\0';
  *body_out = body;
  return g_strdup_printf ("HTTP/1.1 206 Partial Content\r\n"
      "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s", n, body);
}

static void
test_streaming (void)
{
  g_autofree gchar *body = NULL;
  g_autofree gchar *reply = big_reply (300000, &body);
  TestServer *srv = test_server_new (SERVE_NORMAL, reply);
  g_autoptr (MtHttpClient) client = new_client (5000);
  g_autofree gchar *url = test_server_url (srv, "/big");
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", url);
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autoptr (GError) err = NULL;
  StreamState s = { g_byte_array_new (), 0, 0, 0 };

  g_assert_true (mt_http_client_send (client, req, collect_data, &s, &resp,
          NULL, &err));
  g_assert_no_error (err);
  g_assert_cmpuint (resp->status, ==, 206);
  g_assert_null (resp->body);
  g_assert_cmpuint (s.status_seen, ==, 206);
  g_assert_cmpmem (s.got->data, s.got->len, body, 300000);

  /* A data func that says stop ends the transfer as cancelled. */
  g_byte_array_set_size (s.got, 0);
  s.calls = 0;
  s.abort_after = 1;
  g_clear_pointer (&resp, mt_http_response_free);
  g_assert_false (mt_http_client_send (client, req, collect_data, &s, &resp,
          NULL, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (resp);
  g_assert_cmpuint (s.calls, ==, 1);

  g_byte_array_unref (s.got);
  test_server_free (srv);
}

typedef struct
{
  GCancellable *cancellable;
  gint64 cancelled_at;
} CancelLater;

static gboolean
cancel_now (gpointer data)
{
  CancelLater *c = data;

  c->cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (c->cancellable);
  return G_SOURCE_REMOVE;
}

static gpointer
cancel_thread (gpointer data)
{
  CancelLater *c = data;

  g_usleep (300 * 1000);
  cancel_now (c);
  return NULL;
}

static void
test_cancel_silent_server (void)
{
  TestServer *srv = test_server_new (SERVE_SILENT, NULL);
  g_autoptr (MtHttpClient) client = new_client (60000);
  g_autofree gchar *url =
      test_server_url (srv, "/never?X-Amz-Signature=s3cr3t");
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", url);
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autoptr (GError) err = NULL;
  CancelLater c = { g_cancellable_new (), 0 };
  GThread *th = g_thread_new ("canceller", cancel_thread, &c);
  gint64 returned_at;

  g_assert_false (mt_http_client_send (client, req, NULL, NULL, &resp,
          c.cancellable, &err));
  returned_at = g_get_monotonic_time ();
  g_thread_join (th);
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (c.cancelled_at, >, 0);
  g_assert_cmpint (returned_at - c.cancelled_at, <, 200 * 1000);
  g_assert_null (strstr (err->message, "s3cr3t"));
  /* The request really had reached the server: curl was waiting on it. */
  g_assert_cmpuint (test_server_n_requests (srv), ==, 1);

  /* Already cancelled: fails at once without sending. */
  g_clear_error (&err);
  g_assert_false (mt_http_client_send (client, req, NULL, NULL, &resp,
          c.cancellable, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (test_server_n_requests (srv), ==, 1);

  g_object_unref (c.cancellable);
  test_server_free (srv);
}

static void
test_request_timeout (void)
{
  TestServer *srv = test_server_new (SERVE_SILENT, NULL);
  g_autoptr (MtHttpClient) client = new_client (400);
  g_autofree gchar *url = test_server_url (srv, "/slow");
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", url);
  g_autoptr (GError) err = NULL;
  g_autofree gchar *host = g_strdup_printf ("127.0.0.1:%u", srv->port);
  gint64 start = g_get_monotonic_time ();
  gint64 took;

  g_assert_false (mt_http_client_send (client, req, NULL, NULL, NULL, NULL,
          &err));
  took = g_get_monotonic_time () - start;
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (err->message, host));
  g_assert_nonnull (strstr (err->message, "timed out"));
  /* Not before the timeout; well before the 60 s a hung request could take. */
  g_assert_cmpint (took, >=, 390 * 1000);
  g_assert_cmpint (took, <, 10 * G_USEC_PER_SEC);
  test_server_free (srv);
}

/* A listener whose accept queue is full: the kernel drops further SYNs, so
 * a connect hangs as it would towards a host that is down. */
typedef struct
{
  GSocket *listener;
  GSocket *filler;
  guint16 port;
} FullQueue;

static void
full_queue_init (FullQueue * q)
{
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) err = NULL;

  q->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &err);
  g_assert_no_error (err);
  g_socket_set_listen_backlog (q->listener, 0);
  g_assert_true (g_socket_bind (q->listener, addr, TRUE, &err));
  g_assert_true (g_socket_listen (q->listener, &err));
  bound = g_socket_get_local_address (q->listener, &err);
  q->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  /* This one takes the only place in the queue. */
  q->filler = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &err);
  g_assert_true (g_socket_connect (q->filler, bound, NULL, &err));
  g_assert_no_error (err);
}

static void
full_queue_clear (FullQueue * q)
{
  g_socket_close (q->filler, NULL);
  g_socket_close (q->listener, NULL);
  g_object_unref (q->filler);
  g_object_unref (q->listener);
}

static void
test_connect_hangs (void)
{
  FullQueue q;
  MtHttpOptions opts = { 0, };
  g_autoptr (MtHttpClient) quick = NULL;
  g_autoptr (MtHttpClient) patient = NULL;
  g_autofree gchar *url = NULL;
  g_autoptr (MtHttpRequest) req = NULL;
  g_autoptr (GError) err = NULL;
  CancelLater c = { g_cancellable_new (), 0 };
  GThread *th;
  gint64 start, returned_at;

  full_queue_init (&q);
  url = g_strdup_printf ("http://127.0.0.1:%u/k", q.port);
  req = mt_http_request_new ("GET", url);

  /* The connect timeout ends it... */
  opts.connect_timeout_ms = 500;
  opts.tls_verify = TRUE;
  quick = mt_http_client_new (&opts);
  start = g_get_monotonic_time ();
  g_assert_false (mt_http_client_send (quick, req, NULL, NULL, NULL, NULL,
          &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 490 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  g_clear_error (&err);

  /* ...and so does a cancel from another thread, at once. */
  opts.connect_timeout_ms = 60000;
  patient = mt_http_client_new (&opts);
  th = g_thread_new ("canceller", cancel_thread, &c);
  g_assert_false (mt_http_client_send (patient, req, NULL, NULL, NULL,
          c.cancellable, &err));
  returned_at = g_get_monotonic_time ();
  g_thread_join (th);
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (returned_at - c.cancelled_at, <, 200 * 1000);

  g_object_unref (c.cancellable);
  full_queue_clear (&q);
}

static void
test_connection_refused (void)
{
  /* A port that was free a moment ago and has nothing listening. */
  TestServer *srv = test_server_new (SERVE_NORMAL, hello_reply);
  guint16 port = srv->port;
  g_autoptr (MtHttpClient) client = new_client (5000);
  g_autofree gchar *url = NULL;
  g_autoptr (MtHttpRequest) req = NULL;
  g_autoptr (GError) err = NULL;

  test_server_free (srv);
  url = g_strdup_printf ("http://127.0.0.1:%u/b/k?X-Amz-Signature=abcdef",
      port);
  req = mt_http_request_new ("GET", url);
  g_assert_false (mt_http_client_send (client, req, NULL, NULL, NULL, NULL,
          &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_nonnull (strstr (err->message, "127.0.0.1"));
  g_assert_null (strstr (err->message, "abcdef"));
  g_assert_null (strstr (err->message, "/b/k"));
}

static void
test_truncated_response (void)
{
  TestServer *srv = test_server_new (SERVE_TRUNCATE, NULL);
  g_autoptr (MtHttpClient) client = new_client (5000);
  g_autofree gchar *url = test_server_url (srv, "/cut");
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", url);
  g_autoptr (GError) err = NULL;

  g_assert_false (mt_http_client_send (client, req, NULL, NULL, NULL, NULL,
          &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  test_server_free (srv);
}

typedef struct
{
  MtHttpClient *client;
  const gchar *url;
  gint ok;
} ThreadJob;

static gpointer
send_many (gpointer data)
{
  ThreadJob *job = data;

  for (guint i = 0; i < 20; i++) {
    g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", job->url);
    g_autoptr (MtHttpResponse) resp = NULL;

    if (mt_http_client_send (job->client, req, NULL, NULL, &resp, NULL, NULL)
        && resp->status == 200 && g_bytes_get_size (resp->body) == 5)
      g_atomic_int_inc (&job->ok);
  }
  return NULL;
}

static void
test_threads_share_connections (void)
{
  TestServer *srv = test_server_new (SERVE_NORMAL, hello_reply);
  g_autoptr (MtHttpClient) client = new_client (5000);
  g_autofree gchar *url = test_server_url (srv, "/t");
  ThreadJob job = { client, url, 0 };
  GThread *threads[4];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("sender", send_many, &job);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  g_assert_cmpint (job.ok, ==, 80);
  g_assert_cmpuint (test_server_n_requests (srv), ==, 80);
  /* Connections are reused: at most one per concurrent sender. */
  g_assert_cmpint (g_atomic_int_get (&srv->connections), <=, 4);
  test_server_free (srv);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  mt_core_init ();

  g_test_add_func ("/http/uri-encode", test_uri_encode);
  g_test_add_func ("/http/request-headers", test_request_headers);
  g_test_add_func ("/http/get", test_get);
  g_test_add_func ("/http/redirect-not-followed", test_redirect_not_followed);
  g_test_add_func ("/http/methods-and-bodies", test_methods_and_bodies);
  g_test_add_func ("/http/streaming", test_streaming);
  g_test_add_func ("/http/cancel-silent-server", test_cancel_silent_server);
  g_test_add_func ("/http/request-timeout", test_request_timeout);
  g_test_add_func ("/http/connect-hangs", test_connect_hangs);
  g_test_add_func ("/http/connection-refused", test_connection_refused);
  g_test_add_func ("/http/truncated-response", test_truncated_response);
  g_test_add_func ("/http/threads-share-connections",
      test_threads_share_connections);
  return g_test_run ();
}
