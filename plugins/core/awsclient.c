/* The AWS client of awsclient.h: one service, its region and endpoint,
 * lazily fetched credentials, SigV4 on every attempt, and the AWS SDKs'
 * retry policy of retry.h (the SDKs' standard mode, with throttling on its
 * own larger budget and the adaptive rate limiter of the settings taken
 * before each attempt and told of each answer); a per-client retry quota
 * (botocore's RetryQuota) stops retry storms when a service is down. A
 * clock-skew error with a server Date far from
 * ours corrects the signing time, as the Java, Go and JavaScript SDKs do:
 * a device with a wrong clock still gets its requests through. */
#include "awsclient.h"
#include "awsconfig.h"
#include "awserror.h"
#include "core.h"
#include "retry.h"

#include <curl/curl.h>
#include <string.h>

#define GST_CAT_DEFAULT mt_core_debug

/* botocore RetryQuota constants. */
#define QUOTA_INITIAL 500
#define QUOTA_RETRY_COST 5
#define QUOTA_TIMEOUT_COST 10
#define QUOTA_SUCCESS_REFUND 1

/* The SDKs' threshold: below it a signature is still accepted. */
#define CLOCK_SKEW_MIN_S (4 * 60)

/* curl's connect timeout default is 300 s: a dead endpoint should be
 * noticed (and retried) long before that. */
#define CONNECT_TIMEOUT_MS 10000

const MtAwsService mt_aws_service_s3 = { "S3", "s3", "s3" };
const MtAwsService mt_aws_service_rekognition =
    { "Rekognition", "rekognition", "rekognition" };
const MtAwsService mt_aws_service_textract =
    { "Textract", "textract", "textract" };
const MtAwsService mt_aws_service_transcribe =
    { "Transcribe", "transcribe", "transcribe" };
const MtAwsService mt_aws_service_comprehend =
    { "Comprehend", "comprehend", "comprehend" };
const MtAwsService mt_aws_service_sts = { "STS", "sts", "sts" };
const MtAwsService mt_aws_service_sqs = { "SQS", "sqs", "sqs" };

struct _MtAwsClient
{
  MtAwsSettings settings;
  const MtAwsService *service;
  gboolean anonymous;
  gchar *region;
  gchar *endpoint;
  MtHttpClient *http;

  GMutex lock;                  /* guards what follows */
  MtCredentialsProvider *provider;      /* created at the first request */
  GPtrArray *retired;           /* providers replaced after an expired token */
  gint quota;
  gint64 clock_skew_s;          /* server time minus ours */
  guint backoff_base_ms;
  guint backoff_max_ms;
};

static gboolean
endpoint_is_valid (const gchar * endpoint)
{
  g_autoptr (GUri) uri = g_uri_parse (endpoint, G_URI_FLAGS_NONE, NULL);
  const gchar *scheme = uri ? g_uri_get_scheme (uri) : NULL;

  return uri && g_uri_get_host (uri) && *g_uri_get_host (uri)
      && (g_ascii_strcasecmp (scheme, "https") == 0
      || g_ascii_strcasecmp (scheme, "http") == 0);
}

MtAwsClient *
mt_aws_client_new (const MtAwsSettings * settings,
    const MtAwsService * service, gboolean anonymous, GError ** error)
{
  g_autofree gchar *region = NULL;
  g_autofree gchar *endpoint = NULL;
  MtHttpOptions http_opts = { 0, };
  MtAwsClient *client;

  g_return_val_if_fail (settings != NULL && service != NULL, NULL);

  mt_core_init ();
  region = mt_aws_resolve_region (settings, error);
  if (region == NULL)
    return NULL;
  endpoint = mt_aws_resolve_endpoint (settings, service->service_id,
      service->endpoint_prefix, region);
  if (endpoint == NULL || !endpoint_is_valid (endpoint)) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "The %s endpoint '%s' is not a URL: write it as https://host[:port]",
        service->service_id, endpoint ? endpoint : "");
    return NULL;
  }

  client = g_new0 (MtAwsClient, 1);
  mt_aws_settings_init (&client->settings);
  mt_aws_settings_copy (&client->settings, settings);
  client->service = service;
  client->anonymous = anonymous;
  client->region = g_steal_pointer (&region);
  client->endpoint = g_steal_pointer (&endpoint);
  g_mutex_init (&client->lock);
  client->retired = g_ptr_array_new_with_free_func ((GDestroyNotify)
      mt_credentials_provider_free);
  client->quota = QUOTA_INITIAL;
  client->backoff_base_ms = MT_RETRY_BACKOFF_BASE_MS;
  client->backoff_max_ms = MT_RETRY_BACKOFF_MAX_MS;
  if (client->settings.limiter == NULL)
    client->settings.limiter = mt_rate_limiter_new ();

  http_opts.request_timeout_ms = settings->request_timeout_ms;
  http_opts.connect_timeout_ms = CONNECT_TIMEOUT_MS;
  if (settings->request_timeout_ms)
    http_opts.connect_timeout_ms = MIN (CONNECT_TIMEOUT_MS,
        settings->request_timeout_ms);
  http_opts.tls_verify = settings->tls_verify;
  http_opts.ca_file = settings->ca_file;
  client->http = mt_http_client_new (&http_opts);

  GST_DEBUG ("%s client: region %s, endpoint %s%s", service->service_id,
      client->region, client->endpoint, anonymous ? ", unsigned" : "");
  return client;
}

