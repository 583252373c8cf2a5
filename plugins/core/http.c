/* HTTP on libcurl for the AWS core: see http.h.
 *
 * Each request runs on the calling thread through its own curl multi
 * handle, so that curl_multi_poll() can be woken by curl_multi_wakeup()
 * when the request's GCancellable fires: a transfer that waits on a silent
 * server then ends at once instead of at its timeout. Idle (multi, easy)
 * pairs are pooled per client, and every easy handle of a client uses one
 * curl share for connections, DNS and TLS sessions, so connections are
 * reused across requests and threads. */
#include "http.h"
#include "core.h"

#include <curl/curl.h>
#include <string.h>

#define GST_CAT_DEFAULT mt_core_debug

/* How long one curl_multi_poll() may sleep before curl's own timers are
 * looked at again; curl shortens it itself when a timer is due sooner. */
#define POLL_INTERVAL_MS 1000

#define MAX_BODY_RESERVE (64 * 1024 * 1024)

struct _MtHttpClient
{
  guint connect_timeout_ms;
  guint request_timeout_ms;
  gboolean tls_verify;
  gchar *ca_file;

  CURLSH *share;
  GMutex share_locks[CURL_LOCK_DATA_LAST];

  GMutex pool_lock;
  GQueue pool;                  /* of MtHttpHandle, idle */
};

typedef struct
{
  CURLM *multi;
  CURL *easy;
} MtHttpHandle;

/* The state of one transfer, shared by curl's callbacks. */
typedef struct
{
  MtHttpResponse *response;
  GByteArray *body;             /* NULL when streaming to on_data */
  MtHttpDataFunc on_data;
  gpointer user_data;
  gboolean aborted_by_caller;   /* on_data returned FALSE */
  CURLM *multi;
  gint cancelled;               /* atomic: set from the cancelling thread */
} MtHttpTransfer;

/* --- headers --- */

static void
header_clear (gpointer data)
{
  MtHeader *h = data;

  g_free (h->name);
  g_free (h->value);
}

static GArray *
header_array_new (void)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (MtHeader));

  g_array_set_clear_func (a, header_clear);
  return a;
}

static gint
header_array_find (GArray * headers, const gchar * name)
{
  for (guint i = 0; headers && i < headers->len; i++) {
    if (g_ascii_strcasecmp (g_array_index (headers, MtHeader, i).name,
            name) == 0)
      return i;
  }
  return -1;
}

static void
header_array_append (GArray * headers, const gchar * name, const gchar * value)
{
  MtHeader h = { g_strdup (name), g_strdup (value) };

  g_array_append_val (headers, h);
}

/* --- requests and responses --- */

MtHttpRequest *
mt_http_request_new (const gchar * method, const gchar * url)
{
  MtHttpRequest *req = g_new0 (MtHttpRequest, 1);

  req->method = g_strdup (method);
  req->url = g_strdup (url);
  req->headers = header_array_new ();
  return req;
}

void
mt_http_request_free (MtHttpRequest * req)
{
  if (req == NULL)
    return;
  g_free (req->method);
  g_free (req->url);
  g_clear_pointer (&req->headers, g_array_unref);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_free (req);
}

MtHttpRequest *
mt_http_request_copy (const MtHttpRequest * req)
{
  MtHttpRequest *copy = mt_http_request_new (req->method, req->url);

  for (guint i = 0; i < req->headers->len; i++) {
    const MtHeader *h = &g_array_index (req->headers, MtHeader, i);
    header_array_append (copy->headers, h->name, h->value);
  }
  if (req->body)
    copy->body = g_bytes_ref (req->body);
  copy->timeout_ms = req->timeout_ms;
  return copy;
}

/* A line break in a header (user metadata, say) would end the header and
 * let the rest pass as another header or request: make it a space. */
static gchar *
header_value_sanitize (const gchar * value)
{
  return g_strdelimit (g_strdup (value), "\r\n", ' ');
}

