/* Local text engine: PP-OCRv4's detection network finds text regions,
 * Tesseract (C API) reads them. Scene text is read crop by crop, since
 * Tesseract on a whole frame misses it; document-like frames (many regions
 * covering much of the frame) are read whole, keeping Tesseract's layout.
 * Results are Rekognition's LINE and WORD detections, filtered by
 * Media2Cloud's 3x3 region-of-interest grid. */
#include "vision-private.h"

#include <math.h>
#include <string.h>
#include <tesseract/capi.h>

/* The converted network's fixed input (see tools/fetch-models). */
#define DET_WIDTH 960
#define DET_HEIGHT 544
/* PaddleOCR's DB post-processing defaults. */
#define DET_THRESHOLD 0.3f
#define DET_BOX_THRESHOLD 0.6
#define DET_UNCLIP 1.5
#define DET_MIN_SIDE 3
/* Lines are scaled to about this height for Tesseract. */
#define OCR_LINE_HEIGHT 48.0
/* A frame with at least this many regions covering this share of it is
 * read as a document. */
#define DOC_MIN_REGIONS 8
#define DOC_MIN_COVER 0.12

struct _MtTextEngine
{
  TessBaseAPI *api;
};

void
mt_vision_text_free (MtTextEngine * ocr)
{
  if (!ocr)
    return;
  TessBaseAPIEnd (ocr->api);
  TessBaseAPIDelete (ocr->api);
  g_free (ocr);
}

gboolean
mt_vision_text_init (MtVisionContext * ctx, GError ** error)
{
  MtTextEngine *ocr;

  ctx->text_detector = mt_vision_load_model (ctx, "ppocr-det.onnx",
      "text detection", error);
  if (!ctx->text_detector)
    return FALSE;
  ocr = g_new0 (MtTextEngine, 1);
  ocr->api = TessBaseAPICreate ();
  if (TessBaseAPIInit3 (ocr->api, NULL, "eng") != 0) {
    mt_vision_text_free (ocr);
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_MODEL_MISSING,
        "Tesseract cannot load its English data: install the Debian package "
        "tesseract-ocr-eng (tools/install-deps does)");
    return FALSE;
  }
  /* Frames carry no resolution; without one Tesseract guesses 70 dpi and
   * drops small text and table rows. */
  TessBaseAPISetVariable (ocr->api, "user_defined_dpi", "300");
  TessBaseAPISetVariable (ocr->api, "debug_file", "/dev/null");
  ctx->ocr = ocr;
  return TRUE;
}

/* ---- text regions ----------------------------------------------------- */

typedef struct
{
  gint x1, y1, x2, y2;          /* inclusive, map pixels */
  gdouble score_sum;
  guint count;
} Component;

/* Flood-fills the component at @start over map cells above the threshold,
 * clearing them in @mask. */
static void
fill_component (guint8 * mask, const gfloat * prob, gint start, GArray * stack,
    Component * c)
{
  static const gint dx[] = { 1, -1, 0, 0 }, dy[] = { 0, 0, 1, -1 };

  g_array_set_size (stack, 0);
  g_array_append_val (stack, start);
  mask[start] = 0;
  while (stack->len) {
    gint i = g_array_index (stack, gint, stack->len - 1), x, y, k;

    g_array_set_size (stack, stack->len - 1);
    x = i % DET_WIDTH;
    y = i / DET_WIDTH;
    c->x1 = MIN (c->x1, x);
    c->y1 = MIN (c->y1, y);
    c->x2 = MAX (c->x2, x);
    c->y2 = MAX (c->y2, y);
    c->score_sum += prob[i];
    c->count++;
    for (k = 0; k < 4; k++) {
      gint nx = x + dx[k], ny = y + dy[k], n;

      if (nx < 0 || ny < 0 || nx >= DET_WIDTH || ny >= DET_HEIGHT)
        continue;
      n = ny * DET_WIDTH + nx;
      if (mask[n]) {
        mask[n] = 0;
        g_array_append_val (stack, n);
      }
    }
  }
}

