/* Tests of textractsink's offline engine on documents the test composes
 * with cairo (PNG scans and born-digital PDFs: an invoice, a form, a ruled
 * table with a merged cell, an ICAO 9303 passport page, white on black, a
 * page turned a quarter, a blank page) and on a real born-digital manual
 * from /usr/share/doc compared with pdftotext. They look at the Textract
 * shapes the engine composes (Blocks, ExpenseDocuments,
 * IdentityDocuments): what a user would read in `detail`.
 *
 * `test-textract-local --dump FILE [PAGE] [FEATURES]` prints the shapes of
 * one page as JSON, for test_textract_local.py's check against botocore's
 * service model. */
#include <cairo.h>
#include <cairo-pdf.h>
#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-local-private.h"
#include "gsttextractsink.h"

#define TAX_PDF "/usr/share/doc/libtasn1-doc/libtasn1.pdf"
#define MONO "DejaVu Sans Mono"
#define SANS "DejaVu Sans"

static LocalEngine *engine;

/* ---- composing documents ---------------------------------------------- */

typedef void (*DrawFunc) (cairo_t * cr);

static cairo_status_t
append (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static void
text (cairo_t * cr, const gchar * font, gdouble size, gdouble x, gdouble y,
    const gchar * s)
{
  cairo_select_font_face (cr, font, CAIRO_FONT_SLANT_NORMAL,
      CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, size);
  cairo_move_to (cr, x, y);
  cairo_show_text (cr, s);
}

/* A page image of @w x @h pixels, drawn in a 1000-unit-wide space. */
static GBytes *
png_of (DrawFunc draw, gint w, gint h, gboolean dark, gdouble turn)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  cairo_t *cr = cairo_create (s);
  GByteArray *out = g_byte_array_new ();

  cairo_set_source_rgb (cr, dark, dark, dark);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, !dark, !dark, !dark);
  if (turn != 0 && ABS (turn) < 45) {
    /* A page scanned askew. */
    cairo_translate (cr, w / 2.0, h / 2.0);
    cairo_rotate (cr, turn * G_PI / 180);
    cairo_translate (cr, -w / 2.0, -h / 2.0);
    cairo_scale (cr, w / 1000.0, w / 1000.0);
  } else if (turn == 180) {
    cairo_translate (cr, w, h);
    cairo_rotate (cr, G_PI);
    cairo_scale (cr, w / 1000.0, w / 1000.0);
  } else if (turn != 0) {
    cairo_translate (cr, w / 2.0, h / 2.0);
    cairo_rotate (cr, turn * G_PI / 180);
    cairo_translate (cr, -h / 2.0, -w / 2.0);
    cairo_scale (cr, h / 1000.0, h / 1000.0);
  } else {
    cairo_scale (cr, w / 1000.0, w / 1000.0);
  }
  draw (cr);
  cairo_destroy (cr);
  cairo_surface_write_to_png_stream (s, append, out);
  cairo_surface_destroy (s);
  return g_byte_array_free_to_bytes (out);
}

/* A born-digital PDF page (A4-ish, 1000 units wide). */
static GBytes *
pdf_of (DrawFunc draw)
{
  GByteArray *out = g_byte_array_new ();
  cairo_surface_t *s = cairo_pdf_surface_create_for_stream (append, out,
      595, 842);
  cairo_t *cr = cairo_create (s);

  cairo_scale (cr, 0.595, 0.595);
  cairo_set_source_rgb (cr, 0, 0, 0);
  draw (cr);
  cairo_show_page (cr);
  cairo_destroy (cr);
  cairo_surface_finish (s);
  cairo_surface_destroy (s);
  return g_byte_array_free_to_bytes (out);
}

static void
draw_invoice (cairo_t * cr)
{
  static const gchar *const rows[][4] = {
    {"Description", "Qty", "Unit Price", "Amount"},
    {"Widget A", "3", "12.50", "37.50"},
    {"Gadget B", "2", "20.00", "40.00"},
    {"Cable C", "5", "2.00", "10.00"},
  };
  static const gdouble xs[] = { 60, 480, 620, 820 };
  guint r, c;

  text (cr, SANS, 34, 60, 80, "ACME Supplies Ltd");
  text (cr, SANS, 22, 60, 120, "12 Harbour Road, Springfield");
  text (cr, SANS, 30, 700, 80, "INVOICE");
  text (cr, SANS, 22, 60, 200, "Invoice No: INV-2024-0042");
  text (cr, SANS, 22, 60, 240, "Date: 2024-03-15");
  text (cr, SANS, 22, 60, 280, "Due Date: 2024-04-14");
  text (cr, SANS, 22, 600, 200, "Bill To:");
  text (cr, SANS, 22, 600, 235, "Globex Corporation");
  for (r = 0; r < G_N_ELEMENTS (rows); r++)
    for (c = 0; c < 4; c++)
      text (cr, SANS, 22, xs[c], 380 + r * 45, rows[r][c]);
  text (cr, SANS, 22, 620, 620, "Subtotal");
  text (cr, SANS, 22, 820, 620, "87.50");
  text (cr, SANS, 22, 620, 660, "Tax (8%)");
  text (cr, SANS, 22, 820, 660, "7.00");
  text (cr, SANS, 24, 620, 710, "Total");
  text (cr, SANS, 24, 820, 710, "$94.50");
}

