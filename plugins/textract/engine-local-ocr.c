/* OCR for the offline Textract engine: a pool of Tesseract handles (one
 * thread uses a handle at a time; they are not thread-safe), and the page
 * clean-up Tesseract needs: light text on dark inverted, pages turned by
 * a quarter or half turn set upright (Tesseract's OSD), skew removed
 * (Leptonica). Also the decoding of page images into grey PIX.
 *
 * Tesseract gets the page's resolution: frames and images without one
 * make it guess 70 dpi, and then it drops small text and table rows
 * (docs/LOCAL-ENGINES: "Pitfalls seen"). */
#include "engine-local-private.h"

#include <gst/video/video.h>
#include <string.h>
#include <tesseract/capi.h>

/* A page whose words Tesseract is less sure of than this (mean, 0..100),
 * or with fewer words, is checked for a quarter or half turn. */
#define UPRIGHT_MIN_CONFIDENCE 60.0
#define UPRIGHT_MIN_WORDS 4
/* OSD's confidence needed to turn a page. */
#define OSD_MIN_CONFIDENCE 1.5f
/* Mean grey below this: light text on a dark page. */
#define DARK_PAGE_MEAN 110.0f
/* Images larger than this are refused before decoding. */
#define MAX_PIXELS (12000 * 12000)

typedef struct
{
  TessBaseAPI *api;
  TessBaseAPI *osd;             /* made when first needed */
} Handle;

struct _LocalOcr
{
  GAsyncQueue *idle;            /* Handle */
};

static void
handle_free (Handle * h)
{
  if (!h)
    return;
  if (h->api) {
    TessBaseAPIEnd (h->api);
    TessBaseAPIDelete (h->api);
  }
  if (h->osd) {
    TessBaseAPIEnd (h->osd);
    TessBaseAPIDelete (h->osd);
  }
  g_free (h);
}

static TessBaseAPI *
api_new (const gchar * lang, GError ** error)
{
  TessBaseAPI *api = TessBaseAPICreate ();

  if (TessBaseAPIInit3 (api, NULL, lang) != 0) {
    TessBaseAPIDelete (api);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "Tesseract cannot load its '%s' data: install the Debian package "
        "tesseract-ocr-%s (tools/install-deps does)", lang, lang);
    return NULL;
  }
  TessBaseAPISetVariable (api, "debug_file", "/dev/null");
  return api;
}

static Handle *
handle_new (GError ** error)
{
  Handle *h = g_new0 (Handle, 1);

  h->api = api_new ("eng", error);
  if (!h->api) {
    handle_free (h);
    return NULL;
  }
  return h;
}

LocalOcr *
local_ocr_new (GError ** error)
{
  LocalOcr *ocr;
  Handle *h = handle_new (error);

  if (!h)
    return NULL;
  ocr = g_new0 (LocalOcr, 1);
  ocr->idle = g_async_queue_new_full ((GDestroyNotify) handle_free);
  g_async_queue_push (ocr->idle, h);
  return ocr;
}

void
local_ocr_free (LocalOcr * ocr)
{
  if (!ocr)
    return;
  g_async_queue_unref (ocr->idle);
  g_free (ocr);
}

/* An idle handle, or a new one: the pool grows to the number of threads
 * that read at once (the element's max-in-flight). */
static Handle *
take_handle (LocalOcr * ocr, GError ** error)
{
  Handle *h = g_async_queue_try_pop (ocr->idle);

  return h ? h : handle_new (error);
}

static void
give_handle (LocalOcr * ocr, Handle * h)
{
  g_async_queue_push (ocr->idle, h);
}

static bool
cancel_cb (void *cancellable, int words)
{
  return cancellable && g_cancellable_is_cancelled (cancellable);
}

