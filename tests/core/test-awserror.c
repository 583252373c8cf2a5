/* Tests of AWS error decoding (awserror.h) on canned responses in the
 * shapes the services really send: JSON 1.1 with namespaced __type,
 * REST-JSON with X-Amzn-ErrorType, S3 XML, the query protocol's
 * <ErrorResponse>, and bodiless HEAD answers. */
#include <gst/gst.h>
#include <string.h>

#include "awserror.h"
#include "retry.h"
#include "core.h"

static MtHttpResponse *
response (guint status, const gchar * body, ...)
{
  MtHttpResponse *resp = g_new0 (MtHttpResponse, 1);
  const gchar *name;
  va_list ap;

  resp->status = status;
  resp->headers = g_array_new (FALSE, FALSE, sizeof (MtHeader));
  if (body)
    resp->body = g_bytes_new (body, strlen (body));
  va_start (ap, body);
  while ((name = va_arg (ap, const gchar *))) {
    MtHeader h = { g_strdup (name), g_strdup (va_arg (ap, const gchar *)) };
    g_array_append_val (resp->headers, h);
  }
  va_end (ap);
  return resp;
}

/* The response's headers array has no clear func: free its strings here. */
static void
response_free (MtHttpResponse * resp)
{
  for (guint i = 0; i < resp->headers->len; i++) {
    g_free (g_array_index (resp->headers, MtHeader, i).name);
    g_free (g_array_index (resp->headers, MtHeader, i).value);
  }
  g_array_set_size (resp->headers, 0);
  mt_http_response_free (resp);
}

static GError *
decode (MtHttpResponse * resp)
{
  GError *e = mt_aws_error_from_response (resp, NULL);

  response_free (resp);
  g_assert_nonnull (e);
  g_assert_true (e->domain == MT_AWS_ERROR);
  return e;
}

static void
test_json11_throttling (void)
{
  g_autoptr (GError) e = decode (response (400,
          "{\"__type\":\"com.amazonaws.rekognition#ThrottlingException\","
          "\"message\":\"Rate exceeded\"}",
          "x-amzn-RequestId", "1f0e-42", NULL));
  const MtAwsErrorDetails *d = mt_aws_error_get_details (e);

  g_assert_cmpint (e->code, ==, MT_AWS_ERROR_THROTTLED);
  g_assert_cmpstr (e->message, ==,
      "ThrottlingException: Rate exceeded (HTTP 400, request id 1f0e-42)");
  g_assert_nonnull (d);
  g_assert_cmpuint (d->http_status, ==, 400);
  g_assert_cmpstr (d->code, ==, "ThrottlingException");
  g_assert_cmpstr (d->message, ==, "Rate exceeded");
  g_assert_cmpstr (d->request_id, ==, "1f0e-42");
  g_assert_true (d->retryable);
  g_assert_true ((mt_retry_classify (e) != MT_RETRY_NEVER));
}

static void
test_json11_validation (void)
{
  g_autoptr (GError) e = decode (response (400,
          "{\"__type\":\"ValidationException\",\"Message\":\"1 validation "
          "error detected\"}", NULL));
  const MtAwsErrorDetails *d = mt_aws_error_get_details (e);

  g_assert_cmpint (e->code, ==, MT_AWS_ERROR_INVALID);
  g_assert_cmpstr (d->message, ==, "1 validation error detected");
  g_assert_null (d->request_id);
  g_assert_false ((mt_retry_classify (e) != MT_RETRY_NEVER));
  g_assert_cmpstr (e->message, ==,
      "ValidationException: 1 validation error detected (HTTP 400)");
}

static void
test_rest_json_header_wins (void)
{
  g_autoptr (GError) e = decode (response (404,
          "{\"code\":\"Other\",\"message\":\"no such job\"}",
          "X-Amzn-ErrorType",
          "ResourceNotFoundException:http://internal.amazon.com/coral/x/",
          "x-amzn-RequestId", "r-1", NULL));
  const MtAwsErrorDetails *d = mt_aws_error_get_details (e);

  g_assert_cmpint (e->code, ==, MT_AWS_ERROR_NOT_FOUND);
  g_assert_cmpstr (d->code, ==, "ResourceNotFoundException");
  g_assert_cmpstr (d->message, ==, "no such job");
}

static void
test_query_compatible_and_repeated_code (void)
{
  g_autoptr (GError) e = decode (response (400,
          "{\"__type\":\"com.amazonaws.x#QueueDoesNotExist\","
          "\"message\":\"QueueDoesNotExist: no such queue\"}",
          "x-amzn-query-error",
          "AWS.SimpleQueueService.NonExistentQueue;Sender", NULL));

  g_assert_cmpstr (mt_aws_error_get_details (e)->code, ==,
      "AWS.SimpleQueueService.NonExistentQueue");
  /* The details keep the service's message as sent. */
  g_assert_cmpstr (mt_aws_error_get_details (e)->message, ==,
      "QueueDoesNotExist: no such queue");
  g_assert_cmpstr (e->message, ==, "AWS.SimpleQueueService.NonExistentQueue: "
      "QueueDoesNotExist: no such queue (HTTP 400)");
}

