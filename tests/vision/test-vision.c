/* Tests of libmediatag-vision on media no one in the project made: Debian
 * darknet's photos (labels), @vladmandic/face-api's group photos (faces,
 * face search), opencv-doc's scene-text photos, and signs and documents
 * rendered here by ImageMagick and pango-view. Each test prints the
 * precision and recall it measured (g_test_message). */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "vision.h"
#include "vision-test.h"

static MtVisionContext *ctx;
static gchar *tmp_dir;

#define DARKNET "/usr/share/darknet/data"
#define SCENETEXT "/usr/share/doc/opencv-doc/examples/text"

/* ---- helpers ---------------------------------------------------------- */

/* Runs a command that writes @file in tmp_dir, then loads it. */
static MtImage *
render (const gchar * file, const gchar * const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *err = NULL;
  gint status = 0;

  g_spawn_sync (tmp_dir, (gchar **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
      NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (status != 0)
    g_error ("%s failed: %s", argv[0], err);
  {
    g_autofree gchar *path = g_build_filename (tmp_dir, file, NULL);

    return load (path);
  }
}

/* A new BGR image: the pixels follow the header, as mt_image_load's. */
static MtImage *
new_image (gint w, gint h)
{
  MtImage *img = g_malloc0 (sizeof (MtImage) + (gsize) w * h * 3);

  img->data = (guint8 *) (img + 1);
  img->width = w;
  img->height = h;
  img->stride = w * 3;
  img->format = MT_PIXEL_BGR;
  return img;
}

static guint8 *
pixels (MtImage * img)
{
  return (guint8 *) img->data;
}

static MtImage *
mirror (const MtImage * src)
{
  MtImage *dst = new_image (src->width, src->height);
  gint x, y;

  for (y = 0; y < src->height; y++)
    for (x = 0; x < src->width; x++)
      memcpy (pixels (dst) + y * dst->stride + x * 3,
          src->data + y * src->stride + (src->width - 1 - x) * 3, 3);
  return dst;
}

/* Half size, each pixel the mean of a 2x2 block. */
static MtImage *
half (const MtImage * src)
{
  MtImage *dst = new_image (src->width / 2, src->height / 2);
  gint x, y, c;

  for (y = 0; y < dst->height; y++)
    for (x = 0; x < dst->width; x++)
      for (c = 0; c < 3; c++) {
        const guint8 *p = src->data + 2 * y * src->stride + 2 * x * 3 + c;

        pixels (dst)[y * dst->stride + x * 3 + c] =
            (p[0] + p[3] + p[src->stride] + p[src->stride + 3] + 2) / 4;
      }
  return dst;
}

/* The part of @src inside @box grown by @margin of its size each side. */
static MtImage *
crop_around (const MtImage * src, const MtBox * box, gdouble margin)
{
  gint x0 = MAX (0, (box->left - margin * box->width) * src->width);
  gint y0 = MAX (0, (box->top - margin * box->height) * src->height);
  gint x1 = MIN (src->width,
      (box->left + (1 + margin) * box->width) * src->width);
  gint y1 = MIN (src->height,
      (box->top + (1 + margin) * box->height) * src->height);
  MtImage *dst = new_image (x1 - x0, y1 - y0);
  gint y;

  for (y = 0; y < dst->height; y++)
    memcpy (pixels (dst) + y * dst->stride,
        src->data + (y0 + y) * src->stride + x0 * 3, dst->width * 3);
  return dst;
}

static GPtrArray *
faces_of (const MtImage * img, gboolean describe)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *faces = mt_vision_detect_faces (ctx, img, 60, describe, &error);

  g_assert_no_error (error);
  return faces;
}

static const MtFace *
largest (GPtrArray * faces)
{
  const MtFace *best = NULL;
  guint i;

  for (i = 0; i < faces->len; i++) {
    const MtFace *f = g_ptr_array_index (faces, i);

    if (!best || f->box.width * f->box.height >
        best->box.width * best->box.height)
      best = f;
  }
  g_assert_nonnull (best);
  return best;
}

/* ---- context and errors ----------------------------------------------- */

static void
test_missing_model (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MtVisionContext) c = mt_vision_context_new (tmp_dir,
      MT_VISION_LABELS, &error);

  g_assert_null (c);
  g_assert_error (error, MT_VISION_ERROR, MT_VISION_ERROR_MODEL_MISSING);
  g_assert_nonnull (strstr (error->message, "tools/fetch-models"));
  g_assert_nonnull (strstr (error->message, "centernet.onnx"));
}

