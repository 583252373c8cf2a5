/* A client for one AWS service: resolves region, endpoint and credentials
 * from an element's settings, signs with SigV4, retries with the policy of
 * retry.h (throttling, 5xx and network errors, exponential backoff with
 * full jitter, Retry-After honoured, bounded attempts, throttling on a
 * larger budget and slowed by the settings' adaptive rate limiter;
 * permanent errors returned at once), corrects the signing time once when
 * the service says the clock is off (its Date header), refreshes
 * credentials once on an expired token, and decodes errors (awserror.h).
 *
 * One client per element and service; thread-safe, so an element's worker
 * threads share it and its connections. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "awssettings.h"
#include "credentials.h"
#include "http.h"
#include "sigv4.h"

G_BEGIN_DECLS

typedef struct _MtAwsClient MtAwsClient;

typedef struct {
  const gchar *service_id;      /* SDK service id, for AWS_ENDPOINT_URL_<ID> */
  const gchar *endpoint_prefix; /* public endpoint host prefix */
  const gchar *signing_name;    /* SigV4 service name */
} MtAwsService;

/* Well-known services. */
extern const MtAwsService mt_aws_service_s3;
extern const MtAwsService mt_aws_service_rekognition;
extern const MtAwsService mt_aws_service_textract;
extern const MtAwsService mt_aws_service_transcribe;
extern const MtAwsService mt_aws_service_comprehend;
extern const MtAwsService mt_aws_service_sts;
extern const MtAwsService mt_aws_service_sqs;

/* Resolves region and endpoint now (a clear error if there is no region);
 * credentials are fetched lazily at the first request. With anonymous,
 * requests go unsigned (public S3 buckets). */
MtAwsClient *mt_aws_client_new (const MtAwsSettings * settings,
    const MtAwsService * service, gboolean anonymous, GError ** error);
void mt_aws_client_free (MtAwsClient * client);

const gchar *mt_aws_client_get_region (MtAwsClient * client);
/* Base URL, no trailing slash: "https://rekognition.us-east-1.amazonaws.com"
 * or the configured endpoint. */
const gchar *mt_aws_client_get_endpoint (MtAwsClient * client);
/* Checks that credentials can be had now (for a clear error at start). */
gboolean mt_aws_client_check_credentials (MtAwsClient * client,
    GCancellable * cancellable, GError ** error);

typedef struct {
  MtSigV4Payload payload;       /* default SIGNED */
  gboolean s3;                  /* S3 signing rules: no path normalisation, x-amz-content-sha256 */
  MtHttpDataFunc on_data;       /* stream the body instead of collecting it */
  gpointer user_data;
  /* Called before each retry so a streaming caller can reset what it
   * received (e.g. s3src resuming). It may change the request passed to
   * mt_aws_client_send (a Range header, say): each attempt signs a fresh
   * copy of it. May be NULL. */
  void (*on_retry) (guint attempt, const GError * error, gpointer user_data);
  /* A 3xx answer is a success (the caller reads Location or 304 itself)
   * instead of an error. */
  gboolean accept_3xx;
  /* The API action, for the final error ("GetObject"); NULL: the
   * operation of the X-Amz-Target header, if any. */
  const gchar *action;
} MtAwsSendOptions;

/* The backoff of retries (retry.h): before retry n (1-based) the client
 * sleeps a random time in [0, min(base_ms * 2^(n-1), max_ms)], as
 * botocore's ExponentialBackoff does with base 1 s and max 20 s (the
 * defaults). Tests and latency-bound callers may shorten it. */
void mt_aws_client_set_retry_backoff (MtAwsClient * client, guint base_ms,
    guint max_ms);

/* Signs and sends `req` (its url absolute, or a path+query beginning with
 * '/' that is joined to the endpoint), retrying as above. Returns TRUE for
 * a 2xx (and 3xx when the caller asked for one) response; a non-2xx final
 * response is an MT_AWS_ERROR from awserror.h naming the action and the
 * attempts (mt_aws_error_set_outcome), and *response is still set
 * when response != NULL so the caller can read headers. Transport errors
 * are MT_AWS_ERROR_NETWORK; cancellation is G_IO_ERROR_CANCELLED, also
 * during a backoff sleep. `req` itself is not modified: each attempt signs
 * a copy (a new date each time). With options->on_data, only a success's
 * body is streamed; an error body is kept for decoding. */
gboolean mt_aws_client_send (MtAwsClient * client, MtHttpRequest * req,
    const MtAwsSendOptions * options, MtHttpResponse ** response,
    GCancellable * cancellable, GError ** error);

/* An AWS JSON 1.1 call: POST / with X-Amz-Target "<target>", content type
 * application/x-amz-json-1.1. `target` is e.g.
 * "RekognitionService.DetectLabels". Returns the decoded response object. */
JsonObject *mt_aws_client_json_call (MtAwsClient * client,
    const gchar * target, JsonObject * request,
    GCancellable * cancellable, GError ** error);
/* The same in the AWS JSON 1.0 protocol (application/x-amz-json-1.0):
 * SQS ("AmazonSQS.ReceiveMessage"), DynamoDB. */
JsonObject *mt_aws_client_json10_call (MtAwsClient * client,
    const gchar * target, JsonObject * request,
    GCancellable * cancellable, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtAwsClient, mt_aws_client_free)

G_END_DECLS
