/* The AWS engine of rekognitionsink: one unit (an image or a video frame)
 * becomes one Rekognition call per requested feature, and each detection in
 * the answers becomes one result document with the service's object kept
 * verbatim in `detail`.
 *
 * Images go to the service as bytes, kept under the API's limits by
 * re-encoding or scaling down (never rejected for size); raw frames are
 * encoded as JPEG. Decoding, scaling and encoding use GStreamer's own
 * elements, so every format the sink pad accepts works. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "awsclient.h"
#include "awserror.h"
#include "gstrekognitionsink.h"
#include "image.h"
#include "models.h"
#include "result.h"

GST_DEBUG_CATEGORY_STATIC (engine_aws_debug);
#define GST_CAT_DEFAULT engine_aws_debug

#define MAX_IMAGE_BYTES (5 * 1024 * 1024)
#define MAX_CUSTOM_LABELS_IMAGE_BYTES (4 * 1024 * 1024)
/* SearchFacesByImage wants a face it can find again in the crop. */
#define MIN_FACE_CROP 50
#define FACE_CROP_MARGIN 0.25
#define CONVERT_TIMEOUT (30 * GST_SECOND)
#define MODEL_START_TIMEOUT_S 3600
/* Matches kept per searched face: the best few, as Media2Cloud does. */
#define MAX_FACES_PER_SEARCH 5

typedef struct
{
  MtAwsClient *client;
  const MtRekognitionConfig *cfg;
  guint64 features;
  GstElement *element;
} AwsState;

/* One unit's image, as it goes to the service. */
typedef struct
{
  GBytes *bytes;                /* JPEG or PNG, within MAX_IMAGE_BYTES */
  GBytes *small;                /* within the custom-labels limit */
  GstSample *rgb;               /* decoded, for face crops (lazily) */
} Image;

static void
image_clear (Image * img)
{
  g_clear_pointer (&img->bytes, g_bytes_unref);
  g_clear_pointer (&img->small, g_bytes_unref);
  g_clear_pointer (&img->rgb, gst_sample_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Image, image_clear);

/* Image preparation (decoding and shrinking: core's image.h) */

static gboolean
is_encoded (const MtUnit * unit)
{
  GstStructure *s = gst_caps_get_structure (unit->caps, 0);

  return gst_structure_has_name (s, "image/jpeg")
      || gst_structure_has_name (s, "image/png");
}

static GstSample *
raw_sample (const MtUnit * unit, GError ** error)
{
  if (is_encoded (unit))
    return mt_image_decode (unit->buffer, unit->caps, CONVERT_TIMEOUT, error);
  return gst_sample_new (unit->buffer, unit->caps, NULL, NULL);
}

static GBytes *
prepare_bytes (const MtUnit * unit, gsize limit, GError ** error)
{
  g_autoptr (GstSample) sample = NULL;

  if (!unit->caps) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The buffer came without caps");
    return NULL;
  }
  if (is_encoded (unit) && gst_buffer_get_size (unit->buffer) <= limit)
    return mt_image_buffer_bytes (unit->buffer);
  if (!(sample = raw_sample (unit, error)))
    return NULL;
  return mt_image_jpeg_within (sample, limit, CONVERT_TIMEOUT, error);
}

static gboolean
prepare_image (AwsState * st, const MtUnit * unit, Image * img, GError ** error)
{
  img->bytes = prepare_bytes (unit, MAX_IMAGE_BYTES, error);
  if (!img->bytes)
    return FALSE;
  if (!(st->features & MT_REKOGNITION_CUSTOM_LABELS))
    return TRUE;
  if (g_bytes_get_size (img->bytes) <= MAX_CUSTOM_LABELS_IMAGE_BYTES) {
    img->small = g_bytes_ref (img->bytes);
    return TRUE;
  }
  img->small = prepare_bytes (unit, MAX_CUSTOM_LABELS_IMAGE_BYTES, error);
  return img->small != NULL;
}

static JsonObject *
image_member (GBytes * bytes)
{
  JsonObject *image = json_object_new ();
  gsize len;
  const guchar *data = g_bytes_get_data (bytes, &len);
  g_autofree gchar *b64 = g_base64_encode (data, len);

  json_object_set_string_member (image, "Bytes", b64);
  return image;
}

