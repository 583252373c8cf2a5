/* One page unit read by the offline Textract engine into Textract's
 * shapes: a PDF page's text layer (or, without one, the page rendered and
 * OCRed), or an image OCRed; then tables, key/value pairs, query answers,
 * expense fields and the MRZ found in what was read. */
#include "engine-local-private.h"

#include <string.h>

#include "gsttextractsink.h"

GST_DEBUG_CATEGORY (mt_textract_local_debug);

/* Born-digital pages are rendered at this resolution when their ruling
 * lines are wanted: rules are thick enough at it, and it is 4x cheaper
 * than 300 dpi. */
#define RULES_DPI 150
/* ... and at this one otherwise, to see whether the text layer covers the
 * page's ink. */
#define CHECK_DPI 72
/* Word-sized groups of ink without text that make a text layer partial. */
#define MIN_UNEXPLAINED 30
#define DEFAULT_DPI 300
#define MRZ_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

struct _LocalEngine
{
  LocalOcr *ocr;
  LocalPdfCache *pdf;
};

LocalEngine *
local_engine_new (GError ** error)
{
  LocalEngine *engine;
  LocalOcr *ocr;

  if (!mt_textract_local_debug)
    GST_DEBUG_CATEGORY_INIT (mt_textract_local_debug, "textractlocal", 0,
        "textractsink's offline engine");
  /* Leptonica prints an "Info" line on stderr for every grey+alpha PNG
   * it reads; warnings and errors still show. */
  setMsgSeverity (L_SEVERITY_WARNING);
  if (!(ocr = local_ocr_new (error)))
    return NULL;
  engine = g_new0 (LocalEngine, 1);
  engine->ocr = ocr;
  engine->pdf = local_pdf_cache_new ();
  return engine;
}

void
local_engine_free (LocalEngine * engine)
{
  if (!engine)
    return;
  local_ocr_free (engine->ocr);
  local_pdf_cache_free (engine->pdf);
  g_free (engine);
}

void
local_shapes_clear (LocalShapes * shapes)
{
  g_clear_pointer (&shapes->blocks, json_array_unref);
  g_clear_pointer (&shapes->expense_documents, json_array_unref);
  g_clear_pointer (&shapes->identity_documents, json_array_unref);
}

static gboolean
is_pdf (const MtUnit * unit)
{
  GstCaps *caps = unit->document ? unit->document->caps : NULL;

  return !unit->buffer && caps && gst_caps_get_size (caps) > 0
      && gst_structure_has_name (gst_caps_get_structure (caps, 0),
      "application/pdf");
}

typedef struct
{
  LocalEngine *engine;
  const MtUnit *unit;
  guint64 features;
  guint dpi;
  const gchar *password;
  GCancellable *cancellable;
} Reading;

/* Ruling lines (tables) and checkboxes (forms) are found in the page's
 * image: a born-digital page is then rendered too. */
static gboolean
wants_image (const Reading * rd)
{
  return (rd->features & (MT_TEXTRACT_TABLES | MT_TEXTRACT_EXPENSE
          | MT_TEXTRACT_FORMS | MT_TEXTRACT_QUERIES)) != 0;
}

static gboolean
wants_rules (const Reading * rd)
{
  return (rd->features & (MT_TEXTRACT_TABLES | MT_TEXTRACT_EXPENSE)) != 0;
}

/* A text layer that leaves most of the page's ink unexplained belongs to
 * a scan with a few words stamped on it (a header, a Bates number): the
 * page is read with OCR instead. Diagrams leave some ink too, hence the
 * margin. */
static gboolean
text_layer_partial (const LocalPage * page, PIX * gray, guint dpi)
{
  guint missed = local_uncovered_ink (gray, page, dpi);

  return missed > MIN_UNEXPLAINED && missed > page->words->len;
}

static gboolean
ocr_pdf_page (const Reading * rd, LocalPage * page, GError ** error)
{
  PIX *gray = NULL;
  gboolean text, ok;

  g_array_set_size (page->words, 0);
  g_array_set_size (page->lines, 0);
  if (!local_pdf_read_page (rd->engine->pdf, rd->unit->document,
          rd->unit->page, rd->password, rd->dpi, rd->dpi, page, &text, &gray,
          error))
    return FALSE;
  g_array_set_size (page->words, 0);
  g_array_set_size (page->lines, 0);
  ok = local_ocr_page (rd->engine->ocr, gray, rd->dpi, wants_rules (rd), page,
      rd->cancellable, error);
  pixDestroy (&gray);
  return ok;
}

static gboolean
read_pdf_page (const Reading * rd, LocalPage * page, GError ** error)
{
  guint dpi = wants_image (rd) ? RULES_DPI : CHECK_DPI;
  PIX *gray = NULL;
  gboolean text = FALSE, ok;

  if (!local_pdf_read_page (rd->engine->pdf, rd->unit->document,
          rd->unit->page, rd->password, dpi, rd->dpi, page, &text, &gray,
          error))
    return FALSE;
  if (text && (!gray || !text_layer_partial (page, gray, dpi))) {
    page->gray = gray;
    page->dpi = dpi;
    return TRUE;
  }
  if (text) {
    GST_DEBUG ("page %u: the text layer leaves most ink unread: OCR",
        rd->unit->page);
    pixDestroy (&gray);
    return ocr_pdf_page (rd, page, error);
  }
  GST_LOG ("page %u has no text layer: OCR at %u dpi", rd->unit->page, rd->dpi);
  ok = local_ocr_page (rd->engine->ocr, gray, rd->dpi, wants_rules (rd), page,
      rd->cancellable, error);
  pixDestroy (&gray);
  return ok;
}

