/* Internals of textractsink's offline engine (engine-local*.c): the page
 * model every stage shares, and the stages.
 *
 * A page is read once into a LocalPage (words and lines with boxes 0..1
 * of the page, from Poppler's text layer or from Tesseract), plus a grey
 * image of the page when one was rendered or decoded (ruling lines are
 * found in it). The stages then find tables, key/value pairs, expense
 * fields and the MRZ in that model, and engine-local-blocks.c composes
 * Textract's own shapes (Blocks, ExpenseDocuments, IdentityDocuments) from
 * them, which blocks.h turns into result documents.
 *
 * Threading: a LocalPage belongs to one analyze() call. LocalOcr is a pool
 * of Tesseract handles shared by the worker threads (a handle is used by
 * one thread at a time). LocalPdfCache serialises all Poppler calls on one
 * document with that document's mutex. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <leptonica/allheaders.h>

#include "engine.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (mt_textract_local_debug);
#define GST_CAT_DEFAULT mt_textract_local_debug

/* Relative to the page, 0..1, as Textract's BoundingBox. */
typedef struct
{
  gdouble left;
  gdouble top;
  gdouble width;
  gdouble height;
} LocalBox;

typedef struct
{
  gchar *text;
  LocalBox box;
  gdouble confidence;           /* 0..100 */
} LocalWord;

typedef struct
{
  LocalBox box;
  gdouble confidence;
  guint first;                  /* its words: [first, first + n) */
  guint n;
} LocalLine;

/* A checkbox or option mark. */
typedef struct
{
  LocalBox box;
  gboolean selected;
  gdouble confidence;
} LocalMark;

typedef struct
{
  GArray *words;                /* LocalWord */
  GArray *lines;                /* LocalLine */
  GArray *marks;                /* LocalMark, found by local_marks_find() */
  /* An 8-bit grey image of the page, upright, dark text on light, or
   * NULL; rules are searched in it. */
  PIX *gray;
  /* The resolution of gray. */
  guint dpi;
  /* Page height over width: the boxes' two scales. */
  gdouble aspect;
  /* Quarter turns clockwise the page was read in (OCR turned it upright):
   * boxes are upright and turned back when composed. */
  guint quads;
  /* "local:poppler" (text layer) or "local:tesseract" (OCR). */
  const gchar *engine;
} LocalPage;

LocalPage *local_page_new (void);
void local_page_free (LocalPage * page);
/* Appends a line of words (boxes 0..1); its box and confidence are those
 * of the words. Words with empty text are skipped; nothing is added when
 * none is left. */
void local_page_add_line (LocalPage * page, GPtrArray * texts,
    const LocalBox * boxes, const gdouble * confidences);
gchar *local_line_text (const LocalPage * page, guint line);
/* The union of a and b. */
LocalBox local_box_union (const LocalBox * a, const LocalBox * b);

/* Rows of words as they sit on the page (words whose vertical centres
 * fall in one band), left to right, each split into segments at gaps
 * wider than about one text height: the columns of tables, and the key
 * and value parts of form lines. */
typedef struct
{
  guint first;                  /* into LocalRows.order */
  guint n;
  LocalBox box;
} LocalSegment;

typedef struct
{
  LocalBox box;
  GArray *segments;             /* LocalSegment */
} LocalRow;

typedef struct
{
  GArray *order;                /* guint word indices, row by row */
  GArray *rows;                 /* LocalRow, top to bottom */
} LocalRows;

/* Words with @skip[i] set (may be NULL) are left out. */
LocalRows *local_rows_new (const LocalPage * page, const gboolean * skip);
void local_rows_free (LocalRows * rows);
/* The segment's words from its @from-th on, joined by spaces. */
gchar *local_segment_text (const LocalPage * page, const LocalRows * rows,
    const LocalSegment * seg, guint from);

/* ---- tables (engine-local-tables.c) ----------------------------------- */

typedef struct
{
  guint row;                    /* from 0 */
  guint col;
  LocalBox box;
  GArray *words;                /* guint word indices, in reading order */
} LocalCell;

typedef struct
{
  guint row;
  guint col;
  guint row_span;
  guint col_span;
} LocalMerge;

