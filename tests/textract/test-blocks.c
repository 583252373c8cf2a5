/* Unit tests of the Textract shape converters (plugins/textract/blocks.c)
 * on answers composed from the documented shapes (botocore's textract
 * service model; the Textract developer guide's table, form, query,
 * expense and identity examples): merged table cells, header rows,
 * key/value sets with checkboxes, queries, reading order, multi-page
 * answers split by Page, expense summary fields and line items, identity
 * dates. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "blocks.h"
#include "gsttextractsink.h"

#define ENGINE "aws:textract:AnalyzeDocument"

static JsonArray *
parse_array (const gchar * json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return json_array_ref (json_node_get_array (json_parser_get_root (parser)));
}

/* A Geometry with only the BoundingBox, as tests need it. */
#define GEO(l, t, w, h) "\"Geometry\": {\"BoundingBox\": {\"Left\": " #l \
  ", \"Top\": " #t ", \"Width\": " #w ", \"Height\": " #h "}}"
#define WORD(id, text, page) "{\"BlockType\": \"WORD\", \"Id\": \"" id \
  "\", \"Text\": \"" text "\", \"Confidence\": 99.0, \"Page\": " #page ", " \
  GEO (0.1, 0.1, 0.1, 0.02) "}"
#define CHILD(...) "\"Relationships\": [{\"Type\": \"CHILD\", \"Ids\": [" \
  __VA_ARGS__ "]}]"
#define CELL(id, r, c, extra, ...) "{\"BlockType\": \"CELL\", \"Id\": \"" id \
  "\", \"RowIndex\": " #r ", \"ColumnIndex\": " #c ", \"RowSpan\": 1, " \
  "\"ColumnSpan\": 1, \"Confidence\": 90.0, " extra CHILD (__VA_ARGS__) "}"

static GPtrArray *
convert (const gchar * json, guint page, guint64 features, gdouble min_conf)
{
  g_autoptr (JsonArray) blocks = parse_array (json);
  GPtrArray *results = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);

  mt_textract_blocks_to_results (blocks, page, features, min_conf, ENGINE,
      results);
  return results;
}

static const gchar *
str (JsonObject * o, const gchar * m)
{
  return json_object_get_string_member_with_default (o, m, NULL);
}

static JsonObject *
find (GPtrArray * results, const gchar * analysis, const gchar * name)
{
  guint i;

  for (i = 0; i < results->len; i++) {
    JsonObject *r = g_ptr_array_index (results, i);

    if (!g_strcmp0 (str (r, "analysis"), analysis)
        && (!name || !g_strcmp0 (str (r, "name"), name)))
      return r;
  }
  return NULL;
}

static guint
count (GPtrArray * results, const gchar * analysis)
{
  guint i, n = 0;

  for (i = 0; i < results->len; i++)
    n += !g_strcmp0 (str (g_ptr_array_index (results, i), "analysis"),
        analysis);
  return n;
}

static gchar *
rows_to_string (JsonObject * table)
{
  JsonArray *rows = json_object_get_array_member (json_object_get_object_member
      (table, "detail"), "rows");
  GString *s = g_string_new (NULL);
  guint r, c;

  for (r = 0; r < json_array_get_length (rows); r++) {
    JsonArray *row = json_array_get_array_element (rows, r);

    for (c = 0; c < json_array_get_length (row); c++)
      g_string_append_printf (s, "%s%s", c ? "|" : "",
          json_array_get_string_element (row, c));
    g_string_append_c (s, '\n');
  }
  return g_string_free (s, FALSE);
}

/* A 3x3 table whose first column's last two cells are one merged cell
 * ("Fruit" in its top cell only, as Textract gives it), whose header row
 * comes last in the answer, and whose header cells say COLUMN_HEADER. */
