/* framesampler: image features for the dynamic frame capture mode.
 *
 * Everything is computed on a small copy of the frame (at most 256 pixels
 * wide): the measures only need the coarse picture, and scaling once keeps
 * the cost per candidate independent of the source resolution. */
#include "framefeatures.h"

#include <math.h>
#include <string.h>

#define ANALYSIS_MAX_WIDTH 256
#define HASH_SIZE 32
#define HASH_LOW 8

struct _MtFrameAnalyzer
{
  GstVideoConverter *convert;
  GstVideoInfo out_info;
  GstBuffer *out_buffer;
  guint8 *luma;
  /* cos((2x + 1) u pi / 2N) for the low frequencies the hash keeps */
  gdouble dct_cos[HASH_LOW][HASH_SIZE];
};

MtFrameAnalyzer *
mt_frame_analyzer_new (const GstVideoInfo * in_info)
{
  MtFrameAnalyzer *a;
  gint width = GST_VIDEO_INFO_WIDTH (in_info);
  gint height = GST_VIDEO_INFO_HEIGHT (in_info);

  if (width <= 0 || height <= 0)
    return NULL;
  if (width > ANALYSIS_MAX_WIDTH) {
    height = MAX (HASH_SIZE, (gint) gst_util_uint64_scale_int_round (height,
            ANALYSIS_MAX_WIDTH, width));
    width = ANALYSIS_MAX_WIDTH;
  }
  width = MAX (width, HASH_SIZE);
  height = MAX (height, HASH_SIZE);

  a = g_new0 (MtFrameAnalyzer, 1);
  gst_video_info_set_interlaced_format (&a->out_info, GST_VIDEO_FORMAT_RGB,
      GST_VIDEO_INFO_INTERLACE_MODE (in_info), width, height);
  /* the converter insists on the input's rate */
  GST_VIDEO_INFO_FPS_N (&a->out_info) = GST_VIDEO_INFO_FPS_N (in_info);
  GST_VIDEO_INFO_FPS_D (&a->out_info) = GST_VIDEO_INFO_FPS_D (in_info);
  a->convert = gst_video_converter_new ((GstVideoInfo *) in_info,
      &a->out_info, NULL);
  if (!a->convert) {
    g_free (a);
    return NULL;
  }
  a->out_buffer = gst_buffer_new_allocate (NULL,
      GST_VIDEO_INFO_SIZE (&a->out_info), NULL);
  a->luma = g_malloc ((gsize) width * height);
  for (gint u = 0; u < HASH_LOW; u++)
    for (gint x = 0; x < HASH_SIZE; x++)
      a->dct_cos[u][x] = cos ((2 * x + 1) * u * G_PI / (2.0 * HASH_SIZE));
  return a;
}

void
mt_frame_analyzer_free (MtFrameAnalyzer * a)
{
  if (!a)
    return;
  gst_video_converter_free (a->convert);
  gst_buffer_unref (a->out_buffer);
  g_free (a->luma);
  g_free (a);
}

static gboolean
convert_frame (MtFrameAnalyzer * a, GstBuffer * buffer)
{
  GstVideoInfo *in_info;
  GstVideoFrame in, out;

  in_info = (GstVideoInfo *) gst_video_converter_get_in_info (a->convert);
  if (!gst_video_frame_map (&in, in_info, buffer, GST_MAP_READ))
    return FALSE;
  if (!gst_video_frame_map (&out, &a->out_info, a->out_buffer, GST_MAP_WRITE)) {
    gst_video_frame_unmap (&in);
    return FALSE;
  }
  gst_video_converter_frame (a->convert, &in, &out);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  return TRUE;
}

/* Luma (BT.601 weights) and the 4x4x4 colour histogram in one pass. */
static void
luma_and_histogram (MtFrameAnalyzer * a, const GstVideoFrame * rgb,
    MtFrameFeatures * f)
{
  gint w = GST_VIDEO_FRAME_WIDTH (rgb), h = GST_VIDEO_FRAME_HEIGHT (rgb);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (rgb, 0);
  const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (rgb, 0);
  guint counts[MT_FRAME_HIST_BINS] = { 0 };

  for (gint y = 0; y < h; y++) {
    const guint8 *p = data + (gsize) y * stride;
    guint8 *l = a->luma + (gsize) y * w;

    for (gint x = 0; x < w; x++, p += 3) {
      l[x] = (77 * p[0] + 150 * p[1] + 29 * p[2]) >> 8;
      counts[((p[0] >> 6) << 4) | ((p[1] >> 6) << 2) | (p[2] >> 6)]++;
    }
  }
  for (gint i = 0; i < MT_FRAME_HIST_BINS; i++)
    f->hist[i] = (gfloat) counts[i] / (w * h);
}

