/* A WebSocket client on libsoup 3: see websocket.h.
 *
 * Each connection owns a thread running its own GMainContext, where the
 * SoupSession lives (libsoup objects belong to the context they were made
 * in). Callers hand messages over through a queue under `lock`; the thread
 * gives them to libsoup only while the socket takes data, so the bytes
 * waiting for a slow peer stay in our queue, counted, where
 * mt_websocket_wait_sent() can bound them. Every state a waiter tests is
 * changed under `lock` and followed by a broadcast. */
#include "websocket.h"
#include "core.h"

#include <libsoup/soup.h>
#include <string.h>

#define GST_CAT_DEFAULT mt_core_debug

#define DEFAULT_CONNECT_TIMEOUT_MS 30000
#define DEFAULT_CLOSE_TIMEOUT_MS 5000
#define DEFAULT_MAX_MESSAGE (16 * 1024 * 1024)

/* Handshake refusals: the code is the HTTP status. */
#define HANDSHAKE_ERROR (handshake_error_quark ())

static GQuark
handshake_error_quark (void)
{
  return g_quark_from_static_string ("mt-websocket-handshake-error");
}

typedef enum
{
  WS_CONNECTING,
  WS_OPEN,
  WS_CLOSING,                   /* a close frame was asked for */
  WS_ENDED,
} WsState;

typedef struct
{
  gboolean binary;
  GBytes *data;
} WsFrame;

struct _MtWebSocket
{
  /* Set before the thread starts, read-only afterwards. */
  gchar *url;                   /* http(s):// form of the ws(s):// URL */
  gchar *host;                  /* for messages: never the query */
  guint connect_timeout_ms;
  guint idle_timeout_ms;
  guint close_timeout_ms;
  guint64 max_message_size;
  gboolean tls_verify;
  gchar *ca_file;
  gchar **headers;
  MtWebSocketMessageFunc on_message;
  MtWebSocketClosedFunc on_closed;
  gpointer user_data;

  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  /* Cancelled by the caller's cancellable, the connect timeout or free(). */
  GCancellable *cancellable;
  GCancellable *user_cancellable;
  gulong user_cancel_id;

  /* The connection thread's own. */
  SoupSession *session;
  SoupMessage *msg;
  SoupWebsocketConnection *conn;
  GSource *idle_source;
  GSource *timeout_source;      /* connect or close timeout */
  GSource *cancel_source;
  GSource *write_source;        /* waits for the socket to take data */
  GError *soup_error;           /* libsoup's "error", reported at "closed" */
  gboolean timed_out;

  GMutex lock;
  GCond cond;
  WsState state;
  GError *connect_error;        /* the handshake's failure */
  GQueue outgoing;              /* of WsFrame */
  gsize pending;                /* bytes in outgoing */
  gboolean flush_scheduled;
  gboolean close_requested;
  gushort close_code;           /* ours, for the close frame */
  gchar *close_reason;
  GError *end_error;            /* NULL: closed cleanly */
  gushort end_code;
  /* Ended and reported: waiters return only then, so on_closed has run
   * when a wait says the connection ended. */
  gboolean finished;
  gboolean callbacks_off;
};

static void
frame_free (gpointer data)
{
  WsFrame *f = data;

  g_bytes_unref (f->data);
  g_free (f);
}

/* --- ending, once --- */

static void
destroy_source (GSource ** source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_source_unref (*source);
  *source = NULL;
}

/* Drops the transport at once, without a close handshake. */
static void
drop_connection (MtWebSocket * ws)
{
  if (ws->conn == NULL)
    return;
  g_signal_handlers_disconnect_by_data (ws->conn, ws);
  if (soup_websocket_connection_get_state (ws->conn) !=
      SOUP_WEBSOCKET_STATE_CLOSED)
    g_io_stream_close (soup_websocket_connection_get_io_stream (ws->conn),
        NULL, NULL);
  g_clear_object (&ws->conn);
}

/* Connection thread: records the end, reports it through on_closed (once),
 * wakes every waiter. Takes `error` (may be NULL: a clean close). */