static const gchar *table_json = "["
    "{\"BlockType\": \"PAGE\", \"Id\": \"p\", " GEO (0, 0, 1, 1) ", "
    CHILD ("\"l1\"")
    "},"
    "{\"BlockType\": \"LINE\", \"Id\": \"l1\", \"Text\": \"Item Qty Price\", "
    "\"Confidence\": 99.0, "
    GEO (0.1, 0.1, 0.5, 0.05)
    "},"
    "{\"BlockType\": \"TABLE\", \"Id\": \"t\", \"Confidence\": 95.0, "
    "\"EntityTypes\": [\"STRUCTURED_TABLE\"], "
    GEO (0.1, 0.1, 0.8, -0.1)
    ", "
    "\"Relationships\": [{\"Type\": \"CHILD\", \"Ids\": [\"c21\", \"c22\", "
    "\"c23\", \"c31\", \"c32\", \"c33\", \"c11\", \"c12\", \"c13\"]}, "
    "{\"Type\": \"MERGED_CELL\", \"Ids\": [\"m\"]}]},"
    CELL ("c11", 1, 1, "\"EntityTypes\": [\"COLUMN_HEADER\"], ", "\"w1\"")
    ","
    CELL ("c12", 1, 2, "\"EntityTypes\": [\"COLUMN_HEADER\"], ", "\"w2\"")
    ","
    CELL ("c13", 1, 3, "\"EntityTypes\": [\"COLUMN_HEADER\"], ", "\"w3\"")
    ","
    CELL ("c21", 2, 1, "", "\"w4\"")
    ","
    CELL ("c22", 2, 2, "", "\"w5\"")
    ","
    CELL ("c23", 2, 3, "", "\"w6\", \"w7\"")
    ","
    CELL ("c31", 3, 1, "", "")
    ","
    CELL ("c32", 3, 2, "", "\"w8\"")
    ","
    CELL ("c33", 3, 3, "", "\"s1\"")
    ","
    "{\"BlockType\": \"MERGED_CELL\", \"Id\": \"m\", \"RowIndex\": 2, "
    "\"ColumnIndex\": 1, \"RowSpan\": 2, \"ColumnSpan\": 1, "
    "\"Confidence\": 90.0, "
    CHILD ("\"c21\", \"c31\"")
    "},"
    WORD ("w1", "Item", 1)
    ","
    WORD ("w2", "Qty", 1)
    ","
    WORD ("w3", "Price",
    1) ","
    WORD ("w4", "Fruit", 1)
    ","
    WORD ("w5", "3", 1)
    ","
    WORD ("w6",
    "$1.00", 1) ","
    WORD ("w7", "each", 1)
    ","
    WORD ("w8", "5", 1)
    ","
    "{\"BlockType\": \"SELECTION_ELEMENT\", \"Id\": \"s1\", "
    "\"SelectionStatus\": \"SELECTED\", \"Confidence\": 98.0}" "]";

     static void test_table_merged_header_first (void)
{
  g_autoptr (GPtrArray) results = convert (table_json, 2, MT_TEXTRACT_TABLES,
      50);
  JsonObject *table = find (results, "table", NULL);
  g_autofree gchar *rows = NULL;
  JsonObject *box;

  g_assert_nonnull (table);
  g_assert_cmpuint (count (results, "table"), ==, 1);
  rows = rows_to_string (table);
  /* Header first, the merged cell's text on both rows it covers, a ticked
   * cell as SELECTED. */
  g_assert_cmpstr (rows, ==, "Item|Qty|Price\nFruit|3|$1.00 each\n"
      "Fruit|5|SELECTED\n");
  g_assert_cmpint (json_object_get_int_member (table, "page"), ==, 2);
  g_assert_cmpstr (str (table, "name"), ==, "table 1");
  g_assert_cmpstr (str (table, "engine"), ==, ENGINE);
  g_assert_cmpfloat (json_object_get_double_member (table, "confidence"), ==,
      95.0);
  /* A negative height from the service becomes an empty one, not a box
   * outside the page. */
  box = json_object_get_object_member (table, "box");
  g_assert_cmpfloat (json_object_get_double_member (box, "left"), ==, 0.1);
  g_assert_cmpfloat (json_object_get_double_member (box, "height"), ==, 0);
  /* No text or fields asked for: none made. */
  g_assert_cmpuint (count (results, "text"), ==, 0);
  g_assert_cmpuint (count (results, "field"), ==, 0);
  g_assert_cmpuint (count (results, "document"), ==, 1);
}