static gboolean
read_image (const Reading * rd, LocalPage * page, GError ** error)
{
  guint dpi = rd->dpi;
  PIX *pix = local_image_from_unit (rd->unit, &dpi, error);
  gboolean ok;

  if (!pix)
    return FALSE;
  ok = local_ocr_page (rd->engine->ocr, pix, dpi, wants_rules (rd), page,
      rd->cancellable, error);
  pixDestroy (&pix);
  return ok;
}

/* ---- the MRZ ---------------------------------------------------------- */

static gchar **
long_lines (gchar ** lines)
{
  GPtrArray *keep = g_ptr_array_new ();
  guint i;

  for (i = 0; lines && lines[i]; i++)
    if (strlen (g_strstrip (lines[i])) >= 25)
      g_ptr_array_add (keep, g_strdup (lines[i]));
  g_ptr_array_add (keep, NULL);
  return (gchar **) g_ptr_array_free (keep, FALSE);
}

/* Reads @box again with only the MRZ's characters, and parses the last
 * two or three long lines read. */
static gboolean
reread_mrz (const Reading * rd, const LocalPage * page, const LocalBox * box,
    LocalMrz * mrz)
{
  g_autoptr (GError) err = NULL;
  g_auto (GStrv) raw = local_ocr_read_block (rd->engine->ocr, page->gray,
      box, rd->dpi, MRZ_CHARS, rd->cancellable, &err);
  g_auto (GStrv) lines = long_lines (raw);
  guint n = g_strv_length (lines);

  if (err)
    GST_DEBUG ("MRZ could not be read again: %s", err->message);
  if (n >= 3 && local_mrz_parse ((const gchar * const *) lines + n - 3, 3, mrz))
    return TRUE;
  return n >= 2 && local_mrz_parse ((const gchar * const *) lines + n - 2, 2,
      mrz);
}

static gboolean
parse_found (const LocalPage * page, GArray * found, LocalMrz * mrz)
{
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; i < found->len; i++)
    g_ptr_array_add (texts, local_line_text (page, g_array_index (found,
                guint, i)));
  return local_mrz_parse ((const gchar * const *) texts->pdata, texts->len,
      mrz);
}

static JsonArray *
read_identity (const Reading * rd, const LocalPage * page)
{
  g_autoptr (GArray) found = local_mrz_find_lines (page);
  gboolean ocr = page->gray && g_str_equal (page->engine, "local:tesseract");
  LocalBox box = { 0, 0.6, 1, 0.4 };    /* where the zone sits on IDs */
  LocalMrz mrz;
  JsonArray *docs;
  guint i;

  for (i = 0; found && i < found->len; i++) {
    const LocalLine *l = &g_array_index (page->lines, LocalLine,
        g_array_index (found, guint, i));

    box = i ? local_box_union (&box, &l->box) : l->box;
  }
  /* OCR without a whitelist reads runs of '<' poorly: read the zone again
   * with only its characters, and fall back to what was read first. */
  if (!(ocr && reread_mrz (rd, page, &box, &mrz))
      && !(found && parse_found (page, found, &mrz)))
    return NULL;
  GST_DEBUG ("MRZ %s, %u of %u checks hold", mrz.lines[0], mrz.checks_passed,
      mrz.checks_total);
  docs = local_mrz_compose (&mrz, page, found);
  local_mrz_clear (&mrz);
  return docs;
}

/* ---- the page --------------------------------------------------------- */

static void
compose (const Reading * rd, LocalPage * page, gchar ** queries,
    LocalShapes * shapes)
{
  guint64 f = rd->features;
  guint number = MAX (rd->unit->page, 1);
  g_autoptr (GPtrArray) tables = NULL;
  g_autoptr (GPtrArray) fields = NULL;

  if (f & (MT_TEXTRACT_TABLES | MT_TEXTRACT_EXPENSE))
    tables = local_tables_find (page);
  if (f & (MT_TEXTRACT_FORMS | MT_TEXTRACT_QUERIES))
    local_marks_find (page);
  if (f & (MT_TEXTRACT_FORMS | MT_TEXTRACT_QUERIES | MT_TEXTRACT_EXPENSE))
    fields = local_fields_find (page, tables);
  shapes->blocks = local_blocks_compose (page, tables, fields, queries,
      number, f);
  if (f & MT_TEXTRACT_EXPENSE)
    shapes->expense_documents = local_expense_compose (page, tables, fields,
        number);
  if (f & MT_TEXTRACT_IDENTITY)
    shapes->identity_documents = read_identity (rd, page);
}

gboolean
local_engine_read (LocalEngine * engine, const MtUnit * unit,
    guint64 features, gchar ** queries, guint dpi, const gchar * password,
    LocalShapes * shapes, GCancellable * cancellable, GError ** error)
{
  Reading rd = { engine, unit, features, dpi ? dpi : DEFAULT_DPI, password,
    cancellable
  };
  g_autoptr (LocalPage) page = local_page_new ();

  memset (shapes, 0, sizeof *shapes);
  if (!(is_pdf (unit) ? read_pdf_page (&rd, page, error)
          : read_image (&rd, page, error)))
    return FALSE;
  shapes->engine = page->engine;
  /* A blank page gives no documents. */
  if (!page->words->len)
    return TRUE;
  compose (&rd, page, queries, shapes);
  return TRUE;
}