static void
end_connection (MtWebSocket * ws, GError * error, gushort code,
    const gchar * reason)
{
  gboolean report;

  g_mutex_lock (&ws->lock);
  if (ws->state == WS_ENDED) {
    g_mutex_unlock (&ws->lock);
    g_clear_error (&error);
    return;
  }
  ws->state = WS_ENDED;
  ws->end_error = error;
  ws->end_code = code;
  g_queue_clear_full (&ws->outgoing, frame_free);
  ws->pending = 0;
  report = !ws->callbacks_off && ws->on_closed != NULL;
  g_mutex_unlock (&ws->lock);

  destroy_source (&ws->idle_source);
  destroy_source (&ws->timeout_source);
  destroy_source (&ws->write_source);
  destroy_source (&ws->cancel_source);
  drop_connection (ws);
  GST_DEBUG ("websocket to %s ended: %s (code %u)", ws->host,
      error ? error->message : "closed", code);
  if (report)
    ws->on_closed (ws, error, code, reason, ws->user_data);
  g_mutex_lock (&ws->lock);
  ws->finished = TRUE;
  g_cond_broadcast (&ws->cond);
  g_mutex_unlock (&ws->lock);
}

static void
end_with (MtWebSocket * ws, GQuark domain, gint code, const gchar * message)
{
  end_connection (ws, g_error_new (domain, code, "WebSocket to %s: %s",
          ws->host, message), 0, NULL);
}

/* --- writing, paced by the socket --- */

static gboolean flush_outgoing (gpointer data);

static GPollableOutputStream *
pollable_output (MtWebSocket * ws)
{
  GOutputStream *out;

  out = g_io_stream_get_output_stream (soup_websocket_connection_get_io_stream
      (ws->conn));
  if (!G_IS_POLLABLE_OUTPUT_STREAM (out)
      || !g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (out)))
    return NULL;
  return G_POLLABLE_OUTPUT_STREAM (out);
}

static gboolean
on_writable (GObject * stream, gpointer data)
{
  MtWebSocket *ws = data;

  g_clear_pointer (&ws->write_source, g_source_unref);
  flush_outgoing (ws);
  return G_SOURCE_REMOVE;
}

/* Waits for the socket to take data again: libsoup keeps what it could not
 * write, and we would rather keep it here, counted. */
static void
wait_writable (MtWebSocket * ws, GPollableOutputStream * out)
{
  if (ws->write_source != NULL)
    return;
  ws->write_source = g_pollable_output_stream_create_source (out, NULL);
  g_source_set_callback (ws->write_source, G_SOURCE_FUNC (on_writable), ws,
      NULL);
  g_source_attach (ws->write_source, ws->context);
}

static void start_close (MtWebSocket * ws);

