/* The local engine of rekognitionsink (backend=local): labels, faces (with
 * age range, gender and emotions), face search, text and moderation with
 * libmediatag-vision, offline. Each finding becomes one result document
 * whose `detail` is shaped as Rekognition's own object (Label, FaceDetail,
 * FaceMatch, TextDetection, ModerationLabel), so consumers of the AWS
 * engine's documents read these too.
 *
 * The networks load once, at start, into one vision context shared by the
 * base's worker threads; each network runs one frame at a time. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/video/video.h>
#include <string.h>

#include "gstrekognitionsink.h"
#include "result.h"
#include "vision.h"

GST_DEBUG_CATEGORY_STATIC (engine_local_debug);
#define GST_CAT_DEFAULT engine_local_debug

/* Matches kept per searched face, as the AWS engine. */
#define MAX_FACES_PER_SEARCH 5

#define LOCAL_FEATURES (MT_REKOGNITION_LABELS | MT_REKOGNITION_FACES \
    | MT_REKOGNITION_FACE_SEARCH | MT_REKOGNITION_TEXT \
    | MT_REKOGNITION_MODERATION)

typedef struct
{
  const MtRekognitionConfig *cfg;
  guint64 features;
  MtVisionContext *vision;
  MtFaceCollection *collection;
} LocalState;

/* ---- the unit's pixels ------------------------------------------------ */

/* A frame in a format the vision library reads directly, or converted to
 * BGR; owns what it maps. */
typedef struct
{
  MtImage view;
  MtImage *decoded;
  GstVideoFrame frame;
  gboolean mapped;
  GstBuffer *converted;
} Pixels;

static void
pixels_clear (Pixels * px)
{
  if (px->mapped)
    gst_video_frame_unmap (&px->frame);
  g_clear_pointer (&px->converted, gst_buffer_unref);
  g_clear_pointer (&px->decoded, mt_image_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Pixels, pixels_clear);

static gboolean
decode_encoded (const MtUnit * unit, Pixels * px, GError ** error)
{
  GstMapInfo map;

  if (!gst_buffer_map (unit->buffer, &map, GST_MAP_READ)) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The image buffer cannot be read");
    return FALSE;
  }
  px->decoded = mt_image_decode_data (map.data, map.size, error);
  gst_buffer_unmap (unit->buffer, &map);
  if (!px->decoded)
    return FALSE;
  px->view = *px->decoded;
  return TRUE;
}

static gboolean
direct_format (GstVideoFormat f, MtPixelFormat * out)
{
  switch (f) {
    case GST_VIDEO_FORMAT_RGB:
      *out = MT_PIXEL_RGB;
      return TRUE;
    case GST_VIDEO_FORMAT_BGR:
      *out = MT_PIXEL_BGR;
      return TRUE;
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_RGBA:
      *out = MT_PIXEL_RGBX;
      return TRUE;
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_BGRA:
      *out = MT_PIXEL_BGRX;
      return TRUE;
    case GST_VIDEO_FORMAT_GRAY8:
      *out = MT_PIXEL_GRAY8;
      return TRUE;
    default:
      return FALSE;
  }
}

/* YUV and the x/A-first RGB layouts become BGR, in process. */
static GstBuffer *
convert_to_bgr (GstVideoInfo * in, GstBuffer * buffer, GstVideoInfo * out)
{
  GstVideoConverter *conv;
  GstVideoFrame src, dst;
  GstBuffer *bgr;

  gst_video_info_set_format (out, GST_VIDEO_FORMAT_BGR, in->width, in->height);
  /* The converter refuses a rate change: keep the input's. */
  GST_VIDEO_INFO_FPS_N (out) = GST_VIDEO_INFO_FPS_N (in);
  GST_VIDEO_INFO_FPS_D (out) = GST_VIDEO_INFO_FPS_D (in);
  bgr = gst_buffer_new_allocate (NULL, out->size, NULL);
  if (!gst_video_frame_map (&src, in, buffer, GST_MAP_READ)) {
    gst_buffer_unref (bgr);
    return NULL;
  }
  gst_video_frame_map (&dst, out, bgr, GST_MAP_WRITE);
  conv = gst_video_converter_new (in, out, NULL);
  gst_video_converter_frame (conv, &src, &dst);
  gst_video_converter_free (conv);
  gst_video_frame_unmap (&dst);
  gst_video_frame_unmap (&src);
  return bgr;
}