/* Calls */

static JsonObject *
call (AwsState * st, const MtEngineContext * ctx, const gchar * op,
    JsonObject * req, GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *target = g_strconcat ("RekognitionService.", op, NULL);

  return mt_engine_context_json_call (ctx, st->client, target, req,
      cancellable, error);
}

static JsonObject *
image_request (GBytes * bytes)
{
  JsonObject *req = json_object_new ();

  json_object_set_object_member (req, "Image", image_member (bytes));
  return req;
}

static JsonArray *
array_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static JsonObject *
object_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static gdouble
confidence_of (JsonObject * o, const gchar * member)
{
  return json_object_get_double_member_with_default (o, member, 0);
}

/* A Rekognition BoundingBox {Width, Height, Left, Top} as the result's
 * box; FALSE (and no box) when one of them is missing. */
static gboolean
set_box_from_rekognition (JsonObject * result, JsonObject * bbox)
{
  static const gchar *const keys[] = { "Left", "Top", "Width", "Height" };
  gdouble v[4];
  guint i;

  if (!bbox)
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (keys); i++) {
    if (!json_object_has_member (bbox, keys[i]))
      return FALSE;
    v[i] = json_object_get_double_member (bbox, keys[i]);
  }
  mt_result_set_box (result, v[0], v[1], v[2], v[3]);
  return TRUE;
}

static void
add_result (GPtrArray * results, const gchar * analysis, const gchar * op,
    const gchar * name, gdouble confidence, JsonObject * bbox,
    JsonObject * detail)
{
  g_autofree gchar *engine = g_strconcat ("aws:rekognition:", op, NULL);
  JsonObject *r = mt_result_new (analysis, engine, name, confidence);

  if (bbox)
    set_box_from_rekognition (r, bbox);
  mt_result_set_detail (r, detail);
  g_ptr_array_add (results, r);
}

/* Features */

static gboolean
detect_labels (AwsState * st, const MtEngineContext * ctx, Image * img,
    GPtrArray * results, GCancellable * c, GError ** error)
{
  g_autoptr (JsonObject) req = image_request (img->bytes);
  g_autoptr (JsonObject) resp = NULL;
  JsonArray *labels;
  guint i, j;

  json_object_set_double_member (req, "MinConfidence", st->cfg->min_confidence);
  if (st->cfg->max_labels)
    json_object_set_int_member (req, "MaxLabels", st->cfg->max_labels);
  if (!(resp = call (st, ctx, "DetectLabels", req, c, error)))
    return FALSE;
  labels = array_member (resp, "Labels");
  for (i = 0; labels && i < json_array_get_length (labels); i++) {
    JsonObject *label = json_array_get_object_element (labels, i);
    const gchar *name = json_object_get_string_member_with_default (label,
        "Name", NULL);
    JsonArray *instances = array_member (label, "Instances");
    guint n = instances ? json_array_get_length (instances) : 0;

    if (!name || confidence_of (label, "Confidence") < st->cfg->min_confidence)
      continue;
    /* A label with instances is one document per instance (each has its
     * box); without, one document for the image. */
    if (n == 0)
      add_result (results, MT_ANALYSIS_LABEL, "DetectLabels", name,
          confidence_of (label, "Confidence"), NULL, label);
    for (j = 0; j < n; j++) {
      JsonObject *inst = json_array_get_object_element (instances, j);

      if (confidence_of (inst, "Confidence") < st->cfg->min_confidence)
        continue;
      add_result (results, MT_ANALYSIS_LABEL, "DetectLabels", name,
          confidence_of (inst, "Confidence"), object_member (inst,
              "BoundingBox"), label);
    }
  }
  return TRUE;
}

static JsonObject *
detect_faces_call (AwsState * st, const MtEngineContext * ctx, Image * img,
    GCancellable * c, GError ** error)
{
  g_autoptr (JsonObject) req = image_request (img->bytes);
  JsonArray *attrs = json_array_new ();

  json_array_add_string_element (attrs, "ALL");
  json_object_set_array_member (req, "Attributes", attrs);
  return call (st, ctx, "DetectFaces", req, c, error);
}

