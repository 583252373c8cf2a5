/* Local face engine: BlazeFace ("back" variant, 256x256, 896 anchors)
 * finds faces and six landmarks, on overlapping squares for wide frames;
 * FaceRes turns each face into a 1024-value descriptor plus age and
 * gender; Arriaga's mini-Xception (FER2013, as @vladmandic/human ships it)
 * gives seven emotions. When the BlazeFace model is missing, the weights-free Haar
 * cascade from Debian's opencv-data stands in, loudly. */
#include "vision-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLAZE_SIZE 256
#define BLAZE_ANCHORS 896
#define FACERES_SIZE 224
/* FaceRes was trained on crops a little wider than the detector's box. */
#define FACERES_MARGIN 1.2
/* The emotion network reads 64x64 grey crops, values -1 to 1 (human's
 * gear/emotion.ts: (grey - 0.5) * 2 on 0-1 pixels). Its crop is the
 * detector's box widened as human widens it (face.detector.scale 1.4). */
#define EMOTION_SIZE 64
#define EMOTION_MARGIN 1.4
#define FACE_NMS_IOU 0.3f
/* Faces narrower than one anchor cell (16 input pixels) are below what
 * the network was built to find; such hits are mostly texture. */
#define MIN_FACE_INPUT_PX 16.0f
/* Frames at least this much wider than high are tiled (see face_tiles). */
#define MIN_TILING_ASPECT 1.3
/* The Haar cascade gives no score: its faces all carry this confidence. */
#define FALLBACK_CONFIDENCE 50.0

#ifndef MT_HAAR_DIR
#define MT_HAAR_DIR "/usr/share/opencv4/haarcascades"
#endif

/* BlazeFace's keypoints in output order, named as seen in the image, as
 * Rekognition names them (its eyeLeft is the one on the image's left). */
static const gchar *const landmark_names[MT_FACE_MAX_LANDMARKS] = {
  "eyeLeft", "eyeRight", "nose", "mouth", "earLeft", "earRight"
};

gboolean
mt_vision_faces_init (MtVisionContext * ctx, GError ** error)
{
  g_autoptr (GError) missing = NULL;
  g_autofree gchar *cascade = NULL;

  if (ctx->features & MT_VISION_FACE_DESCRIPTORS) {
    ctx->face_descriptor = mt_vision_load_model (ctx, "faceres.onnx",
        "face descriptor", error);
    if (!ctx->face_descriptor)
      return FALSE;
  }
  if (ctx->features & MT_VISION_FACE_EMOTIONS) {
    ctx->emotion = mt_vision_load_model (ctx, "emotion.onnx",
        "face emotion", error);
    if (!ctx->emotion)
      return FALSE;
  }
  ctx->face_detector = mt_vision_load_model (ctx, "blazeface.onnx",
      "face detection", &missing);
  if (ctx->face_detector)
    return TRUE;
  if (!g_error_matches (missing, MT_VISION_ERROR,
          MT_VISION_ERROR_MODEL_MISSING)) {
    g_propagate_error (error, g_steal_pointer (&missing));
    return FALSE;
  }
  cascade = g_build_filename (MT_HAAR_DIR,
      "haarcascade_frontalface_default.xml", NULL);
  ctx->haar = mt_haar_load (cascade, NULL);
  if (!ctx->haar) {
    g_propagate_error (error, g_steal_pointer (&missing));
    return FALSE;
  }
  g_warning ("mediatag: %s. Falling back to OpenCV's Haar cascade, which "
      "misses many faces and finds false ones; results are flagged as "
      "fallback", missing->message);
  return TRUE;
}

/* Anchor centres in input pixels: 16x16 cells of 16 px with 2 anchors
 * each, then 8x8 cells of 32 px with 6 each (MediaPipe's SSD layout). */
static void
blaze_anchor (guint i, gfloat * x, gfloat * y)
{
  guint stride = 16, per = 2, grid = BLAZE_SIZE / 16, cell;

  if (i >= 512) {
    i -= 512;
    stride = 32;
    per = 6;
    grid = BLAZE_SIZE / 32;
  }
  cell = i / per;
  *x = stride * ((cell % grid) + 0.5f);
  *y = stride * ((cell / grid) + 0.5f);
}

