/* mediatag batch --watch: the SQS client of batch-sqs.h. SQS speaks the
 * AWS JSON 1.0 protocol (botocore's sqs/2012-11-05 model: targetPrefix
 * AmazonSQS); the S3 event notifications it carries are decoded here, so
 * the batch only sees s3:// URIs with their ETag and size. */
#include "batch-sqs.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include "awsclient.h"
#include "awserror.h"
#include "s3.h"

struct _MtSqsClient
{
  MtAwsClient *aws;
  gchar *queue_url;
};

void
mt_sqs_message_free (MtSqsMessage * msg)
{
  if (msg == NULL)
    return;
  g_free (msg->message_id);
  g_free (msg->receipt_handle);
  g_ptr_array_unref (msg->uris);
  g_ptr_array_unref (msg->etags);
  g_array_unref (msg->sizes);
  g_free (msg);
}

static MtSqsMessage *
sqs_message_new (const gchar * id, const gchar * receipt)
{
  MtSqsMessage *msg = g_new0 (MtSqsMessage, 1);

  msg->message_id = g_strdup (id);
  msg->receipt_handle = g_strdup (receipt);
  msg->uris = g_ptr_array_new_with_free_func (g_free);
  msg->etags = g_ptr_array_new_with_free_func (g_free);
  msg->sizes = g_array_new (FALSE, FALSE, sizeof (guint64));
  return msg;
}

/* The AWS host names whose queues are served by the region's public
 * endpoint: "sqs.<region>.amazonaws.com[.cn]" and the legacy
 * "<region>.queue.amazonaws.com". Returns the region or NULL. */
static gchar *
aws_queue_region (const gchar * host)
{
  g_auto (GStrv) parts = g_strsplit (host, ".", -1);
  guint n = g_strv_length (parts);
  gboolean cn = n > 0 && g_str_equal (parts[n - 1], "cn");
  guint base = cn ? n - 1 : n;

  if (base < 3 || !g_str_equal (parts[base - 1], "com")
      || !g_str_equal (parts[base - 2], "amazonaws"))
    return NULL;
  if (base == 4 && g_str_equal (parts[0], "sqs"))
    return g_strdup (parts[1]);
  if (base == 4 && g_str_equal (parts[1], "queue"))
    return g_strdup (parts[0]);
  return NULL;
}

/* A queue URL is <scheme>://<host>/<account>/<name>; anything else (a
 * queue name, an ARN, a console link) is refused before any request. */
static GUri *
parse_queue_url (const gchar * queue_url, GError ** error)
{
  g_autoptr (GUri) uri = NULL;
  g_auto (GStrv) segments = NULL;
  const gchar *scheme;

  if (queue_url != NULL)
    uri = g_uri_parse (queue_url, G_URI_FLAGS_ENCODED, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri != NULL && g_uri_get_host (uri) != NULL
      && (g_str_equal (scheme, "https") || g_str_equal (scheme, "http")))
    segments = g_strsplit (g_uri_get_path (uri), "/", -1);
  if (segments == NULL || g_strv_length (segments) != 3
      || segments[1][0] == '\0' || segments[2][0] == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "'%s' is not an SQS queue URL (expected "
        "https://sqs.<region>.amazonaws.com/<account>/<queue name>, as "
        "'aws sqs get-queue-url' prints it)", queue_url ? queue_url : "");
    return NULL;
  }
  return g_steal_pointer (&uri);
}

/* The settings the queue is reached with: an AWS queue's region is the one
 * in its host name; a queue on another host (an emulator, a compatible
 * store) is served by that host unless an endpoint was set. */
static void
settings_for_queue (MtAwsSettings * s, GUri * uri)
{
  g_autofree gchar *region = aws_queue_region (g_uri_get_host (uri));

  if (region != NULL) {
    g_free (s->region);
    s->region = g_steal_pointer (&region);
    return;
  }
  if (s->endpoint == NULL)
    s->endpoint = g_uri_join (G_URI_FLAGS_ENCODED, g_uri_get_scheme (uri),
        NULL, g_uri_get_host (uri), g_uri_get_port (uri), "", NULL, NULL);
}

