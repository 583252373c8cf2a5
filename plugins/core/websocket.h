/* A WebSocket client (RFC 6455) on libsoup 3, for duplex streaming
 * services (Transcribe streaming): connect to a ws:// or wss:// URL (a
 * SigV4-presigned one, say), send binary or text messages, receive them
 * through a callback, close cleanly.
 *
 * Threading:
 * - Each MtWebSocket runs its own thread with its own GMainContext; the
 *   handshake, every read and every write happen there, so a caller (a
 *   GStreamer streaming thread) never blocks on the network except where
 *   it asks to wait: mt_websocket_connect() until the handshake is done,
 *   mt_websocket_wait_sent() for back-pressure, mt_websocket_close().
 * - The callbacks run on that thread, one at a time, never after
 *   mt_websocket_close() or mt_websocket_free() has returned. They must
 *   not call mt_websocket_close()/free() themselves (they may call
 *   mt_websocket_send()).
 * - mt_websocket_send() and the waits may be called from any thread; the
 *   caller serialises them if message order across threads matters.
 *
 * Cancellation: the GCancellable given to mt_websocket_connect() cancels
 * the handshake, and later the whole connection (aborted without a close
 * handshake, reported as G_IO_ERROR_CANCELLED); the one given to a wait
 * ends that wait only. Every wait returns promptly once cancelled.
 *
 * Errors: the end of the connection is reported exactly once, through
 * `on_closed`: error NULL for a close handshake (either side), with the
 * peer's close code and reason; otherwise a G_IO_ERROR: TIMED_OUT (the
 * idle timeout: nothing received for idle_timeout_ms), CANCELLED,
 * CONNECTION_CLOSED (the connection dropped without a close frame), or
 * libsoup's error (a protocol violation, a message over the size limit,
 * TLS). mt_websocket_connect() fails with a G_IO_ERROR too: TIMED_OUT,
 * CANCELLED, or the handshake's failure, whose message names the URL's
 * host (never its query, which may hold a signature) and, when the server
 * answered HTTP instead of upgrading, its status and the start of its body
 * (a service's error message), also available from
 * mt_websocket_connect_error_status().
 *
 * TLS is verified against the system store (or ca_file) unless tls_verify
 * is FALSE. Proxies come from the environment as curl reads them
 * (http_proxy for ws://, https_proxy for wss://, all_proxy, no_proxy), so
 * a WebSocket goes the way the HTTP requests go. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _MtWebSocket MtWebSocket;

typedef struct {
  guint connect_timeout_ms;     /* handshake; 0: 30 s */
  /* The connection fails with G_IO_ERROR_TIMED_OUT when nothing has been
   * received for this long; 0: no idle timeout. */
  guint idle_timeout_ms;
  /* Bounded wait of mt_websocket_close() for the peer's close frame;
   * 0: 5 s. */
  guint close_timeout_ms;
  /* Largest message accepted (bigger: the connection fails); 0: 16 MiB. */
  guint64 max_message_size;
  gboolean tls_verify;          /* callers set TRUE unless the user opted out */
  const gchar *ca_file;         /* NULL: the system store */
  /* Extra request headers for the handshake, NULL-terminated name, value
   * pairs; may be NULL. */
  const gchar *const *headers;
} MtWebSocketOptions;

/* A whole message (libsoup reassembles fragments). */
typedef void (*MtWebSocketMessageFunc) (MtWebSocket * ws, gboolean binary,
    GBytes * message, gpointer user_data);
/* The connection ended (see "Errors" above). `code` is the peer's close
 * code (1000 normal, ...) or 0 when none came; `reason` may be NULL. */
typedef void (*MtWebSocketClosedFunc) (MtWebSocket * ws, const GError * error,
    gushort code, const gchar * reason, gpointer user_data);

/* Connects and returns once the handshake is done (or failed, returning
 * NULL). Callbacks may start before it returns. `user_data` must outlive
 * the MtWebSocket. */
MtWebSocket *mt_websocket_connect (const gchar * url,
    const MtWebSocketOptions * options, MtWebSocketMessageFunc on_message,
    MtWebSocketClosedFunc on_closed, gpointer user_data,
    GCancellable * cancellable, GError ** error);

/* The HTTP status the server answered a failed handshake with (401, 403,
 * 400 ...), 0 when it never answered. For a connect error only: pass the
 * error mt_websocket_connect() returned. */
guint mt_websocket_connect_error_status (const GError * error);

/* Queues a message for sending, without waiting. FALSE (G_IO_ERROR_CLOSED)
 * once the connection has ended or a close has begun. */
gboolean mt_websocket_send (MtWebSocket * ws, gboolean binary,
    GBytes * message, GError ** error);

/* Back-pressure: waits until at most `max_pending` bytes are queued and
 * not yet written to the socket. FALSE when the connection ended first
 * (with its error, or G_IO_ERROR_CLOSED after a clean close) or when
 * cancelled. */
gboolean mt_websocket_wait_sent (MtWebSocket * ws, gsize max_pending,
    GCancellable * cancellable, GError ** error);

/* Waits until the connection has ended (the peer closed it, or an error),
 * or `timeout_ms` (0: without end), or cancellation. TRUE when it ended
 * cleanly (a close handshake); FALSE with its error otherwise,
 * G_IO_ERROR_TIMED_OUT when it is still open. */
gboolean mt_websocket_wait_closed (MtWebSocket * ws, guint timeout_ms,
    GCancellable * cancellable, GError ** error);

/* Bytes queued and not yet written to the socket. */
gsize mt_websocket_get_pending (MtWebSocket * ws);

/* Sends a close frame with `code` (1000: normal) and waits, at most
 * close_timeout_ms, for the peer's; then the connection is dropped
 * whatever happened. No callback runs after it returns. */
void mt_websocket_close (MtWebSocket * ws, gushort code,
    const gchar * reason);

/* Aborts the connection if it is still open (no callback runs after it
 * returns), stops the thread and frees everything. */
void mt_websocket_free (MtWebSocket * ws);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtWebSocket, mt_websocket_free)

G_END_DECLS
