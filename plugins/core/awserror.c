/* AWS errors: decodes a service's error response (JSON 1.1, REST-JSON, S3
 * and query-protocol XML, or headers alone) into one GError type whose
 * extended private data keeps the decoded details. Whether an error may
 * be retried is retry.h's decision (mt_retry_classify); the MtAwsErrorCode
 * of throttles and server errors follows it. */
#include "awserror.h"
#include "core.h"
#include "retry.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define GST_CAT_DEFAULT mt_core_debug

typedef struct
{
  MtAwsErrorDetails details;
  gboolean set;                 /* FALSE for errors made elsewhere in the domain */
} MtAwsErrorPrivate;

static void
mt_aws_error_private_init (MtAwsErrorPrivate * priv)
{
  memset (priv, 0, sizeof (*priv));
}

static void
details_clear (MtAwsErrorDetails * d)
{
  g_clear_pointer (&d->code, g_free);
  g_clear_pointer (&d->message, g_free);
  g_clear_pointer (&d->request_id, g_free);
  g_clear_pointer (&d->region_hint, g_free);
  g_clear_pointer (&d->action, g_free);
}

static void
details_copy (const MtAwsErrorDetails * src, MtAwsErrorDetails * dest)
{
  dest->http_status = src->http_status;
  dest->code = g_strdup (src->code);
  dest->message = g_strdup (src->message);
  dest->request_id = g_strdup (src->request_id);
  dest->region_hint = g_strdup (src->region_hint);
  dest->retryable = src->retryable;
  dest->action = g_strdup (src->action);
  dest->attempts = src->attempts;
}

static void
mt_aws_error_private_copy (const MtAwsErrorPrivate * src,
    MtAwsErrorPrivate * dest)
{
  details_copy (&src->details, &dest->details);
  dest->set = src->set;
}

static void
mt_aws_error_private_clear (MtAwsErrorPrivate * priv)
{
  details_clear (&priv->details);
}

G_DEFINE_EXTENDED_ERROR (MtAwsError, mt_aws_error);

static const gchar *const auth_codes[] = {
  "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidClientTokenId",
  "UnrecognizedClientException", "ExpiredToken", "ExpiredTokenException",
  "InvalidToken", "AuthFailure", "IncompleteSignature",
  "InvalidSignatureException", "MissingAuthenticationToken",
  "RequestExpired", "RequestTimeTooSkewed", "TokenRefreshRequired", NULL
};

static const gchar *const access_denied_codes[] = {
  "AccessDenied", "AccessDeniedException", "Forbidden",
  "UnauthorizedOperation", "AllAccessDisabled", NULL
};

static const gchar *const not_found_codes[] = {
  "NoSuchKey", "NoSuchBucket", "NoSuchUpload", "NoSuchVersion", "NotFound",
  "ResourceNotFoundException", "NoSuchEntity", "InvalidS3ObjectException",
  NULL
};

static const gchar *const invalid_codes[] = {
  "ValidationException", "ValidationError", "InvalidParameterException",
  "InvalidParameterValue", "InvalidParameterCombination",
  "InvalidRequest", "InvalidArgument", "SerializationException",
  "InvalidImageFormatException", "ImageTooLargeException",
  "InvalidBucketName", "MalformedXML", "EntityTooLarge", "EntityTooSmall",
  "InvalidPart", "InvalidPartOrder", "InvalidRange", "BadRequest", NULL
};

static gboolean
code_in (const gchar * code, const gchar * const *list)
{
  return code != NULL && g_strv_contains (list, code);
}

/* The code S3 and others imply when they answer without a body (HEAD). */
static const gchar *
code_for_status (guint status)
{
  switch (status) {
    case 301:
      return "PermanentRedirect";
    case 304:
      return "NotModified";
    case 307:
      return "TemporaryRedirect";
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 412:
      return "PreconditionFailed";
    case 413:
      return "RequestEntityTooLarge";
    case 416:
      return "InvalidRange";
    case 429:
      return "TooManyRequestsException";
    case 500:
      return "InternalError";
    case 502:
      return "BadGateway";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "GatewayTimeout";
    default:
      return NULL;
  }
}

