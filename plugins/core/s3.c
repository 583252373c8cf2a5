/* S3 helpers shared by the S3 elements and the batch tooling: URIs, URLs,
 * bucket location, HEAD, paginated listing and S3's XML answers. See s3.h. */
#include "s3.h"

#include <string.h>

#include "awserror.h"
#include "core.h"

#define GST_CAT_DEFAULT mt_core_debug

/* ---- URIs and URLs ---- */

gboolean
mt_s3_uri_parse (const gchar * uri, gboolean allow_empty_key,
    gchar ** bucket, gchar ** key, GError ** error)
{
  const gchar *rest, *slash;

  if (uri == NULL || g_ascii_strncasecmp (uri, "s3://", 5) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "'%s' is not an S3 URI: write it as s3://bucket/key",
        uri ? uri : "(null)");
    return FALSE;
  }
  rest = uri + 5;
  slash = strchr (rest, '/');
  if (slash == rest || *rest == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "'%s' names no bucket: write it as s3://bucket/key", uri);
    return FALSE;
  }
  if (!allow_empty_key && (slash == NULL || slash[1] == '\0')) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "'%s' names no object key: write it as s3://bucket/key", uri);
    return FALSE;
  }
  if (!g_utf8_validate (uri, -1, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "S3 URI is not valid UTF-8");
    return FALSE;
  }
  if (bucket)
    *bucket = slash ? g_strndup (rest, slash - rest) : g_strdup (rest);
  if (key)
    *key = g_strdup (slash ? slash + 1 : "");
  return TRUE;
}

gchar *
mt_s3_uri_build (const gchar * bucket, const gchar * key)
{
  return g_strdup_printf ("s3://%s/%s", bucket, key ? key : "");
}

gboolean
mt_s3_bucket_is_dns_compatible (const gchar * bucket, gboolean tls)
{
  gsize len = strlen (bucket);
  const gchar *p;

  if (len < 3 || len > 63)
    return FALSE;
  if (!g_ascii_isalnum (bucket[0]) || !g_ascii_isalnum (bucket[len - 1]))
    return FALSE;
  for (p = bucket; *p; p++) {
    if (g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '-')
      continue;
    if (*p == '.' && !tls && p[1] != '.')
      continue;
    return FALSE;
  }
  return TRUE;
}

static gboolean
endpoint_is_aws (const gchar * host)
{
  return host && (g_str_has_suffix (host, ".amazonaws.com")
      || g_str_has_suffix (host, ".amazonaws.com.cn"));
}

gchar *
mt_s3_build_url (const gchar * endpoint, const gchar * bucket,
    const gchar * key, gboolean path_style, const gchar * query)
{
  g_autoptr (GUri) base = NULL;
  g_autofree gchar *ekey = NULL;
  g_autofree gchar *host = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *port_part = NULL;
  const gchar *scheme, *base_path;
  gboolean tls, v6;
  gint port;

  base = g_uri_parse (endpoint, G_URI_FLAGS_ENCODED, NULL);
  if (base == NULL || g_uri_get_host (base) == NULL)
    return NULL;
  scheme = g_uri_get_scheme (base);
  tls = g_ascii_strcasecmp (scheme, "https") == 0;
  port = g_uri_get_port (base);
  base_path = g_uri_get_path (base);
  if (g_str_has_suffix (base_path, "/"))
    base_path = "";             /* "https://host/" is the same endpoint */
  ekey = mt_uri_encode (key ? key : "", TRUE);

  if (!path_style && mt_s3_bucket_is_dns_compatible (bucket, tls)) {
    host = g_strdup_printf ("%s.%s", bucket, g_uri_get_host (base));
    path = g_strdup_printf ("%s/%s", base_path, ekey);
  } else {
    host = g_strdup (g_uri_get_host (base));
    path = g_strdup_printf ("%s/%s%s%s", base_path, bucket,
        key && *key ? "/" : "", ekey);
  }
  if (port > 0)
    port_part = g_strdup_printf (":%d", port);
  /* Built by hand, not with g_uri_join: the key is already encoded exactly
   * as SigV4 signs it and must not be touched again. */
  v6 = strchr (host, ':') != NULL;
  return g_strconcat (scheme, "://", v6 ? "[" : "", host, v6 ? "]" : "",
      port_part ? port_part : "", path, query && *query ? "?" : "",
      query && *query ? query : "", NULL);
}

/* Finds the single %[flags][width]d of a key template; returns its start
 * and end through the out arguments, FALSE when the template is not valid. */
static gboolean
find_conversion (const gchar * tpl, const gchar ** start, const gchar ** end)
{
  const gchar *p, *q;

  *start = *end = NULL;
  for (p = tpl; *p; p++) {
    if (*p != '%')
      continue;
    if (p[1] == '%') {
      p++;
      continue;
    }
    for (q = p + 1; *q == '0' || *q == '-' || g_ascii_isdigit (*q); q++);
    if (*q != 'd' || *start != NULL)
      return FALSE;
    *start = p;
    *end = q + 1;
    p = q;
  }
  return *start != NULL;
}

gboolean
mt_s3_key_is_template (const gchar * key)
{
  const gchar *s, *e;

  return key && find_conversion (key, &s, &e);
}

static gchar *
unescape_percents (const gchar * s, gsize len)
{
  GString *out = g_string_sized_new (len);
  gsize i;

  for (i = 0; i < len; i++) {
    g_string_append_c (out, s[i]);
    if (s[i] == '%' && i + 1 < len && s[i + 1] == '%')
      i++;
  }
  return g_string_free (out, FALSE);
}

