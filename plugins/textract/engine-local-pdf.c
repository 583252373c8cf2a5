/* Born-digital PDF pages for the offline Textract engine: the text layer
 * with its glyph boxes (no OCR), and the page rendered with cairo when it
 * has no text (to be OCRed) or when its ruling lines are wanted.
 *
 * Poppler objects are not thread-safe: each document is opened once (or
 * the element's PopplerDocument is taken) and every call on it is made
 * under that document's own mutex, so pages of one document are read one
 * at a time while OCR of other pages runs in parallel. */
#include "engine-local-private.h"

#include <cairo.h>
#include <math.h>
#include <poppler.h>

/* Documents kept open: the element feeds one document at a time, the
 * second covers the switch from one to the next. */
#define MAX_OPEN_DOCUMENTS 2
/* Pages rendered larger than this (pixels) get a lower resolution. */
#define MAX_RENDER_PIXELS (10000.0 * 10000.0)
/* Text from a text layer is as sure as Textract's best. */
#define TEXT_LAYER_CONFIDENCE 99.0

typedef struct
{
  gatomicrefcount refs;
  MtDocument *doc;
  PopplerDocument *pdf;
  GMutex lock;                  /* every Poppler call on pdf */
} Entry;

struct _LocalPdfCache
{
  GMutex lock;
  GQueue entries;               /* Entry, most recently used first */
};

static Entry *
entry_ref (Entry * e)
{
  g_atomic_ref_count_inc (&e->refs);
  return e;
}

static void
entry_unref (Entry * e)
{
  if (!g_atomic_ref_count_dec (&e->refs))
    return;
  g_object_unref (e->pdf);
  mt_document_unref (e->doc);
  g_mutex_clear (&e->lock);
  g_free (e);
}

LocalPdfCache *
local_pdf_cache_new (void)
{
  LocalPdfCache *cache = g_new0 (LocalPdfCache, 1);

  g_mutex_init (&cache->lock);
  g_queue_init (&cache->entries);
  return cache;
}

void
local_pdf_cache_free (LocalPdfCache * cache)
{
  if (!cache)
    return;
  g_queue_clear_full (&cache->entries, (GDestroyNotify) entry_unref);
  g_mutex_clear (&cache->lock);
  g_free (cache);
}

static PopplerDocument *
open_pdf (MtDocument * doc, const gchar * password, GError ** error)
{
  g_autoptr (GError) err = NULL;
  PopplerDocument *pdf;

  if (doc->handle && POPPLER_IS_DOCUMENT (doc->handle))
    return g_object_ref (doc->handle);
  pdf = poppler_document_new_from_bytes (doc->bytes, password, &err);
  if (pdf)
    return pdf;
  if (g_error_matches (err, POPPLER_ERROR, POPPLER_ERROR_ENCRYPTED))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
        "The PDF is encrypted: set the password property (%s)", err->message);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The PDF cannot be opened: %s", err->message);
  return NULL;
}

static Entry *
get_entry (LocalPdfCache * cache, MtDocument * doc, const gchar * password,
    GError ** error)
{
  Entry *e = NULL;
  GList *l;

  g_mutex_lock (&cache->lock);
  for (l = cache->entries.head; l; l = l->next)
    if (((Entry *) l->data)->doc == doc)
      break;
  if (l) {
    e = l->data;
    g_queue_unlink (&cache->entries, l);
    g_queue_push_head_link (&cache->entries, l);
  } else {
    PopplerDocument *pdf = open_pdf (doc, password, error);

    if (pdf) {
      e = g_new0 (Entry, 1);
      g_atomic_ref_count_init (&e->refs);
      e->doc = mt_document_ref (doc);
      e->pdf = pdf;
      g_mutex_init (&e->lock);
      g_queue_push_head (&cache->entries, e);
      /* Entries still in use by other threads live on in their hands. */
      while (cache->entries.length > MAX_OPEN_DOCUMENTS)
        entry_unref (g_queue_pop_tail (&cache->entries));
    }
  }
  if (e)
    entry_ref (e);
  g_mutex_unlock (&cache->lock);
  return e;
}