static void
faces_to_results (AwsState * st, JsonObject * resp, GPtrArray * results)
{
  JsonArray *faces = array_member (resp, "FaceDetails");
  guint i;

  for (i = 0; faces && i < json_array_get_length (faces); i++) {
    JsonObject *face = json_array_get_object_element (faces, i);

    if (confidence_of (face, "Confidence") < st->cfg->min_confidence)
      continue;
    add_result (results, MT_ANALYSIS_FACE, "DetectFaces", "Face",
        confidence_of (face, "Confidence"), object_member (face,
            "BoundingBox"), face);
  }
}

static gboolean
ensure_rgb (const MtUnit * unit, Image * img, GError ** error)
{
  g_autoptr (GstSample) sample = NULL;

  if (img->rgb)
    return TRUE;
  if (is_encoded (unit)) {
    img->rgb = mt_image_decode (unit->buffer, unit->caps, CONVERT_TIMEOUT,
        error);
    return img->rgb != NULL;
  }
  sample = gst_sample_new (unit->buffer, unit->caps, NULL, NULL);
  img->rgb = mt_image_convert (sample, "video/x-raw", 0, 0, CONVERT_TIMEOUT,
      error);
  return img->rgb != NULL;
}

/* The face's box grown by a margin and to at least MIN_FACE_CROP pixels a
 * side, inside the image. */
static void
crop_rect (JsonObject * bbox, gint iw, gint ih, gint * x, gint * y, gint * w,
    gint * h)
{
  gdouble bw = json_object_get_double_member_with_default (bbox, "Width", 0)
      * iw;
  gdouble bh = json_object_get_double_member_with_default (bbox, "Height",
      0) * ih;
  gdouble cx = json_object_get_double_member_with_default (bbox, "Left",
      0) * iw + bw / 2;
  gdouble cy = json_object_get_double_member_with_default (bbox, "Top",
      0) * ih + bh / 2;
  gdouble cw = MAX (bw * (1 + 2 * FACE_CROP_MARGIN), MIN_FACE_CROP);
  gdouble ch = MAX (bh * (1 + 2 * FACE_CROP_MARGIN), MIN_FACE_CROP);

  *w = MIN ((gint) ceil (cw), iw);
  *h = MIN ((gint) ceil (ch), ih);
  *x = CLAMP ((gint) (cx - *w / 2.0), 0, iw - *w);
  *y = CLAMP ((gint) (cy - *h / 2.0), 0, ih - *h);
}

static GBytes *
crop_face (Image * img, JsonObject * bbox, GError ** error)
{
  GstVideoInfo info, out_info;
  GstVideoFrame frame, out_frame;
  g_autoptr (GstBuffer) out = NULL;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstSample) crop = NULL;
  gint x, y, w, h, row;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (img->rgb))
      || !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (img->rgb),
          GST_MAP_READ)) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "Could not read the decoded image");
    return NULL;
  }
  crop_rect (bbox, info.width, info.height, &x, &y, &w, &h);
  gst_video_info_set_format (&out_info, GST_VIDEO_FORMAT_RGB, w, h);
  out = gst_buffer_new_allocate (NULL, out_info.size, NULL);
  gst_video_frame_map (&out_frame, &out_info, out, GST_MAP_WRITE);
  for (row = 0; row < h; row++)
    memcpy ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&out_frame, 0) +
        row * GST_VIDEO_FRAME_PLANE_STRIDE (&out_frame, 0),
        (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        (y + row) * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0) + x * 3, w * 3);
  gst_video_frame_unmap (&out_frame);
  gst_video_frame_unmap (&frame);
  caps = gst_video_info_to_caps (&out_info);
  crop = gst_sample_new (out, caps, NULL, NULL);
  return mt_image_jpeg_within (crop, MAX_IMAGE_BYTES, CONVERT_TIMEOUT, error);
}