static gboolean
map_raw (const MtUnit * unit, Pixels * px, GError ** error)
{
  GstVideoInfo info, bgr_info;
  GstBuffer *buffer = unit->buffer;
  MtPixelFormat format;

  if (!gst_video_info_from_caps (&info, unit->caps))
    goto invalid;
  if (!direct_format (GST_VIDEO_INFO_FORMAT (&info), &format)) {
    px->converted = convert_to_bgr (&info, unit->buffer, &bgr_info);
    if (!px->converted)
      goto invalid;
    buffer = px->converted;
    info = bgr_info;
    format = MT_PIXEL_BGR;
  }
  if (!gst_video_frame_map (&px->frame, &info, buffer, GST_MAP_READ))
    goto invalid;
  px->mapped = TRUE;
  px->view.data = GST_VIDEO_FRAME_PLANE_DATA (&px->frame, 0);
  px->view.width = GST_VIDEO_FRAME_WIDTH (&px->frame);
  px->view.height = GST_VIDEO_FRAME_HEIGHT (&px->frame);
  px->view.stride = GST_VIDEO_FRAME_PLANE_STRIDE (&px->frame, 0);
  px->view.format = format;
  return TRUE;

invalid:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "The video frame does not match its caps");
  return FALSE;
}

static gboolean
get_pixels (const MtUnit * unit, Pixels * px, GError ** error)
{
  GstStructure *s;

  if (!unit->caps) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The buffer came without caps");
    return FALSE;
  }
  s = gst_caps_get_structure (unit->caps, 0);
  if (gst_structure_has_name (s, "video/x-raw"))
    return map_raw (unit, px, error);
  return decode_encoded (unit, px, error);
}

/* ---- Rekognition-shaped details ---------------------------------------- */

static JsonObject *
bbox_object (const MtBox * b)
{
  JsonObject *o = json_object_new ();

  json_object_set_double_member (o, "Width", b->width);
  json_object_set_double_member (o, "Height", b->height);
  json_object_set_double_member (o, "Left", b->left);
  json_object_set_double_member (o, "Top", b->top);
  return o;
}

static void
add_doc (GPtrArray * results, const gchar * analysis, const gchar * engine,
    const gchar * name, gdouble confidence, const MtBox * box,
    JsonObject * detail)
{
  JsonObject *r = mt_result_new (analysis, engine, name, confidence);

  if (box)
    mt_result_set_box (r, box->left, box->top, box->width, box->height);
  mt_result_set_detail (r, detail);
  json_object_unref (detail);
  g_ptr_array_add (results, r);
}

static JsonObject *
label_detail (const MtLabel * l)
{
  JsonObject *o = json_object_new ();
  JsonArray *instances = json_array_new (), *parents = json_array_new ();
  guint i;

  json_object_set_string_member (o, "Name", l->name);
  json_object_set_double_member (o, "Confidence", l->confidence);
  for (i = 0; i < l->instances->len; i++) {
    const MtInstance *inst = &g_array_index (l->instances, MtInstance, i);
    JsonObject *io = json_object_new ();

    json_object_set_object_member (io, "BoundingBox", bbox_object (&inst->box));
    json_object_set_double_member (io, "Confidence", inst->confidence);
    json_array_add_object_element (instances, io);
  }
  for (i = 0; i < l->parents->len; i++) {
    JsonObject *p = json_object_new ();

    json_object_set_string_member (p, "Name", g_ptr_array_index (l->parents,
            i));
    json_array_add_object_element (parents, p);
  }
  json_object_set_array_member (o, "Instances", instances);
  json_object_set_array_member (o, "Parents", parents);
  return o;
}

