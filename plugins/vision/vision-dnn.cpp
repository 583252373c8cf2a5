/* The extern "C" shim over OpenCV 4.6's C++ API: network loading and
 * inference (cv::dnn), the Haar cascade fallback and the image crops the
 * C engines need. Every OpenCV exception becomes a GError here, so no C++
 * exception crosses into C. */
#include "vision-private.h"

#include <string.h>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

struct _MtDnn
{
  cv::dnn::Net net;
};

struct _MtHaar
{
  cv::CascadeClassifier cascade;
};

static int
cv_type (MtPixelFormat format)
{
  switch (format) {
    case MT_PIXEL_RGBX:
    case MT_PIXEL_BGRX:
      return CV_8UC4;
    case MT_PIXEL_GRAY8:
      return CV_8UC1;
    default:
      return CV_8UC3;
  }
}

/* A view of the caller's pixels; no copy. */
static cv::Mat
wrap (const MtImage * img)
{
  return cv::Mat (img->height, img->width, cv_type (img->format),
      (void *) img->data, img->stride);
}

/* The region as a new 8-bit 3-channel image in @bgr or RGB order, black
 * where it leaves the source. */
static cv::Mat
region_color (const MtImage * img, const MtRect * r, bool bgr)
{
  cv::Mat src = wrap (img), color;
  static const int to_bgr[] = {
    cv::COLOR_RGB2BGR, -1, cv::COLOR_RGBA2BGR, cv::COLOR_BGRA2BGR,
    cv::COLOR_GRAY2BGR
  };
  static const int to_rgb[] = {
    -1, cv::COLOR_BGR2RGB, cv::COLOR_RGBA2RGB, cv::COLOR_BGRA2RGB,
    cv::COLOR_GRAY2RGB
  };
  cv::Rect want (r->x, r->y, r->width, r->height);
  cv::Rect inside = want & cv::Rect (0, 0, img->width, img->height);
  cv::Mat out = cv::Mat::zeros (r->height, r->width, CV_8UC3);
  int code = bgr ? to_bgr[img->format] : to_rgb[img->format];

  if (inside.empty ())
    return out;
  if (code < 0)
    color = src (inside);
  else
    cv::cvtColor (src (inside), color, code);
  color.copyTo (out (cv::Rect (inside.x - want.x, inside.y - want.y,
              inside.width, inside.height)));
  return out;
}

static void
set_error (GError ** error, int code, const char *what, const char *detail)
{
  g_set_error (error, MT_VISION_ERROR, code, "%s: %s", what, detail);
}

extern "C" MtDnn *
mt_dnn_load (const gchar * path, GError ** error)
{
  try {
    MtDnn *dnn = new MtDnn;

    dnn->net = cv::dnn::readNetFromONNX (path);
    dnn->net.setPreferableBackend (cv::dnn::DNN_BACKEND_OPENCV);
    dnn->net.setPreferableTarget (cv::dnn::DNN_TARGET_CPU);
    return dnn;
  }
  catch (const cv::Exception & e) {
    g_autofree gchar *what = g_strdup_printf ("OpenCV cannot load %s "
        "(run tools/fetch-models to reinstall it)", path);
    set_error (error, MT_VISION_ERROR_MODEL_INVALID, what, e.what ());
    return NULL;
  }
}

extern "C" void
mt_dnn_free (MtDnn * dnn)
{
  delete dnn;
}

/* @crop scaled into the network's input size, letterboxed or stretched. */
static cv::Mat
fit_input (const cv::Mat & crop, const MtRect * region, const MtDnnInput * in,
    double *used_scale)
{
  cv::Mat sized;

  if (in->letterbox) {
    double s = std::min ((double) in->width / region->width,
        (double) in->height / region->height);
    int w = std::max (1, (int) (region->width * s));
    int h = std::max (1, (int) (region->height * s));
    cv::Mat scaled;

    cv::resize (crop, scaled, cv::Size (w, h), 0, 0, cv::INTER_AREA);
    sized = cv::Mat::zeros (in->height, in->width, crop.type ());
    scaled.copyTo (sized (cv::Rect (0, 0, w, h)));
    *used_scale = s;
  } else {
    cv::resize (crop, sized, cv::Size (in->width, in->height), 0, 0,
        cv::INTER_LINEAR);
    *used_scale = 0;
  }
  return sized;
}

static cv::Mat
make_input (const MtImage * img, const MtRect * region,
    const MtDnnInput * in, double *used_scale)
{
  cv::Mat crop = region_color (img, region, in->bgr);
  int channels = in->gray ? 1 : 3;

  if (in->gray)
    cv::cvtColor (crop, crop, in->bgr ? cv::COLOR_BGR2GRAY : cv::COLOR_RGB2GRAY);
  if (in->mirror)
    cv::flip (crop, crop, 1);
  cv::Mat sized = fit_input (crop, region, in, used_scale);
  cv::Mat blob = cv::dnn::blobFromImage (sized, 1.0, cv::Size (),
      cv::Scalar (in->mean[0], in->mean[1], in->mean[2]), false, false,
      CV_32F);
  size_t plane = (size_t) in->width * in->height;
  float *p = blob.ptr < float >();
  for (int c = 0; c < channels; c++)
    for (size_t i = 0; i < plane; i++)
      p[c * plane + i] *= in->scale[c];
  return blob;
}