static void
draw_form (cairo_t * cr)
{
  text (cr, SANS, 30, 60, 70, "Membership Application");
  text (cr, SANS, 24, 60, 150, "Name: Jane Doe");
  text (cr, SANS, 24, 60, 200, "Member ID: 58213");
  text (cr, SANS, 24, 60, 250, "City: Springfield");
  text (cr, SANS, 24, 60, 330, "Address:");
  text (cr, SANS, 24, 60, 370, "42 Elm Street");
  text (cr, SANS, 24, 560, 330, "Phone:");
  text (cr, SANS, 24, 560, 370, "555-0134");
  /* Checkboxes: one crossed, one empty. */
  cairo_set_line_width (cr, 2.5);
  cairo_rectangle (cr, 60, 440, 26, 26);
  cairo_move_to (cr, 65, 445);
  cairo_line_to (cr, 81, 461);
  cairo_move_to (cr, 81, 445);
  cairo_line_to (cr, 65, 461);
  cairo_rectangle (cr, 560, 440, 26, 26);
  cairo_stroke (cr);
  text (cr, SANS, 24, 100, 463, "Newsletter");
  text (cr, SANS, 24, 600, 463, "Paper invoice");
}

static void
line (cairo_t * cr, gdouble x1, gdouble y1, gdouble x2, gdouble y2)
{
  cairo_set_line_width (cr, 2.5);
  cairo_move_to (cr, x1, y1);
  cairo_line_to (cr, x2, y2);
  cairo_stroke (cr);
}

/* 4 rows x 3 columns; the first row is one cell across all columns. */
static void
draw_ruled (cairo_t * cr)
{
  static const gchar *const cells[][3] = {
    {"Region", "Units", "Revenue"},
    {"North", "120", "4800"},
    {"South", "95", "3610"},
  };
  static const gdouble xs[] = { 100, 400, 650, 900 };
  static const gdouble ys[] = { 200, 270, 340, 410, 480 };
  guint i, r, c;

  text (cr, SANS, 30, 100, 120, "Quarterly sales");
  for (i = 0; i < G_N_ELEMENTS (ys); i++)
    line (cr, xs[0], ys[i], xs[3], ys[i]);
  line (cr, xs[0], ys[0], xs[0], ys[4]);
  line (cr, xs[3], ys[0], xs[3], ys[4]);
  for (i = 1; i < 3; i++)
    line (cr, xs[i], ys[1], xs[i], ys[4]);
  text (cr, SANS, 26, 330, 248, "Sales by region 2024");
  for (r = 0; r < 3; r++)
    for (c = 0; c < 3; c++)
      text (cr, SANS, 26, xs[c] + 20, ys[r + 1] + 48, cells[r][c]);
}

/* ICAO 9303's specimen passport (Utopia, Anna Maria Eriksson). */
static void
draw_passport (cairo_t * cr)
{
  text (cr, SANS, 30, 60, 80, "PASSPORT");
  text (cr, SANS, 22, 60, 140, "Surname: ERIKSSON");
  text (cr, SANS, 22, 60, 180, "Given names: ANNA MARIA");
  text (cr, MONO, 21.5, 40, 560,
      "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<");
  text (cr, MONO, 21.5, 40, 610,
      "L898902C36UTO7408122F1204159ZE184226B<<<<<10");
}

static void
draw_letter (cairo_t * cr)
{
  text (cr, SANS, 30, 60, 100, "Quarterly report");
  text (cr, SANS, 24, 60, 180, "Revenue grew in every region this quarter.");
  text (cr, SANS, 24, 60, 230, "The board approved the new warehouse plan.");
  text (cr, SANS, 24, 60, 280, "Shipping times fell to three days on average.");
}

/* A scan in a PDF with a line of real text stamped over it. */
static GBytes *
hybrid_pdf (void)
{
  GByteArray *out = g_byte_array_new ();
  cairo_surface_t *scan = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
      1240, 700);
  cairo_t *cr = cairo_create (scan);
  cairo_surface_t *s;

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_scale (cr, 1.24, 1.24);
  draw_letter (cr);
  cairo_destroy (cr);
  s = cairo_pdf_surface_create_for_stream (append, out, 595, 842);
  cr = cairo_create (s);
  cairo_save (cr);
  cairo_translate (cr, 0, 100);
  cairo_scale (cr, 595.0 / 1240, 595.0 / 1240);
  cairo_set_source_surface (cr, scan, 0, 0);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  text (cr, SANS, 12, 40, 50, "Exhibit 12 page 3");
  cairo_show_page (cr);
  cairo_destroy (cr);
  cairo_surface_finish (s);
  cairo_surface_destroy (s);
  cairo_surface_destroy (scan);
  return g_byte_array_free_to_bytes (out);
}

static void
draw_nothing (cairo_t * cr)
{
}

/* ---- running the engine ----------------------------------------------- */

typedef struct
{
  LocalShapes shapes;
  GHashTable *by_id;
  GError *error;
  gboolean ok;
} Read;

static void
read_clear (Read * rd)
{
  local_shapes_clear (&rd->shapes);
  g_clear_pointer (&rd->by_id, g_hash_table_unref);
  g_clear_error (&rd->error);
}

static void
index_blocks (Read * rd)
{
  guint i;

  rd->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; rd->shapes.blocks
      && i < json_array_get_length (rd->shapes.blocks); i++) {
    JsonObject *b = json_array_get_object_element (rd->shapes.blocks, i);

    g_hash_table_insert (rd->by_id, (gpointer) json_object_get_string_member
        (b, "Id"), b);
  }
}

static void
read_unit (Read * rd, const MtUnit * unit, guint64 features, gchar ** queries)
{
  memset (rd, 0, sizeof *rd);
  rd->ok = local_engine_read (engine, unit, features, queries, 0, NULL,
      &rd->shapes, NULL, &rd->error);
  index_blocks (rd);
}