static MtAwsErrorCode
classify (const MtAwsErrorDetails * d)
{
  const gchar *code = d->code;
  guint status = d->http_status;

  MtRetryClass retry = mt_retry_classify_answer (status, code);

  if (retry == MT_RETRY_THROTTLED)
    return MT_AWS_ERROR_THROTTLED;
  if (code_in (code, auth_codes))
    return MT_AWS_ERROR_AUTH;
  if (retry == MT_RETRY_TRANSIENT)
    return MT_AWS_ERROR_SERVER;
  if (code_in (code, access_denied_codes))
    return MT_AWS_ERROR_ACCESS_DENIED;
  if (code_in (code, not_found_codes) || status == 404)
    return MT_AWS_ERROR_NOT_FOUND;
  if (status == 403)
    return MT_AWS_ERROR_ACCESS_DENIED;
  if (code_in (code, invalid_codes) || status == 400 || status == 413
      || status == 416)
    return MT_AWS_ERROR_INVALID;
  return MT_AWS_ERROR_FAILED;
}

/* "aws.protocoltests#ValidationException", "ValidationException:http://..."
 * → "ValidationException", as botocore's parsers normalise them. */
static gchar *
normalise_code (const gchar * raw)
{
  const gchar *hash;
  g_autofree gchar *code = NULL;
  gchar *colon;

  if (raw == NULL || raw[0] == '\0')
    return NULL;
  hash = strrchr (raw, '#');
  code = g_strdup (hash ? hash + 1 : raw);
  /* "ValidationException:http://..." (REST-JSON header) and
   * "AWS.Queue.Missing;Sender" (x-amzn-query-error). */
  colon = strpbrk (code, ":;");
  if (colon)
    *colon = '\0';
  g_strstrip (code);
  return code[0] ? g_steal_pointer (&code) : NULL;
}

/* --- JSON bodies --- */

static const gchar *
json_string_member (JsonObject * obj, const gchar * const *names)
{
  for (guint i = 0; names[i]; i++) {
    JsonNode *n = json_object_get_member (obj, names[i]);

    if (n && JSON_NODE_HOLDS_VALUE (n)
        && json_node_get_value_type (n) == G_TYPE_STRING)
      return json_node_get_string (n);
  }
  return NULL;
}

static void
decode_json_body (const gchar * body, gsize len, MtAwsErrorDetails * d)
{
  static const gchar *const code_names[] = { "__type", "code", "Code", NULL };
  static const gchar *const message_names[] = {
    "message", "Message", "errorMessage", NULL
  };
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *obj;

  if (!json_parser_load_from_data (parser, body, len, NULL))
    return;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  obj = json_node_get_object (root);

  if (d->code == NULL)
    d->code = normalise_code (json_string_member (obj, code_names));
  if (d->message == NULL)
    d->message = g_strdup (json_string_member (obj, message_names));
}

/* --- XML bodies (S3's <Error>, the query protocol's <ErrorResponse>) --- */

typedef struct
{
  const gchar *current;         /* element whose text we want, or NULL */
  GString *text;
  gchar *code, *message, *request_id, *region;
} XmlErrorState;

static const gchar *const xml_fields[] = {
  "Code", "Message", "RequestId", "Region", NULL
};

static void
xml_start (GMarkupParseContext * ctx, const gchar * element,
    const gchar ** names, const gchar ** values, gpointer user_data,
    GError ** error)
{
  XmlErrorState *st = user_data;

  st->current = NULL;
  for (guint i = 0; xml_fields[i]; i++) {
    if (strcmp (element, xml_fields[i]) == 0)
      st->current = xml_fields[i];
  }
  g_string_truncate (st->text, 0);
}

static void
xml_text (GMarkupParseContext * ctx, const gchar * text, gsize len,
    gpointer user_data, GError ** error)
{
  XmlErrorState *st = user_data;

  if (st->current)
    g_string_append_len (st->text, text, len);
}

static void
xml_keep_first (gchar ** slot, const GString * text)
{
  if (*slot == NULL && text->len > 0)
    *slot = g_strstrip (g_strndup (text->str, text->len));
}