static gboolean
search_face (AwsState * st, const MtEngineContext * ctx, GBytes * crop,
    JsonObject * face, GPtrArray * results, GCancellable * c, GError ** error)
{
  g_autoptr (JsonObject) req = image_request (crop);
  g_autoptr (JsonObject) resp = NULL;
  g_autoptr (GError) err = NULL;
  JsonArray *matches;
  guint i;

  json_object_set_string_member (req, "CollectionId", st->cfg->collection_id);
  json_object_set_double_member (req, "FaceMatchThreshold",
      st->cfg->min_confidence);
  json_object_set_int_member (req, "MaxFaces", MAX_FACES_PER_SEARCH);
  resp = call (st, ctx, "SearchFacesByImage", req, c, &err);
  if (!resp) {
    /* The service found no face in the crop: nothing to match, not an
     * error of the unit. */
    if (g_error_matches (err, MT_AWS_ERROR, MT_AWS_ERROR_INVALID))
      return TRUE;
    g_propagate_error (error, g_steal_pointer (&err));
    return FALSE;
  }
  matches = array_member (resp, "FaceMatches");
  for (i = 0; matches && i < json_array_get_length (matches); i++) {
    JsonObject *m = json_array_get_object_element (matches, i);
    JsonObject *f = object_member (m, "Face");
    const gchar *name = f ?
        json_object_get_string_member_with_default (f, "ExternalImageId",
        json_object_get_string_member_with_default (f, "FaceId", NULL)) : NULL;

    if (!name || confidence_of (m, "Similarity") < st->cfg->min_confidence)
      continue;
    add_result (results, MT_ANALYSIS_FACEMATCH, "SearchFacesByImage", name,
        confidence_of (m, "Similarity"), object_member (face, "BoundingBox"),
        m);
  }
  return TRUE;
}