static void
test_haar_fallback (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MtVisionContext) c = NULL;
  g_autoptr (MtImage) img = NULL;
  g_autoptr (GPtrArray) faces = NULL;
  g_autofree gchar *photo = face_photo (6);

  if (!have_face_photos_in (ctx))
    return;
  g_test_expect_message ("mediatag", G_LOG_LEVEL_WARNING,
      "*Haar cascade*fallback*");
  c = mt_vision_context_new (tmp_dir, MT_VISION_FACES, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_true (mt_vision_context_face_fallback (c));
  img = load (photo);
  faces = mt_vision_detect_faces (c, img, 60, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (faces->len, >, 0);
  g_assert_true (((MtFace *) g_ptr_array_index (faces, 0))->fallback);
  g_test_message ("Haar fallback: %u faces in sample6 (4 there)", faces->len);
  /* Descriptors need their model: asking for them is an error. */
  g_clear_pointer (&faces, g_ptr_array_unref);
  faces = mt_vision_detect_faces (c, img, 60, TRUE, &error);
  g_assert_null (faces);
  g_assert_error (error, MT_VISION_ERROR, MT_VISION_ERROR_NOT_LOADED);
}

static void
test_invalid_image (void)
{
  g_autoptr (GError) error = NULL;
  guint8 px[12] = { 0 };
  MtImage img = { px, 2, 2, 3, MT_PIXEL_RGB };  /* stride too short */
  g_autoptr (MtImage) none = mt_image_load ("/nonexistent.jpg", &error);

  g_assert_null (none);
  g_assert_error (error, MT_VISION_ERROR, MT_VISION_ERROR_INVALID_IMAGE);
  g_clear_error (&error);
  if (!have_models_in (ctx))
    return;
  g_assert_null (mt_vision_detect_labels (ctx, &img, 30, &error));
  g_assert_error (error, MT_VISION_ERROR, MT_VISION_ERROR_INVALID_IMAGE);
}

/* ---- labels ----------------------------------------------------------- */

typedef struct
{
  const gchar *file;
  /* What is in the photo, in Rekognition's names; the first is the main
   * object, which must be found. */
  const gchar *truth[4];
} LabelCase;

static const LabelCase label_cases[] = {
  {"dog.jpg", {"Dog", "Bicycle", "Truck"}},
  {"horses.jpg", {"Horse"}},
  {"person.jpg", {"Person", "Dog", "Horse"}},
  {"giraffe.jpg", {"Giraffe", "Zebra"}},
  {"kite.jpg", {"Kite", "Person"}},
  {"eagle.jpg", {"Bird"}},
};

static gboolean
in_truth (const LabelCase * lc, const gchar * name)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (lc->truth) && lc->truth[i]; i++)
    if (!strcmp (lc->truth[i], name))
      return TRUE;
  return FALSE;
}

static const MtLabel *
find_label (GPtrArray * labels, const gchar * name)
{
  guint i;

  for (i = 0; i < labels->len; i++) {
    const MtLabel *l = g_ptr_array_index (labels, i);

    if (!strcmp (l->name, name))
      return l;
  }
  return NULL;
}

static void
score_labels (const LabelCase * lc, GPtrArray * labels, guint * tp,
    guint * fp, guint * fn)
{
  guint i;

  for (i = 0; i < labels->len; i++) {
    const MtLabel *l = g_ptr_array_index (labels, i);

    /* Parent labels are derived, not detected: scored through their
     * children. */
    if (l->instances->len == 0)
      continue;
    if (in_truth (lc, l->name))
      (*tp)++;
    else
      (*fp)++;
  }
  for (i = 0; i < G_N_ELEMENTS (lc->truth) && lc->truth[i]; i++)
    if (!find_label (labels, lc->truth[i]))
      (*fn)++;
}

static void
test_labels_darknet (void)
{
  guint tp = 0, fp = 0, fn = 0, i;

  if (!have_models_in (ctx))
    return;
  for (i = 0; i < G_N_ELEMENTS (label_cases); i++) {
    const LabelCase *lc = &label_cases[i];
    g_autofree gchar *path = g_build_filename (DARKNET, lc->file, NULL);
    g_autoptr (MtImage) img = load (path);
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) labels = mt_vision_detect_labels (ctx, img, 60,
        &error);

    g_assert_no_error (error);
    if (!find_label (labels, lc->truth[0]))
      g_error ("%s: main object %s not found", lc->file, lc->truth[0]);
    score_labels (lc, labels, &tp, &fp, &fn);
  }
  g_test_message ("labels on darknet photos (min confidence 60): "
      "precision %.2f (%u/%u), recall %.2f (%u/%u)", (gdouble) tp / (tp + fp),
      tp, tp + fp, (gdouble) tp / (tp + fn), tp, tp + fn);
  g_assert_cmpfloat ((gdouble) tp / (tp + fn), >=, 0.75);
  g_assert_cmpfloat ((gdouble) tp / (tp + fp), >=, 0.75);
}

static gdouble
iou (const MtBox * a, const MtBox * b)
{
  gdouble w = MIN (a->left + a->width, b->left + b->width)
      - MAX (a->left, b->left);
  gdouble h = MIN (a->top + a->height, b->top + b->height)
      - MAX (a->top, b->top);

  if (w <= 0 || h <= 0)
    return 0;
  return w * h / (a->width * a->height + b->width * b->height - w * h);
}