static void
test_message_repeating_code (void)
{
  g_autoptr (GError) e = decode (response (400,
          "{\"__type\":\"InvalidJobIdException\",\"message\":"
          "\"InvalidJobIdException: An invalid job identifier was passed.\"}",
          NULL));

  g_assert_cmpstr (e->message, ==, "InvalidJobIdException: An invalid job "
      "identifier was passed. (HTTP 400)");
}

static void
test_auth_and_access (void)
{
  static const struct
  {
    const gchar *code;
    guint status;
    MtAwsErrorCode expect;
    gboolean expired;
  } cases[] = {
    {"UnrecognizedClientException", 400, MT_AWS_ERROR_AUTH, FALSE},
    {"InvalidSignatureException", 403, MT_AWS_ERROR_AUTH, FALSE},
    {"ExpiredTokenException", 400, MT_AWS_ERROR_AUTH, TRUE},
    {"AccessDeniedException", 400, MT_AWS_ERROR_ACCESS_DENIED, FALSE},
    {"ProvisionedThroughputExceededException", 400, MT_AWS_ERROR_THROTTLED,
        FALSE},
    {"InternalServerError", 500, MT_AWS_ERROR_SERVER, FALSE},
    {"InvalidImageFormatException", 400, MT_AWS_ERROR_INVALID, FALSE},
    {"ConflictException", 409, MT_AWS_ERROR_FAILED, FALSE},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *body = g_strdup_printf ("{\"__type\":\"%s\"}",
        cases[i].code);
    g_autoptr (GError) e = decode (response (cases[i].status, body, NULL));

    g_assert_cmpint (e->code, ==, cases[i].expect);
    g_assert_cmpint (mt_aws_error_is_expired_token (e), ==, cases[i].expired);
    g_assert_true (g_str_has_prefix (e->message, cases[i].code));
  }
}

static const gchar *s3_signature_error =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error><Code>SignatureDoesNotMatch</Code>"
    "<Message>The request signature we calculated does not match the "
    "signature you provided. Check your key and signing method.</Message>"
    "<AWSAccessKeyId>AKIDEXAMPLE</AWSAccessKeyId>"
    "<StringToSign>AWS4-HMAC-SHA256\n20150830T123600Z</StringToSign>"
    "<RequestId>4442587FB7D0A2F9</RequestId>"
    "<HostId>host-id-xyz</HostId></Error>";

static void
test_s3_xml (void)
{
  g_autoptr (MtAwsErrorDetails) d = NULL;
  MtHttpResponse *resp = response (403, s3_signature_error,
      "x-amz-request-id", "HEADER-ID", NULL);
  g_autoptr (GError) e = mt_aws_error_from_response (resp, &d);

  response_free (resp);
  g_assert_cmpint (e->code, ==, MT_AWS_ERROR_AUTH);
  g_assert_cmpstr (d->code, ==, "SignatureDoesNotMatch");
  g_assert_true (g_str_has_prefix (d->message, "The request signature"));
  /* The header's id wins; the body's is the same in real S3 answers. */
  g_assert_cmpstr (d->request_id, ==, "HEADER-ID");
  /* Nothing of the string to sign leaks into the message. */
  g_assert_null (strstr (e->message, "AWS4-HMAC"));
  g_assert_false (d->retryable);
}

static void
test_s3_xml_slowdown_and_region (void)
{
  g_autoptr (GError) slow = decode (response (503,
          "<Error><Code>SlowDown</Code><Message>Please reduce your request "
          "rate.</Message><RequestId>R1</RequestId></Error>", NULL));
  g_autoptr (GError) moved = decode (response (400,
          "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the "
          "region 'us-east-1' is wrong; expecting 'eu-west-1'</Message>"
          "<Region>eu-west-1</Region><RequestId>R2</RequestId></Error>", NULL));
  g_autoptr (GError) nokey = decode (response (404,
          "<Error><Code>NoSuchKey</Code><Message>The specified key does not "
          "exist.</Message><Key>a/b.jpg</Key><RequestId>R3</RequestId>"
          "</Error>", NULL));

  g_assert_cmpint (slow->code, ==, MT_AWS_ERROR_THROTTLED);
  g_assert_cmpstr (mt_aws_error_get_details (slow)->request_id, ==, "R1");
  g_assert_cmpstr (mt_aws_error_get_details (moved)->region_hint, ==,
      "eu-west-1");
  g_assert_nonnull (strstr (moved->message, "region eu-west-1"));
  g_assert_cmpint (nokey->code, ==, MT_AWS_ERROR_NOT_FOUND);
  g_assert_cmpstr (nokey->message, ==, "NoSuchKey: The specified key does "
      "not exist. (HTTP 404, request id R3)");
}

static void
test_query_protocol_xml (void)
{
  g_autoptr (GError) e = decode (response (403,
          "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
          "<Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
          "<Message>The security token included in the request is invalid."
          "</Message></Error><RequestId>q-1</RequestId></ErrorResponse>",
          NULL));

  g_assert_cmpint (e->code, ==, MT_AWS_ERROR_AUTH);
  g_assert_cmpstr (mt_aws_error_get_details (e)->request_id, ==, "q-1");
}