void
mt_aws_client_free (MtAwsClient * client)
{
  if (client == NULL)
    return;
  mt_http_client_free (client->http);
  g_clear_pointer (&client->provider, mt_credentials_provider_free);
  g_ptr_array_unref (client->retired);
  mt_aws_settings_clear (&client->settings);
  g_free (client->region);
  g_free (client->endpoint);
  g_mutex_clear (&client->lock);
  g_free (client);
}

const gchar *
mt_aws_client_get_region (MtAwsClient * client)
{
  return client->region;
}

const gchar *
mt_aws_client_get_endpoint (MtAwsClient * client)
{
  return client->endpoint;
}

void
mt_aws_client_set_retry_backoff (MtAwsClient * client, guint base_ms,
    guint max_ms)
{
  g_mutex_lock (&client->lock);
  client->backoff_base_ms = base_ms;
  client->backoff_max_ms = max_ms;
  g_mutex_unlock (&client->lock);
}

/* --- credentials --- */

static MtCredentials *
client_get_credentials (MtAwsClient * client, gboolean renew,
    GCancellable * cancellable, GError ** error)
{
  MtCredentialsProvider *provider;

  g_mutex_lock (&client->lock);
  /* The provider caches until near expiry; after a service said the token
   * expired, a fresh chain makes sure nothing cached is reused. Another
   * thread may still be inside the old provider: it is kept until the
   * client goes. */
  if (renew && client->provider)
    g_ptr_array_add (client->retired, g_steal_pointer (&client->provider));
  if (client->provider == NULL)
    client->provider = mt_credentials_provider_new (&client->settings);
  provider = client->provider;
  g_mutex_unlock (&client->lock);

  return mt_credentials_provider_get (provider, cancellable, error);
}

gboolean
mt_aws_client_check_credentials (MtAwsClient * client,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (MtCredentials) creds = NULL;

  if (client->anonymous)
    return TRUE;
  creds = client_get_credentials (client, FALSE, cancellable, error);
  return creds != NULL;
}

/* --- retry quota and backoff --- */

static gboolean
quota_acquire (MtAwsClient * client, guint cost)
{
  gboolean ok;

  g_mutex_lock (&client->lock);
  ok = client->quota >= (gint) cost;
  if (ok)
    client->quota -= cost;
  g_mutex_unlock (&client->lock);
  return ok;
}

static void
quota_release (MtAwsClient * client, guint amount)
{
  g_mutex_lock (&client->lock);
  client->quota = MIN (QUOTA_INITIAL, client->quota + (gint) amount);
  g_mutex_unlock (&client->lock);
}

/* The server's wish, in ms, or -1. */
static gint64
response_retry_after_ms (const MtHttpResponse * resp)
{
  if (resp == NULL)
    return -1;
  return mt_retry_after_ms (mt_http_response_get_header (resp,
          "x-amz-retry-after"), mt_http_response_get_header (resp,
          "Retry-After"));
}

static void
client_policy (MtAwsClient * client, MtRetryPolicy * policy)
{
  mt_retry_policy_init (policy, client->settings.retries);
  g_mutex_lock (&client->lock);
  policy->base_ms = client->backoff_base_ms;
  policy->max_ms = client->backoff_max_ms;
  g_mutex_unlock (&client->lock);
}

/* --- one attempt --- */