typedef struct
{
  LocalBox box;
  guint n_rows;
  guint n_cols;
  GArray *cells;                /* LocalCell, row-major, n_rows * n_cols */
  GArray *merges;               /* LocalMerge: cells spanning several */
  gboolean ruled;               /* from ruling lines, else from alignment */
} LocalTable;

void local_table_free (LocalTable * table);
/* Ruled tables (from page->gray) and borderless ones (3+ aligned rows of
 * 2+ columns), top to bottom. */
GPtrArray *local_tables_find (const LocalPage * page);
gchar *local_cell_text (const LocalPage * page, const LocalTable * table,
    guint row, guint col);
/* The ruling lines of @gray (1 bpp, ink set), to erase them before OCR. */
PIX *local_rules_mask (PIX * gray, guint dpi);
/* Per word of the page (g_free it): TRUE when it lies in one of @tables
 * (may be NULL). */
gboolean *local_tables_mask (const LocalPage * page, GPtrArray * tables);

/* ---- forms (engine-local-forms.c) ------------------------------------- */

typedef struct
{
  GArray *key_words;            /* guint word indices */
  GArray *value_words;
  gchar *key;                   /* without the trailing colon */
  gchar *value;                 /* a mark's: SELECTED or NOT_SELECTED */
  gint mark;                    /* index in page->marks, -1 for none */
  LocalBox key_box;
  LocalBox value_box;
  gdouble confidence;
} LocalField;

void local_field_free (LocalField * field);
/* Square checkboxes in page->gray (hollow: NOT_SELECTED; ticked, crossed
 * or filled: SELECTED) into page->marks. */
void local_marks_find (LocalPage * page);
/* Checkboxes with their labels (beside them), "Key: value" on a line and
 * "Key:" with its value below; words of @tables are left out. */
GPtrArray *local_fields_find (const LocalPage * page, GPtrArray * tables);
/* The field answering @question (its words against the keys), or NULL. */
const LocalField *local_query_answer (GPtrArray * fields,
    const gchar * question);

/* ---- expense (engine-local-expense.c) --------------------------------- */

/* AnalyzeExpense's ExpenseDocuments for the page (one document), or NULL
 * when no summary field or line item was found. */
JsonArray *local_expense_compose (const LocalPage * page, GPtrArray * tables,
    GPtrArray * fields, guint page_number);
/* The amount in @text as a number ("$1,234.50" -> 1234.5); FALSE when
 * @text holds none. */
gboolean local_parse_amount (const gchar * text, gdouble * amount);

/* ---- identity (engine-local-mrz.c) ------------------------------------ */

typedef enum
{
  LOCAL_MRZ_TD1 = 1,            /* 3 lines of 30: ID cards */
  LOCAL_MRZ_TD2,                /* 2 lines of 36 */
  LOCAL_MRZ_TD3,                /* 2 lines of 44: passports */
} LocalMrzFormat;

typedef struct
{
  LocalMrzFormat format;
  gchar *lines[3];              /* as corrected */
  gchar document_type[3];
  gchar issuer[4];
  gchar nationality[4];
  gchar *document_number;
  gchar *last_name;
  gchar *first_name;            /* given names, space separated */
  gchar birth[11];              /* YYYY-MM-DD */
  gchar expiry[11];
  gchar sex;
  /* Check digits that hold after correction; all_checks when every one
   * does (composite included). */
  guint checks_passed;
  guint checks_total;
  gboolean all_checks;
} LocalMrz;

void local_mrz_clear (LocalMrz * mrz);
/* Parses 2 or 3 MRZ lines as read (OCR confusions allowed), correcting
 * characters with the check digits. FALSE when they are no MRZ. */
gboolean local_mrz_parse (const gchar * const *lines, guint n_lines,
    LocalMrz * mrz);
/* The indices of the page's lines that look like an MRZ (2 or 3 lines,
 * mostly [A-Z0-9<]), or NULL. */
GArray *local_mrz_find_lines (const LocalPage * page);
/* AnalyzeID's IdentityDocuments for one MRZ. */
JsonArray *local_mrz_compose (const LocalMrz * mrz, const LocalPage * page,
    GArray * lines);
/* The ICAO 9303 check digit of @s (7-3-1 weights, '<' 0, A 10...). */
gint local_mrz_check_digit (const gchar * s, gsize len);

/* ---- OCR (engine-local-ocr.c) ----------------------------------------- */

