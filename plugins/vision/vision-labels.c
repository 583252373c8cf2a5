/* Local label engine: CenterNet (MobileNetV3, COCO's 80 classes) cut at its
 * class heatmap and box-size outputs; peaks, boxes and the image-level
 * labels are worked out here. Labels carry Rekognition's names and, where
 * a class has an obvious one, Rekognition-style parents. */
#include "vision-private.h"

#include <math.h>
#include <string.h>

#define CN_SIZE 512
#define CN_GRID 128
#define CN_STRIDE (CN_SIZE / CN_GRID)
#define CN_CLASSES 80
/* As the graph's own decoding: at most this many peaks. */
#define CN_MAX_PEAKS 100
#define CN_NMS_IOU 0.5f
/* A peak this much inside a better one of its class is the same object. */
#define CN_CONTAINED 0.7f
/* Boxes this alike are one object, whatever the classes. */
#define CN_SAME_OBJECT_IOU 0.8f
/* Frames at least this much wider than high are also read in squares. */
#define CN_TILING_ASPECT 1.3
/* Score to confidence: see confidence_of(). */
#define CN_SCORE_MID 0.30
#define CN_SCORE_SLOPE 13.86

typedef struct
{
  const gchar *name;
  const gchar *parents[4];
} ClassInfo;

#define VEHICLE "Vehicle", "Transportation"
#define MAMMAL "Mammal", "Animal"
#define FRUIT "Fruit", "Plant", "Food"
#define VEGETABLE "Vegetable", "Plant", "Food"

/* COCO's class order, as the network's heatmap channels. */
static const ClassInfo classes[CN_CLASSES] = {
  {"Person", {NULL}}, {"Bicycle", {VEHICLE}}, {"Car", {VEHICLE}},
  {"Motorcycle", {VEHICLE}}, {"Airplane", {"Aircraft", VEHICLE}},
  {"Bus", {VEHICLE}}, {"Train", {VEHICLE}}, {"Truck", {VEHICLE}},
  {"Boat", {"Watercraft", VEHICLE}}, {"Traffic Light", {"Light"}},
  {"Fire Hydrant", {NULL}}, {"Stop Sign", {"Sign", "Symbol"}},
  {"Parking Meter", {NULL}}, {"Bench", {"Furniture"}},
  {"Bird", {"Animal"}}, {"Cat", {"Pet", MAMMAL}}, {"Dog", {"Pet", MAMMAL}},
  {"Horse", {MAMMAL}}, {"Sheep", {MAMMAL}}, {"Cow", {MAMMAL}},
  {"Elephant", {"Wildlife", MAMMAL}}, {"Bear", {"Wildlife", MAMMAL}},
  {"Zebra", {"Wildlife", MAMMAL}}, {"Giraffe", {"Wildlife", MAMMAL}},
  {"Backpack", {"Bag", "Accessories"}}, {"Umbrella", {NULL}},
  {"Handbag", {"Bag", "Accessories"}}, {"Tie", {"Accessories"}},
  {"Suitcase", {"Luggage", "Bag"}}, {"Frisbee", {"Toy"}},
  {"Ski", {NULL}}, {"Snowboard", {NULL}}, {"Ball", {NULL}},
  {"Kite", {"Toy"}}, {"Baseball Bat", {NULL}}, {"Baseball Glove", {NULL}},
  {"Skateboard", {NULL}}, {"Surfboard", {NULL}}, {"Tennis Racket", {NULL}},
  {"Bottle", {NULL}}, {"Wine Glass", {"Glass"}}, {"Cup", {NULL}},
  {"Fork", {"Cutlery"}}, {"Knife", {"Cutlery"}}, {"Spoon", {"Cutlery"}},
  {"Bowl", {NULL}}, {"Banana", {FRUIT}}, {"Apple", {FRUIT}},
  {"Sandwich", {"Food"}}, {"Orange", {FRUIT}}, {"Broccoli", {VEGETABLE}},
  {"Carrot", {VEGETABLE}}, {"Hot Dog", {"Food"}}, {"Pizza", {"Food"}},
  {"Donut", {"Food"}}, {"Cake", {"Food"}}, {"Chair", {"Furniture"}},
  {"Couch", {"Furniture"}}, {"Potted Plant", {"Plant"}},
  {"Bed", {"Furniture"}}, {"Dining Table", {"Table", "Furniture"}},
  {"Toilet", {NULL}}, {"TV", {"Screen", "Electronics"}},
  {"Laptop", {"Computer", "Electronics"}},
  {"Mouse", {"Computer Hardware", "Electronics"}},
  {"Remote Control", {"Electronics"}},
  {"Keyboard", {"Computer Hardware", "Electronics"}},
  {"Mobile Phone", {"Phone", "Electronics"}}, {"Microwave", {"Appliance"}},
  {"Oven", {"Appliance"}}, {"Toaster", {"Appliance"}}, {"Sink", {NULL}},
  {"Refrigerator", {"Appliance"}}, {"Book", {"Publication"}},
  {"Clock", {NULL}}, {"Vase", {NULL}}, {"Scissors", {NULL}},
  {"Teddy Bear", {"Toy"}}, {"Hair Dryer", {"Appliance"}},
  {"Toothbrush", {NULL}},
};