typedef struct
{
  gfloat score;
  gfloat box[4];                /* x1 y1 x2 y2 in input pixels */
  gfloat points[MT_FACE_MAX_LANDMARKS][2];
} Candidate;

static gint
by_score (gconstpointer a, gconstpointer b)
{
  gfloat sa = ((const Candidate *) a)->score;
  gfloat sb = ((const Candidate *) b)->score;

  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

static void
decode_anchor (const gfloat * raw, guint i, Candidate * c)
{
  gfloat ax, ay, cx, cy;
  guint k;

  blaze_anchor (i, &ax, &ay);
  cx = raw[0] + ax;
  cy = raw[1] + ay;
  c->box[0] = cx - raw[2] / 2;
  c->box[1] = cy - raw[3] / 2;
  c->box[2] = cx + raw[2] / 2;
  c->box[3] = cy + raw[3] / 2;
  for (k = 0; k < MT_FACE_MAX_LANDMARKS; k++) {
    c->points[k][0] = raw[4 + 2 * k] + ax;
    c->points[k][1] = raw[5 + 2 * k] + ay;
  }
}

static GArray *
blaze_candidates (MtTensor * out, gfloat min_score)
{
  GArray *cands = g_array_new (FALSE, FALSE, sizeof (Candidate));
  guint i;

  for (i = 0; i < BLAZE_ANCHORS; i++) {
    gboolean first = i < 512;
    guint j = first ? i : i - 512;
    gfloat logit = (first ? out[0].data : out[1].data)[j];
    const gfloat *raw = (first ? out[2].data : out[3].data) + j * 16;
    Candidate c;

    c.score = 1.0f / (1.0f + expf (-CLAMP (logit, -80.0f, 80.0f)));
    if (c.score < min_score || raw[2] < MIN_FACE_INPUT_PX)
      continue;
    decode_anchor (raw, i, &c);
    g_array_append_val (cands, c);
  }
  return cands;
}

static gdouble
clamp01 (gdouble v)
{
  return CLAMP (v, 0.0, 1.0);
}

/* A candidate in image pixels to a face relative to the image. */
static MtFace *
candidate_to_face (const Candidate * c, const MtImage * img)
{
  MtFace *face = g_new0 (MtFace, 1);
  gdouble x1 = clamp01 (c->box[0] / img->width);
  gdouble y1 = clamp01 (c->box[1] / img->height);
  gdouble x2 = clamp01 (c->box[2] / img->width);
  gdouble y2 = clamp01 (c->box[3] / img->height);
  guint i;

  face->box = (MtBox) {
  x1, y1, x2 - x1, y2 - y1};
  face->confidence = 100.0 * c->score;
  face->n_landmarks = MT_FACE_MAX_LANDMARKS;
  for (i = 0; i < MT_FACE_MAX_LANDMARKS; i++) {
    face->landmarks[i].type = landmark_names[i];
    face->landmarks[i].x = clamp01 (c->points[i][0] / img->width);
    face->landmarks[i].y = clamp01 (c->points[i][1] / img->height);
  }
  return face;
}

static const gchar *const blaze_outputs[] = {
  "scores512", "scores384", "boxes512", "boxes384", NULL
};

/* Keeps the best of overlapping candidates. */
static void
add_survivors (GArray * cands, const MtImage * img, GPtrArray * faces)
{
  g_autofree gfloat (*boxes)[4] = g_malloc_n (MAX (cands->len, 1),
      sizeof *boxes);
  g_autofree gboolean *keep = g_new (gboolean, MAX (cands->len, 1));
  guint i;

  g_array_sort (cands, by_score);
  for (i = 0; i < cands->len; i++)
    memcpy (boxes[i], g_array_index (cands, Candidate, i).box, sizeof boxes[i]);
  mt_vision_nms ((const gfloat (*)[4]) boxes, cands->len, FACE_NMS_IOU, keep);
  for (i = 0; i < cands->len; i++)
    if (keep[i])
      g_ptr_array_add (faces, candidate_to_face (&g_array_index (cands,
                  Candidate, i), img));
}

/* Network input pixels of @tile to image pixels. */
static void
to_image (Candidate * c, const MtRect * tile)
{
  gfloat k = (gfloat) tile->width / BLAZE_SIZE;
  guint i;

  for (i = 0; i < 4; i++)
    c->box[i] = c->box[i] * k + (i % 2 ? tile->y : tile->x);
  for (i = 0; i < MT_FACE_MAX_LANDMARKS; i++) {
    c->points[i][0] = c->points[i][0] * k + tile->x;
    c->points[i][1] = c->points[i][1] * k + tile->y;
  }
}

static gboolean
detect_tile (MtVisionContext * ctx, const MtImage * img, const MtRect * tile,
    gfloat min_score, GArray * all, GError ** error)
{
  MtDnnInput in = { BLAZE_SIZE, BLAZE_SIZE, FALSE, {127.5f, 127.5f, 127.5f},
  {1 / 127.5f, 1 / 127.5f, 1 / 127.5f}, FALSE
  };
  MtTensor out[4] = { {0} };
  gboolean ok;
  guint i;

  g_mutex_lock (&ctx->face_lock);
  ok = mt_dnn_run (ctx->face_detector, img, tile, &in, blaze_outputs, out,
      NULL, error);
  g_mutex_unlock (&ctx->face_lock);
  if (ok && (out[0].count != 512 || out[1].count != 384
          || out[2].count != 512 * 16 || out[3].count != 384 * 16)) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_MODEL_INVALID,
        "blazeface.onnx gives unexpected outputs: run tools/fetch-models");
    ok = FALSE;
  }
  if (ok) {
    g_autoptr (GArray) cands = blaze_candidates (out, min_score);

    for (i = 0; i < cands->len; i++) {
      to_image (&g_array_index (cands, Candidate, i), tile);
      g_array_append_val (all, g_array_index (cands, Candidate, i));
    }
  }
  for (i = 0; i < 4; i++)
    mt_tensor_clear (&out[i]);
  return ok;
}