typedef struct _LocalOcr LocalOcr;

/* Loads Tesseract's English model once (to fail at start if missing);
 * further handles are made when threads need them. */
LocalOcr *local_ocr_new (GError ** error);
void local_ocr_free (LocalOcr * ocr);
/* Reads @pix (any depth; @dpi its resolution): light text on dark is
 * inverted, a page turned by 90/180/270 degrees is turned back (OSD), a
 * skewed page straightened, and with @erase_rules ruling lines are
 * erased before reading (Tesseract reads ruled tables far better without
 * them). Fills @page (upright boxes, page->quads the turn) and sets
 * page->gray to the upright image, rules kept. */
gboolean local_ocr_page (LocalOcr * ocr, PIX * pix, guint dpi,
    gboolean erase_rules, LocalPage * page, GCancellable * cancellable,
    GError ** error);
/* The text lines Tesseract reads in @box (0..1 of @gray) with only the
 * characters of @whitelist, as one block (NULL-terminated). */
gchar **local_ocr_read_block (LocalOcr * ocr, PIX * gray, const LocalBox * box,
    guint dpi, const gchar * whitelist, GCancellable * cancellable,
    GError ** error);
/* An 8-bit grey PIX of the unit's image (encoded, raw video or a TIFF
 * page); *dpi gets its resolution when it carries one. */
PIX *local_image_from_unit (const MtUnit * unit, guint * dpi, GError ** error);
/* How many word-sized groups of ink in @gray (at @dpi) touch none of the
 * page's words. */
guint local_uncovered_ink (PIX * gray, const LocalPage * page, guint dpi);
/* An 8-bit grey PIX from 32-bit cairo pixels (x8r8g8b8). */
PIX *local_pix_from_xrgb (const guint8 * data, gint width, gint height,
    gint stride);

/* ---- PDF (engine-local-pdf.c) ----------------------------------------- */

typedef struct _LocalPdfCache LocalPdfCache;

LocalPdfCache *local_pdf_cache_new (void);
void local_pdf_cache_free (LocalPdfCache * cache);
/* Reads page @page (from 1) of @doc: its text layer when it has one
 * (*text_found TRUE). When @gray is given, the page is also rendered into
 * it: at @render_dpi when it has text (0: not rendered; rules are searched
 * in it), at @ocr_dpi when it has none (to be OCRed). */
gboolean local_pdf_read_page (LocalPdfCache * cache, MtDocument * doc,
    guint page, const gchar * password, guint render_dpi, guint ocr_dpi,
    LocalPage * out, gboolean * text_found, PIX ** gray, GError ** error);

/* ---- composing Textract's shapes (engine-local-blocks.c) -------------- */

/* One page's Blocks: PAGE, LINE, WORD, and per @features TABLE/CELL/
 * MERGED_CELL, KEY_VALUE_SET, QUERY/QUERY_RESULT. */
JsonArray *local_blocks_compose (const LocalPage * page, GPtrArray * tables,
    GPtrArray * fields, gchar ** queries, guint page_number,
    guint64 features);
/* A Geometry object for @box, turned back to the page as given. */
JsonObject *local_geometry (const LocalPage * page, const LocalBox * box);
/* A stable id in Textract's UUID form for the @n-th block of @kind. */
gchar *local_block_id (guint page, const gchar * kind, guint n);

/* What one page gave: the shapes for blocks.h's converters. */
typedef struct
{
  const gchar *engine;          /* "local:poppler" / "local:tesseract" */
  JsonArray *blocks;            /* NULL for a blank page */
  JsonArray *expense_documents; /* NULL unless found */
  JsonArray *identity_documents;
} LocalShapes;

void local_shapes_clear (LocalShapes * shapes);

typedef struct _LocalEngine LocalEngine;

LocalEngine *local_engine_new (GError ** error);
void local_engine_free (LocalEngine * engine);
/* Reads one page unit into Textract's shapes: the heart of analyze(),
 * apart so that tests can look at the shapes. */
gboolean local_engine_read (LocalEngine * engine, const MtUnit * unit,
    guint64 features, gchar ** queries, guint dpi, const gchar * password,
    LocalShapes * shapes, GCancellable * cancellable, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LocalPage, local_page_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LocalRows, local_rows_free)

G_END_DECLS
