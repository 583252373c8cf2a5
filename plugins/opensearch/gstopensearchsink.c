/* opensearchsink: bulk-indexes result documents (JSON lines) into
 * OpenSearch or Elasticsearch, including Amazon OpenSearch Service and
 * Serverless with SigV4. Streaming code splits lines and batches them;
 * a sender thread posts the batches, reads every item of every answer, and
 * retries or dead-letters what was not indexed. */

/**
 * SECTION:element-opensearchsink
 * @title: opensearchsink
 *
 * Indexes the JSON lines it receives (the results of any analysis element,
 * or a results file read by filesrc) into OpenSearch with the `_bulk` API.
 * Lines may be split across buffers in any way.
 *
 * Each document is indexed under its `id` field, so indexing the same
 * results twice replaces the documents instead of duplicating them. A
 * document without an `id` gets the SHA-256 of its compact JSON as its id,
 * which is just as stable.
 *
 * Batches are sent by threads of their own when they hold
 * #GstOpenSearchSink:bulk-max-docs documents, would pass
 * #GstOpenSearchSink:bulk-max-bytes, or are
 * #GstOpenSearchSink:flush-interval old. Up to
 * #GstOpenSearchSink:bulk-concurrency batches are in flight while the next
 * one fills; when it is full, upstream waits. Memory stays within
 * bulk-concurrency + 1 batches.
 *
 * Every item of a bulk answer is read. Items rejected with 429 or 502-504
 * are sent again, alone, after an exponential backoff with jitter, up to
 * #GstOpenSearchSink:retries times; a whole request answered 429, 500 or
 * 502-504 or failing on the network is retried the same way; a request
 * answered 413 is split in two. Documents rejected for good (a mapping
 * conflict, an input line that is not a JSON object) go to
 * #GstOpenSearchSink:dead-letter-location with the reason, and a warning
 * is posted; with #GstOpenSearchSink:on-error=fail they stop the pipeline
 * instead.
 *
 * At start the element installs the mediatag index template (keyword
 * `name`, `analysis`, `engine`, `asset`, `id`; float `confidence`; long
 * `timestamp`, `end`, `frame`; `detail` stored but not indexed) for its
 * index, unless #GstOpenSearchSink:install-template is %FALSE.
 *
 * At EOS every document has been indexed or dead-lettered before the EOS
 * message is posted, and an element message summarises the run:
 *
 * * `opensearch-summary`: posted at EOS.
 *   * #guint64 `indexed`: documents OpenSearch accepted.
 *   * #guint64 `dead-lettered`: documents not indexed (written to the
 *     dead-letter file when one is set).
 *   * #guint64 `retried`: documents sent again after a throttled or
 *     failed attempt.
 *   * #guint64 `requests`: HTTP requests made.
 *   * #gchararray `index`: the index property (with `{analysis}` unexpanded).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=results.jsonl ! opensearchsink \
 *     url=https://search.example.com:9200 username=indexer password=secret
 * gst-launch-1.0 filesrc location=results.jsonl ! opensearchsink \
 *     url=https://my-domain.eu-west-1.es.amazonaws.com aws-sigv4=true \
 *     region=eu-west-1 index=media-{analysis}
 * ]|
 */
#include "gstopensearchsink.h"

#include <string.h>
#include <gio/gio.h>

#include "awsconfig.h"
#include "awserror.h"
#include "awssettings.h"
#include "bulk.h"
#include "core.h"
#include "credentials.h"
#include "deadletter.h"
#include "http.h"
#include "jsonlines.h"
#include "retry.h"
#include "sigv4.h"

GST_DEBUG_CATEGORY_STATIC (gst_opensearch_sink_debug);
#define GST_CAT_DEFAULT gst_opensearch_sink_debug

#define DEFAULT_URL "http://localhost:9200"
#define DEFAULT_INDEX "mediatag"
#define DEFAULT_BULK_MAX_DOCS 1000
#define DEFAULT_BULK_MAX_BYTES (5 * 1024 * 1024)
#define DEFAULT_FLUSH_INTERVAL_MS 1000
#define DEFAULT_BULK_CONCURRENCY 2
#define MAX_BULK_CONCURRENCY 16
#define DEFAULT_INSTALL_TEMPLATE TRUE
#define DEFAULT_ON_ERROR GST_OPENSEARCH_SINK_ON_ERROR_DEAD_LETTER
#define DEFAULT_AWS_SERVICE GST_OPENSEARCH_SINK_AWS_SERVICE_ES

/* Only what settles each item comes back (as Logstash asks): a bulk answer
 * is otherwise mostly per-item shard details, and reading it took as long
 * as building the request. */
#define BULK_PATH "/_bulk?filter_path=errors%2Citems.%2A.status%2Citems.%2A.error"
#define TEMPLATE_RESOURCE "/org/mediatag/opensearch/index-template.json"
/* OpenSearch answers in milliseconds: a shorter first backoff than AWS's
 * 1 s (retry.h does the rest: jitter, the 20 s cap, Retry-After). */
#define BACKOFF_BASE_MS 100
#define ERROR_PREVIEW 300

enum
{
  PROP_0,
  PROP_URL,
  PROP_INDEX,
  PROP_USERNAME,
  PROP_PASSWORD,
  PROP_AWS_SIGV4,
  PROP_AWS_SERVICE,
  PROP_BULK_MAX_DOCS,
  PROP_BULK_MAX_BYTES,
  PROP_FLUSH_INTERVAL,
  PROP_BULK_CONCURRENCY,
  PROP_DEAD_LETTER_LOCATION,
  PROP_INSTALL_TEMPLATE,
  PROP_ON_ERROR,
  PROP_AWS_FIRST,
};

/* The properties, under the object lock. start() takes a snapshot
 * (settings_copy): changes apply at the next start. */
typedef struct
{
  gchar *url;                   /* NULL: endpoint, then the default */
  gchar *index;
  gchar *username;              /* a secret: write-only */
  gchar *password;              /* a secret: write-only */
  gboolean aws_sigv4;
  GstOpenSearchSinkAwsService aws_service;
  guint bulk_max_docs;
  guint64 bulk_max_bytes;
  guint flush_interval_ms;
  guint bulk_concurrency;
  gchar *dead_letter_location;
  gboolean install_template;
  GstOpenSearchSinkOnError on_error;
  MtAwsSettings aws;
} Settings;

/* What a run needs, made by start() from the snapshot and released by
 * stop(). */