static gboolean
recognize (TessBaseAPI * api, GCancellable * cancellable, GError ** error)
{
  ETEXT_DESC *monitor = TessMonitorCreate ();
  int rc;

  TessMonitorSetCancelFunc (monitor, cancel_cb);
  TessMonitorSetCancelThis (monitor, cancellable);
  rc = TessBaseAPIRecognize (api, monitor);
  TessMonitorDelete (monitor);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (rc != 0) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "Tesseract could not read the page");
    return FALSE;
  }
  return TRUE;
}

/* ---- reading words ---------------------------------------------------- */

typedef struct
{
  GPtrArray *texts;
  GArray *boxes;
  GArray *confs;
} LineAcc;

static void
flush_line (LocalPage * page, LineAcc * acc)
{
  if (acc->texts->len)
    local_page_add_line (page, acc->texts, (LocalBox *) acc->boxes->data,
        (gdouble *) acc->confs->data);
  g_ptr_array_set_size (acc->texts, 0);
  g_array_set_size (acc->boxes, 0);
  g_array_set_size (acc->confs, 0);
}

static void
take_word (TessResultIterator * ri, gint width, gint height, LineAcc * acc)
{
  const TessPageIterator *pi = TessResultIteratorGetPageIteratorConst (ri);
  char *raw = TessResultIteratorGetUTF8Text (ri, RIL_WORD);
  gchar *text = g_strstrip (g_strdup (raw ? raw : ""));
  gdouble conf = CLAMP (TessResultIteratorConfidence (ri, RIL_WORD), 0, 100);
  gint l, t, r, b;
  LocalBox box;

  TessDeleteText (raw);
  if (!*text || !TessPageIteratorBoundingBox (pi, RIL_WORD, &l, &t, &r, &b)) {
    g_free (text);
    return;
  }
  box.left = (gdouble) l / width;
  box.top = (gdouble) t / height;
  box.width = (gdouble) (r - l) / width;
  box.height = (gdouble) (b - t) / height;
  g_ptr_array_add (acc->texts, text);
  g_array_append_val (acc->boxes, box);
  g_array_append_val (acc->confs, conf);
}

static void
collect_words (TessBaseAPI * api, gint width, gint height, LocalPage * page)
{
  TessResultIterator *ri = TessBaseAPIGetIterator (api);
  LineAcc acc = { g_ptr_array_new_with_free_func (g_free),
    g_array_new (FALSE, FALSE, sizeof (LocalBox)),
    g_array_new (FALSE, FALSE, sizeof (gdouble))
  };

  if (ri) {
    do {
      const TessPageIterator *pi = TessResultIteratorGetPageIteratorConst (ri);

      if (TessPageIteratorIsAtBeginningOf (pi, RIL_TEXTLINE))
        flush_line (page, &acc);
      take_word (ri, width, height, &acc);
    } while (TessResultIteratorNext (ri, RIL_WORD));
    TessResultIteratorDelete (ri);
  }
  flush_line (page, &acc);
  g_ptr_array_unref (acc.texts);
  g_array_unref (acc.boxes);
  g_array_unref (acc.confs);
}

/* Reads @gray into a fresh set of words on @page. */
static gboolean
read_words (Handle * h, PIX * gray, guint dpi, LocalPage * page,
    GCancellable * cancellable, GError ** error)
{
  gboolean ok;

  TessBaseAPISetPageSegMode (h->api, PSM_AUTO);
  TessBaseAPISetImage2 (h->api, gray);
  TessBaseAPISetSourceResolution (h->api, dpi);
  ok = recognize (h->api, cancellable, error);
  g_array_set_size (page->words, 0);
  g_array_set_size (page->lines, 0);
  if (ok)
    collect_words (h->api, pixGetWidth (gray), pixGetHeight (gray), page);
  TessBaseAPIClear (h->api);
  return ok;
}

static gdouble
mean_confidence (const LocalPage * page)
{
  gdouble sum = 0;
  guint i;

  for (i = 0; i < page->words->len; i++)
    sum += g_array_index (page->words, LocalWord, i).confidence;
  return page->words->len ? sum / page->words->len : 0;
}

/* ---- what the page layout missed -------------------------------------- */

