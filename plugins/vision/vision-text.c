/* Local text engine: PP-OCRv4's detection network finds text regions,
 * Tesseract (C API) reads them. Scene text is read crop by crop, since
 * Tesseract on a whole frame misses it, and each crop also binarised in a
 * few ways for burned-in captions, keeping the most confident reading;
 * document-like frames (many regions covering much of the frame) are read
 * whole, keeping Tesseract's layout. Results are Rekognition's LINE and
 * WORD detections, filtered word by word by confidence and by Media2Cloud's
 * 3x3 region-of-interest grid. */
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

/* Where Tesseract's pixel box in the scaled (and padded) crop lies in the
 * image. */
typedef struct
{
  const MtImage *img;
  MtRect region;
  gdouble scale;
  gint pad;
} CropMap;

static MtBox
map_box (const CropMap * m, gint l, gint t, gint r, gint b)
{
  gdouble x1 = m->region.x + (l - m->pad) / m->scale;
  gdouble y1 = m->region.y + (t - m->pad) / m->scale;
  gdouble x2 = m->region.x + (r - m->pad) / m->scale;
  gdouble y2 = m->region.y + (b - m->pad) / m->scale;
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

/* Recognises one grey image and appends its results to @out. */
static gboolean
recognise (MtTextEngine * ocr, const guint8 * gray, gint w, gint h,
    const CropMap * m, TessPageSegMode psm, GPtrArray * out, GError ** error)
{
  TessBaseAPISetPageSegMode (ocr->api, psm);
  TessBaseAPISetImage (ocr->api, gray, w, h, 1, w);
  if (TessBaseAPIRecognize (ocr->api, NULL) != 0) {
    TessBaseAPIClear (ocr->api);
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_INFERENCE,
        "Tesseract could not recognise the image");
    return FALSE;
  }
  collect (ocr->api, m, out);
  TessBaseAPIClear (ocr->api);
  return TRUE;
}

static gboolean
ocr_region (MtTextEngine * ocr, const MtImage * img, const MtRect * region,
    gdouble scale, TessPageSegMode psm, GPtrArray * out, GError ** error)
{
  CropMap m = { img, *region, scale, 0 };
  gint w, h;
  g_autofree guint8 *gray = mt_image_gray_region (img, region, scale, &w, &h,
      error);

  return gray && recognise (ocr, gray, w, h, &m, psm, out, error);
}

/* ---- captions: binarised crops ---------------------------------------- */

/* Burned-in captions (white or yellow subtitles with a dark outline over a
 * busy picture, light text on a translucent band) defeat Tesseract's own
 * global threshold: the picture behind is as bright as the glyphs. Each
 * region is also read as black-on-white binarisations that isolate each
 * candidate text level, and the reading with the best confidence wins. */
typedef enum
{
  CROP_GRAY,                    /* the crop as it is */
  CROP_OTSU,                    /* two levels; text is what the border is not */
  CROP_BRIGHT,                  /* the brightest level only: light glyphs */
  CROP_DARK,                    /* the darkest level only: dark glyphs */
  CROP_BRIGHT_VALUE,            /* the brightest level of the brightest
                                 * channel: yellow glyphs */
  N_CROPS
} CropKind;

/* White margin around binarised crops: Tesseract finds glyphs touching
 * the image edge poorly. */
#define CROP_PAD 8
/* A reading whose words all reach this confidence is not bettered by the
 * other crops: they are skipped (most of the extra cost saved). */
#define CROP_GOOD_ENOUGH 90.0
/* Words under this confidence are noise for choosing a reading. */
#define CROP_MIN_WORD 40.0

/* Otsu's threshold over the histogram's levels lo..hi: the level that best
 * separates the pixels into two classes. */