/* ---- the text layer --------------------------------------------------- */

typedef struct
{
  LocalPage *page;
  gdouble width;                /* page size in points */
  gdouble height;
  GString *word;
  LocalBox word_box;
  GPtrArray *texts;
  GArray *boxes;
  GArray *confs;
  PopplerRectangle prev;        /* the last glyph's box */
  gboolean has_prev;
} Layer;

static void
end_word (Layer * ly)
{
  gdouble conf = TEXT_LAYER_CONFIDENCE;

  if (!ly->word->len)
    return;
  g_ptr_array_add (ly->texts, g_strdup (ly->word->str));
  g_array_append_val (ly->boxes, ly->word_box);
  g_array_append_val (ly->confs, conf);
  g_string_truncate (ly->word, 0);
}

static void
end_line (Layer * ly)
{
  end_word (ly);
  if (ly->texts->len)
    local_page_add_line (ly->page, ly->texts, (LocalBox *) ly->boxes->data,
        (gdouble *) ly->confs->data);
  g_ptr_array_set_size (ly->texts, 0);
  g_array_set_size (ly->boxes, 0);
  g_array_set_size (ly->confs, 0);
}

/* Where Poppler puts no space or newline, the glyphs' places still tell
 * words and lines apart (text drawn piece by piece, table cells). Text
 * may run down the page (a page with /Rotate 90): the glyphs then follow
 * each other vertically and their width is the text's size. */
static void
split_by_gap (Layer * ly, const PopplerRectangle * r)
{
  const PopplerRectangle *p = &ly->prev;
  gdouble dx = (r->x1 + r->x2 - p->x1 - p->x2) / 2;
  gdouble dy = (r->y1 + r->y2 - p->y1 - p->y2) / 2;
  gboolean down = ABS (dy) > ABS (dx);
  gdouble size = MAX (down ? r->x2 - r->x1 : r->y2 - r->y1, 1);
  gdouble across = down ? ABS (dx) : ABS (dy);
  gdouble gap = down ? MAX (r->y1 - p->y2, p->y1 - r->y2) : r->x1 - p->x2;

  if (!ly->has_prev)
    return;
  if (across > size / 2 || gap > 1.5 * size || gap < -size)
    end_line (ly);
  else if (gap > 0.2 * size)
    end_word (ly);
}

static void
add_glyph (Layer * ly, gunichar c, const PopplerRectangle * r)
{
  LocalBox box = { CLAMP (r->x1 / ly->width, 0, 1),
    CLAMP (r->y1 / ly->height, 0, 1), 0, 0
  };

  split_by_gap (ly, r);
  box.width = CLAMP (r->x2 / ly->width, 0, 1) - box.left;
  box.height = CLAMP (r->y2 / ly->height, 0, 1) - box.top;
  ly->word_box = ly->word->len ? local_box_union (&ly->word_box, &box) : box;
  g_string_append_unichar (ly->word, c);
  ly->prev = *r;
  ly->has_prev = TRUE;
}

/* Words are the runs between spaces, lines what Poppler ends with a
 * newline; each character has its glyph box at the same offset in the
 * layout. */
static void
read_layer (Layer * ly, const gchar * text, const PopplerRectangle * rects,
    guint n_rects)
{
  const gchar *p;
  guint i = 0;

  for (p = text; *p; p = g_utf8_next_char (p), i++) {
    gunichar c = g_utf8_get_char (p);

    if (c == '\n') {
      end_line (ly);
      ly->has_prev = FALSE;
    } else if (g_unichar_isspace (c) || i >= n_rects) {
      end_word (ly);
    } else {
      add_glyph (ly, c, &rects[i]);
    }
  }
  end_line (ly);
}