static void
read_image (Read * rd, GBytes * png, guint64 features, gchar ** queries)
{
  MtUnit unit = { MT_UNIT_PAGE };

  unit.buffer = gst_buffer_new_wrapped_bytes (png);
  unit.caps = gst_caps_new_empty_simple ("image/png");
  unit.page = 1;
  unit.n_pages = 1;
  read_unit (rd, &unit, features, queries);
  gst_buffer_unref (unit.buffer);
  gst_caps_unref (unit.caps);
}

static void
read_pdf (Read * rd, GBytes * pdf, guint page, guint64 features)
{
  MtUnit unit = { MT_UNIT_PAGE };
  GstCaps *caps = gst_caps_new_empty_simple ("application/pdf");

  unit.document = mt_document_new (pdf, caps, 1, NULL, NULL);
  unit.page = page;
  read_unit (rd, &unit, features, NULL);
  mt_document_unref (unit.document);
  gst_caps_unref (caps);
}

/* ---- reading the shapes ----------------------------------------------- */

static JsonArray *
child_ids (JsonObject * b, const gchar * type)
{
  JsonArray *rels;
  guint i;

  if (!json_object_has_member (b, "Relationships"))
    return NULL;
  rels = json_object_get_array_member (b, "Relationships");
  for (i = 0; i < json_array_get_length (rels); i++) {
    JsonObject *r = json_array_get_object_element (rels, i);

    if (g_str_equal (json_object_get_string_member (r, "Type"), type))
      return json_object_get_array_member (r, "Ids");
  }
  return NULL;
}

/* The words under a block, joined by spaces. */
static gchar *
block_words (Read * rd, JsonObject * b)
{
  JsonArray *ids = child_ids (b, "CHILD");
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; ids && i < json_array_get_length (ids); i++) {
    JsonObject *w = g_hash_table_lookup (rd->by_id,
        json_array_get_string_element (ids, i));

    g_assert_nonnull (w);
    if (s->len)
      g_string_append_c (s, ' ');
    g_string_append (s, json_object_get_string_member (w, "Text"));
  }
  return g_string_free (s, FALSE);
}

static guint
count_type (Read * rd, const gchar * type)
{
  guint i, n = 0;

  for (i = 0; rd->shapes.blocks
      && i < json_array_get_length (rd->shapes.blocks); i++)
    n += g_str_equal (json_object_get_string_member
        (json_array_get_object_element (rd->shapes.blocks, i), "BlockType"),
        type);
  return n;
}

static gchar *
page_text (Read * rd)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; rd->shapes.blocks
      && i < json_array_get_length (rd->shapes.blocks); i++) {
    JsonObject *b = json_array_get_object_element (rd->shapes.blocks, i);

    if (g_str_equal (json_object_get_string_member (b, "BlockType"), "LINE"))
      g_string_append_printf (s, "%s\n", json_object_get_string_member (b,
              "Text"));
  }
  return g_string_free (s, FALSE);
}

/* The value of the form key @key ("Name", colon left out), or NULL. */
static gchar *
form_value (Read * rd, const gchar * key)
{
  guint i;

  for (i = 0; i < json_array_get_length (rd->shapes.blocks); i++) {
    JsonObject *b = json_array_get_object_element (rd->shapes.blocks, i);
    g_autofree gchar *k = NULL;
    JsonArray *vals;

    if (!json_object_has_member (b, "EntityTypes")
        || !(vals = child_ids (b, "VALUE")))
      continue;
    k = block_words (rd, b);
    if (g_str_has_suffix (k, ":"))
      k[strlen (k) - 1] = '\0';
    if (g_str_equal (g_strstrip (k), key))
      return block_words (rd, g_hash_table_lookup (rd->by_id,
              json_array_get_string_element (vals, 0)));
  }
  return NULL;
}

/* The SelectionStatus of the checkbox labelled @key, or NULL. */
static const gchar *
form_selection (Read * rd, const gchar * key)
{
  guint i;

  for (i = 0; i < json_array_get_length (rd->shapes.blocks); i++) {
    JsonObject *b = json_array_get_object_element (rd->shapes.blocks, i);
    g_autofree gchar *k = NULL;
    JsonArray *vals, *kids;
    JsonObject *value, *mark;

    if (!json_object_has_member (b, "EntityTypes")
        || !(vals = child_ids (b, "VALUE")))
      continue;
    k = block_words (rd, b);
    if (!g_str_equal (k, key))
      continue;
    value = g_hash_table_lookup (rd->by_id,
        json_array_get_string_element (vals, 0));
    kids = child_ids (value, "CHILD");
    g_assert_nonnull (kids);
    mark = g_hash_table_lookup (rd->by_id,
        json_array_get_string_element (kids, 0));
    g_assert_cmpstr (json_object_get_string_member (mark, "BlockType"), ==,
        "SELECTION_ELEMENT");
    return json_object_get_string_member (mark, "SelectionStatus");
  }
  return NULL;
}