static gboolean
flush_outgoing (gpointer data)
{
  MtWebSocket *ws = data;
  GPollableOutputStream *out;
  WsFrame *f;

  if (ws->conn == NULL)
    return G_SOURCE_REMOVE;
  out = pollable_output (ws);
  for (;;) {
    if (out != NULL && !g_pollable_output_stream_is_writable (out)) {
      wait_writable (ws, out);
      return G_SOURCE_REMOVE;
    }
    g_mutex_lock (&ws->lock);
    ws->flush_scheduled = FALSE;
    f = g_queue_pop_head (&ws->outgoing);
    if (f != NULL)
      ws->pending -= g_bytes_get_size (f->data);
    g_cond_broadcast (&ws->cond);
    g_mutex_unlock (&ws->lock);
    if (f == NULL)
      break;
    if (soup_websocket_connection_get_state (ws->conn) ==
        SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_send_message (ws->conn,
          f->binary ? SOUP_WEBSOCKET_DATA_BINARY : SOUP_WEBSOCKET_DATA_TEXT,
          f->data);
    frame_free (f);
  }
  start_close (ws);
  return G_SOURCE_REMOVE;
}

/* --- closing --- */

static gboolean
on_close_timeout (gpointer data)
{
  MtWebSocket *ws = data;

  g_clear_pointer (&ws->timeout_source, g_source_unref);
  end_with (ws, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
      "no close frame came back in time");
  return G_SOURCE_REMOVE;
}

/* Sends our close frame once everything queued before it is out. */
static void
start_close (MtWebSocket * ws)
{
  gushort code;
  g_autofree gchar *reason = NULL;

  g_mutex_lock (&ws->lock);
  if (!ws->close_requested || !g_queue_is_empty (&ws->outgoing)
      || ws->conn == NULL) {
    g_mutex_unlock (&ws->lock);
    return;
  }
  ws->close_requested = FALSE;
  code = ws->close_code;
  reason = g_steal_pointer (&ws->close_reason);
  g_mutex_unlock (&ws->lock);

  if (soup_websocket_connection_get_state (ws->conn) ==
      SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (ws->conn, code, reason);
  destroy_source (&ws->timeout_source);
  ws->timeout_source = g_timeout_source_new (ws->close_timeout_ms);
  g_source_set_callback (ws->timeout_source, on_close_timeout, ws, NULL);
  g_source_attach (ws->timeout_source, ws->context);
}

static gboolean
invoke_flush (gpointer data)
{
  MtWebSocket *ws = data;

  if (ws->conn != NULL && ws->write_source == NULL)
    flush_outgoing (ws);
  return G_SOURCE_REMOVE;
}

/* --- receiving --- */

static void
arm_idle (MtWebSocket * ws)
{
  if (ws->idle_source != NULL)
    g_source_set_ready_time (ws->idle_source,
        g_get_monotonic_time () + (gint64) ws->idle_timeout_ms * 1000);
}

static gboolean
on_idle_timeout (gpointer data)
{
  MtWebSocket *ws = data;
  g_autofree gchar *what = g_strdup_printf ("nothing received for %u ms",
      ws->idle_timeout_ms);

  end_with (ws, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, what);
  return G_SOURCE_REMOVE;
}

static void
on_soup_message (SoupWebsocketConnection * conn, gint type, GBytes * message,
    gpointer data)
{
  MtWebSocket *ws = data;
  gboolean report;

  arm_idle (ws);
  g_mutex_lock (&ws->lock);
  report = !ws->callbacks_off && ws->on_message != NULL;
  g_mutex_unlock (&ws->lock);
  if (report)
    ws->on_message (ws, type == SOUP_WEBSOCKET_DATA_BINARY, message,
        ws->user_data);
}

static void
on_soup_error (SoupWebsocketConnection * conn, GError * error, gpointer data)
{
  MtWebSocket *ws = data;

  if (ws->soup_error == NULL)
    ws->soup_error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
        "WebSocket to %s: %s", ws->host, error->message);
}

static void
on_soup_closed (SoupWebsocketConnection * conn, gpointer data)
{
  MtWebSocket *ws = data;
  gushort code = soup_websocket_connection_get_close_code (conn);
  g_autofree gchar *reason =
      g_strdup (soup_websocket_connection_get_close_data (conn));
  GError *error = g_steal_pointer (&ws->soup_error);

  /* 1005: a close frame without a code; 1006: none at all. */
  if (error == NULL && (code == 0 || code == SOUP_WEBSOCKET_CLOSE_ABNORMAL))
    error = g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
        "WebSocket to %s: the connection dropped without a close frame",
        ws->host);
  end_connection (ws, error, code == SOUP_WEBSOCKET_CLOSE_ABNORMAL ? 0 : code,
      reason);
}

static gboolean
on_cancelled (GCancellable * cancellable, gpointer data)
{
  MtWebSocket *ws = data;

  g_clear_pointer (&ws->cancel_source, g_source_unref);
  end_with (ws, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  return G_SOURCE_REMOVE;
}

static void
watch_open_connection (MtWebSocket * ws)
{
  soup_websocket_connection_set_max_incoming_payload_size (ws->conn,
      ws->max_message_size);
  g_signal_connect (ws->conn, "message", G_CALLBACK (on_soup_message), ws);
  g_signal_connect (ws->conn, "error", G_CALLBACK (on_soup_error), ws);
  g_signal_connect (ws->conn, "closed", G_CALLBACK (on_soup_closed), ws);

  ws->cancel_source = g_cancellable_source_new (ws->cancellable);
  g_source_set_callback (ws->cancel_source, G_SOURCE_FUNC (on_cancelled), ws,
      NULL);
  g_source_attach (ws->cancel_source, ws->context);
  if (ws->idle_timeout_ms > 0) {
    /* Re-armed by each message (arm_idle) rather than made anew. */
    ws->idle_source = g_timeout_source_new (ws->idle_timeout_ms);
    g_source_set_callback (ws->idle_source, on_idle_timeout, ws, NULL);
    g_source_attach (ws->idle_source, ws->context);
    arm_idle (ws);
  }
}

/* --- connecting --- */

static GError *
handshake_error (MtWebSocket * ws, const GError * error)
{
  guint status = soup_message_get_status (ws->msg);

  if (ws->timed_out)
    return g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "WebSocket to %s: no connection within %u ms", ws->host,
        ws->connect_timeout_ms);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
        "WebSocket to %s: cancelled", ws->host);
  if (status >= 100 && status != SOUP_STATUS_SWITCHING_PROTOCOLS)
    return g_error_new (HANDSHAKE_ERROR, status,
        "WebSocket to %s refused: HTTP %u %s", ws->host, status,
        soup_message_get_reason_phrase (ws->msg) ?
        soup_message_get_reason_phrase (ws->msg) : "");
  return g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
      "WebSocket to %s: %s", ws->host, error->message);
}