static void
test_table_spanning_cell (void)
{
  /* A local engine's table: one CELL spanning two columns, no
   * MERGED_CELL blocks. */
  const gchar *json = "["
      "{\"BlockType\": \"TABLE\", \"Id\": \"t\", \"Confidence\": 80.0, "
      CHILD ("\"a\", \"b\", \"c\"") "},"
      "{\"BlockType\": \"CELL\", \"Id\": \"a\", \"RowIndex\": 1, "
      "\"ColumnIndex\": 1, \"RowSpan\": 1, \"ColumnSpan\": 2, "
      "\"Confidence\": 80, " CHILD ("\"w1\"") "},"
      CELL ("b", 2, 1, "", "\"w2\"") "," CELL ("c", 2, 2, "", "\"w3\"") ","
      WORD ("w1", "Totals", 1) "," WORD ("w2", "A", 1) "," WORD ("w3", "B",
      1) "]";
  g_autoptr (GPtrArray) results = convert (json, 1, MT_TEXTRACT_TABLES, 0);
  g_autofree gchar *rows = rows_to_string (find (results, "table", NULL));

  g_assert_cmpstr (rows, ==, "Totals|Totals\nA|B\n");
}

/* Key/value sets: a value listed before its key, a key ending with a
 * colon, two checkboxes, a value over two lines of words, a key without
 * a value. */
