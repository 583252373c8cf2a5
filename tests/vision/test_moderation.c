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
#include "vision-test.h"

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

/* @img stretched to 1280x720 (nearest pixel), as a 16:9 video frame. */
static MtImage *
as_frame (const MtImage * img)
{
  const gint w = 1280, h = 720;
  MtImage *f = g_malloc (sizeof (MtImage) + (gsize) w * h * 3);
  guint8 *px = (guint8 *) (f + 1);
  gint x, y;

  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++)
      memcpy (px + (y * w + x) * 3, img->data + (y * img->height / h)
          * img->stride + (x * img->width / w) * 3, 3);
  *f = (MtImage) {
  px, w, h, w * 3, MT_PIXEL_BGR};
  return f;
}

/* The best label's confidence (0 for none); fails the test when it would
 * pass the default min-confidence. */
static gdouble
top_confidence (const gchar * what, const MtImage * img,
    gdouble scores[MT_NSFW_CLASSES])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) labels = mt_vision_detect_moderation (ctx, img, 0,
      scores, &error);
  const MtModerationLabel *l;

  g_assert_no_error (error);
  if (!labels->len)
    return 0;
  /* Labels come best first: the first is what the filter would keep. */
  l = &g_array_index (labels, MtModerationLabel, 0);
  if (l->confidence >= DEFAULT_MIN_CONFIDENCE)
    g_error ("%s flagged \"%s\" at %.1f", what, l->name, l->confidence);
  return l->confidence;
}

static void
test_ordinary_photos_quiet (void)
{
  g_autoptr (GPtrArray) paths = NULL;
  gdouble top = 0, top_class[MT_NSFW_CLASSES] = { 0 };
  g_autofree gchar *top_path = NULL;
  guint i, c, n = 0, flagged_at_50 = 0;

  if (!have_models_in (ctx))
    return;
  paths = ordinary_photos ();
  for (i = 0; i < paths->len; i++) {
    const gchar *path = g_ptr_array_index (paths, i);
    g_autoptr (MtImage) img = mt_image_load (path, NULL);
    g_autoptr (MtImage) frame = NULL;
    gdouble scores[MT_NSFW_CLASSES], conf;
    guint v;

    if (!img)
      continue;                 /* a PNG OpenCV reads as 16-bit, say */
    /* The photos of people and things (not opencv-doc's test patterns)
     * also as 720p frames. */
    if (!strstr (path, "opencv-doc"))
      frame = as_frame (img);
    for (v = 0; v < (frame ? 2 : 1); v++) {
      conf = top_confidence (path, v ? frame : img, scores);
      n++;
      for (c = 0; c < MT_NSFW_CLASSES; c++)
        top_class[c] = MAX (top_class[c], scores[c]);
      flagged_at_50 += conf >= 50;
      if (conf > top) {
        top = conf;
        g_free (top_path);
        top_path = g_strdup_printf ("%s%s", path, v ? " as 720p" : "");
      }
    }
  }
  g_test_message ("%u ordinary photos and frames: none flagged at min-confidence %.0f; "
      "highest label confidence %.1f (%s); flagged at 50: %u", n,
      DEFAULT_MIN_CONFIDENCE, top, top_path, flagged_at_50);
  for (c = 0; c < MT_NSFW_CLASSES; c++)
    g_test_message ("  highest %s probability: %.3f", class_names[c],
        top_class[c]);
  /* darknet 7 + opencv-doc's images and scene text + face-api's 6, and
   * 13 frames. */
  g_assert_cmpuint (n, >=, 113);
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

static void
check_label (GArray * labels, const gchar * name, const gchar * parent,
    guint level, gdouble p, guint * seen)
{
  const MtModerationLabel *l = find (labels, name);
  gdouble want = 100 * CLAMP (2 * p - 1, 0, 1);

  if (want <= 0) {
    g_assert_null (l);
    return;
  }
  g_assert_nonnull (l);
  (*seen)++;
  g_assert_cmpstr (l->parent, ==, parent);
  g_assert_cmpuint (l->level, ==, level);
  g_assert_cmpfloat (fabs (l->confidence - want), <, 1e-6);
}

/* The labels follow the network's probabilities as vision-moderation.c
 * documents, in Rekognition's shape: a group photo the network finds
 * "Sexy" and a box on a cluttered desk it finds explicit, both under the
 * default min-confidence. */
static void
test_taxonomy (void)
{
  g_autofree gchar *group = g_build_filename (g_getenv
      ("MEDIATAG_SOURCE_ROOT"), "data", "models", "npm", "face-api-1.7.15",
      "package", "demo", "sample2.jpg", NULL);
  const gchar *paths[] = { group,
    "/usr/share/doc/opencv-doc/examples/data/box_in_scene.png"
  };
  guint seen[3] = { 0 }, i, k;

  if (!have_models_in (ctx))
    return;
  if (!g_file_test (group, G_FILE_TEST_EXISTS)) {
    g_test_skip ("the face test photos are missing: run tools/fetch-models "
        "--test-media");
    return;
  }
  for (k = 0; k < G_N_ELEMENTS (paths); k++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (MtImage) img = mt_image_load (paths[k], &error);
    g_autoptr (GArray) labels = NULL;
    gdouble p[MT_NSFW_CLASSES], sum = 0, explicit_p;

    g_assert_no_error (error);
    labels = mt_vision_detect_moderation (ctx, img, 0, p, &error);
    g_assert_no_error (error);
    for (i = 0; i < MT_NSFW_CLASSES; i++)
      sum += p[i];
    g_assert_cmpfloat (fabs (sum - 1), <, 1e-3);
    explicit_p = p[MT_NSFW_PORN] + p[MT_NSFW_HENTAI];
    check_label (labels, "Explicit", "", 1, explicit_p, &seen[0]);
    check_label (labels, "Explicit Nudity", "Explicit", 2, explicit_p,
        &seen[1]);
    check_label (labels, "Non-Explicit Nudity of Intimate parts and Kissing",
        "", 1, p[MT_NSFW_SEXY], &seen[2]);
    for (i = 1; i < labels->len; i++)
      g_assert_cmpfloat (g_array_index (labels, MtModerationLabel,
              i - 1).confidence, >=, g_array_index (labels,
              MtModerationLabel, i).confidence);
    /* The filter drops what is under it, and only that. */
    for (i = 0; i < labels->len; i++) {
      const MtModerationLabel *l = &g_array_index (labels, MtModerationLabel,
          i);
      g_autoptr (GArray) above = mt_vision_detect_moderation (ctx, img,
          l->confidence + 1e-9, NULL, &error);

      g_assert_null (find (above, l->name));
      g_clear_pointer (&above, g_array_unref);
      above = mt_vision_detect_moderation (ctx, img, l->confidence, NULL,
          &error);
      g_assert_nonnull (find (above, l->name));
    }
  }
  for (i = 0; i < 3; i++)
    g_assert_cmpuint (seen[i], >, 0);
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

  if (!have_models_in (ctx))
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

  if (!have_models_in (ctx))
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