static void
on_connected (GObject * source, GAsyncResult * res, gpointer data)
{
  MtWebSocket *ws = data;
  g_autoptr (GError) error = NULL;

  ws->conn = soup_session_websocket_connect_finish (ws->session, res, &error);
  destroy_source (&ws->timeout_source);
  g_mutex_lock (&ws->lock);
  if (ws->conn == NULL) {
    ws->connect_error = handshake_error (ws, error);
    ws->state = WS_ENDED;
    ws->finished = TRUE;
  } else {
    ws->state = WS_OPEN;
  }
  g_cond_broadcast (&ws->cond);
  g_mutex_unlock (&ws->lock);
  if (ws->conn != NULL)
    watch_open_connection (ws);
}

static gboolean
on_connect_timeout (gpointer data)
{
  MtWebSocket *ws = data;

  g_clear_pointer (&ws->timeout_source, g_source_unref);
  ws->timed_out = TRUE;
  g_cancellable_cancel (ws->cancellable);
  return G_SOURCE_REMOVE;
}

static gboolean
accept_any_certificate (SoupMessage * msg, GTlsCertificate * cert,
    GTlsCertificateFlags errors, gpointer data)
{
  return TRUE;
}

static const gchar *
env_var (const gchar * lower, const gchar * upper)
{
  const gchar *v = g_getenv (lower);

  if ((v == NULL || *v == '\0') && upper != NULL)
    v = g_getenv (upper);
  return v != NULL && *v != '\0' ? v : NULL;
}

/* Proxies from the environment, read as curl reads them (so the WebSocket
 * goes where the HTTP requests go), instead of GIO's default resolver,
 * which may load libproxy. NULL: no proxy. */
static GProxyResolver *
environment_proxy_resolver (void)
{
  const gchar *http = env_var ("http_proxy", NULL);
  const gchar *https = env_var ("https_proxy", "HTTPS_PROXY");
  const gchar *all = env_var ("all_proxy", "ALL_PROXY");
  const gchar *no = env_var ("no_proxy", "NO_PROXY");
  g_auto (GStrv) ignore = NULL;
  GProxyResolver *r;

  if (http == NULL && https == NULL && all == NULL)
    return NULL;
  ignore = no ? g_strsplit (no, ",", -1) : NULL;
  for (guint i = 0; ignore && ignore[i]; i++)
    g_strstrip (ignore[i]);
  r = g_simple_proxy_resolver_new (all, ignore);
  if (http != NULL)
    g_simple_proxy_resolver_set_uri_proxy (G_SIMPLE_PROXY_RESOLVER (r),
        "http", http);
  if (https != NULL)
    g_simple_proxy_resolver_set_uri_proxy (G_SIMPLE_PROXY_RESOLVER (r),
        "https", https);
  return r;
}

static gboolean
setup_session (MtWebSocket * ws, GError ** error)
{
  g_autoptr (GProxyResolver) proxy = environment_proxy_resolver ();

  ws->session = soup_session_new_with_options ("proxy-resolver", proxy, NULL);
  if (ws->ca_file != NULL) {
    g_autoptr (GTlsDatabase) db = g_tls_file_database_new (ws->ca_file, error);
    if (db == NULL)
      return FALSE;
    soup_session_set_tls_database (ws->session, db);
  }
  ws->msg = soup_message_new ("GET", ws->url);
  if (ws->msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "not a WebSocket URL (host %s)", ws->host);
    return FALSE;
  }
  for (guint i = 0; ws->headers && ws->headers[i] && ws->headers[i + 1]; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (ws->msg),
        ws->headers[i], ws->headers[i + 1]);
  if (!ws->tls_verify)
    g_signal_connect (ws->msg, "accept-certificate",
        G_CALLBACK (accept_any_certificate), NULL);
  return TRUE;
}