/* Variance of the 4-neighbour Laplacian: blur and defocus flatten edges,
 * which lowers it. */
static gdouble
laplacian_variance (const guint8 * l, gint w, gint h)
{
  gdouble sum = 0, sum2 = 0;
  gsize n = 0;

  for (gint y = 1; y < h - 1; y++) {
    const guint8 *row = l + (gsize) y * w;

    for (gint x = 1; x < w - 1; x++) {
      gint v = row[x - 1] + row[x + 1] + row[x - w] + row[x + w] - 4 * row[x];

      sum += v;
      sum2 += (gdouble) (v * v);
      n++;
    }
  }
  if (n == 0)
    return 0;
  return sum2 / n - (sum / n) * (sum / n);
}

/* Area-average the luma down to HASH_SIZE x HASH_SIZE. */
static void
shrink_luma (const guint8 * l, gint w, gint h,
    gdouble out[HASH_SIZE][HASH_SIZE])
{
  for (gint by = 0; by < HASH_SIZE; by++) {
    gint y0 = by * h / HASH_SIZE, y1 = (by + 1) * h / HASH_SIZE;

    for (gint bx = 0; bx < HASH_SIZE; bx++) {
      gint x0 = bx * w / HASH_SIZE, x1 = (bx + 1) * w / HASH_SIZE;
      guint sum = 0;

      for (gint y = y0; y < y1; y++)
        for (gint x = x0; x < x1; x++)
          sum += l[(gsize) y * w + x];
      out[by][bx] = (gdouble) sum / ((y1 - y0) * (x1 - x0));
    }
  }
}

static gint
compare_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

/* The classic DCT perceptual hash: the 8x8 lowest frequencies of the 32x32
 * DCT, one bit each for "above the median". */
static guint64
perceptual_hash (MtFrameAnalyzer * a, gint w, gint h)
{
  gdouble small[HASH_SIZE][HASH_SIZE];
  gdouble rows[HASH_LOW][HASH_SIZE];
  gdouble coef[HASH_LOW * HASH_LOW], sorted[HASH_LOW * HASH_LOW];
  gdouble median;
  guint64 hash = 0;

  shrink_luma (a->luma, w, h, small);
  for (gint v = 0; v < HASH_LOW; v++)
    for (gint x = 0; x < HASH_SIZE; x++) {
      gdouble s = 0;

      for (gint y = 0; y < HASH_SIZE; y++)
        s += small[y][x] * a->dct_cos[v][y];
      rows[v][x] = s;
    }
  for (gint v = 0; v < HASH_LOW; v++)
    for (gint u = 0; u < HASH_LOW; u++) {
      gdouble s = 0;

      for (gint x = 0; x < HASH_SIZE; x++)
        s += rows[v][x] * a->dct_cos[u][x];
      coef[v * HASH_LOW + u] = s;
    }
  memcpy (sorted, coef, sizeof (coef));
  qsort (sorted, G_N_ELEMENTS (sorted), sizeof (gdouble), compare_double);
  median = (sorted[31] + sorted[32]) / 2;
  for (guint i = 0; i < G_N_ELEMENTS (coef); i++)
    if (coef[i] > median)
      hash |= G_GUINT64_CONSTANT (1) << i;
  return hash;
}

gboolean
mt_frame_analyzer_compute (MtFrameAnalyzer * a, GstBuffer * buffer,
    MtFrameFeatures * f)
{
  GstVideoFrame rgb;
  gint w = GST_VIDEO_INFO_WIDTH (&a->out_info);
  gint h = GST_VIDEO_INFO_HEIGHT (&a->out_info);

  if (!convert_frame (a, buffer))
    return FALSE;
  if (!gst_video_frame_map (&rgb, &a->out_info, a->out_buffer, GST_MAP_READ))
    return FALSE;
  luma_and_histogram (a, &rgb, f);
  gst_video_frame_unmap (&rgb);

  f->sharpness = laplacian_variance (a->luma, w, h);
  f->phash = perceptual_hash (a, w, h);
  return TRUE;
}

guint
mt_frame_features_hash_distance (const MtFrameFeatures * a,
    const MtFrameFeatures * b)
{
  return __builtin_popcountll (a->phash ^ b->phash);
}

/* 1 - histogram intersection: 0 for the same colours, 1 for disjoint ones. */
gdouble
mt_frame_features_hist_distance (const MtFrameFeatures * a,
    const MtFrameFeatures * b)
{
  gdouble common = 0;

  for (gint i = 0; i < MT_FRAME_HIST_BINS; i++)
    common += MIN (a->hist[i], b->hist[i]);
  return CLAMP (1.0 - common, 0.0, 1.0);
}