static void
test_labels_boxes_and_parents (void)
{
  g_autoptr (MtImage) img = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  g_autoptr (GError) error = NULL;
  const MtLabel *dog, *animal, *horses;
  /* darknet's own YOLO box for the dog in dog.jpg (768x576). */
  MtBox truth = { 124 / 768.0, 207 / 576.0, 195 / 768.0, 334 / 576.0 };

  if (!have_models_in (ctx))
    return;
  img = load (DARKNET "/dog.jpg");
  labels = mt_vision_detect_labels (ctx, img, 60, &error);
  g_assert_no_error (error);
  dog = find_label (labels, "Dog");
  g_assert_nonnull (dog);
  g_assert_cmpuint (dog->instances->len, ==, 1);
  /* PASCAL VOC's match rule: IoU of at least 0.5. */
  g_assert_cmpfloat (iou (&g_array_index (dog->instances, MtInstance,
              0).box, &truth), >=, 0.5);
  g_assert_cmpuint (dog->parents->len, >, 0);
  animal = find_label (labels, "Animal");
  g_assert_nonnull (animal);
  g_assert_cmpuint (animal->instances->len, ==, 0);
  g_assert_cmpfloat (animal->confidence, ==, dog->confidence);

  g_clear_pointer (&img, mt_image_free);
  g_clear_pointer (&labels, g_ptr_array_unref);
  img = load (DARKNET "/horses.jpg");
  labels = mt_vision_detect_labels (ctx, img, 50, &error);
  g_assert_no_error (error);
  horses = find_label (labels, "Horse");
  g_assert_nonnull (horses);
  /* horses.jpg shows four horses, one mostly hidden. */
  g_assert_cmpuint (horses->instances->len, >=, 3);
  g_assert_cmpuint (horses->instances->len, <=, 4);
}

/* ---- faces ------------------------------------------------------------ */

/* Face centres (relative) in the face-api sample photos, checked by eye. */
static const gdouble face_truth[6][5][2] = {
  {{0.27, 0.39}, {0.82, 0.27}, {0.49, 0.44}},
  {{0.81, 0.21}, {0.23, 0.21}, {0.52, 0.30}},
  {{0.36, 0.36}, {0.62, 0.28}, {0.81, 0.34}},
  {{0.39, 0.14}, {0.56, 0.23}, {0.17, 0.23}, {0.71, 0.20}},
  {{0.45, 0.17}, {0.79, 0.39}, {0.35, 0.39}, {0.63, 0.25}, {0.24, 0.75}},
  {{0.18, 0.42}, {0.66, 0.31}, {0.40, 0.33}, {0.83, 0.28}},
};

static const guint face_count[6] = { 3, 3, 3, 4, 5, 4 };

static guint
match_faces (guint photo, GPtrArray * faces)
{
  gboolean used[5] = { FALSE };
  guint tp = 0, i, j;

  for (i = 0; i < faces->len; i++) {
    const MtFace *f = g_ptr_array_index (faces, i);
    gdouble cx = f->box.left + f->box.width / 2;
    gdouble cy = f->box.top + f->box.height / 2;

    for (j = 0; j < face_count[photo]; j++)
      if (!used[j] && fabs (cx - face_truth[photo][j][0]) < 0.05
          && fabs (cy - face_truth[photo][j][1]) < 0.07) {
        used[j] = TRUE;
        tp++;
        break;
      }
  }
  return tp;
}

static void
check_face_shape (const MtFace * f)
{
  const MtBox *b = &f->box;

  g_assert_cmpuint (f->n_landmarks, ==, 6);
  g_assert_cmpstr (f->landmarks[0].type, ==, "eyeLeft");
  /* Eyes inside the box, eyeLeft on the image's left, above the mouth. */
  g_assert_cmpfloat (f->landmarks[0].x, <, f->landmarks[1].x);
  g_assert_cmpfloat (f->landmarks[0].x, >, b->left);
  g_assert_cmpfloat (f->landmarks[1].x, <, b->left + b->width);
  g_assert_cmpfloat (f->landmarks[0].y, <, f->landmarks[3].y);
  g_assert_true (f->has_descriptor);
  /* The photos show women in their twenties and thirties. */
  g_assert_cmpstr (f->gender, ==, "Female");
  g_assert_cmpfloat (f->age, >, 15);
  g_assert_cmpfloat (f->age, <, 45);
  g_assert_cmpuint (f->age_low, <=, (guint) f->age);
  g_assert_cmpuint (f->age_high, >=, (guint) f->age);
}

static void
test_faces_group_photos (void)
{
  guint tp = 0, found = 0, truth = 0, n, i;

  if (!have_face_photos_in (ctx))
    return;
  for (n = 0; n < 6; n++) {
    g_autofree gchar *path = face_photo (n + 1);
    g_autoptr (MtImage) img = load (path);
    g_autoptr (GPtrArray) faces = faces_of (img, TRUE);

    tp += match_faces (n, faces);
    found += faces->len;
    truth += face_count[n];
    for (i = 0; i < faces->len; i++)
      check_face_shape (g_ptr_array_index (faces, i));
  }
  g_test_message ("faces in 6 group photos: precision %.2f (%u/%u), "
      "recall %.2f (%u/%u)", (gdouble) tp / found, tp, found,
      (gdouble) tp / truth, tp, truth);
  g_assert_cmpfloat ((gdouble) tp / found, >=, 0.95);
  g_assert_cmpfloat ((gdouble) tp / truth, >=, 0.9);
}

static void
test_faces_none (void)
{
  static const gchar *const photos[] = {
    "dog.jpg", "horses.jpg", "giraffe.jpg", "eagle.jpg"
  };
  guint i;

  if (!have_models_in (ctx))
    return;
  /* Animals, a bicycle, a car: no human face. */
  for (i = 0; i < G_N_ELEMENTS (photos); i++) {
    g_autofree gchar *path = g_build_filename (DARKNET, photos[i], NULL);
    g_autoptr (MtImage) img = load (path);
    g_autoptr (GPtrArray) faces = faces_of (img, FALSE);

    if (faces->len)
      g_error ("%s: %u false faces", photos[i], faces->len);
  }
}