static void
start_connect (MtWebSocket * ws)
{
  g_autoptr (GError) error = NULL;

  if (!setup_session (ws, &error)) {
    g_mutex_lock (&ws->lock);
    ws->connect_error = g_steal_pointer (&error);
    ws->state = WS_ENDED;
    ws->finished = TRUE;
    g_cond_broadcast (&ws->cond);
    g_mutex_unlock (&ws->lock);
    return;
  }
  ws->timeout_source = g_timeout_source_new (ws->connect_timeout_ms);
  g_source_set_callback (ws->timeout_source, on_connect_timeout, ws, NULL);
  g_source_attach (ws->timeout_source, ws->context);
  soup_session_websocket_connect_async (ws->session, ws->msg, NULL, NULL,
      G_PRIORITY_DEFAULT, ws->cancellable, on_connected, ws);
}

static gpointer
connection_thread (gpointer data)
{
  MtWebSocket *ws = data;

  g_main_context_push_thread_default (ws->context);
  start_connect (ws);
  g_main_loop_run (ws->loop);

  /* Stopped while open: wake any waiter (callbacks are off by now). */
  end_with (ws, G_IO_ERROR, G_IO_ERROR_CLOSED, "closed by its owner");
  destroy_source (&ws->idle_source);
  destroy_source (&ws->timeout_source);
  destroy_source (&ws->write_source);
  destroy_source (&ws->cancel_source);
  drop_connection (ws);
  if (ws->session != NULL)
    soup_session_abort (ws->session);
  g_clear_object (&ws->msg);
  g_clear_object (&ws->session);
  /* libsoup finishes its own teardown in idle callbacks. */
  while (g_main_context_iteration (ws->context, FALSE));
  g_main_context_pop_thread_default (ws->context);
  return NULL;
}

static void
on_user_cancelled (GCancellable * cancellable, gpointer data)
{
  MtWebSocket *ws = data;

  g_cancellable_cancel (ws->cancellable);
}

/* http(s):// for ws(s):// (what SoupMessage takes), and the host for
 * messages. */
static gboolean
parse_url (MtWebSocket * ws, const gchar * url, GError ** error)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  const gchar *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  const gchar *rest;

  if (scheme == NULL || g_uri_get_host (uri) == NULL
      || (g_ascii_strcasecmp (scheme, "ws") != 0
          && g_ascii_strcasecmp (scheme, "wss") != 0)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "not a ws:// or wss:// URL");
    return FALSE;
  }
  rest = strchr (url, ':');
  ws->url = g_strconcat (g_ascii_strcasecmp (scheme, "wss") == 0 ?
      "https" : "http", rest, NULL);
  ws->host = g_uri_get_port (uri) > 0 ?
      g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri)) :
      g_strdup (g_uri_get_host (uri));
  return TRUE;
}

static MtWebSocket *
websocket_new (const MtWebSocketOptions * o, MtWebSocketMessageFunc on_message,
    MtWebSocketClosedFunc on_closed, gpointer user_data)
{
  MtWebSocket *ws = g_new0 (MtWebSocket, 1);

  ws->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms :
      DEFAULT_CONNECT_TIMEOUT_MS;
  ws->idle_timeout_ms = o->idle_timeout_ms;
  ws->close_timeout_ms = o->close_timeout_ms ? o->close_timeout_ms :
      DEFAULT_CLOSE_TIMEOUT_MS;
  ws->max_message_size = o->max_message_size ? o->max_message_size :
      DEFAULT_MAX_MESSAGE;
  ws->tls_verify = o->tls_verify;
  ws->ca_file = g_strdup (o->ca_file);
  ws->headers = g_strdupv ((gchar **) o->headers);
  ws->on_message = on_message;
  ws->on_closed = on_closed;
  ws->user_data = user_data;
  ws->context = g_main_context_new ();
  ws->loop = g_main_loop_new (ws->context, FALSE);
  ws->cancellable = g_cancellable_new ();
  g_mutex_init (&ws->lock);
  g_cond_init (&ws->cond);
  g_queue_init (&ws->outgoing);
  ws->state = WS_CONNECTING;
  return ws;
}

