/* Textract's answer shapes turned into result documents (see blocks.h).
 *
 * Blocks reference each other by Id through Relationships (CHILD, VALUE,
 * ANSWER, MERGED_CELL), in any order and possibly split over several
 * answers, so every conversion first indexes the page's blocks by Id. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "blocks.h"
#include "gsttextractsink.h"
#include "result.h"

#define ANALYSIS_DOCUMENT "document"
#define ANALYSIS_TABLE "table"
#define ANALYSIS_FIELD "field"
#define ANALYSIS_ANSWER "answer"
#define ANALYSIS_SIGNATURE "signature"
#define ANALYSIS_LAYOUT "layout"
#define ANALYSIS_EXPENSE "expense"
#define ANALYSIS_IDENTITY "identity"

/* One page's blocks, indexed. */
typedef struct
{
  JsonArray *blocks;
  GHashTable *by_id;            /* Id -> JsonObject (borrowed) */
  guint page;
  gdouble min_confidence;
  const gchar *engine;
  GPtrArray *results;
} Page;

/* Small JSON readers */

static const gchar *
str_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_STRING ?
      json_node_get_string (n) : NULL;
}

static JsonObject *
obj_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static JsonArray *
arr_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static gdouble
num_member (JsonObject * o, const gchar * name, gdouble fallback)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (!n || !JSON_NODE_HOLDS_VALUE (n))
    return fallback;
  switch (json_node_get_value_type (n)) {
    case G_TYPE_INT64:
      return json_node_get_int (n);
    case G_TYPE_DOUBLE:
      return json_node_get_double (n);
    default:
      return fallback;
  }
}