gchar *
mt_s3_format_key (const gchar * key_template, guint index)
{
  const gchar *start, *end;
  g_autofree gchar *head = NULL;
  g_autofree gchar *tail = NULL;
  g_autofree gchar *conv = NULL;
  g_autofree gchar *num = NULL;

  if (!find_conversion (key_template, &start, &end))
    return NULL;
  head = unescape_percents (key_template, start - key_template);
  tail = unescape_percents (end, strlen (end));
  /* Only the validated %[flags][width]d goes to printf, never user text. */
  conv = g_strndup (start, end - start);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  num = g_strdup_printf (conv, index);
#pragma GCC diagnostic pop
  return g_strconcat (head, num, tail, NULL);
}

void
mt_s3_object_free (MtS3Object * obj)
{
  if (obj == NULL)
    return;
  g_free (obj->key);
  g_free (obj->etag);
  g_free (obj->last_modified);
  g_free (obj->content_type);
  g_free (obj->version_id);
  g_free (obj);
}

/* ---- XML ---- */

/* S3's documents are flat and small: the parser tracks the element path
 * and hands each leaf's text to a callback. */
typedef void (*LeafFunc) (const gchar * parent, const gchar * name,
    const gchar * text, gpointer user_data);
typedef void (*CloseFunc) (const gchar * name, gpointer user_data);

typedef struct
{
  GPtrArray *stack;
  GString *text;
  LeafFunc on_leaf;
  CloseFunc on_close;
  gpointer user_data;
} XmlWalk;

static void
xml_start (GMarkupParseContext * ctx, const gchar * name,
    const gchar ** attr_names, const gchar ** attr_values, gpointer user_data,
    GError ** error)
{
  XmlWalk *w = user_data;

  g_ptr_array_add (w->stack, g_strdup (name));
  g_string_truncate (w->text, 0);
}

static void
xml_end (GMarkupParseContext * ctx, const gchar * name, gpointer user_data,
    GError ** error)
{
  XmlWalk *w = user_data;
  const gchar *parent;

  parent = w->stack->len >= 2 ?
      g_ptr_array_index (w->stack, w->stack->len - 2) : NULL;
  if (w->on_leaf)
    w->on_leaf (parent, name, w->text->str, w->user_data);
  if (w->on_close)
    w->on_close (name, w->user_data);
  g_string_truncate (w->text, 0);
  g_ptr_array_remove_index (w->stack, w->stack->len - 1);
}

static void
xml_text (GMarkupParseContext * ctx, const gchar * text, gsize len,
    gpointer user_data, GError ** error)
{
  XmlWalk *w = user_data;

  g_string_append_len (w->text, text, len);
}

static gboolean
xml_walk (GBytes * xml, LeafFunc on_leaf, CloseFunc on_close,
    gpointer user_data, GError ** error)
{
  static const GMarkupParser parser = { xml_start, xml_end, xml_text };
  g_autoptr (GMarkupParseContext) ctx = NULL;
  XmlWalk w = { g_ptr_array_new_with_free_func (g_free), g_string_new (NULL),
    on_leaf, on_close, user_data
  };
  gsize len = 0;
  const gchar *data = xml ? g_bytes_get_data (xml, &len) : NULL;
  gboolean ok;

  ctx = g_markup_parse_context_new (&parser, 0, &w, NULL);
  ok = data != NULL && g_markup_parse_context_parse (ctx, data, len, error)
      && g_markup_parse_context_end_parse (ctx, error);
  if (data == NULL)
    g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_EMPTY,
        "S3 sent an empty answer where an XML document was expected");
  g_ptr_array_unref (w.stack);
  g_string_free (w.text, TRUE);
  return ok;
}

typedef struct
{
  const gchar *name;
  gchar *found;
} XmlFind;

static void
find_leaf (const gchar * parent, const gchar * name, const gchar * text,
    gpointer user_data)
{
  XmlFind *f = user_data;

  if (f->found == NULL && strcmp (name, f->name) == 0)
    f->found = g_strdup (text);
}

gchar *
mt_s3_xml_find (GBytes * xml, const gchar * name)
{
  XmlFind f = { name, NULL };

  xml_walk (xml, find_leaf, NULL, &f, NULL);
  return f.found;
}

GError *
mt_s3_xml_error (GBytes * xml)
{
  g_autofree gchar *code = NULL;
  g_autofree gchar *message = NULL;
  g_autofree gchar *request_id = NULL;
  gsize len = 0;
  const gchar *data = xml ? g_bytes_get_data (xml, &len) : NULL;
  MtAwsErrorCode kind;

  /* Cheap test first: a success document never holds an <Error> root. */
  if (data == NULL || g_strstr_len (data, MIN (len, 512), "<Error>") == NULL)
    return NULL;
  code = mt_s3_xml_find (xml, "Code");
  message = mt_s3_xml_find (xml, "Message");
  request_id = mt_s3_xml_find (xml, "RequestId");
  kind = g_strcmp0 (code, "InternalError") == 0 ? MT_AWS_ERROR_SERVER :
      g_strcmp0 (code, "SlowDown") == 0 ? MT_AWS_ERROR_THROTTLED :
      MT_AWS_ERROR_FAILED;
  return g_error_new (MT_AWS_ERROR, kind, "%s: %s (HTTP 200, request id %s)",
      code ? code : "Error", message ? message : "no message",
      request_id ? request_id : "unknown");
}

/* ---- the client ---- */

struct _MtS3Client
{
  MtAwsSettings settings;
  gboolean anonymous;
  gboolean path_style;
  MtAwsClient *aws;
};

