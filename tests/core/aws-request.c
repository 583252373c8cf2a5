/* aws-request: sends one request through mt_aws_client (credentials chain,
 * SigV4, retries, error decoding) from the command line, for the Python
 * tests of the AWS core and of the elements built on it.
 *
 *   aws-request [OPTION...] METHOD URL [BODY-FILE]
 *   aws-request [OPTION...] --target Service.Operation [JSON-FILE]
 *
 * URL is absolute or a path joined to the endpoint. Prints "status N" and
 * the response body on stdout; on failure, "error DOMAIN CODE SERVICECODE:
 * message" on stderr and exit status 1 (2 for bad usage). Each retry is
 * reported on stderr as "retry N: message". */
#include <gst/gst.h>
#include <stdio.h>
#include <string.h>

#include "awsclient.h"
#include "awserror.h"
#include "core.h"

static gchar *opt_region = NULL;
static gchar *opt_endpoint = NULL;
static gchar *opt_access_key = NULL;
static gchar *opt_secret_key = NULL;
static gchar *opt_session_token = NULL;
static gint opt_retries = -1;
static gint opt_timeout = -1;
static gint opt_backoff = -1;
static gint opt_cancel_after = -1;
static gint opt_repeat = 1;
static gboolean opt_anonymous = FALSE;
static gboolean opt_s3 = FALSE;
static gboolean opt_unsigned = FALSE;
static gboolean opt_stream = FALSE;
static gboolean opt_insecure = FALSE;
static gchar *opt_ca_file = NULL;
static gchar *opt_target = NULL;
static gchar *opt_service = NULL;
static gchar **opt_headers = NULL;

static GOptionEntry entries[] = {
  {"region", 0, 0, G_OPTION_ARG_STRING, &opt_region, "Region", "R"},
  {"endpoint", 0, 0, G_OPTION_ARG_STRING, &opt_endpoint, "Endpoint URL",
      "URL"},
  {"access-key", 0, 0, G_OPTION_ARG_STRING, &opt_access_key, "Access key id",
      "ID"},
  {"secret-key", 0, 0, G_OPTION_ARG_STRING, &opt_secret_key, "Secret key",
      "KEY"},
  {"session-token", 0, 0, G_OPTION_ARG_STRING, &opt_session_token,
      "Session token", "TOKEN"},
  {"retries", 0, 0, G_OPTION_ARG_INT, &opt_retries, "Retries after the first "
        "attempt", "N"},
  {"timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout, "Request timeout", "MS"},
  {"backoff", 0, 0, G_OPTION_ARG_INT, &opt_backoff, "Backoff base", "MS"},
  {"cancel-after", 0, 0, G_OPTION_ARG_INT, &opt_cancel_after,
      "Cancel from another thread after MS; prints the latency", "MS"},
  {"repeat", 0, 0, G_OPTION_ARG_INT, &opt_repeat, "Send N times on one "
        "client (prints each answer)", "N"},
  {"anonymous", 0, 0, G_OPTION_ARG_NONE, &opt_anonymous, "Do not sign", NULL},
  {"s3", 0, 0, G_OPTION_ARG_NONE, &opt_s3, "S3 signing rules", NULL},
  {"unsigned-payload", 0, 0, G_OPTION_ARG_NONE, &opt_unsigned,
      "UNSIGNED-PAYLOAD", NULL},
  {"stream", 0, 0, G_OPTION_ARG_NONE, &opt_stream, "Stream the body", NULL},
  {"insecure", 0, 0, G_OPTION_ARG_NONE, &opt_insecure,
      "Do not verify TLS certificates", NULL},
  {"ca-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_ca_file, "CA bundle", "FILE"},
  {"target", 0, 0, G_OPTION_ARG_STRING, &opt_target,
      "JSON 1.1 call: X-Amz-Target", "T"},
  {"service", 0, 0, G_OPTION_ARG_STRING, &opt_service,
      "s3, rekognition, textract, transcribe, comprehend, sts", "NAME"},
  {"header", 'H', 0, G_OPTION_ARG_STRING_ARRAY, &opt_headers,
      "Request header", "NAME:VALUE"},
  {NULL}
};

typedef struct
{
  GCancellable *cancellable;
  guint after_ms;
  gint64 cancelled_at;
} Canceller;

static gpointer
cancel_later (gpointer data)
{
  Canceller *c = data;

  g_usleep ((gulong) c->after_ms * 1000);
  c->cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (c->cancellable);
  return NULL;
}

static const MtAwsService *
service_by_name (const gchar * name)
{
  static const struct
  {
    const gchar *name;
    const MtAwsService *service;
  } services[] = {
    {"s3", &mt_aws_service_s3},
    {"rekognition", &mt_aws_service_rekognition},
    {"textract", &mt_aws_service_textract},
    {"transcribe", &mt_aws_service_transcribe},
    {"comprehend", &mt_aws_service_comprehend},
    {"sts", &mt_aws_service_sts},
  };

  for (guint i = 0; i < G_N_ELEMENTS (services); i++) {
    if (g_strcmp0 (name, services[i].name) == 0)
      return services[i].service;
  }
  return NULL;
}

static gboolean
print_chunk (const MtHttpResponse * resp, const guint8 * data, gsize len,
    gpointer user_data)
{
  gboolean *printed_status = user_data;

  if (!*printed_status) {
    printf ("status %u\n", resp->status);
    *printed_status = TRUE;
  }
  fwrite (data, 1, len, stdout);
  return TRUE;
}

static void
report_retry (guint attempt, const GError * error, gpointer user_data)
{
  gboolean *printed_status = user_data;

  /* A streamed body starts over after a retry. */
  *printed_status = FALSE;
  g_printerr ("retry %u: %s\n", attempt, error->message);
}

static void
report_error (const GError * error)
{
  const MtAwsErrorDetails *d = mt_aws_error_get_details (error);

  g_printerr ("error %s %d %s: %s\n", g_quark_to_string (error->domain),
      error->code, d && d->code ? d->code : "-", error->message);
}

static void
fill_settings (MtAwsSettings * s)
{
  mt_aws_settings_init (s);
  s->region = g_strdup (opt_region ? opt_region : "us-east-1");
  s->endpoint = g_strdup (opt_endpoint);
  s->access_key = g_strdup (opt_access_key);
  s->secret_key = g_strdup (opt_secret_key);
  s->session_token = g_strdup (opt_session_token);
  s->ca_file = g_strdup (opt_ca_file);
  s->tls_verify = !opt_insecure;
  if (opt_retries >= 0)
    s->retries = opt_retries;
  if (opt_timeout >= 0)
    s->request_timeout_ms = opt_timeout;
}

static gboolean
load_body (const gchar * path, GBytes ** body)
{
  g_autoptr (GError) err = NULL;
  gchar *data;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, &err)) {
    g_printerr ("aws-request: %s\n", err->message);
    return FALSE;
  }
  *body = g_bytes_new_take (data, len);
  return TRUE;
}

