/* libmediatag-vision helpers below every engine: where models are found
 * and how they load, image checks and box suppression. The engines and the
 * context (vision.c) call these; these call none of them. */
#include "vision-private.h"

#include "mediatag-config.h"

G_DEFINE_QUARK (mt-vision-error-quark, mt_vision_error);

gchar *
mt_vision_default_models_dir (void)
{
  const gchar *env = g_getenv ("MEDIATAG_MODELS_DIR");

  if (env && *env)
    return g_strdup (env);
  /* An uninstalled build reads the models tools/fetch-models put in the
   * source tree; an installed one (and a package, built with
   * -Dsource-data=false) its datadir. */
#ifdef MEDIATAG_SOURCE_DATADIR
  {
    g_autofree gchar *source = g_build_filename (MEDIATAG_SOURCE_DATADIR,
        "models", NULL);

    if (g_file_test (source, G_FILE_TEST_IS_DIR))
      return g_steal_pointer (&source);
  }
#endif
  return g_build_filename (MEDIATAG_DATADIR, "models", NULL);
}

/* The file in the context's directory, or, when none was given, in the
 * source tree then the installed datadir. NULL if in none. */
static gchar *
find_model (MtVisionContext * ctx, const gchar * file)
{
  const gchar *env = g_getenv ("MEDIATAG_MODELS_DIR");
  const gchar *dirs[] = { ctx->models_dir, NULL, NULL };
  guint i;

  if (!ctx->models_dir && env && *env)
    dirs[0] = env;
  if (!dirs[0]) {
#ifdef MEDIATAG_SOURCE_DATADIR
    dirs[0] = MEDIATAG_SOURCE_DATADIR "/models";
    dirs[1] = MEDIATAG_DATADIR "/models";
#else
    dirs[0] = MEDIATAG_DATADIR "/models";
#endif
  }
  for (i = 0; i < G_N_ELEMENTS (dirs) && dirs[i]; i++) {
    g_autofree gchar *path = g_build_filename (dirs[i], file, NULL);

    if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
      return g_steal_pointer (&path);
  }
  return NULL;
}

MtDnn *
mt_vision_load_model (MtVisionContext * ctx, const gchar * file,
    const gchar * feature, GError ** error)
{
  g_autofree gchar *path = find_model (ctx, file);
  g_autofree gchar *dir = NULL;

  if (path)
    return mt_dnn_load (path, error);
  dir = ctx->models_dir ? g_strdup (ctx->models_dir)
      : mt_vision_default_models_dir ();
  g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_MODEL_MISSING,
      "The %s model %s is not installed in %s: run tools/fetch-models "
      "(from the mediatag source tree) to fetch and convert it, or set "
      "MEDIATAG_MODELS_DIR to a directory that has it", feature, file, dir);
  return NULL;
}

gboolean
mt_vision_check_image (const MtImage * img, GError ** error)
{
  static const gint bpp[] = { 3, 3, 4, 4, 1 };

  if (img && img->data && img->width > 0 && img->height > 0
      && (guint) img->format <= MT_PIXEL_GRAY8
      && img->stride >= img->width * bpp[img->format])
    return TRUE;
  g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_INVALID_IMAGE,
      "invalid image: it needs pixels, a positive size and a stride of at "
      "least width x bytes per pixel");
  return FALSE;
}

static gfloat
iou (const gfloat * a, const gfloat * b)
{
  gfloat w = MIN (a[2], b[2]) - MAX (a[0], b[0]);
  gfloat h = MIN (a[3], b[3]) - MAX (a[1], b[1]);
  gfloat inter, uni;

  if (w <= 0 || h <= 0)
    return 0;
  inter = w * h;
  uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return uni > 0 ? inter / uni : 0;
}

void
mt_vision_nms (const gfloat (*boxes)[4], guint n, gfloat iou_max,
    gboolean * keep)
{
  guint i, j;

  for (i = 0; i < n; i++)
    keep[i] = TRUE;
  for (i = 0; i < n; i++) {
    if (!keep[i])
      continue;
    for (j = i + 1; j < n; j++)
      if (keep[j] && iou (boxes[i], boxes[j]) > iou_max)
        keep[j] = FALSE;
  }
}