static gboolean
client_connect (MtS3Client * c, GError ** error)
{
  g_autoptr (GUri) uri = NULL;

  g_clear_pointer (&c->aws, mt_aws_client_free);
  c->aws = mt_aws_client_new (&c->settings, &mt_aws_service_s3, c->anonymous,
      error);
  if (c->aws == NULL)
    return FALSE;
  uri = g_uri_parse (mt_aws_client_get_endpoint (c->aws), G_URI_FLAGS_NONE,
      NULL);
  if (uri == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "The S3 endpoint '%s' is not a URL: write it as https://host[:port]",
        mt_aws_client_get_endpoint (c->aws));
    return FALSE;
  }
  /* Emulators and S3-compatible stores rarely resolve bucket host names. */
  if (!endpoint_is_aws (g_uri_get_host (uri)))
    c->path_style = TRUE;
  GST_DEBUG ("S3 client: endpoint %s, region %s, %s style",
      mt_aws_client_get_endpoint (c->aws), mt_aws_client_get_region (c->aws),
      c->path_style ? "path" : "virtual-hosted");
  return TRUE;
}

MtS3Client *
mt_s3_client_new (const MtAwsSettings * settings, gboolean anonymous,
    gboolean path_style, GError ** error)
{
  g_autoptr (MtS3Client) c = g_new0 (MtS3Client, 1);

  mt_aws_settings_init (&c->settings);
  mt_aws_settings_copy (&c->settings, settings);
  c->anonymous = anonymous;
  c->path_style = path_style;
  if (!client_connect (c, error))
    return NULL;
  return g_steal_pointer (&c);
}

void
mt_s3_client_free (MtS3Client * client)
{
  if (client == NULL)
    return;
  g_clear_pointer (&client->aws, mt_aws_client_free);
  mt_aws_settings_clear (&client->settings);
  g_free (client);
}

MtS3Client *
mt_s3_client_new_for_streaming (MtS3Client * client, GError ** error)
{
  g_autoptr (MtS3Client) c = g_new0 (MtS3Client, 1);

  mt_aws_settings_init (&c->settings);
  mt_aws_settings_copy (&c->settings, &client->settings);
  c->settings.retries = 0;
  c->settings.request_timeout_ms = 0;
  c->anonymous = client->anonymous;
  c->path_style = client->path_style;
  if (!client_connect (c, error))
    return NULL;
  return g_steal_pointer (&c);
}

const MtAwsSettings *
mt_s3_client_get_settings (MtS3Client * client)
{
  return &client->settings;
}

MtAwsClient *
mt_s3_client_get_aws (MtS3Client * client)
{
  return client->aws;
}

const gchar *
mt_s3_client_get_region (MtS3Client * client)
{
  return mt_aws_client_get_region (client->aws);
}

gchar *
mt_s3_client_url (MtS3Client * client, const gchar * bucket,
    const gchar * key, const gchar * query)
{
  return mt_s3_build_url (mt_aws_client_get_endpoint (client->aws), bucket,
      key, client->path_style, query);
}

static gboolean
s3_send (MtS3Client * c, MtHttpRequest * req, MtHttpResponse ** resp,
    GCancellable * cancellable, GError ** error)
{
  MtAwsSendOptions opts = { 0, };

  opts.payload = MT_SIGV4_PAYLOAD_SIGNED;
  opts.s3 = TRUE;
  return mt_aws_client_send (c->aws, req, &opts, resp, cancellable, error);
}

/* The region S3 says the bucket is in, from a failed response, when it is
 * not the client's (S3 names the region on many answers, a 403 included). */
static gchar *
region_hint (MtS3Client * c, const GError * error, const MtHttpResponse * resp)
{
  const MtAwsErrorDetails *d = mt_aws_error_get_details (error);
  const gchar *h = NULL;

  if (d && d->region_hint && *d->region_hint)
    h = d->region_hint;
  else if (resp)
    h = mt_http_response_get_header (resp, "x-amz-bucket-region");
  if (h == NULL || *h == '\0'
      || g_strcmp0 (h, mt_aws_client_get_region (c->aws)) == 0)
    return NULL;
  return g_strdup (h);
}

/* A HEAD answer has no body, so its error has no service code: ask again
 * with a GET whose error body names the problem, and keep the better one. */
static void
name_head_error (MtS3Client * c, const gchar * bucket, const gchar * key,
    const gchar * query, GCancellable * cancellable, GError ** error)
{
  g_autoptr (MtHttpRequest) req = NULL;
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autoptr (GError) named = NULL;
  g_autofree gchar *url = NULL;
  const MtAwsErrorDetails *d;

  if ((*error)->domain != MT_AWS_ERROR)
    return;
  d = mt_aws_error_get_details (*error);
  if (d == NULL || d->http_status < 400 || d->http_status >= 500)
    return;
  url = mt_s3_client_url (c, bucket, key, query);
  req = mt_http_request_new ("GET", url);
  if (key)
    mt_http_request_set_header (req, "Range", "bytes=0-0");
  if (s3_send (c, req, &resp, cancellable, &named))
    return;
  d = mt_aws_error_get_details (named);
  if (named->domain == MT_AWS_ERROR && d && d->code && *d->code) {
    g_clear_error (error);
    *error = g_steal_pointer (&named);
  }
}

static gboolean
head (MtS3Client * c, const gchar * bucket, const gchar * key,
    const gchar * query, MtHttpResponse ** resp, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (MtHttpRequest) req = NULL;
  g_autofree gchar *url = mt_s3_client_url (c, bucket, key, query);

  req = mt_http_request_new ("HEAD", url);
  return s3_send (c, req, resp, cancellable, error);
}

/* Moves the client to the region S3 named, when it may: an endpoint the
 * user configured is theirs to change. */