/* The detector wants squares and sees faces at 1/side of their size. A
 * frame close to square is padded to one (black below or to the right);
 * a wider one (16:9 video) is covered by overlapping squares of its short
 * side, so faces reach the network 1.8 times larger. */
static GArray *
face_tiles (const MtImage * img)
{
  GArray *tiles = g_array_new (FALSE, FALSE, sizeof (MtRect));
  gint w = img->width, h = img->height;
  gint side = MIN (w, h), span = MAX (w, h);
  gint n = (gint) ceil ((gdouble) span / side), i;

  if ((gdouble) span / side < MIN_TILING_ASPECT) {
    MtRect all = { 0, 0, span, span };

    g_array_append_val (tiles, all);
    return tiles;
  }
  for (i = 0; i < n; i++) {
    gint at = (gint) lround ((gdouble) i * (span - side) / (n - 1));
    MtRect t = { w > h ? at : 0, w > h ? 0 : at, side, side };

    g_array_append_val (tiles, t);
  }
  return tiles;
}

static gboolean
blaze_detect (MtVisionContext * ctx, const MtImage * img,
    gdouble min_confidence, GPtrArray * faces, GError ** error)
{
  g_autoptr (GArray) tiles = face_tiles (img);
  g_autoptr (GArray) cands = g_array_new (FALSE, FALSE, sizeof (Candidate));
  guint i;

  for (i = 0; i < tiles->len; i++)
    if (!detect_tile (ctx, img, &g_array_index (tiles, MtRect, i),
            min_confidence / 100.0, cands, error))
      return FALSE;
  add_survivors (cands, img, faces);
  return TRUE;
}