/* Table @n as rows of cell strings. */
static gchar ***
table_rows (Read * rd, guint n, guint * n_rows, guint * n_cols)
{
  JsonObject *table = NULL;
  JsonArray *cells;
  gchar ***rows;
  guint i, k = 0;

  for (i = 0; i < json_array_get_length (rd->shapes.blocks) && !table; i++) {
    JsonObject *b = json_array_get_object_element (rd->shapes.blocks, i);

    if (g_str_equal (json_object_get_string_member (b, "BlockType"), "TABLE")
        && k++ == n)
      table = b;
  }
  g_assert_nonnull (table);
  cells = child_ids (table, "CHILD");
  *n_rows = *n_cols = 0;
  for (i = 0; i < json_array_get_length (cells); i++) {
    JsonObject *c = g_hash_table_lookup (rd->by_id,
        json_array_get_string_element (cells, i));

    *n_rows = MAX (*n_rows, json_object_get_int_member (c, "RowIndex"));
    *n_cols = MAX (*n_cols, json_object_get_int_member (c, "ColumnIndex"));
  }
  rows = g_new0 (gchar **, *n_rows + 1);
  for (i = 0; i < *n_rows; i++)
    rows[i] = g_new0 (gchar *, *n_cols + 1);
  for (i = 0; i < json_array_get_length (cells); i++) {
    JsonObject *c = g_hash_table_lookup (rd->by_id,
        json_array_get_string_element (cells, i));

    rows[json_object_get_int_member (c, "RowIndex") - 1]
        [json_object_get_int_member (c, "ColumnIndex") - 1] =
        block_words (rd, c);
  }
  return rows;
}

static void
rows_free (gchar *** rows)
{
  guint i;

  for (i = 0; rows[i]; i++)
    g_strfreev (rows[i]);
  g_free (rows);
}

static const gchar *
expense_value (Read * rd, const gchar * type)
{
  JsonObject *doc;
  JsonArray *fields;
  guint i;

  g_assert_nonnull (rd->shapes.expense_documents);
  doc = json_array_get_object_element (rd->shapes.expense_documents, 0);
  fields = json_object_get_array_member (doc, "SummaryFields");
  for (i = 0; i < json_array_get_length (fields); i++) {
    JsonObject *f = json_array_get_object_element (fields, i);

    if (g_str_equal (json_object_get_string_member
            (json_object_get_object_member (f, "Type"), "Text"), type))
      return json_object_get_string_member (json_object_get_object_member (f,
              "ValueDetection"), "Text");
  }
  return NULL;
}

static JsonObject *
identity_field (Read * rd, const gchar * type)
{
  JsonObject *doc;
  JsonArray *fields;
  guint i;

  g_assert_nonnull (rd->shapes.identity_documents);
  doc = json_array_get_object_element (rd->shapes.identity_documents, 0);
  fields = json_object_get_array_member (doc, "IdentityDocumentFields");
  for (i = 0; i < json_array_get_length (fields); i++) {
    JsonObject *f = json_array_get_object_element (fields, i);

    if (g_str_equal (json_object_get_string_member
            (json_object_get_object_member (f, "Type"), "Text"), type))
      return json_object_get_object_member (f, "ValueDetection");
  }
  return NULL;
}

static const gchar *
identity_value (Read * rd, const gchar * type)
{
  JsonObject *v = identity_field (rd, type);

  return v ? json_object_get_string_member (v, "Text") : NULL;
}

/* ---- MRZ, amounts ----------------------------------------------------- */

static void
test_check_digits (void)
{
  g_assert_cmpint (local_mrz_check_digit ("L898902C3", 9), ==, 6);
  g_assert_cmpint (local_mrz_check_digit ("740812", 6), ==, 2);
  g_assert_cmpint (local_mrz_check_digit ("120415", 6), ==, 9);
  g_assert_cmpint (local_mrz_check_digit ("D23145890", 9), ==, 7);
}

static void
test_mrz_td3 (void)
{
  /* As OCR misreads it: O for 0 and B for 8 in the document number, I for
   * 1 and S for 5 in the dates, 0 for O and 1 for I in the name. */
  const gchar *lines[] = {
    "P<UT0ERIKSSON<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<",
    "L89B9O2C36UTO74O8122F12O4IS9ZE184226B<<<<<10",
  };
  LocalMrz mrz;

  g_assert_true (local_mrz_parse (lines, 2, &mrz));
  g_assert_cmpint (mrz.format, ==, LOCAL_MRZ_TD3);
  g_assert_true (mrz.all_checks);
  g_assert_cmpuint (mrz.checks_total, ==, 4);
  g_assert_cmpstr (mrz.document_number, ==, "L898902C3");
  g_assert_cmpstr (mrz.last_name, ==, "ERIKSSON");
  g_assert_cmpstr (mrz.first_name, ==, "ANNA MARIA");
  g_assert_cmpstr (mrz.birth, ==, "1974-08-12");
  g_assert_cmpstr (mrz.expiry, ==, "2012-04-15");
  g_assert_cmpstr (mrz.issuer, ==, "UTO");
  g_assert_cmpstr (mrz.nationality, ==, "UTO");
  g_assert_cmpint (mrz.sex, ==, 'F');
  local_mrz_clear (&mrz);
}

static void
test_mrz_td1_td2 (void)
{
  const gchar *td1[] = {
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
  };
  const gchar *td2[] = {
    "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
    "D231458907UTO7408122F1204159<<<<<<<6",
  };
  const gchar *bad[] = {
    "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
    "D231458901UTO7408127F1204153<<<<<<<2",
  };
  LocalMrz mrz;

  g_assert_true (local_mrz_parse (td1, 3, &mrz));
  g_assert_cmpint (mrz.format, ==, LOCAL_MRZ_TD1);
  g_assert_true (mrz.all_checks);
  g_assert_cmpstr (mrz.document_number, ==, "D23145890");
  g_assert_cmpstr (mrz.first_name, ==, "ANNA MARIA");
  g_assert_cmpstr (mrz.birth, ==, "1974-08-12");
  local_mrz_clear (&mrz);
  g_assert_true (local_mrz_parse (td2, 2, &mrz));
  g_assert_cmpint (mrz.format, ==, LOCAL_MRZ_TD2);
  g_assert_true (mrz.all_checks);
  g_assert_cmpstr (mrz.last_name, ==, "ERIKSSON");
  g_assert_cmpstr (mrz.expiry, ==, "2012-04-15");
  local_mrz_clear (&mrz);
  /* Every check digit wrong: no MRZ rather than wrong fields. */
  g_assert_false (local_mrz_parse (bad, 2, &mrz));
}