/* Tesseract's layout analysis drops lone short words as noise: the "3" in
 * a Qty column, a price alone in its cell. Ink that no word covers is read
 * again, word by word. */

#define MAX_MISSED 80

/* TRUE when the pixel box touches a word Tesseract gave. Word boxes can
 * be narrower than their glyphs: touching, not covering, is enough. */
static gboolean
touches_word (const LocalPage * page, gint w, gint h, l_int32 x, l_int32 y,
    l_int32 bw, l_int32 bh)
{
  guint i;

  for (i = 0; i < page->words->len; i++) {
    const LocalBox *b = &g_array_index (page->words, LocalWord, i).box;
    gdouble l = b->left * w - 2, t = b->top * h - 2;
    gdouble r = (b->left + b->width) * w + 2, btm = (b->top + b->height) * h
        + 2;

    if (x < r && x + bw > l && y < btm && y + bh > t)
      return TRUE;
  }
  return FALSE;
}

/* Boxes of word-sized groups of ink away from every word, in pixels. */
static BOXA *
missed_words (PIX * gray, const LocalPage * page, guint dpi)
{
  PIX *ink = pixConvertTo1 (gray, 160);
  gint w = pixGetWidth (gray), h = pixGetHeight (gray);
  PIX *joined;
  BOXA *all, *words;
  gint i;

  if (!ink)
    return NULL;
  /* Letters of one word are closer than this. */
  joined = pixDilateBrick (NULL, ink, MAX (dpi / 25, 3), MAX (dpi / 100, 1));
  all = pixConnCompBB (joined, 8);
  pixDestroy (&ink);
  pixDestroy (&joined);
  words = boxaCreate (0);
  for (i = 0; all && i < boxaGetCount (all); i++) {
    l_int32 x, y, bw, bh;

    boxaGetBoxGeometry (all, i, &x, &y, &bw, &bh);
    /* Glyphs from 4 to 40 points high; smaller is dust, larger a
     * picture. */
    if (bh >= (gint) dpi * 4 / 72 && bh <= (gint) dpi * 40 / 72
        && bw <= (gint) dpi * 3 && !touches_word (page, w, h, x, y, bw, bh))
      boxaAddBox (words, boxaGetBox (all, i, L_CLONE), L_INSERT);
  }
  boxaDestroy (&all);
  return words;
}

guint
local_uncovered_ink (PIX * gray, const LocalPage * page, guint dpi)
{
  BOXA *boxes = missed_words (gray, page, dpi);
  guint n = boxes ? boxaGetCount (boxes) : 0;

  boxaDestroy (&boxes);
  return n;
}

static void
read_missed_word (Handle * h, PIX * gray, BOX * box, guint dpi,
    LocalPage * page)
{
  l_int32 x, y, bw, bh;
  gint pad;
  BOX *padded;
  PIX *crop;
  g_autoptr (LocalPage) found = local_page_new ();
  guint i;

  boxGetGeometry (box, &x, &y, &bw, &bh);
  pad = bh / 2;
  padded = boxCreate (x - pad, y - pad, bw + 2 * pad, bh + 2 * pad);
  crop = pixClipRectangle (gray, padded, NULL);
  boxDestroy (&padded);
  if (!crop)
    return;
  TessBaseAPISetPageSegMode (h->api, PSM_SINGLE_LINE);
  TessBaseAPISetImage2 (h->api, crop);
  TessBaseAPISetSourceResolution (h->api, dpi);
  if (TessBaseAPIRecognize (h->api, NULL) == 0)
    collect_words (h->api, pixGetWidth (crop), pixGetHeight (crop), found);
  TessBaseAPIClear (h->api);
  for (i = 0; i < found->words->len; i++) {
    LocalWord *w = &g_array_index (found->words, LocalWord, i);
    gdouble W = pixGetWidth (gray), H = pixGetHeight (gray);
    gdouble cw = pixGetWidth (crop), ch = pixGetHeight (crop);
    GPtrArray *texts;
    LocalBox b = { (MAX (x - pad, 0) + w->box.left * cw) / W,
      (MAX (y - pad, 0) + w->box.top * ch) / H, w->box.width * cw / W,
      w->box.height * ch / H
    };

    if (w->confidence < 60)
      continue;
    texts = g_ptr_array_new ();
    g_ptr_array_add (texts, w->text);
    local_page_add_line (page, texts, &b, &w->confidence);
    g_ptr_array_unref (texts);
  }
  pixDestroy (&crop);
}