/* Streams a success's body to the caller; keeps an error's body to decode. */
typedef struct
{
  const MtAwsSendOptions *options;
  GByteArray *error_body;
} StreamFilter;

static gboolean
is_success (guint status, const MtAwsSendOptions * options)
{
  return (status >= 200 && status < 300)
      || (options && options->accept_3xx && status >= 300 && status < 400);
}

static gboolean
stream_filter_cb (const MtHttpResponse * resp, const guint8 * data, gsize len,
    gpointer user_data)
{
  StreamFilter *f = user_data;

  if (is_success (resp->status, f->options))
    return f->options->on_data (resp, data, len, f->options->user_data);
  if (f->error_body->len < 1024 * 1024)
    g_byte_array_append (f->error_body, data, len);
  return TRUE;
}

static MtHttpRequest *
prepare_request (MtAwsClient * client, const MtHttpRequest * req)
{
  MtHttpRequest *copy = mt_http_request_copy (req);

  if (copy->url[0] == '/') {
    gchar *url = g_strconcat (client->endpoint, copy->url, NULL);
    g_free (copy->url);
    copy->url = url;
  }
  return copy;
}

static gboolean
sign_request (MtAwsClient * client, MtHttpRequest * req,
    const MtAwsSendOptions * options, gboolean renew,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (MtCredentials) creds = NULL;
  MtSigV4Params params = { 0, };

  if (client->anonymous)
    return TRUE;
  creds = client_get_credentials (client, renew, cancellable, error);
  if (creds == NULL)
    return FALSE;

  g_mutex_lock (&client->lock);
  if (client->clock_skew_s)
    params.time = g_get_real_time () / G_USEC_PER_SEC + client->clock_skew_s;
  g_mutex_unlock (&client->lock);
  params.region = client->region;
  params.service = client->service->signing_name;
  params.normalize_path = !(options && options->s3);
  params.payload = options ? options->payload : MT_SIGV4_PAYLOAD_SIGNED;
  params.add_content_sha256 = options && options->s3;
  return mt_sigv4_sign (req, creds, &params, NULL, error);
}

/* "host/path" for logs: never the query, which may hold a signature. */
static gchar *
url_host_path (const gchar * url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);

  return g_strdup_printf ("%s%s", uri ? g_uri_get_host (uri) : "?",
      uri ? g_uri_get_path (uri) : "");
}

/* For logs: what AWS support asks for when a call misbehaves. */
static const gchar *
response_request_id (const MtHttpResponse * resp)
{
  const gchar *id = mt_http_response_get_header (resp, "x-amzn-RequestId");

  if (id == NULL)
    id = mt_http_response_get_header (resp, "x-amz-request-id");
  return id ? id : "-";
}

/* Sends one attempt. TRUE: a success, *resp set. FALSE: *error set, and
 * *resp set when the service answered. */
static gboolean
send_attempt (MtAwsClient * client, MtHttpRequest * req,
    const MtAwsSendOptions * options, guint attempt, guint max_attempts,
    MtHttpResponse ** resp, gboolean * timed_out, GCancellable * cancellable,
    GError ** error)
{
  StreamFilter filter = { options, NULL };
  g_autoptr (GError) io_error = NULL;
  g_autofree gchar *where = url_host_path (req->url);
  gint64 start = g_get_monotonic_time ();
  gboolean sent;

  if (options && options->on_data)
    filter.error_body = g_byte_array_new ();
  sent = mt_http_client_send (client->http, req,
      filter.error_body ? stream_filter_cb : NULL, &filter, resp,
      cancellable, &io_error);

  GST_DEBUG ("%s %s %s: %s%u, attempt %u/%u, %" G_GINT64_FORMAT " ms%s%s",
      client->service->service_id, req->method, where,
      sent ? "HTTP " : "failed, ", sent ? (*resp)->status : 0, attempt,
      max_attempts, (g_get_monotonic_time () - start) / 1000,
      sent ? ", request id " : "", sent ? response_request_id (*resp) : "");

  if (!sent) {
    if (filter.error_body)
      g_byte_array_unref (filter.error_body);
    *timed_out = g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    *error = mt_aws_error_from_transport (io_error);
    return FALSE;
  }
  if (filter.error_body) {
    if (!is_success ((*resp)->status, options))
      (*resp)->body = g_byte_array_free_to_bytes (filter.error_body);
    else
      g_byte_array_unref (filter.error_body);
  }
  if (is_success ((*resp)->status, options))
    return TRUE;
  *error = mt_aws_error_from_response (*resp, NULL);
  return FALSE;
}

