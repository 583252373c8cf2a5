/* Textract's Block shape composed from what the offline engine found on a
 * page (botocore's textract service model, shape Block): PAGE, LINE and
 * WORD; TABLE with CELL (RowIndex, ColumnIndex, spans of 1) and
 * MERGED_CELL for spanning cells; KEY_VALUE_SET pairs (KEY with VALUE and
 * CHILD relationships, VALUE with CHILD: words or a SELECTION_ELEMENT);
 * QUERY with its QUERY_RESULT.
 * Ids have Textract's UUID form and are stable: the same page gives the
 * same ids. */
#include "engine-local-private.h"

#include <string.h>

#include "gsttextractsink.h"

gchar *
local_block_id (guint page, const gchar * kind, guint n)
{
  g_autofree gchar *seed = g_strdup_printf ("%u/%s/%u", page, kind, n);
  g_autofree gchar *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA1,
      seed, -1);

  return g_strdup_printf ("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
      hex + 16, hex + 20);
}

/* Undoes one clockwise quarter turn: the box in the page as given. */
static LocalBox
turn_back (const LocalBox * b)
{
  LocalBox o = { b->top, 1 - (b->left + b->width), b->height, b->width };

  return o;
}

static JsonObject *
point (gdouble x, gdouble y)
{
  JsonObject *p = json_object_new ();

  json_object_set_double_member (p, "X", x);
  json_object_set_double_member (p, "Y", y);
  return p;
}

JsonObject *
local_geometry (const LocalPage * page, const LocalBox * box)
{
  JsonObject *g = json_object_new ();
  JsonObject *bb = json_object_new ();
  JsonArray *poly = json_array_new ();
  LocalBox b = *box;
  guint i;

  for (i = 0; page && i < page->quads; i++)
    b = turn_back (&b);
  json_object_set_double_member (bb, "Width", b.width);
  json_object_set_double_member (bb, "Height", b.height);
  json_object_set_double_member (bb, "Left", b.left);
  json_object_set_double_member (bb, "Top", b.top);
  json_object_set_object_member (g, "BoundingBox", bb);
  json_array_add_object_element (poly, point (b.left, b.top));
  json_array_add_object_element (poly, point (b.left + b.width, b.top));
  json_array_add_object_element (poly, point (b.left + b.width,
          b.top + b.height));
  json_array_add_object_element (poly, point (b.left, b.top + b.height));
  json_object_set_array_member (g, "Polygon", poly);
  return g;
}

/* ---- composing -------------------------------------------------------- */

typedef struct
{
  const LocalPage *page;
  guint number;
  JsonArray *blocks;
  JsonArray *page_children;
  guint n_cells;
  guint n_merged;
} Composer;

static gchar *
word_id (Composer * c, guint w)
{
  return local_block_id (c->number, "WORD", w);
}

static JsonObject *
block_new (Composer * c, const gchar * type, gchar * id, gdouble confidence,
    const LocalBox * box)
{
  JsonObject *b = json_object_new ();

  json_object_set_string_member (b, "BlockType", type);
  if (confidence >= 0)
    json_object_set_double_member (b, "Confidence", CLAMP (confidence, 0, 100));
  if (box)
    json_object_set_object_member (b, "Geometry", local_geometry (c->page,
            box));
  json_object_set_string_member (b, "Id", id);
  json_object_set_int_member (b, "Page", c->number);
  json_array_add_object_element (c->blocks, b);
  g_free (id);
  return b;
}

/* Adds a relationship of @type to @ids (taken), unless @ids is empty. */
static void
relate (JsonObject * block, const gchar * type, JsonArray * ids)
{
  JsonArray *rels;
  JsonObject *rel;

  if (!json_array_get_length (ids)) {
    json_array_unref (ids);
    return;
  }
  if (!json_object_has_member (block, "Relationships"))
    json_object_set_array_member (block, "Relationships", json_array_new ());
  rels = json_object_get_array_member (block, "Relationships");
  rel = json_object_new ();
  json_object_set_string_member (rel, "Type", type);
  json_object_set_array_member (rel, "Ids", ids);
  json_array_add_object_element (rels, rel);
}

static JsonArray *
word_ids (Composer * c, GArray * words)
{
  JsonArray *ids = json_array_new ();
  guint i;

  for (i = 0; words && i < words->len; i++)
    json_array_add_string_element (ids, word_id (c, g_array_index (words,
                guint, i)));
  return ids;
}