/* Rekognition's FaceDetail.Emotions: [{Type, Confidence}], best first. */
static JsonArray *
emotions_array (const MtFace * f)
{
  JsonArray *a = json_array_new ();
  guint i;

  for (i = 0; i < f->n_emotions; i++) {
    JsonObject *e = json_object_new ();

    json_object_set_string_member (e, "Type", f->emotions[i].type);
    json_object_set_double_member (e, "Confidence", f->emotions[i].confidence);
    json_array_add_object_element (a, e);
  }
  return a;
}

static JsonObject *
face_detail (const MtFace * f)
{
  JsonObject *o = json_object_new ();
  JsonArray *marks = json_array_new ();
  guint i;

  json_object_set_object_member (o, "BoundingBox", bbox_object (&f->box));
  json_object_set_double_member (o, "Confidence", f->confidence);
  for (i = 0; i < f->n_landmarks; i++) {
    JsonObject *m = json_object_new ();

    json_object_set_string_member (m, "Type", f->landmarks[i].type);
    json_object_set_double_member (m, "X", f->landmarks[i].x);
    json_object_set_double_member (m, "Y", f->landmarks[i].y);
    json_array_add_object_element (marks, m);
  }
  json_object_set_array_member (o, "Landmarks", marks);
  if (f->has_descriptor) {
    JsonObject *age = json_object_new (), *gender = json_object_new ();

    json_object_set_int_member (age, "Low", f->age_low);
    json_object_set_int_member (age, "High", f->age_high);
    json_object_set_object_member (o, "AgeRange", age);
    json_object_set_string_member (gender, "Value", f->gender);
    json_object_set_double_member (gender, "Confidence", f->gender_confidence);
    json_object_set_object_member (o, "Gender", gender);
  }
  if (f->n_emotions)
    json_object_set_array_member (o, "Emotions", emotions_array (f));
  if (f->fallback)
    json_object_set_boolean_member (o, "Fallback", TRUE);
  return o;
}

static JsonObject *
match_detail (const MtFaceMatch * m)
{
  JsonObject *o = json_object_new (), *face = json_object_new ();

  json_object_set_double_member (o, "Similarity", m->similarity);
  json_object_set_string_member (face, "FaceId", m->face.face_id);
  json_object_set_object_member (face, "BoundingBox",
      bbox_object (&m->face.box));
  json_object_set_string_member (face, "ImageId", m->face.image_id);
  if (m->face.external_id)
    json_object_set_string_member (face, "ExternalImageId",
        m->face.external_id);
  json_object_set_double_member (face, "Confidence", m->face.confidence);
  json_object_set_object_member (o, "Face", face);
  return o;
}

static JsonObject *
text_detail (const MtText * t)
{
  JsonObject *o = json_object_new (), *geometry = json_object_new ();

  json_object_set_string_member (o, "DetectedText", t->text);
  json_object_set_string_member (o, "Type",
      t->type == MT_TEXT_LINE ? "LINE" : "WORD");
  json_object_set_int_member (o, "Id", t->id);
  if (t->parent_id >= 0)
    json_object_set_int_member (o, "ParentId", t->parent_id);
  json_object_set_double_member (o, "Confidence", t->confidence);
  json_object_set_object_member (geometry, "BoundingBox",
      bbox_object (&t->box));
  json_object_set_object_member (o, "Geometry", geometry);
  return o;
}

/* ---- features --------------------------------------------------------- */

static gboolean
detect_labels (LocalState * st, const MtImage * img, GPtrArray * results,
    GError ** error)
{
  g_autoptr (GPtrArray) labels = mt_vision_detect_labels (st->vision, img,
      st->cfg->min_confidence, error);
  guint i, j, n;

  if (!labels)
    return FALSE;
  n = st->cfg->max_labels ? MIN (st->cfg->max_labels, labels->len)
      : labels->len;
  for (i = 0; i < n; i++) {
    const MtLabel *l = g_ptr_array_index (labels, i);

    /* As the AWS engine: one document per instance, or one for a label
     * without instances (a parent). */
    if (l->instances->len == 0)
      add_doc (results, MT_ANALYSIS_LABEL, "local:centernet", l->name,
          l->confidence, NULL, label_detail (l));
    for (j = 0; j < l->instances->len; j++) {
      const MtInstance *inst = &g_array_index (l->instances, MtInstance, j);

      add_doc (results, MT_ANALYSIS_LABEL, "local:centernet", l->name,
          inst->confidence, &inst->box, label_detail (l));
    }
  }
  return TRUE;
}

