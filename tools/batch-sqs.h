/* mediatag batch --watch: the SQS queue that receives a bucket's S3 event
 * notifications (ObjectCreated:*), as the serverless label-detection
 * seed's Lambda receives them.
 *
 * The client speaks SQS's JSON protocol (AmazonSQS.ReceiveMessage, ...)
 * through the core AWS client (signing, retries, adaptive rate limiting,
 * endpoints from AWS_ENDPOINT_URL_SQS or the settings' endpoint).
 *
 * A message's lifetime is the caller's: receive it, extend its visibility
 * while its assets run (mt_sqs_client_extend), delete it only after every
 * asset it names is done or recorded as failed in the ledger
 * (mt_sqs_client_delete). A message that is not deleted comes back after
 * its visibility timeout, so a process killed mid-asset loses nothing.
 *
 * Thread-safe: one client may be shared by the batch's worker threads. */
#pragma once

#include <gio/gio.h>
#include "awssettings.h"

G_BEGIN_DECLS

typedef struct _MtSqsClient MtSqsClient;

typedef struct
{
  gchar *message_id;
  gchar *receipt_handle;
  /* s3://bucket/key of each ObjectCreated record, the key URL-decoded
   * (S3 event keys are form-encoded: '+' is a space), in record order.
   * Empty for s3:TestEvent and for records that are not ObjectCreated;
   * such messages are to be deleted at once. */
  GPtrArray *uris;              /* gchar* */
  /* ETag and size of each record, parallel to uris (the ledger's
   * "changed source" check); etag NULL when the event has none. */
  GPtrArray *etags;             /* gchar* or NULL */
  GArray *sizes;                /* guint64 */
} MtSqsMessage;

void mt_sqs_message_free (MtSqsMessage * msg);

/* queue_url: https://sqs.<region>.amazonaws.com/<account>/<name>, or a
 * local endpoint's queue URL (moto). Fails with a sentence naming the
 * queue when the URL is not a queue URL. No request is sent yet. */
MtSqsClient *mt_sqs_client_new (const MtAwsSettings * settings,
    const gchar * queue_url, GError ** error);
void mt_sqs_client_free (MtSqsClient * client);

/* Checks the queue exists and can be read (GetQueueAttributes), so that a
 * wrong URL or missing permission fails before any work. */
gboolean mt_sqs_client_check (MtSqsClient * client, GCancellable * cancellable,
    GError ** error);

/* ReceiveMessage: long-polls up to wait_seconds (0-20) for at most
 * max_messages (1-10), each hidden from other consumers for
 * visibility_seconds. Returns MtSqsMessage (free with g_ptr_array_unref;
 * empty when none came). A message whose body is not an S3 event is
 * returned with no uris and a g_warning naming its id. */
GPtrArray *mt_sqs_client_receive (MtSqsClient * client, guint max_messages,
    guint wait_seconds, guint visibility_seconds, GCancellable * cancellable,
    GError ** error);

/* ChangeMessageVisibility: hides the message for visibility_seconds more
 * from now (call it well before the previous timeout runs out). */
gboolean mt_sqs_client_extend (MtSqsClient * client, const MtSqsMessage * msg,
    guint visibility_seconds, GCancellable * cancellable, GError ** error);

/* DeleteMessage. */
gboolean mt_sqs_client_delete (MtSqsClient * client, const MtSqsMessage * msg,
    GCancellable * cancellable, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtSqsMessage, mt_sqs_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtSqsClient, mt_sqs_client_free)

G_END_DECLS