MtSqsClient *
mt_sqs_client_new (const MtAwsSettings * settings, const gchar * queue_url,
    GError ** error)
{
  g_autoptr (GUri) uri = parse_queue_url (queue_url, error);
  MtAwsSettings s;
  MtAwsClient *aws;
  MtSqsClient *client;

  if (uri == NULL)
    return NULL;
  mt_aws_settings_init (&s);
  mt_aws_settings_copy (&s, settings);
  settings_for_queue (&s, uri);
  aws = mt_aws_client_new (&s, &mt_aws_service_sqs, FALSE, error);
  mt_aws_settings_clear (&s);
  if (aws == NULL)
    return NULL;

  client = g_new0 (MtSqsClient, 1);
  client->aws = aws;
  client->queue_url = g_strdup (queue_url);
  return client;
}

void
mt_sqs_client_free (MtSqsClient * client)
{
  if (client == NULL)
    return;
  mt_aws_client_free (client->aws);
  g_free (client->queue_url);
  g_free (client);
}

/* Calls AmazonSQS.<action> on the queue; on failure the error names the
 * queue, so a user sees which of their settings is wrong. */
static JsonObject *
sqs_call (MtSqsClient * client, const gchar * action, JsonObject * request,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *target = g_strconcat ("AmazonSQS.", action, NULL);
  GError *call_error = NULL;
  JsonObject *answer;

  json_object_set_string_member (request, "QueueUrl", client->queue_url);
  answer = mt_aws_client_json10_call (client->aws, target, request,
      cancellable, &call_error);
  if (answer == NULL) {
    if (call_error->domain == MT_AWS_ERROR)
      g_prefix_error (&call_error, "SQS queue %s: ", client->queue_url);
    g_propagate_error (error, call_error);
  }
  return answer;
}

gboolean
mt_sqs_client_check (MtSqsClient * client, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (JsonObject) request = json_object_new ();
  g_autoptr (JsonObject) answer = NULL;
  JsonArray *names = json_array_new ();

  json_array_add_string_element (names, "QueueArn");
  json_object_set_array_member (request, "AttributeNames", names);
  answer = sqs_call (client, "GetQueueAttributes", request, cancellable, error);
  return answer != NULL;
}

/* S3 event keys are form-encoded: '+' stands for a space, the rest is
 * percent-encoding of the UTF-8 key. NULL when it does not decode. */
static gchar *
decode_event_key (const gchar * key)
{
  g_autofree gchar *spaced = g_strdup (key);

  g_strdelimit (spaced, "+", ' ');
  return g_uri_unescape_string (spaced, NULL);
}

static const gchar *
member_string (JsonObject * obj, const gchar * name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject * obj, const gchar * name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ?
      json_node_get_object (node) : NULL;
}

/* One record of an S3 event: ObjectCreated:* records add their object;
 * other events (removals, restores, replication) are not work for the
 * batch and are skipped. FALSE when the record is not an S3 record. */
static gboolean
add_record (MtSqsMessage * msg, JsonNode * node)
{
  JsonObject *record = JSON_NODE_HOLDS_OBJECT (node) ?
      json_node_get_object (node) : NULL;
  JsonObject *s3 = member_object (record, "s3");
  JsonObject *object = member_object (s3, "object");
  const gchar *event = member_string (record, "eventName");
  const gchar *bucket = member_string (member_object (s3, "bucket"), "name");
  const gchar *raw_key = member_string (object, "key");
  g_autofree gchar *key = NULL;
  guint64 size;

  if (event == NULL || bucket == NULL || raw_key == NULL)
    return FALSE;
  if (!g_str_has_prefix (event, "ObjectCreated:"))
    return TRUE;
  key = decode_event_key (raw_key);
  if (key == NULL || key[0] == '\0')
    return FALSE;
  size = json_object_has_member (object, "size") ?
      (guint64) json_object_get_int_member (object, "size") : 0;
  g_ptr_array_add (msg->uris, mt_s3_uri_build (bucket, key));
  g_ptr_array_add (msg->etags, g_strdup (member_string (object, "eTag")));
  g_array_append_val (msg->sizes, size);
  return TRUE;
}