/* After a signature refused for its time: learns the server's clock from
 * its Date header. TRUE when the skew is new and worth a retry. */
static gboolean
correct_clock_skew (MtAwsClient * client, const GError * error,
    const MtHttpResponse * resp)
{
  static const gchar *const skew_codes[] = {
    "RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture",
    "InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure", NULL
  };
  const MtAwsErrorDetails *d = mt_aws_error_get_details (error);
  const gchar *date = resp ? mt_http_response_get_header (resp, "Date") : NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  time_t server;
  gint64 skew;
  gboolean changed;

  if (d == NULL || d->code == NULL || !g_strv_contains (skew_codes, d->code)
      || date == NULL || (server = curl_getdate (date, NULL)) == -1)
    return FALSE;
  skew = (gint64) server - now;

  g_mutex_lock (&client->lock);
  changed = ABS (skew - client->clock_skew_s) > CLOCK_SKEW_MIN_S;
  if (changed)
    client->clock_skew_s = ABS (skew) > CLOCK_SKEW_MIN_S ? skew : 0;
  g_mutex_unlock (&client->lock);

  if (changed)
    GST_WARNING ("%s: the server's clock is %" G_GINT64_FORMAT " s from "
        "ours; signing with its time (fix this machine's clock)",
        client->service->service_id, skew);
  return changed;
}

/* The action a call performs, for its final error: the caller's word, or
 * the operation of an X-Amz-Target ("RekognitionService.DetectFaces"). */
static const gchar *
request_action (const MtHttpRequest * req, const MtAwsSendOptions * options)
{
  const gchar *target;

  if (options && options->action)
    return options->action;
  target = mt_http_request_get_header (req, "X-Amz-Target");
  if (target && strchr (target, '.'))
    return strchr (target, '.') + 1;
  return target;
}

/* The quota a retry of `cls` costs; throttles cost none: the rate limiter
 * already spaces them, and throttling must not use up the retries that
 * other failures need. 0 when the quota is spent. */
static guint
take_retry_quota (MtAwsClient * client, MtRetryClass cls, gboolean timed_out)
{
  guint cost = timed_out ? QUOTA_TIMEOUT_COST : QUOTA_RETRY_COST;

  if (cls == MT_RETRY_THROTTLED)
    return G_MAXUINT;
  if (!quota_acquire (client, cost)) {
    GST_DEBUG ("%s: retry quota exhausted, not retrying",
        client->service->service_id);
    return 0;
  }
  return cost;
}

/* Gives up: the final error names the action and the attempts. */
static gboolean
give_up (GError * last, const gchar * action, guint attempts,
    MtHttpResponse ** resp, MtHttpResponse ** response, GError ** error)
{
  mt_aws_error_set_outcome (last, action, attempts);
  if (response)
    *response = g_steal_pointer (resp);
  g_propagate_error (error, last);
  return FALSE;
}

/* Fresh credentials may pass where an expired session token did not, and
 * a signing time the server finds too far off can be corrected: each once,
 * not counted against the retries. */
static gboolean
recover_once (MtAwsClient * client, const GError * last,
    const MtHttpResponse * resp, gboolean * renewed, gboolean * renew,
    gboolean * reclocked)
{
  if (client->anonymous)
    return FALSE;
  if (!*renewed && mt_aws_error_is_expired_token (last)) {
    GST_INFO ("%s: the session token expired, fetching new credentials",
        client->service->service_id);
    *renewed = *renew = TRUE;
    return TRUE;
  }
  if (!*reclocked && g_error_matches (last, MT_AWS_ERROR, MT_AWS_ERROR_AUTH)
      && correct_clock_skew (client, last, resp)) {
    *reclocked = TRUE;
    return TRUE;
  }
  return FALSE;
}