/* DB's "unclip": the network predicts shrunk text kernels; grow each box
 * by area * ratio / perimeter, then map it back to image pixels. */
static MtRect
unclip (const Component * c, gdouble scale, const MtImage * img)
{
  gdouble w = c->x2 - c->x1 + 1, h = c->y2 - c->y1 + 1;
  gdouble d = w * h * DET_UNCLIP / (2 * (w + h));
  gdouble x1 = MAX ((c->x1 - d) / scale, 0);
  gdouble y1 = MAX ((c->y1 - d) / scale, 0);
  gdouble x2 = MIN ((c->x2 + 1 + d) / scale, img->width);
  gdouble y2 = MIN ((c->y2 + 1 + d) / scale, img->height);
  MtRect r = { (gint) x1, (gint) y1, (gint) ceil (x2 - (gint) x1),
    (gint) ceil (y2 - (gint) y1)
  };

  return r;
}

static GArray *
regions_from_map (const gfloat * prob, gdouble scale, const MtImage * img)
{
  GArray *regions = g_array_new (FALSE, FALSE, sizeof (MtRect));
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (gint));
  g_autofree guint8 *mask = g_malloc (DET_WIDTH * DET_HEIGHT);
  gint i;

  for (i = 0; i < DET_WIDTH * DET_HEIGHT; i++)
    mask[i] = prob[i] > DET_THRESHOLD;
  for (i = 0; i < DET_WIDTH * DET_HEIGHT; i++) {
    Component c = { G_MAXINT, G_MAXINT, -1, -1, 0, 0 };
    MtRect r;

    if (!mask[i])
      continue;
    fill_component (mask, prob, i, stack, &c);
    if (c.x2 - c.x1 + 1 < DET_MIN_SIDE || c.y2 - c.y1 + 1 < DET_MIN_SIDE
        || c.score_sum / c.count < DET_BOX_THRESHOLD)
      continue;
    r = unclip (&c, scale, img);
    if (r.width > 0 && r.height > 0)
      g_array_append_val (regions, r);
  }
  return regions;
}

static const gchar *const det_outputs[] = { "sigmoid_0.tmp_0", NULL };

/* Text regions in image pixels, top to bottom. Called with text_lock. */
static GArray *
detect_regions (MtVisionContext * ctx, const MtImage * img, GError ** error)
{
  MtRect all = { 0, 0, img->width, img->height };
  /* PaddleOCR normalises BGR pixels with ImageNet's RGB statistics in
   * channel order; the network was trained that way. */
  MtDnnInput in = { DET_WIDTH, DET_HEIGHT, TRUE,
    {0.485f * 255, 0.456f * 255, 0.406f * 255},
    {1 / (0.229f * 255), 1 / (0.224f * 255), 1 / (0.225f * 255)}, TRUE
  };
  MtTensor out = { 0 };
  gdouble scale = 1;
  GArray *regions;

  if (!mt_dnn_run (ctx->text_detector, img, &all, &in, det_outputs, &out,
          &scale, error))
    return NULL;
  if (out.count != DET_WIDTH * DET_HEIGHT) {
    mt_tensor_clear (&out);
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_MODEL_INVALID,
        "ppocr-det.onnx gives unexpected outputs: run tools/fetch-models");
    return NULL;
  }
  regions = regions_from_map (out.data, scale, img);
  mt_tensor_clear (&out);
  return regions;
}

static gboolean
looks_like_document (GArray * regions, const MtImage * img)
{
  gdouble area = 0;
  guint i;

  if (regions->len < DOC_MIN_REGIONS)
    return FALSE;
  for (i = 0; i < regions->len; i++) {
    const MtRect *r = &g_array_index (regions, MtRect, i);

    area += (gdouble) r->width * r->height;
  }
  return area / ((gdouble) img->width * img->height) >= DOC_MIN_COVER;
}

/* ---- Tesseract -------------------------------------------------------- */

static void
text_free (MtText * t)
{
  if (!t)
    return;
  g_free (t->text);
  g_free (t);
}

/* Where Tesseract's pixel box in the scaled crop lies in the image. */
typedef struct
{
  const MtImage *img;
  MtRect region;
  gdouble scale;
} CropMap;

