/* libmediatag-vision: the context, which loads each network once by
 * asking the engines (faces, text) to set themselves up. The helpers the
 * engines share sit below them, in vision-model.c, so no engine calls
 * back into this file. */
#include "vision-private.h"

static gboolean
load_features (MtVisionContext * ctx, GError ** error)
{
  if ((ctx->features & MT_VISION_FACES) && !mt_vision_faces_init (ctx, error))
    return FALSE;
  if ((ctx->features & MT_VISION_MODERATION)
      && !mt_vision_moderation_init (ctx, error))
    return FALSE;
  if (ctx->features & MT_VISION_LABELS) {
    ctx->labels = mt_vision_load_model (ctx, "centernet.onnx", "labels", error);
    if (!ctx->labels)
      return FALSE;
  }
  if ((ctx->features & MT_VISION_TEXT) && !mt_vision_text_init (ctx, error))
    return FALSE;
  return TRUE;
}

MtVisionContext *
mt_vision_context_new (const gchar * models_dir, MtVisionFeatures features,
    GError ** error)
{
  MtVisionContext *ctx = g_new0 (MtVisionContext, 1);

  if (features & (MT_VISION_FACE_DESCRIPTORS | MT_VISION_FACE_EMOTIONS))
    features |= MT_VISION_FACES;
  ctx->features = features;
  ctx->models_dir = g_strdup (models_dir);
  g_mutex_init (&ctx->face_lock);
  g_mutex_init (&ctx->descriptor_lock);
  g_mutex_init (&ctx->emotion_lock);
  g_mutex_init (&ctx->moderation_lock);
  g_mutex_init (&ctx->label_lock);
  g_mutex_init (&ctx->text_lock);
  if (!load_features (ctx, error)) {
    mt_vision_context_free (ctx);
    return NULL;
  }
  return ctx;
}

void
mt_vision_context_free (MtVisionContext * ctx)
{
  if (!ctx)
    return;
  g_clear_pointer (&ctx->face_detector, mt_dnn_free);
  g_clear_pointer (&ctx->haar, mt_haar_free);
  g_clear_pointer (&ctx->face_descriptor, mt_dnn_free);
  g_clear_pointer (&ctx->emotion, mt_dnn_free);
  g_clear_pointer (&ctx->moderation, mt_dnn_free);
  g_clear_pointer (&ctx->labels, mt_dnn_free);
  g_clear_pointer (&ctx->text_detector, mt_dnn_free);
  g_clear_pointer (&ctx->ocr, mt_vision_text_free);
  g_mutex_clear (&ctx->face_lock);
  g_mutex_clear (&ctx->descriptor_lock);
  g_mutex_clear (&ctx->emotion_lock);
  g_mutex_clear (&ctx->moderation_lock);
  g_mutex_clear (&ctx->label_lock);
  g_mutex_clear (&ctx->text_lock);
  g_free (ctx->models_dir);
  g_free (ctx);
}

MtVisionFeatures
mt_vision_context_features (MtVisionContext * ctx)
{
  return ctx->features;
}

gboolean
mt_vision_context_face_fallback (MtVisionContext * ctx)
{
  return ctx->haar != NULL;
}
