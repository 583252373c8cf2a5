/* Offline moderation of libmediatag-vision (nsfwjs' MobileNetV2) on every
 * ordinary photo the tests can reach: Debian darknet's, opencv-doc's
 * sample images and scene-text photos, @vladmandic/face-api's group
 * photos. None may be flagged at rekognitionsink's default min-confidence
 * (80); the highest score seen is printed. No labelled explicit image
 * reaches these machines, so how often explicit content is caught cannot
 * be measured here: these tests only bound false positives and check the
 * mapping onto Rekognition's taxonomy. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "vision.h"

static MtVisionContext *ctx;

#define DEFAULT_MIN_CONFIDENCE 80.0

static const gchar *const photo_dirs[] = {
  "/usr/share/darknet/data",
  "/usr/share/doc/opencv-doc/examples/data",
  "/usr/share/doc/opencv-doc/examples/text",
  NULL
};

static const gchar *const class_names[MT_NSFW_CLASSES] = {
  "Drawing", "Hentai", "Neutral", "Porn", "Sexy"
};

static gboolean
have_models (void)
{
  if (ctx)
    return TRUE;
  g_test_skip ("the vision models are not installed: run tools/fetch-models");
  return FALSE;
}

static gboolean
is_photo (const gchar * name)
{
  return g_str_has_suffix (name, ".jpg") || g_str_has_suffix (name, ".png");
}

/* Every JPEG and PNG of the photo folders and face-api's demo. */
static GPtrArray *
ordinary_photos (void)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *faces = g_build_filename (g_getenv
      ("MEDIATAG_SOURCE_ROOT"), "data", "models", "npm", "face-api-1.7.15",
      "package", "demo", NULL);
  const gchar *dirs[G_N_ELEMENTS (photo_dirs) + 1];
  guint i;

  memcpy (dirs, photo_dirs, sizeof photo_dirs);
  dirs[G_N_ELEMENTS (photo_dirs) - 1] = faces;
  dirs[G_N_ELEMENTS (photo_dirs)] = NULL;
  for (i = 0; dirs[i]; i++) {
    g_autoptr (GDir) dir = g_dir_open (dirs[i], 0, NULL);
    const gchar *name;

    while (dir && (name = g_dir_read_name (dir)))
      if (is_photo (name) && (i < 3 || g_str_has_prefix (name, "sample")))
        g_ptr_array_add (paths, g_build_filename (dirs[i], name, NULL));
  }
  return paths;
}

static void
test_ordinary_photos_quiet (void)
{
  g_autoptr (GPtrArray) paths = NULL;
  gdouble top = 0, top_class[MT_NSFW_CLASSES] = { 0 };
  g_autofree gchar *top_path = NULL;
  guint i, c, n = 0, flagged_at_50 = 0;

  if (!have_models ())
    return;
  paths = ordinary_photos ();
  for (i = 0; i < paths->len; i++) {
    const gchar *path = g_ptr_array_index (paths, i);
    g_autoptr (GError) error = NULL;
    g_autoptr (MtImage) img = mt_image_load (path, &error);
    g_autoptr (GArray) labels = NULL;
    gdouble scores[MT_NSFW_CLASSES];

    if (!img)
      continue;                 /* a PNG OpenCV reads as 16-bit, say */
    labels = mt_vision_detect_moderation (ctx, img, 0, scores, &error);
    g_assert_no_error (error);
    n++;
    for (c = 0; c < MT_NSFW_CLASSES; c++)
      top_class[c] = MAX (top_class[c], scores[c]);
    if (labels->len && g_array_index (labels, MtModerationLabel,
            0).confidence >= 50)
      flagged_at_50++;
    if (labels->len && g_array_index (labels, MtModerationLabel,
            0).confidence > top) {
      top = g_array_index (labels, MtModerationLabel, 0).confidence;
      g_free (top_path);
      top_path = g_strdup (path);
    }
    /* Labels come best first: the first is what the filter would keep. */
    if (labels->len && g_array_index (labels, MtModerationLabel,
            0).confidence >= DEFAULT_MIN_CONFIDENCE)
      g_error ("%s flagged \"%s\" at %.1f", path,
          g_array_index (labels, MtModerationLabel, 0).name,
          g_array_index (labels, MtModerationLabel, 0).confidence);
  }
  g_test_message ("%u ordinary photos: none flagged at min-confidence %.0f; "
      "highest label confidence %.1f (%s); flagged at 50: %u", n,
      DEFAULT_MIN_CONFIDENCE, top, top_path, flagged_at_50);
  for (c = 0; c < MT_NSFW_CLASSES; c++)
    g_test_message ("  highest %s probability: %.3f", class_names[c],
        top_class[c]);
  /* darknet 7 + opencv-doc's images and scene text + face-api's 6. */
  g_assert_cmpuint (n, >=, 100);
}

static const MtModerationLabel *
find (GArray * labels, const gchar * name)
{
  guint i;

  for (i = 0; i < labels->len; i++)
    if (g_str_equal (g_array_index (labels, MtModerationLabel, i).name, name))
      return &g_array_index (labels, MtModerationLabel, i);
  return NULL;
}

/* The labels follow the network's probabilities as vision-moderation.c
 * documents, in Rekognition's shape. */
