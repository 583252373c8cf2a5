/* One error type for every AWS call: decoded from the service's own body
 * (JSON 1.1 `__type`/`message`, REST-JSON `code`/`Message`, S3 XML
 * `Code`/`Message`, the X-Amzn-ErrorType header), with the HTTP status,
 * service code, request id and whether a retry may help.
 *
 * Errors travel as GError in the MT_AWS_ERROR domain. A decoded answer's
 * message reads "<ServiceCode>: <service message> (HTTP <status>, request
 * id <id>)"; once a client has given up on a call it reads
 * "<Action>: <ServiceCode> (HTTP <status>) after <n> attempts: <service
 * message> (request id <id>)" (mt_aws_error_set_outcome), so a
 * GST_ELEMENT_ERROR or an error document built from it names the API
 * action and the service's code. The decoded details stay reachable with
 * mt_aws_error_get_details(). */
#pragma once

#include <glib.h>
#include "http.h"

G_BEGIN_DECLS

#define MT_AWS_ERROR (mt_aws_error_quark ())
GQuark mt_aws_error_quark (void);

typedef enum {
  MT_AWS_ERROR_FAILED,          /* anything not below */
  MT_AWS_ERROR_THROTTLED,       /* 429, ThrottlingException, SlowDown, ... */
  MT_AWS_ERROR_SERVER,          /* 5xx */
  MT_AWS_ERROR_NETWORK,         /* connection refused, reset, timed out */
  MT_AWS_ERROR_AUTH,            /* signature, unknown key, expired token */
  MT_AWS_ERROR_ACCESS_DENIED,   /* 403 AccessDenied and the like */
  MT_AWS_ERROR_NOT_FOUND,       /* NoSuchKey, NoSuchBucket, ResourceNotFound */
  MT_AWS_ERROR_INVALID,         /* 400 validation, bad parameters */
  MT_AWS_ERROR_NO_CREDENTIALS,  /* the chain yielded nothing */
  MT_AWS_ERROR_CONFIG,          /* no region, malformed endpoint, ... */
  MT_AWS_ERROR_CANCELLED,       /* reserved: the HTTP layer and the client
                                 * report cancellation as G_IO_ERROR_CANCELLED,
                                 * as GIO does, so test for that */
} MtAwsErrorCode;

typedef struct {
  guint http_status;            /* 0 for errors without a response */
  gchar *code;                  /* the service's code, e.g. "NoSuchKey" */
  gchar *message;               /* the service's message */
  gchar *request_id;
  gchar *region_hint;           /* S3: x-amz-bucket-region / <Region> */
  gboolean retryable;
  gchar *action;                /* the API action, e.g. "DetectFaces"; NULL
                                 * when the caller did not name one */
  guint attempts;               /* attempts made before giving up; 0: unknown */
} MtAwsErrorDetails;

/* Decodes a non-2xx response into a GError; returns the details too when
 * details != NULL (free with mt_aws_error_details_free). */
GError *mt_aws_error_from_response (const MtHttpResponse * resp,
    MtAwsErrorDetails ** details);
/* The decoded details of an error made by this module, or NULL. */
const MtAwsErrorDetails *mt_aws_error_get_details (const GError * error);
void mt_aws_error_details_free (MtAwsErrorDetails * d);
/* Records how a call ended: the API action (may be NULL) and the attempts
 * made, in the details (added when the error had none) and in the message
 * as described above. Errors of other domains are left alone. */
void mt_aws_error_set_outcome (GError * error, const gchar * action,
    guint attempts);

/* Wraps a transport error of http.h as MT_AWS_ERROR_NETWORK (details with
 * http_status 0 and retryable set as above). G_IO_ERROR_CANCELLED and
 * errors of other domains are returned as copies, unchanged, so callers
 * keep testing g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED). */
GError *mt_aws_error_from_transport (const GError * io_error);

/* TRUE when the service said the session token has expired: fresh
 * credentials may make the request pass. */
gboolean mt_aws_error_is_expired_token (const GError * error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtAwsErrorDetails, mt_aws_error_details_free)

G_END_DECLS