/* The same photo as RGB, RGBx (with padded rows) and grey: the pixel
 * layouts a caller may hand in. */
static MtImage *
repack (const MtImage * src, MtPixelFormat format)
{
  static const gint bpp[] = { 3, 3, 4, 4, 1 };
  gint stride = src->width * bpp[format] + 16;
  MtImage *dst = g_malloc0 (sizeof (MtImage) + (gsize) stride * src->height);
  gint x, y;

  dst->data = (guint8 *) (dst + 1);
  dst->width = src->width;
  dst->height = src->height;
  dst->stride = stride;
  dst->format = format;
  for (y = 0; y < src->height; y++)
    for (x = 0; x < src->width; x++) {
      const guint8 *bgr = src->data + y * src->stride + x * 3;
      guint8 *p = pixels (dst) + y * stride + x * bpp[format];

      if (format == MT_PIXEL_GRAY8) {
        p[0] = (bgr[0] * 29 + bgr[1] * 150 + bgr[2] * 77) >> 8;
        continue;
      }
      p[0] = bgr[2];
      p[1] = bgr[1];
      p[2] = bgr[0];
    }
  return dst;
}

static void
test_faces_pixel_formats (void)
{
  static const MtPixelFormat formats[] = {
    MT_PIXEL_RGB, MT_PIXEL_RGBX, MT_PIXEL_GRAY8
  };
  g_autofree gchar *path = NULL;
  g_autoptr (MtImage) img = NULL;
  g_autoptr (GPtrArray) ref = NULL;
  guint i;

  if (!have_face_photos_in (ctx))
    return;
  path = face_photo (4);
  img = load (path);
  ref = faces_of (img, TRUE);
  g_assert_cmpuint (ref->len, ==, 4);
  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    g_autoptr (MtImage) other = repack (img, formats[i]);
    g_autoptr (GPtrArray) faces = faces_of (other, TRUE);
    const MtFace *a = g_ptr_array_index (ref, 0);
    const MtFace *b = g_ptr_array_index (faces, 0);
    gdouble cos = mt_face_cosine (a->descriptor, b->descriptor);

    g_test_message ("format %d: descriptor cosine to BGR %.4f",
        formats[i], cos);
    g_assert_cmpuint (faces->len, ==, ref->len);
    g_assert_cmpfloat (iou (&a->box, &b->box), >, 0.8);
    /* The same colours in another layout give the same descriptor; grey
     * loses colour, not the face. */
    g_assert_cmpfloat (cos, >, formats[i] == MT_PIXEL_GRAY8 ? 0.8 : 0.999);
  }
}

/* ---- face collection and search --------------------------------------- */

static MtFaceCollection *
new_collection (const gchar * name)
{
  g_autoptr (GError) error = NULL;
  MtFaceCollection *coll = mt_face_collection_open (tmp_dir, name, TRUE,
      &error);

  g_assert_no_error (error);
  return coll;
}

/* Indexes every face of photos 1-3 as "pN-fM"; returns them by name. */
static GHashTable *
index_people (MtFaceCollection * coll)
{
  GHashTable *people = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  guint n, i;

  for (n = 1; n <= 3; n++) {
    g_autofree gchar *path = face_photo (n);
    g_autoptr (MtImage) img = load (path);
    g_autoptr (GPtrArray) faces = faces_of (img, TRUE);

    for (i = 0; i < faces->len; i++) {
      g_autoptr (GError) error = NULL;
      gchar *name = g_strdup_printf ("p%u-f%u", n, i);
      g_autofree gchar *id = mt_face_collection_index (coll,
          g_ptr_array_index (faces, i), name, path, &error);

      g_assert_no_error (error);
      g_hash_table_insert (people, name, g_memdup2 (g_ptr_array_index (faces,
                  i), sizeof (MtFace)));
    }
  }
  return people;
}

/* The face of @faces whose box overlaps @where most. */
static const MtFace *
face_at (GPtrArray * faces, const MtBox * where)
{
  const MtFace *best = NULL;
  gdouble best_iou = 0;
  guint i;

  for (i = 0; i < faces->len; i++) {
    const MtFace *f = g_ptr_array_index (faces, i);
    gdouble v = iou (&f->box, where);

    if (v > best_iou) {
      best = f;
      best_iou = v;
    }
  }
  return best;
}

/* The best match of the face at @where in @img, or NULL. */
static gchar *
best_match (MtFaceCollection * coll, const MtImage * img,
    const MtBox * where, gdouble * sim)
{
  g_autoptr (GPtrArray) faces = faces_of (img, TRUE);
  g_autoptr (GPtrArray) matches = NULL;
  g_autoptr (GError) error = NULL;
  const MtFace *face = face_at (faces, where);
  const MtFaceMatch *m;

  if (!face)
    return NULL;
  matches = mt_face_collection_search (coll, face->descriptor, 80, 1, &error);
  g_assert_no_error (error);
  if (matches->len == 0)
    return NULL;
  m = g_ptr_array_index (matches, 0);
  *sim = m->similarity;
  return g_strdup (m->face.external_id);
}

