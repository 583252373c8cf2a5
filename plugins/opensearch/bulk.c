/* opensearchsink's bulk layer: see bulk.h. */
#include "bulk.h"

#include <string.h>

#define ERROR_PREVIEW 300

GHashTable *
os_action_prefixes_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

void
os_doc_free (gpointer data)
{
  OpenSearchDoc *doc = data;

  g_free (doc->id);
  g_free (doc->index);
  g_bytes_unref (doc->payload);
  g_free (doc);
}

/* A JSON string literal, quotes included, written by json-glib. */
static gchar *
json_string_literal (const gchar * value)
{
  g_autoptr (JsonNode) node = json_node_init_string (json_node_alloc (), value);

  return json_to_string (node, FALSE);
}

/* The action line up to the id: {"index":{"_index":"NAME","_id":
 * Built once per index name with json-glib: a JsonBuilder per document
 * cost as much as a third of the parsing. */
static const gchar *
action_prefix (GHashTable * prefixes, const gchar * index_name)
{
  g_autofree gchar *literal = NULL;
  gchar *prefix = g_hash_table_lookup (prefixes, index_name);

  if (prefix != NULL)
    return prefix;
  literal = json_string_literal (index_name);
  prefix = g_strconcat ("{\"index\":{\"_index\":", literal, ",\"_id\":", NULL);
  g_hash_table_insert (prefixes, g_strdup (index_name), prefix);
  return prefix;
}

/* Ids made of these characters need no JSON escaping. */
static gboolean
id_is_plain (const gchar * id)
{
  for (const gchar * p = id; *p; p++) {
    if (!g_ascii_isalnum (*p) && strchr ("-_.:/+=@", *p) == NULL)
      return FALSE;
  }
  return TRUE;
}

OpenSearchDoc *
os_doc_new (GHashTable * action_prefixes, gchar * index_name, gchar * id,
    const gchar * source, gsize len)
{
  OpenSearchDoc *doc = g_new0 (OpenSearchDoc, 1);
  const gchar *prefix = action_prefix (action_prefixes, index_name);
  g_autofree gchar *escaped = id_is_plain (id) ? NULL :
      json_string_literal (id);
  gsize plen = strlen (prefix);
  gsize ilen = escaped ? strlen (escaped) : strlen (id) + 2;
  gsize alen = plen + ilen + 2;
  guint8 *buf = g_malloc (alen + len + 2);

  memcpy (buf, prefix, plen);
  if (escaped != NULL) {
    memcpy (buf + plen, escaped, ilen);
  } else {
    buf[plen] = '"';
    memcpy (buf + plen + 1, id, ilen - 2);
    buf[plen + ilen - 1] = '"';
  }
  memcpy (buf + plen + ilen, "}}\n", 3);
  memcpy (buf + alen + 1, source, len);
  buf[alen + 1 + len] = '\n';

  doc->index = index_name;
  doc->id = id;
  doc->payload = g_bytes_new_take (buf, alen + len + 2);
  doc->source_offset = alen + 1;
  return doc;
}

static const gchar *
member_string (JsonObject * obj, const gchar * name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
member_int (JsonObject * obj, const gchar * name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (node);
}

static JsonObject *
member_object (JsonObject * obj, const gchar * name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ?
      json_node_get_object (node) : NULL;
}

gchar *
os_doc_id (JsonObject * obj, JsonNode * root)
{
  JsonNode *node = json_object_get_member (obj, "id");
  g_autofree gchar *compact = NULL;

  if (node != NULL && !JSON_NODE_HOLDS_NULL (node)) {
    const gchar *s = member_string (obj, "id");

    if (s != NULL && *s != '\0')
      return g_strdup (s);
    if (JSON_NODE_HOLDS_VALUE (node) &&
        json_node_get_value_type (node) == G_TYPE_INT64)
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    return NULL;
  }
  compact = json_to_string (root, FALSE);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, compact, -1);
}

gchar *
os_doc_index (const gchar * index, JsonObject * obj)
{
  const gchar *analysis;
  g_autofree gchar *safe = NULL;
  GString *name;

  if (strstr (index, OS_ANALYSIS_MARKER) == NULL)
    return g_strdup (index);

  analysis = member_string (obj, "analysis");
  if (analysis == NULL || *analysis == '\0')
    analysis = "unknown";
  safe = g_ascii_strdown (analysis, -1);
  for (gchar * p = safe; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      *p = '_';
  }
  name = g_string_new (index);
  g_string_replace (name, OS_ANALYSIS_MARKER, safe, 0);
  return g_string_free (name, FALSE);
}