static gboolean
follow_region (MtS3Client * c, const gchar * bucket, const gchar * hint,
    GError ** error)
{
  g_autoptr (GUri) uri = g_uri_parse (mt_aws_client_get_endpoint (c->aws),
      G_URI_FLAGS_NONE, NULL);
  gboolean aws = uri && endpoint_is_aws (g_uri_get_host (uri));

  if (!aws || c->settings.endpoint != NULL) {
    g_prefix_error (error, "Bucket '%s' is in region %s, not %s: set "
        "region=%s. ", bucket, hint, mt_aws_client_get_region (c->aws), hint);
    return FALSE;
  }
  GST_INFO ("bucket %s is in region %s, not %s: following", bucket, hint,
      mt_aws_client_get_region (c->aws));
  g_clear_error (error);
  g_free (c->settings.region);
  c->settings.region = g_strdup (hint);
  return client_connect (c, error);
}

gboolean
mt_s3_client_locate_bucket (MtS3Client * client, const gchar * bucket,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *hint = NULL;

  if (head (client, bucket, NULL, NULL, &resp, cancellable, &err))
    return TRUE;
  hint = region_hint (client, err, resp);
  if (hint && follow_region (client, bucket, hint, &err)) {
    g_clear_pointer (&resp, mt_http_response_free);
    if (head (client, bucket, NULL, NULL, &resp, cancellable, &err))
      return TRUE;
  }
  name_head_error (client, bucket, NULL, "list-type=2&max-keys=1",
      cancellable, &err);
  g_propagate_error (error, g_steal_pointer (&err));
  return FALSE;
}

MtS3Object *
mt_s3_object_from_response (const gchar * key, const MtHttpResponse * resp)
{
  MtS3Object *obj = g_new0 (MtS3Object, 1);
  const gchar *len = mt_http_response_get_header (resp, "Content-Length");

  obj->key = g_strdup (key);
  obj->size = len ? g_ascii_strtoull (len, NULL, 10) : 0;
  obj->etag = g_strdup (mt_http_response_get_header (resp, "ETag"));
  obj->last_modified =
      g_strdup (mt_http_response_get_header (resp, "Last-Modified"));
  obj->content_type =
      g_strdup (mt_http_response_get_header (resp, "Content-Type"));
  obj->version_id =
      g_strdup (mt_http_response_get_header (resp, "x-amz-version-id"));
  return obj;
}

MtS3Object *
mt_s3_client_head_object (MtS3Client * client, const gchar * bucket,
    const gchar * key, const gchar * version_id, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *query = NULL;
  g_autofree gchar *hint = NULL;

  if (version_id && *version_id) {
    g_autofree gchar *v = mt_uri_encode (version_id, FALSE);
    query = g_strdup_printf ("versionId=%s", v);
  }
  if (head (client, bucket, key, query, &resp, cancellable, &err))
    return mt_s3_object_from_response (key, resp);
  hint = region_hint (client, err, resp);
  if (hint && follow_region (client, bucket, hint, &err)) {
    g_clear_pointer (&resp, mt_http_response_free);
    if (head (client, bucket, key, query, &resp, cancellable, &err))
      return mt_s3_object_from_response (key, resp);
  }
  name_head_error (client, bucket, key, query, cancellable, &err);
  g_propagate_error (error, g_steal_pointer (&err));
  return NULL;
}

/* ---- errors ---- */

static const gchar *
error_code (const GError * error)
{
  const MtAwsErrorDetails *d = mt_aws_error_get_details (error);

  return d && d->code ? d->code : "";
}

static gchar *
describe_aws (const GError * error, const gchar * bucket, const gchar * key,
    gint * res)
{
  const gchar *code = error_code (error);
  const MtAwsErrorDetails *d = mt_aws_error_get_details (error);

  if (strcmp (code, "NoSuchBucket") == 0)
    return g_strdup_printf ("The bucket '%s' does not exist: check its name "
        "(and the endpoint)", bucket);
  if (strcmp (code, "NoSuchVersion") == 0)
    return g_strdup_printf ("s3://%s/%s has no such version", bucket, key);
  if (strcmp (code, "NoSuchKey") == 0 || (d && d->http_status == 404
          && error->code == MT_AWS_ERROR_NOT_FOUND && key && *key))
    return g_strdup_printf ("There is no object '%s' in bucket '%s'", key,
        bucket);
  if (strcmp (code, "PreconditionFailed") == 0) {
    *res = GST_RESOURCE_ERROR_READ;
    return g_strdup_printf ("s3://%s/%s changed while it was being read (its "
        "ETag no longer matches), so reading stopped rather than mix two "
        "versions: read it again", bucket, key);
  }
  if (error->code == MT_AWS_ERROR_AUTH || strcmp (code,
          "SignatureDoesNotMatch") == 0
      || strcmp (code, "InvalidAccessKeyId") == 0) {
    *res = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    return g_strdup ("S3 rejected the AWS credentials: check the access key, "
        "secret key and session token (or the profile) in use");
  }
  if (error->code == MT_AWS_ERROR_ACCESS_DENIED) {
    *res = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    return g_strdup_printf ("Access to s3://%s/%s was denied: the identity "
        "in use lacks permission for it", bucket, key ? key : "");
  }
  if (error->code == MT_AWS_ERROR_NO_CREDENTIALS) {
    *res = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    return g_strdup ("No AWS credentials were found: set access-key and "
        "secret-key, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a "
        "profile (or anonymous=true for a public bucket)");
  }
  if (error->code == MT_AWS_ERROR_CONFIG) {
    *res = GST_RESOURCE_ERROR_SETTINGS;
    return g_strdup ("The AWS settings are incomplete or wrong");
  }
  if (error->code == MT_AWS_ERROR_NETWORK) {
    *res = GST_RESOURCE_ERROR_OPEN_READ_WRITE;
    return g_strdup ("Could not reach the S3 endpoint: check the endpoint "
        "and the network");
  }
  *res = GST_RESOURCE_ERROR_FAILED;
  return g_strdup_printf ("The S3 request on s3://%s/%s failed", bucket,
      key ? key : "");
}

/* The sentence alone; *own_words: the error's message is mediatag's own
 * (a bad setting), not the service's, so the user needs it too. */
