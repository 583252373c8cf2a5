/* Local content moderation: nsfwjs' MobileNetV2 (224x224, five classes:
 * Drawing, Hentai, Neutral, Porn, Sexy) on the whole image, its classes
 * mapped onto Rekognition's moderation taxonomy (version 7):
 *
 *   Porn + Hentai  -> "Explicit" (level 1) and "Explicit Nudity" (level 2)
 *   Sexy           -> "Non-Explicit Nudity of Intimate parts and Kissing"
 *                     (level 1 only: the class mixes swimwear, underwear
 *                     and partial nudity, which version 7 tells apart)
 *   Drawing, Neutral -> nothing
 *
 * The classes are exclusive (softmax), so the chance p that an image is
 * explicit is the sum of its two explicit classes (the mean over the image
 * and its mirror). A label's confidence is p above even odds, rescaled:
 * 100 * (2p - 1), 0 at p = 0.5 and below. The small network gives ordinary
 * photos up to p = 0.83 (a 720p frame of a group photo: "Explicit"), so
 * its raw p under Rekognition's default min-confidence of 80 would flag
 * them; rescaled, min-confidence 80 needs p >= 0.9, and the highest of the
 * tests' 150 ordinary photos and frames is 66. */
#include "vision-private.h"

#include <string.h>

#define NSFW_SIZE 224
/* Images smaller than this on their longer side get no labels. */
#define MIN_JUDGED_SIDE 64

gboolean
mt_vision_moderation_init (MtVisionContext * ctx, GError ** error)
{
  ctx->moderation = mt_vision_load_model (ctx, "nsfw-mobilenet.onnx",
      "moderation", error);
  return ctx->moderation != NULL;
}

/* One pass of the network, the image mirrored or not. */
static gboolean
run_once (MtVisionContext * ctx, const MtImage * img, gboolean mirror,
    MtTensor * out, GError ** error)
{
  /* nsfwjs feeds RGB / 255, stretched to 224x224 by a bilinear resize. A
   * stretched word crop (4:1) came out "Porn" at 0.97, so the network gets
   * a square centred on the image instead, black beyond its edges (true
   * proportions), still resized bilinearly: an area-averaging resize moved
   * its scores by up to 0.3 on the same photos, and bilinear is what its
   * own code does. */
  MtDnnInput in = { NSFW_SIZE, NSFW_SIZE, FALSE, {0, 0, 0},
  {1 / 255.0f, 1 / 255.0f, 1 / 255.0f}, FALSE, FALSE, mirror
  };
  static const gchar *const outputs[] = { "probabilities", NULL };
  gint side = MAX (img->width, img->height);
  MtRect all = { (img->width - side) / 2, (img->height - side) / 2, side,
    side
  };
  gboolean ok;

  g_mutex_lock (&ctx->moderation_lock);
  ok = mt_dnn_run (ctx->moderation, img, &all, &in, outputs, out, NULL,
      error);
  g_mutex_unlock (&ctx->moderation_lock);
  if (ok && out->count != MT_NSFW_CLASSES) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_MODEL_INVALID,
        "nsfw-mobilenet.onnx gives unexpected outputs: run "
        "tools/fetch-models");
    ok = FALSE;
  }
  return ok;
}

/* The mean of the image's and its mirror's probabilities. The small
 * network is far from mirror-invariant: on the ordinary photos of the
 * tests a mirror alone moved the explicit score from 0.74 to 0.92; the
 * mean of the two kept every one of them under 0.77. */
static gboolean
run_network (MtVisionContext * ctx, const MtImage * img,
    gdouble scores[MT_NSFW_CLASSES], GError ** error)
{
  MtTensor out = { 0 };
  guint pass, i;

  for (i = 0; i < MT_NSFW_CLASSES; i++)
    scores[i] = 0;
  for (pass = 0; pass < 2; pass++) {
    if (!run_once (ctx, img, pass == 1, &out, error)) {
      mt_tensor_clear (&out);
      return FALSE;
    }
    for (i = 0; i < MT_NSFW_CLASSES; i++)
      scores[i] += out.data[i] / 2;
    mt_tensor_clear (&out);
  }
  return TRUE;
}

static void
add_label (GArray * labels, const gchar * name, const gchar * parent,
    guint level, gdouble p, gdouble min_confidence)
{
  MtModerationLabel l = { name, parent, level,
    100.0 * CLAMP (2 * p - 1, 0.0, 1.0)
  };

  /* As Rekognition, no label at all for what is not there. */
  if (l.confidence > 0 && l.confidence >= min_confidence)
    g_array_append_val (labels, l);
}

/* Best first; a parent before its child at the same confidence. */
static gint
by_confidence (gconstpointer a, gconstpointer b)
{
  const MtModerationLabel *la = a, *lb = b;

  if (la->confidence != lb->confidence)
    return la->confidence < lb->confidence ? 1 : -1;
  return (gint) la->level - (gint) lb->level;
}

GArray *
mt_vision_detect_moderation (MtVisionContext * ctx, const MtImage * img,
    gdouble min_confidence, gdouble scores[MT_NSFW_CLASSES], GError ** error)
{
  gdouble p[MT_NSFW_CLASSES];
  gdouble explicit_p;
  GArray *labels;

  if (!mt_vision_check_image (img, error))
    return NULL;
  if (!ctx->moderation) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_NOT_LOADED,
        "this vision context was created without moderation");
    return NULL;
  }
  if (!run_network (ctx, img, p, error))
    return NULL;
  if (scores)
    memcpy (scores, p, sizeof p);
  labels = g_array_new (FALSE, FALSE, sizeof (MtModerationLabel));
  /* Blown up more than 3.5 times to reach the network, an image is a blur
   * it scores at random (a 32x32 letter came out 0.74 to 0.92 explicit). */
  if (MAX (img->width, img->height) < MIN_JUDGED_SIDE)
    return labels;
  explicit_p = p[MT_NSFW_PORN] + p[MT_NSFW_HENTAI];
  add_label (labels, "Explicit", "", 1, explicit_p, min_confidence);
  add_label (labels, "Explicit Nudity", "Explicit", 2, explicit_p,
      min_confidence);
  add_label (labels, "Non-Explicit Nudity of Intimate parts and Kissing", "",
      1, p[MT_NSFW_SEXY], min_confidence);
  g_array_sort (labels, by_confidence);
  return labels;
}