static void
test_amounts (void)
{
  gdouble v = 0;

  g_assert_true (local_parse_amount ("$1,234.50", &v));
  g_assert_cmpfloat_with_epsilon (v, 1234.5, 1e-9);
  g_assert_true (local_parse_amount ("1.234,50", &v));
  g_assert_cmpfloat_with_epsilon (v, 1234.5, 1e-9);
  g_assert_true (local_parse_amount ("(12.00)", &v));
  g_assert_cmpfloat_with_epsilon (v, -12, 1e-9);
  g_assert_false (local_parse_amount ("INV-2024", &v));
  g_assert_false (local_parse_amount ("Total", &v));
}

/* ---- documents -------------------------------------------------------- */

/* Words of pdftotext's reading of @page, for comparison. */
static GHashTable *
pdftotext_words (const gchar * path, guint page)
{
  g_autofree gchar *p = g_strdup_printf ("%u", page);
  const gchar *argv[] = { "pdftotext", "-f", p, "-l", p, path, "-", NULL };
  g_autofree gchar *out = NULL;
  g_auto (GStrv) words = NULL;
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  guint i;

  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
          NULL, NULL, NULL));
  words = g_regex_split_simple ("\\s+", out, 0, 0);
  for (i = 0; words[i]; i++)
    if (*words[i])
      g_hash_table_add (set, g_strdup (words[i]));
  return set;
}

static void
test_born_digital (void)
{
  g_autoptr (GHashTable) truth = NULL;
  g_autoptr (GBytes) pdf = NULL;
  gchar *contents;
  gsize len;
  Read rd;
  guint i, words = 0, found = 0;

  if (!g_file_get_contents (TAX_PDF, &contents, &len, NULL)) {
    g_test_skip ("no " TAX_PDF " (Debian libtasn1-doc)");
    return;
  }
  pdf = g_bytes_new_take (contents, len);
  truth = pdftotext_words (TAX_PDF, 3);
  read_pdf (&rd, pdf, 3, MT_TEXTRACT_TEXT);
  g_assert_no_error (rd.error);
  g_assert_cmpstr (rd.shapes.engine, ==, "local:poppler");
  for (i = 0; i < json_array_get_length (rd.shapes.blocks); i++) {
    JsonObject *b = json_array_get_object_element (rd.shapes.blocks, i);
    JsonObject *bb;

    if (!g_str_equal (json_object_get_string_member (b, "BlockType"), "WORD"))
      continue;
    bb = json_object_get_object_member (json_object_get_object_member (b,
            "Geometry"), "BoundingBox");
    g_assert_cmpfloat (json_object_get_double_member (bb, "Left"), >=, 0);
    g_assert_cmpfloat (json_object_get_double_member (bb, "Top")
        + json_object_get_double_member (bb, "Height"), <=, 1.0001);
    words++;
    found += g_hash_table_contains (truth, json_object_get_string_member (b,
            "Text"));
  }
  g_test_message ("page 3: %u words, %u in pdftotext's", words, found);
  g_assert_cmpuint (words, >, 100);
  g_assert_cmpuint (found, >=, words * 97 / 100);
  g_assert_cmpuint (count_type (&rd, "LINE"), >, 10);
  read_clear (&rd);
}

static void
test_image_text (void)
{
  g_autoptr (GBytes) png = png_of (draw_letter, 1240, 700, FALSE, 0);
  g_autofree gchar *t = NULL;
  Read rd;

  read_image (&rd, png, MT_TEXTRACT_TEXT, NULL);
  g_assert_no_error (rd.error);
  g_assert_cmpstr (rd.shapes.engine, ==, "local:tesseract");
  t = page_text (&rd);
  g_assert_nonnull (strstr (t, "Quarterly report"));
  g_assert_nonnull (strstr (t, "The board approved the new warehouse plan."));
  read_clear (&rd);
}

static void
test_white_on_black (void)
{
  g_autoptr (GBytes) png = png_of (draw_letter, 1240, 700, TRUE, 0);
  g_autofree gchar *t = NULL;
  Read rd;

  read_image (&rd, png, MT_TEXTRACT_TEXT, NULL);
  g_assert_no_error (rd.error);
  t = page_text (&rd);
  g_assert_nonnull (strstr (t, "Revenue grew in every region this quarter."));
  read_clear (&rd);
}

static void
test_turned (void)
{
  /* The letter drawn turned a quarter clockwise on a portrait page. */
  g_autoptr (GBytes) png = png_of (draw_letter, 700, 1240, FALSE, 90);
  g_autofree gchar *t = NULL;
  Read rd;
  guint i;

  read_image (&rd, png, MT_TEXTRACT_TEXT, NULL);
  g_assert_no_error (rd.error);
  t = page_text (&rd);
  g_assert_nonnull (strstr (t, "Shipping times fell to three days"));
  /* Boxes are in the page as given: the lines run down it. */
  for (i = 0; i < json_array_get_length (rd.shapes.blocks); i++) {
    JsonObject *b = json_array_get_object_element (rd.shapes.blocks, i);
    JsonObject *bb = json_object_get_object_member
        (json_object_get_object_member (b, "Geometry"), "BoundingBox");

    if (g_str_equal (json_object_get_string_member (b, "BlockType"), "LINE")
        && strlen (json_object_get_string_member (b, "Text")) > 20)
      g_assert_cmpfloat (json_object_get_double_member (bb, "Height"), >,
          json_object_get_double_member (bb, "Width"));
  }
  read_clear (&rd);
}