static gchar *
describe_sentence (const GError * error, const gchar * bucket,
    const gchar * key, gint * res, gboolean * own_words)
{
  *own_words = FALSE;
  if (error->domain == MT_AWS_ERROR) {
    *res = GST_RESOURCE_ERROR_NOT_FOUND;
    *own_words = error->code == MT_AWS_ERROR_CONFIG;
    return describe_aws (error, bucket, key, res);
  }
  if (error->domain == G_IO_ERROR
      && error->code == G_IO_ERROR_INVALID_ARGUMENT) {
    *res = GST_RESOURCE_ERROR_SETTINGS;
    *own_words = TRUE;
    return g_strdup ("The S3 location is not valid");
  }
  if (error->domain == G_IO_ERROR) {
    *res = GST_RESOURCE_ERROR_OPEN_READ_WRITE;
    return g_strdup ("Could not reach the S3 endpoint: check the "
        "endpoint and the network");
  }
  *res = GST_RESOURCE_ERROR_FAILED;
  return g_strdup_printf ("The S3 request on s3://%s/%s failed",
      bucket, key ? key : "");
}

gchar *
mt_s3_error_describe (const GError * error, const gchar * bucket,
    const gchar * key, gint * resource_error)
{
  gint res;
  gboolean own_words;
  g_autofree gchar *sentence = describe_sentence (error, bucket, key, &res,
      &own_words);

  if (resource_error)
    *resource_error = res;
  return g_strdup_printf ("%s (%s)", sentence, error->message);
}

void
mt_s3_element_error (GstElement * element, const GError * error,
    const gchar * bucket, const gchar * key)
{
  gint res;
  gboolean own_words;
  g_autofree gchar *sentence = describe_sentence (error, bucket ? bucket : "",
      key, &res, &own_words);
  gchar *text = own_words ? g_strdup_printf ("%s: %s.", sentence,
      error->message) : g_strdup_printf ("%s.", sentence);
  /* The service's code, HTTP status and request id (awserror.h). */
  gchar *debug = g_strdup_printf ("s3://%s/%s: %s", bucket ? bucket : "",
      key ? key : "", error->message);

  /* What GST_ELEMENT_ERROR expands to, with the code chosen at run time. */
  gst_element_message_full (element, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
      res, text, debug, __FILE__, G_STRFUNC, __LINE__);
}

/* ---- ListObjectsV2 ---- */

typedef struct
{
  GPtrArray *objects;
  MtS3Object *current;
  gboolean url_encoded;
  gboolean truncated;
  gchar *next_token;
} ListPage;

static gchar *
list_decode (ListPage * page, const gchar * text)
{
  /* With encoding-type=url, keys of any bytes survive the XML. */
  return page->url_encoded ? g_uri_unescape_string (text, NULL) :
      g_strdup (text);
}

static void
list_leaf (const gchar * parent, const gchar * name, const gchar * text,
    gpointer user_data)
{
  ListPage *page = user_data;
  MtS3Object *o = page->current;

  if (g_strcmp0 (parent, "Contents") == 0 && o != NULL) {
    if (strcmp (name, "Key") == 0)
      o->key = list_decode (page, text);
    else if (strcmp (name, "Size") == 0)
      o->size = g_ascii_strtoull (text, NULL, 10);
    else if (strcmp (name, "ETag") == 0)
      o->etag = g_strdup (text);
    else if (strcmp (name, "LastModified") == 0)
      o->last_modified = g_strdup (text);
  } else if (g_strcmp0 (parent, "ListBucketResult") == 0) {
    if (strcmp (name, "IsTruncated") == 0)
      page->truncated = g_ascii_strcasecmp (text, "true") == 0;
    else if (strcmp (name, "NextContinuationToken") == 0)
      page->next_token = g_strdup (text);
    else if (strcmp (name, "EncodingType") == 0)
      page->url_encoded = strcmp (text, "url") == 0;
  }
}

static void
list_close (const gchar * name, gpointer user_data)
{
  ListPage *page = user_data;

  if (strcmp (name, "Contents") != 0 || page->current == NULL)
    return;
  if (page->current->key)
    g_ptr_array_add (page->objects, page->current);
  else
    mt_s3_object_free (page->current);
  page->current = NULL;
}

static void
list_start_contents (GMarkupParseContext * ctx, const gchar * name,
    const gchar ** an, const gchar ** av, gpointer user_data, GError ** error)
{
  XmlWalk *w = user_data;
  ListPage *page = w->user_data;

  xml_start (ctx, name, an, av, user_data, error);
  if (strcmp (name, "Contents") == 0 && page->current == NULL)
    page->current = g_new0 (MtS3Object, 1);
}

static gboolean
list_parse (GBytes * xml, ListPage * page, GError ** error)
{
  static const GMarkupParser parser = { list_start_contents, xml_end,
    xml_text
  };
  g_autoptr (GMarkupParseContext) ctx = NULL;
  XmlWalk w = { g_ptr_array_new_with_free_func (g_free), g_string_new (NULL),
    list_leaf, list_close, page
  };
  gsize len = 0;
  const gchar *data = xml ? g_bytes_get_data (xml, &len) : "";
  gboolean ok;

  /* EncodingType comes after the keys in S3's answers, so decide first. */
  page->url_encoded = g_strstr_len (data, len,
      "<EncodingType>url</EncodingType>") != NULL;
  ctx = g_markup_parse_context_new (&parser, 0, &w, NULL);
  ok = g_markup_parse_context_parse (ctx, data, len, error)
      && g_markup_parse_context_end_parse (ctx, error);
  g_clear_pointer (&page->current, mt_s3_object_free);
  g_ptr_array_unref (w.stack);
  g_string_free (w.text, TRUE);
  return ok;
}