static MtBox
map_box (const CropMap * m, gint l, gint t, gint r, gint b)
{
  gdouble x1 = m->region.x + l / m->scale, y1 = m->region.y + t / m->scale;
  gdouble x2 = m->region.x + r / m->scale, y2 = m->region.y + b / m->scale;
  MtBox box;

  x1 = CLAMP (x1, 0, m->img->width);
  x2 = CLAMP (x2, 0, m->img->width);
  y1 = CLAMP (y1, 0, m->img->height);
  y2 = CLAMP (y2, 0, m->img->height);
  box.left = x1 / m->img->width;
  box.top = y1 / m->img->height;
  box.width = (x2 - x1) / m->img->width;
  box.height = (y2 - y1) / m->img->height;
  return box;
}

static MtText *
take_result (TessResultIterator * ri, TessPageIteratorLevel level,
    const CropMap * m, GPtrArray * out)
{
  const TessPageIterator *pi = TessResultIteratorGetPageIteratorConst (ri);
  char *raw = TessResultIteratorGetUTF8Text (ri, level);
  g_autofree gchar *text = g_strstrip (g_strdup (raw ? raw : ""));
  gint l, t, r, b;
  MtText *res;

  TessDeleteText (raw);
  if (!*text || !TessPageIteratorBoundingBox (pi, level, &l, &t, &r, &b))
    return NULL;
  res = g_new0 (MtText, 1);
  res->type = level == RIL_WORD ? MT_TEXT_WORD : MT_TEXT_LINE;
  res->id = out->len;
  res->parent_id = -1;
  res->text = g_steal_pointer (&text);
  res->confidence = CLAMP (TessResultIteratorConfidence (ri, level), 0, 100);
  res->box = map_box (m, l, t, r, b);
  g_ptr_array_add (out, res);
  return res;
}

/* Appends the LINE and WORD results of the recognised image. */
static void
collect (TessBaseAPI * api, const CropMap * m, GPtrArray * out)
{
  TessResultIterator *ri = TessBaseAPIGetIterator (api);
  MtText *line = NULL;

  if (!ri)
    return;
  do {
    const TessPageIterator *pi = TessResultIteratorGetPageIteratorConst (ri);
    MtText *word;

    if (!line || TessPageIteratorIsAtBeginningOf (pi, RIL_TEXTLINE))
      line = take_result (ri, RIL_TEXTLINE, m, out);
    if (!line)
      continue;
    word = take_result (ri, RIL_WORD, m, out);
    if (word)
      word->parent_id = line->id;
  } while (TessResultIteratorNext (ri, RIL_WORD));
  TessResultIteratorDelete (ri);
}

static gboolean
ocr_region (MtTextEngine * ocr, const MtImage * img, const MtRect * region,
    gdouble scale, TessPageSegMode psm, GPtrArray * out, GError ** error)
{
  CropMap m = { img, *region, scale };
  gint w, h;
  g_autofree guint8 *gray = mt_image_gray_region (img, region, scale, &w, &h,
      error);

  if (!gray)
    return FALSE;
  TessBaseAPISetPageSegMode (ocr->api, psm);
  TessBaseAPISetImage (ocr->api, gray, w, h, 1, w);
  if (TessBaseAPIRecognize (ocr->api, NULL) != 0) {
    TessBaseAPIClear (ocr->api);
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_INFERENCE,
        "Tesseract could not recognise the image");
    return FALSE;
  }
  collect (ocr->api, &m, out);
  TessBaseAPIClear (ocr->api);
  return TRUE;
}