static gint
otsu_level (const guint32 * hist, gint lo, gint hi)
{
  gdouble total = 0, sum = 0, w0 = 0, sum0 = 0, best = -1;
  gint t, level = (lo + hi) / 2;

  for (t = lo; t <= hi; t++) {
    total += hist[t];
    sum += (gdouble) t *hist[t];
  }
  for (t = lo; t < hi; t++) {
    gdouble w1, between;

    w0 += hist[t];
    sum0 += (gdouble) t *hist[t];
    w1 = total - w0;
    if (w0 == 0 || w1 == 0)
      continue;
    between = w0 * w1 * (sum0 / w0 - (sum - sum0) / w1)
        * (sum0 / w0 - (sum - sum0) / w1);
    if (between > best) {
      best = between;
      level = t;
    }
  }
  return level;
}

/* TRUE when most of the crop's border lies above @level: the background
 * is the bright class, the text the dark one. */
static gboolean
border_is_bright (const guint8 * gray, gint w, gint h, gint level)
{
  guint bright = 0, n = 0;
  gint x, y;

  for (x = 0; x < w; x++) {
    bright += (gray[x] > level) + (gray[(h - 1) * w + x] > level);
    n += 2;
  }
  for (y = 1; y < h - 1; y++) {
    bright += (gray[y * w] > level) + (gray[y * w + w - 1] > level);
    n += 2;
  }
  return bright * 2 > n;
}

/* A padded black-on-white image of the pixels from @lo to @hi. */
static guint8 *
binarise (const guint8 * gray, gint w, gint h, gint lo, gint hi, gint * ow,
    gint * oh)
{
  gint W = w + 2 * CROP_PAD, H = h + 2 * CROP_PAD, x, y;
  guint8 *out = g_malloc ((gsize) W * H);

  memset (out, 255, (gsize) W * H);
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++) {
      guint8 v = gray[y * w + x];

      if (v >= lo && v <= hi)
        out[(y + CROP_PAD) * W + x + CROP_PAD] = 0;
    }
  *ow = W;
  *oh = H;
  return out;
}

/* Clears the text pixels connected to the crop's edge: around outlined
 * captions they are the picture behind (the outline separates glyphs from
 * it), not glyphs. 4-connected, so a glyph touching the picture only at a
 * corner stays. */
static void
clear_edge_blobs (guint8 * out, gint W, gint H)
{
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (gint));
  static const gint dx[] = { 1, -1, 0, 0 }, dy[] = { 0, 0, 1, -1 };
  gint x, y, k;

  for (y = CROP_PAD; y < H - CROP_PAD; y++)
    for (x = CROP_PAD; x < W - CROP_PAD; x++) {
      gint i = y * W + x;

      if ((y == CROP_PAD || y == H - CROP_PAD - 1 || x == CROP_PAD
              || x == W - CROP_PAD - 1) && out[i] == 0) {
        out[i] = 255;
        g_array_append_val (stack, i);
      }
    }
  while (stack->len) {
    gint i = g_array_index (stack, gint, stack->len - 1);

    g_array_set_size (stack, stack->len - 1);
    for (k = 0; k < 4; k++) {
      gint nx = i % W + dx[k], ny = i / W + dy[k], n = ny * W + nx;

      if (nx < 0 || ny < 0 || nx >= W || ny >= H || out[n] != 0)
        continue;
      out[n] = 255;
      g_array_append_val (stack, n);
    }
  }
}

static guint8 *
make_crop (const guint8 * gray, gint w, gint h, CropKind kind, gint * ow,
    gint * oh)
{
  guint32 hist[256] = { 0 };
  guint8 *out;
  gint i, t;

  for (i = 0; i < w * h; i++)
    hist[gray[i]]++;
  t = otsu_level (hist, 0, 255);
  if (kind == CROP_OTSU)
    return border_is_bright (gray, w, h, t) ?
        binarise (gray, w, h, 0, t, ow, oh) :
        binarise (gray, w, h, t + 1, 255, ow, oh);
  if (kind == CROP_DARK)
    out = binarise (gray, w, h, 0, otsu_level (hist, 0, t), ow, oh);
  else
    out = binarise (gray, w, h, otsu_level (hist, t + 1, 255) + 1, 255, ow, oh);
  clear_edge_blobs (out, *ow, *oh);
  return out;
}