/* Lines from @first on were found late: each goes before the first
 * earlier line below its middle, so the page reads in order. */
static void
place_late_lines (LocalPage * page, guint first)
{
  GArray *ordered = g_array_sized_new (FALSE, FALSE, sizeof (LocalLine),
      page->lines->len);
  guint i, j;

  for (i = 0; i < first; i++) {
    const LocalLine *l = &g_array_index (page->lines, LocalLine, i);

    for (j = first; j < page->lines->len; j++) {
      LocalLine *late = &g_array_index (page->lines, LocalLine, j);

      if (late->n && late->box.top + late->box.height / 2 < l->box.top) {
        g_array_append_val (ordered, *late);
        late->n = 0;
      }
    }
    g_array_append_val (ordered, *l);
  }
  for (j = first; j < page->lines->len; j++)
    if (g_array_index (page->lines, LocalLine, j).n)
      g_array_append_val (ordered, g_array_index (page->lines, LocalLine, j));
  g_array_set_size (page->lines, 0);
  g_array_append_vals (page->lines, ordered->data, ordered->len);
  g_array_unref (ordered);
}

static void
read_missed (Handle * h, PIX * gray, guint dpi, LocalPage * page,
    GCancellable * cancellable)
{
  BOXA *boxes = missed_words (gray, page, dpi);
  gint i, n = boxes ? boxaGetCount (boxes) : 0;
  guint first = page->lines->len;

  /* Many: a picture or a photo, not words Tesseract missed. */
  for (i = 0; n <= MAX_MISSED && i < n; i++) {
    BOX *b = boxaGetBox (boxes, i, L_CLONE);

    if (!g_cancellable_is_cancelled (cancellable))
      read_missed_word (h, gray, b, dpi, page);
    boxDestroy (&b);
  }
  boxaDestroy (&boxes);
  place_late_lines (page, first);
}

/* ---- page clean-up ---------------------------------------------------- */

static PIX *
to_gray (PIX * pix)
{
  PIX *gray = pixConvertTo8 (pix, FALSE);
  gfloat mean = 255;

  if (!gray)
    return NULL;
  pixGetAverageMasked (gray, NULL, 0, 0, 4, L_MEAN_ABSVAL, &mean);
  /* Tesseract reads dark text on light; light text on a mostly dark page
   * comes out as noise. */
  if (mean < DARK_PAGE_MEAN)
    pixInvert (gray, gray);
  return gray;
}

static PIX *
deskew (PIX * gray)
{
  l_float32 angle = 0, conf = 0;
  PIX *straight = pixDeskewGeneral (gray, 0, 0.0, 0.0, 0, 0, &angle, &conf);

  return straight ? straight : pixClone (gray);
}

/* Quarter turns clockwise that set the page upright, by OSD; 0 when it
 * cannot tell. */
static guint
upright_quads (Handle * h, PIX * gray, guint dpi)
{
  int deg = 0;
  float conf = 0, script_conf = 0;
  const char *script = NULL;

  if (!h->osd && !(h->osd = api_new ("osd", NULL)))
    return 0;
  TessBaseAPISetPageSegMode (h->osd, PSM_OSD_ONLY);
  TessBaseAPISetImage2 (h->osd, gray);
  TessBaseAPISetSourceResolution (h->osd, dpi);
  if (!TessBaseAPIDetectOrientationScript (h->osd, &deg, &conf, &script,
          &script_conf))
    deg = 0;
  TessBaseAPIClear (h->osd);
  if (conf < OSD_MIN_CONFIDENCE)
    return 0;
  /* OSD gives how far the page is turned clockwise. */
  return ((360 - deg) / 90) % 4;
}