static void
xml_end (GMarkupParseContext * ctx, const gchar * element,
    gpointer user_data, GError ** error)
{
  XmlErrorState *st = user_data;

  if (st->current == NULL || strcmp (element, st->current) != 0)
    return;
  if (strcmp (element, "Code") == 0)
    xml_keep_first (&st->code, st->text);
  else if (strcmp (element, "Message") == 0)
    xml_keep_first (&st->message, st->text);
  else if (strcmp (element, "RequestId") == 0)
    xml_keep_first (&st->request_id, st->text);
  else if (strcmp (element, "Region") == 0)
    xml_keep_first (&st->region, st->text);
  st->current = NULL;
}

static void
decode_xml_body (const gchar * body, gsize len, MtAwsErrorDetails * d)
{
  static const GMarkupParser parser = { xml_start, xml_end, xml_text, NULL,
    NULL
  };
  XmlErrorState st = { NULL, g_string_new (NULL), NULL, NULL, NULL, NULL };
  GMarkupParseContext *ctx = g_markup_parse_context_new (&parser, 0, &st,
      NULL);

  /* A proxy's HTML page does not parse; what was read before still counts. */
  if (g_markup_parse_context_parse (ctx, body, len, NULL))
    g_markup_parse_context_end_parse (ctx, NULL);
  g_markup_parse_context_free (ctx);

  if (d->code == NULL)
    d->code = normalise_code (st.code);
  if (d->message == NULL)
    d->message = g_strdup (st.message);
  if (d->request_id == NULL)
    d->request_id = g_strdup (st.request_id);
  if (d->region_hint == NULL)
    d->region_hint = g_strdup (st.region);

  g_free (st.code);
  g_free (st.message);
  g_free (st.request_id);
  g_free (st.region);
  g_string_free (st.text, TRUE);
}

static void
decode_body (GBytes * body, MtAwsErrorDetails * d)
{
  gsize len = 0;
  const gchar *data = body ? g_bytes_get_data (body, &len) : NULL;
  gsize i = 0;

  while (i < len && g_ascii_isspace (data[i]))
    i++;
  if (i == len)
    return;
  if (data[i] == '{')
    decode_json_body (data + i, len - i, d);
  else if (data[i] == '<')
    decode_xml_body (data + i, len - i, d);
}

static gchar *
header_dup (const MtHttpResponse * resp, const gchar * const *names)
{
  for (guint i = 0; names[i]; i++) {
    const gchar *v = mt_http_response_get_header (resp, names[i]);

    if (v && v[0])
      return g_strdup (v);
  }
  return NULL;
}

static gchar *
format_message (const MtAwsErrorDetails * d)
{
  GString *s = g_string_new (d->code);
  const gchar *message = d->message;
  gsize code_len = strlen (d->code);

  /* Some services (and emulators) start the message with the code. */
  if (message && strncmp (message, d->code, code_len) == 0
      && g_str_has_prefix (message + code_len, ": "))
    message += code_len + 2;
  if (message && message[0])
    g_string_append_printf (s, ": %s", message);
  g_string_append_printf (s, " (HTTP %u", d->http_status);
  if (d->request_id)
    g_string_append_printf (s, ", request id %s", d->request_id);
  g_string_append_c (s, ')');
  if (d->region_hint)
    g_string_append_printf (s, "; the resource is in region %s",
        d->region_hint);
  return g_string_free (s, FALSE);
}

static GError *
error_new_with_details (MtAwsErrorCode code, const gchar * message,
    const MtAwsErrorDetails * d)
{
  GError *error = g_error_new_literal (MT_AWS_ERROR, code, message);
  MtAwsErrorPrivate *priv = mt_aws_error_get_private (error);

  details_copy (d, &priv->details);
  priv->set = TRUE;
  return error;
}