typedef struct
{
  /* read-only while running */
  gchar *base_url;              /* no trailing slash */
  gchar *index;                 /* may hold {analysis} */
  gchar *basic_auth;            /* "Basic ..." header: a secret */
  MtCredentialsProvider *credentials;
  gchar *region;
  const gchar *signing_name;    /* NULL: no SigV4 */
  guint max_docs;
  gsize max_bytes;
  gint64 flush_interval_us;
  guint concurrency;
  guint retries;
  GstOpenSearchSinkOnError on_error;
  MtHttpClient *http;
  GCancellable *cancellable;
  GPtrArray *senders;           /* of GThread */
  OsDeadLetters *dead;          /* thread-safe on its own */

  /* streaming thread only */
  MtLineAssembler *lines;
  GstFlowReturn line_flow;      /* what the last line gave */
  JsonParser *parser;
  GHashTable *action_prefixes;

  /* shared between the streaming thread and the senders, under `lock`;
   * each change a waiter tests is followed by a broadcast of `cond` */
  GMutex lock;
  GCond cond;
  GPtrArray *pending;           /* of documents, the batch being filled */
  gsize pending_bytes;
  gint64 pending_since;
  gboolean want_send;           /* the batch is full: a document waits */
  gboolean draining;            /* EOS: send everything now */
  guint in_flight;              /* documents taken by senders, unsettled */
  gboolean stopping;
  gboolean unlocked;            /* GstBaseSink::unlock */
  GstFlowReturn flow;           /* GST_FLOW_ERROR once a sender failed */
  guint64 n_indexed;
  guint64 n_retried;
  guint64 n_requests;
} State;

struct _GstOpenSearchSink
{
  GstBaseSink parent;

  Settings settings;
  State state;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-json"));

#define gst_opensearch_sink_parent_class parent_class
G_DEFINE_TYPE (GstOpenSearchSink, gst_opensearch_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE (opensearchsink, "opensearchsink",
    GST_RANK_NONE, GST_TYPE_OPENSEARCH_SINK);

GType
gst_opensearch_sink_on_error_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_OPENSEARCH_SINK_ON_ERROR_DEAD_LETTER,
        "Write the document and the reason to dead-letter-location, warn, "
          "go on", "dead-letter"},
    {GST_OPENSEARCH_SINK_ON_ERROR_FAIL, "Stop the pipeline with an error",
        "fail"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstOpenSearchSinkOnError", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_opensearch_sink_aws_service_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_OPENSEARCH_SINK_AWS_SERVICE_ES, "Amazon OpenSearch Service (es)",
        "es"},
    {GST_OPENSEARCH_SINK_AWS_SERVICE_AOSS,
        "Amazon OpenSearch Serverless (aoss)", "aoss"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstOpenSearchSinkAwsService", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* --- settings --- */

static void
settings_init (Settings * s)
{
  memset (s, 0, sizeof (*s));
  s->index = g_strdup (DEFAULT_INDEX);
  s->aws_service = DEFAULT_AWS_SERVICE;
  s->bulk_max_docs = DEFAULT_BULK_MAX_DOCS;
  s->bulk_max_bytes = DEFAULT_BULK_MAX_BYTES;
  s->flush_interval_ms = DEFAULT_FLUSH_INTERVAL_MS;
  s->bulk_concurrency = DEFAULT_BULK_CONCURRENCY;
  s->install_template = DEFAULT_INSTALL_TEMPLATE;
  s->on_error = DEFAULT_ON_ERROR;
  mt_aws_settings_init (&s->aws);
}

/* Called with the object lock held on `src`. */
static void
settings_copy (Settings * dest, const Settings * src)
{
  *dest = *src;
  dest->url = g_strdup (src->url);
  dest->index = g_strdup (src->index);
  dest->username = g_strdup (src->username);
  dest->password = g_strdup (src->password);
  dest->dead_letter_location = g_strdup (src->dead_letter_location);
  mt_aws_settings_init (&dest->aws);
  mt_aws_settings_copy (&dest->aws, &src->aws);
}

/* Secrets are overwritten before their memory is freed. */
static void
wipe_secret (gchar ** field)
{
  if (*field != NULL)
    memset (*field, 0, strlen (*field));
  g_clear_pointer (field, g_free);
}

static void
settings_clear (Settings * s)
{
  wipe_secret (&s->username);
  wipe_secret (&s->password);
  g_clear_pointer (&s->url, g_free);
  g_clear_pointer (&s->index, g_free);
  g_clear_pointer (&s->dead_letter_location, g_free);
  mt_aws_settings_clear (&s->aws);
}

/* --- dead letters --- */

static void
warn_not_indexed (GstOpenSearchSink * self, const gchar * what,
    const gchar * reason)
{
  const gchar *location = os_dead_letters_location (self->state.dead);

  if (!os_dead_letters_may_warn (self->state.dead))
    return;
  if (location != NULL) {
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("%s was not indexed and was written, with the reason, to the "
            "dead-letter file %s.", what, location), ("%s", reason));
  } else {
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("%s was not indexed. Set dead-letter-location to keep such "
            "documents and the reasons.", what), ("%s", reason));
  }
}

static void
warn_dead_letter_failed (GstOpenSearchSink * self, const GError * error)
{
  GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
      ("Could not write to the dead-letter file %s: check the disk and "
          "the file's permissions.",
          os_dead_letters_location (self->state.dead)), ("%s", error->message));
}

static void
dead_letter_line (GstOpenSearchSink * self, const gchar * line, gsize len,
    guint64 line_no, const gchar * reason)
{
  g_autoptr (GError) error = NULL;

  if (!os_dead_letters_add_line (self->state.dead, line, len, line_no, reason,
          &error))
    warn_dead_letter_failed (self, error);
}

static void
dead_letter_doc (GstOpenSearchSink * self, OpenSearchDoc * doc,
    gint64 status, JsonObject * error_obj, const gchar * reason)
{
  g_autoptr (GError) error = NULL;

  if (!os_dead_letters_add_doc (self->state.dead, doc, status, error_obj,
          reason, &error))
    warn_dead_letter_failed (self, error);
}

static gboolean
open_dead_letter (GstOpenSearchSink * self, const gchar * location)
{
  g_autoptr (GError) error = NULL;

  self->state.dead = os_dead_letters_open (location, &error);
  if (self->state.dead == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not open the dead-letter file %s for writing: check that "
            "its folder exists and is writable.", location),
        ("%s", error->message));
    return FALSE;
  }
  return TRUE;
}

/* --- HTTP --- */

static gboolean
apply_auth (GstOpenSearchSink * self, MtHttpRequest * req, GError ** error)
{
  g_autoptr (MtCredentials) creds = NULL;
  MtSigV4Params params = { 0 };

  if (self->state.basic_auth != NULL) {
    mt_http_request_set_header (req, "Authorization", self->state.basic_auth);
    return TRUE;
  }
  if (self->state.signing_name == NULL)
    return TRUE;

  creds =
      mt_credentials_provider_get (self->state.credentials,
      self->state.cancellable, error);
  if (creds == NULL)
    return FALSE;
  params.region = self->state.region;
  params.service = self->state.signing_name;
  params.normalize_path = TRUE;
  params.payload = MT_SIGV4_PAYLOAD_SIGNED;
  /* Serverless refuses requests without the payload hash header. */
  params.add_content_sha256 = g_str_equal (self->state.signing_name, "aoss");
  return mt_sigv4_sign (req, creds, &params, NULL, error);
}