static gboolean
search_faces (AwsState * st, const MtEngineContext * ctx,
    const MtUnit * unit, Image * img, JsonObject * faces_resp,
    GPtrArray * results, GCancellable * c, GError ** error)
{
  JsonArray *faces = array_member (faces_resp, "FaceDetails");
  guint i;

  for (i = 0; faces && i < json_array_get_length (faces); i++) {
    JsonObject *face = json_array_get_object_element (faces, i);
    JsonObject *bbox = object_member (face, "BoundingBox");
    g_autoptr (GBytes) crop = NULL;

    if (!bbox || confidence_of (face, "Confidence") < st->cfg->min_confidence)
      continue;
    if (!ensure_rgb (unit, img, error) || !(crop = crop_face (img, bbox,
                error)))
      return FALSE;
    if (!search_face (st, ctx, crop, face, results, c, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
faces_and_search (AwsState * st, const MtEngineContext * ctx,
    const MtUnit * unit, Image * img, GPtrArray * results, GCancellable * c,
    GError ** error)
{
  g_autoptr (JsonObject) resp = detect_faces_call (st, ctx, img, c, error);

  if (!resp)
    return FALSE;
  if (st->features & MT_REKOGNITION_FACES)
    faces_to_results (st, resp, results);
  if (st->features & MT_REKOGNITION_FACE_SEARCH)
    return search_faces (st, ctx, unit, img, resp, results, c, error);
  return TRUE;
}

static gboolean
recognize_celebrities (AwsState * st, const MtEngineContext * ctx,
    Image * img, GPtrArray * results, GCancellable * c, GError ** error)
{
  g_autoptr (JsonObject) req = image_request (img->bytes);
  g_autoptr (JsonObject) resp = call (st, ctx, "RecognizeCelebrities", req,
      c, error);
  JsonArray *celebs;
  guint i;

  if (!resp)
    return FALSE;
  celebs = array_member (resp, "CelebrityFaces");
  for (i = 0; celebs && i < json_array_get_length (celebs); i++) {
    JsonObject *cel = json_array_get_object_element (celebs, i);
    const gchar *name = json_object_get_string_member_with_default (cel,
        "Name", NULL);

    if (!name || confidence_of (cel, "MatchConfidence") <
        st->cfg->min_confidence)
      continue;
    add_result (results, MT_ANALYSIS_CELEBRITY, "RecognizeCelebrities", name,
        confidence_of (cel, "MatchConfidence"),
        object_member (object_member (cel, "Face"), "BoundingBox"), cel);
  }
  return TRUE;
}

static gboolean
detect_moderation (AwsState * st, const MtEngineContext * ctx, Image * img,
    GPtrArray * results, GCancellable * c, GError ** error)
{
  g_autoptr (JsonObject) req = image_request (img->bytes);
  g_autoptr (JsonObject) resp = NULL;
  JsonArray *labels;
  guint i, n = 0;

  json_object_set_double_member (req, "MinConfidence", st->cfg->min_confidence);
  if (!(resp = call (st, ctx, "DetectModerationLabels", req, c, error)))
    return FALSE;
  labels = array_member (resp, "ModerationLabels");
  for (i = 0; labels && i < json_array_get_length (labels); i++) {
    JsonObject *l = json_array_get_object_element (labels, i);
    const gchar *name = json_object_get_string_member_with_default (l, "Name",
        NULL);

    if (!name || confidence_of (l, "Confidence") < st->cfg->min_confidence)
      continue;
    if (st->cfg->max_labels && n++ >= st->cfg->max_labels)
      break;
    add_result (results, MT_ANALYSIS_MODERATION, "DetectModerationLabels",
        name, confidence_of (l, "Confidence"), NULL, l);
  }
  return TRUE;
}

static JsonObject *
text_filters (AwsState * st)
{
  JsonObject *filters = json_object_new ();
  JsonObject *word = json_object_new ();
  guint roi = st->cfg->text_roi;
  guint i;

  json_object_set_double_member (word, "MinConfidence",
      st->cfg->min_confidence);
  json_object_set_object_member (filters, "WordFilter", word);
  /* Media2Cloud's grid: none or all nine cells is the whole image. */
  if (roi != 0 && roi != MT_TEXT_ROI_ALL) {
    JsonArray *regions = json_array_new ();

    for (i = 0; i < 9; i++) {
      JsonObject *region, *box;

      if (!(roi & (1u << i)))
        continue;
      region = json_object_new ();
      box = json_object_new ();
      json_object_set_double_member (box, "Width", 1.0 / 3);
      json_object_set_double_member (box, "Height", 1.0 / 3);
      json_object_set_double_member (box, "Left", (i % 3) / 3.0);
      json_object_set_double_member (box, "Top", (i / 3) / 3.0);
      json_object_set_object_member (region, "BoundingBox", box);
      json_array_add_object_element (regions, region);
    }
    json_object_set_array_member (filters, "RegionsOfInterest", regions);
  }
  return filters;
}

static gboolean
detect_text (AwsState * st, const MtEngineContext * ctx, Image * img,
    GPtrArray * results, GCancellable * c, GError ** error)
{
  g_autoptr (JsonObject) req = image_request (img->bytes);
  g_autoptr (JsonObject) resp = NULL;
  JsonArray *texts;
  guint i;

  json_object_set_object_member (req, "Filters", text_filters (st));
  if (!(resp = call (st, ctx, "DetectText", req, c, error)))
    return FALSE;
  texts = array_member (resp, "TextDetections");
  for (i = 0; texts && i < json_array_get_length (texts); i++) {
    JsonObject *t = json_array_get_object_element (texts, i);
    const gchar *name = json_object_get_string_member_with_default (t,
        "DetectedText", NULL);

    if (!name || confidence_of (t, "Confidence") < st->cfg->min_confidence)
      continue;
    add_result (results, MT_ANALYSIS_TEXT, "DetectText", name,
        confidence_of (t, "Confidence"),
        object_member (object_member (t, "Geometry"), "BoundingBox"), t);
  }
  return TRUE;
}

static gboolean
detect_custom_labels (AwsState * st, const MtEngineContext * ctx,
    Image * img, GPtrArray * results, GCancellable * c, GError ** error)
{
  gchar **model;

  for (model = st->cfg->custom_label_models; model && *model; model++) {
    g_autoptr (JsonObject) req = image_request (img->small);
    g_autoptr (JsonObject) resp = NULL;
    JsonArray *labels;
    guint i;

    json_object_set_string_member (req, "ProjectVersionArn", *model);
    json_object_set_double_member (req, "MinConfidence",
        st->cfg->min_confidence);
    if (!(resp = call (st, ctx, "DetectCustomLabels", req, c, error)))
      return FALSE;
    mt_model_touch (*model);
    labels = array_member (resp, "CustomLabels");
    for (i = 0; labels && i < json_array_get_length (labels); i++) {
      JsonObject *l = json_array_get_object_element (labels, i);
      const gchar *name = json_object_get_string_member_with_default (l,
          "Name", NULL);

      if (!name || confidence_of (l, "Confidence") < st->cfg->min_confidence)
        continue;
      add_result (results, MT_ANALYSIS_CUSTOMLABEL, "DetectCustomLabels",
          name, confidence_of (l, "Confidence"),
          object_member (object_member (l, "Geometry"), "BoundingBox"), l);
    }
  }
  return TRUE;
}

static void
ppe_person (AwsState * st, JsonObject * person, GPtrArray * results)
{
  JsonArray *parts = array_member (person, "BodyParts");
  guint i, j;

  if (confidence_of (person, "Confidence") >= st->cfg->min_confidence)
    add_result (results, MT_ANALYSIS_PPE, "DetectProtectiveEquipment",
        "Person", confidence_of (person, "Confidence"),
        object_member (person, "BoundingBox"), person);
  for (i = 0; parts && i < json_array_get_length (parts); i++) {
    JsonObject *part = json_array_get_object_element (parts, i);
    JsonArray *eqs = array_member (part, "EquipmentDetections");

    for (j = 0; eqs && j < json_array_get_length (eqs); j++) {
      JsonObject *eq = json_array_get_object_element (eqs, j);
      const gchar *type = json_object_get_string_member_with_default (eq,
          "Type", NULL);

      if (!type || confidence_of (eq, "Confidence") < st->cfg->min_confidence)
        continue;
      add_result (results, MT_ANALYSIS_PPE, "DetectProtectiveEquipment",
          type, confidence_of (eq, "Confidence"), object_member (eq,
              "BoundingBox"), eq);
    }
  }
}

static gboolean
detect_ppe (AwsState * st, const MtEngineContext * ctx, Image * img,
    GPtrArray * results, GCancellable * c, GError ** error)
{
  g_autoptr (JsonObject) req = image_request (img->bytes);
  g_autoptr (JsonObject) resp = NULL;
  JsonObject *summ = json_object_new ();
  JsonArray *types = json_array_new ();
  JsonArray *persons;
  guint i;

  json_array_add_string_element (types, "FACE_COVER");
  json_array_add_string_element (types, "HAND_COVER");
  json_array_add_string_element (types, "HEAD_COVER");
  json_object_set_double_member (summ, "MinConfidence",
      MAX (st->cfg->min_confidence, 50));
  json_object_set_array_member (summ, "RequiredEquipmentTypes", types);
  json_object_set_object_member (req, "SummarizationAttributes", summ);
  if (!(resp = call (st, ctx, "DetectProtectiveEquipment", req, c, error)))
    return FALSE;
  persons = array_member (resp, "Persons");
  for (i = 0; persons && i < json_array_get_length (persons); i++)
    ppe_person (st, json_array_get_object_element (persons, i), results);
  return TRUE;
}

/* The vtable */

static gboolean
aws_analyze (gpointer state, const MtEngineContext * ctx, const MtUnit * unit,
    GPtrArray * results, GCancellable * c, GError ** error)
{
  AwsState *st = state;
  g_auto (Image) img = { NULL, };
  guint64 f = st->features;
  gboolean ok = TRUE;

  if (!prepare_image (st, unit, &img, error))
    return FALSE;
  if (ok && (f & MT_REKOGNITION_LABELS))
    ok = detect_labels (st, ctx, &img, results, c, error);
  if (ok && (f & (MT_REKOGNITION_FACES | MT_REKOGNITION_FACE_SEARCH)))
    ok = faces_and_search (st, ctx, unit, &img, results, c, error);
  if (ok && (f & MT_REKOGNITION_CELEBRITIES))
    ok = recognize_celebrities (st, ctx, &img, results, c, error);
  if (ok && (f & MT_REKOGNITION_MODERATION))
    ok = detect_moderation (st, ctx, &img, results, c, error);
  if (ok && (f & MT_REKOGNITION_TEXT))
    ok = detect_text (st, ctx, &img, results, c, error);
  if (ok && (f & MT_REKOGNITION_CUSTOM_LABELS))
    ok = detect_custom_labels (st, ctx, &img, results, c, error);
  if (ok && (f & MT_REKOGNITION_PPE))
    ok = detect_ppe (st, ctx, &img, results, c, error);
  return ok;
}

static gboolean
check_collection (AwsState * st, GError ** error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  g_autoptr (JsonObject) resp = NULL;
  g_autoptr (GError) err = NULL;
  const gchar *id = st->cfg->collection_id;

  if (!id || !*id) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "face-search needs collection-id: the face collection to search");
    return FALSE;
  }
  json_object_set_string_member (req, "CollectionId", id);
  resp = mt_aws_client_json_call (st->client,
      "RekognitionService.DescribeCollection", req, NULL, &err);
  if (resp)
    return TRUE;
  if (g_error_matches (err, MT_AWS_ERROR, MT_AWS_ERROR_NOT_FOUND))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "The face collection \"%s\" does not exist in %s: create it (aws "
        "rekognition create-collection --collection-id %s) or fix "
        "collection-id", id, mt_aws_client_get_region (st->client), id);
  else
    g_propagate_error (error, g_steal_pointer (&err));
  return FALSE;
}

static gboolean
check_model (AwsState * st, const gchar * arn, GError ** error)
{
  static const gchar *const running[] = { "RUNNING", NULL };
  g_autoptr (JsonObject) desc = mt_model_describe (st->client, arn, NULL,
      error);
  g_autofree gchar *status = NULL;

  if (!desc)
    return FALSE;
  status = g_strdup (json_object_get_string_member_with_default (desc,
          "Status", ""));
  if (!strcmp (status, "RUNNING"))
    return TRUE;
  if (!st->cfg->auto_start_model) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
        "The Custom Labels model %s is %s, not RUNNING: start it with "
        "`mediatag models start %s` or set auto-start-model=true", arn,
        status, arn);
    return FALSE;
  }
  GST_ELEMENT_INFO (st->element, RESOURCE, BUSY, ("Starting model %s, which "
          "bills by the hour while running; stop it with `mediatag models "
          "stop`.", arn), (NULL));
  if (strcmp (status, "STARTING") && !mt_model_start (st->client, arn,
          st->cfg->min_inference_units, NULL, error))
    return FALSE;
  return mt_model_wait (st->client, arn, running, MODEL_START_TIMEOUT_S, NULL,
      NULL, error);
}