void
mt_http_request_set_header (MtHttpRequest * req, const gchar * name,
    const gchar * value)
{
  gint i;

  g_return_if_fail (req != NULL && name != NULL && value != NULL);

  i = header_array_find (req->headers, name);
  if (i < 0) {
    MtHeader h = { g_strdup (name), header_value_sanitize (value) };
    g_array_append_val (req->headers, h);
    return;
  }
  /* Keep the position so a header's order stays as first set. */
  g_free (g_array_index (req->headers, MtHeader, i).value);
  g_array_index (req->headers, MtHeader, i).value =
      header_value_sanitize (value);
}


const gchar *
mt_http_request_get_header (const MtHttpRequest * req, const gchar * name)
{
  gint i = header_array_find (req->headers, name);

  return i < 0 ? NULL : g_array_index (req->headers, MtHeader, i).value;
}

void
mt_http_request_remove_header (MtHttpRequest * req, const gchar * name)
{
  gint i;

  while ((i = header_array_find (req->headers, name)) >= 0)
    g_array_remove_index (req->headers, i);
}

void
mt_http_request_set_body (MtHttpRequest * req, GBytes * body)
{
  g_clear_pointer (&req->body, g_bytes_unref);
  if (body)
    req->body = g_bytes_ref (body);
}

void
mt_http_response_free (MtHttpResponse * resp)
{
  if (resp == NULL)
    return;
  g_clear_pointer (&resp->headers, g_array_unref);
  g_clear_pointer (&resp->body, g_bytes_unref);
  g_free (resp);
}

const gchar *
mt_http_response_get_header (const MtHttpResponse * resp, const gchar * name)
{
  gint i = header_array_find (resp->headers, name);

  return i < 0 ? NULL : g_array_index (resp->headers, MtHeader, i).value;
}

/* --- percent-encoding --- */

gchar *
mt_uri_encode (const gchar * s, gboolean keep_slash)
{
  static const gchar hex[] = "0123456789ABCDEF";
  GString *out;

  g_return_val_if_fail (s != NULL, NULL);

  out = g_string_sized_new (strlen (s) + 8);
  for (const guchar * p = (const guchar *)s; *p; p++) {
    if (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.'
        || *p == '~' || (keep_slash && *p == '/')) {
      g_string_append_c (out, *p);
      continue;
    }
    g_string_append_c (out, '%');
    g_string_append_c (out, hex[*p >> 4]);
    g_string_append_c (out, hex[*p & 0xf]);
  }
  return g_string_free (out, FALSE);
}

/* --- the client --- */

static void
share_lock (CURL * handle, curl_lock_data data, curl_lock_access access,
    void *userptr)
{
  MtHttpClient *client = userptr;

  g_mutex_lock (&client->share_locks[data]);
}

static void
share_unlock (CURL * handle, curl_lock_data data, void *userptr)
{
  MtHttpClient *client = userptr;

  g_mutex_unlock (&client->share_locks[data]);
}