static MtHttpRequest *
build_request (GstOpenSearchSink * self, const gchar * method,
    const gchar * path, GBytes * body, GError ** error)
{
  g_autofree gchar *url = g_strconcat (self->state.base_url, path, NULL);
  g_autoptr (MtHttpRequest) req = mt_http_request_new (method, url);

  if (body != NULL) {
    mt_http_request_set_body (req, body);
    mt_http_request_set_header (req, "Content-Type",
        g_str_has_prefix (path, BULK_PATH) ? "application/x-ndjson" :
        "application/json");
  }
  mt_http_request_set_header (req, "Accept", "application/json");
  if (!apply_auth (self, req, error))
    return NULL;
  return g_steal_pointer (&req);
}

static void
retry_policy (GstOpenSearchSink * self, MtRetryPolicy * policy)
{
  mt_retry_policy_init (policy, self->state.retries);
  policy->base_ms = BACKOFF_BASE_MS;
}

/* One request, retried by the policy of retry.h on network failures, 429
 * and 5xx. Any final status is a success here: the caller reads it.
 * `n_docs` is counted as retried on each retry. */
static gboolean
send_request (GstOpenSearchSink * self, const gchar * method,
    const gchar * path, GBytes * body, guint n_docs,
    MtHttpResponse ** response, GError ** error)
{
  MtRetryPolicy policy;
  MtRetryState state;

  retry_policy (self, &policy);
  mt_retry_state_init (&state, &policy);
  for (;;) {
    g_autoptr (MtHttpRequest) req = NULL;
    g_autoptr (MtHttpResponse) resp = NULL;
    g_autoptr (GError) err = NULL;
    gint64 delay;

    req = build_request (self, method, path, body, error);
    if (req == NULL)
      return FALSE;
    g_mutex_lock (&self->state.lock);
    self->state.n_requests++;
    g_mutex_unlock (&self->state.lock);

    if (mt_http_client_send (self->state.http, req, NULL, NULL, &resp,
            self->state.cancellable, &err)) {
      delay = mt_retry_next_delay (&state, os_classify_status (resp->status),
          mt_retry_after_ms (NULL, mt_http_response_get_header (resp,
                  "Retry-After")));
      if (delay < 0) {
        *response = g_steal_pointer (&resp);
        return TRUE;
      }
      GST_INFO_OBJECT (self, "%s %s answered %u, retrying in %" G_GINT64_FORMAT
          " ms", method, path, resp->status, delay);
    } else {
      delay = mt_retry_next_delay (&state, mt_retry_classify (err), -1);
      if (delay < 0) {
        g_propagate_error (error, g_steal_pointer (&err));
        return FALSE;
      }
      GST_INFO_OBJECT (self, "%s %s failed (%s), retrying", method, path,
          err->message);
    }

    g_mutex_lock (&self->state.lock);
    self->state.n_retried += n_docs;
    g_mutex_unlock (&self->state.lock);
    if (!mt_retry_wait (delay, self->state.cancellable, error))
      return FALSE;
  }
}

/* Posts the element error for a request that could not be made. */
static gboolean
fail_request (GstOpenSearchSink * self, const gchar * what, GError * error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  if (error->domain == MT_AWS_ERROR) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
        ("Could not sign the %s for %s: check the AWS credentials "
            "(access-key, profile, AWS_* variables) and region.", what,
            self->state.base_url), ("%s", error->message));
  } else {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not reach OpenSearch at %s: check the url property and that "
            "the server is running.", self->state.base_url), ("%s: %s", what,
            error->message));
  }
  return FALSE;
}

/* The technical side of an answer, for an error's debug part: the
 * status, OpenSearch's own words and, from AWS, the request id. */
static gchar *
response_detail (MtHttpResponse * resp)
{
  g_autofree gchar *reason = os_describe_response (resp);
  const gchar *request_id = mt_http_response_get_header (resp,
      "x-amzn-RequestId");

  return g_strdup_printf ("HTTP %u: %s%s%s", resp->status, reason,
      request_id ? ", request id " : "", request_id ? request_id : "");
}

/* Posts the element error for a final answer that is not a success;
 * `advice` ends the user's sentence. */
static gboolean
fail_response (GstOpenSearchSink * self, const gchar * what,
    MtHttpResponse * resp, const gchar * advice)
{
  g_autofree gchar *detail = response_detail (resp);

  if (resp->status == 401 || resp->status == 403) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
        ("OpenSearch at %s refused the %s as unauthorized: %s.",
            self->state.base_url, what, self->state.signing_name ?
            "check the AWS credentials, the region and the domain's access "
            "policy" : "check username and password, or sign with AWS SigV4 "
            "for an Amazon OpenSearch Service domain (aws-sigv4; mediatag: "
            "--opensearch-sigv4)"), ("%s", detail));
  } else {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("OpenSearch at %s refused the %s: %s.", self->state.base_url, what,
            advice), ("%s", detail));
  }
  return FALSE;
}

/* --- the index template --- */

static gchar *
template_pattern (GstOpenSearchSink * self, const gchar * replacement)
{
  GString *s = g_string_new (self->state.index);

  g_string_replace (s, OS_ANALYSIS_MARKER, replacement, 0);
  return g_string_free (s, FALSE);
}

/* The template shipped in data/opensearch, compiled in as a resource, with
 * index_patterns narrowed to this element's index so templates of other
 * indices are not touched. */
static GBytes *
template_body (GstOpenSearchSink * self, GError ** error)
{
  g_autoptr (GBytes) data = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonArray) patterns = json_array_new ();
  g_autofree gchar *pattern = template_pattern (self, "*");
  JsonNode *root;
  const gchar *text;
  gchar *body;
  gsize size;

  data = g_resources_lookup_data (TEMPLATE_RESOURCE, 0, error);
  if (data == NULL)
    return NULL;
  text = g_bytes_get_data (data, &size);
  if (!json_parser_load_from_data (parser, text, size, error))
    return NULL;
  root = json_parser_get_root (parser);
  json_array_add_string_element (patterns, pattern);
  json_object_set_array_member (json_node_get_object (root), "index_patterns",
      json_array_ref (patterns));
  body = json_to_string (root, FALSE);
  return g_bytes_new_take (body, strlen (body));
}

static gboolean
install_template (GstOpenSearchSink * self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autofree gchar *name = template_pattern (self, "analysis");
  g_autofree gchar *escaped = mt_uri_encode (name, FALSE);
  g_autofree gchar *path = g_strconcat ("/_index_template/", escaped, NULL);

  body = template_body (self, &error);
  if (body == NULL) {
    GST_ELEMENT_ERROR (self, CORE, FAILED,
        ("The built-in index template could not be read."), ("%s",
            error->message));
    return FALSE;
  }
  if (!send_request (self, "PUT", path, body, 0, &resp, &error))
    return fail_request (self, "index template", error);
  if (resp->status < 200 || resp->status >= 300)
    return fail_response (self, "index template", resp,
        "check that the user may manage index templates, or set "
        "install-template=false to index without it");
  GST_INFO_OBJECT (self, "installed index template %s", name);
  return TRUE;
}

/* --- sending batches --- */

static gboolean send_docs (GstOpenSearchSink * self, GPtrArray * docs);

/* A document OpenSearch will not take: dead letter, or the end of the
 * pipeline with on-error=fail. */
