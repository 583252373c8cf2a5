/* HTTP on libcurl: requests as they go on the wire, one client per element
 * (connection reuse), timeouts, cancellation from another thread, TLS
 * verification on by default, proxies from the environment as curl does.
 *
 * This layer knows nothing of AWS: signing, retries and error decoding sit
 * above it in sigv4.h and awsclient.h. */
#pragma once

#include <glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  gchar *name;
  gchar *value;
} MtHeader;

/* A request as it will be sent. `url` is absolute, its path and query
 * percent-encoded exactly as they go on the wire (SigV4 signs them so). */
typedef struct {
  gchar *method;
  gchar *url;
  GArray *headers;              /* of MtHeader; owns its strings */
  GBytes *body;                 /* NULL: empty body */
  /* Whole-request timeout for this request: 0 uses the client's
   * request_timeout_ms; MT_HTTP_NO_TIMEOUT turns it off (a long download
   * streamed under back-pressure). */
  guint timeout_ms;
} MtHttpRequest;

#define MT_HTTP_NO_TIMEOUT G_MAXUINT

typedef struct {
  guint status;
  GArray *headers;              /* of MtHeader, names as received */
  GBytes *body;                 /* NULL when streamed to a MtHttpDataFunc */
} MtHttpResponse;

typedef struct {
  guint connect_timeout_ms;     /* 0: curl's default */
  guint request_timeout_ms;     /* whole request; 0: none */
  gboolean tls_verify;          /* TRUE unless the user turned it off */
  const gchar *ca_file;         /* NULL: system store */
} MtHttpOptions;

typedef struct _MtHttpClient MtHttpClient;

/* Called from the transfer as body bytes arrive (after the status line and
 * headers are known: `response` has status and headers filled in).
 * Return FALSE to abort the transfer (it then fails with G_IO_ERROR_CANCELLED). */
typedef gboolean (*MtHttpDataFunc) (const MtHttpResponse * response,
    const guint8 * data, gsize len, gpointer user_data);

MtHttpRequest *mt_http_request_new (const gchar * method, const gchar * url);
void mt_http_request_free (MtHttpRequest * req);
/* A deep copy; the body GBytes is shared (a reference, no copy). */
MtHttpRequest *mt_http_request_copy (const MtHttpRequest * req);
/* Replaces any header of the same name (case-insensitive). */
void mt_http_request_set_header (MtHttpRequest * req, const gchar * name,
    const gchar * value);
const gchar *mt_http_request_get_header (const MtHttpRequest * req,
    const gchar * name);
void mt_http_request_remove_header (MtHttpRequest * req, const gchar * name);
void mt_http_request_set_body (MtHttpRequest * req, GBytes * body);

void mt_http_response_free (MtHttpResponse * resp);
const gchar *mt_http_response_get_header (const MtHttpResponse * resp,
    const gchar * name);

MtHttpClient *mt_http_client_new (const MtHttpOptions * options);
void mt_http_client_free (MtHttpClient * client);

/* Sends one request (no retries at this layer). Thread-safe: several
 * threads may send on one client at once. On a transport failure returns
 * FALSE with a G_IO_ERROR (TIMED_OUT, CONNECTION_REFUSED, HOST_NOT_FOUND,
 * CANCELLED, BROKEN_PIPE/CONNECTION_CLOSED for a connection cut mid-way,
 * or FAILED) naming the URL's host and what curl said. Any HTTP status is a
 * success at this layer: the caller reads response->status.
 * Cancelling `cancellable` from another thread ends the transfer promptly
 * (well under a second), whatever the server does. */
gboolean mt_http_client_send (MtHttpClient * client, MtHttpRequest * req,
    MtHttpDataFunc on_data, gpointer user_data,
    MtHttpResponse ** response, GCancellable * cancellable, GError ** error);

/* Percent-encoding as AWS wants it (RFC 3986 unreserved kept). With
 * keep_slash, '/' is left as is (S3 object keys in paths). */
gchar *mt_uri_encode (const gchar * s, gboolean keep_slash);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtHttpRequest, mt_http_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtHttpResponse, mt_http_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtHttpClient, mt_http_client_free)

G_END_DECLS