static JsonObject *
array_object (JsonArray * a, guint i)
{
  JsonNode *n = json_array_get_element (a, i);

  return JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static gboolean
is_type (JsonObject * block, const gchar * type)
{
  return !g_strcmp0 (str_member (block, "BlockType"), type);
}

static gboolean
has_entity_type (JsonObject * block, const gchar * type)
{
  JsonArray *types = arr_member (block, "EntityTypes");
  guint i;

  for (i = 0; types && i < json_array_get_length (types); i++) {
    if (!g_strcmp0 (json_array_get_string_element (types, i), type))
      return TRUE;
  }
  return FALSE;
}

/* The Ids a block relates to with relationship `type`, in order (a block
 * may carry several relationships of one type). */
static GPtrArray *
related_ids (JsonObject * block, const gchar * type)
{
  JsonArray *rels = arr_member (block, "Relationships");
  GPtrArray *ids = g_ptr_array_new ();
  guint i, j;

  for (i = 0; rels && i < json_array_get_length (rels); i++) {
    JsonObject *rel = array_object (rels, i);
    JsonArray *list = arr_member (rel, "Ids");

    if (!list || g_strcmp0 (str_member (rel, "Type"), type))
      continue;
    for (j = 0; j < json_array_get_length (list); j++)
      g_ptr_array_add (ids, (gpointer) json_array_get_string_element (list, j));
  }
  return ids;
}

static JsonObject *
lookup (Page * p, const gchar * id)
{
  return id ? g_hash_table_lookup (p->by_id, id) : NULL;
}

/* The blocks a block relates to with `type` that are of `block_type`
 * (NULL: any), in order; unknown ids are skipped. */
static GPtrArray *
related (Page * p, JsonObject * block, const gchar * type,
    const gchar * block_type)
{
  g_autoptr (GPtrArray) ids = related_ids (block, type);
  GPtrArray *out = g_ptr_array_new ();
  guint i;

  for (i = 0; i < ids->len; i++) {
    JsonObject *b = lookup (p, g_ptr_array_index (ids, i));

    if (b && (!block_type || is_type (b, block_type)))
      g_ptr_array_add (out, b);
  }
  return out;
}

/* The text a block stands for: its own Text (LINE, WORD, QUERY_RESULT),
 * or its WORD children joined with spaces, a selection element reading
 * SELECTED / NOT_SELECTED (form checkboxes, ticked table cells). */
static gchar *
block_text (Page * p, JsonObject * block)
{
  g_autoptr (GPtrArray) children = NULL;
  GString *s;
  guint i;

  if (is_type (block, "SELECTION_ELEMENT"))
    return g_strdup (str_member (block, "SelectionStatus"));
  if (str_member (block, "Text"))
    return g_strdup (str_member (block, "Text"));
  children = related (p, block, "CHILD", NULL);
  s = g_string_new (NULL);
  for (i = 0; i < children->len; i++) {
    JsonObject *c = g_ptr_array_index (children, i);
    g_autofree gchar *t = NULL;

    if (!is_type (c, "WORD") && !is_type (c, "SELECTION_ELEMENT")
        && !is_type (c, "LINE"))
      continue;
    t = block_text (p, c);
    if (!t || !*t)
      continue;
    if (s->len)
      g_string_append_c (s, ' ');
    g_string_append (s, t);
  }
  return g_string_free (s, FALSE);
}

/* Documents */

static JsonObject *
bbox_of (JsonObject * o)
{
  return obj_member (obj_member (o, "Geometry"), "BoundingBox");
}

/* Textract's boxes may overshoot the page by a hair: kept within 0..1. */
static void
set_box (JsonObject * r, JsonObject * bbox)
{
  gdouble l, t, w, h;

  if (!bbox || !json_object_has_member (bbox, "Left")
      || !json_object_has_member (bbox, "Width"))
    return;
  l = CLAMP (num_member (bbox, "Left", 0), 0, 1);
  t = CLAMP (num_member (bbox, "Top", 0), 0, 1);
  w = CLAMP (num_member (bbox, "Width", 0), 0, 1 - l);
  h = CLAMP (num_member (bbox, "Height", 0), 0, 1 - t);
  mt_result_set_box (r, l, t, w, h);
}

/* The smallest box holding both (either may be NULL). */
static void
set_union_box (JsonObject * r, JsonObject * a, JsonObject * b)
{
  g_autoptr (JsonObject) u = NULL;
  gdouble l, t, rr, bb;

  if (!a || !b) {
    set_box (r, a ? a : b);
    return;
  }
  l = MIN (num_member (a, "Left", 0), num_member (b, "Left", 0));
  t = MIN (num_member (a, "Top", 0), num_member (b, "Top", 0));
  rr = MAX (num_member (a, "Left", 0) + num_member (a, "Width", 0),
      num_member (b, "Left", 0) + num_member (b, "Width", 0));
  bb = MAX (num_member (a, "Top", 0) + num_member (a, "Height", 0),
      num_member (b, "Top", 0) + num_member (b, "Height", 0));
  u = json_object_new ();
  json_object_set_double_member (u, "Left", l);
  json_object_set_double_member (u, "Top", t);
  json_object_set_double_member (u, "Width", rr - l);
  json_object_set_double_member (u, "Height", bb - t);
  set_box (r, u);
}

static JsonObject *
new_doc (Page * p, const gchar * analysis, const gchar * name,
    gdouble confidence)
{
  JsonObject *r = mt_result_new (analysis, p->engine, name, confidence);

  if (p->page > 0)
    json_object_set_int_member (r, "page", p->page);
  return r;
}

/* Takes `detail` over. */
static void
add_doc (Page * p, JsonObject * r, JsonObject * detail)
{
  if (detail) {
    mt_result_set_detail (r, detail);
    json_object_unref (detail);
  }
  g_ptr_array_add (p->results, r);
}

/* A detail object holding one block verbatim. */
static JsonObject *
detail_with (const gchar * name, JsonObject * block)
{
  JsonObject *d = json_object_new ();

  json_object_set_object_member (d, name, json_object_ref (block));
  return d;
}

/* LINE blocks in reading order: as the PAGE lists them (Textract gives a
 * page's children in reading order), then any LINE it does not list. */
static GPtrArray *
lines_in_order (Page * p)
{
  GPtrArray *lines = g_ptr_array_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  guint i, j;

  for (i = 0; i < json_array_get_length (p->blocks); i++) {
    JsonObject *b = array_object (p->blocks, i);
    g_autoptr (GPtrArray) kids = NULL;

    if (!is_type (b, "PAGE"))
      continue;
    kids = related (p, b, "CHILD", "LINE");
    for (j = 0; j < kids->len; j++) {
      if (g_hash_table_add (seen, g_ptr_array_index (kids, j)))
        g_ptr_array_add (lines, g_ptr_array_index (kids, j));
    }
  }
  for (i = 0; i < json_array_get_length (p->blocks); i++) {
    JsonObject *b = array_object (p->blocks, i);

    if (is_type (b, "LINE") && g_hash_table_add (seen, b))
      g_ptr_array_add (lines, b);
  }
  return lines;
}

static void
text_docs (Page * p, GPtrArray * lines)
{
  guint i;

  for (i = 0; i < lines->len; i++) {
    JsonObject *line = g_ptr_array_index (lines, i);
    const gchar *text = str_member (line, "Text");
    gdouble conf = num_member (line, "Confidence", 0);
    JsonObject *r;

    if (!text || !*text || conf < p->min_confidence)
      continue;
    r = new_doc (p, MT_ANALYSIS_TEXT, text, conf);
    json_object_set_string_member (r, "text", text);
    set_box (r, bbox_of (line));
    add_doc (p, r, detail_with ("Block", line));
  }
}

static JsonObject *
first_of_type (Page * p, const gchar * type)
{
  guint i;

  for (i = 0; i < json_array_get_length (p->blocks); i++) {
    JsonObject *b = array_object (p->blocks, i);

    if (is_type (b, type))
      return b;
  }
  return NULL;
}

/* One `document` per page with text: a blank page gives none. */
static void
document_doc (Page * p, GPtrArray * lines)
{
  GString *text = g_string_new (NULL);
  JsonObject *page_block = first_of_type (p, "PAGE");
  JsonObject *detail = json_object_new ();
  gdouble sum = 0;
  JsonObject *r;
  guint i;

  for (i = 0; i < lines->len; i++) {
    JsonObject *line = g_ptr_array_index (lines, i);

    if (text->len)
      g_string_append_c (text, '\n');
    g_string_append (text, str_member (line, "Text") ? str_member (line,
            "Text") : "");
    sum += num_member (line, "Confidence", 0);
  }
  r = new_doc (p, ANALYSIS_DOCUMENT, NULL, sum / lines->len);
  json_object_set_string_member (r, "text", text->str);
  g_string_free (text, TRUE);
  set_box (r, page_block ? bbox_of (page_block) : NULL);
  json_object_set_array_member (detail, "Blocks", json_array_ref (p->blocks));
  add_doc (p, r, detail);
}

/* Tables */

typedef struct
{
  guint n_rows, n_cols;
  gchar **cells;                /* n_rows * n_cols, owned, never NULL */
  gboolean *header;             /* per row: a column-header row */
} Grid;

static void
grid_clear (Grid * g)
{
  guint i;

  for (i = 0; g->cells && i < g->n_rows * g->n_cols; i++)
    g_free (g->cells[i]);
  g_clear_pointer (&g->cells, g_free);
  g_clear_pointer (&g->header, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Grid, grid_clear);

static guint
uint_member (JsonObject * o, const gchar * name, guint fallback)
{
  gdouble v = num_member (o, name, fallback);

  return v >= 1 ? (guint) v : fallback;
}

/* Writes `text` over every position a cell (or merged cell) spans. */
static void
grid_fill (Grid * g, JsonObject * cell, const gchar * text)
{
  guint r0 = uint_member (cell, "RowIndex", 1) - 1;
  guint c0 = uint_member (cell, "ColumnIndex", 1) - 1;
  guint r1 = MIN (r0 + uint_member (cell, "RowSpan", 1), g->n_rows);
  guint c1 = MIN (c0 + uint_member (cell, "ColumnSpan", 1), g->n_cols);
  guint r, c;

  for (r = r0; r < r1; r++) {
    for (c = c0; c < c1; c++) {
      g_free (g->cells[r * g->n_cols + c]);
      g->cells[r * g->n_cols + c] = g_strdup (text);
    }
    if (has_entity_type (cell, "COLUMN_HEADER"))
      g->header[r] = TRUE;
  }
}

static void
grid_size (GPtrArray * cells, guint * n_rows, guint * n_cols)
{
  guint i;

  *n_rows = *n_cols = 0;
  for (i = 0; i < cells->len; i++) {
    JsonObject *c = g_ptr_array_index (cells, i);

    *n_rows = MAX (*n_rows, uint_member (c, "RowIndex", 1) - 1
        + uint_member (c, "RowSpan", 1));
    *n_cols = MAX (*n_cols, uint_member (c, "ColumnIndex", 1) - 1
        + uint_member (c, "ColumnSpan", 1));
  }
}

/* A merged cell's text is its cells' texts in order; it is repeated over
 * every position it covers, so each row reads whole on its own. */
static void
grid_merge (Page * p, Grid * g, JsonObject * table)
{
  g_autoptr (GPtrArray) merged = related (p, table, "MERGED_CELL",
      "MERGED_CELL");
  guint i, j;

  for (i = 0; i < merged->len; i++) {
    JsonObject *m = g_ptr_array_index (merged, i);
    g_autoptr (GPtrArray) parts = related (p, m, "CHILD", "CELL");
    g_autoptr (GString) text = g_string_new (NULL);

    for (j = 0; j < parts->len; j++) {
      g_autofree gchar *t = block_text (p, g_ptr_array_index (parts, j));

      if (*t && text->len)
        g_string_append_c (text, ' ');
      g_string_append (text, t);
    }
    grid_fill (g, m, text->str);
  }
}

static gboolean
grid_build (Page * p, JsonObject * table, Grid * g)
{
  g_autoptr (GPtrArray) cells = related (p, table, "CHILD", "CELL");
  guint i;

  grid_size (cells, &g->n_rows, &g->n_cols);
  if (!g->n_rows || !g->n_cols)
    return FALSE;
  g->cells = g_new0 (gchar *, g->n_rows * g->n_cols);
  g->header = g_new0 (gboolean, g->n_rows);
  for (i = 0; i < g->n_rows * g->n_cols; i++)
    g->cells[i] = g_strdup ("");
  for (i = 0; i < cells->len; i++) {
    g_autofree gchar *t = block_text (p, g_ptr_array_index (cells, i));

    grid_fill (g, g_ptr_array_index (cells, i), t);
  }
  grid_merge (p, g, table);
  return TRUE;
}

static JsonArray *
grid_row (Grid * g, guint r)
{
  JsonArray *row = json_array_new ();
  guint c;

  for (c = 0; c < g->n_cols; c++)
    json_array_add_string_element (row, g->cells[r * g->n_cols + c]);
  return row;
}

/* Column-header rows first, then the others, each in table order. */
static JsonArray *
grid_rows (Grid * g)
{
  JsonArray *rows = json_array_new ();
  guint pass, r;

  for (pass = 0; pass < 2; pass++) {
    for (r = 0; r < g->n_rows; r++) {
      if (g->header[r] == (pass == 0))
        json_array_add_array_element (rows, grid_row (g, r));
    }
  }
  return rows;
}

static void
table_doc (Page * p, JsonObject * table, guint index)
{
  g_auto (Grid) g = { 0, };
  g_autoptr (GPtrArray) titles = NULL;
  g_autofree gchar *name = NULL;
  gdouble conf = num_member (table, "Confidence", 0);
  JsonObject *detail, *r;

  if (conf < p->min_confidence || !grid_build (p, table, &g))
    return;
  name = g_strdup_printf ("table %u", index);
  r = new_doc (p, ANALYSIS_TABLE, name, conf);
  set_box (r, bbox_of (table));
  detail = detail_with ("Block", table);
  json_object_set_int_member (detail, "index", index);
  json_object_set_int_member (detail, "columns", g.n_cols);
  json_object_set_array_member (detail, "rows", grid_rows (&g));
  titles = related (p, table, "TABLE_TITLE", NULL);
  if (titles->len) {
    g_autofree gchar *title = block_text (p, g_ptr_array_index (titles, 0));

    json_object_set_string_member (detail, "title", title);
  }
  add_doc (p, r, detail);
}

static void
table_docs (Page * p)
{
  guint i, n = 0;

  for (i = 0; i < json_array_get_length (p->blocks); i++) {
    JsonObject *b = array_object (p->blocks, i);

    if (is_type (b, "TABLE"))
      table_doc (p, b, ++n);
  }
}

/* Forms */

/* "Invoice No.:" -> "Invoice No." */
static gchar *
clean_key (gchar * key)
{
  g_strstrip (key);
  while (*key && (key[strlen (key) - 1] == ':'))
    key[strlen (key) - 1] = '\0';
  return g_strstrip (key);
}

static gchar *
value_text (Page * p, GPtrArray * values)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < values->len; i++) {
    g_autofree gchar *t = block_text (p, g_ptr_array_index (values, i));

    if (*t && s->len)
      g_string_append_c (s, ' ');
    g_string_append (s, t);
  }
  return g_string_free (s, FALSE);
}