static gboolean
reject_doc (GstOpenSearchSink * self, OpenSearchDoc * doc, gint64 status,
    JsonObject * error_obj, const gchar * reason)
{
  g_autofree gchar *what = g_strdup_printf ("Document %s (index %s)",
      doc->id, doc->index);

  if (self->state.on_error == GST_OPENSEARCH_SINK_ON_ERROR_FAIL) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("OpenSearch rejected document %s (index %s): fix the document or "
            "the index mapping, or set on-error=dead-letter to keep going.",
            doc->id, doc->index), ("%s", reason));
    return FALSE;
  }
  dead_letter_doc (self, doc, status, error_obj, reason);
  warn_not_indexed (self, what, reason);
  return TRUE;
}

static gboolean
reject_item (OpenSearchDoc * doc, gint64 status, JsonObject * error_obj,
    const gchar * reason, gpointer user_data)
{
  return reject_doc (user_data, doc, status, error_obj, reason);
}

/* Reads every item of a bulk answer (bulk.h). Items to try again go to
 * `again`; FALSE when the answer is not a bulk answer for these
 * documents or on-error=fail stopped on a rejection. */
static gboolean
settle_items (GstOpenSearchSink * self, GPtrArray * docs,
    MtHttpResponse * resp, const MtRetryState * state, GPtrArray * again)
{
  guint64 indexed = 0;
  gsize size = 0;
  const gchar *data;

  switch (os_bulk_settle (docs, resp, state, again, &indexed, reject_item,
          self)) {
    case OS_SETTLE_DONE:
      break;
    case OS_SETTLE_STOPPED:
      return FALSE;
    case OS_SETTLE_NOT_BULK:
      data = resp->body ? g_bytes_get_data (resp->body, &size) : "";
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
          ("OpenSearch at %s answered a bulk request of %u documents with "
              "something that is not a bulk answer for them.",
              self->state.base_url, docs->len), ("%.*s",
              (int) MIN (size, ERROR_PREVIEW), data));
      return FALSE;
  }
  g_mutex_lock (&self->state.lock);
  self->state.n_indexed += indexed;
  self->state.n_retried += again->len;
  g_mutex_unlock (&self->state.lock);
  return TRUE;
}

/* 413: the server takes less per request than bulk-max-bytes. Halves are
 * sent on their own; a single document that is still too large is
 * rejected. */
static gboolean
split_docs (GstOpenSearchSink * self, GPtrArray * docs)
{
  g_autoptr (GPtrArray) first = g_ptr_array_new ();
  g_autoptr (GPtrArray) second = g_ptr_array_new ();
  guint half = docs->len / 2;

  if (docs->len == 1)
    return reject_doc (self, docs->pdata[0], 413, NULL,
        "HTTP 413: the document alone is larger than the server accepts in "
        "one request (http.max_content_length)");
  GST_INFO_OBJECT (self, "413 for %u documents: sending them in halves",
      docs->len);
  for (guint i = 0; i < docs->len; i++)
    g_ptr_array_add (i < half ? first : second, docs->pdata[i]);
  return send_docs (self, first) && send_docs (self, second);
}

/* Sends documents until each is indexed, dead-lettered or the element has
 * failed. `docs` does not own them. */
static gboolean
send_docs (GstOpenSearchSink * self, GPtrArray * docs)
{
  g_autoptr (GPtrArray) pending_docs = g_ptr_array_ref (docs);
  MtRetryPolicy policy;
  MtRetryState state;

  retry_policy (self, &policy);
  mt_retry_state_init (&state, &policy);
  while (pending_docs->len > 0) {
    g_autoptr (GBytes) body = os_bulk_body (pending_docs);
    g_autoptr (MtHttpResponse) resp = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) again = g_ptr_array_new ();

    if (!send_request (self, "POST", BULK_PATH, body, pending_docs->len, &resp,
            &error))
      return fail_request (self, "bulk request", error);
    if (resp->status == 413)
      return split_docs (self, pending_docs);
    if (resp->status != 200)
      return fail_response (self, "bulk request", resp,
          "check that the index accepts writes and the server's log");
    if (!settle_items (self, pending_docs, resp, &state, again))
      return FALSE;
    if (again->len > 0) {
      /* Throttled items: the round is counted as throttled. */
      gint64 delay = mt_retry_next_delay (&state, MT_RETRY_THROTTLED, -1);

      GST_DEBUG_OBJECT (self, "%u of %u items to send again", again->len,
          pending_docs->len);
      if (!mt_retry_wait (MAX (delay, 0), self->state.cancellable, NULL))
        return FALSE;
    }
    g_ptr_array_unref (pending_docs);
    pending_docs = g_steal_pointer (&again);
  }
  return TRUE;
}

/* Called with the lock held: the batch to send now, or NULL and the time
 * at which the flush interval will make it due (0: none). */
static GPtrArray *
take_batch (GstOpenSearchSink * self, gint64 * deadline)
{
  GPtrArray *batch;
  gint64 due = self->state.pending_since + self->state.flush_interval_us;
  gboolean ready;

  *deadline = 0;
  if (self->state.flow != GST_FLOW_OK || self->state.pending->len == 0)
    return NULL;
  ready = self->state.want_send || self->state.draining ||
      self->state.pending->len >= self->state.max_docs ||
      self->state.pending_bytes >= self->state.max_bytes ||
      (self->state.flush_interval_us > 0 && g_get_monotonic_time () >= due);
  if (!ready) {
    *deadline = self->state.flush_interval_us > 0 ? due : 0;
    return NULL;
  }
  batch = self->state.pending;
  self->state.pending = g_ptr_array_new_with_free_func (os_doc_free);
  self->state.pending_bytes = 0;
  self->state.want_send = FALSE;
  return batch;
}

static gpointer
sender_thread (gpointer data)
{
  GstOpenSearchSink *self = data;

  g_mutex_lock (&self->state.lock);
  while (!self->state.stopping) {
    g_autoptr (GPtrArray) batch = NULL;
    gint64 deadline;
    gboolean ok;

    batch = take_batch (self, &deadline);
    if (batch == NULL) {
      if (deadline > 0)
        g_cond_wait_until (&self->state.cond, &self->state.lock, deadline);
      else
        g_cond_wait (&self->state.cond, &self->state.lock);
      continue;
    }
    self->state.in_flight += batch->len;
    g_cond_broadcast (&self->state.cond);
    g_mutex_unlock (&self->state.lock);

    ok = send_docs (self, batch);

    g_mutex_lock (&self->state.lock);
    self->state.in_flight -= batch->len;
    if (!ok && self->state.flow == GST_FLOW_OK)
      self->state.flow =
          self->state.stopping ? GST_FLOW_FLUSHING : GST_FLOW_ERROR;
    g_cond_broadcast (&self->state.cond);
  }
  g_mutex_unlock (&self->state.lock);
  return NULL;
}

/* --- streaming thread --- */

static gboolean
batch_is_full (GstOpenSearchSink * self, gsize size)
{
  return self->state.pending->len >= self->state.max_docs ||
      (self->state.pending->len > 0
      && self->state.pending_bytes + size > self->state.max_bytes);
}

/* Called with the lock held. Waits for the sender as render and EOS may:
 * through a PLAYING to PAUSED change (GstBaseSink::unlock) it waits for
 * preroll, and a flush or stop ends the wait. */