/* Reads the page turned by @quads, keeping it when it reads better than
 * what @page holds. */
static gboolean
try_turned (Handle * h, PIX ** gray, guint quads, guint dpi, LocalPage * page,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (LocalPage) turned = local_page_new ();
  PIX *pix = pixRotateOrth (*gray, quads);

  if (!read_words (h, pix, dpi, turned, cancellable, error)) {
    pixDestroy (&pix);
    return FALSE;
  }
  if (turned->words->len < page->words->len / 2
      || mean_confidence (turned) <= mean_confidence (page)) {
    pixDestroy (&pix);
    return TRUE;
  }
  GST_LOG ("page read turned by %u quarter turns", quads);
  pixDestroy (gray);
  *gray = pix;
  page->quads = quads;
  g_array_set_size (page->words, 0);
  g_array_set_size (page->lines, 0);
  g_array_append_vals (page->words, turned->words->data, turned->words->len);
  g_array_append_vals (page->lines, turned->lines->data, turned->lines->len);
  /* The words' texts now belong to @page. */
  g_array_set_clear_func (turned->words, NULL);
  return TRUE;
}

static gboolean
read_page (Handle * h, PIX ** gray, guint dpi, LocalPage * page,
    GCancellable * cancellable, GError ** error)
{
  guint quads;

  if (!read_words (h, *gray, dpi, page, cancellable, error))
    return FALSE;
  if (page->words->len >= UPRIGHT_MIN_WORDS
      && mean_confidence (page) >= UPRIGHT_MIN_CONFIDENCE)
    return TRUE;
  quads = upright_quads (h, *gray, dpi);
  if (!quads)
    return TRUE;
  return try_turned (h, gray, quads, dpi, page, cancellable, error);
}

/* A copy of @gray with its ruling lines painted white. */
static PIX *
without_rules (PIX * gray, guint dpi)
{
  PIX *mask = local_rules_mask (gray, dpi);
  PIX *clean = pixCopy (NULL, gray);

  if (mask) {
    pixPaintThroughMask (clean, mask, 0, 0, 255);
    pixDestroy (&mask);
  }
  return clean;
}

gboolean
local_ocr_page (LocalOcr * ocr, PIX * pix, guint dpi, gboolean erase_rules,
    LocalPage * page, GCancellable * cancellable, GError ** error)
{
  Handle *h;
  PIX *gray, *straight, *reading;
  gboolean ok;

  if (!(gray = to_gray (pix))) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The page image has a pixel format that cannot be read");
    return FALSE;
  }
  straight = deskew (gray);
  pixDestroy (&gray);
  if (!(h = take_handle (ocr, error))) {
    pixDestroy (&straight);
    return FALSE;
  }
  page->quads = 0;
  dpi = MAX (dpi, 70);
  reading = erase_rules ? without_rules (straight, dpi) : pixClone (straight);
  ok = read_page (h, &reading, dpi, page, cancellable, error);
  if (ok)
    read_missed (h, reading, dpi, page, cancellable);
  give_handle (ocr, h);
  pixDestroy (&reading);
  /* The image rules are searched in is turned as the words were. */
  if (page->quads) {
    PIX *turned = pixRotateOrth (straight, page->quads);

    pixDestroy (&straight);
    straight = turned;
  }
  page->aspect = (gdouble) pixGetHeight (straight) / pixGetWidth (straight);
  if (page->gray)
    pixDestroy (&page->gray);
  page->gray = straight;
  page->dpi = dpi;
  page->engine = "local:tesseract";
  return ok;
}

/* ---- reading a block with a whitelist (the MRZ) ------------------------ */