/* Searches with the face at @where of @variant (which it frees). */
static void
check_variant (MtFaceCollection * coll, MtImage * variant,
    const MtBox * where, const gchar * want, const gchar * what,
    guint * right, guint * total)
{
  gdouble sim = 0;
  g_autofree gchar *got = best_match (coll, variant, where, &sim);

  g_test_message ("search by %s of %s: %s (similarity %.1f)", what, want,
      got ? got : "no match", sim);
  (*total)++;
  if (!g_strcmp0 (got, want))
    (*right)++;
  mt_image_free (variant);
}

static void
test_face_search (void)
{
  g_autoptr (MtFaceCollection) coll = NULL;
  g_autoptr (GHashTable) people = NULL;
  guint right = 0, total = 0, strangers = 0, n;
  gdouble stranger_max = 0;

  if (!have_face_photos_in (ctx))
    return;
  coll = new_collection ("search");
  people = index_people (coll);
  g_assert_cmpuint (g_hash_table_size (people), ==, 9);

  /* Photos 1-3, changed: the largest face must match its own name. */
  for (n = 1; n <= 3; n++) {
    g_autofree gchar *path = face_photo (n);
    g_autoptr (MtImage) img = load (path);
    g_autoptr (GPtrArray) faces = faces_of (img, TRUE);
    const MtFace *big = largest (faces);
    MtBox flipped = big->box, in_crop;
    g_autofree gchar *want = NULL;
    MtImage *cropped;
    guint i;

    for (i = 0; i < faces->len; i++)
      if (g_ptr_array_index (faces, i) == big)
        want = g_strdup_printf ("p%u-f%u", n, i);
    flipped.left = 1 - big->box.left - big->box.width;
    cropped = crop_around (img, &big->box, 0.8);
    /* In the crop the face is in the middle, 1/2.6 of its size. */
    in_crop = (MtBox) {
    0.8 / 2.6, 0.8 / 2.6, 1 / 2.6, 1 / 2.6};
    check_variant (coll, cropped, &in_crop, want, "crop", &right, &total);
    check_variant (coll, mirror (img), &flipped, want, "mirror", &right,
        &total);
    check_variant (coll, half (img), &big->box, want, "half-size", &right,
        &total);
  }
  /* Photos 4-6 show other people: nobody may match. */
  for (n = 4; n <= 6; n++) {
    g_autofree gchar *path = face_photo (n);
    g_autoptr (MtImage) img = load (path);
    g_autoptr (GPtrArray) faces = faces_of (img, TRUE);
    guint i;

    for (i = 0; i < faces->len; i++) {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) m = mt_face_collection_search (coll,
          ((MtFace *) g_ptr_array_index (faces, i))->descriptor, 0, 1, &error);
      gdouble best;

      g_assert_no_error (error);
      g_assert_cmpuint (m->len, ==, 1);
      best = ((MtFaceMatch *) g_ptr_array_index (m, 0))->similarity;
      stranger_max = MAX (stranger_max, best);
      strangers += best < 80;
    }
  }
  g_test_message ("face search: %u/%u changed faces matched the right name; "
      "%u/13 strangers matched nobody at 80 (best stranger similarity %.1f)",
      right, total, strangers, stranger_max);
  g_assert_cmpuint (right, ==, total);
  g_assert_cmpuint (strangers, ==, 13);
}