static GstFlowReturn
wait_for_sender (GstOpenSearchSink * self)
{
  GstFlowReturn ret;

  if (self->state.flow != GST_FLOW_OK)
    return self->state.flow;
  if (self->state.stopping)
    return GST_FLOW_FLUSHING;
  if (!self->state.unlocked) {
    g_cond_wait (&self->state.cond, &self->state.lock);
    return GST_FLOW_OK;
  }
  g_mutex_unlock (&self->state.lock);
  ret = gst_base_sink_wait_preroll (GST_BASE_SINK (self));
  g_mutex_lock (&self->state.lock);
  return ret;
}

static GstFlowReturn
enqueue (GstOpenSearchSink * self, OpenSearchDoc * doc)
{
  gsize size = g_bytes_get_size (doc->payload);
  GstFlowReturn ret = GST_FLOW_OK;

  g_mutex_lock (&self->state.lock);
  while (ret == GST_FLOW_OK && (batch_is_full (self, size) ||
          self->state.flow != GST_FLOW_OK || self->state.stopping)) {
    self->state.want_send = TRUE;
    g_cond_broadcast (&self->state.cond);
    ret = wait_for_sender (self);
  }
  if (ret != GST_FLOW_OK) {
    g_mutex_unlock (&self->state.lock);
    os_doc_free (doc);
    return ret;
  }
  if (self->state.pending->len == 0)
    self->state.pending_since = g_get_monotonic_time ();
  g_ptr_array_add (self->state.pending, doc);
  self->state.pending_bytes += size;
  /* The sender learns of a new batch (its flush deadline) or a full one. */
  if (self->state.pending->len == 1 || batch_is_full (self, 0) ||
      self->state.pending_bytes >= self->state.max_bytes)
    g_cond_broadcast (&self->state.cond);
  g_mutex_unlock (&self->state.lock);
  return GST_FLOW_OK;
}

/* A line that cannot become a document. */
/* `reason` is short, for the user; `detail` (may be NULL) the parser's
 * own words, for the debug part and the dead letter. */
static GstFlowReturn
reject_line (GstOpenSearchSink * self, const gchar * line, gsize len,
    guint64 line_no, const gchar * reason, const gchar * detail)
{
  g_autofree gchar *what = NULL;
  g_autofree gchar *full = detail ? g_strdup_printf ("%s: %s", reason,
      detail) : g_strdup (reason);

  if (self->state.on_error == GST_OPENSEARCH_SINK_ON_ERROR_FAIL) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Input line %" G_GUINT64_FORMAT " cannot be indexed: %s. Fix the "
            "input, or set on-error=dead-letter to keep going.", line_no,
            reason), ("line %" G_GUINT64_FORMAT ": %s", line_no, full));
    return GST_FLOW_ERROR;
  }
  dead_letter_line (self, line, len, line_no, full);
  what = g_strdup_printf ("Input line %" G_GUINT64_FORMAT, line_no);
  warn_not_indexed (self, what, full);
  return GST_FLOW_OK;
}

static GstFlowReturn
take_line (GstOpenSearchSink * self, const gchar * line, gsize len,
    guint64 line_no)
{
  g_autoptr (GError) error = NULL;
  JsonNode *root;
  JsonObject *obj;
  gchar *id;

  while (len > 0 && g_ascii_isspace (line[len - 1]))
    len--;
  while (len > 0 && g_ascii_isspace (*line)) {
    line++;
    len--;
  }
  /* json-glib would take what is not UTF-8 apart less clearly. */
  if (!g_utf8_validate_len (line, len, NULL))
    return reject_line (self, line, len, line_no, "not JSON",
        "invalid UTF-8");
  if (!json_parser_load_from_data (self->state.parser, line, len, &error))
    return reject_line (self, line, len, line_no, "not JSON", error->message);
  root = json_parser_get_root (self->state.parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return reject_line (self, line, len, line_no, "not a JSON object", NULL);
  obj = json_node_get_object (root);
  id = os_doc_id (obj, root);
  if (id == NULL)
    return reject_line (self, line, len, line_no,
        "its \"id\" is neither a non-empty string nor an integer", NULL);
  return enqueue (self, os_doc_new (self->state.action_prefixes,
          os_doc_index (self->state.index, obj), id, line, len));
}

/* The line assembler's callback (jsonlines.h): a whole line, or one
 * longer than bulk-max-bytes, which could never be sent. */
static gboolean
line_cb (const gchar * line, gsize len, guint64 line_no, const GError * error,
    gpointer user_data)
{
  GstOpenSearchSink *self = user_data;

  if (error != NULL)
    self->state.line_flow =
        reject_line (self, NULL, 0, line_no, error->message,
        NULL);
  else
    self->state.line_flow = take_line (self, line, len, line_no);
  return self->state.line_flow == GST_FLOW_OK;
}

static GstFlowReturn
gst_opensearch_sink_render (GstBaseSink * sink, GstBuffer * buffer)
{
  GstOpenSearchSink *self = GST_OPENSEARCH_SINK (sink);
  GstMapInfo map;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Could not read a buffer."),
        (NULL));
    return GST_FLOW_ERROR;
  }
  self->state.line_flow = GST_FLOW_OK;
  mt_line_assembler_push (self->state.lines, map.data, map.size, line_cb, self);
  gst_buffer_unmap (buffer, &map);
  return self->state.line_flow;
}

/* EOS: the last line, then every batch, answered. */
static gboolean
drain (GstOpenSearchSink * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean done;

  self->state.line_flow = GST_FLOW_OK;
  mt_line_assembler_finish (self->state.lines, line_cb, self);
  if (self->state.line_flow != GST_FLOW_OK)
    return FALSE;

  g_mutex_lock (&self->state.lock);
  self->state.draining = TRUE;
  g_cond_broadcast (&self->state.cond);
  while (ret == GST_FLOW_OK && (self->state.pending->len > 0
          || self->state.in_flight > 0))
    ret = wait_for_sender (self);
  self->state.draining = FALSE;
  done = ret == GST_FLOW_OK && self->state.flow == GST_FLOW_OK;
  g_mutex_unlock (&self->state.lock);

  os_dead_letters_flush (self->state.dead);
  return done;
}

static void
post_summary (GstOpenSearchSink * self)
{
  GstStructure *s;
  guint64 letters, suppressed;
  const gchar *location = os_dead_letters_location (self->state.dead);

  os_dead_letters_get_counts (self->state.dead, &letters, &suppressed);
  if (suppressed > 0) {
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("%" G_GUINT64_FORMAT " more documents were not indexed%s%s.",
            suppressed, location ? "; see the dead-letter file " : "",
            location ? location : ""), (NULL));
  }
  g_mutex_lock (&self->state.lock);
  s = gst_structure_new ("opensearch-summary",
      "indexed", G_TYPE_UINT64, self->state.n_indexed,
      "dead-lettered", G_TYPE_UINT64, letters,
      "retried", G_TYPE_UINT64, self->state.n_retried,
      "requests", G_TYPE_UINT64, self->state.n_requests,
      "index", G_TYPE_STRING, self->state.index, NULL);
  g_mutex_unlock (&self->state.lock);
  GST_INFO_OBJECT (self, "%" GST_PTR_FORMAT, s);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static gboolean