static PIX *
crop (PIX * gray, const LocalBox * box)
{
  gint w = pixGetWidth (gray), h = pixGetHeight (gray);
  /* Some margin: Tesseract reads the edge rows of a tight crop badly. */
  gint padx = (gint) (0.02 * w), pady = (gint) (box->height * h * 0.25);
  gint x = MAX ((gint) (box->left * w) - padx, 0);
  gint y = MAX ((gint) (box->top * h) - pady, 0);
  gint x2 = MIN ((gint) ((box->left + box->width) * w) + padx, w);
  gint y2 = MIN ((gint) ((box->top + box->height) * h) + pady, h);
  BOX *b = boxCreate (x, y, MAX (x2 - x, 1), MAX (y2 - y, 1));
  PIX *c = pixClipRectangle (gray, b, NULL);

  boxDestroy (&b);
  return c;
}

gchar **
local_ocr_read_block (LocalOcr * ocr, PIX * gray, const LocalBox * box,
    guint dpi, const gchar * whitelist, GCancellable * cancellable,
    GError ** error)
{
  Handle *h;
  PIX *c = crop (gray, box);
  char *text = NULL;
  gchar **lines = NULL;

  if (!c || !(h = take_handle (ocr, error))) {
    if (c)
      pixDestroy (&c);
    else
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "The region to read lies outside the page");
    return NULL;
  }
  TessBaseAPISetVariable (h->api, "tessedit_char_whitelist", whitelist);
  TessBaseAPISetPageSegMode (h->api, PSM_SINGLE_BLOCK);
  TessBaseAPISetImage2 (h->api, c);
  TessBaseAPISetSourceResolution (h->api, MAX (dpi, 70));
  if (recognize (h->api, cancellable, error))
    text = TessBaseAPIGetUTF8Text (h->api);
  TessBaseAPIClear (h->api);
  /* The handle goes back to the pool as it came. */
  TessBaseAPISetVariable (h->api, "tessedit_char_whitelist", "");
  give_handle (ocr, h);
  pixDestroy (&c);
  if (text) {
    lines = g_strsplit (text, "\n", -1);
    TessDeleteText (text);
  }
  return lines;
}

/* ---- page images ------------------------------------------------------ */

PIX *
local_pix_from_xrgb (const guint8 * data, gint width, gint height, gint stride)
{
  PIX *pix = pixCreate (width, height, 8);
  l_uint32 *dst = pixGetData (pix);
  gint wpl = pixGetWpl (pix), x, y;

  for (y = 0; y < height; y++) {
    const guint32 *row = (const guint32 *) (data + (gsize) y * stride);
    l_uint32 *line = dst + (gsize) y * wpl;

    for (x = 0; x < width; x++) {
      guint32 p = row[x];
      guint v = (((p >> 16) & 0xff) * 77 + ((p >> 8) & 0xff) * 150
          + (p & 0xff) * 29) >> 8;

      SET_DATA_BYTE (line, x, v);
    }
  }
  return pix;
}

/* Luma of a mapped 8-bit-per-component frame: Y for YUV and grey, a
 * weighted sum for RGB. */
static PIX *
pix_from_frame (GstVideoFrame * f)
{
  gint w = GST_VIDEO_FRAME_WIDTH (f), h = GST_VIDEO_FRAME_HEIGHT (f), x, y, c;
  gboolean rgb = GST_VIDEO_INFO_IS_RGB (&f->info);
  static const guint weights[3] = { 77, 150, 29 };
  PIX *pix = pixCreate (w, h, 8);
  l_uint32 *dst = pixGetData (pix);
  gint wpl = pixGetWpl (pix);

  for (y = 0; y < h; y++) {
    l_uint32 *line = dst + (gsize) y * wpl;

    for (x = 0; x < w; x++) {
      guint v = 0;

      for (c = 0; c < (rgb ? 3 : 1); c++) {
        const guint8 *p = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, c)
            + (gsize) y * GST_VIDEO_FRAME_COMP_STRIDE (f, c)
            + (gsize) x * GST_VIDEO_FRAME_COMP_PSTRIDE (f, c);

        v += rgb ? *p * weights[c] : (guint) * p << 8;
      }
      SET_DATA_BYTE (line, x, v >> 8);
    }
  }
  return pix;
}