MtHttpClient *
mt_http_client_new (const MtHttpOptions * options)
{
  MtHttpClient *client = g_new0 (MtHttpClient, 1);

  mt_core_init ();

  client->tls_verify = TRUE;
  if (options) {
    client->connect_timeout_ms = options->connect_timeout_ms;
    client->request_timeout_ms = options->request_timeout_ms;
    client->tls_verify = options->tls_verify;
    client->ca_file = g_strdup (options->ca_file);
  }

  for (guint i = 0; i < CURL_LOCK_DATA_LAST; i++)
    g_mutex_init (&client->share_locks[i]);
  g_mutex_init (&client->pool_lock);
  g_queue_init (&client->pool);

  client->share = curl_share_init ();
  curl_share_setopt (client->share, CURLSHOPT_LOCKFUNC, share_lock);
  curl_share_setopt (client->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
  curl_share_setopt (client->share, CURLSHOPT_USERDATA, client);
  curl_share_setopt (client->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt (client->share, CURLSHOPT_SHARE,
      CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt (client->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);

  if (!client->tls_verify)
    GST_WARNING ("TLS certificate verification is off for this client");
  return client;
}

static void
handle_free (MtHttpHandle * h)
{
  curl_multi_cleanup (h->multi);
  curl_easy_cleanup (h->easy);
  g_free (h);
}

void
mt_http_client_free (MtHttpClient * client)
{
  MtHttpHandle *h;

  if (client == NULL)
    return;

  /* The share can only go once no easy handle uses it any more. */
  while ((h = g_queue_pop_head (&client->pool)))
    handle_free (h);
  curl_share_cleanup (client->share);

  for (guint i = 0; i < CURL_LOCK_DATA_LAST; i++)
    g_mutex_clear (&client->share_locks[i]);
  g_mutex_clear (&client->pool_lock);
  g_free (client->ca_file);
  g_free (client);
}

static MtHttpHandle *
client_take_handle (MtHttpClient * client)
{
  MtHttpHandle *h;

  g_mutex_lock (&client->pool_lock);
  h = g_queue_pop_head (&client->pool);
  g_mutex_unlock (&client->pool_lock);

  if (h) {
    /* Reset drops every option but keeps the handle's caches. */
    curl_easy_reset (h->easy);
    return h;
  }

  h = g_new0 (MtHttpHandle, 1);
  h->multi = curl_multi_init ();
  h->easy = curl_easy_init ();
  return h;
}

static void
client_return_handle (MtHttpClient * client, MtHttpHandle * h)
{
  g_mutex_lock (&client->pool_lock);
  g_queue_push_head (&client->pool, h);
  g_mutex_unlock (&client->pool_lock);
}

/* --- curl callbacks --- */

static void
transfer_on_status_line (MtHttpTransfer * t, const gchar * line)
{
  guint status = 0;

  /* "HTTP/1.1 200 OK", "HTTP/2 200": a new response begins (after a
   * 100 Continue or a proxy's CONNECT answer), so forget earlier headers. */
  const gchar *sp = strchr (line, ' ');
  if (sp)
    status = (guint) g_ascii_strtoull (sp + 1, NULL, 10);
  t->response->status = status;
  g_array_set_size (t->response->headers, 0);
}

/* Sizes the body buffer once from Content-Length instead of growing it by
 * doubling (copies of every large object). Bounded: the header is the
 * server's word, not a reason to allocate gigabytes up front. */
static void
transfer_reserve_body (MtHttpTransfer * t, guint64 content_length)
{
  guint len = t->body->len;
  guint64 want = MIN (content_length, MAX_BODY_RESERVE);

  if (want <= len)
    return;
  g_byte_array_set_size (t->body, (guint) want);
  g_byte_array_set_size (t->body, len);
}

static size_t
header_cb (char *buffer, size_t size, size_t nitems, void *userdata)
{
  MtHttpTransfer *t = userdata;
  gsize len = size * nitems;
  g_autofree gchar *line = g_strndup (buffer, len);
  gchar *colon;

  g_strchomp (line);
  if (g_str_has_prefix (line, "HTTP/")) {
    transfer_on_status_line (t, line);
    return len;
  }
  if (line[0] == '\0')
    return len;

  if ((line[0] == ' ' || line[0] == '\t') && t->response->headers->len > 0) {
    /* An obsolete folded continuation of the previous header. */
    MtHeader *last = &g_array_index (t->response->headers, MtHeader,
        t->response->headers->len - 1);
    gchar *joined = g_strconcat (last->value, " ", g_strstrip (line), NULL);
    g_free (last->value);
    last->value = joined;
    return len;
  }

  colon = strchr (line, ':');
  if (colon == NULL)
    return len;
  *colon = '\0';
  g_strstrip (line);
  g_strstrip (colon + 1);
  header_array_append (t->response->headers, line, colon + 1);
  if (t->body && g_ascii_strcasecmp (line, "Content-Length") == 0)
    transfer_reserve_body (t, g_ascii_strtoull (colon + 1, NULL, 10));
  return len;
}

static size_t
write_cb (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  MtHttpTransfer *t = userdata;
  gsize len = size * nmemb;

  if (g_atomic_int_get (&t->cancelled))
    return CURL_WRITEFUNC_ERROR;

  if (t->on_data == NULL) {
    g_byte_array_append (t->body, (const guint8 *) ptr, len);
    return len;
  }
  if (!t->on_data (t->response, (const guint8 *) ptr, len, t->user_data)) {
    t->aborted_by_caller = TRUE;
    return CURL_WRITEFUNC_ERROR;
  }
  return len;
}

static int
progress_cb (void *clientp, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
  MtHttpTransfer *t = clientp;

  /* Non-zero aborts a transfer that is busy sending or receiving. */
  return g_atomic_int_get (&t->cancelled);
}

static void
transfer_cancelled_cb (GCancellable * cancellable, MtHttpTransfer * t)
{
  /* Runs in the cancelling thread: wake the poll so the transfer thread
   * notices now. curl_multi_wakeup is the one multi call that is safe from
   * another thread. */
  g_atomic_int_set (&t->cancelled, 1);
  curl_multi_wakeup (t->multi);
}

/* --- sending --- */

static struct curl_slist *
build_header_list (const MtHttpRequest * req)
{
  struct curl_slist *list = NULL;

  for (guint i = 0; i < req->headers->len; i++) {
    const MtHeader *h = &g_array_index (req->headers, MtHeader, i);
    g_autofree gchar *line = NULL;

    /* "Name;" sends a header with an empty value; "Name:" would drop it. */
    if (h->value[0] == '\0')
      line = g_strdup_printf ("%s;", h->name);
    else
      line = g_strdup_printf ("%s: %s", h->name, h->value);
    list = curl_slist_append (list, line);
  }
  /* No 100-continue round trip: AWS answers at once, and the wait would
   * only add a second to every upload. */
  if (header_array_find (req->headers, "Expect") < 0)
    list = curl_slist_append (list, "Expect:");
  /* curl would add a form content type to bodies; S3 would store it. */
  if (header_array_find (req->headers, "Content-Type") < 0)
    list = curl_slist_append (list, "Content-Type:");
  if (header_array_find (req->headers, "Accept") < 0)
    list = curl_slist_append (list, "Accept:");
  return list;
}

static void
setup_method_and_body (CURL * easy, const MtHttpRequest * req)
{
  gsize size = 0;
  gconstpointer data = req->body ? g_bytes_get_data (req->body, &size) : NULL;
  gboolean has_body = req->body != NULL;

  if (g_ascii_strcasecmp (req->method, "HEAD") == 0) {
    curl_easy_setopt (easy, CURLOPT_NOBODY, 1L);
    return;
  }
  if (g_ascii_strcasecmp (req->method, "GET") == 0 && !has_body) {
    curl_easy_setopt (easy, CURLOPT_HTTPGET, 1L);
    return;
  }
  if (g_ascii_strcasecmp (req->method, "DELETE") == 0 && !has_body) {
    curl_easy_setopt (easy, CURLOPT_CUSTOMREQUEST, "DELETE");
    return;
  }

  /* POSTFIELDS points into the GBytes: the body is never copied. An empty
   * body still sends Content-Length: 0, which PUT and POST need. */
  curl_easy_setopt (easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) size);
  curl_easy_setopt (easy, CURLOPT_POSTFIELDS, data ? data : "");
  if (g_ascii_strcasecmp (req->method, "POST") != 0)
    curl_easy_setopt (easy, CURLOPT_CUSTOMREQUEST, req->method);
}

static void
setup_easy (MtHttpClient * client, CURL * easy, const MtHttpRequest * req,
    struct curl_slist *headers, MtHttpTransfer * t, gchar * errbuf)
{
  curl_easy_setopt (easy, CURLOPT_SHARE, client->share);
  curl_easy_setopt (easy, CURLOPT_URL, req->url);
  /* The URL is already encoded as it will be signed: send it untouched. */
  curl_easy_setopt (easy, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt (easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, errbuf);
  /* Services log the agent: it tells AWS support and proxy admins who
   * called. A request's own User-Agent header still wins. */
  curl_easy_setopt (easy, CURLOPT_USERAGENT, "mediatag/" VERSION);
  curl_easy_setopt (easy, CURLOPT_TCP_KEEPALIVE, 1L);
  /* Bigger reads than curl's 16 KiB: fewer wakeups per large S3 GET. */
  curl_easy_setopt (easy, CURLOPT_BUFFERSIZE, 128L * 1024);

  curl_easy_setopt (easy, CURLOPT_SSL_VERIFYPEER, client->tls_verify ? 1L : 0L);
  curl_easy_setopt (easy, CURLOPT_SSL_VERIFYHOST, client->tls_verify ? 2L : 0L);
  if (client->ca_file)
    curl_easy_setopt (easy, CURLOPT_CAINFO, client->ca_file);
  if (client->connect_timeout_ms)
    curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT_MS,
        (long) client->connect_timeout_ms);
  if (req->timeout_ms != MT_HTTP_NO_TIMEOUT) {
    guint timeout = req->timeout_ms ? req->timeout_ms :
        client->request_timeout_ms;
    if (timeout)
      curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, (long) timeout);
  }

  curl_easy_setopt (easy, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt (easy, CURLOPT_HEADERDATA, t);
  curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt (easy, CURLOPT_WRITEDATA, t);
  curl_easy_setopt (easy, CURLOPT_XFERINFOFUNCTION, progress_cb);
  curl_easy_setopt (easy, CURLOPT_XFERINFODATA, t);
  curl_easy_setopt (easy, CURLOPT_NOPROGRESS, 0L);

  setup_method_and_body (easy, req);
}

/* Drives the transfer until curl is done with it or it is cancelled. */
static CURLcode
run_transfer (CURLM * multi, MtHttpTransfer * t)
{
  for (;;) {
    int running = 0, queued = 0;
    CURLMsg *msg;
    CURLMcode mc = curl_multi_perform (multi, &running);

    if (mc != CURLM_OK)
      return CURLE_FAILED_INIT;
    while ((msg = curl_multi_info_read (multi, &queued))) {
      if (msg->msg == CURLMSG_DONE)
        return msg->data.result;
    }
    if (g_atomic_int_get (&t->cancelled))
      return CURLE_ABORTED_BY_CALLBACK;
    if (running == 0)
      return CURLE_FAILED_INIT;
    mc = curl_multi_poll (multi, NULL, 0, POLL_INTERVAL_MS, NULL);
    if (mc != CURLM_OK)
      return CURLE_FAILED_INIT;
  }
}

/* The host (and port) of a URL, for messages: never its path or query,
 * which for a presigned URL carries the signature. */
static gchar *
url_host_for_message (const gchar * url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  const gchar *host = uri ? g_uri_get_host (uri) : NULL;

  if (host == NULL)
    return g_strdup ("(invalid URL)");
  if (g_uri_get_port (uri) > 0)
    return g_strdup_printf ("%s:%d", host, g_uri_get_port (uri));
  return g_strdup (host);
}

/* The path of a URL without its query, for debug logs. */
static gchar *
url_path_for_log (const gchar * url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);

  return g_strdup (uri ? g_uri_get_path (uri) : "");
}

static GIOErrorEnum
io_error_from_curl (CURLcode code)
{
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return G_IO_ERROR_TIMED_OUT;
    case CURLE_COULDNT_CONNECT:
      return G_IO_ERROR_CONNECTION_REFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return G_IO_ERROR_HOST_NOT_FOUND;
    case CURLE_ABORTED_BY_CALLBACK:
      return G_IO_ERROR_CANCELLED;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return G_IO_ERROR_CONNECTION_CLOSED;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return G_IO_ERROR_INVALID_ARGUMENT;
    default:
      return G_IO_ERROR_FAILED;
  }
}