gst_opensearch_sink_event (GstBaseSink * sink, GstEvent * event)
{
  GstOpenSearchSink *self = GST_OPENSEARCH_SINK (sink);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      if (!drain (self)) {
        gst_event_unref (event);
        return FALSE;
      }
      post_summary (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      /* The stream starts again: a partial line belongs to the old one. */
      mt_line_assembler_reset (self->state.lines);
      break;
    default:
      break;
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);
}

/* --- start and stop --- */

static gboolean
index_is_valid (const gchar * index_name)
{
  GString *s = g_string_new (index_name);
  gboolean ok;

  g_string_replace (s, OS_ANALYSIS_MARKER, "", 0);
  ok = (s->len > 0 || strstr (index_name, OS_ANALYSIS_MARKER)) &&
      strpbrk (s->str, "\\/*?\"<>| ,#:{}") == NULL &&
      !g_str_has_prefix (index_name, "_") &&
      !g_str_has_prefix (index_name, "-") &&
      !g_str_has_prefix (index_name, "+");
  for (gsize i = 0; ok && i < s->len; i++)
    ok = !g_ascii_isupper (s->str[i]);
  g_string_free (s, TRUE);
  return ok;
}

/* The base URL without user info, which goes to basic auth instead so it
 * never shows in a log or an error message. */
static gboolean
parse_url (GstOpenSearchSink * self, const gchar * url, gchar ** user,
    gchar ** password)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GUri) clean = NULL;
  g_autofree gchar *text = NULL;
  const gchar *scheme;

  uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL ||
      (g_ascii_strcasecmp (scheme, "http") != 0 &&
          g_ascii_strcasecmp (scheme, "https") != 0)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The url must be an http:// or https:// URL of OpenSearch, "
            "such as " DEFAULT_URL "."), (NULL));
    return FALSE;
  }
  if (*user == NULL && g_uri_get_user (uri) != NULL)
    *user = g_uri_unescape_string (g_uri_get_user (uri), NULL);
  if (*password == NULL && g_uri_get_password (uri) != NULL)
    *password = g_uri_unescape_string (g_uri_get_password (uri), NULL);
  clean = g_uri_build (G_URI_FLAGS_ENCODED, scheme, NULL,
      g_uri_get_host (uri), g_uri_get_port (uri), g_uri_get_path (uri),
      NULL, NULL);
  text = g_uri_to_string (clean);
  while (g_str_has_suffix (text, "/"))
    text[strlen (text) - 1] = '\0';
  self->state.base_url = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
setup_auth (GstOpenSearchSink * self, const MtAwsSettings * settings,
    gboolean aws_sigv4, GstOpenSearchSinkAwsService service,
    const gchar * user, const gchar * password)
{
  g_autoptr (GError) error = NULL;

  if (aws_sigv4 && user != NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Use either username and password or aws-sigv4, not both."), (NULL));
    return FALSE;
  }
  if (user != NULL) {
    g_autofree gchar *pair = g_strconcat (user, ":", password ? password : "",
        NULL);
    g_autofree gchar *b64 = g_base64_encode ((const guchar *) pair,
        strlen (pair));

    self->state.basic_auth = g_strconcat ("Basic ", b64, NULL);
    memset (pair, 0, strlen (pair));
    return TRUE;
  }
  if (!aws_sigv4)
    return TRUE;

  self->state.region = mt_aws_resolve_region (settings, &error);
  if (self->state.region == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("aws-sigv4 needs the AWS region of the domain or collection: set "
            "the region property or AWS_REGION."), ("%s", error->message));
    return FALSE;
  }
  self->state.signing_name =
      service == GST_OPENSEARCH_SINK_AWS_SERVICE_AOSS ? "aoss" : "es";
  self->state.credentials = mt_credentials_provider_new (settings);
  return TRUE;
}

/* The run's state from the snapshot of the settings. */
static gboolean
apply_settings (GstOpenSearchSink * self, const Settings * snap)
{
  MtHttpOptions options = { 0 };
  g_autofree gchar *user = g_strdup (snap->username);
  g_autofree gchar *password = g_strdup (snap->password);
  const gchar *url = snap->url ? snap->url :
      snap->aws.endpoint ? snap->aws.endpoint : DEFAULT_URL;
  gboolean ok;

  self->state.index = g_strdup (snap->index);
  self->state.max_docs = snap->bulk_max_docs;
  self->state.max_bytes = snap->bulk_max_bytes;
  self->state.flush_interval_us =
      (gint64) snap->flush_interval_ms * G_TIME_SPAN_MILLISECOND;
  self->state.concurrency = snap->bulk_concurrency;
  self->state.on_error = snap->on_error;
  self->state.retries = snap->aws.retries;
  ok = index_is_valid (self->state.index);
  if (!ok) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The index name \"%s\" is not one OpenSearch accepts: use lowercase "
            "letters, digits, '-', '_' and '.', and {analysis}.",
            self->state.index), (NULL));
  }
  if (ok)
    ok = parse_url (self, url, &user, &password);
  if (ok)
    ok = setup_auth (self, &snap->aws, snap->aws_sigv4, snap->aws_service,
        user, password);
  if (ok) {
    options.tls_verify = snap->aws.tls_verify;
    options.ca_file = snap->aws.ca_file;
    options.request_timeout_ms = snap->aws.request_timeout_ms;
    self->state.http = mt_http_client_new (&options);
  }
  if (password != NULL)
    memset (password, 0, strlen (password));
  return ok;
}

static void
release_running_state (GstOpenSearchSink * self)
{
  g_clear_pointer (&self->state.http, mt_http_client_free);
  g_clear_pointer (&self->state.credentials, mt_credentials_provider_free);
  g_clear_object (&self->state.cancellable);
  if (self->state.basic_auth != NULL) {
    memset (self->state.basic_auth, 0, strlen (self->state.basic_auth));
    g_clear_pointer (&self->state.basic_auth, g_free);
  }
  g_clear_pointer (&self->state.base_url, g_free);
  g_clear_pointer (&self->state.index, g_free);
  g_clear_pointer (&self->state.region, g_free);
  self->state.signing_name = NULL;
  g_clear_pointer (&self->state.lines, mt_line_assembler_free);
  g_clear_object (&self->state.parser);
  g_clear_pointer (&self->state.action_prefixes, g_hash_table_unref);
  g_clear_pointer (&self->state.pending, g_ptr_array_unref);
  g_clear_pointer (&self->state.dead, os_dead_letters_free);
}

static void
reset_running_state (GstOpenSearchSink * self)
{
  self->state.cancellable = g_cancellable_new ();
  self->state.parser = json_parser_new_immutable ();
  self->state.action_prefixes = os_action_prefixes_new ();
  self->state.pending = g_ptr_array_new_with_free_func (os_doc_free);
  self->state.pending_bytes = 0;
  self->state.want_send = self->state.draining = FALSE;
  self->state.stopping = self->state.unlocked = FALSE;
  self->state.in_flight = 0;
  self->state.flow = GST_FLOW_OK;
  self->state.n_indexed = self->state.n_retried = self->state.n_requests = 0;
}