static gboolean
haar_detect (MtVisionContext * ctx, const MtImage * img, GPtrArray * faces,
    GError ** error)
{
  g_autoptr (GArray) rects = g_array_new (FALSE, FALSE, sizeof (MtRect));
  gboolean ok;
  guint i;

  g_mutex_lock (&ctx->face_lock);
  ok = mt_haar_detect (ctx->haar, img, rects, error);
  g_mutex_unlock (&ctx->face_lock);
  if (!ok)
    return FALSE;
  for (i = 0; i < rects->len; i++) {
    const MtRect *r = &g_array_index (rects, MtRect, i);
    MtFace *face = g_new0 (MtFace, 1);

    face->box = (MtBox) {
    (gdouble) r->x / img->width, (gdouble) r->y / img->height,
          (gdouble) r->width / img->width, (gdouble) r->height / img->height};
    face->confidence = FALLBACK_CONFIDENCE;
    face->fallback = TRUE;
    g_ptr_array_add (faces, face);
  }
  return TRUE;
}

/* The @q quantile of the age distribution (100 one-year bins). */
static guint
age_quantile (const gfloat * p, gdouble q)
{
  gdouble sum = 0;
  guint i;

  for (i = 0; i < 100; i++) {
    sum += p[i];
    if (sum >= q)
      return i;
  }
  return 99;
}

static void
set_attributes (MtFace * face, const MtTensor * out)
{
  gdouble norm = 0, age = 0, male;
  guint i;

  for (i = 0; i < MT_FACE_DESCRIPTOR_SIZE; i++)
    norm += (gdouble) out[0].data[i] * out[0].data[i];
  norm = norm > 0 ? sqrt (norm) : 1;
  for (i = 0; i < MT_FACE_DESCRIPTOR_SIZE; i++)
    face->descriptor[i] = out[0].data[i] / norm;
  face->has_descriptor = TRUE;

  male = out[1].data[0];
  face->gender = male > 0.5 ? "Male" : "Female";
  face->gender_confidence = 100.0 * MAX (male, 1.0 - male);

  /* The expected value of the network's age distribution, and its 10th
   * to 90th percentile as the range. */
  for (i = 0; i < 100; i++)
    age += i * out[2].data[i];
  face->age = age;
  face->age_low = age_quantile (out[2].data, 0.1);
  face->age_high = age_quantile (out[2].data, 0.9);
}

static const gchar *const faceres_outputs[] = {
  "descriptor", "gender", "age", NULL
};

/* A square around the face, @margin times its longer side. */
static MtRect
face_crop (const MtImage * img, const MtFace * face, gdouble margin)
{
  gdouble w = face->box.width * img->width;
  gdouble h = face->box.height * img->height;
  gdouble side = MAX (w, h) * margin;
  gdouble cx = (face->box.left + face->box.width / 2) * img->width;
  gdouble cy = (face->box.top + face->box.height / 2) * img->height;
  MtRect crop = { (gint) lround (cx - side / 2), (gint) lround (cy - side / 2),
    MAX ((gint) lround (side), 1), MAX ((gint) lround (side), 1)
  };

  return crop;
}

static gboolean
describe_face (MtVisionContext * ctx, const MtImage * img, MtFace * face,
    GError ** error)
{
  MtRect crop = face_crop (img, face, FACERES_MARGIN);
  MtDnnInput in = { FACERES_SIZE, FACERES_SIZE, FALSE, {0, 0, 0}, {1, 1, 1},
  FALSE
  };
  MtTensor out[3] = { {0} };
  gboolean ok;
  guint i;

  g_mutex_lock (&ctx->descriptor_lock);
  ok = mt_dnn_run (ctx->face_descriptor, img, &crop, &in, faceres_outputs,
      out, NULL, error);
  g_mutex_unlock (&ctx->descriptor_lock);
  if (ok && (out[0].count != MT_FACE_DESCRIPTOR_SIZE || out[1].count != 1
          || out[2].count != 100)) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_MODEL_INVALID,
        "faceres.onnx gives unexpected outputs: run tools/fetch-models");
    ok = FALSE;
  }
  if (ok)
    set_attributes (face, out);
  for (i = 0; i < 3; i++)
    mt_tensor_clear (&out[i]);
  return ok;
}