/* 8-bit components, not tiled, no palette: what pix_from_frame reads. */
static gboolean
readable_format (const GstVideoInfo * info)
{
  const GstVideoFormatInfo *f = info->finfo;

  return GST_VIDEO_FORMAT_INFO_DEPTH (f, 0) == 8
      && !GST_VIDEO_FORMAT_INFO_IS_TILED (f)
      && !GST_VIDEO_FORMAT_INFO_HAS_PALETTE (f)
      && (GST_VIDEO_FORMAT_INFO_IS_RGB (f) || GST_VIDEO_FORMAT_INFO_IS_YUV (f)
      || GST_VIDEO_FORMAT_INFO_IS_GRAY (f));
}

static PIX *
pix_from_raw (GstBuffer * buffer, GstCaps * caps, GError ** error)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  PIX *pix;

  if (!gst_video_info_from_caps (&info, caps) || !readable_format (&info)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "Raw video in this format cannot be read as a page: put videoconvert "
        "before textractsink");
    return NULL;
  }
  if (!gst_video_frame_map (&frame, &info, buffer, GST_MAP_READ)) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The video frame cannot be read");
    return NULL;
  }
  pix = pix_from_frame (&frame);
  gst_video_frame_unmap (&frame);
  return pix;
}

static gboolean
check_size (const guint8 * data, gsize size, GError ** error)
{
  l_int32 format, w = 0, h = 0, bps, spp, cmap;

  if (pixReadHeaderMem (data, size, &format, &w, &h, &bps, &spp, &cmap) != 0) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The image is corrupt or in a format that cannot be read");
    return FALSE;
  }
  if ((gint64) w * h > MAX_PIXELS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "The image is too large to read (%dx%d pixels, at most %d million)",
        w, h, MAX_PIXELS / 1000000);
    return FALSE;
  }
  return TRUE;
}

static PIX *
pix_from_encoded (const guint8 * data, gsize size, gboolean tiff, guint index,
    GError ** error)
{
  PIX *pix;

  if (!check_size (data, size, error))
    return NULL;
  pix = tiff ? pixReadMemTiff (data, size, index) : pixReadMem (data, size);
  if (!pix)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "Page %u of the image cannot be decoded", index + 1);
  return pix;
}

static gboolean
caps_is (GstCaps * caps, const gchar * name)
{
  return caps && gst_caps_get_size (caps) > 0
      && gst_structure_has_name (gst_caps_get_structure (caps, 0), name);
}

static PIX *
pix_from_buffer (GstBuffer * buffer, GstCaps * caps, GError ** error)
{
  GstMapInfo map;
  PIX *pix;

  if (caps_is (caps, "video/x-raw"))
    return pix_from_raw (buffer, caps, error);
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The image buffer cannot be read");
    return NULL;
  }
  pix = pix_from_encoded (map.data, map.size, FALSE, 0, error);
  gst_buffer_unmap (buffer, &map);
  return pix;
}

PIX *
local_image_from_unit (const MtUnit * unit, guint * dpi, GError ** error)
{
  PIX *pix = NULL;

  if (unit->buffer) {
    pix = pix_from_buffer (unit->buffer, unit->caps, error);
  } else if (unit->document && unit->document->bytes) {
    gsize size;
    const guint8 *data = g_bytes_get_data (unit->document->bytes, &size);

    pix = pix_from_encoded (data, size,
        caps_is (unit->document->caps, "image/tiff"),
        unit->page ? unit->page - 1 : 0, error);
  } else {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "The page came without an image or a document");
  }
  /* Cameras and screenshots write 72 or 96 dpi whatever the picture
   * shows: only a scanner's resolution says how large the text is. */
  if (pix && dpi && pixGetXRes (pix) >= 100)
    *dpi = pixGetXRes (pix);
  return pix;
}