static void
field_doc (Page * p, JsonObject * key)
{
  g_autoptr (GPtrArray) values = related (p, key, "VALUE", "KEY_VALUE_SET");
  g_autofree gchar *key_text = block_text (p, key);
  g_autofree gchar *value = value_text (p, values);
  JsonObject *value_block = values->len ? g_ptr_array_index (values, 0) : NULL;
  gdouble conf = num_member (key, "Confidence", 0);
  JsonObject *detail, *r;
  const gchar *name = clean_key (key_text);

  if (value_block)
    conf = MIN (conf, num_member (value_block, "Confidence", conf));
  if (!*name || conf < p->min_confidence)
    return;
  r = new_doc (p, ANALYSIS_FIELD, name, conf);
  json_object_set_string_member (r, "value", value);
  set_union_box (r, bbox_of (key), value_block ? bbox_of (value_block) : NULL);
  detail = detail_with ("Key", key);
  if (value_block)
    json_object_set_object_member (detail, "Value",
        json_object_ref (value_block));
  add_doc (p, r, detail);
}

static void
field_docs (Page * p)
{
  guint i;

  for (i = 0; i < json_array_get_length (p->blocks); i++) {
    JsonObject *b = array_object (p->blocks, i);

    if (is_type (b, "KEY_VALUE_SET") && has_entity_type (b, "KEY"))
      field_doc (p, b);
  }
}