typedef struct
{
  gfloat score;
  guint cls;
  gfloat box[4];                /* x1 y1 x2 y2, relative to the image */
} Peak;

/* CenterNet's heatmap peaks are not Rekognition confidences: real objects
 * mostly score 0.4 to 0.7, and 0.3 is the usual cut-off. A logistic puts
 * that cut-off at 50 and 0.4 at 80 (0.5 at 94), so Rekognition's usual
 * thresholds (55, 80) keep CenterNet's working points; on darknet's
 * photos every peak at 0.4 or more was a right label. */
static gdouble
confidence_of (gdouble score)
{
  return 100.0 / (1.0 + exp (-CN_SCORE_SLOPE * (score - CN_SCORE_MID)));
}

static gdouble
score_for (gdouble confidence)
{
  gdouble c = CLAMP (confidence, 0.01, 99.99) / 100.0;

  return CN_SCORE_MID - log (1.0 / c - 1.0) / CN_SCORE_SLOPE;
}

static gint
by_score (gconstpointer a, gconstpointer b)
{
  gfloat sa = ((const Peak *) a)->score, sb = ((const Peak *) b)->score;

  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

/* A cell whose score is the largest of its 3x3 neighbourhood: CenterNet's
 * replacement for non-maximum suppression. */
static gboolean
is_peak (const gfloat * plane, gint x, gint y)
{
  gfloat v = plane[y * CN_GRID + x];
  gint dx, dy;

  for (dy = -1; dy <= 1; dy++)
    for (dx = -1; dx <= 1; dx++) {
      gint nx = x + dx, ny = y + dy;

      if (nx < 0 || ny < 0 || nx >= CN_GRID || ny >= CN_GRID)
        continue;
      if (plane[ny * CN_GRID + nx] > v)
        return FALSE;
    }
  return TRUE;
}

/* Appends the peaks of one run on @tile, boxes mapped to the image. */
static void
find_peaks (const MtTensor * heat, const MtTensor * wh, gfloat min_score,
    const MtRect * tile, const MtImage * img, GArray * peaks)
{
  const gsize plane = CN_GRID * CN_GRID;
  gfloat kx = (gfloat) tile->width / CN_SIZE / img->width;
  gfloat ky = (gfloat) tile->height / CN_SIZE / img->height;
  gfloat ox = (gfloat) tile->x / img->width;
  gfloat oy = (gfloat) tile->y / img->height;
  guint c;
  gint x, y;

  for (c = 0; c < CN_CLASSES; c++) {
    const gfloat *hp = heat->data + c * plane;

    for (y = 0; y < CN_GRID; y++)
      for (x = 0; x < CN_GRID; x++) {
        gsize i = y * CN_GRID + x;
        Peak p;

        if (hp[i] < min_score || !is_peak (hp, x, y))
          continue;
        /* wh holds the distances from the cell to the four sides. */
        p.score = hp[i];
        p.cls = c;
        p.box[0] = ox + kx * (x * CN_STRIDE - wh->data[0 * plane + i]);
        p.box[1] = oy + ky * (y * CN_STRIDE - wh->data[1 * plane + i]);
        p.box[2] = ox + kx * (x * CN_STRIDE + wh->data[2 * plane + i]);
        p.box[3] = oy + ky * (y * CN_STRIDE + wh->data[3 * plane + i]);
        g_array_append_val (peaks, p);
      }
  }
}

/* Intersection over the smaller box: a tile's view of part of an object
 * the whole frame saw lies mostly inside it. */
static gfloat
overlap_of_smaller (const gfloat * a, const gfloat * b)
{
  gfloat w = MIN (a[2], b[2]) - MAX (a[0], b[0]);
  gfloat h = MIN (a[3], b[3]) - MAX (a[1], b[1]);
  gfloat sa = (a[2] - a[0]) * (a[3] - a[1]);
  gfloat sb = (b[2] - b[0]) * (b[3] - b[1]);

  if (w <= 0 || h <= 0 || sa <= 0 || sb <= 0)
    return 0;
  return w * h / MIN (sa, sb);
}

/* Drops a peak that overlaps a better one of the same class, or lies
 * mostly inside it, or has nearly its box with another class. */
/* Folds @b's box into @a's, weighted by score: the whole frame and a
 * square often both see an object, each placing it a little differently. */
static void
fuse (Peak * a, gfloat * weight, const Peak * b)
{
  guint k;

  for (k = 0; k < 4; k++)
    a->box[k] = (a->box[k] * *weight + b->box[k] * b->score)
        / (*weight + b->score);
  *weight += b->score;
}

static void
suppress (GArray * peaks, gboolean * keep)
{
  guint i, j;

  for (i = 0; i < peaks->len; i++)
    keep[i] = TRUE;
  for (i = 0; i < peaks->len; i++) {
    Peak *a = &g_array_index (peaks, Peak, i);
    gfloat weight = a->score;

    for (j = i + 1; keep[i] && j < peaks->len; j++) {
      Peak *b = &g_array_index (peaks, Peak, j);
      gfloat pair[2][4];
      gboolean k[2];

      if (!keep[j])
        continue;
      memcpy (pair[0], a->box, sizeof pair[0]);
      memcpy (pair[1], b->box, sizeof pair[1]);
      if (a->cls != b->cls) {
        /* One object is not a horse and a cow: on the same box, the less
         * likely class goes. */
        mt_vision_nms ((const gfloat (*)[4]) pair, 2, CN_SAME_OBJECT_IOU, k);
        keep[j] = k[1];
        continue;
      }
      mt_vision_nms ((const gfloat (*)[4]) pair, 2, CN_NMS_IOU, k);
      if (!k[1])
        fuse (a, &weight, b);
      keep[j] = k[1] && overlap_of_smaller (a->box, b->box) < CN_CONTAINED;
    }
  }
}

static void
label_free (MtLabel * label)
{
  g_free (label->name);
  g_array_unref (label->instances);
  g_ptr_array_unref (label->parents);
  g_free (label);
}

static MtLabel *
label_get (GHashTable * by_name, GPtrArray * labels, const gchar * name)
{
  MtLabel *label = g_hash_table_lookup (by_name, name);

  if (label)
    return label;
  label = g_new0 (MtLabel, 1);
  label->name = g_strdup (name);
  label->instances = g_array_new (FALSE, FALSE, sizeof (MtInstance));
  label->parents = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_insert (by_name, label->name, label);
  g_ptr_array_add (labels, label);
  return label;
}

static gdouble
clamp01 (gfloat v)
{
  return CLAMP (v, 0.0, 1.0);
}

static void
add_instance (GHashTable * by_name, GPtrArray * labels, const Peak * p)
{
  const ClassInfo *info = &classes[p->cls];
  MtLabel *label = label_get (by_name, labels, info->name);
  MtInstance inst;
  guint k;

  inst.box.left = clamp01 (p->box[0]);
  inst.box.top = clamp01 (p->box[1]);
  inst.box.width = clamp01 (p->box[2]) - inst.box.left;
  inst.box.height = clamp01 (p->box[3]) - inst.box.top;
  inst.confidence = confidence_of (p->score);
  g_array_append_val (label->instances, inst);
  label->confidence = MAX (label->confidence, inst.confidence);
  if (label->parents->len == 0)
    for (k = 0; k < G_N_ELEMENTS (info->parents) && info->parents[k]; k++)
      g_ptr_array_add (label->parents, g_strdup (info->parents[k]));
  /* A parent is as likely as its likeliest child. */
  for (k = 0; k < G_N_ELEMENTS (info->parents) && info->parents[k]; k++) {
    MtLabel *parent = label_get (by_name, labels, info->parents[k]);

    parent->confidence = MAX (parent->confidence, inst.confidence);
  }
}

static gint
label_order (gconstpointer a, gconstpointer b)
{
  const MtLabel *la = *(MtLabel * const *) a;
  const MtLabel *lb = *(MtLabel * const *) b;

  if (la->confidence != lb->confidence)
    return la->confidence < lb->confidence ? 1 : -1;
  return g_strcmp0 (la->name, lb->name);
}

static GPtrArray *
aggregate (GArray * peaks)
{
  GPtrArray *labels =
      g_ptr_array_new_with_free_func ((GDestroyNotify) label_free);
  g_autoptr (GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree gboolean *keep = NULL;
  guint i;

  g_array_sort (peaks, by_score);
  if (peaks->len > CN_MAX_PEAKS)
    g_array_set_size (peaks, CN_MAX_PEAKS);
  keep = g_new (gboolean, MAX (peaks->len, 1));
  suppress (peaks, keep);
  for (i = 0; i < peaks->len; i++)
    if (keep[i])
      add_instance (by_name, labels, &g_array_index (peaks, Peak, i));
  g_ptr_array_sort (labels, label_order);
  return labels;
}

static const gchar *const centernet_outputs[] = { "heatmap", "wh", NULL };

static gboolean
run_tile (MtVisionContext * ctx, const MtImage * img, const MtRect * tile,
    gfloat min_score, GArray * peaks, GError ** error)
{
  /* The network was trained on images stretched to 512x512, RGB 0-255. */
  MtDnnInput in = { CN_SIZE, CN_SIZE, FALSE, {0, 0, 0}, {1, 1, 1}, FALSE };
  MtTensor out[2] = { {0} };
  gboolean ok;

  g_mutex_lock (&ctx->label_lock);
  ok = mt_dnn_run (ctx->labels, img, tile, &in, centernet_outputs, out, NULL,
      error);
  g_mutex_unlock (&ctx->label_lock);
  if (ok && (out[0].count != CN_CLASSES * CN_GRID * CN_GRID
          || out[1].count != 4 * CN_GRID * CN_GRID)) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_MODEL_INVALID,
        "centernet.onnx gives unexpected outputs: run tools/fetch-models");
    ok = FALSE;
  }
  if (ok)
    find_peaks (&out[0], &out[1], min_score, tile, img, peaks);
  mt_tensor_clear (&out[0]);
  mt_tensor_clear (&out[1]);
  return ok;
}