static void
test_upside_down (void)
{
  g_autoptr (GBytes) png = png_of (draw_letter, 1240, 700, FALSE, 180);
  g_autofree gchar *t = NULL;
  Read rd;

  read_image (&rd, png, MT_TEXTRACT_TEXT, NULL);
  g_assert_no_error (rd.error);
  t = page_text (&rd);
  g_assert_nonnull (strstr (t, "The board approved the new warehouse plan."));
  read_clear (&rd);
}

static void
test_skewed (void)
{
  g_autoptr (GBytes) png = png_of (draw_letter, 1240, 700, FALSE, 4);
  g_autofree gchar *t = NULL;
  Read rd;

  read_image (&rd, png, MT_TEXTRACT_TEXT, NULL);
  g_assert_no_error (rd.error);
  t = page_text (&rd);
  g_assert_nonnull (strstr (t, "Revenue grew in every region this quarter."));
  g_assert_nonnull (strstr (t, "Shipping times fell to three days"));
  read_clear (&rd);
}

static void
test_blank (void)
{
  g_autoptr (GBytes) png = png_of (draw_nothing, 800, 1000, FALSE, 0);
  Read rd;

  read_image (&rd, png, MT_TEXTRACT_ALL_FEATURES, NULL);
  g_assert_no_error (rd.error);
  g_assert_true (rd.ok);
  g_assert_null (rd.shapes.blocks);
  g_assert_null (rd.shapes.expense_documents);
  g_assert_null (rd.shapes.identity_documents);
  read_clear (&rd);
}

static void
check_invoice (Read * rd)
{
  g_autofree gchar *vendor = NULL;
  JsonObject *group, *item;
  JsonArray *items, *fields;
  guint n_rows, n_cols, i;
  gchar ***rows;

  g_assert_no_error (rd->error);
  g_assert_cmpstr (expense_value (rd, "TOTAL"), ==, "$94.50");
  g_assert_cmpstr (expense_value (rd, "SUBTOTAL"), ==, "87.50");
  g_assert_cmpstr (expense_value (rd, "TAX"), ==, "7.00");
  g_assert_cmpstr (expense_value (rd, "INVOICE_RECEIPT_ID"), ==,
      "INV-2024-0042");
  g_assert_cmpstr (expense_value (rd, "INVOICE_RECEIPT_DATE"), ==,
      "2024-03-15");
  g_assert_cmpstr (expense_value (rd, "DUE_DATE"), ==, "2024-04-14");
  g_assert_cmpstr (expense_value (rd, "RECEIVER_NAME"), ==,
      "Globex Corporation");
  g_assert_cmpstr (expense_value (rd, "VENDOR_NAME"), ==, "ACME Supplies Ltd");
  /* The items table, header first. */
  rows = table_rows (rd, 0, &n_rows, &n_cols);
  g_assert_cmpuint (n_cols, ==, 4);
  g_assert_cmpstr (rows[0][0], ==, "Description");
  g_assert_cmpstr (rows[0][2], ==, "Unit Price");
  g_assert_cmpstr (rows[2][0], ==, "Gadget B");
  g_assert_cmpstr (rows[2][3], ==, "40.00");
  rows_free (rows);
  group = json_array_get_object_element (json_object_get_array_member
      (json_array_get_object_element (rd->shapes.expense_documents, 0),
          "LineItemGroups"), 0);
  items = json_object_get_array_member (group, "LineItems");
  g_assert_cmpuint (json_array_get_length (items), ==, 3);
  item = json_array_get_object_element (items, 0);
  fields = json_object_get_array_member (item, "LineItemExpenseFields");
  vendor = NULL;
  for (i = 0; i < json_array_get_length (fields); i++) {
    JsonObject *f = json_array_get_object_element (fields, i);
    const gchar *type = json_object_get_string_member
        (json_object_get_object_member (f, "Type"), "Text");
    const gchar *value = json_object_get_string_member
        (json_object_get_object_member (f, "ValueDetection"), "Text");

    if (g_str_equal (type, "ITEM"))
      g_assert_cmpstr (value, ==, "Widget A");
    if (g_str_equal (type, "QUANTITY"))
      g_assert_cmpstr (value, ==, "3");
    if (g_str_equal (type, "UNIT_PRICE"))
      g_assert_cmpstr (value, ==, "12.50");
    if (g_str_equal (type, "PRICE"))
      g_assert_cmpstr (value, ==, "37.50");
  }
}

static void
test_invoice_scan (void)
{
  g_autoptr (GBytes) png = png_of (draw_invoice, 1240, 1000, FALSE, 0);
  Read rd;

  read_image (&rd, png, MT_TEXTRACT_EXPENSE | MT_TEXTRACT_TABLES, NULL);
  check_invoice (&rd);
  read_clear (&rd);
}

static void
test_invoice_pdf (void)
{
  g_autoptr (GBytes) pdf = pdf_of (draw_invoice);
  Read rd;

  read_pdf (&rd, pdf, 1, MT_TEXTRACT_EXPENSE | MT_TEXTRACT_TABLES);
  g_assert_cmpstr (rd.shapes.engine, ==, "local:poppler");
  check_invoice (&rd);
  read_clear (&rd);
}