/* Queries, signatures, layout */

static void
answer_docs (Page * p, JsonObject * query)
{
  JsonObject *q = obj_member (query, "Query");
  const gchar *question = str_member (q, "Text");
  g_autoptr (GPtrArray) answers = related (p, query, "ANSWER", "QUERY_RESULT");
  guint i;

  for (i = 0; question && i < answers->len; i++) {
    JsonObject *a = g_ptr_array_index (answers, i);
    gdouble conf = num_member (a, "Confidence", 0);
    JsonObject *detail, *r;

    if (!str_member (a, "Text") || conf < p->min_confidence)
      continue;
    r = new_doc (p, ANALYSIS_ANSWER, question, conf);
    json_object_set_string_member (r, "value", str_member (a, "Text"));
    if (str_member (q, "Alias"))
      json_object_set_string_member (r, "alias", str_member (q, "Alias"));
    set_box (r, bbox_of (a));
    detail = detail_with ("Query", q);
    json_object_set_object_member (detail, "Block", json_object_ref (a));
    add_doc (p, r, detail);
  }
}

static void
signature_doc (Page * p, JsonObject * b)
{
  gdouble conf = num_member (b, "Confidence", 0);
  JsonObject *r;

  if (conf < p->min_confidence)
    return;
  r = new_doc (p, ANALYSIS_SIGNATURE, "Signature", conf);
  set_box (r, bbox_of (b));
  add_doc (p, r, detail_with ("Block", b));
}