static gchar *
list_query (const gchar * prefix, guint page_size, const gchar * token)
{
  GString *q = g_string_new ("list-type=2&encoding-type=url");

  /* Query parameters in SigV4's canonical (sorted) order is not required:
   * the signer sorts; this order is just readable. */
  if (page_size)
    g_string_append_printf (q, "&max-keys=%u", page_size);
  if (prefix && *prefix) {
    g_autofree gchar *p = mt_uri_encode (prefix, FALSE);
    g_string_append_printf (q, "&prefix=%s", p);
  }
  if (token) {
    g_autofree gchar *t = mt_uri_encode (token, FALSE);
    g_string_append_printf (q, "&continuation-token=%s", t);
  }
  return g_string_free (q, FALSE);
}

/* One ListObjectsV2 request: the page's objects into `objects`, the
 * continuation token (NULL on the last page) into *token. */
static gboolean
list_page (MtS3Client * client, const gchar * bucket, const gchar * prefix,
    guint page_size, GPtrArray * objects, gchar ** token,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (MtHttpRequest) req = NULL;
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autofree gchar *query = list_query (prefix, page_size, *token);
  g_autofree gchar *url = mt_s3_client_url (client, bucket, NULL, query);
  ListPage page = { objects, NULL, FALSE, FALSE, NULL };

  g_clear_pointer (token, g_free);
  req = mt_http_request_new ("GET", url);
  if (!s3_send (client, req, &resp, cancellable, error))
    return FALSE;
  if (!list_parse (resp->body, &page, error)) {
    g_prefix_error (error, "Listing s3://%s/%s: ", bucket,
        prefix ? prefix : "");
    g_free (page.next_token);
    return FALSE;
  }
  if (!page.truncated) {
    g_free (page.next_token);
    return TRUE;
  }
  if (page.next_token == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "Listing s3://%s/%s: S3 said the list goes on but gave no "
        "continuation token", bucket, prefix ? prefix : "");
    return FALSE;
  }
  *token = page.next_token;
  return TRUE;
}

gboolean
mt_s3_client_list_pages (MtS3Client * client, const gchar * bucket,
    const gchar * prefix, guint page_size, MtS3ListPageFunc on_page,
    gpointer user_data, GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *token = NULL;
  guint pages = 0;

  do {
    g_autoptr (GPtrArray) objects =
        g_ptr_array_new_with_free_func ((GDestroyNotify) mt_s3_object_free);

    if (!list_page (client, bucket, prefix, page_size, objects, &token,
            cancellable, error))
      return FALSE;
    pages++;
    if (!on_page (objects, user_data, error))
      return FALSE;
  } while (token);
  GST_DEBUG ("listed s3://%s/%s in %u pages", bucket, prefix ? prefix : "",
      pages);
  return TRUE;
}

static gboolean
gather_page (GPtrArray * objects, gpointer user_data, GError ** error)
{
  GPtrArray *all = user_data;

  g_ptr_array_extend_and_steal (all, g_ptr_array_ref (objects));
  /* The objects move to `all`; the page array is left empty. */
  return TRUE;
}

GPtrArray *
mt_s3_client_list_objects (MtS3Client * client, const gchar * bucket,
    const gchar * prefix, guint page_size, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (GPtrArray) objects =
      g_ptr_array_new_with_free_func ((GDestroyNotify) mt_s3_object_free);

  if (!mt_s3_client_list_pages (client, bucket, prefix, page_size,
          gather_page, objects, cancellable, error))
    return NULL;
  return g_steal_pointer (&objects);
}

/* ---- GetObject, PutObject, DeleteObject ---- */

static gboolean
object_send (MtS3Client * c, MtHttpRequest * req, const gchar * action,
    MtHttpResponse ** resp, GCancellable * cancellable, GError ** error)
{
  MtAwsSendOptions opts = { 0, };

  opts.payload = MT_SIGV4_PAYLOAD_SIGNED;
  opts.s3 = TRUE;
  opts.action = action;
  return mt_aws_client_send (c->aws, req, &opts, resp, cancellable, error);
}

GBytes *
mt_s3_client_get_object (MtS3Client * client, const gchar * bucket,
    const gchar * key, gsize max_size, gchar ** etag,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *url = mt_s3_client_url (client, bucket, key, NULL);
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", url);
  g_autoptr (MtHttpResponse) resp = NULL;
  gsize len;

  if (!object_send (client, req, "GetObject", &resp, cancellable, error))
    return NULL;
  len = resp->body ? g_bytes_get_size (resp->body) : 0;
  if (len > max_size) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_INVALID,
        "s3://%s/%s is %" G_GSIZE_FORMAT " bytes, more than the %"
        G_GSIZE_FORMAT " expected", bucket, key, len, max_size);
    return NULL;
  }
  if (etag)
    *etag = g_strdup (mt_http_response_get_header (resp, "ETag"));
  return resp->body ? g_bytes_ref (resp->body) : g_bytes_new (NULL, 0);
}

gboolean
mt_s3_response_size (const MtHttpResponse * resp, guint64 * size)
{
  const gchar *cr = mt_http_response_get_header (resp, "Content-Range");
  const gchar *len = mt_http_response_get_header (resp, "Content-Length");
  const gchar *total = cr ? strchr (cr, '/') : NULL;
  const gchar *digits = resp->status == 206 ? (total ? total + 1 : NULL) : len;
  gchar *end = NULL;

  if (digits == NULL || !g_ascii_isdigit (*digits))
    return FALSE;
  *size = g_ascii_strtoull (digits, &end, 10);
  return end != digits && *end == '\0';
}

/* What one suffix-range GET brings: its last bytes, however the server
 * sends them. */
typedef struct
{
  GByteArray *tail;
  gsize tail_size;
  guint64 received;
} Tail;