static void
add_lines (Composer * c)
{
  const LocalPage *page = c->page;
  guint l, w;

  for (l = 0; l < page->lines->len; l++) {
    const LocalLine *line = &g_array_index (page->lines, LocalLine, l);
    g_autofree gchar *text = local_line_text (page, l);
    gchar *id = local_block_id (c->number, "LINE", l);
    JsonObject *b;
    JsonArray *kids = json_array_new ();

    json_array_add_string_element (c->page_children, id);
    b = block_new (c, "LINE", id, line->confidence, &line->box);
    json_object_set_string_member (b, "Text", text);
    for (w = line->first; w < line->first + line->n; w++)
      json_array_add_string_element (kids, word_id (c, w));
    relate (b, "CHILD", kids);
  }
  for (w = 0; w < page->words->len; w++) {
    const LocalWord *word = &g_array_index (page->words, LocalWord, w);
    JsonObject *b = block_new (c, "WORD", word_id (c, w), word->confidence,
        &word->box);

    json_object_set_string_member (b, "Text", word->text);
    json_object_set_string_member (b, "TextType", "PRINTED");
  }
}

static void
set_entity (JsonObject * block, const gchar * type)
{
  JsonArray *types = json_array_new ();

  json_array_add_string_element (types, type);
  json_object_set_array_member (block, "EntityTypes", types);
}

/* The first row is a header when it holds words and no digits. */
static gboolean
has_header (const LocalTable * t, const LocalPage * page)
{
  gboolean words = FALSE;
  guint col;

  if (t->n_rows < 2)
    return FALSE;
  for (col = 0; col < t->n_cols; col++) {
    g_autofree gchar *text = local_cell_text (page, t, 0, col);

    if (strpbrk (text, "0123456789"))
      return FALSE;
    words |= *text != '\0';
  }
  return words;
}

static gdouble
cell_confidence (const LocalPage * page, const LocalCell * cell)
{
  gdouble sum = 0;
  guint i;

  for (i = 0; i < cell->words->len; i++)
    sum += g_array_index (page->words, LocalWord, g_array_index (cell->words,
            guint, i)).confidence;
  return cell->words->len ? sum / cell->words->len : 90.0;
}

static JsonArray *
add_cells (Composer * c, const LocalTable * t, guint first_cell)
{
  gboolean header = has_header (t, c->page);
  JsonArray *ids = json_array_new ();
  guint i;

  for (i = 0; i < t->cells->len; i++) {
    const LocalCell *cell = &g_array_index (t->cells, LocalCell, i);
    gchar *id = local_block_id (c->number, "CELL", first_cell + i);
    JsonObject *b;

    json_array_add_string_element (ids, id);
    b = block_new (c, "CELL", id, cell_confidence (c->page, cell), &cell->box);
    json_object_set_int_member (b, "RowIndex", cell->row + 1);
    json_object_set_int_member (b, "ColumnIndex", cell->col + 1);
    json_object_set_int_member (b, "RowSpan", 1);
    json_object_set_int_member (b, "ColumnSpan", 1);
    if (header && cell->row == 0)
      set_entity (b, "COLUMN_HEADER");
    relate (b, "CHILD", word_ids (c, cell->words));
  }
  return ids;
}

static JsonArray *
add_merged (Composer * c, const LocalTable * t, guint first_cell)
{
  JsonArray *ids = json_array_new ();
  guint i, r, col;

  for (i = 0; i < t->merges->len; i++) {
    const LocalMerge *m = &g_array_index (t->merges, LocalMerge, i);
    const LocalCell *tl = &g_array_index (t->cells, LocalCell,
        m->row * t->n_cols + m->col);
    LocalBox box = tl->box;
    JsonArray *kids = json_array_new ();
    gchar *id = local_block_id (c->number, "MERGED_CELL", c->n_merged++);
    JsonObject *b;

    json_array_add_string_element (ids, id);
    for (r = m->row; r < m->row + m->row_span; r++)
      for (col = m->col; col < m->col + m->col_span; col++) {
        guint k = r * t->n_cols + col;

        box = local_box_union (&box, &g_array_index (t->cells, LocalCell,
                k).box);
        json_array_add_string_element (kids, local_block_id (c->number,
                "CELL", first_cell + k));
      }
    b = block_new (c, "MERGED_CELL", id, 90.0, &box);
    json_object_set_int_member (b, "RowIndex", m->row + 1);
    json_object_set_int_member (b, "ColumnIndex", m->col + 1);
    json_object_set_int_member (b, "RowSpan", m->row_span);
    json_object_set_int_member (b, "ColumnSpan", m->col_span);
    relate (b, "CHILD", kids);
  }
  return ids;
}