static void
test_collection_store (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MtFaceCollection) coll = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) matches = NULL;
  g_autofree gchar *id1 = NULL, *id2 = NULL;
  MtFace a = { {0.1, 0.2, 0.3, 0.4}, 99.0 }, b = a;
  MtIndexedFace *f;

  /* Two orthogonal unit descriptors: cosine 1 with itself, 0 across. */
  a.has_descriptor = b.has_descriptor = TRUE;
  a.descriptor[0] = 1;
  b.descriptor[1] = 1;
  coll = new_collection ("store");
  id1 = mt_face_collection_index (coll, &a, "alice", "img-1", &error);
  g_assert_no_error (error);
  id2 = mt_face_collection_index (coll, &b, "bob", "img-2", &error);
  g_assert_no_error (error);
  g_clear_pointer (&coll, mt_face_collection_free);

  /* Reopened, as another process would: the faces are on disk. */
  coll = mt_face_collection_open (tmp_dir, "store", FALSE, &error);
  g_assert_no_error (error);
  list = mt_face_collection_list (coll, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  f = g_ptr_array_index (list, 0);
  g_assert_cmpstr (f->face_id, ==, id1);
  g_assert_cmpstr (f->external_id, ==, "alice");
  g_assert_cmpstr (f->image_id, ==, "img-1");
  g_assert_cmpfloat (f->box.height, ==, 0.4);

  matches = mt_face_collection_search (coll, b.descriptor, 80, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (matches->len, ==, 1);
  g_assert_cmpstr (((MtFaceMatch *) g_ptr_array_index (matches,
              0))->face.external_id, ==, "bob");
  g_assert_cmpfloat (((MtFaceMatch *) g_ptr_array_index (matches,
              0))->similarity, >, 98);

  g_assert_true (mt_face_collection_delete (coll, id2, &error));
  g_clear_pointer (&list, g_ptr_array_unref);
  list = mt_face_collection_list (coll, &error);
  g_assert_cmpuint (list->len, ==, 1);
}

static void
test_collection_names (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MtFaceCollection) coll = NULL;
  g_autofree gchar *dir = g_build_filename (tmp_dir, "env-faces", NULL);
  g_autofree gchar *file = g_build_filename (dir, "fromenv.sqlite", NULL);

  coll = mt_face_collection_open (tmp_dir, "../escape", TRUE, &error);
  g_assert_null (coll);
  g_assert_error (error, MT_VISION_ERROR, MT_VISION_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  coll = mt_face_collection_open (tmp_dir, "absent", FALSE, &error);
  g_assert_null (coll);
  g_assert_error (error, MT_VISION_ERROR, MT_VISION_ERROR_COLLECTION);
  g_clear_error (&error);

  /* MEDIATAG_FACES_DIR (set in main, before any thread) is the default
   * directory. */
  coll = mt_face_collection_open (NULL, "fromenv", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mt_face_collection_path (coll), ==, file);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
}

static void
test_similarity_scale (void)
{
  /* The documented calibration points. */
  g_assert_cmpfloat_with_epsilon (mt_face_similarity (0.72), 50, 0.01);
  g_assert_cmpfloat (mt_face_similarity (0.81), >, 79);
  g_assert_cmpfloat (mt_face_similarity (0.81), <, 81);
  g_assert_cmpfloat (mt_face_similarity (1.0), >, 98);
  g_assert_cmpfloat (mt_face_similarity (0.6), <, 15);
}

/* ---- text ------------------------------------------------------------- */

static gchar *
normalise (const gchar * word)
{
  GString *s = g_string_new (NULL);
  const gchar *p;

  for (p = word; *p; p++)
    if (g_ascii_isalnum (*p))
      g_string_append_c (s, g_ascii_tolower (*p));
  return g_string_free (s, FALSE);
}

/* Word-level precision and recall of the WORD results against @truth
 * (space-separated words; each may be matched once). */
static void
score_words (GPtrArray * results, const gchar * truth, guint * tp,
    guint * found, guint * expected)
{
  g_auto (GStrv) words = g_strsplit_set (truth, " \n", -1);
  g_autoptr (GHashTable) left = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  guint i;

  for (i = 0; words[i]; i++) {
    gchar *w = normalise (words[i]);
    guint n = GPOINTER_TO_UINT (g_hash_table_lookup (left, w));

    if (!*w) {
      g_free (w);
      continue;
    }
    (*expected)++;
    g_hash_table_insert (left, w, GUINT_TO_POINTER (n + 1));
  }
  for (i = 0; i < results->len; i++) {
    const MtText *t = g_ptr_array_index (results, i);
    g_autofree gchar *w = NULL;
    guint n;

    if (t->type != MT_TEXT_WORD)
      continue;
    w = normalise (t->text);
    if (!*w)
      continue;
    (*found)++;
    n = GPOINTER_TO_UINT (g_hash_table_lookup (left, w));
    if (n > 0) {
      (*tp)++;
      g_hash_table_insert (left, g_strdup (w), GUINT_TO_POINTER (n - 1));
    }
  }
}

static GPtrArray *
text_of (const MtImage * img, MtTextMode mode, guint cells)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *t = mt_vision_detect_text (ctx, img, mode, cells, 0, &error);

  g_assert_no_error (error);
  return t;
}

static const MtText *
find_line (GPtrArray * results, const gchar * text)
{
  guint i;

  for (i = 0; i < results->len; i++) {
    const MtText *t = g_ptr_array_index (results, i);

    if (t->type == MT_TEXT_LINE && !strcmp (t->text, text))
      return t;
  }
  return NULL;
}

/* A line holding the word @word. */
static const MtText *
find_word_line (GPtrArray * results, const gchar * word)
{
  guint i;

  for (i = 0; i < results->len; i++) {
    const MtText *t = g_ptr_array_index (results, i);

    if (t->type == MT_TEXT_LINE && strstr (t->text, word))
      return t;
  }
  return NULL;
}

static MtImage *
render_sign (void)
{
  const gchar *const argv[] = { "/usr/bin/convert", "-size", "1280x720",
    "xc:#3a5f3a", "-fill", "white", "-stroke", "black", "-draw",
    "rectangle 300,200 980,420", "-fill", "black", "-stroke", "none",
    "-font", "DejaVu-Sans-Bold", "-pointsize", "72", "-draw",
    "text 360,290 'MAIN STREET'", "-pointsize", "48", "-draw",
    "text 420,380 'Exit 42 Downtown'", "sign.png", NULL
  };

  return render ("sign.png", argv);
}