/* S3 publishes to SQS directly or through an SNS topic; the SNS envelope
 * carries the event as a string in "Message". */
static JsonNode *
parse_event (const gchar * body)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *root;
  const gchar *inner;

  if (body == NULL || !json_parser_load_from_data (parser, body, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  root = json_node_get_object (json_parser_get_root (parser));
  inner = member_string (root, "Message");
  if (g_strcmp0 (member_string (root, "Type"), "Notification") == 0 && inner)
    return parse_event (inner);
  return json_node_copy (json_parser_get_root (parser));
}

/* Fills msg from its body. FALSE when the body is not an S3 event
 * notification (nor S3's s3:TestEvent). */
static gboolean
decode_body (MtSqsMessage * msg, const gchar * body)
{
  g_autoptr (JsonNode) event = parse_event (body);
  JsonObject *root = event ? json_node_get_object (event) : NULL;
  JsonNode *records = root ? json_object_get_member (root, "Records") : NULL;
  JsonArray *array;

  if (g_strcmp0 (member_string (root, "Event"), "s3:TestEvent") == 0)
    return TRUE;
  if (records == NULL || !JSON_NODE_HOLDS_ARRAY (records))
    return FALSE;
  array = json_node_get_array (records);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!add_record (msg, json_array_get_element (array, i)))
      return FALSE;
  return TRUE;
}

static MtSqsMessage *
message_from_json (JsonNode * node)
{
  JsonObject *obj = JSON_NODE_HOLDS_OBJECT (node) ?
      json_node_get_object (node) : NULL;
  const gchar *id = member_string (obj, "MessageId");
  const gchar *receipt = member_string (obj, "ReceiptHandle");
  MtSqsMessage *msg;

  if (id == NULL || receipt == NULL)
    return NULL;
  msg = sqs_message_new (id, receipt);
  if (!decode_body (msg, member_string (obj, "Body"))) {
    g_warning ("SQS message %s is not an S3 event notification; "
        "deleting it without work", id);
    g_ptr_array_set_size (msg->uris, 0);
    g_ptr_array_set_size (msg->etags, 0);
    g_array_set_size (msg->sizes, 0);
  }
  return msg;
}

GPtrArray *
mt_sqs_client_receive (MtSqsClient * client, guint max_messages,
    guint wait_seconds, guint visibility_seconds, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (JsonObject) request = json_object_new ();
  g_autoptr (JsonObject) answer = NULL;
  GPtrArray *messages;
  JsonNode *list;

  json_object_set_int_member (request, "MaxNumberOfMessages",
      CLAMP (max_messages, 1, 10));
  json_object_set_int_member (request, "WaitTimeSeconds",
      MIN (wait_seconds, 20));
  json_object_set_int_member (request, "VisibilityTimeout", visibility_seconds);
  answer = sqs_call (client, "ReceiveMessage", request, cancellable, error);
  if (answer == NULL)
    return NULL;

  messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      mt_sqs_message_free);
  list = json_object_get_member (answer, "Messages");
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    return messages;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++) {
    MtSqsMessage *msg =
        message_from_json (json_array_get_element (json_node_get_array
            (list), i));
    if (msg != NULL)
      g_ptr_array_add (messages, msg);
  }
  return messages;
}

gboolean
mt_sqs_client_extend (MtSqsClient * client, const MtSqsMessage * msg,
    guint visibility_seconds, GCancellable * cancellable, GError ** error)
{
  g_autoptr (JsonObject) request = json_object_new ();
  g_autoptr (JsonObject) answer = NULL;

  json_object_set_string_member (request, "ReceiptHandle", msg->receipt_handle);
  json_object_set_int_member (request, "VisibilityTimeout", visibility_seconds);
  answer = sqs_call (client, "ChangeMessageVisibility", request, cancellable,
      error);
  return answer != NULL;
}

gboolean
mt_sqs_client_delete (MtSqsClient * client, const MtSqsMessage * msg,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (JsonObject) request = json_object_new ();
  g_autoptr (JsonObject) answer = NULL;

  json_object_set_string_member (request, "ReceiptHandle", msg->receipt_handle);
  answer = sqs_call (client, "DeleteMessage", request, cancellable, error);
  return answer != NULL;
}