/* The brightest channel of each pixel of @region (HSV's value), scaled as
 * mt_image_gray_region() scales: yellow glyphs come out as bright as white
 * ones, which luminance does not give (yellow is 0.89 of white there). */
static guint8 *
value_region (const MtImage * img, const MtRect * region, gdouble scale,
    gint * width, gint * height, GError ** error)
{
  static const gint bpp[] = { 3, 3, 4, 4, 1 };
  gint n = bpp[img->format], x, y, c;
  g_autofree guint8 *value = g_malloc0 ((gsize) region->width * region->height);
  MtImage v = { value, region->width, region->height, region->width,
    MT_PIXEL_GRAY8
  };
  MtRect all = { 0, 0, region->width, region->height };

  for (y = MAX (region->y, 0); y < MIN (region->y + region->height,
          img->height); y++)
    for (x = MAX (region->x, 0); x < MIN (region->x + region->width,
            img->width); x++) {
      const guint8 *p = img->data + (gsize) y * img->stride + (gsize) x * n;
      guint8 m = p[0];

      for (c = 1; c < MIN (n, 3); c++)
        m = MAX (m, p[c]);
      value[(y - region->y) * region->width + x - region->x] = m;
    }
  return mt_image_gray_region (&v, &all, scale, width, height, error);
}

/* How much a reading says with confidence: confident characters. */
static gdouble
reading_score (GPtrArray * texts, gboolean * all_good)
{
  gdouble score = 0;
  guint i, words = 0;

  *all_good = TRUE;
  for (i = 0; i < texts->len; i++) {
    const MtText *t = g_ptr_array_index (texts, i);
    const gchar *p;
    guint alnum = 0;

    if (t->type != MT_TEXT_WORD)
      continue;
    words++;
    if (t->confidence < CROP_GOOD_ENOUGH)
      *all_good = FALSE;
    if (t->confidence < CROP_MIN_WORD)
      continue;
    for (p = t->text; *p; p++)
      alnum += g_ascii_isalnum (*p) || (*p & 0x80);
    score += t->confidence * alnum;
  }
  *all_good = *all_good && words > 0;
  return score;
}

/* Moves @texts (ids from 0) to the end of @out, renumbering them. */
static void
append_results (GPtrArray * out, GPtrArray * texts)
{
  guint base = out->len, i;

  for (i = 0; i < texts->len; i++) {
    MtText *t = g_steal_pointer (&texts->pdata[i]);

    t->id += base;
    if (t->parent_id >= 0)
      t->parent_id += base;
    g_ptr_array_add (out, t);
  }
  g_ptr_array_set_size (texts, 0);
}

/* Reads a scene-text region from each crop in turn and keeps the most
 * confident reading. */