static gboolean
read_scene (MtVisionContext * ctx, const MtImage * img, GArray * regions,
    GPtrArray * out, GError ** error)
{
  guint i;

  for (i = 0; i < regions->len; i++) {
    const MtRect *r = &g_array_index (regions, MtRect, i);
    gdouble scale = CLAMP (OCR_LINE_HEIGHT / r->height, 0.5, 4.0);

    /* The unclipped box is read as it is: padding it with more of the
     * image or with repeated edges brought in sign borders and lowered
     * word recall on opencv-doc's scene photos (0.82 -> 0.61-0.73). */
    if (!ocr_region (ctx->ocr, img, r, scale, PSM_SINGLE_LINE, out, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
read_document (MtVisionContext * ctx, const MtImage * img, GPtrArray * out,
    GError ** error)
{
  MtRect all = { 0, 0, img->width, img->height };
  /* Small frames are enlarged so body text reaches Tesseract's sweet
   * spot. */
  gdouble scale = MIN (img->width, img->height) < 600 ? 2.0 : 1.0;

  return ocr_region (ctx->ocr, img, &all, scale, PSM_AUTO, out, error);
}

/* ---- region of interest ----------------------------------------------- */

static gdouble
overlap (gdouble a1, gdouble a2, gdouble b1, gdouble b2)
{
  return MAX (0.0, MIN (a2, b2) - MAX (a1, b1));
}

/* The share of @box inside the selected cells of the 3x3 grid. */
static gdouble
share_in_cells (const MtBox * box, guint cells)
{
  gdouble area = box->width * box->height, inside = 0;
  guint n;

  if (area <= 0)
    return 0;
  for (n = 0; n < 9; n++) {
    gdouble cx = (n % 3) / 3.0, cy = (n / 3) / 3.0;

    if (!(cells & MT_TEXT_ROI_CELL (n)))
      continue;
    inside += overlap (box->left, box->left + box->width, cx, cx + 1 / 3.0)
        * overlap (box->top, box->top + box->height, cy, cy + 1 / 3.0);
  }
  return inside / area;
}

static GPtrArray *
filter_results (GPtrArray * all, guint cells, gdouble min_confidence)
{
  GPtrArray *kept = g_ptr_array_new_with_free_func ((GDestroyNotify) text_free);
  g_autoptr (GHashTable) lines = g_hash_table_new (NULL, NULL);
  guint i;

  for (i = 0; i < all->len; i++) {
    MtText *t = g_ptr_array_index (all, i);

    if (t->confidence < min_confidence || share_in_cells (&t->box, cells) < 0.5)
      continue;
    /* A word stays only with its line. */
    if (t->type == MT_TEXT_WORD
        && !g_hash_table_contains (lines, GINT_TO_POINTER (t->parent_id)))
      continue;
    if (t->type == MT_TEXT_LINE)
      g_hash_table_add (lines, GINT_TO_POINTER (t->id));
    g_ptr_array_add (kept, g_steal_pointer (&all->pdata[i]));
  }
  return kept;
}

GPtrArray *
mt_vision_detect_text (MtVisionContext * ctx, const MtImage * img,
    MtTextMode mode, guint roi_cells, gdouble min_confidence, GError ** error)
{
  g_autoptr (GPtrArray) all =
      g_ptr_array_new_with_free_func ((GDestroyNotify) text_free);
  g_autoptr (GArray) regions = NULL;
  gboolean ok = TRUE;

  if (!mt_vision_check_image (img, error))
    return NULL;
  if (!ctx->ocr) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_NOT_LOADED,
        "this vision context was created without text");
    return NULL;
  }
  g_mutex_lock (&ctx->text_lock);
  if (mode != MT_TEXT_MODE_DOCUMENT) {
    regions = detect_regions (ctx, img, error);
    ok = regions != NULL;
  }
  if (ok && mode == MT_TEXT_MODE_AUTO)
    mode = looks_like_document (regions, img) ? MT_TEXT_MODE_DOCUMENT
        : MT_TEXT_MODE_SCENE;
  if (ok && regions)
    g_debug ("text: %u regions, read as %s", regions->len,
        mode == MT_TEXT_MODE_DOCUMENT ? "a document" : "scene text");
  if (ok && mode == MT_TEXT_MODE_DOCUMENT)
    ok = read_document (ctx, img, all, error);
  else if (ok)
    ok = read_scene (ctx, img, regions, all, error);
  g_mutex_unlock (&ctx->text_lock);
  if (!ok)
    return NULL;
  return filter_results (all, roi_cells & MT_TEXT_ROI_ALL, min_confidence);
}
