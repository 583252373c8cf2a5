/* libmediatag-vision: the offline vision engines behind `backend=local`:
 * faces (BlazeFace boxes and landmarks, FaceRes descriptors with age and
 * gender, emotions), a file-backed face collection, COCO object labels
 * (CenterNet), text (PP-OCRv4 text regions read by Tesseract) and content
 * moderation (nsfwjs' MobileNetV2).
 *
 * Results follow Rekognition's conventions: boxes relative to the image
 * (0-1), confidences and similarities 0-100, Rekognition's label names.
 *
 * Threading: an MtVisionContext loads its networks once, in
 * mt_vision_context_new(). It can be shared by several threads: each
 * network (and the Tesseract handle) has its own lock, so calls on one
 * context are safe but a network runs one image at a time. For parallel
 * inference on several cores, give each worker thread its own context.
 * An MtFaceCollection is likewise safe to share (its SQLite handle is
 * locked). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MT_VISION_ERROR (mt_vision_error_quark ())
GQuark mt_vision_error_quark (void);

typedef enum
{
  /* A model file is not installed: the message names tools/fetch-models. */
  MT_VISION_ERROR_MODEL_MISSING,
  /* A model file is there but OpenCV or Tesseract cannot load it. */
  MT_VISION_ERROR_MODEL_INVALID,
  MT_VISION_ERROR_INVALID_IMAGE,
  MT_VISION_ERROR_INFERENCE,
  /* The context was created without the feature that was asked for. */
  MT_VISION_ERROR_NOT_LOADED,
  MT_VISION_ERROR_COLLECTION,
  MT_VISION_ERROR_INVALID_ARGUMENT,
} MtVisionError;

typedef enum
{
  MT_VISION_FACES = 1 << 0,
  /* FaceRes descriptors, age and gender (implies MT_VISION_FACES). */
  MT_VISION_FACE_DESCRIPTORS = 1 << 1,
  MT_VISION_LABELS = 1 << 2,
  MT_VISION_TEXT = 1 << 3,
  /* The emotion network for mt_vision_face_emotions() (implies
   * MT_VISION_FACES). */
  MT_VISION_FACE_EMOTIONS = 1 << 4,
  MT_VISION_MODERATION = 1 << 5,
} MtVisionFeatures;

typedef enum
{
  MT_PIXEL_RGB,
  MT_PIXEL_BGR,
  MT_PIXEL_RGBX,                /* also RGBA: the fourth byte is ignored */
  MT_PIXEL_BGRX,                /* also BGRA */
  MT_PIXEL_GRAY8,
} MtPixelFormat;

/* Packed pixels, borrowed for the duration of a call. */
typedef struct
{
  const guint8 *data;
  gint width;
  gint height;
  gint stride;                  /* bytes from one row to the next */
  MtPixelFormat format;
} MtImage;

/* Relative to the image, 0 to 1, as Rekognition's BoundingBox. */
typedef struct
{
  gdouble left;
  gdouble top;
  gdouble width;
  gdouble height;
} MtBox;

/* An image decoded by OpenCV (JPEG, PNG, TIFF, BMP, PPM, WebP), BGR,
 * owning its pixels; free with mt_image_free(). (The core library's
 * mt_image_decode() decodes GStreamer buffers; both load in one plugin.) */
MtImage *mt_image_load (const gchar * path, GError ** error);
MtImage *mt_image_decode_data (const guint8 * data, gsize size,
    GError ** error);
void mt_image_free (MtImage * img);

typedef struct _MtVisionContext MtVisionContext;

/* models_dir NULL: $MEDIATAG_MODELS_DIR, else the source tree's data/models
 * (uninstalled builds), else the installed datadir's models. Loads the
 * networks of @features now; a missing file is MT_VISION_ERROR_MODEL_MISSING.
 * Faces alone fall back to OpenCV's Haar cascade when the BlazeFace model
 * is missing, with a g_warning (see mt_vision_context_face_fallback()). */
MtVisionContext *mt_vision_context_new (const gchar * models_dir,
    MtVisionFeatures features, GError ** error);
void mt_vision_context_free (MtVisionContext * ctx);
MtVisionFeatures mt_vision_context_features (MtVisionContext * ctx);
/* TRUE when faces come from the weights-free Haar cascade. */
gboolean mt_vision_context_face_fallback (MtVisionContext * ctx);
/* The directory models are looked up in when models_dir is NULL. */
gchar *mt_vision_default_models_dir (void);

