/* libmediatag-vision internals: the context shared by the engines, and the
 * extern "C" shim over OpenCV's C++ API (vision-dnn.cpp), which is the only
 * C++ in the library. */
#pragma once

#include "vision.h"

G_BEGIN_DECLS

/* A pixel rectangle of the source image; may reach outside it (the part
 * outside reads as black). */
typedef struct
{
  gint x;
  gint y;
  gint width;
  gint height;
} MtRect;

typedef struct _MtDnn MtDnn;
typedef struct _MtHaar MtHaar;

typedef struct
{
  gint width;                   /* the network's input size */
  gint height;
  gboolean bgr;                 /* channel order the network wants */
  /* value = (pixel - mean[c]) * scale[c], c in the network's order */
  gfloat mean[3];
  gfloat scale[3];
  /* Scale the region to fit, keeping its aspect ratio, top-left aligned,
   * black around; otherwise stretch it to the input size. */
  gboolean letterbox;
  /* One grey channel (mean[0], scale[0]) instead of three. */
  gboolean gray;
  /* The region mirrored left to right. */
  gboolean mirror;
} MtDnnInput;

typedef struct
{
  gfloat *data;
  gint ndims;
  gint dims[4];
  gsize count;
} MtTensor;

MtDnn *mt_dnn_load (const gchar * path, GError ** error);
void mt_dnn_free (MtDnn * dnn);
/* Runs the network on @region of @img. Fills @out[i] for each name in the
 * NULL-terminated @outputs (free with mt_tensor_clear()). @used_scale (may
 * be NULL) gets input pixels per region pixel (letterbox only). */
gboolean mt_dnn_run (MtDnn * dnn, const MtImage * img, const MtRect * region,
    const MtDnnInput * in, const gchar * const *outputs, MtTensor * out,
    gdouble * used_scale, GError ** error);
void mt_tensor_clear (MtTensor * t);

MtHaar *mt_haar_load (const gchar * path, GError ** error);
void mt_haar_free (MtHaar * haar);
/* Appends MtRect faces to @faces. */
gboolean mt_haar_detect (MtHaar * haar, const MtImage * img, GArray * faces,
    GError ** error);

/* An 8-bit grey copy of @region scaled by @scale (packed, stride = width),
 * for Tesseract. */
guint8 *mt_image_gray_region (const MtImage * img, const MtRect * region,
    gdouble scale, gint * width, gint * height, GError ** error);

typedef struct _MtTextEngine MtTextEngine;

struct _MtVisionContext
{
  MtVisionFeatures features;
  gchar *models_dir;

  GMutex face_lock;
  MtDnn *face_detector;
  MtHaar *haar;
  GMutex descriptor_lock;
  MtDnn *face_descriptor;
  GMutex emotion_lock;
  MtDnn *emotion;
  GMutex moderation_lock;
  MtDnn *moderation;
  GMutex label_lock;
  MtDnn *labels;
  GMutex text_lock;
  MtDnn *text_detector;
  MtTextEngine *ocr;
};

MtDnn *mt_vision_load_model (MtVisionContext * ctx, const gchar * file,
    const gchar * feature, GError ** error);
gboolean mt_vision_check_image (const MtImage * img, GError ** error);
gboolean mt_vision_faces_init (MtVisionContext * ctx, GError ** error);
gboolean mt_vision_moderation_init (MtVisionContext * ctx, GError ** error);
gboolean mt_vision_text_init (MtVisionContext * ctx, GError ** error);
void mt_vision_text_free (MtTextEngine * ocr);

/* Greedy non-maximum suppression over @n boxes (x1,y1,x2,y2) sorted by
 * score descending: keep[i] set for survivors. */
void mt_vision_nms (const gfloat (*boxes)[4], guint n, gfloat iou_max,
    gboolean * keep);

G_END_DECLS