static void
test_head_without_body (void)
{
  g_autoptr (GError) missing = decode (response (404, NULL,
          "x-amz-request-id", "H1", NULL));
  g_autoptr (GError) forbidden = decode (response (403, "", NULL));
  g_autoptr (GError) moved = decode (response (301, NULL,
          "x-amz-bucket-region", "ap-south-1", NULL));
  g_autoptr (GError) unavailable = decode (response (503, NULL, NULL));
  g_autoptr (GError) teapot = decode (response (418, NULL, NULL));

  g_assert_cmpint (missing->code, ==, MT_AWS_ERROR_NOT_FOUND);
  g_assert_cmpstr (missing->message, ==, "NotFound (HTTP 404, request id H1)");
  g_assert_cmpint (forbidden->code, ==, MT_AWS_ERROR_ACCESS_DENIED);
  g_assert_cmpstr (mt_aws_error_get_details (forbidden)->code, ==, "Forbidden");
  g_assert_cmpstr (mt_aws_error_get_details (moved)->code, ==,
      "PermanentRedirect");
  g_assert_cmpstr (mt_aws_error_get_details (moved)->region_hint, ==,
      "ap-south-1");
  g_assert_cmpint (unavailable->code, ==, MT_AWS_ERROR_SERVER);
  g_assert_true ((mt_retry_classify (unavailable) != MT_RETRY_NEVER));
  g_assert_cmpint (teapot->code, ==, MT_AWS_ERROR_FAILED);
  g_assert_cmpstr (mt_aws_error_get_details (teapot)->code, ==, "HTTP418");
}

static void
test_html_from_proxy (void)
{
  g_autoptr (GError) e = decode (response (502,
          "<html><body><h1>502 Bad Gateway</h1><hr></body></html>", NULL));

  g_assert_cmpint (e->code, ==, MT_AWS_ERROR_SERVER);
  g_assert_cmpstr (mt_aws_error_get_details (e)->code, ==, "BadGateway");
  g_assert_true ((mt_retry_classify (e) != MT_RETRY_NEVER));
}

static void
test_transport_errors (void)
{
  g_autoptr (GError) reset = g_error_new_literal (G_IO_ERROR,
      G_IO_ERROR_CONNECTION_CLOSED, "GET h: closed");
  g_autoptr (GError) tls = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
      "GET h: certificate");
  g_autoptr (GError) cancel = g_error_new_literal (G_IO_ERROR,
      G_IO_ERROR_CANCELLED, "cancelled");
  g_autoptr (GError) net = mt_aws_error_from_transport (reset);
  g_autoptr (GError) net_tls = mt_aws_error_from_transport (tls);
  g_autoptr (GError) still_cancel = mt_aws_error_from_transport (cancel);
  g_autoptr (GError) copy = g_error_copy (net);

  g_assert_error (net, MT_AWS_ERROR, MT_AWS_ERROR_NETWORK);
  g_assert_cmpstr (net->message, ==, "GET h: closed");
  g_assert_true ((mt_retry_classify (net) != MT_RETRY_NEVER));
  g_assert_true ((mt_retry_classify (reset) != MT_RETRY_NEVER));
  g_assert_false ((mt_retry_classify (net_tls) != MT_RETRY_NEVER));
  g_assert_error (still_cancel, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false ((mt_retry_classify (still_cancel) != MT_RETRY_NEVER));
  /* Details travel with copies (elements copy errors into messages). */
  g_assert_nonnull (mt_aws_error_get_details (copy));
  g_assert_true (mt_aws_error_get_details (copy)->retryable);
}

static void
test_foreign_error_in_domain (void)
{
  g_autoptr (GError) e = g_error_new_literal (MT_AWS_ERROR,
      MT_AWS_ERROR_NO_CREDENTIALS, "no credentials");

  g_assert_null (mt_aws_error_get_details (e));
  g_assert_false ((mt_retry_classify (e) != MT_RETRY_NEVER));
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  mt_core_init ();

  g_test_add_func ("/awserror/json11-throttling", test_json11_throttling);
  g_test_add_func ("/awserror/json11-validation", test_json11_validation);
  g_test_add_func ("/awserror/rest-json-header", test_rest_json_header_wins);
  g_test_add_func ("/awserror/query-compatible",
      test_query_compatible_and_repeated_code);
  g_test_add_func ("/awserror/message-repeating-code",
      test_message_repeating_code);
  g_test_add_func ("/awserror/auth-and-access", test_auth_and_access);
  g_test_add_func ("/awserror/s3-xml", test_s3_xml);
  g_test_add_func ("/awserror/s3-xml-slowdown-region",
      test_s3_xml_slowdown_and_region);
  g_test_add_func ("/awserror/query-xml", test_query_protocol_xml);
  g_test_add_func ("/awserror/head-without-body", test_head_without_body);
  g_test_add_func ("/awserror/html-from-proxy", test_html_from_proxy);
  g_test_add_func ("/awserror/transport", test_transport_errors);
  g_test_add_func ("/awserror/foreign-error", test_foreign_error_in_domain);
  return g_test_run ();
}