MtWebSocket *
mt_websocket_connect (const gchar * url, const MtWebSocketOptions * options,
    MtWebSocketMessageFunc on_message, MtWebSocketClosedFunc on_closed,
    gpointer user_data, GCancellable * cancellable, GError ** error)
{
  MtWebSocket *ws = websocket_new (options, on_message, on_closed, user_data);

  if (!parse_url (ws, url, error)) {
    mt_websocket_free (ws);
    return NULL;
  }
  if (cancellable != NULL) {
    ws->user_cancellable = g_object_ref (cancellable);
    ws->user_cancel_id = g_cancellable_connect (cancellable,
        G_CALLBACK (on_user_cancelled), ws, NULL);
  }
  ws->thread = g_thread_new ("mt-websocket", connection_thread, ws);

  g_mutex_lock (&ws->lock);
  while (ws->state == WS_CONNECTING)
    g_cond_wait (&ws->cond, &ws->lock);
  if (ws->connect_error != NULL) {
    g_propagate_error (error, g_steal_pointer (&ws->connect_error));
    g_mutex_unlock (&ws->lock);
    mt_websocket_free (ws);
    return NULL;
  }
  g_mutex_unlock (&ws->lock);
  GST_DEBUG ("websocket to %s open", ws->host);
  return ws;
}

guint
mt_websocket_connect_error_status (const GError * error)
{
  return error != NULL && error->domain == HANDSHAKE_ERROR ? error->code : 0;
}

/* Under lock: the error a caller gets once the connection is no use. */
static GError *
ended_error (MtWebSocket * ws)
{
  if (ws->end_error != NULL)
    return g_error_copy (ws->end_error);
  return g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED,
      "WebSocket to %s is closed (code %u)", ws->host, ws->end_code);
}

gboolean
mt_websocket_send (MtWebSocket * ws, gboolean binary, GBytes * message,
    GError ** error)
{
  WsFrame *f;

  g_mutex_lock (&ws->lock);
  if (ws->state != WS_OPEN || ws->close_requested) {
    g_propagate_error (error, ended_error (ws));
    g_mutex_unlock (&ws->lock);
    return FALSE;
  }
  f = g_new (WsFrame, 1);
  f->binary = binary;
  f->data = g_bytes_ref (message);
  g_queue_push_tail (&ws->outgoing, f);
  ws->pending += g_bytes_get_size (message);
  if (!ws->flush_scheduled) {
    ws->flush_scheduled = TRUE;
    g_main_context_invoke (ws->context, invoke_flush, ws);
  }
  g_mutex_unlock (&ws->lock);
  return TRUE;
}

gsize
mt_websocket_get_pending (MtWebSocket * ws)
{
  gsize n;

  g_mutex_lock (&ws->lock);
  n = ws->pending;
  g_mutex_unlock (&ws->lock);
  return n;
}

static void
wake_waiters (GCancellable * cancellable, gpointer data)
{
  MtWebSocket *ws = data;

  g_mutex_lock (&ws->lock);
  g_cond_broadcast (&ws->cond);
  g_mutex_unlock (&ws->lock);
}

typedef gboolean (*WsDoneFunc) (MtWebSocket * ws, gsize arg);

/* Waits under `lock` for done(ws, arg), the end of the connection, the
 * deadline (monotonic µs, 0: none) or cancellation. Returns with the lock
 * held. */
static void
wait_locked (MtWebSocket * ws, WsDoneFunc done, gsize arg, gint64 deadline,
    GCancellable * cancellable)
{
  while (!done (ws, arg) && !ws->finished
      && !g_cancellable_is_cancelled (cancellable)) {
    if (deadline == 0)
      g_cond_wait (&ws->cond, &ws->lock);
    else if (!g_cond_wait_until (&ws->cond, &ws->lock, deadline))
      break;
  }
}

static gboolean
is_drained (MtWebSocket * ws, gsize max_pending)
{
  return ws->pending <= max_pending;
}

static gboolean
never (MtWebSocket * ws, gsize arg)
{
  return FALSE;
}