static void
test_taxonomy (void)
{
  g_autofree gchar *path = g_build_filename (g_getenv
      ("MEDIATAG_SOURCE_ROOT"), "data", "models", "npm", "face-api-1.7.15",
      "package", "demo", "sample2.jpg", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (MtImage) img = NULL;
  g_autoptr (GArray) labels = NULL;
  gdouble p[MT_NSFW_CLASSES], sum = 0;
  const MtModerationLabel *expl, *nudity, *suggestive;
  guint i;

  if (!have_models ())
    return;
  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_test_skip ("the face test photos are missing: run tools/fetch-models "
        "--test-media");
    return;
  }
  img = mt_image_load (path, &error);
  labels = mt_vision_detect_moderation (ctx, img, 0, p, &error);
  g_assert_no_error (error);
  for (i = 0; i < MT_NSFW_CLASSES; i++)
    sum += p[i];
  g_assert_cmpfloat (fabs (sum - 1), <, 1e-3);
  g_assert_cmpuint (labels->len, ==, 3);
  expl = find (labels, "Explicit");
  nudity = find (labels, "Explicit Nudity");
  suggestive = find (labels, "Non-Explicit Nudity of Intimate parts and "
      "Kissing");
  g_assert_nonnull (expl);
  g_assert_nonnull (nudity);
  g_assert_nonnull (suggestive);
  g_assert_cmpstr (expl->parent, ==, "");
  g_assert_cmpuint (expl->level, ==, 1);
  g_assert_cmpstr (nudity->parent, ==, "Explicit");
  g_assert_cmpuint (nudity->level, ==, 2);
  g_assert_cmpstr (suggestive->parent, ==, "");
  g_assert_cmpuint (suggestive->level, ==, 1);
  g_assert_cmpfloat (fabs (expl->confidence - 100 * (p[MT_NSFW_PORN]
              + p[MT_NSFW_HENTAI])), <, 1e-6);
  g_assert_cmpfloat (nudity->confidence, ==, expl->confidence);
  g_assert_cmpfloat (fabs (suggestive->confidence - 100 * p[MT_NSFW_SEXY]),
      <, 1e-6);
  for (i = 1; i < labels->len; i++)
    g_assert_cmpfloat (g_array_index (labels, MtModerationLabel,
            i - 1).confidence, >=, g_array_index (labels, MtModerationLabel,
            i).confidence);
  /* The filter drops what is under it, and only that. */
  g_clear_pointer (&labels, g_array_unref);
  labels = mt_vision_detect_moderation (ctx, img, suggestive->confidence,
      NULL, &error);
  g_assert_nonnull (find (labels, "Non-Explicit Nudity of Intimate parts "
          "and Kissing"));
}

/* A graffiti painting (opencv-doc's graf1.png) is a drawing to the
 * network, and a drawing is never flagged: the check that pixels reach it
 * in the order and scale it was trained on (swapped channels or 0-255
 * values give a different class). */
static void
test_drawing (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MtImage) img = NULL;
  g_autoptr (GArray) labels = NULL;
  gdouble p[MT_NSFW_CLASSES];
  guint i;

  if (!have_models ())
    return;
  img = mt_image_load ("/usr/share/doc/opencv-doc/examples/data/graf1.png",
      &error);
  if (!img) {
    g_test_skip ("opencv-doc is not installed");
    return;
  }
  labels = mt_vision_detect_moderation (ctx, img, 50, p, &error);
  g_assert_no_error (error);
  g_test_message ("graf1.png: Drawing %.3f", p[MT_NSFW_DRAWING]);
  for (i = 0; i < MT_NSFW_CLASSES; i++)
    g_assert_cmpfloat (p[MT_NSFW_DRAWING], >=, p[i]);
  g_assert_cmpuint (labels->len, ==, 0);
}

static void
test_not_loaded (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MtVisionContext) faces_only = NULL;
  guint8 pixels[16 * 16 * 3] = { 0 };
  MtImage img = { pixels, 16, 16, 16 * 3, MT_PIXEL_RGB };
  g_autofree gchar *dir = g_dir_make_tmp ("mediatag-nsfw-XXXXXX", NULL);
  g_autoptr (MtVisionContext) missing = NULL;

  if (!have_models ())
    return;
  faces_only = mt_vision_context_new (NULL, MT_VISION_FACES, &error);
  g_assert_no_error (error);
  g_assert_null (mt_vision_detect_moderation (faces_only, &img, 0, NULL,
          &error));
  g_assert_error (error, MT_VISION_ERROR, MT_VISION_ERROR_NOT_LOADED);
  g_clear_error (&error);
  missing = mt_vision_context_new (dir, MT_VISION_MODERATION, &error);
  g_assert_null (missing);
  g_assert_error (error, MT_VISION_ERROR, MT_VISION_ERROR_MODEL_MISSING);
  g_assert_nonnull (strstr (error->message, "nsfw-mobilenet.onnx"));
  g_assert_nonnull (strstr (error->message, "tools/fetch-models"));
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  ctx = mt_vision_context_new (NULL, MT_VISION_MODERATION, &error);
  if (!ctx)
    g_test_message ("no models: %s", error->message);
  g_test_add_func ("/moderation/ordinary-photos", test_ordinary_photos_quiet);
  g_test_add_func ("/moderation/taxonomy", test_taxonomy);
  g_test_add_func ("/moderation/drawing", test_drawing);
  g_test_add_func ("/moderation/not-loaded", test_not_loaded);
  ret = g_test_run ();
  g_clear_pointer (&ctx, mt_vision_context_free);
  return ret;
}