static void
test_form (void)
{
  g_autoptr (GBytes) png = png_of (draw_form, 1240, 640, FALSE, 0);
  gchar *queries[] = { "What is the member ID?", "Which city?",
    "What is the account balance?", NULL
  };
  g_autofree gchar *name = NULL, *id = NULL, *address = NULL, *phone = NULL;
  Read rd;
  guint i, answered = 0;

  read_image (&rd, png, MT_TEXTRACT_FORMS | MT_TEXTRACT_QUERIES, queries);
  g_assert_no_error (rd.error);
  name = form_value (&rd, "Name");
  id = form_value (&rd, "Member ID");
  address = form_value (&rd, "Address");
  phone = form_value (&rd, "Phone");
  g_assert_cmpstr (name, ==, "Jane Doe");
  g_assert_cmpstr (id, ==, "58213");
  g_assert_cmpstr (address, ==, "42 Elm Street");
  g_assert_cmpstr (phone, ==, "555-0134");
  g_assert_cmpuint (count_type (&rd, "SELECTION_ELEMENT"), ==, 2);
  g_assert_cmpstr (form_selection (&rd, "Newsletter"), ==, "SELECTED");
  g_assert_cmpstr (form_selection (&rd, "Paper invoice"), ==, "NOT_SELECTED");
  g_assert_cmpuint (count_type (&rd, "QUERY"), ==, 3);
  for (i = 0; i < json_array_get_length (rd.shapes.blocks); i++) {
    JsonObject *b = json_array_get_object_element (rd.shapes.blocks, i);
    JsonArray *ans;
    const gchar *q;
    JsonObject *r;

    if (!g_str_equal (json_object_get_string_member (b, "BlockType"), "QUERY"))
      continue;
    q = json_object_get_string_member (json_object_get_object_member (b,
            "Query"), "Text");
    ans = child_ids (b, "ANSWER");
    if (g_str_equal (q, queries[2])) {
      g_assert_null (ans);
      continue;
    }
    g_assert_nonnull (ans);
    r = g_hash_table_lookup (rd.by_id, json_array_get_string_element (ans, 0));
    g_assert_cmpstr (json_object_get_string_member (r, "Text"), ==,
        g_str_equal (q, queries[0]) ? "58213" : "Springfield");
    answered++;
  }
  g_assert_cmpuint (answered, ==, 2);
  read_clear (&rd);
}

static void
test_form_pdf (void)
{
  g_autoptr (GBytes) pdf = pdf_of (draw_form);
  g_autofree gchar *address = NULL;
  Read rd;

  read_pdf (&rd, pdf, 1, MT_TEXTRACT_FORMS);
  g_assert_no_error (rd.error);
  address = form_value (&rd, "Address");
  g_assert_cmpstr (address, ==, "42 Elm Street");
  g_assert_cmpstr (form_selection (&rd, "Newsletter"), ==, "SELECTED");
  g_assert_cmpstr (form_selection (&rd, "Paper invoice"), ==, "NOT_SELECTED");
  read_clear (&rd);
}