static const gchar *form_json = "["
    "{\"BlockType\": \"KEY_VALUE_SET\", \"Id\": \"v1\", \"EntityTypes\": "
    "[\"VALUE\"], \"Confidence\": 88.0, " GEO (0.3, 0.1, 0.2, 0.05) ", "
    CHILD ("\"w2\", \"w3\"")
    "},"
    "{\"BlockType\": \"KEY_VALUE_SET\", \"Id\": \"k1\", \"EntityTypes\": "
    "[\"KEY\"], \"Confidence\": 92.0, "
    GEO (0.1, 0.1, 0.1, 0.05)
    ", "
    "\"Relationships\": [{\"Type\": \"VALUE\", \"Ids\": [\"v1\"]}, "
    "{\"Type\": \"CHILD\", \"Ids\": [\"w1\"]}]},"
    "{\"BlockType\": \"KEY_VALUE_SET\", \"Id\": \"k2\", \"EntityTypes\": "
    "[\"KEY\"], \"Confidence\": 91.0, "
    GEO (0.1, 0.3, 0.1, 0.05)
    ", "
    "\"Relationships\": [{\"Type\": \"CHILD\", \"Ids\": [\"w4\"]}, "
    "{\"Type\": \"VALUE\", \"Ids\": [\"v2\"]}]},"
    "{\"BlockType\": \"KEY_VALUE_SET\", \"Id\": \"v2\", \"EntityTypes\": "
    "[\"VALUE\"], \"Confidence\": 91.0, "
    GEO (0.05, 0.3, 0.02, 0.02)
    ", "
    CHILD ("\"s1\"")
    "},"
    "{\"BlockType\": \"KEY_VALUE_SET\", \"Id\": \"k3\", \"EntityTypes\": "
    "[\"KEY\"], \"Confidence\": 91.0, "
    GEO (0.1, 0.4, 0.1, 0.05)
    ", "
    "\"Relationships\": [{\"Type\": \"CHILD\", \"Ids\": [\"w5\"]}, "
    "{\"Type\": \"VALUE\", \"Ids\": [\"v3\"]}]},"
    "{\"BlockType\": \"KEY_VALUE_SET\", \"Id\": \"v3\", \"EntityTypes\": "
    "[\"VALUE\"], \"Confidence\": 91.0, "
    CHILD ("\"s2\"")
    "},"
    "{\"BlockType\": \"KEY_VALUE_SET\", \"Id\": \"k4\", \"EntityTypes\": "
    "[\"KEY\"], \"Confidence\": 70.0, "
    CHILD ("\"w6\", \"w7\"")
    "},"
    "{\"BlockType\": \"KEY_VALUE_SET\", \"Id\": \"k5\", \"EntityTypes\": "
    "[\"KEY\"], \"Confidence\": 30.0, "
    CHILD ("\"w8\"")
    "},"
    WORD ("w1", "Name:", 1)
    ","
    WORD ("w2", "Jane", 1)
    ","
    WORD ("w3", "Doe",
    1) ","
    WORD ("w4", "Married", 1)
    ","
    WORD ("w5", "Single", 1)
    ","
    WORD ("w6", "Signature", 1)
    ","
    WORD ("w7", "date :", 1)
    ","
    WORD ("w8", "Weak", 1)
    ","
    "{\"BlockType\": \"SELECTION_ELEMENT\", \"Id\": \"s1\", "
    "\"SelectionStatus\": \"SELECTED\", \"Confidence\": 97.0},"
    "{\"BlockType\": \"SELECTION_ELEMENT\", \"Id\": \"s2\", "
    "\"SelectionStatus\": \"NOT_SELECTED\", \"Confidence\": 97.0}]";

     static void test_forms (void)
{
  g_autoptr (GPtrArray) results = convert (form_json, 1, MT_TEXTRACT_FORMS, 50);
  JsonObject *name = find (results, "field", "Name");
  JsonObject *box;

  g_assert_nonnull (name);
  g_assert_cmpstr (str (name, "value"), ==, "Jane Doe");
  g_assert_cmpfloat (json_object_get_double_member (name, "confidence"), ==,
      88.0);
  /* The box holds key and value. */
  box = json_object_get_object_member (name, "box");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (box,
          "width"), 0.4, 1e-9);
  g_assert_cmpstr (str (json_object_get_object_member
          (json_object_get_object_member (name, "detail"), "Key"), "Id"), ==,
      "k1");
  g_assert_cmpstr (str (find (results, "field", "Married"), "value"), ==,
      "SELECTED");
  g_assert_cmpstr (str (find (results, "field", "Single"), "value"), ==,
      "NOT_SELECTED");
  /* A key without a value: the value is empty; "date :" loses the colon
   * and the space before it. */
  g_assert_cmpstr (str (find (results, "field", "Signature date"), "value"),
      ==, "");
  /* Below min-confidence. */
  g_assert_null (find (results, "field", "Weak"));
  g_assert_cmpuint (count (results, "field"), ==, 4);
}

/* Lines given out of order in the answer: the PAGE's CHILD list is the
 * reading order. */