static const gchar *
describe_curl_error (CURLcode code)
{
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return "the request timed out";
    case CURLE_COULDNT_CONNECT:
      return "could not connect";
    case CURLE_COULDNT_RESOLVE_HOST:
      return "the host name could not be resolved";
    case CURLE_COULDNT_RESOLVE_PROXY:
      return "the proxy's host name could not be resolved";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return "the connection was closed before the response was complete";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return "the server's TLS certificate could not be verified "
          "(set ca-file, or turn tls-verify off for a test server)";
    case CURLE_SSL_CONNECT_ERROR:
      return "the TLS handshake failed";
    default:
      return "the request failed";
  }
}

static void
set_transfer_error (GError ** error, CURLcode code, const MtHttpRequest * req,
    const MtHttpTransfer * t, const gchar * errbuf)
{
  g_autofree gchar *host = url_host_for_message (req->url);

  if (t->aborted_by_caller || g_atomic_int_get (&t->cancelled)
      || code == CURLE_ABORTED_BY_CALLBACK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
        "%s %s: the request was cancelled", req->method, host);
    return;
  }
  g_set_error (error, G_IO_ERROR, io_error_from_curl (code),
      "%s %s: %s (curl: %s)", req->method, host, describe_curl_error (code),
      errbuf[0] ? errbuf : curl_easy_strerror (code));
}