/* LAYOUT_SECTION_HEADER -> "section_header", with its lines' text. */
static void
layout_doc (Page * p, JsonObject * b)
{
  g_autofree gchar *name = g_ascii_strdown (str_member (b, "BlockType")
      + strlen ("LAYOUT_"), -1);
  g_autofree gchar *text = block_text (p, b);
  gdouble conf = num_member (b, "Confidence", 0);
  JsonObject *r;

  if (conf < p->min_confidence)
    return;
  r = new_doc (p, ANALYSIS_LAYOUT, name, conf);
  if (*text)
    json_object_set_string_member (r, "text", text);
  set_box (r, bbox_of (b));
  add_doc (p, r, detail_with ("Block", b));
}

static void
other_docs (Page * p, guint64 features)
{
  guint i;

  for (i = 0; i < json_array_get_length (p->blocks); i++) {
    JsonObject *b = array_object (p->blocks, i);
    const gchar *type = str_member (b, "BlockType");

    if (!type)
      continue;
    if ((features & MT_TEXTRACT_QUERIES) && !strcmp (type, "QUERY"))
      answer_docs (p, b);
    else if ((features & MT_TEXTRACT_SIGNATURES) && !strcmp (type, "SIGNATURE"))
      signature_doc (p, b);
    else if ((features & MT_TEXTRACT_LAYOUT)
        && g_str_has_prefix (type, "LAYOUT_"))
      layout_doc (p, b);
  }
}

/* One page */