/* ---- faces ------------------------------------------------------------ */

#define MT_FACE_DESCRIPTOR_SIZE 1024
#define MT_FACE_MAX_LANDMARKS 6

typedef struct
{
  /* Rekognition's names for the eyes and nose; BlazeFace's own points for
   * the mouth centre and ear tragions: "mouth", "earLeft", "earRight".
   * Left and right are the subject's. */
  const gchar *type;
  gdouble x;                    /* relative, 0-1 */
  gdouble y;
} MtLandmark;

/* The emotion network's seven classes, as Rekognition's Emotion Types
 * (it has no CONFUSED). */
#define MT_FACE_EMOTIONS 7

typedef struct
{
  const gchar *type;            /* Rekognition's EmotionName: "HAPPY", ... */
  gdouble confidence;           /* 0-100; the seven sum to about 100 */
} MtEmotion;

typedef struct
{
  MtBox box;
  gdouble confidence;           /* 0-100 */
  guint n_landmarks;
  MtLandmark landmarks[MT_FACE_MAX_LANDMARKS];
  /* Set when MT_VISION_FACE_DESCRIPTORS was asked for. */
  gboolean has_descriptor;
  gfloat descriptor[MT_FACE_DESCRIPTOR_SIZE];   /* L2-normalised */
  gdouble age;                  /* estimated years */
  guint age_low;                /* AgeRange, as Rekognition gives one */
  guint age_high;
  const gchar *gender;          /* "Male" or "Female" */
  gdouble gender_confidence;    /* 0-100 */
  /* Found by the Haar cascade fallback: no landmarks, no descriptor. */
  gboolean fallback;
  /* Set by mt_vision_face_emotions(): best first. */
  guint n_emotions;
  MtEmotion emotions[MT_FACE_EMOTIONS];
} MtFace;

/* Faces at or above min_confidence (0-100), best first, as MtFace
 * (free with g_ptr_array_unref). describe: also compute descriptors, age
 * and gender (needs MT_VISION_FACE_DESCRIPTORS). */
GPtrArray *mt_vision_detect_faces (MtVisionContext * ctx, const MtImage * img,
    gdouble min_confidence, gboolean describe, GError ** error);

/* Fills @face's emotions from the emotion network run on its crop of @img
 * (needs MT_VISION_FACE_EMOTIONS; vision-faces.c says how the classes map
 * to Rekognition's). */
gboolean mt_vision_face_emotions (MtVisionContext * ctx, const MtImage * img,
    MtFace * face, GError ** error);

/* Cosine similarity of two L2-normalised descriptors, -1 to 1. */
gdouble mt_face_cosine (const gfloat * a, const gfloat * b);
/* Rekognition-style similarity, 0-100, from a cosine; see vision-faces.c
 * for the calibration. */
gdouble mt_face_similarity (gdouble cosine);

/* ---- face collection -------------------------------------------------- */

typedef struct _MtFaceCollection MtFaceCollection;

typedef struct
{
  gchar *face_id;
  gchar *external_id;
  gchar *image_id;
  MtBox box;
  gdouble confidence;
  gint64 indexed_at;            /* unix seconds */
} MtIndexedFace;

typedef struct
{
  MtIndexedFace face;
  gdouble similarity;           /* 0-100 */
} MtFaceMatch;

/* Collections live under $MEDIATAG_FACES_DIR, else
 * $XDG_DATA_HOME/mediatag/faces. */
gchar *mt_face_collection_default_dir (void);
/* name: Rekognition's CollectionId rule, [a-zA-Z0-9_.-]{1,255}.
 * dir NULL: the default directory. create: make it when missing. */
MtFaceCollection *mt_face_collection_open (const gchar * dir,
    const gchar * name, gboolean create, GError ** error);
void mt_face_collection_free (MtFaceCollection * coll);
const gchar *mt_face_collection_path (MtFaceCollection * coll);
/* Returns the new face id (a UUID). */
gchar *mt_face_collection_index (MtFaceCollection * coll, const MtFace * face,
    const gchar * external_id, const gchar * image_id, GError ** error);