static int
run_json_call (MtAwsClient * client, GBytes * body, GCancellable * cancellable)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonObject) out = NULL;
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (GError) err = NULL;
  g_autofree gchar *text = NULL;
  JsonObject *in = NULL;

  if (body && !json_parser_load_from_data (parser,
          g_bytes_get_data (body, NULL), g_bytes_get_size (body), &err)) {
    g_printerr ("aws-request: the request is not JSON: %s\n", err->message);
    return 2;
  }
  if (body)
    in = json_node_get_object (json_parser_get_root (parser));
  out = mt_aws_client_json_call (client, opt_target, in, cancellable, &err);
  if (out == NULL) {
    report_error (err);
    return 1;
  }
  json_node_set_object (node, out);
  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  printf ("status 200\n%s\n", text);
  return 0;
}

static int
run_send (MtAwsClient * client, const gchar * method, const gchar * url,
    GBytes * body, GCancellable * cancellable)
{
  g_autoptr (MtHttpRequest) req = mt_http_request_new (method, url);
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autoptr (GError) err = NULL;
  MtAwsSendOptions opts = { 0, };
  gboolean printed_status = FALSE;
  gboolean ok;

  for (guint i = 0; opt_headers && opt_headers[i]; i++) {
    g_auto (GStrv) kv = g_strsplit (opt_headers[i], ":", 2);
    if (kv[0] && kv[1])
      mt_http_request_set_header (req, g_strstrip (kv[0]), g_strstrip (kv[1]));
  }
  if (body)
    mt_http_request_set_body (req, body);

  opts.payload = opt_unsigned ? MT_SIGV4_PAYLOAD_UNSIGNED :
      MT_SIGV4_PAYLOAD_SIGNED;
  opts.s3 = opt_s3;
  opts.on_retry = report_retry;
  opts.user_data = &printed_status;
  if (opt_stream)
    opts.on_data = print_chunk;

  ok = mt_aws_client_send (client, req, &opts, &resp, cancellable, &err);
  if (resp && !printed_status) {
    printf ("status %u\n", resp->status);
    if (resp->body && g_bytes_get_size (resp->body) > 0)
      fwrite (g_bytes_get_data (resp->body, NULL), 1,
          g_bytes_get_size (resp->body), stdout);
  }
  if (!ok) {
    report_error (err);
    return 1;
  }
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("METHOD URL [BODY]");
  g_autoptr (GError) err = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (MtAwsClient) client = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Canceller canceller = { cancellable, 0, 0 };
  GThread *cancel_thread = NULL;
  MtAwsSettings settings;
  const MtAwsService *service;
  const gchar *body_path;
  gint status = 0;

  gst_init (&argc, &argv);
  mt_core_init ();
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)
      || (!opt_target && argc < 3)) {
    g_printerr ("aws-request: %s\n", err ? err->message :
        "usage: aws-request [OPTION...] METHOD URL [BODY-FILE]");
    return 2;
  }
  service = service_by_name (opt_service ? opt_service :
      (opt_target ? "rekognition" : "s3"));
  if (service == NULL) {
    g_printerr ("aws-request: unknown service %s\n", opt_service);
    return 2;
  }
  body_path = opt_target ? (argc > 1 ? argv[1] : NULL) :
      (argc > 3 ? argv[3] : NULL);
  if (body_path && !load_body (body_path, &body))
    return 2;

  fill_settings (&settings);
  client = mt_aws_client_new (&settings, service, opt_anonymous, &err);
  mt_aws_settings_clear (&settings);
  if (client == NULL) {
    report_error (err);
    return 1;
  }
  if (opt_backoff >= 0)
    mt_aws_client_set_retry_backoff (client, opt_backoff, 20000);

  if (opt_cancel_after >= 0) {
    canceller.after_ms = opt_cancel_after;
    cancel_thread = g_thread_new ("canceller", cancel_later, &canceller);
  }

  for (gint i = 0; i < MAX (opt_repeat, 1); i++) {
    if (opt_target)
      status = run_json_call (client, body, cancellable);
    else
      status = run_send (client, argv[1], argv[2], body, cancellable);
  }

  if (cancel_thread) {
    gint64 returned_at = g_get_monotonic_time ();

    g_thread_join (cancel_thread);
    if (canceller.cancelled_at && canceller.cancelled_at <= returned_at)
      g_printerr ("cancel-latency-ms %" G_GINT64_FORMAT "\n",
          (returned_at - canceller.cancelled_at) / 1000);
  }
  fflush (stdout);
  return status;
}