static gboolean
search_face (LocalState * st, const MtFace * face, GPtrArray * results,
    GError ** error)
{
  g_autoptr (GPtrArray) matches = mt_face_collection_search (st->collection,
      face->descriptor, st->cfg->min_confidence, MAX_FACES_PER_SEARCH, error);
  guint i;

  if (!matches)
    return FALSE;
  for (i = 0; i < matches->len; i++) {
    const MtFaceMatch *m = g_ptr_array_index (matches, i);

    add_doc (results, MT_ANALYSIS_FACEMATCH, "local:faceres",
        m->face.external_id ? m->face.external_id : m->face.face_id,
        m->similarity, &face->box, match_detail (m));
  }
  return TRUE;
}

/* As the AWS engine, which asks DetectFaces for Attributes ALL, the faces
 * feature gives every face its age range, gender and emotions; face search
 * alone needs only the descriptors. */
static gboolean
detect_faces (LocalState * st, const MtImage * img, GPtrArray * results,
    GError ** error)
{
  gboolean search = (st->features & MT_REKOGNITION_FACE_SEARCH) != 0;
  gboolean attributes = (st->features & MT_REKOGNITION_FACES) != 0;
  g_autoptr (GPtrArray) faces = mt_vision_detect_faces (st->vision, img,
      st->cfg->min_confidence, search || attributes, error);
  guint i;

  if (!faces)
    return FALSE;
  for (i = 0; i < faces->len; i++) {
    MtFace *f = g_ptr_array_index (faces, i);

    if (attributes && !mt_vision_face_emotions (st->vision, img, f, error))
      return FALSE;
    if (attributes)
      add_doc (results, MT_ANALYSIS_FACE,
          f->fallback ? "local:haarcascade" : "local:blazeface", "Face",
          f->confidence, &f->box, face_detail (f));
    if (search && !search_face (st, f, results, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
detect_text (LocalState * st, const MtImage * img, GPtrArray * results,
    GError ** error)
{
  guint roi = st->cfg->text_roi ? st->cfg->text_roi : MT_TEXT_ROI_ALL;
  g_autoptr (GPtrArray) texts = mt_vision_detect_text (st->vision, img,
      MT_TEXT_MODE_AUTO, roi, st->cfg->min_confidence, error);
  guint i;

  if (!texts)
    return FALSE;
  for (i = 0; i < texts->len; i++) {
    const MtText *t = g_ptr_array_index (texts, i);

    add_doc (results, MT_ANALYSIS_TEXT, "local:tesseract", t->text,
        t->confidence, &t->box, text_detail (t));
  }
  return TRUE;
}

static JsonObject *
moderation_detail (const MtModerationLabel * l)
{
  JsonObject *o = json_object_new ();

  json_object_set_double_member (o, "Confidence", l->confidence);
  json_object_set_string_member (o, "Name", l->name);
  json_object_set_string_member (o, "ParentName", l->parent);
  json_object_set_int_member (o, "TaxonomyLevel", l->level);
  return o;
}

/* One document per ModerationLabel, at most max-labels, as the AWS engine. */
static gboolean
detect_moderation (LocalState * st, const MtImage * img, GPtrArray * results,
    GError ** error)
{
  g_autoptr (GArray) labels = mt_vision_detect_moderation (st->vision, img,
      st->cfg->min_confidence, NULL, error);
  guint i, n;

  if (!labels)
    return FALSE;
  n = st->cfg->max_labels ? MIN (st->cfg->max_labels, labels->len)
      : labels->len;
  for (i = 0; i < n; i++) {
    const MtModerationLabel *l = &g_array_index (labels, MtModerationLabel, i);

    add_doc (results, MT_ANALYSIS_MODERATION, "local:nsfwjs", l->name,
        l->confidence, NULL, moderation_detail (l));
  }
  return TRUE;
}

/* ---- the vtable ------------------------------------------------------- */

static gboolean
local_analyze (gpointer state, const MtEngineContext * ctx,
    const MtUnit * unit, GPtrArray * results, GCancellable * c, GError ** error)
{
  LocalState *st = state;
  g_auto (Pixels) px = { {0}, };
  guint64 f = st->features;
  gboolean ok;

  if (!get_pixels (unit, &px, error))
    return FALSE;
  ok = !g_cancellable_set_error_if_cancelled (c, error);
  if (ok && (f & MT_REKOGNITION_LABELS))
    ok = detect_labels (st, &px.view, results, error);
  if (ok && (f & (MT_REKOGNITION_FACES | MT_REKOGNITION_FACE_SEARCH)))
    ok = detect_faces (st, &px.view, results, error);
  if (ok && (f & MT_REKOGNITION_MODERATION))
    ok = detect_moderation (st, &px.view, results, error);
  if (ok && (f & MT_REKOGNITION_TEXT))
    ok = !g_cancellable_set_error_if_cancelled (c, error)
        && detect_text (st, &px.view, results, error);
  return ok;
}

static void
local_stop (gpointer state)
{
  LocalState *st = state;

  g_clear_pointer (&st->vision, mt_vision_context_free);
  g_clear_pointer (&st->collection, mt_face_collection_free);
  g_free (st);
}

static MtVisionFeatures
vision_features (guint64 f)
{
  MtVisionFeatures v = 0;

  if (f & MT_REKOGNITION_LABELS)
    v |= MT_VISION_LABELS;
  if (f & MT_REKOGNITION_FACES)
    v |= MT_VISION_FACE_DESCRIPTORS | MT_VISION_FACE_EMOTIONS;
  if (f & MT_REKOGNITION_FACE_SEARCH)
    v |= MT_VISION_FACE_DESCRIPTORS;
  if (f & MT_REKOGNITION_TEXT)
    v |= MT_VISION_TEXT;
  if (f & MT_REKOGNITION_MODERATION)
    v |= MT_VISION_MODERATION;
  return v;
}

static gboolean
open_collection (LocalState * st, GError ** error)
{
  const gchar *id = st->cfg->collection_id;
  g_autoptr (GError) err = NULL;

  if (!id || !*id) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "face-search needs collection-id: the local face collection to "
        "search (make one with `mediatag faces index ID IMAGE "
        "--external-id NAME`)");
    return FALSE;
  }
  st->collection = mt_face_collection_open (NULL, id, FALSE, &err);
  if (st->collection)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s. Index faces "
      "with `mediatag faces index %s IMAGE --external-id NAME`",
      err->message, id);
  return FALSE;
}

static gboolean
local_start (const MtEngineContext * ctx, gpointer * state, GError ** error)
{
  static gsize debug_once = 0;
  LocalState *st;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (engine_local_debug, "rekognition-local", 0,
        "rekognitionsink local engine");
    g_once_init_leave (&debug_once, 1);
  }
  st = g_new0 (LocalState, 1);
  st->cfg = ctx->config;
  st->features = ctx->features & LOCAL_FEATURES;
  if ((st->features & MT_REKOGNITION_FACE_SEARCH)
      && !open_collection (st, error))
    goto failed;
  st->vision = mt_vision_context_new (NULL, vision_features (st->features),
      error);
  if (!st->vision)
    goto failed;
  if (mt_vision_context_face_fallback (st->vision))
    GST_ELEMENT_WARNING (ctx->element, RESOURCE, NOT_FOUND, ("The face "
            "detection model is not installed, so faces come from OpenCV's "
            "Haar cascade, which misses many: run tools/fetch-models."),
        (NULL));
  GST_INFO_OBJECT (ctx->element, "local vision engines loaded");
  *state = st;
  return TRUE;

failed:
  local_stop (st);
  return FALSE;
}

const MtEngine mt_rekognition_engine_local = {
  .backend = "local",
  .name = "local:vision",
  .features = LOCAL_FEATURES,
  .start = local_start,
  .analyze = local_analyze,
  .stop = local_stop,
};