static const gchar *text_json = "["
    "{\"BlockType\": \"LINE\", \"Id\": \"l2\", \"Text\": \"second line\", "
    "\"Confidence\": 90.0, " GEO (0.1, 0.5, 0.3, 0.05) "},"
    "{\"BlockType\": \"PAGE\", \"Id\": \"p\", " GEO (0, 0, 1, 1) ", "
    CHILD ("\"l1\", \"l2\", \"l3\"")
    "},"
    "{\"BlockType\": \"LINE\", \"Id\": \"l1\", \"Text\": \"First line\", "
    "\"Confidence\": 99.0, "
    GEO (0.1, 0.1, 0.3, 0.05)
    "},"
    "{\"BlockType\": \"LINE\", \"Id\": \"l3\", \"Text\": \"faint\", "
    "\"Confidence\": 20.0, "
    GEO (0.1, 0.9, 0.3, 0.05)
    "},"
    "{\"BlockType\": \"QUERY\", \"Id\": \"q\", \"Query\": {\"Text\": "
    "\"What is the total?\", \"Alias\": \"TOTAL\"}, "
    "\"Relationships\": [{\"Type\": \"ANSWER\", \"Ids\": [\"qr\"]}]},"
    "{\"BlockType\": \"QUERY_RESULT\", \"Id\": \"qr\", \"Text\": \"$42.00\", "
    "\"Confidence\": 87.0, "
    GEO (0.5, 0.5, 0.1, 0.05)
    "},"
    "{\"BlockType\": \"SIGNATURE\", \"Id\": \"sig\", \"Confidence\": 93.0, "
    GEO (0.6, 0.8, 0.2, 0.05)
    "},"
    "{\"BlockType\": \"LAYOUT_TITLE\", \"Id\": \"lt\", \"Confidence\": 90.0, "
    GEO (0.1, 0.1, 0.3, 0.05)
    ", "
    CHILD ("\"l1\"")
    "}]";

     static void test_text_document_reading_order (void)
{
  g_autoptr (GPtrArray) results = convert (text_json, 3, MT_TEXTRACT_TEXT, 50);
  JsonObject *doc = find (results, "document", NULL);
  JsonObject *first = find (results, "text", "First line");
  JsonArray *blocks;

  g_assert_nonnull (doc);
  g_assert_cmpstr (str (doc, "text"), ==, "First line\nsecond line\nfaint");
  g_assert_cmpint (json_object_get_int_member (doc, "page"), ==, 3);
  blocks = json_object_get_array_member (json_object_get_object_member (doc,
          "detail"), "Blocks");
  g_assert_cmpuint (json_array_get_length (blocks), ==, 8);
  /* Lines as text documents, in reading order, the weak one dropped. */
  g_assert_cmpuint (count (results, "text"), ==, 2);
  g_assert_true (g_ptr_array_index (results, 1) == first);
  g_assert_cmpstr (str (first, "text"), ==, "First line");
  g_assert_cmpfloat (json_object_get_double_member
      (json_object_get_object_member (first, "box"), "top"), ==, 0.1);
  /* Queries, signatures, layout only when asked for. */
  g_assert_null (find (results, "answer", NULL));
  g_assert_null (find (results, "signature", NULL));
}

static void
test_queries_signatures_layout (void)
{
  g_autoptr (GPtrArray) results = convert (text_json, 1,
      MT_TEXTRACT_QUERIES | MT_TEXTRACT_SIGNATURES | MT_TEXTRACT_LAYOUT, 50);
  JsonObject *answer = find (results, "answer", "What is the total?");
  JsonObject *layout = find (results, "layout", "title");

  g_assert_nonnull (answer);
  g_assert_cmpstr (str (answer, "value"), ==, "$42.00");
  g_assert_cmpstr (str (answer, "alias"), ==, "TOTAL");
  g_assert_cmpfloat (json_object_get_double_member (answer, "confidence"), ==,
      87.0);
  g_assert_nonnull (find (results, "signature", "Signature"));
  g_assert_nonnull (layout);
  g_assert_cmpstr (str (layout, "text"), ==, "First line");
  g_assert_cmpuint (count (results, "text"), ==, 0);
}

