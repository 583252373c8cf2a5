/* opensearchsink: bulk-indexes JSON-lines result documents into OpenSearch
 * or Elasticsearch. See gstopensearchsink.c. */
#pragma once

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>
#include <json-glib/json-glib.h>

#include "awssettings.h"
#include "credentials.h"
#include "http.h"
#include "jsonlines.h"

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

struct _GstOpenSearchSink
{
  GstBaseSink parent;

  /* properties, under the object lock; read once in start() */
  gchar *url;                   /* NULL: endpoint, then the default */
  gchar *index;
  gchar *username;
  gchar *password;
  gboolean aws_sigv4;
  GstOpenSearchSinkAwsService aws_service;
  guint bulk_max_docs;
  guint64 bulk_max_bytes;
  guint flush_interval_ms;
  guint bulk_concurrency;
  gchar *dead_letter_location;
  gboolean install_template;
  GstOpenSearchSinkOnError on_error;
  MtAwsSettings settings;

  /* what start() made; read-only while running */
  gchar *base_url;              /* no trailing slash */
  gchar *cur_index;
  gboolean per_analysis;        /* cur_index holds {analysis} */
  gchar *basic_auth;            /* "Basic ..." header: a secret */
  MtCredentialsProvider *credentials;
  gchar *region;
  const gchar *signing_name;    /* NULL: no SigV4 */
  guint max_docs;
  gsize max_bytes;
  gint64 flush_interval_us;
  guint cur_concurrency;
  guint retries;
  GstOpenSearchSinkOnError cur_on_error;
  gboolean cur_install_template;
  MtHttpClient *http;
  GCancellable *cancellable;
  GPtrArray *senders;           /* of GThread */

  /* streaming thread only */
  MtLineAssembler *lines;
  GstFlowReturn line_flow;      /* what the last line gave */
  JsonParser *parser;
  GHashTable *action_prefixes;  /* index name -> start of its action line */

  /* dead letters, from both threads */
  GMutex dead_lock;
  GOutputStream *dead_out;
  gchar *cur_dead_letter_location;
  guint warnings_posted;
  guint64 warnings_suppressed;

  /* shared between the streaming thread and the sender */
  GMutex lock;
  GCond cond;
  GPtrArray *pending;           /* of documents, the batch being filled */
  gsize pending_bytes;
  gint64 pending_since;
  gboolean want_send;           /* the batch is full: a document waits */
  gboolean draining;            /* EOS: send everything now */
  guint in_flight;              /* documents taken by senders, unsettled */
  gboolean stopping;
  gboolean unlocked;            /* GstBaseSink::unlock */
  GstFlowReturn flow;           /* GST_FLOW_ERROR once the sender failed */
  guint64 n_indexed;
  guint64 n_dead;
  guint64 n_retried;
  guint64 n_requests;
};

GST_ELEMENT_REGISTER_DECLARE (opensearchsink);

G_END_DECLS