GError *
mt_aws_error_from_response (const MtHttpResponse * resp,
    MtAwsErrorDetails ** details)
{
  static const gchar *const request_id_headers[] = {
    "x-amzn-RequestId", "x-amz-request-id", "x-amzn-request-id", NULL
  };
  static const gchar *const error_type_headers[] = {
    "X-Amzn-ErrorType", "x-amzn-query-error", NULL
  };
  MtAwsErrorDetails d = { 0, };
  g_autofree gchar *type_header = NULL;
  g_autofree gchar *message = NULL;
  MtAwsErrorCode code;
  GError *error;

  g_return_val_if_fail (resp != NULL, NULL);

  d.http_status = resp->status;
  d.request_id = header_dup (resp, request_id_headers);
  d.region_hint = g_strdup (mt_http_response_get_header (resp,
          "x-amz-bucket-region"));
  /* REST-JSON services put the code in a header; it wins over the body. */
  type_header = header_dup (resp, error_type_headers);
  d.code = normalise_code (type_header);
  decode_body (resp->body, &d);
  if (d.code == NULL && code_for_status (d.http_status))
    d.code = g_strdup (code_for_status (d.http_status));
  if (d.code == NULL)
    d.code = g_strdup_printf ("HTTP%u", d.http_status);

  code = classify (&d);
  d.retryable = code == MT_AWS_ERROR_THROTTLED || code == MT_AWS_ERROR_SERVER;
  message = format_message (&d);
  error = error_new_with_details (code, message, &d);

  GST_DEBUG ("decoded AWS error: %s", message);
  if (details) {
    *details = g_new0 (MtAwsErrorDetails, 1);
    details_copy (&d, *details);
  }
  details_clear (&d);
  return error;
}

GError *
mt_aws_error_from_transport (const GError * io_error)
{
  MtAwsErrorDetails d = { 0, };

  g_return_val_if_fail (io_error != NULL, NULL);

  if (io_error->domain != G_IO_ERROR || io_error->code == G_IO_ERROR_CANCELLED)
    return g_error_copy (io_error);
  d.retryable = mt_retry_classify (io_error) != MT_RETRY_NEVER;
  return error_new_with_details (MT_AWS_ERROR_NETWORK, io_error->message, &d);
}

const MtAwsErrorDetails *
mt_aws_error_get_details (const GError * error)
{
  MtAwsErrorPrivate *priv;

  if (error == NULL || error->domain != MT_AWS_ERROR)
    return NULL;
  priv = mt_aws_error_get_private (error);
  return priv->set ? &priv->details : NULL;
}

void
mt_aws_error_details_free (MtAwsErrorDetails * d)
{
  if (d == NULL)
    return;
  details_clear (d);
  g_free (d);
}

/* "DetectFaces: InternalError (HTTP 500) after 4 attempts: <message>
 * (request id <id>)". */
static gchar *
format_outcome (const MtAwsErrorDetails * d, const gchar * fallback)
{
  GString *s = g_string_new (NULL);

  if (d->action)
    g_string_append_printf (s, "%s: ", d->action);
  if (d->code && d->http_status)
    g_string_append_printf (s, "%s (HTTP %u)", d->code, d->http_status);
  else
    g_string_append (s, d->http_status ? "error" : "request failed");
  if (d->attempts > 1)
    g_string_append_printf (s, " after %u attempts", d->attempts);
  if (d->http_status == 0)
    g_string_append_printf (s, ": %s", fallback);
  else if (d->message && d->message[0])
    g_string_append_printf (s, ": %s", d->message);
  if (d->request_id)
    g_string_append_printf (s, " (request id %s)", d->request_id);
  if (d->region_hint)
    g_string_append_printf (s, "; the resource is in region %s",
        d->region_hint);
  return g_string_free (s, FALSE);
}

void
mt_aws_error_set_outcome (GError * error, const gchar * action,
    guint attempts)
{
  MtAwsErrorPrivate *priv;
  gchar *message;

  if (error == NULL || error->domain != MT_AWS_ERROR)
    return;
  priv = mt_aws_error_get_private (error);
  priv->set = TRUE;
  g_free (priv->details.action);
  priv->details.action = g_strdup (action);
  priv->details.attempts = attempts;
  /* Unchanged when there is nothing to add: the decoded message says it. */
  if (action == NULL && attempts < 2)
    return;
  /* The service's own message when it sent one; a transport or local
   * error keeps its whole text. */
  message = format_outcome (&priv->details, error->message);
  g_free (error->message);
  error->message = message;
}

gboolean
mt_aws_error_is_expired_token (const GError * error)
{
  const MtAwsErrorDetails *d = mt_aws_error_get_details (error);
  static const gchar *const expired[] = {
    "ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired", NULL
  };

  return d != NULL && code_in (d->code, expired);
}
