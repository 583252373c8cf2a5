/* Face attributes of libmediatag-vision (age range, gender, emotions) on
 * photos no one in the project made: @vladmandic/face-api's six group
 * photos (22 faces) and opencv-doc's messi5.jpg. No labelled face set
 * reaches these machines, so the labels here were read by eye, once, by
 * one engineer: the 22 faces are women, all adults; 11 of them smile
 * openly. Each test prints what it measured (g_test_message); the
 * assertions keep a margin of one face under the figures measured when
 * the labels were made (gender 22/22, smile 19/22). */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "vision.h"
#include "vision-test.h"

static MtVisionContext *ctx;

#define OPENCV_DATA "/usr/share/doc/opencv-doc/examples/data"

/* One face as seen by eye: the top-left corner of its BlazeFace box
 * (relative), and whether it smiles openly. */
typedef struct
{
  guint photo;
  gdouble left;
  gdouble top;
  gboolean smiles;
} Labelled;

static const Labelled labelled[] = {
  {1, 0.77, 0.20, TRUE}, {1, 0.22, 0.32, FALSE}, {1, 0.44, 0.36, FALSE},
  {2, 0.76, 0.14, FALSE}, {2, 0.46, 0.20, FALSE}, {2, 0.18, 0.14, FALSE},
  {3, 0.56, 0.19, TRUE}, {3, 0.30, 0.28, FALSE}, {3, 0.77, 0.26, TRUE},
  {4, 0.35, 0.09, FALSE}, {4, 0.51, 0.15, TRUE}, {4, 0.12, 0.18, FALSE},
  {4, 0.67, 0.14, TRUE},
  {5, 0.73, 0.31, FALSE}, {5, 0.40, 0.11, FALSE}, {5, 0.30, 0.34, TRUE},
  {5, 0.58, 0.19, TRUE}, {5, 0.18, 0.67, TRUE},
  {6, 0.12, 0.35, TRUE}, {6, 0.60, 0.23, FALSE}, {6, 0.34, 0.25, TRUE},
  {6, 0.77, 0.21, TRUE},
};

/* Rekognition's EmotionName values (botocore's rekognition model). */
static const gchar *const emotion_names[] = {
  "HAPPY", "SAD", "ANGRY", "CONFUSED", "DISGUSTED", "SURPRISED", "CALM",
  "UNKNOWN", "FEAR", NULL
};

/* Faces with age, gender and emotions. */
static GPtrArray *
attributes (const MtImage * img, gdouble min_confidence)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *faces = mt_vision_detect_faces (ctx, img, min_confidence, TRUE,
      &error);
  guint i;

  g_assert_no_error (error);
  for (i = 0; i < faces->len; i++) {
    g_assert_true (mt_vision_face_emotions (ctx, img,
            g_ptr_array_index (faces, i), &error));
    g_assert_no_error (error);
  }
  return faces;
}

/* The detected face whose box corner is nearest (@left, @top), if within
 * a tenth of the image. */
static const MtFace *
face_at (GPtrArray * faces, gdouble left, gdouble top)
{
  const MtFace *best = NULL;
  gdouble best_d = 0.1;
  guint i;

  for (i = 0; i < faces->len; i++) {
    const MtFace *f = g_ptr_array_index (faces, i);
    gdouble d = hypot (f->box.left - left, f->box.top - top);

    if (d < best_d) {
      best_d = d;
      best = f;
    }
  }
  return best;
}

static void
check_shape (const MtFace * f)
{
  gdouble sum = 0;
  guint i, j;

  g_assert_true (f->has_descriptor);
  g_assert_cmpuint (f->age_low, <=, f->age_high);
  g_assert_cmpuint (f->age_high, <=, 99);
  g_assert_cmpfloat (f->age, >=, f->age_low);
  g_assert_cmpfloat (f->age, <=, f->age_high + 1);
  g_assert_true (g_str_equal (f->gender, "Male")
      || g_str_equal (f->gender, "Female"));
  g_assert_cmpfloat (f->gender_confidence, >=, 50);
  g_assert_cmpfloat (f->gender_confidence, <=, 100);
  g_assert_cmpuint (f->n_emotions, ==, MT_FACE_EMOTIONS);
  for (i = 0; i < f->n_emotions; i++) {
    g_assert_true (g_strv_contains (emotion_names, f->emotions[i].type));
    for (j = 0; j < i; j++)
      g_assert_cmpstr (f->emotions[j].type, !=, f->emotions[i].type);
    if (i > 0)
      g_assert_cmpfloat (f->emotions[i - 1].confidence, >=,
          f->emotions[i].confidence);
    sum += f->emotions[i].confidence;
  }
  /* The network's softmax: the seven add up to 100. */
  g_assert_cmpfloat (fabs (sum - 100), <, 0.1);
}