GBytes *
os_bulk_body (GPtrArray * docs)
{
  gsize total = 0;
  GByteArray *body;

  for (guint i = 0; i < docs->len; i++)
    total += g_bytes_get_size (((OpenSearchDoc *) docs->pdata[i])->payload);
  body = g_byte_array_sized_new (total);
  for (guint i = 0; i < docs->len; i++) {
    gsize size;
    const guint8 *data =
        g_bytes_get_data (((OpenSearchDoc *) docs->pdata[i])->payload, &size);

    g_byte_array_append (body, data, size);
  }
  return g_byte_array_free_to_bytes (body);
}

/* An item's error type may say throttled too: es_rejected_execution_exception
 * comes as 429. */
MtRetryClass
os_classify_status (gint64 status)
{
  return mt_retry_classify_answer (status > 0 && status < G_MAXUINT ?
      (guint) status : 0, NULL);
}

gchar *
os_describe_response (MtHttpResponse * resp)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize size = 0;
  const gchar *data = resp->body ? g_bytes_get_data (resp->body, &size) : "";
  JsonObject *root = NULL;
  JsonObject *err;
  const gchar *s;

  if (size > 0 && json_parser_load_from_data (parser, data, size, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    root = json_node_get_object (json_parser_get_root (parser));
  err = member_object (root, "error");
  if (err != NULL)
    return g_strdup_printf ("%s: %s",
        member_string (err, "type") ? member_string (err, "type") : "error",
        member_string (err, "reason") ? member_string (err, "reason") : "");
  if ((s = member_string (root, "error")) != NULL ||
      (s = member_string (root, "message")) != NULL ||
      (s = member_string (root, "Message")) != NULL)
    return g_strdup (s);
  if (size == 0)
    return g_strdup ("empty answer");
  return g_utf8_make_valid (data, MIN (size, ERROR_PREVIEW));
}

/* Each item is {"<action>": {...}}: its one member is the result. */
static JsonObject *
item_result (JsonNode * item)
{
  GList *values;
  JsonNode *first;

  if (!JSON_NODE_HOLDS_OBJECT (item) ||
      json_object_get_size (json_node_get_object (item)) != 1)
    return NULL;
  values = json_object_get_values (json_node_get_object (item));
  first = values->data;
  g_list_free (values);
  return JSON_NODE_HOLDS_OBJECT (first) ? json_node_get_object (first) : NULL;
}

static gchar *
item_reason (gint64 status, JsonObject * error_obj)
{
  const gchar *type = member_string (error_obj, "type");
  const gchar *reason = member_string (error_obj, "reason");

  return g_strdup_printf ("HTTP %" G_GINT64_FORMAT " %s: %s", status,
      type ? type : "error", reason ? reason : "no reason given");
}

/* Whether another round may index an item answered `status`: the round's
 * budget is asked on a copy, since one round settles many items. */
static gboolean
item_may_pass (const MtRetryState * state, gint64 status)
{
  MtRetryState probe = *state;

  return mt_retry_next_delay (&probe, os_classify_status (status), -1) >= 0;
}

static JsonArray *
answer_items (JsonParser * parser, MtHttpResponse * resp)
{
  gsize size = 0;
  const gchar *data = resp->body ? g_bytes_get_data (resp->body, &size) : "";
  JsonNode *node;

  if (!json_parser_load_from_data (parser, data, size, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  node = json_object_get_member (json_node_get_object (json_parser_get_root
          (parser)), "items");
  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ?
      json_node_get_array (node) : NULL;
}

OsSettleResult
os_bulk_settle (GPtrArray * docs, MtHttpResponse * resp,
    const MtRetryState * state, GPtrArray * again, guint64 * indexed,
    OsRejectFunc reject, gpointer user_data)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *items = answer_items (parser, resp);

  if (items == NULL || json_array_get_length (items) != docs->len)
    return OS_SETTLE_NOT_BULK;

  for (guint i = 0; i < docs->len; i++) {
    OpenSearchDoc *doc = g_ptr_array_index (docs, i);
    JsonObject *result = item_result (json_array_get_element (items, i));
    gint64 status = member_int (result, "status");
    JsonObject *error_obj = member_object (result, "error");
    g_autofree gchar *reason = NULL;

    if (status >= 200 && status < 300) {
      (*indexed)++;
      continue;
    }
    if (item_may_pass (state, status)) {
      g_ptr_array_add (again, doc);
      continue;
    }
    reason = item_reason (status, error_obj);
    if (os_classify_status (status) != MT_RETRY_NEVER) {
      g_autofree gchar *r = reason;
      reason = g_strdup_printf ("still rejected after %u attempts: %s",
          state->attempts + 1, r);
    }
    if (!reject (doc, status, error_obj, reason, user_data))
      return OS_SETTLE_STOPPED;
  }
  return OS_SETTLE_DONE;
}