static void
test_text_sign (void)
{
  g_autoptr (MtImage) img = NULL;
  g_autoptr (GPtrArray) t = NULL;
  const MtText *line;
  guint i, words = 0;

  if (!have_models_in (ctx))
    return;
  img = render_sign ();
  t = text_of (img, MT_TEXT_MODE_AUTO, MT_TEXT_ROI_ALL);
  line = find_line (t, "MAIN STREET");
  g_assert_nonnull (line);
  g_assert_nonnull (find_line (t, "Exit 42 Downtown"));
  /* Drawn from x=360, baseline 290, 72 pt: the box must hold that. */
  g_assert_cmpfloat (fabs (line->box.left - 360 / 1280.0), <, 0.02);
  g_assert_cmpfloat (line->box.top, >, 200 / 720.0);
  g_assert_cmpfloat (line->box.top + line->box.height, <, 310 / 720.0);
  g_assert_cmpfloat (line->confidence, >, 80);
  for (i = 0; i < t->len; i++) {
    const MtText *w = g_ptr_array_index (t, i);

    if (w->type != MT_TEXT_WORD || w->parent_id != (gint) line->id)
      continue;
    words++;
    g_assert_true (!strcmp (w->text, "MAIN") || !strcmp (w->text, "STREET"));
    g_assert_cmpfloat (w->box.left, >=, line->box.left - 0.01);
  }
  g_assert_cmpuint (words, ==, 2);
}

static void
test_text_region_of_interest (void)
{
  const gchar *const argv[] = { "/usr/bin/convert", "-size", "1280x720",
    "xc:white", "-fill", "black", "-font", "DejaVu-Sans-Bold",
    "-pointsize", "56", "-draw", "text 60,120 'NORTH GATE'", "-draw",
    "text 880,640 'SOUTH EXIT'", "roi.png", NULL
  };
  g_autoptr (MtImage) img = NULL;
  g_autoptr (GPtrArray) all = NULL, top_left = NULL, bottom = NULL,
      centre = NULL;

  if (!have_models_in (ctx))
    return;
  img = render ("roi.png", argv);
  /* The filter is under test, not the reading ("NORTH" can come out
   * "NORIH"): lines are found by one word. */
  all = text_of (img, MT_TEXT_MODE_SCENE, MT_TEXT_ROI_ALL);
  g_assert_nonnull (find_word_line (all, "GATE"));
  g_assert_nonnull (find_word_line (all, "EXIT"));
  /* Cell 0 is the top-left ninth, 8 the bottom-right one. */
  top_left = text_of (img, MT_TEXT_MODE_SCENE, MT_TEXT_ROI_CELL (0));
  g_assert_nonnull (find_word_line (top_left, "GATE"));
  g_assert_null (find_word_line (top_left, "EXIT"));
  bottom = text_of (img, MT_TEXT_MODE_SCENE, MT_TEXT_ROI_CELL (6)
      | MT_TEXT_ROI_CELL (7) | MT_TEXT_ROI_CELL (8));
  g_assert_null (find_word_line (bottom, "GATE"));
  g_assert_nonnull (find_word_line (bottom, "EXIT"));
  centre = text_of (img, MT_TEXT_MODE_SCENE, MT_TEXT_ROI_CELL (4));
  g_assert_cmpuint (centre->len, ==, 0);
}

static const gchar document_text[] =
    "Quarterly Report 2024\n\n"
    "Revenue grew by twelve percent in the third quarter,\n"
    "driven by strong demand for cloud services and new\n"
    "customers in Europe and Asia. Operating costs fell\n"
    "slightly while headcount remained stable.\n\n"
    "The board approved a dividend of forty cents per share\n"
    "and a new buyback programme worth two hundred million.\n"
    "Outlook for the next year remains positive overall.\n";

static void
test_text_document (void)
{
  g_autofree gchar *src = g_build_filename (tmp_dir, "doc.txt", NULL);
  const gchar *const argv[] = { "/usr/bin/pango-view", "--font=DejaVu Serif 14",
    "--dpi=100", "--margin=40", "-q", "-o", "doc.png", src, NULL
  };
  g_autoptr (MtImage) img = NULL;
  g_autoptr (GPtrArray) t = NULL;
  guint tp = 0, found = 0, expected = 0;

  if (!have_models_in (ctx))
    return;
  g_assert_true (g_file_set_contents (src, document_text, -1, NULL));
  img = render ("doc.png", argv);
  t = text_of (img, MT_TEXT_MODE_AUTO, MT_TEXT_ROI_ALL);
  score_words (t, document_text, &tp, &found, &expected);
  g_test_message ("document words: precision %.2f (%u/%u), recall %.2f "
      "(%u/%u)", (gdouble) tp / found, tp, found, (gdouble) tp / expected,
      tp, expected);
  g_assert_nonnull (find_line (t, "Quarterly Report 2024"));
  g_assert_cmpfloat ((gdouble) tp / expected, >=, 0.95);
  g_assert_cmpfloat ((gdouble) tp / found, >=, 0.95);
}

typedef struct
{
  const gchar *file;
  const gchar *words;
} SceneCase;

/* What the signs in opencv-doc's scene-text photos say, read by eye. */
static const SceneCase scenes[] = {
  {"scenetext01.jpg", "NOTICE DOUBLE PARKING PROHIBITED AT ALL TIMES"},
  {"scenetext02.jpg", "Sports Centre Wivenhoe Park Conference Centre "
        "Car Parks"},
  {"scenetext03.jpg", "the copy centre"},
  {"scenetext04.jpg", "GM 125"},
  {"scenetext05.jpg", "NO PARKING NO PARKING"},
  {"scenetext06.jpg", "priory galleries at the ship priory galleries the "
        "ship"},
};