static void
page_to_results (Page * p, guint64 features)
{
  g_autoptr (GPtrArray) lines = NULL;
  guint i;

  p->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; i < json_array_get_length (p->blocks); i++) {
    JsonObject *b = array_object (p->blocks, i);

    if (str_member (b, "Id"))
      g_hash_table_insert (p->by_id, (gpointer) str_member (b, "Id"), b);
  }
  lines = lines_in_order (p);
  if (lines->len)
    document_doc (p, lines);
  if (features & MT_TEXTRACT_TEXT)
    text_docs (p, lines);
  if (features & MT_TEXTRACT_TABLES)
    table_docs (p);
  if (features & MT_TEXTRACT_FORMS)
    field_docs (p);
  other_docs (p, features);
  g_clear_pointer (&p->by_id, g_hash_table_unref);
}

static gint
compare_pages (gconstpointer a, gconstpointer b, gpointer unused)
{
  guint pa = GPOINTER_TO_UINT (a), pb = GPOINTER_TO_UINT (b);

  return pa < pb ? -1 : pa > pb;
}

/* Blocks of several pages (an asynchronous job's answer) grouped by their
 * Page member, in page order. */
static GTree *
split_by_page (JsonArray * blocks)
{
  GTree *pages = g_tree_new_full (compare_pages, NULL, NULL,
      (GDestroyNotify) json_array_unref);
  guint i;

  for (i = 0; i < json_array_get_length (blocks); i++) {
    JsonObject *b = array_object (blocks, i);
    guint page = uint_member (b, "Page", 1);
    JsonArray *a;

    if (!b)
      continue;
    a = g_tree_lookup (pages, GUINT_TO_POINTER (page));
    if (!a) {
      a = json_array_new ();
      g_tree_insert (pages, GUINT_TO_POINTER (page), a);
    }
    json_array_add_object_element (a, json_object_ref (b));
  }
  return pages;
}

typedef struct
{
  Page proto;
  guint64 features;
} Split;

static gboolean
convert_page (gpointer key, gpointer value, gpointer data)
{
  Split *split = data;
  Page p = split->proto;

  p.blocks = value;
  p.page = GPOINTER_TO_UINT (key);
  page_to_results (&p, split->features);
  return FALSE;
}

/* `page` 0: the blocks are of several pages and say which (Block.Page, as
 * the asynchronous Get* calls give them); each page is converted on its
 * own, in page order. */
void
mt_textract_blocks_to_results (JsonArray * blocks, guint page,
    guint64 features, gdouble min_confidence, const gchar * engine,
    GPtrArray * results)
{
  Split split = { {blocks, NULL, page, min_confidence, engine, results},
  features
  };
  g_autoptr (GTree) pages = NULL;

  if (!blocks)
    return;
  if (page > 0) {
    page_to_results (&split.proto, features);
    return;
  }
  pages = split_by_page (blocks);
  g_tree_foreach (pages, convert_page, &split);
}

/* AnalyzeExpense */

static const gchar *
detection_text (JsonObject * field, const gchar * member)
{
  return str_member (obj_member (field, member), "Text");
}

static guint
field_page (JsonObject * field, guint page)
{
  return uint_member (field, "PageNumber", page ? page : 1);
}

static void
expense_field_doc (JsonObject * field, guint page, gdouble min_confidence,
    const gchar * engine, GPtrArray * results)
{
  JsonObject *vd = obj_member (field, "ValueDetection");
  const gchar *type = detection_text (field, "Type");
  const gchar *value = str_member (vd, "Text");
  const gchar *label = detection_text (field, "LabelDetection");
  const gchar *currency = str_member (obj_member (field, "Currency"), "Code");
  gdouble conf = num_member (vd, "Confidence", 0);
  JsonObject *r;

  if (!type || !value || !*value || conf < min_confidence)
    return;
  r = mt_result_new (ANALYSIS_EXPENSE, engine, type, conf);
  json_object_set_int_member (r, "page", field_page (field, page));
  json_object_set_string_member (r, "value", value);
  /* OTHER fields are named by the document's own label ("Cashier"). */
  if (label && *label)
    json_object_set_string_member (r, "label", label);
  if (currency)
    json_object_set_string_member (r, "currency", currency);
  set_box (r, bbox_of (vd));
  mt_result_set_detail (r, field);
  g_ptr_array_add (results, r);
}

/* One line item as {TYPE: value} ("ITEM", "QUANTITY", "PRICE"...); its
 * first field's page goes to *page. */
static JsonObject *
line_item (JsonObject * item, guint * page)
{
  JsonArray *fields = arr_member (item, "LineItemExpenseFields");
  JsonObject *o = json_object_new ();
  guint i;

  for (i = 0; fields && i < json_array_get_length (fields); i++) {
    JsonObject *f = array_object (fields, i);
    const gchar *type = detection_text (f, "Type");
    const gchar *value = str_member (obj_member (f, "ValueDetection"), "Text");

    if (!type || !value)
      continue;
    if (i == 0)
      *page = field_page (f, *page);
    json_object_set_string_member (o, type, value);
  }
  return o;
}