static gboolean
ocr_caption_region (MtTextEngine * ocr, const MtImage * img,
    const MtRect * region, gdouble scale, GPtrArray * out, GError ** error)
{
  g_autoptr (GPtrArray) best =
      g_ptr_array_new_with_free_func ((GDestroyNotify) text_free);
  gdouble best_score = -1;
  gint w, h, k;
  g_autofree guint8 *gray = mt_image_gray_region (img, region, scale, &w, &h,
      error);

  if (!gray)
    return FALSE;
  for (k = CROP_GRAY; k < N_CROPS; k++) {
    g_autoptr (GPtrArray) texts =
        g_ptr_array_new_with_free_func ((GDestroyNotify) text_free);
    CropMap m = { img, *region, scale, k == CROP_GRAY ? 0 : CROP_PAD };
    g_autofree guint8 *crop = NULL;
    gint cw = w, ch = h;
    gboolean all_good;
    gdouble score;

    if (k == CROP_BRIGHT_VALUE) {
      g_autofree guint8 *value = value_region (img, region, scale, &cw, &ch,
          error);

      if (!value)
        return FALSE;
      crop = make_crop (value, cw, ch, CROP_BRIGHT, &cw, &ch);
    } else if (k != CROP_GRAY)
      crop = make_crop (gray, w, h, k, &cw, &ch);
    if (!recognise (ocr, crop ? crop : gray, cw, ch, &m, PSM_SINGLE_LINE,
            texts, error))
      return FALSE;
    score = reading_score (texts, &all_good);
    g_debug ("text: region %d,%d %dx%d crop %d: score %.0f", region->x,
        region->y, region->width, region->height, k, score);
    if (score > best_score) {
      best_score = score;
      g_ptr_array_set_size (best, 0);
      append_results (best, texts);
    }
    if (all_good)
      break;
  }
  append_results (out, best);
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
    if (!ocr_caption_region (ctx->ocr, img, r, scale, out, error))
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

static gboolean
kept_word (const MtText * t, guint cells, gdouble min_confidence)
{
  return t->type == MT_TEXT_WORD && t->confidence >= min_confidence
      && share_in_cells (&t->box, cells) >= 0.5;
}

/* A line that lost words says only the words it kept, with their mean
 * confidence and the box around them. */
static void
rebuild_line (MtText * line, GPtrArray * all, guint cells,
    gdouble min_confidence)
{
  GString *text = g_string_new (NULL);
  gdouble sum = 0, x1 = 1, y1 = 1, x2 = 0, y2 = 0;
  guint i, n = 0;

  for (i = line->id + 1; i < all->len; i++) {
    const MtText *w = g_ptr_array_index (all, i);

    if (w->type != MT_TEXT_WORD || w->parent_id != (gint) line->id)
      break;
    if (!kept_word (w, cells, min_confidence))
      continue;
    g_string_append_printf (text, "%s%s", n ? " " : "", w->text);
    sum += w->confidence;
    n++;
    x1 = MIN (x1, w->box.left);
    y1 = MIN (y1, w->box.top);
    x2 = MAX (x2, w->box.left + w->box.width);
    y2 = MAX (y2, w->box.top + w->box.height);
  }
  g_free (line->text);
  line->text = g_string_free (text, FALSE);
  line->confidence = sum / n;
  line->box.left = x1;
  line->box.top = y1;
  line->box.width = x2 - x1;
  line->box.height = y2 - y1;
}

/* Words are kept on their own confidence and place; a line stays while it
 * keeps a word: one weak word (a name, a number Tesseract is unsure of)
 * must not take the whole caption with it. Words follow their line in
 * @all, and ids are indexes in @all. */
static GPtrArray *
filter_results (GPtrArray * all, guint cells, gdouble min_confidence)
{
  GPtrArray *kept = g_ptr_array_new_with_free_func ((GDestroyNotify) text_free);
  guint i = 0;

  while (i < all->len) {
    MtText *line = g_ptr_array_index (all, i);
    guint j, words = 0, good = 0;

    if (line->type != MT_TEXT_LINE || line->id != i) {
      i++;                      /* not produced by collect(): never seen */
      continue;
    }
    for (j = i + 1; j < all->len; j++) {
      const MtText *w = g_ptr_array_index (all, j);

      if (w->type != MT_TEXT_WORD)
        break;
      words++;
      good += kept_word (w, cells, min_confidence);
    }
    if (good > 0 && (good < words || line->confidence < min_confidence
            || share_in_cells (&line->box, cells) < 0.5))
      rebuild_line (line, all, cells, min_confidence);
    if (good > 0)
      g_ptr_array_add (kept, g_steal_pointer (&all->pdata[i]));
    for (j = i + 1; j < i + 1 + words; j++)
      if (kept_word (g_ptr_array_index (all, j), cells, min_confidence))
        g_ptr_array_add (kept, g_steal_pointer (&all->pdata[j]));
    i += 1 + words;
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