/* Keeps the results at or above @min (what min-confidence would). */
static GPtrArray *
confident (GPtrArray * all, gdouble min)
{
  GPtrArray *kept = g_ptr_array_new ();
  guint i;

  for (i = 0; i < all->len; i++)
    if (((MtText *) g_ptr_array_index (all, i))->confidence >= min)
      g_ptr_array_add (kept, g_ptr_array_index (all, i));
  return kept;
}

static void
test_text_scenes (void)
{
  guint tp = 0, found = 0, expected = 0, i;
  guint tp80 = 0, found80 = 0, expected80 = 0;

  if (!have_models_in (ctx))
    return;
  for (i = 0; i < G_N_ELEMENTS (scenes); i++) {
    g_autofree gchar *path = g_build_filename (SCENETEXT, scenes[i].file,
        NULL);
    g_autoptr (MtImage) img = load (path);
    g_autoptr (GPtrArray) t = text_of (img, MT_TEXT_MODE_AUTO, MT_TEXT_ROI_ALL);
    g_autoptr (GPtrArray) t80 = confident (t, 80);
    guint before = tp;

    score_words (t, scenes[i].words, &tp, &found, &expected);
    score_words (t80, scenes[i].words, &tp80, &found80, &expected80);
    g_test_message ("%s: %u words right", scenes[i].file, tp - before);
  }
  g_test_message ("scene text words (opencv-doc photos): precision %.2f "
      "(%u/%u), recall %.2f (%u/%u); at min confidence 80: precision %.2f "
      "(%u/%u), recall %.2f (%u/%u)", (gdouble) tp / found, tp, found,
      (gdouble) tp / expected, tp, expected, (gdouble) tp80 / found80, tp80,
      found80, (gdouble) tp80 / expected80, tp80, expected80);
  g_assert_cmpfloat ((gdouble) tp / expected, >=, 0.6);
  g_assert_cmpfloat ((gdouble) tp / found, >=, 0.6);
  /* Confidence means something: the confident words are mostly right. */
  g_assert_cmpfloat ((gdouble) tp80 / found80, >=, 0.85);
}

/* ---- threads ---------------------------------------------------------- */

static gpointer
count_faces (gpointer data)
{
  guint total = 0, i;

  for (i = 0; i < 3; i++) {
    g_autoptr (GPtrArray) faces = faces_of (data, TRUE);

    total += faces->len;
  }
  return GUINT_TO_POINTER (total);
}

static void
test_shared_context (void)
{
  g_autofree gchar *path = NULL;
  g_autoptr (MtImage) img = NULL;
  GThread *threads[3];
  guint i;

  if (!have_face_photos_in (ctx))
    return;
  path = face_photo (5);
  img = load (path);
  /* One context, three threads at once: every run sees the same faces. */
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("faces", count_faces, img);
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (g_thread_join (threads[i])), ==, 15);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("mediatag-vision-XXXXXX", &error);
  g_assert_no_error (error);
  {
    g_autofree gchar *faces = g_build_filename (tmp_dir, "env-faces", NULL);

    g_setenv ("MEDIATAG_FACES_DIR", faces, TRUE);
  }
  ctx = mt_vision_context_new (NULL, MT_VISION_FACE_DESCRIPTORS
      | MT_VISION_LABELS | MT_VISION_TEXT, &error);
  if (!ctx)
    g_test_message ("no vision context: %s", error->message);

  g_test_add_func ("/vision/context/missing-model", test_missing_model);
  g_test_add_func ("/vision/context/invalid-image", test_invalid_image);
  g_test_add_func ("/vision/faces/haar-fallback", test_haar_fallback);
  g_test_add_func ("/vision/faces/group-photos", test_faces_group_photos);
  g_test_add_func ("/vision/faces/none", test_faces_none);
  g_test_add_func ("/vision/faces/pixel-formats", test_faces_pixel_formats);
  g_test_add_func ("/vision/faces/shared-context", test_shared_context);
  g_test_add_func ("/vision/collection/store", test_collection_store);
  g_test_add_func ("/vision/collection/names", test_collection_names);
  g_test_add_func ("/vision/collection/similarity", test_similarity_scale);
  g_test_add_func ("/vision/collection/search", test_face_search);
  g_test_add_func ("/vision/labels/darknet", test_labels_darknet);
  g_test_add_func ("/vision/labels/boxes-parents",
      test_labels_boxes_and_parents);
  g_test_add_func ("/vision/text/sign", test_text_sign);
  g_test_add_func ("/vision/text/region-of-interest",
      test_text_region_of_interest);
  g_test_add_func ("/vision/text/document", test_text_document);
  g_test_add_func ("/vision/text/scenes", test_text_scenes);
  ret = g_test_run ();

  mt_vision_context_free (ctx);
  {
    g_autoptr (GDir) d = g_dir_open (tmp_dir, 0, NULL);
    const gchar *name;

    while (d && (name = g_dir_read_name (d))) {
      g_autofree gchar *p = g_build_filename (tmp_dir, name, NULL);
      g_autofree gchar *inner = g_build_filename (p, "fromenv.sqlite", NULL);

      g_remove (inner);
      g_remove (p);
    }
    g_rmdir (tmp_dir);
  }
  g_free (tmp_dir);
  return ret;
}
