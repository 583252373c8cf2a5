/* opensearchsink: bulk-indexes JSON-lines result documents into OpenSearch
 * or Elasticsearch. See gstopensearchsink.c; its settings and running
 * state are private to it, its bulk layer is bulk.h, its dead letters
 * deadletter.h. */
#pragma once

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

/**
 * GstOpenSearchSinkOnError:
 * @GST_OPENSEARCH_SINK_ON_ERROR_DEAD_LETTER: write the document and the
 *   reason to `dead-letter-location`, post a warning, and go on
 * @GST_OPENSEARCH_SINK_ON_ERROR_FAIL: stop the pipeline with an error
 *
 * What opensearchsink does with a document it cannot index: an input line
 * that is not a JSON object, or a document OpenSearch rejects for good
 * (a mapping conflict, say).
 */
typedef enum
{
  GST_OPENSEARCH_SINK_ON_ERROR_DEAD_LETTER,
  GST_OPENSEARCH_SINK_ON_ERROR_FAIL,
} GstOpenSearchSinkOnError;

/**
 * GstOpenSearchSinkAwsService:
 * @GST_OPENSEARCH_SINK_AWS_SERVICE_ES: Amazon OpenSearch Service domains
 *   (signing name `es`)
 * @GST_OPENSEARCH_SINK_AWS_SERVICE_AOSS: Amazon OpenSearch Serverless
 *   collections (signing name `aoss`, payload hash header required)
 *
 * The AWS service that `aws-sigv4` signs for.
 */
typedef enum
{
  GST_OPENSEARCH_SINK_AWS_SERVICE_ES,
  GST_OPENSEARCH_SINK_AWS_SERVICE_AOSS,
} GstOpenSearchSinkAwsService;

#define GST_TYPE_OPENSEARCH_SINK_ON_ERROR (gst_opensearch_sink_on_error_get_type ())
GType gst_opensearch_sink_on_error_get_type (void);
#define GST_TYPE_OPENSEARCH_SINK_AWS_SERVICE (gst_opensearch_sink_aws_service_get_type ())
GType gst_opensearch_sink_aws_service_get_type (void);

#define GST_TYPE_OPENSEARCH_SINK (gst_opensearch_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstOpenSearchSink, gst_opensearch_sink, GST,
    OPENSEARCH_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE (opensearchsink);

G_END_DECLS