static void
add_tables (Composer * c, GPtrArray * tables)
{
  guint i;

  for (i = 0; tables && i < tables->len; i++) {
    const LocalTable *t = g_ptr_array_index (tables, i);
    gchar *id = local_block_id (c->number, "TABLE", i);
    JsonObject *b;
    guint first_cell = c->n_cells;

    json_array_add_string_element (c->page_children, id);
    b = block_new (c, "TABLE", id, t->ruled ? 95.0 : 80.0, &t->box);
    set_entity (b, t->ruled ? "STRUCTURED_TABLE" : "SEMI_STRUCTURED_TABLE");
    c->n_cells += t->cells->len;
    relate (b, "CHILD", add_cells (c, t, first_cell));
    relate (b, "MERGED_CELL", add_merged (c, t, first_cell));
  }
}

static void
add_marks (Composer * c)
{
  guint i;

  for (i = 0; i < c->page->marks->len; i++) {
    const LocalMark *m = &g_array_index (c->page->marks, LocalMark, i);
    gchar *id = local_block_id (c->number, "SELECTION_ELEMENT", i);
    JsonObject *b;

    json_array_add_string_element (c->page_children, id);
    b = block_new (c, "SELECTION_ELEMENT", id, m->confidence, &m->box);
    json_object_set_string_member (b, "SelectionStatus",
        m->selected ? "SELECTED" : "NOT_SELECTED");
  }
}

/* A value's children: its words, or its checkbox. */
static JsonArray *
value_ids (Composer * c, const LocalField * f)
{
  JsonArray *ids = word_ids (c, f->value_words);

  if (f->mark >= 0)
    json_array_add_string_element (ids, local_block_id (c->number,
            "SELECTION_ELEMENT", f->mark));
  return ids;
}

static void
add_fields (Composer * c, GPtrArray * fields)
{
  guint i;

  for (i = 0; fields && i < fields->len; i++) {
    const LocalField *f = g_ptr_array_index (fields, i);
    gchar *kid = local_block_id (c->number, "KEY", i);
    gchar *vid = local_block_id (c->number, "VALUE", i);
    JsonArray *value_ref = json_array_new ();
    JsonObject *key, *value;

    json_array_add_string_element (c->page_children, kid);
    json_array_add_string_element (c->page_children, vid);
    json_array_add_string_element (value_ref, vid);
    key = block_new (c, "KEY_VALUE_SET", kid, f->confidence, &f->key_box);
    set_entity (key, "KEY");
    relate (key, "VALUE", value_ref);
    relate (key, "CHILD", word_ids (c, f->key_words));
    value = block_new (c, "KEY_VALUE_SET", vid, f->confidence, &f->value_box);
    set_entity (value, "VALUE");
    relate (value, "CHILD", value_ids (c, f));
  }
}

static void
add_queries (Composer * c, gchar ** queries, GPtrArray * fields)
{
  guint i;

  for (i = 0; queries && queries[i]; i++) {
    const LocalField *f = local_query_answer (fields, queries[i]);
    gchar *qid = local_block_id (c->number, "QUERY", i);
    JsonObject *q = block_new (c, "QUERY", qid, -1, NULL);
    JsonObject *query = json_object_new ();
    JsonObject *r;
    JsonArray *answer;

    json_object_set_string_member (query, "Text", queries[i]);
    json_object_set_object_member (q, "Query", query);
    if (!f)
      continue;
    answer = json_array_new ();
    json_array_add_string_element (answer, local_block_id (c->number,
            "QUERY_RESULT", i));
    relate (q, "ANSWER", answer);
    r = block_new (c, "QUERY_RESULT", local_block_id (c->number,
            "QUERY_RESULT", i), f->confidence, &f->value_box);
    json_object_set_string_member (r, "Text", f->value);
  }
}

JsonArray *
local_blocks_compose (const LocalPage * page, GPtrArray * tables,
    GPtrArray * fields, gchar ** queries, guint page_number, guint64 features)
{
  Composer c = { page, page_number, json_array_new (), json_array_new () };
  LocalBox all = { 0, 0, 1, 1 };
  JsonObject *page_block;

  page_block = block_new (&c, "PAGE", local_block_id (page_number, "PAGE", 0),
      -1, &all);
  add_lines (&c);
  if (features & MT_TEXTRACT_TABLES)
    add_tables (&c, tables);
  if (features & MT_TEXTRACT_FORMS) {
    add_marks (&c);
    add_fields (&c, fields);
  }
  if (features & MT_TEXTRACT_QUERIES)
    add_queries (&c, queries, fields);
  relate (page_block, "CHILD", c.page_children);
  return c.blocks;
}