/* The whole frame, and for a wide (or tall) one also overlapping squares
 * of its short side: squeezed into 512x512, a 16:9 frame's objects lose
 * their shape and score far lower (the sample video's dog: 0.31 whole,
 * 0.56 in its square). */
static GArray *
label_tiles (const MtImage * img)
{
  GArray *tiles = g_array_new (FALSE, FALSE, sizeof (MtRect));
  MtRect all = { 0, 0, img->width, img->height };
  gint side = MIN (img->width, img->height);
  gint span = MAX (img->width, img->height);
  gint n = (gint) ceil ((gdouble) span / side), i;

  g_array_append_val (tiles, all);
  if ((gdouble) span / side < CN_TILING_ASPECT)
    return tiles;
  for (i = 0; i < n; i++) {
    gint at = (gint) lround ((gdouble) i * (span - side) / (n - 1));
    MtRect t = { img->width > img->height ? at : 0,
      img->width > img->height ? 0 : at, side, side
    };

    g_array_append_val (tiles, t);
  }
  return tiles;
}

GPtrArray *
mt_vision_detect_labels (MtVisionContext * ctx, const MtImage * img,
    gdouble min_confidence, GError ** error)
{
  g_autoptr (GArray) peaks = g_array_new (FALSE, FALSE, sizeof (Peak));
  g_autoptr (GArray) tiles = NULL;
  guint i;

  if (!mt_vision_check_image (img, error))
    return NULL;
  if (!ctx->labels) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_NOT_LOADED,
        "this vision context was created without labels");
    return NULL;
  }
  tiles = label_tiles (img);
  for (i = 0; i < tiles->len; i++)
    if (!run_tile (ctx, img, &g_array_index (tiles, MtRect, i),
            score_for (min_confidence), peaks, error))
      return NULL;
  return aggregate (peaks);
}