static gboolean
tail_on_data (const MtHttpResponse * resp, const guint8 * data, gsize len,
    gpointer user_data)
{
  Tail *t = user_data;
  gsize keep = MIN (len, t->tail_size);

  /* A server that ignores Range sends everything: keep only the end. */
  t->received += len;
  g_byte_array_append (t->tail, data + len - keep, keep);
  if (t->tail->len > t->tail_size)
    g_byte_array_remove_range (t->tail, 0, t->tail->len - t->tail_size);
  return TRUE;
}

static void
tail_on_retry (guint attempt, const GError * error, gpointer user_data)
{
  Tail *t = user_data;

  g_byte_array_set_size (t->tail, 0);
  t->received = 0;
}

static gboolean
tail_send (MtS3Client * c, MtHttpRequest * req, Tail * t,
    MtHttpResponse ** resp, GCancellable * cancellable, GError ** error)
{
  MtAwsSendOptions opts = { 0, };

  opts.payload = MT_SIGV4_PAYLOAD_SIGNED;
  opts.s3 = TRUE;
  opts.action = "GetObject";
  opts.on_data = tail_on_data;
  opts.on_retry = tail_on_retry;
  opts.user_data = t;
  tail_on_retry (0, NULL, t);
  g_clear_pointer (resp, mt_http_response_free);
  return mt_aws_client_send (c->aws, req, &opts, resp, cancellable, error);
}

/* An empty object has no suffix to give: S3 answers 416 InvalidRange,
 * with the size, 0, in Content-Range ("bytes *" "/0") or in the error's
 * ActualObjectSize. */
static gboolean
tail_of_empty (const GError * error, const MtHttpResponse * resp)
{
  const MtAwsErrorDetails *d = mt_aws_error_get_details (error);
  const gchar *cr;
  g_autofree gchar *actual = NULL;

  if (resp == NULL || d == NULL || d->http_status != 416)
    return FALSE;
  cr = mt_http_response_get_header (resp, "Content-Range");
  if (cr)
    return strcmp (cr, "bytes */0") == 0;
  actual = resp->body ? mt_s3_xml_find (resp->body, "ActualObjectSize") : NULL;
  return g_strcmp0 (actual, "0") == 0;
}

/* The object's size from a suffix-range answer that brought `received`
 * bytes: a 206's Content-Range "bytes first-last/total" must end the
 * object; a 200 (Range ignored) sent it all. */
static gboolean
tail_size_of (const MtHttpResponse * resp, guint64 received, guint64 * total)
{
  const gchar *cr = mt_http_response_get_header (resp, "Content-Range");

  if (resp->status == 200) {
    *total = received;
    return TRUE;
  }
  if (resp->status != 206 || cr == NULL || !g_str_has_prefix (cr, "bytes ")
      || !g_ascii_isdigit (cr[6]) || !mt_s3_response_size (resp, total))
    return FALSE;
  return received <= *total
      && g_ascii_strtoull (cr + 6, NULL, 10) == *total - received;
}

GBytes *
mt_s3_client_get_tail (MtS3Client * client, const gchar * bucket,
    const gchar * key, gsize tail_size, guint64 * size,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *url = mt_s3_client_url (client, bucket, key, NULL);
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", url);
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  g_autoptr (GError) err = NULL;
  g_autofree gchar *range = NULL;
  g_autofree gchar *hint = NULL;
  Tail t = { bytes, tail_size, 0 };
  guint64 total;
  gboolean ok;

  g_return_val_if_fail (tail_size > 0, NULL);
  range = g_strdup_printf ("bytes=-%" G_GSIZE_FORMAT, tail_size);
  mt_http_request_set_header (req, "Range", range);
  ok = tail_send (client, req, &t, &resp, cancellable, &err);
  if (!ok && (hint = region_hint (client, err, resp))
      && follow_region (client, bucket, hint, &err)) {
    g_free (url);
    url = mt_s3_client_url (client, bucket, key, NULL);
    g_clear_pointer (&req, mt_http_request_free);
    req = mt_http_request_new ("GET", url);
    mt_http_request_set_header (req, "Range", range);
    ok = tail_send (client, req, &t, &resp, cancellable, &err);
  }
  if (!ok && tail_of_empty (err, resp)) {
    *size = 0;
    return g_bytes_new (NULL, 0);
  }
  if (!ok) {
    g_propagate_error (error, g_steal_pointer (&err));
    return NULL;
  }
  if (!tail_size_of (resp, t.received, &total)) {
    const gchar *cr = mt_http_response_get_header (resp, "Content-Range");

    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "S3 answered the last %" G_GSIZE_FORMAT " bytes of s3://%s/%s with "
        "HTTP %u, %" G_GUINT64_FORMAT " bytes and '%s'", tail_size, bucket,
        key, resp->status, t.received, cr ? cr : "no Content-Range");
    return NULL;
  }
  *size = total;
  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

gboolean
mt_s3_client_put_object (MtS3Client * client, const gchar * bucket,
    const gchar * key, GBytes * body, const MtS3PutOptions * options,
    gchar ** etag, GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *url = mt_s3_client_url (client, bucket, key, NULL);
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("PUT", url);
  g_autoptr (MtHttpResponse) resp = NULL;

  if (options && options->content_type)
    mt_http_request_set_header (req, "Content-Type", options->content_type);
  if (options && options->if_none_match)
    mt_http_request_set_header (req, "If-None-Match", options->if_none_match);
  if (options && options->if_match)
    mt_http_request_set_header (req, "If-Match", options->if_match);
  mt_http_request_set_body (req, body);
  if (!object_send (client, req, "PutObject", &resp, cancellable, error))
    return FALSE;
  if (etag)
    *etag = g_strdup (mt_http_response_get_header (resp, "ETag"));
  return TRUE;
}