/* Reads the properties once (a snapshot): later changes apply at the next
 * start. */
static gboolean
gst_opensearch_sink_start (GstBaseSink * sink)
{
  GstOpenSearchSink *self = GST_OPENSEARCH_SINK (sink);
  Settings snap;
  gboolean ok;

  reset_running_state (self);
  GST_OBJECT_LOCK (self);
  settings_copy (&snap, &self->settings);
  GST_OBJECT_UNLOCK (self);

  ok = apply_settings (self, &snap);
  if (ok)
    self->state.lines = mt_line_assembler_new (self->state.max_bytes);
  ok = self->state.lines != NULL &&
      open_dead_letter (self, snap.dead_letter_location) &&
      (!snap.install_template || install_template (self));
  settings_clear (&snap);
  if (!ok) {
    release_running_state (self);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "indexing into %s, index %s", self->state.base_url,
      self->state.index);
  for (guint i = 0; i < self->state.concurrency; i++) {
    g_ptr_array_add (self->state.senders, g_thread_new ("opensearchsink",
            sender_thread, self));
  }
  return TRUE;
}

static gboolean
gst_opensearch_sink_stop (GstBaseSink * sink)
{
  GstOpenSearchSink *self = GST_OPENSEARCH_SINK (sink);

  g_mutex_lock (&self->state.lock);
  self->state.stopping = TRUE;
  g_cond_broadcast (&self->state.cond);
  g_mutex_unlock (&self->state.lock);
  if (self->state.cancellable != NULL)
    g_cancellable_cancel (self->state.cancellable);
  for (guint i = 0; i < self->state.senders->len; i++)
    g_thread_join (self->state.senders->pdata[i]);
  g_ptr_array_set_size (self->state.senders, 0);
  release_running_state (self);
  return TRUE;
}

static gboolean
gst_opensearch_sink_unlock (GstBaseSink * sink)
{
  GstOpenSearchSink *self = GST_OPENSEARCH_SINK (sink);

  g_mutex_lock (&self->state.lock);
  self->state.unlocked = TRUE;
  g_cond_broadcast (&self->state.cond);
  g_mutex_unlock (&self->state.lock);
  return TRUE;
}

static gboolean
gst_opensearch_sink_unlock_stop (GstBaseSink * sink)
{
  GstOpenSearchSink *self = GST_OPENSEARCH_SINK (sink);

  g_mutex_lock (&self->state.lock);
  self->state.unlocked = FALSE;
  g_mutex_unlock (&self->state.lock);
  return TRUE;
}

/* --- properties --- */

static void
set_secret (gchar ** field, const GValue * value)
{
  wipe_secret (field);
  *field = g_value_dup_string (value);
}