/* MtIndexedFace, oldest first (free with g_ptr_array_unref). */
GPtrArray *mt_face_collection_list (MtFaceCollection * coll, GError ** error);
/* MtFaceMatch with similarity >= threshold (0-100), best first, at most
 * max_faces (0: all). */
GPtrArray *mt_face_collection_search (MtFaceCollection * coll,
    const gfloat * descriptor, gdouble threshold, guint max_faces,
    GError ** error);
gboolean mt_face_collection_delete (MtFaceCollection * coll,
    const gchar * face_id, GError ** error);

/* ---- labels ----------------------------------------------------------- */

typedef struct
{
  MtBox box;
  gdouble confidence;
} MtInstance;

typedef struct
{
  gchar *name;                  /* Rekognition's name: "Person", "Dog" */
  gdouble confidence;           /* 0-100: best instance, or best child */
  GArray *instances;            /* MtInstance; empty for parent labels */
  GPtrArray *parents;           /* gchar*, e.g. "Animal" for "Dog" */
} MtLabel;

/* Image-level labels aggregated from CenterNet's instances, best first;
 * parent labels ("Animal", "Vehicle", ...) appear as labels of their own,
 * as Rekognition's do. Confidences are CenterNet's scores mapped onto
 * Rekognition's scale (vision-labels.c says how). Free with
 * g_ptr_array_unref. */
GPtrArray *mt_vision_detect_labels (MtVisionContext * ctx, const MtImage * img,
    gdouble min_confidence, GError ** error);

/* ---- moderation ------------------------------------------------------- */

/* nsfwjs' classes, in the network's output order. */
typedef enum
{
  MT_NSFW_DRAWING,
  MT_NSFW_HENTAI,
  MT_NSFW_NEUTRAL,
  MT_NSFW_PORN,
  MT_NSFW_SEXY,
  MT_NSFW_CLASSES,
} MtNsfwClass;

typedef struct
{
  /* Rekognition's moderation taxonomy (version 7): "Explicit", ... */
  const gchar *name;
  const gchar *parent;          /* "" for a top-level (level 1) label */
  guint level;                  /* TaxonomyLevel, 1 or 2 */
  gdouble confidence;           /* 0-100 */
} MtModerationLabel;

/* Moderation labels of the whole image at or above min_confidence, best
 * first, as MtModerationLabel (free with g_array_unref); vision-moderation.c
 * says how nsfwjs' classes map to the taxonomy. Images under 64 pixels on
 * their longer side get none (too small to judge). @scores (may be NULL)
 * gets the network's five class probabilities (0-1, MtNsfwClass order). */
GArray *mt_vision_detect_moderation (MtVisionContext * ctx,
    const MtImage * img, gdouble min_confidence,
    gdouble scores[MT_NSFW_CLASSES], GError ** error);

/* ---- text ------------------------------------------------------------- */

typedef enum
{
  /* Whole-frame OCR when the text regions look like a document, crops
   * otherwise. */
  MT_TEXT_MODE_AUTO,
  MT_TEXT_MODE_SCENE,           /* OCR of each detected text region */
  MT_TEXT_MODE_DOCUMENT,        /* OCR of the whole frame */
} MtTextMode;

typedef enum
{
  MT_TEXT_LINE,
  MT_TEXT_WORD,
} MtTextType;

typedef struct
{
  MtTextType type;
  guint id;
  gint parent_id;               /* a WORD's LINE; -1 for lines */
  gchar *text;
  gdouble confidence;           /* 0-100 */
  MtBox box;
} MtText;

/* Media2Cloud's 3x3 region-of-interest grid: cell = row * 3 + column,
 * 0 top left to 8 bottom right. */
#define MT_TEXT_ROI_ALL 0x1ff
#define MT_TEXT_ROI_CELL(n) (1u << (n))

/* LINE and WORD results (MtText, free with g_ptr_array_unref). A result is
 * kept when at least half of its box lies in the cells of roi_cells (as
 * Rekognition's RegionsOfInterest filter keeps text), and when its
 * confidence is at least min_confidence. */
GPtrArray *mt_vision_detect_text (MtVisionContext * ctx, const MtImage * img,
    MtTextMode mode, guint roi_cells, gdouble min_confidence, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtImage, mt_image_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtVisionContext, mt_vision_context_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtFaceCollection, mt_face_collection_free)

G_END_DECLS
