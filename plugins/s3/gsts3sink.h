/* s3sink: writes a stream to S3. See gsts3sink.c. */
#pragma once

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

#include "awssettings.h"
#include "gsts3location.h"
#include "s3.h"

G_BEGIN_DECLS

/**
 * GstS3SinkOnError:
 * @GST_S3_SINK_ON_ERROR_ABORT: abort the multipart upload: nothing is left
 *   behind, no object and no pending upload
 * @GST_S3_SINK_ON_ERROR_COMPLETE: complete the upload with what was
 *   received, leaving a shorter object
 * @GST_S3_SINK_ON_ERROR_DO_NOTHING: leave the multipart upload pending
 *   (its parts are billed until a lifecycle rule or a user aborts it)
 *
 * What s3sink does with an unfinished multipart upload when it stops
 * without EOS (an error, or a stop mid-stream).
 */
typedef enum
{
  GST_S3_SINK_ON_ERROR_ABORT,
  GST_S3_SINK_ON_ERROR_COMPLETE,
  GST_S3_SINK_ON_ERROR_DO_NOTHING,
} GstS3SinkOnError;

#define GST_TYPE_S3_SINK_ON_ERROR (gst_s3_sink_on_error_get_type ())
GType gst_s3_sink_on_error_get_type (void);

#define GST_TYPE_S3_SINK (gst_s3_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstS3Sink, gst_s3_sink, GST, S3_SINK, GstBaseSink)

struct _GstS3Sink
{
  GstBaseSink parent;

  /* properties, under the object lock */
  GstS3Location location;
  gchar *content_type;
  GstStructure *metadata;
  guint64 part_size;
  GstS3SinkOnError on_error;
  guint64 min_size;
  MtAwsSettings settings;

  /* streaming state, copied or made in start() */
  MtS3Client *client;
  gchar *cur_bucket;
  gchar *cur_key;
  gchar *cur_content_type;
  GstStructure *cur_metadata;
  guint64 cur_part_size;
  GstS3SinkOnError cur_on_error;
  guint64 cur_min_size;
  gboolean per_buffer;          /* the key holds %d: one object per buffer */
  guint index;                  /* next %d */
  GByteArray *pending;          /* bytes of the part being gathered */
  gchar *upload_id;             /* multipart upload in progress */
  GPtrArray *etags;             /* of the parts uploaded, in order */
  guint64 bytes;
  gboolean finished;            /* EOS completed the object(s) */

  /* the part uploading in the background while render() gathers the next:
   * touched by that thread only until it is joined */
  GThread *part_thread;
  GBytes *part_body;
  gboolean part_ok;
  GError *part_error;

  GMutex cancel_lock;
  GCancellable *cancellable;
};

GST_ELEMENT_REGISTER_DECLARE (s3sink);

G_END_DECLS