gboolean
mt_s3_client_delete_object (MtS3Client * client, const gchar * bucket,
    const gchar * key, GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *url = mt_s3_client_url (client, bucket, key, NULL);
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("DELETE", url);

  return object_send (client, req, "DeleteObject", NULL, cancellable, error);
}

#define MIN_PART_SIZE (5 * 1024 * 1024)
#define DEFAULT_PART_SIZE (8 * 1024 * 1024)

typedef struct {
  MtS3Client *client;
  const gchar *bucket;
  const gchar *key;
  gchar *upload_id;
  GString *complete;            /* the CompleteMultipartUpload body */
  GCancellable *cancellable;
} Upload;

static gchar *
upload_url (Upload * u, guint part)
{
  g_autofree gchar *id = mt_uri_encode (u->upload_id, FALSE);
  g_autofree gchar *q = part ? g_strdup_printf ("partNumber=%u&uploadId=%s",
      part, id) : g_strdup_printf ("uploadId=%s", id);

  return mt_s3_client_url (u->client, u->bucket, u->key, q);
}

static gboolean
upload_create (Upload * u, const gchar * content_type, GError ** error)
{
  g_autofree gchar *url = mt_s3_client_url (u->client, u->bucket, u->key,
      "uploads=");
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("POST", url);
  g_autoptr (MtHttpResponse) resp = NULL;

  if (content_type)
    mt_http_request_set_header (req, "Content-Type", content_type);
  if (!object_send (u->client, req, "CreateMultipartUpload", &resp,
          u->cancellable, error))
    return FALSE;
  u->upload_id = mt_s3_xml_find (resp->body, "UploadId");
  if (u->upload_id == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "CreateMultipartUpload answered without an UploadId");
    return FALSE;
  }
  return TRUE;
}

static gboolean
upload_part (Upload * u, guint number, GBytes * body, GError ** error)
{
  g_autofree gchar *url = upload_url (u, number);
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("PUT", url);
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autofree gchar *etag = NULL;

  mt_http_request_set_body (req, body);
  if (!object_send (u->client, req, "UploadPart", &resp, u->cancellable,
          error))
    return FALSE;
  if (mt_http_response_get_header (resp, "ETag") == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "UploadPart %u answered without an ETag", number);
    return FALSE;
  }
  etag = g_markup_escape_text (mt_http_response_get_header (resp, "ETag"),
      -1);
  g_string_append_printf (u->complete, "<Part><PartNumber>%u</PartNumber>"
      "<ETag>%s</ETag></Part>", number, etag);
  return TRUE;
}

static gboolean
upload_complete (Upload * u, GError ** error)
{
  g_autofree gchar *url = upload_url (u, 0);
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("POST", url);
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autoptr (GBytes) body = NULL;
  GError *body_error;

  g_string_append (u->complete, "</CompleteMultipartUpload>");
  body = g_bytes_new (u->complete->str, u->complete->len);
  mt_http_request_set_header (req, "Content-Type", "application/xml");
  mt_http_request_set_body (req, body);
  if (!object_send (u->client, req, "CompleteMultipartUpload", &resp,
          u->cancellable, error))
    return FALSE;
  /* S3 may answer 200 and still fail the completion in the body. */
  body_error = mt_s3_xml_error (resp->body);
  if (body_error) {
    g_propagate_error (error, body_error);
    return FALSE;
  }
  return TRUE;
}

/* Nothing of a failed upload may stay billed or be completed later. */
static void
upload_abort (Upload * u)
{
  g_autofree gchar *url = NULL;
  g_autoptr (MtHttpRequest) req = NULL;
  g_autoptr (GError) error = NULL;

  if (u->upload_id == NULL)
    return;
  url = upload_url (u, 0);
  req = mt_http_request_new ("DELETE", url);
  if (!object_send (u->client, req, "AbortMultipartUpload", NULL, NULL,
          &error))
    GST_WARNING ("could not abort the upload of s3://%s/%s: %s", u->bucket,
        u->key, error->message);
}

static gboolean
upload_parts (Upload * u, GMappedFile * map, gsize part_size,
    const gchar * content_type, GError ** error)
{
  const gchar *data = g_mapped_file_get_contents (map);
  gsize len = g_mapped_file_get_length (map), off;
  guint number = 1;

  if (!upload_create (u, content_type, error))
    return FALSE;
  for (off = 0; off < len; off += part_size, number++) {
    g_autoptr (GBytes) part = g_bytes_new (data + off,
        MIN (part_size, len - off));

    if (!upload_part (u, number, part, error))
      return FALSE;
  }
  return upload_complete (u, error);
}

gboolean
mt_s3_client_put_file (MtS3Client * client, const gchar * bucket,
    const gchar * key, const gchar * path, const gchar * content_type,
    gsize part_size, GCancellable * cancellable, GError ** error)
{
  g_autoptr (GMappedFile) map = g_mapped_file_new (path, FALSE, error);
  Upload u = { client, bucket, key, NULL, NULL, cancellable };
  gboolean ok;

  if (map == NULL)
    return FALSE;
  part_size = part_size ? MAX (part_size, MIN_PART_SIZE) : DEFAULT_PART_SIZE;
  if (g_mapped_file_get_length (map) <= part_size) {
    g_autoptr (GBytes) body = g_mapped_file_get_bytes (map);
    MtS3PutOptions opts = { content_type, NULL, NULL };

    return mt_s3_client_put_object (client, bucket, key, body, &opts, NULL,
        cancellable, error);
  }
  u.complete = g_string_new ("<CompleteMultipartUpload "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
  ok = upload_parts (&u, map, part_size, content_type, error);
  if (!ok)
    upload_abort (&u);
  g_string_free (u.complete, TRUE);
  g_free (u.upload_id);
  return ok;
}
