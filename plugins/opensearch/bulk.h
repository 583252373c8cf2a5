/* opensearchsink's bulk layer: documents made ready for a `_bulk` body
 * (action line and source line), the body itself, and the reading of a
 * bulk answer item by item. No element, no thread, no I/O: the element
 * (gstopensearchsink.c) sends and decides; this says what each item
 * became. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "http.h"
#include "retry.h"

G_BEGIN_DECLS

/* In an index name: replaced by each document's `analysis` field. */
#define OS_ANALYSIS_MARKER "{analysis}"

/* One document, ready to go into a bulk body. */
typedef struct
{
  gchar *id;
  gchar *index;
  GBytes *payload;              /* action line and source line, each with '\n' */
  gsize source_offset;
} OpenSearchDoc;

/* Index name -> start of its action line, for os_doc_new(). */
GHashTable *os_action_prefixes_new (void);

/* Takes `index_name` and `id`; copies `source` (len bytes, one JSON
 * object without its newline). */
OpenSearchDoc *os_doc_new (GHashTable * action_prefixes, gchar * index_name,
    gchar * id, const gchar * source, gsize len);
void os_doc_free (gpointer doc);

/* The document's own id (a non-empty string or an integer), or the
 * SHA-256 of its compact JSON when it has none, so indexing the same
 * document again replaces it. NULL when `id` is there but unusable. */
gchar *os_doc_id (JsonObject * obj, JsonNode * root);

/* The index for a document: `index` with OS_ANALYSIS_MARKER replaced by
 * its `analysis` field made safe for an index name ("unknown" without
 * one). */
gchar *os_doc_index (const gchar * index, JsonObject * obj);

/* The documents' payloads, one after the other. */
GBytes *os_bulk_body (GPtrArray * docs);

/* What retry.h makes of an HTTP status (429 throttled; 500, 502-504
 * transient). */
MtRetryClass os_classify_status (gint64 status);

/* OpenSearch's own words from an error answer: {"error": {type, reason}},
 * {"error": "..."}, AWS's {"message": "..."}, or the start of the body. */
gchar *os_describe_response (MtHttpResponse * resp);

/* Called for each document that another attempt cannot index: its
 * status, OpenSearch's error object (may be NULL) and a reason. FALSE
 * stops the settling. */
typedef gboolean (*OsRejectFunc) (OpenSearchDoc * doc, gint64 status,
    JsonObject * error_obj, const gchar * reason, gpointer user_data);

typedef enum
{
  OS_SETTLE_DONE,               /* every item indexed, to send again or rejected */
  OS_SETTLE_NOT_BULK,           /* not a bulk answer for these documents */
  OS_SETTLE_STOPPED,            /* the reject function said stop */
} OsSettleResult;

/* Reads every item of a bulk answer to `docs`, in request order: counts
 * the indexed ones in *indexed, adds those another round may index to
 * `again` (whether it may is asked of `state`'s budget), and hands the
 * others to `reject`. */
OsSettleResult os_bulk_settle (GPtrArray * docs, MtHttpResponse * resp,
    const MtRetryState * state, GPtrArray * again, guint64 * indexed,
    OsRejectFunc reject, gpointer user_data);

G_END_DECLS