static void
test_multi_page_split (void)
{
  /* An asynchronous job's answer: two pages, blocks say their Page, page
   * 2 before page 1 in the answer; page 3 is blank. */
  const gchar *json = "["
      "{\"BlockType\": \"PAGE\", \"Id\": \"p2\", \"Page\": 2, " CHILD ("\"b\"")
      "},"
      "{\"BlockType\": \"LINE\", \"Id\": \"b\", \"Page\": 2, \"Text\": "
      "\"on two\", \"Confidence\": 95.0, " GEO (0.2, 0.2, 0.2, 0.1) "},"
      "{\"BlockType\": \"PAGE\", \"Id\": \"p1\", \"Page\": 1, " CHILD ("\"a\"")
      "},"
      "{\"BlockType\": \"LINE\", \"Id\": \"a\", \"Page\": 1, \"Text\": "
      "\"on one\", \"Confidence\": 95.0, " GEO (0.1, 0.1, 0.2, 0.1) "},"
      "{\"BlockType\": \"PAGE\", \"Id\": \"p3\", \"Page\": 3}]";
  g_autoptr (GPtrArray) results = convert (json, 0, MT_TEXTRACT_TEXT, 0);
  JsonObject *d1 = g_ptr_array_index (results, 0);
  JsonObject *d2 = g_ptr_array_index (results, 2);

  g_assert_cmpuint (results->len, ==, 4);
  g_assert_cmpstr (str (d1, "analysis"), ==, "document");
  g_assert_cmpint (json_object_get_int_member (d1, "page"), ==, 1);
  g_assert_cmpstr (str (d1, "text"), ==, "on one");
  g_assert_cmpint (json_object_get_int_member (find (results, "text",
              "on two"), "page"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (d2, "page"), ==, 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member
          (json_object_get_object_member (d2, "detail"), "Blocks")), ==, 2);
}

static void
test_blank_page (void)
{
  g_autoptr (GPtrArray) results = convert ("[{\"BlockType\": \"PAGE\", "
      "\"Id\": \"p\", " GEO (0, 0, 1, 1) "}]", 1, MT_TEXTRACT_ALL_FEATURES, 0);

  g_assert_cmpuint (results->len, ==, 0);
}

#define EXPENSE_FIELD(type, label, value, conf, page) "{\"Type\": {\"Text\": " \
  "\"" type "\", \"Confidence\": 99.0}, \"LabelDetection\": {\"Text\": \"" \
  label "\", \"Confidence\": 90.0}, \"ValueDetection\": {\"Text\": \"" value \
  "\", \"Confidence\": " #conf ", " GEO (0.5, 0.8, 0.2, 0.03) "}, " \
  "\"PageNumber\": " #page "}"

static void
test_expense (void)
{
  const gchar *json = "[{\"ExpenseIndex\": 1, \"SummaryFields\": ["
      EXPENSE_FIELD ("TOTAL", "Total", "$55.50", 98.5, 2) ","
      EXPENSE_FIELD ("VENDOR_NAME", "", "ACME Tools", 96.0, 1) ","
      EXPENSE_FIELD ("OTHER", "Cashier", "Sam", 91.0, 1) ","
      EXPENSE_FIELD ("TAX", "Tax", "", 91.0, 1) ","
      EXPENSE_FIELD ("DUE_DATE", "Due", "1/2/2030", 10.0, 1) "], "
      "\"LineItemGroups\": [{\"LineItemGroupIndex\": 1, \"LineItems\": ["
      "{\"LineItemExpenseFields\": [" EXPENSE_FIELD ("ITEM", "", "Widget A",
      95, 1) "," EXPENSE_FIELD ("QUANTITY", "", "3", 95, 1) ","
      EXPENSE_FIELD ("PRICE", "", "12.50", 95, 1) "]},"
      "{\"LineItemExpenseFields\": [" EXPENSE_FIELD ("ITEM", "", "Widget B",
      95, 1) "," EXPENSE_FIELD ("PRICE", "", "18.00", 95, 1) "]}]}]}]";
  g_autoptr (JsonArray) docs = parse_array (json);
  g_autoptr (GPtrArray) results = g_ptr_array_new_with_free_func (
      (GDestroyNotify) json_object_unref);
  JsonObject *total, *items, *item;
  JsonArray *list;

  mt_textract_expense_to_results (docs, 1, 50, "aws:textract:AnalyzeExpense",
      results);
  total = find (results, "expense", "TOTAL");
  g_assert_nonnull (total);
  g_assert_cmpstr (str (total, "value"), ==, "$55.50");
  /* The field's own PageNumber wins. */
  g_assert_cmpint (json_object_get_int_member (total, "page"), ==, 2);
  g_assert_nonnull (json_object_get_object_member (total, "box"));
  g_assert_cmpstr (str (find (results, "expense", "VENDOR_NAME"), "value"),
      ==, "ACME Tools");
  g_assert_cmpstr (str (find (results, "expense", "OTHER"), "label"), ==,
      "Cashier");
  /* Empty values and weak ones are left out. */
  g_assert_null (find (results, "expense", "TAX"));
  g_assert_null (find (results, "expense", "DUE_DATE"));
  items = find (results, "expense", "LINE_ITEMS");
  g_assert_nonnull (items);
  list = json_object_get_array_member (json_object_get_object_member (items,
          "detail"), "LineItems");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  g_assert_cmpstr (str (items, "value"), ==, "2");
  item = json_array_get_object_element (list, 0);
  g_assert_cmpstr (str (item, "ITEM"), ==, "Widget A");
  g_assert_cmpstr (str (item, "QUANTITY"), ==, "3");
  g_assert_cmpstr (str (item, "PRICE"), ==, "12.50");
  g_assert_cmpuint (results->len, ==, 4);
}