static gboolean
has_text (const gchar * text)
{
  const gchar *p;

  for (p = text; p && *p; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

static void
text_layer (PopplerPage * ppage, const gchar * text, LocalPage * out)
{
  PopplerRectangle *rects = NULL;
  guint n = 0;
  Layer ly = { out, 0, 0, g_string_new (NULL), {0},
  g_ptr_array_new_with_free_func (g_free),
  g_array_new (FALSE, FALSE, sizeof (LocalBox)),
  g_array_new (FALSE, FALSE, sizeof (gdouble))
  };

  poppler_page_get_size (ppage, &ly.width, &ly.height);
  out->aspect = ly.height / MAX (ly.width, 1);
  if (poppler_page_get_text_layout (ppage, &rects, &n))
    read_layer (&ly, text, rects, n);
  g_free (rects);
  g_string_free (ly.word, TRUE);
  g_ptr_array_unref (ly.texts);
  g_array_unref (ly.boxes);
  g_array_unref (ly.confs);
  out->engine = "local:poppler";
}

/* ---- rendering -------------------------------------------------------- */

static PIX *
render (PopplerPage * ppage, guint dpi)
{
  gdouble w, h, scale = dpi / 72.0;
  cairo_surface_t *surface;
  cairo_t *cr;
  PIX *pix = NULL;
  gint pw, ph;

  poppler_page_get_size (ppage, &w, &h);
  if (w * scale * h * scale > MAX_RENDER_PIXELS)
    scale = sqrt (MAX_RENDER_PIXELS / (w * h));
  pw = MAX ((gint) (w * scale + 0.5), 1);
  ph = MAX ((gint) (h * scale + 0.5), 1);
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, pw, ph);
  cr = cairo_create (surface);
  /* PDF pages are white paper unless they paint something else. */
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_scale (cr, scale, scale);
  poppler_page_render_for_printing (ppage, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  if (cairo_surface_status (surface) == CAIRO_STATUS_SUCCESS)
    pix = local_pix_from_xrgb (cairo_image_surface_get_data (surface), pw, ph,
        cairo_image_surface_get_stride (surface));
  cairo_surface_destroy (surface);
  if (pix)
    pixSetResolution (pix, (gint) (scale * 72 + 0.5), (gint) (scale * 72
            + 0.5));
  return pix;
}

static gboolean
read_page_locked (PopplerPage * ppage, guint page, guint render_dpi,
    guint ocr_dpi, LocalPage * out, gboolean * text_found, PIX ** gray,
    GError ** error)
{
  g_autofree gchar *text = poppler_page_get_text (ppage);
  guint dpi;

  *text_found = has_text (text);
  if (*text_found)
    text_layer (ppage, text, out);
  dpi = *text_found ? render_dpi : ocr_dpi;
  if (dpi && gray && !(*gray = render (ppage, dpi))) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "Page %u of the PDF could not be rendered", page);
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_locked (PopplerDocument * pdf, guint page, guint render_dpi,
    guint ocr_dpi, LocalPage * out, gboolean * text_found, PIX ** gray,
    GError ** error)
{
  gint n = poppler_document_get_n_pages (pdf);
  PopplerPage *ppage = NULL;
  gboolean ok;

  if (page < 1 || page > (guint) n
      || !(ppage = poppler_document_get_page (pdf, page - 1))) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "The PDF has no page %u (it has %d)", page, n);
    return FALSE;
  }
  ok = read_page_locked (ppage, page, render_dpi, ocr_dpi, out, text_found,
      gray, error);
  g_object_unref (ppage);
  return ok;
}

gboolean
local_pdf_read_page (LocalPdfCache * cache, MtDocument * doc, guint page,
    const gchar * password, guint render_dpi, guint ocr_dpi, LocalPage * out,
    gboolean * text_found, PIX ** gray, GError ** error)
{
  Entry *e = get_entry (cache, doc, password, error);
  gboolean ok;

  if (!e)
    return FALSE;
  g_mutex_lock (&e->lock);
  ok = read_locked (e->pdf, page, render_dpi, ocr_dpi, out, text_found, gray,
      error);
  g_mutex_unlock (&e->lock);
  entry_unref (e);
  return ok;
}