static gboolean
check_models (AwsState * st, GError ** error)
{
  gchar **m = st->cfg->custom_label_models;

  if (!m || !*m) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "custom-labels needs custom-label-models: the project version "
        "ARNs of the models to run");
    return FALSE;
  }
  for (; *m; m++) {
    if (!check_model (st, *m, error))
      return FALSE;
  }
  return TRUE;
}

static void
aws_stop (gpointer state)
{
  AwsState *st = state;

  g_clear_pointer (&st->client, mt_aws_client_free);
  g_free (st);
}

static gboolean
aws_start (const MtEngineContext * ctx, gpointer * state, GError ** error)
{
  static gsize debug_once = 0;
  AwsState *st;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (engine_aws_debug, "rekognition-aws", 0,
        "rekognitionsink AWS engine");
    g_once_init_leave (&debug_once, 1);
  }
  st = g_new0 (AwsState, 1);
  st->cfg = ctx->config;
  st->features = ctx->features;
  st->element = ctx->element;
  st->client = mt_aws_client_new (ctx->aws, &mt_aws_service_rekognition,
      FALSE, error);
  if (!st->client || !mt_aws_client_check_credentials (st->client, NULL, error))
    goto failed;
  if ((st->features & MT_REKOGNITION_FACE_SEARCH)
      && !check_collection (st, error))
    goto failed;
  if ((st->features & MT_REKOGNITION_CUSTOM_LABELS)
      && !check_models (st, error))
    goto failed;
  GST_INFO_OBJECT (st->element, "Rekognition at %s",
      mt_aws_client_get_endpoint (st->client));
  *state = st;
  return TRUE;

failed:
  aws_stop (st);
  return FALSE;
}

const MtEngine mt_rekognition_engine_aws = {
  .backend = "aws",
  .name = "aws:rekognition",
  .features = MT_REKOGNITION_ALL_FEATURES,
  .start = aws_start,
  .analyze = aws_analyze,
  .stop = aws_stop,
};