gboolean
mt_aws_client_send (MtAwsClient * client, MtHttpRequest * req,
    const MtAwsSendOptions * options, MtHttpResponse ** response,
    GCancellable * cancellable, GError ** error)
{
  MtRateLimiter *limiter = client->settings.limiter;
  gboolean renewed = FALSE, renew = FALSE, reclocked = FALSE;
  guint held = 0;               /* quota taken by the last retry */
  MtRetryPolicy policy;
  MtRetryState state;

  g_return_val_if_fail (client != NULL && req != NULL, FALSE);

  client_policy (client, &policy);
  mt_retry_state_init (&state, &policy);
  for (;;) {
    g_autoptr (MtHttpRequest) signed_req = prepare_request (client, req);
    g_autoptr (MtHttpResponse) resp = NULL;
    GError *last = NULL;
    gboolean timed_out = FALSE;
    MtRetryClass cls;
    gdouble sent_at;
    gint64 delay;
    guint cost;

    if (!sign_request (client, signed_req, options, renew, cancellable, error)
        || !mt_rate_limiter_acquire (limiter, cancellable, error))
      return FALSE;
    renew = FALSE;
    sent_at = mt_rate_limiter_now (limiter);

    if (send_attempt (client, signed_req, options, state.attempts + 1,
            policy.max_attempts, &resp, &timed_out, cancellable, &last)) {
      mt_rate_limiter_update (limiter, FALSE, sent_at);
      quota_release (client, held ? held : QUOTA_SUCCESS_REFUND);
      if (response)
        *response = g_steal_pointer (&resp);
      return TRUE;
    }
    if (g_error_matches (last, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_propagate_error (error, last);
      return FALSE;
    }
    cls = mt_retry_classify (last);
    mt_rate_limiter_update (limiter, cls == MT_RETRY_THROTTLED, sent_at);
    if (recover_once (client, last, resp, &renewed, &renew, &reclocked)) {
      g_error_free (last);
      continue;
    }

    delay = mt_retry_next_delay (&state, cls, response_retry_after_ms (resp));
    if (delay < 0 || (cost = take_retry_quota (client, cls, timed_out)) == 0)
      return give_up (last, request_action (req, options), state.attempts,
          &resp, response, error);
    if (cost != G_MAXUINT)
      held = cost;

    if (options && options->on_retry)
      options->on_retry (state.attempts, last, options->user_data);
    GST_DEBUG ("%s: retrying in %" G_GINT64_FORMAT " ms after: %s",
        client->service->service_id, delay, last->message);
    g_error_free (last);
    if (!mt_retry_wait (delay, cancellable, error))
      return FALSE;
  }
}

/* --- JSON 1.1 --- */

static JsonObject *
parse_json_object (GBytes * body, const gchar * target, GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) parse_error = NULL;
  gsize len = 0;
  const gchar *data = body ? g_bytes_get_data (body, &len) : NULL;
  JsonNode *root;

  if (len == 0)
    return json_object_new ();
  if (!json_parser_load_from_data (parser, data, len, &parse_error)) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "%s answered with a body that is not JSON: %s", target,
        parse_error->message);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "%s answered with JSON that is not an object", target);
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

static GBytes *
serialize_json_object (JsonObject * obj)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  gsize len = 0;
  gchar *text;

  json_node_set_object (root, obj);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &len);
  return g_bytes_new_take (text, len);
}

static JsonObject *
json_call (MtAwsClient * client, const gchar * content_type,
    const gchar * target, JsonObject * request, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("POST", "/");
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autoptr (JsonObject) empty = NULL;
  g_autoptr (GBytes) body = NULL;
  MtAwsSendOptions opts = { 0, };

  g_return_val_if_fail (client != NULL && target != NULL, NULL);

  if (request == NULL)
    request = empty = json_object_new ();
  body = serialize_json_object (request);
  mt_http_request_set_header (req, "Content-Type", content_type);
  mt_http_request_set_header (req, "X-Amz-Target", target);
  mt_http_request_set_body (req, body);

  opts.payload = MT_SIGV4_PAYLOAD_SIGNED;
  opts.action = strchr (target, '.') ? strchr (target, '.') + 1 : target;
  if (!mt_aws_client_send (client, req, &opts, &resp, cancellable, error))
    return NULL;
  return parse_json_object (resp->body, target, error);
}

JsonObject *
mt_aws_client_json_call (MtAwsClient * client, const gchar * target,
    JsonObject * request, GCancellable * cancellable, GError ** error)
{
  return json_call (client, "application/x-amz-json-1.1", target, request,
      cancellable, error);
}

JsonObject *
mt_aws_client_json10_call (MtAwsClient * client, const gchar * target,
    JsonObject * request, GCancellable * cancellable, GError ** error)
{
  return json_call (client, "application/x-amz-json-1.0", target, request,
      cancellable, error);
}