static gboolean
wait_with_cancellable (MtWebSocket * ws, WsDoneFunc done, gsize arg,
    guint timeout_ms, GCancellable * cancellable, GError ** error)
{
  gulong id = 0;
  gboolean ok;
  gint64 deadline = timeout_ms ? g_get_monotonic_time () +
      (gint64) timeout_ms * 1000 : 0;

  if (cancellable != NULL)
    id = g_cancellable_connect (cancellable, G_CALLBACK (wake_waiters), ws,
        NULL);
  g_mutex_lock (&ws->lock);
  wait_locked (ws, done, arg, deadline, cancellable);
  ok = done (ws, arg);
  if (!ok && !g_cancellable_set_error_if_cancelled (cancellable, error)) {
    if (ws->finished) {
      /* Waiting for the end (never): a clean close is what was awaited. */
      ok = ws->end_error == NULL && done == never;
      if (!ok)
        g_propagate_error (error, ended_error (ws));
    } else {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "WebSocket to %s still open after %u ms", ws->host, timeout_ms);
    }
  }
  g_mutex_unlock (&ws->lock);
  if (id != 0)
    g_cancellable_disconnect (cancellable, id);
  return ok;
}

gboolean
mt_websocket_wait_sent (MtWebSocket * ws, gsize max_pending,
    GCancellable * cancellable, GError ** error)
{
  gboolean ok;

  ok = wait_with_cancellable (ws, is_drained, max_pending, 0, cancellable,
      error);
  /* Sent, but the connection ended since: say so. */
  if (ok) {
    g_mutex_lock (&ws->lock);
    if (ws->state == WS_ENDED) {
      g_propagate_error (error, ended_error (ws));
      ok = FALSE;
    }
    g_mutex_unlock (&ws->lock);
  }
  return ok;
}

gboolean
mt_websocket_wait_closed (MtWebSocket * ws, guint timeout_ms,
    GCancellable * cancellable, GError ** error)
{
  return wait_with_cancellable (ws, never, 0, timeout_ms, cancellable, error);
}

static gboolean
quit_loop (gpointer data)
{
  MtWebSocket *ws = data;

  g_main_loop_quit (ws->loop);
  return G_SOURCE_REMOVE;
}

/* No callback after this returns: the thread is gone. */
static void
stop_thread (MtWebSocket * ws)
{
  if (ws->thread == NULL)
    return;
  g_mutex_lock (&ws->lock);
  ws->callbacks_off = TRUE;
  g_mutex_unlock (&ws->lock);
  g_main_context_invoke (ws->context, quit_loop, ws);
  g_thread_join (ws->thread);
  ws->thread = NULL;
}

void
mt_websocket_close (MtWebSocket * ws, gushort code, const gchar * reason)
{
  gboolean open;

  g_mutex_lock (&ws->lock);
  open = ws->state == WS_OPEN;
  if (open) {
    ws->state = WS_CLOSING;
    ws->close_requested = TRUE;
    ws->close_code = code;
    g_free (ws->close_reason);
    ws->close_reason = g_strdup (reason);
  }
  g_mutex_unlock (&ws->lock);
  if (open) {
    g_main_context_invoke (ws->context, invoke_flush, ws);
    /* The close timer starts once the queue is out: allow for both. */
    mt_websocket_wait_closed (ws, 2 * ws->close_timeout_ms, NULL, NULL);
  }
  stop_thread (ws);
}

void
mt_websocket_free (MtWebSocket * ws)
{
  if (ws == NULL)
    return;
  if (ws->user_cancellable != NULL) {
    g_cancellable_disconnect (ws->user_cancellable, ws->user_cancel_id);
    g_clear_object (&ws->user_cancellable);
  }
  g_cancellable_cancel (ws->cancellable);
  stop_thread (ws);
  g_queue_clear_full (&ws->outgoing, frame_free);
  g_clear_error (&ws->connect_error);
  g_clear_error (&ws->end_error);
  g_clear_error (&ws->soup_error);
  g_clear_object (&ws->cancellable);
  g_main_loop_unref (ws->loop);
  g_main_context_unref (ws->context);
  g_mutex_clear (&ws->lock);
  g_cond_clear (&ws->cond);
  g_strfreev (ws->headers);
  g_free (ws->ca_file);
  g_free (ws->close_reason);
  g_free (ws->url);
  g_free (ws->host);
  g_free (ws);
}