static void
check_ruled (Read * rd)
{
  JsonObject *merged = NULL;
  gchar ***rows;
  guint n_rows, n_cols, i;

  g_assert_no_error (rd->error);
  g_assert_cmpuint (count_type (rd, "TABLE"), ==, 1);
  rows = table_rows (rd, 0, &n_rows, &n_cols);
  g_assert_cmpuint (n_rows, ==, 4);
  g_assert_cmpuint (n_cols, ==, 3);
  g_assert_cmpstr (rows[1][0], ==, "Region");
  g_assert_cmpstr (rows[2][1], ==, "120");
  g_assert_cmpstr (rows[3][2], ==, "3610");
  g_assert_nonnull (strstr (rows[0][0], "Sales") ? rows[0][0] : rows[0][1]);
  rows_free (rows);
  for (i = 0; i < json_array_get_length (rd->shapes.blocks); i++) {
    JsonObject *b = json_array_get_object_element (rd->shapes.blocks, i);

    if (g_str_equal (json_object_get_string_member (b, "BlockType"),
            "MERGED_CELL"))
      merged = b;
  }
  g_assert_nonnull (merged);
  g_assert_cmpint (json_object_get_int_member (merged, "RowIndex"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (merged, "ColumnSpan"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (merged, "RowSpan"), ==, 1);
}

static void
test_ruled_scan (void)
{
  g_autoptr (GBytes) png = png_of (draw_ruled, 1240, 700, FALSE, 0);
  Read rd;

  read_image (&rd, png, MT_TEXTRACT_TABLES, NULL);
  check_ruled (&rd);
  read_clear (&rd);
}

static void
test_ruled_pdf (void)
{
  g_autoptr (GBytes) pdf = pdf_of (draw_ruled);
  Read rd;

  read_pdf (&rd, pdf, 1, MT_TEXTRACT_TABLES);
  check_ruled (&rd);
  read_clear (&rd);
}

static void
check_passport (Read * rd)
{
  JsonObject *birth;

  g_assert_no_error (rd->error);
  g_assert_cmpstr (identity_value (rd, "LAST_NAME"), ==, "ERIKSSON");
  g_assert_cmpstr (identity_value (rd, "FIRST_NAME"), ==, "ANNA MARIA");
  g_assert_cmpstr (identity_value (rd, "DOCUMENT_NUMBER"), ==, "L898902C3");
  g_assert_cmpstr (identity_value (rd, "EXPIRATION_DATE"), ==, "2012-04-15");
  g_assert_cmpstr (identity_value (rd, "ID_TYPE"), ==, "PASSPORT");
  birth = identity_field (rd, "DATE_OF_BIRTH");
  g_assert_cmpstr (json_object_get_string_member
      (json_object_get_object_member (birth, "NormalizedValue"), "Value"), ==,
      "1974-08-12T00:00:00");
  /* Every check digit held. */
  g_assert_cmpfloat (json_object_get_double_member (birth, "Confidence"), >=,
      99);
}

static void
test_passport_scan (void)
{
  g_autoptr (GBytes) png = png_of (draw_passport, 1240, 800, FALSE, 0);
  Read rd;

  read_image (&rd, png, MT_TEXTRACT_IDENTITY, NULL);
  check_passport (&rd);
  read_clear (&rd);
}

static void
test_passport_pdf (void)
{
  g_autoptr (GBytes) pdf = pdf_of (draw_passport);
  Read rd;

  read_pdf (&rd, pdf, 1, MT_TEXTRACT_IDENTITY);
  check_passport (&rd);
  read_clear (&rd);
}

static void
test_hybrid_pdf (void)
{
  g_autoptr (GBytes) pdf = hybrid_pdf ();
  g_autofree gchar *t = NULL;
  Read rd;

  read_pdf (&rd, pdf, 1, MT_TEXTRACT_TEXT);
  g_assert_no_error (rd.error);
  g_assert_cmpstr (rd.shapes.engine, ==, "local:tesseract");
  t = page_text (&rd);
  g_assert_nonnull (strstr (t, "Exhibit 12 page 3"));
  g_assert_nonnull (strstr (t, "The board approved the new warehouse plan."));
  read_clear (&rd);
}

static void
test_bad_pdf (void)
{
  g_autoptr (GBytes) junk = g_bytes_new_static ("%PDF-1.4 not really", 19);
  Read rd;

  read_pdf (&rd, junk, 1, MT_TEXTRACT_TEXT);
  g_assert_false (rd.ok);
  g_assert_error (rd.error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  read_clear (&rd);
}

/* ---- --dump ----------------------------------------------------------- */

static int
dump (const gchar * path, guint page, guint64 features)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *data = NULL;
  gchar *contents, *queries[] = { "What is the member ID?", NULL };
  gsize len;
  MtUnit unit = { MT_UNIT_PAGE };
  LocalShapes shapes;
  gboolean pdf = g_str_has_suffix (path, ".pdf");

  if (!g_file_get_contents (path, &contents, &len, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  unit.page = page;
  if (pdf) {
    GstCaps *caps = gst_caps_new_empty_simple ("application/pdf");

    g_autoptr (GBytes) bytes = g_bytes_new_take (contents, len);

    unit.document = mt_document_new (bytes, caps, 1, NULL, NULL);
    gst_caps_unref (caps);
  } else {
    unit.buffer = gst_buffer_new_wrapped (contents, len);
    unit.caps = gst_caps_new_empty_simple ("image/png");
  }
  if (!local_engine_read (engine, &unit, features, queries, 0, NULL, &shapes,
          NULL, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Engine");
  json_builder_add_string_value (b, shapes.engine);
  if (shapes.blocks) {
    json_builder_set_member_name (b, "Blocks");
    json_builder_add_value (b, json_node_init_array (json_node_alloc (),
            shapes.blocks));
  }
  if (shapes.expense_documents) {
    json_builder_set_member_name (b, "ExpenseDocuments");
    json_builder_add_value (b, json_node_init_array (json_node_alloc (),
            shapes.expense_documents));
  }
  if (shapes.identity_documents) {
    json_builder_set_member_name (b, "IdentityDocuments");
    json_builder_add_value (b, json_node_init_array (json_node_alloc (),
            shapes.identity_documents));
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  /* UTF-8 as it is: g_print would convert to the locale's charset. */
  data = json_generator_to_data (gen, NULL);
  fputs (data, stdout);
  fputc ('\n', stdout);
  local_shapes_clear (&shapes);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int rc;

  gst_init (NULL, NULL);
  engine = local_engine_new (&error);
  g_assert_no_error (error);
  if (argc >= 3 && g_str_equal (argv[1], "--dump")) {
    rc = dump (argv[2], argc > 3 ? atoi (argv[3]) : 1,
        argc > 4 ? g_ascii_strtoull (argv[4], NULL, 0) : 0xff);
    local_engine_free (engine);
    return rc;
  }
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/textract-local/mrz/check-digits", test_check_digits);
  g_test_add_func ("/textract-local/mrz/td3", test_mrz_td3);
  g_test_add_func ("/textract-local/mrz/td1-td2", test_mrz_td1_td2);
  g_test_add_func ("/textract-local/amounts", test_amounts);
  g_test_add_func ("/textract-local/pdf/born-digital", test_born_digital);
  g_test_add_func ("/textract-local/pdf/corrupt", test_bad_pdf);
  g_test_add_func ("/textract-local/pdf/scan-with-stamp", test_hybrid_pdf);
  g_test_add_func ("/textract-local/ocr/text", test_image_text);
  g_test_add_func ("/textract-local/ocr/white-on-black", test_white_on_black);
  g_test_add_func ("/textract-local/ocr/turned", test_turned);
  g_test_add_func ("/textract-local/ocr/upside-down", test_upside_down);
  g_test_add_func ("/textract-local/ocr/skewed", test_skewed);
  g_test_add_func ("/textract-local/ocr/blank", test_blank);
  g_test_add_func ("/textract-local/expense/scan", test_invoice_scan);
  g_test_add_func ("/textract-local/expense/pdf", test_invoice_pdf);
  g_test_add_func ("/textract-local/forms/scan", test_form);
  g_test_add_func ("/textract-local/forms/pdf", test_form_pdf);
  g_test_add_func ("/textract-local/tables/ruled-scan", test_ruled_scan);
  g_test_add_func ("/textract-local/tables/ruled-pdf", test_ruled_pdf);
  g_test_add_func ("/textract-local/identity/scan", test_passport_scan);
  g_test_add_func ("/textract-local/identity/pdf", test_passport_pdf);
  rc = g_test_run ();
  local_engine_free (engine);
  return rc;
}