static MtHttpResponse *
response_new (void)
{
  MtHttpResponse *resp = g_new0 (MtHttpResponse, 1);

  resp->headers = header_array_new ();
  return resp;
}

gboolean
mt_http_client_send (MtHttpClient * client, MtHttpRequest * req,
    MtHttpDataFunc on_data, gpointer user_data,
    MtHttpResponse ** response, GCancellable * cancellable, GError ** error)
{
  g_autoptr (MtHttpResponse) resp = response_new ();
  g_autofree gchar *path = NULL;
  gchar errbuf[CURL_ERROR_SIZE] = "";
  MtHttpTransfer t = { 0, };
  struct curl_slist *headers;
  MtHttpHandle *h;
  gulong cancel_id = 0;
  gint64 start;
  CURLcode code;

  g_return_val_if_fail (client != NULL && req != NULL, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  h = client_take_handle (client);
  t.response = resp;
  t.on_data = on_data;
  t.user_data = user_data;
  t.body = on_data ? NULL : g_byte_array_new ();
  t.multi = h->multi;

  headers = build_header_list (req);
  setup_easy (client, h->easy, req, headers, &t, errbuf);

  path = url_path_for_log (req->url);
  GST_LOG ("%s %s", req->method, path);
  start = g_get_monotonic_time ();

  curl_multi_add_handle (h->multi, h->easy);
  if (cancellable)
    cancel_id = g_cancellable_connect (cancellable,
        G_CALLBACK (transfer_cancelled_cb), &t, NULL);
  code = run_transfer (h->multi, &t);
  /* Disconnecting waits for a callback running in another thread, so
   * nothing touches `t` after this. */
  if (cancel_id)
    g_cancellable_disconnect (cancellable, cancel_id);
  curl_multi_remove_handle (h->multi, h->easy);
  curl_slist_free_all (headers);
  /* The easy handle must not keep pointers into this request. */
  curl_easy_setopt (h->easy, CURLOPT_POSTFIELDS, NULL);
  client_return_handle (client, h);

  GST_LOG ("%s %s: curl %d, HTTP %u, %" G_GINT64_FORMAT " ms", req->method,
      path, code, resp->status, (g_get_monotonic_time () - start) / 1000);

  if (code != CURLE_OK || g_atomic_int_get (&t.cancelled)) {
    set_transfer_error (error, code, req, &t, errbuf);
    if (t.body)
      g_byte_array_unref (t.body);
    return FALSE;
  }

  if (t.body)
    resp->body = g_byte_array_free_to_bytes (t.body);
  if (response)
    *response = g_steal_pointer (&resp);
  return TRUE;
}