extern "C" gboolean
mt_dnn_run (MtDnn * dnn, const MtImage * img, const MtRect * region,
    const MtDnnInput * in, const gchar * const *outputs, MtTensor * out,
    gdouble * used_scale, GError ** error)
{
  try {
    double scale = 0;
    cv::Mat blob = make_input (img, region, in, &scale);
    std::vector < cv::String > names;
    std::vector < cv::Mat > results;

    for (const gchar * const *n = outputs; *n; n++)
      names.push_back (*n);
    dnn->net.setInput (blob);
    dnn->net.forward (results, names);
    for (size_t i = 0; i < results.size (); i++) {
      const cv::Mat & r = results[i];
      MtTensor *t = &out[i];

      t->ndims = MIN (r.dims, 4);
      for (int d = 0; d < t->ndims; d++)
        t->dims[d] = r.size[d];
      t->count = r.total ();
      t->data = (gfloat *) g_memdup2 (r.ptr < float >(),
          t->count * sizeof (float));
    }
    if (used_scale)
      *used_scale = scale;
    return TRUE;
  }
  catch (const cv::Exception & e) {
    set_error (error, MT_VISION_ERROR_INFERENCE, "OpenCV inference failed",
        e.what ());
    return FALSE;
  }
}

extern "C" void
mt_tensor_clear (MtTensor * t)
{
  g_clear_pointer (&t->data, g_free);
  t->count = 0;
}

extern "C" MtHaar *
mt_haar_load (const gchar * path, GError ** error)
{
  MtHaar *haar = new MtHaar;

  try {
    if (haar->cascade.load (path))
      return haar;
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_MODEL_MISSING,
        "cannot load the Haar cascade %s (Debian package opencv-data)", path);
  }
  catch (const cv::Exception & e) {
    set_error (error, MT_VISION_ERROR_MODEL_INVALID, path, e.what ());
  }
  delete haar;
  return NULL;
}

extern "C" void
mt_haar_free (MtHaar * haar)
{
  delete haar;
}

extern "C" gboolean
mt_haar_detect (MtHaar * haar, const MtImage * img, GArray * faces,
    GError ** error)
{
  try {
    MtRect all = { 0, 0, img->width, img->height };
    cv::Mat gray, color = region_color (img, &all, true);
    std::vector < cv::Rect > found;

    cv::cvtColor (color, gray, cv::COLOR_BGR2GRAY);
    cv::equalizeHist (gray, gray);
    haar->cascade.detectMultiScale (gray, found, 1.1, 5, 0, cv::Size (24,
            24));
    for (const cv::Rect & r:found) {
      MtRect m = { r.x, r.y, r.width, r.height };
      g_array_append_val (faces, m);
    }
    return TRUE;
  }
  catch (const cv::Exception & e) {
    set_error (error, MT_VISION_ERROR_INFERENCE, "Haar cascade failed",
        e.what ());
    return FALSE;
  }
}

extern "C" guint8 *
mt_image_gray_region (const MtImage * img, const MtRect * region,
    gdouble scale, gint * width, gint * height, GError ** error)
{
  try {
    cv::Mat color = region_color (img, region, true), gray, sized;
    int w = std::max (1, (int) lround (region->width * scale));
    int h = std::max (1, (int) lround (region->height * scale));

    cv::cvtColor (color, gray, cv::COLOR_BGR2GRAY);
    cv::resize (gray, sized, cv::Size (w, h), 0, 0,
        scale < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
    *width = w;
    *height = h;
    return (guint8 *) g_memdup2 (sized.ptr (), (gsize) w * h);
  }
  catch (const cv::Exception & e) {
    set_error (error, MT_VISION_ERROR_INFERENCE, "image crop failed",
        e.what ());
    return NULL;
  }
}

/* The MtImage and its pixels in one block, so mt_image_free() is g_free. */
static MtImage *
own_image (const cv::Mat & m)
{
  gsize stride = (gsize) m.cols * 3;
  MtImage *img = (MtImage *) g_malloc (sizeof (MtImage) + stride * m.rows);
  guint8 *pixels = (guint8 *) (img + 1);

  for (int y = 0; y < m.rows; y++)
    memcpy (pixels + y * stride, m.ptr (y), stride);
  img->data = pixels;
  img->width = m.cols;
  img->height = m.rows;
  img->stride = (gint) stride;
  img->format = MT_PIXEL_BGR;
  return img;
}

static MtImage *
decoded (const cv::Mat & m, const gchar * what, GError ** error)
{
  if (m.empty () || m.type () != CV_8UC3) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_INVALID_IMAGE,
        "cannot decode %s as an image", what);
    return NULL;
  }
  return own_image (m);
}

extern "C" MtImage *
mt_image_load (const gchar * path, GError ** error)
{
  try {
    return decoded (cv::imread (path, cv::IMREAD_COLOR), path, error);
  }
  catch (const cv::Exception & e) {
    set_error (error, MT_VISION_ERROR_INVALID_IMAGE, path, e.what ());
    return NULL;
  }
}

extern "C" MtImage *
mt_image_decode_data (const guint8 * data, gsize size, GError ** error)
{
  try {
    cv::Mat raw (1, (int) size, CV_8UC1, (void *) data);

    return decoded (cv::imdecode (raw, cv::IMREAD_COLOR), "the data", error);
  }
  catch (const cv::Exception & e) {
    set_error (error, MT_VISION_ERROR_INVALID_IMAGE, "image data", e.what ());
    return NULL;
  }
}

extern "C" void
mt_image_free (MtImage * img)
{
  g_free (img);
}