/* The line items of one expense document, in one `expense` document named
 * LINE_ITEMS: `detail.LineItems` the items as {TYPE: value} objects,
 * `detail.LineItemGroups` Textract's own. */
static void
line_items_doc (JsonObject * expense, guint page, const gchar * engine,
    GPtrArray * results)
{
  JsonArray *groups = arr_member (expense, "LineItemGroups");
  JsonArray *items = json_array_new ();
  JsonObject *detail, *r;
  g_autofree gchar *value = NULL;
  guint i, j, item_page = page;

  for (i = 0; groups && i < json_array_get_length (groups); i++) {
    JsonArray *list = arr_member (array_object (groups, i), "LineItems");

    for (j = 0; list && j < json_array_get_length (list); j++)
      json_array_add_object_element (items,
          line_item (array_object (list, j), &item_page));
  }
  if (!json_array_get_length (items)) {
    json_array_unref (items);
    return;
  }
  r = mt_result_new (ANALYSIS_EXPENSE, engine, "LINE_ITEMS", -1);
  json_object_set_int_member (r, "page", item_page ? item_page : 1);
  /* `value` is a string in every document (search indexes map it once). */
  value = g_strdup_printf ("%u", json_array_get_length (items));
  json_object_set_string_member (r, "value", value);
  detail = json_object_new ();
  json_object_set_array_member (detail, "LineItems", items);
  json_object_set_array_member (detail, "LineItemGroups",
      json_array_ref (groups));
  mt_result_set_detail (r, detail);
  json_object_unref (detail);
  g_ptr_array_add (results, r);
}

void
mt_textract_expense_to_results (JsonArray * expense_documents,
    guint page, gdouble min_confidence, const gchar * engine,
    GPtrArray * results)
{
  guint i, j;

  for (i = 0; expense_documents
      && i < json_array_get_length (expense_documents); i++) {
    JsonObject *doc = array_object (expense_documents, i);
    JsonArray *summary = arr_member (doc, "SummaryFields");

    for (j = 0; summary && j < json_array_get_length (summary); j++)
      expense_field_doc (array_object (summary, j), page, min_confidence,
          engine, results);
    if (doc)
      line_items_doc (doc, page, engine, results);
  }
}

/* AnalyzeID */

/* Dates as Textract normalises them ("2031-06-15T00:00:00") to
 * YYYY-MM-DD; other values as read. The service answers ValueType "Date",
 * botocore's model spells the enum "DATE": both are taken. */
static gchar *
identity_value (JsonObject * vd)
{
  JsonObject *norm = obj_member (vd, "NormalizedValue");
  const gchar *nv = str_member (norm, "Value");
  const gchar *type = str_member (norm, "ValueType");

  if (nv && type && !g_ascii_strcasecmp (type, "Date") && strlen (nv) >= 10)
    return g_strndup (nv, 10);
  if (nv && *nv)
    return g_strdup (nv);
  return g_strdup (str_member (vd, "Text"));
}

void
mt_textract_identity_to_results (JsonArray * identity_documents,
    guint page, gdouble min_confidence, const gchar * engine,
    GPtrArray * results)
{
  guint i, j;

  for (i = 0; identity_documents
      && i < json_array_get_length (identity_documents); i++) {
    JsonObject *doc = array_object (identity_documents, i);
    JsonArray *fields = arr_member (doc, "IdentityDocumentFields");

    for (j = 0; fields && j < json_array_get_length (fields); j++) {
      JsonObject *f = array_object (fields, j);
      JsonObject *vd = obj_member (f, "ValueDetection");
      const gchar *type = detection_text (f, "Type");
      g_autofree gchar *value = identity_value (vd);
      gdouble conf = num_member (vd, "Confidence", 0);
      JsonObject *r;

      if (!type || !value || !*value || conf < min_confidence)
        continue;
      r = mt_result_new (ANALYSIS_IDENTITY, engine, type, conf);
      json_object_set_int_member (r, "page", page ? page : 1);
      json_object_set_string_member (r, "value", value);
      mt_result_set_detail (r, f);
      g_ptr_array_add (results, r);
    }
  }
}