GPtrArray *
mt_vision_detect_faces (MtVisionContext * ctx, const MtImage * img,
    gdouble min_confidence, gboolean describe, GError ** error)
{
  g_autoptr (GPtrArray) faces = g_ptr_array_new_with_free_func (g_free);
  guint i;

  if (!mt_vision_check_image (img, error))
    return NULL;
  if (!(ctx->features & MT_VISION_FACES) || (describe && !ctx->face_descriptor)) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_NOT_LOADED,
        "this vision context was created without %s",
        describe ? "face descriptors" : "faces");
    return NULL;
  }
  if (ctx->face_detector) {
    if (!blaze_detect (ctx, img, min_confidence, faces, error))
      return NULL;
  } else if (!haar_detect (ctx, img, faces, error)) {
    return NULL;
  }
  for (i = 0; describe && i < faces->len; i++)
    if (!describe_face (ctx, img, g_ptr_array_index (faces, i), error))
      return NULL;
  return g_steal_pointer (&faces);
}

/* The network's classes (oarriaga/face_classification's FER2013 order, as
 * human's emotion.ts names them) as Rekognition's Emotion Types: neutral
 * becomes CALM; Rekognition's CONFUSED has no counterpart. */
static const gchar *const emotion_types[MT_FACE_EMOTIONS] = {
  "ANGRY", "DISGUSTED", "FEAR", "HAPPY", "SAD", "SURPRISED", "CALM"
};

static gint
by_emotion_confidence (gconstpointer a, gconstpointer b)
{
  gdouble ca = ((const MtEmotion *) a)->confidence;
  gdouble cb = ((const MtEmotion *) b)->confidence;

  return ca < cb ? 1 : ca > cb ? -1 : 0;
}

gboolean
mt_vision_face_emotions (MtVisionContext * ctx, const MtImage * img,
    MtFace * face, GError ** error)
{
  MtRect crop;
  MtDnnInput in = { EMOTION_SIZE, EMOTION_SIZE, FALSE, {127.5f, 0, 0},
  {1 / 127.5f, 1, 1}, FALSE, TRUE
  };
  static const gchar *const outputs[] = { "emotions", NULL };
  MtTensor out = { 0 };
  gboolean ok;
  guint i;

  if (!mt_vision_check_image (img, error))
    return FALSE;
  if (!ctx->emotion) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_NOT_LOADED,
        "this vision context was created without face emotions");
    return FALSE;
  }
  crop = face_crop (img, face, EMOTION_MARGIN);
  g_mutex_lock (&ctx->emotion_lock);
  ok = mt_dnn_run (ctx->emotion, img, &crop, &in, outputs, &out, NULL, error);
  g_mutex_unlock (&ctx->emotion_lock);
  if (ok && out.count != MT_FACE_EMOTIONS) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_MODEL_INVALID,
        "emotion.onnx gives unexpected outputs: run tools/fetch-models");
    ok = FALSE;
  }
  for (i = 0; ok && i < MT_FACE_EMOTIONS; i++) {
    face->emotions[i].type = emotion_types[i];
    face->emotions[i].confidence = 100.0 * out.data[i];
  }
  if (ok) {
    face->n_emotions = MT_FACE_EMOTIONS;
    qsort (face->emotions, MT_FACE_EMOTIONS, sizeof (MtEmotion),
        by_emotion_confidence);
  }
  mt_tensor_clear (&out);
  return ok;
}

gdouble
mt_face_cosine (const gfloat * a, const gfloat * b)
{
  gdouble dot = 0;
  guint i;

  for (i = 0; i < MT_FACE_DESCRIPTOR_SIZE; i++)
    dot += (gdouble) a[i] * b[i];
  return dot;
}

/* FaceRes cosines of the same face (another photo, crop, mirror or scale)
 * sit around 0.8 to 1, of different faces below about 0.65. A logistic
 * centred on 0.72 between the two, with slope 15, maps them to 0-100 so
 * that Rekognition's default FaceMatchThreshold of 80 means cosine 0.81,
 * 50 means 0.72, and 99 means 1.0. */
gdouble
mt_face_similarity (gdouble cosine)
{
  return 100.0 / (1.0 + exp (-15.0 * (cosine - 0.72)));
}