static void
gst_opensearch_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstOpenSearchSink *self = GST_OPENSEARCH_SINK (object);

  GST_OBJECT_LOCK (self);
  if (mt_aws_settings_set_property (&self->settings.aws, PROP_AWS_FIRST,
          prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_URL:
      g_free (self->settings.url);
      self->settings.url = g_value_dup_string (value);
      break;
    case PROP_INDEX:
      g_free (self->settings.index);
      self->settings.index = g_value_dup_string (value);
      if (self->settings.index == NULL)
        self->settings.index = g_strdup (DEFAULT_INDEX);
      break;
    case PROP_USERNAME:
      set_secret (&self->settings.username, value);
      break;
    case PROP_PASSWORD:
      set_secret (&self->settings.password, value);
      break;
    case PROP_AWS_SIGV4:
      self->settings.aws_sigv4 = g_value_get_boolean (value);
      break;
    case PROP_AWS_SERVICE:
      self->settings.aws_service = g_value_get_enum (value);
      break;
    case PROP_BULK_MAX_DOCS:
      self->settings.bulk_max_docs = g_value_get_uint (value);
      break;
    case PROP_BULK_MAX_BYTES:
      self->settings.bulk_max_bytes = g_value_get_uint64 (value);
      break;
    case PROP_FLUSH_INTERVAL:
      self->settings.flush_interval_ms = g_value_get_uint (value);
      break;
    case PROP_BULK_CONCURRENCY:
      self->settings.bulk_concurrency = g_value_get_uint (value);
      break;
    case PROP_DEAD_LETTER_LOCATION:
      g_free (self->settings.dead_letter_location);
      self->settings.dead_letter_location = g_value_dup_string (value);
      break;
    case PROP_INSTALL_TEMPLATE:
      self->settings.install_template = g_value_get_boolean (value);
      break;
    case PROP_ON_ERROR:
      self->settings.on_error = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_opensearch_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstOpenSearchSink *self = GST_OPENSEARCH_SINK (object);

  GST_OBJECT_LOCK (self);
  if (mt_aws_settings_get_property (&self->settings.aws, PROP_AWS_FIRST,
          prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_URL:
      g_value_set_string (value, self->settings.url ? self->settings.url :
          self->settings.aws.endpoint ? self->settings.aws.
          endpoint : DEFAULT_URL);
      break;
    case PROP_INDEX:
      g_value_set_string (value, self->settings.index);
      break;
    case PROP_AWS_SIGV4:
      g_value_set_boolean (value, self->settings.aws_sigv4);
      break;
    case PROP_AWS_SERVICE:
      g_value_set_enum (value, self->settings.aws_service);
      break;
    case PROP_BULK_MAX_DOCS:
      g_value_set_uint (value, self->settings.bulk_max_docs);
      break;
    case PROP_BULK_MAX_BYTES:
      g_value_set_uint64 (value, self->settings.bulk_max_bytes);
      break;
    case PROP_FLUSH_INTERVAL:
      g_value_set_uint (value, self->settings.flush_interval_ms);
      break;
    case PROP_BULK_CONCURRENCY:
      g_value_set_uint (value, self->settings.bulk_concurrency);
      break;
    case PROP_DEAD_LETTER_LOCATION:
      g_value_set_string (value, self->settings.dead_letter_location);
      break;
    case PROP_INSTALL_TEMPLATE:
      g_value_set_boolean (value, self->settings.install_template);
      break;
    case PROP_ON_ERROR:
      g_value_set_enum (value, self->settings.on_error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_opensearch_sink_finalize (GObject * object)
{
  GstOpenSearchSink *self = GST_OPENSEARCH_SINK (object);

  settings_clear (&self->settings);
  g_mutex_clear (&self->state.lock);
  g_cond_clear (&self->state.cond);
  g_ptr_array_unref (self->state.senders);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_opensearch_sink_class_init (GstOpenSearchSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  const GParamFlags wo = G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = gst_opensearch_sink_set_property;
  gobject_class->get_property = gst_opensearch_sink_get_property;
  gobject_class->finalize = gst_opensearch_sink_finalize;

  /**
   * GstOpenSearchSink:url:
   *
   * Base URL of OpenSearch or Elasticsearch, such as
   * `https://search.example.com:9200` or an Amazon OpenSearch domain or
   * Serverless collection endpoint. User info in the URL
   * (`https://user:pass@host`) is used as username and password and is
   * never logged. When unset, the `endpoint` property gives it, then
   * `http://localhost:9200`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_URL,
      g_param_spec_string ("url", "URL",
          "Base URL of OpenSearch or Elasticsearch (user info in it is used "
          "as username and password)", DEFAULT_URL, rw));

  /**
   * GstOpenSearchSink:index:
   *
   * The index to write to. `{analysis}` in it is replaced by each
   * document's `analysis` field (`label`, `face`, ...; `unknown` when it
   * has none), giving one index per analysis type.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INDEX,
      g_param_spec_string ("index", "Index",
          "Index to write to; {analysis} in it gives one index per analysis "
          "type", DEFAULT_INDEX, rw));

  /**
   * GstOpenSearchSink:username:
   *
   * User name for HTTP basic authentication (write-only).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_USERNAME,
      g_param_spec_string ("username", "User name",
          "User name for HTTP basic authentication (write-only)", NULL, wo));

  /**
   * GstOpenSearchSink:password:
   *
   * Password for HTTP basic authentication (write-only: never readable,
   * never logged).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_PASSWORD,
      g_param_spec_string ("password", "Password",
          "Password for HTTP basic authentication (write-only: never "
          "readable, never logged)", NULL, wo));

  /**
   * GstOpenSearchSink:aws-sigv4:
   *
   * Sign requests with AWS SigV4 for Amazon OpenSearch Service or
   * Serverless (see #GstOpenSearchSink:aws-service), with the credentials
   * and region of the common AWS properties and the AWS credential chain.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_AWS_SIGV4,
      g_param_spec_boolean ("aws-sigv4", "AWS SigV4",
          "Sign requests with AWS SigV4 (Amazon OpenSearch Service or "
          "Serverless)", FALSE, rw));

  /**
   * GstOpenSearchSink:aws-service:
   *
   * What aws-sigv4 signs for: `es` (OpenSearch Service domains) or `aoss`
   * (OpenSearch Serverless collections).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_AWS_SERVICE,
      g_param_spec_enum ("aws-service", "AWS service",
          "What aws-sigv4 signs for: es (domains) or aoss (Serverless)",
          GST_TYPE_OPENSEARCH_SINK_AWS_SERVICE, DEFAULT_AWS_SERVICE, rw));

  /**
   * GstOpenSearchSink:bulk-max-docs:
   *
   * Documents per bulk request at most.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_BULK_MAX_DOCS,
      g_param_spec_uint ("bulk-max-docs", "Bulk max documents",
          "Number of documents per bulk request at most", 1, G_MAXINT,
          DEFAULT_BULK_MAX_DOCS, rw));

  /**
   * GstOpenSearchSink:bulk-max-bytes:
   *
   * Bytes per bulk request at most (a single larger document goes alone).
   * Input lines longer than this are not indexed but dead-lettered.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_BULK_MAX_BYTES,
      g_param_spec_uint64 ("bulk-max-bytes", "Bulk max bytes",
          "Bytes per bulk request at most; longer input lines are "
          "dead-lettered", 1024, G_MAXSIZE / 4, DEFAULT_BULK_MAX_BYTES, rw));

  /**
   * GstOpenSearchSink:flush-interval:
   *
   * Milliseconds a document may wait for its batch to fill before the
   * batch is sent anyway (0: only full batches and EOS send).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FLUSH_INTERVAL,
      g_param_spec_uint ("flush-interval", "Flush interval",
          "Milliseconds a document may wait for its batch to fill (0: no "
          "limit)", 0, G_MAXINT, DEFAULT_FLUSH_INTERVAL_MS, rw));

  /**
   * GstOpenSearchSink:bulk-concurrency:
   *
   * Bulk requests in flight at once. With more than one, OpenSearch works
   * on one request while the answer to another is read; documents of
   * different requests may then be indexed in any order (as retried ones
   * always may), which only matters for one id sent twice with different
   * contents.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_BULK_CONCURRENCY,
      g_param_spec_uint ("bulk-concurrency", "Bulk concurrency",
          "Number of bulk requests in flight at once", 1,
          MAX_BULK_CONCURRENCY,
          DEFAULT_BULK_CONCURRENCY, rw));

  /**
   * GstOpenSearchSink:dead-letter-location:
   *
   * File that receives, as JSON lines, each document that could not be
   * indexed, with the reason (`reason`, `status`, `index`, `id`, OpenSearch's
   * `error` object, and the `document`; for an input line that is not a
   * document, its number `line` and its bytes, as `text` when they are
   * UTF-8, else as `base64`). Every dead letter is one JSON object on one
   * line, whatever the input held, so the file can be read back as JSON
   * Lines. Replaced at start.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_DEAD_LETTER_LOCATION,
      g_param_spec_string ("dead-letter-location", "Dead-letter location",
          "File that receives each document not indexed, with the reason, "
          "as JSON lines (replaced at start)", NULL, rw));

  /**
   * GstOpenSearchSink:install-template:
   *
   * Install the mediatag index template for #GstOpenSearchSink:index at
   * start.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INSTALL_TEMPLATE,
      g_param_spec_boolean ("install-template", "Install template",
          "Install the mediatag index template for the index at start",
          DEFAULT_INSTALL_TEMPLATE, rw));

  /**
   * GstOpenSearchSink:on-error:
   *
   * What to do with a document that cannot be indexed: an input line that
   * is not a JSON object, or a document OpenSearch rejects for good.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ON_ERROR,
      g_param_spec_enum ("on-error", "On error",
          "What to do with a document that cannot be indexed",
          GST_TYPE_OPENSEARCH_SINK_ON_ERROR, DEFAULT_ON_ERROR, rw));

  mt_aws_settings_install (gobject_class, PROP_AWS_FIRST);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "OpenSearch sink", "Sink/Network",
      "Bulk-indexes JSON-lines result documents into OpenSearch or "
      "Elasticsearch, under their stable ids",
      "mediatag developers <https://github.com/mediatag/mediatag>");

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_opensearch_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_opensearch_sink_stop);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_opensearch_sink_render);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_opensearch_sink_event);
  basesink_class->unlock = GST_DEBUG_FUNCPTR (gst_opensearch_sink_unlock);
  basesink_class->unlock_stop =
      GST_DEBUG_FUNCPTR (gst_opensearch_sink_unlock_stop);

  gst_type_mark_as_plugin_api (GST_TYPE_OPENSEARCH_SINK_ON_ERROR, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_OPENSEARCH_SINK_AWS_SERVICE, 0);
  GST_DEBUG_CATEGORY_INIT (gst_opensearch_sink_debug, "opensearchsink", 0,
      "OpenSearch bulk indexing sink");
}

static void
gst_opensearch_sink_init (GstOpenSearchSink * self)
{
  settings_init (&self->settings);
  self->state.senders = g_ptr_array_new ();
  g_mutex_init (&self->state.lock);
  g_cond_init (&self->state.cond);
  /* An indexer has no use for the clock: documents go as fast as they come. */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
  gst_base_sink_set_last_sample_enabled (GST_BASE_SINK (self), FALSE);
}