#define ID_FIELD(type, text, norm) "{\"Type\": {\"Text\": \"" type "\"}, " \
  "\"ValueDetection\": {\"Text\": \"" text "\", " norm "\"Confidence\": 97.0}}"

/* The service answers ValueType "Date", botocore's model says "DATE". */
static void
test_identity (void)
{
  const gchar *json = "[{\"DocumentIndex\": 1, \"IdentityDocumentFields\": ["
      ID_FIELD ("FIRST_NAME", "JANE", "") ","
      ID_FIELD ("LAST_NAME", "DOE", "") ","
      ID_FIELD ("DATE_OF_BIRTH", "15 JUN 1990", "\"NormalizedValue\": "
      "{\"Value\": \"1990-06-15T00:00:00\", \"ValueType\": \"Date\"}, ") ","
      ID_FIELD ("EXPIRATION_DATE", "01/02/2031", "\"NormalizedValue\": "
      "{\"Value\": \"2031-01-02T00:00:00\", \"ValueType\": \"DATE\"}, ") ","
      ID_FIELD ("MIDDLE_NAME", "", "") "]}]";
  g_autoptr (JsonArray) docs = parse_array (json);
  g_autoptr (GPtrArray) results = g_ptr_array_new_with_free_func (
      (GDestroyNotify) json_object_unref);

  mt_textract_identity_to_results (docs, 1, 50, "aws:textract:AnalyzeID",
      results);
  g_assert_cmpuint (results->len, ==, 4);
  g_assert_cmpstr (str (find (results, "identity", "FIRST_NAME"), "value"),
      ==, "JANE");
  g_assert_cmpstr (str (find (results, "identity", "DATE_OF_BIRTH"),
          "value"), ==, "1990-06-15");
  g_assert_cmpstr (str (find (results, "identity", "EXPIRATION_DATE"),
          "value"), ==, "2031-01-02");
  g_assert_null (find (results, "identity", "MIDDLE_NAME"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/textract/blocks/table-merged-header-first",
      test_table_merged_header_first);
  g_test_add_func ("/textract/blocks/table-spanning-cell",
      test_table_spanning_cell);
  g_test_add_func ("/textract/blocks/forms", test_forms);
  g_test_add_func ("/textract/blocks/text-document-reading-order",
      test_text_document_reading_order);
  g_test_add_func ("/textract/blocks/queries-signatures-layout",
      test_queries_signatures_layout);
  g_test_add_func ("/textract/blocks/multi-page-split", test_multi_page_split);
  g_test_add_func ("/textract/blocks/blank-page", test_blank_page);
  g_test_add_func ("/textract/blocks/expense", test_expense);
  g_test_add_func ("/textract/blocks/identity", test_identity);
  return g_test_run ();
}