static void
test_shape_and_accuracy (void)
{
  guint i, n = 0, female = 0, smile_agree = 0, adult = 0;
  gdouble width = 0;

  if (!have_face_photos_in (ctx))
    return;
  for (i = 1; i <= 6; i++) {
    g_autofree gchar *path = face_photo (i);
    g_autoptr (MtImage) img = load (path);
    g_autoptr (GPtrArray) faces = attributes (img, 60);
    guint k;

    for (k = 0; k < G_N_ELEMENTS (labelled); k++) {
      const Labelled *l = &labelled[k];
      const MtFace *f;

      if (l->photo != i)
        continue;
      f = face_at (faces, l->left, l->top);
      g_assert_nonnull (f);
      check_shape (f);
      n++;
      female += g_str_equal (f->gender, "Female");
      smile_agree += g_str_equal (f->emotions[0].type, "HAPPY") == l->smiles;
      adult += f->age >= 18 && f->age <= 45;
      width += f->age_high - f->age_low;
    }
  }
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (labelled));
  g_test_message ("face-api photos, %u faces labelled by eye: gender right "
      "%u/%u; top emotion HAPPY exactly when the face smiles: %u/%u; age "
      "estimate 18-45 (all are adults): %u/%u; mean AgeRange width %.1f "
      "years", n, female, n, smile_agree, n, adult, n, width / n);
  g_assert_cmpuint (female, >=, n - 1);
  g_assert_cmpuint (smile_agree, >=, 18);
  g_assert_cmpuint (adult, ==, n);
}

/* A man: Lionel Messi in opencv-doc's messi5.jpg. */
static void
test_male_face (void)
{
  g_autofree gchar *path = g_build_filename (OPENCV_DATA, "messi5.jpg", NULL);
  g_autoptr (MtImage) img = NULL;
  g_autoptr (GPtrArray) faces = NULL;
  const MtFace *f;

  if (!ctx) {
    g_test_skip ("the vision models are not installed");
    return;
  }
  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_test_skip ("opencv-doc is not installed");
    return;
  }
  img = load (path);
  faces = attributes (img, 60);
  f = face_at (faces, 0.41, 0.28);
  g_assert_nonnull (f);
  check_shape (f);
  g_test_message ("messi5.jpg: %s (%.0f), age %.0f [%u-%u], %s %.0f",
      f->gender, f->gender_confidence, f->age, f->age_low, f->age_high,
      f->emotions[0].type, f->emotions[0].confidence);
  g_assert_cmpstr (f->gender, ==, "Male");
}

/* A mirrored face keeps its attributes: what a re-encoded or flipped
 * frame of the same shot should give. */
static void
test_mirror_stable (void)
{
  g_autofree gchar *path = face_photo (3);
  g_autoptr (MtImage) img = NULL;
  g_autoptr (MtImage) flipped = NULL;
  g_autoptr (GPtrArray) a = NULL;
  g_autoptr (GPtrArray) b = NULL;
  guint i;

  if (!have_face_photos_in (ctx))
    return;
  img = load (path);
  flipped = g_malloc (sizeof (MtImage) + (gsize) img->stride * img->height);
  *flipped = *img;
  flipped->data = (guint8 *) (flipped + 1);
  for (i = 0; i < (guint) (img->width * img->height); i++) {
    guint y = i / img->width, x = i % img->width;

    memcpy ((guint8 *) flipped->data + y * img->stride + x * 3,
        img->data + y * img->stride + (img->width - 1 - x) * 3, 3);
  }
  a = attributes (img, 60);
  b = attributes (flipped, 60);
  g_assert_cmpuint (a->len, ==, b->len);
  for (i = 0; i < a->len; i++) {
    const MtFace *fa = g_ptr_array_index (a, i);
    const MtFace *fb = face_at (b, 1 - fa->box.left - fa->box.width,
        fa->box.top);

    g_assert_nonnull (fb);
    g_assert_cmpstr (fa->gender, ==, fb->gender);
    g_assert_cmpstr (fa->emotions[0].type, ==, fb->emotions[0].type);
    g_assert_cmpfloat (fabs (fa->age - fb->age), <, 5);
  }
}

static void
test_not_loaded (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MtVisionContext) faces_only = NULL;
  MtFace face = { {0.25, 0.25, 0.5, 0.5}, 90 };
  guint8 pixels[16 * 16 * 3] = { 0 };
  MtImage img = { pixels, 16, 16, 16 * 3, MT_PIXEL_RGB };

  if (!ctx) {
    g_test_skip ("the vision models are not installed");
    return;
  }
  faces_only = mt_vision_context_new (NULL, MT_VISION_FACES, &error);
  g_assert_no_error (error);
  g_assert_false (mt_vision_face_emotions (faces_only, &img, &face, &error));
  g_assert_error (error, MT_VISION_ERROR, MT_VISION_ERROR_NOT_LOADED);
}

static void
test_missing_model (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("mediatag-emotion-XXXXXX", NULL);
  g_autoptr (MtVisionContext) c = NULL;

  c = mt_vision_context_new (dir, MT_VISION_FACE_EMOTIONS, &error);
  g_assert_null (c);
  g_assert_error (error, MT_VISION_ERROR, MT_VISION_ERROR_MODEL_MISSING);
  g_assert_nonnull (strstr (error->message, "emotion.onnx"));
  g_assert_nonnull (strstr (error->message, "tools/fetch-models"));
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  ctx = mt_vision_context_new (NULL, MT_VISION_FACE_DESCRIPTORS
      | MT_VISION_FACE_EMOTIONS, &error);
  if (!ctx)
    g_test_message ("no models: %s", error->message);
  g_test_add_func ("/face-attributes/labelled-photos",
      test_shape_and_accuracy);
  g_test_add_func ("/face-attributes/male", test_male_face);
  g_test_add_func ("/face-attributes/mirror", test_mirror_stable);
  g_test_add_func ("/face-attributes/not-loaded", test_not_loaded);
  g_test_add_func ("/face-attributes/missing-model", test_missing_model);
  ret = g_test_run ();
  g_clear_pointer (&ctx, mt_vision_context_free);
  return ret;
}
