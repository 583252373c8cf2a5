/* The AWS engine of textractsink: one page unit becomes the Textract calls
 * its features need, and the answers go through blocks.h's converters.
 *
 * - text only: DetectDocumentText; any of tables, forms, queries,
 *   signatures, layout: AnalyzeDocument with those FeatureTypes (its
 *   LINEs give the text too); expense: AnalyzeExpense; identity: AnalyzeID.
 * - The page goes as Document.Bytes: a single-page PDF or TIFF as it is, an
 *   image as it is, a page of a multi-page PDF rendered to PNG with Poppler
 *   (at the unit's dpi), a page of a multi-page TIFF read with libtiff and
 *   encoded as PNG, a raw video frame encoded as PNG. What is over the
 *   synchronous limit (10 MB) is re-encoded as JPEG and scaled down until
 *   it fits.
 * - A whole-document unit (page 0: the element queues one for a multi-page
 *   document whose asset is in S3) goes through the asynchronous API:
 *   StartDocumentAnalysis / StartDocumentTextDetection /
 *   StartExpenseAnalysis on the S3 object, Get* polled with a growing,
 *   cancellable wait and paged with NextToken; the documents of every page
 *   come back with their `page`. AnalyzeID has no asynchronous form, so
 *   identity runs page by page on rendered pages.
 *
 * The document's handle (a PopplerDocument or a TIFF opened by the
 * element) is used under one lock: neither library may be used on one
 * document from several threads. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "mediatag-config.h"

#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#ifdef HAVE_POPPLER
#include <cairo.h>
#include <poppler.h>
#endif
#ifdef MT_HAVE_TIFF
#include <tiffio.h>
#endif

#include "awsclient.h"
#include "awserror.h"
#include "blocks.h"
#include "gsttextractsink.h"
#include "image.h"
#include "result.h"
#include "retry.h"
#include "s3.h"

GST_DEBUG_CATEGORY_STATIC (engine_aws_debug);
#define GST_CAT_DEFAULT engine_aws_debug

/* Synchronous calls take documents up to 10 MB and 10000 pixels a side. */
#define SYNC_MAX_BYTES (10 * 1024 * 1024)
#define MAX_SIDE 10000
#define CONVERT_TIMEOUT (60 * GST_SECOND)
/* Sync AnalyzeDocument takes up to 15 queries a page, async 30. */
#define MAX_QUERIES_SYNC 15
#define MAX_QUERIES_ASYNC 30
/* Polling of asynchronous jobs: first wait, then doubling up to the cap. */
#define POLL_FIRST_MS 200
#define POLL_MAX_MS 5000

#define ANALYZE_FEATURES (MT_TEXTRACT_TABLES | MT_TEXTRACT_FORMS | \
    MT_TEXTRACT_QUERIES | MT_TEXTRACT_SIGNATURES | MT_TEXTRACT_LAYOUT)

typedef struct
{
  MtAwsClient *client;
  const MtTextractConfig *cfg;
  guint64 features;
  GstElement *element;
  GMutex doc_lock;              /* Poppler / libtiff calls on a document */
} AwsState;

/* Small JSON helpers */

static JsonArray *
array_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static JsonObject *
document_member (GBytes * bytes)
{
  JsonObject *doc = json_object_new ();
  gsize len;
  const guchar *data = g_bytes_get_data (bytes, &len);
  g_autofree gchar *b64 = g_base64_encode (data, len);

  json_object_set_string_member (doc, "Bytes", b64);
  return doc;
}

static gboolean
caps_is (GstCaps * caps, const gchar * media)
{
  return caps && gst_structure_has_name (gst_caps_get_structure (caps, 0),
      media);
}

/* Encoding pages (decoding and shrinking: core's image.h) */

/* A raw image as PNG (lossless: best for reading text; a rendered page
 * compresses well), or as JPEG scaled to fit when the PNG is over the
 * limit or, with png_first FALSE, when the image came as an encoded file
 * already over it (a PNG again would be as big: not worth encoding). */
static GBytes *
encode_raw (GstSample * raw, gboolean png_first, GError ** error)
{
  GBytes *bytes;

  if (png_first) {
    g_autoptr (GstSample) png = mt_image_convert (raw, "image/png", 0, 0,
        CONVERT_TIMEOUT, error);

    if (!png)
      return NULL;
    if (gst_buffer_get_size (gst_sample_get_buffer (png)) <= SYNC_MAX_BYTES)
      return mt_image_buffer_bytes (gst_sample_get_buffer (png));
  }
  bytes = mt_image_jpeg_within (raw, SYNC_MAX_BYTES, CONVERT_TIMEOUT, error);
  if (!bytes)
    g_prefix_error (error, "Textract's synchronous calls take pages up to "
        "10 MB: ");
  return bytes;
}

/* A page that came as a buffer: an image as it is when small enough, a
 * raw frame encoded. */
static GBytes *
buffer_page_bytes (const MtUnit * unit, GError ** error)
{
  g_autoptr (GstSample) raw = NULL;

  if (!caps_is (unit->caps, "video/x-raw")
      && gst_buffer_get_size (unit->buffer) <= SYNC_MAX_BYTES)
    return mt_image_buffer_bytes (unit->buffer);
  if (caps_is (unit->caps, "video/x-raw")) {
    raw = gst_sample_new (unit->buffer, unit->caps, NULL, NULL);
    return encode_raw (raw, TRUE, error);
  }
  raw = mt_image_decode (unit->buffer, unit->caps, CONVERT_TIMEOUT, error);
  return raw ? encode_raw (raw, FALSE, error) : NULL;
}

/* A raw sample over `pixels` (copied), 4 bytes a pixel. */
static GstSample *
raw_sample (GstVideoFormat format, const guint8 * pixels, gint width,
    gint height, gint stride)
{
  GstVideoInfo info;
  GstBuffer *buf;
  GstSample *sample;
  GstCaps *caps;
  gint row;

  gst_video_info_set_format (&info, format, width, height);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  for (row = 0; row < height; row++)
    gst_buffer_fill (buf, row * GST_VIDEO_INFO_PLANE_STRIDE (&info, 0),
        pixels + (gsize) row * stride, (gsize) width * 4);
  caps = gst_video_info_to_caps (&info);
  sample = gst_sample_new (buf, caps, NULL, NULL);
  gst_caps_unref (caps);
  gst_buffer_unref (buf);
  return sample;
}

#ifdef HAVE_POPPLER
/* Renders page `page` (from 1) at `dpi`, at most MAX_SIDE pixels a side,
 * white behind. Called under doc_lock. */
static cairo_surface_t *
render_pdf_page (PopplerDocument * pdf, guint page, guint dpi, GError ** error)
{
  PopplerPage *p = poppler_document_get_page (pdf, page - 1);
  gdouble pw, ph, scale;
  cairo_surface_t *surface;
  cairo_t *cr;

  if (!p) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "Page %u of the PDF could not be opened", page);
    return NULL;
  }
  poppler_page_get_size (p, &pw, &ph);
  scale = MIN ((gdouble) dpi / 72.0, MAX_SIDE / MAX (MAX (pw, ph), 1.0));
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
      MAX (1, (gint) ceil (pw * scale)), MAX (1, (gint) ceil (ph * scale)));
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_scale (cr, scale, scale);
  poppler_page_render_for_printing (p, cr);
  cairo_destroy (cr);
  g_object_unref (p);
  cairo_surface_flush (surface);
  return surface;
}

static GBytes *
pdf_page_bytes (AwsState * st, const MtUnit * unit, GError ** error)
{
  cairo_surface_t *surface;
  g_autoptr (GstSample) raw = NULL;

  if (!unit->document->handle) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "The PDF was not opened: pages cannot be rendered");
    return NULL;
  }
  g_mutex_lock (&st->doc_lock);
  surface = render_pdf_page (unit->document->handle, unit->page,
      unit->dpi ? unit->dpi : st->cfg->dpi, error);
  g_mutex_unlock (&st->doc_lock);
  if (!surface)
    return NULL;
  /* Cairo's RGB24 is a native-endian 32-bit word: BGRx on little-endian. */
  raw = raw_sample (G_BYTE_ORDER == G_LITTLE_ENDIAN ? GST_VIDEO_FORMAT_BGRx :
      GST_VIDEO_FORMAT_xRGB, cairo_image_surface_get_data (surface),
      cairo_image_surface_get_width (surface),
      cairo_image_surface_get_height (surface),
      cairo_image_surface_get_stride (surface));
  cairo_surface_destroy (surface);
  return encode_raw (raw, TRUE, error);
}
#endif

#ifdef MT_HAVE_TIFF
/* Page `page` of a multi-page TIFF as raw RGBA. Called under doc_lock. */
static GstSample *
read_tiff_page (TIFF * tif, guint page, GError ** error)
{
  guint32 w = 0, h = 0;
  g_autofree guint32 *raster = NULL;

  if (!TIFFSetDirectory (tif, page - 1)
      || !TIFFGetField (tif, TIFFTAG_IMAGEWIDTH, &w)
      || !TIFFGetField (tif, TIFFTAG_IMAGELENGTH, &h) || !w || !h) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "Page %u of the TIFF could not be read", page);
    return NULL;
  }
  if ((guint64) w * h > (guint64) MAX_SIDE * MAX_SIDE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "Page %u of the TIFF is %ux%u pixels, over Textract's %d a side",
        page, w, h, MAX_SIDE);
    return NULL;
  }
  raster = g_try_malloc ((gsize) w * h * 4);
  if (!raster || !TIFFReadRGBAImageOriented (tif, w, h, raster,
          ORIENTATION_TOPLEFT, 0)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "Page %u of the TIFF could not be decoded", page);
    return NULL;
  }
  /* libtiff packs R in the low byte: R, G, B, A in memory on little-endian. */
  return raw_sample (G_BYTE_ORDER == G_LITTLE_ENDIAN ? GST_VIDEO_FORMAT_RGBA :
      GST_VIDEO_FORMAT_ABGR, (const guint8 *) raster, w, h, w * 4);
}

static GBytes *
tiff_page_bytes (AwsState * st, const MtUnit * unit, GError ** error)
{
  g_autoptr (GstSample) raw = NULL;

  if (!unit->document->handle) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "The TIFF was not opened: its pages cannot be read");
    return NULL;
  }
  g_mutex_lock (&st->doc_lock);
  raw = read_tiff_page (unit->document->handle, unit->page, error);
  g_mutex_unlock (&st->doc_lock);
  return raw ? encode_raw (raw, TRUE, error) : NULL;
}
#endif

/* The page as Textract takes it in Document.Bytes. */
static GBytes *
page_bytes (AwsState * st, const MtUnit * unit, GError ** error)
{
  MtDocument *doc = unit->document;

  if (unit->buffer)
    return buffer_page_bytes (unit, error);
  /* A single page goes whole: Textract reads PDF and TIFF itself. */
  if (doc->n_pages <= 1 && g_bytes_get_size (doc->bytes) <= SYNC_MAX_BYTES)
    return g_bytes_ref (doc->bytes);
#ifdef HAVE_POPPLER
  if (caps_is (doc->caps, "application/pdf"))
    return pdf_page_bytes (st, unit, error);
#endif
#ifdef MT_HAVE_TIFF
  if (caps_is (doc->caps, "image/tiff"))
    return tiff_page_bytes (st, unit, error);
#endif
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
      "Page %u cannot be sent on its own: this build cannot split the "
      "document into pages (Poppler, libtiff), and the document is not in "
      "S3 for Textract's asynchronous API", unit->page);
  return NULL;
}

/* Calls */

static JsonObject *
call (AwsState * st, const MtEngineContext * ctx, const gchar * op,
    JsonObject * req, GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *target = g_strconcat ("Textract.", op, NULL);

  return mt_engine_context_json_call (ctx, st->client, target, req,
      cancellable, error);
}

static JsonArray *
feature_types (guint64 f)
{
  JsonArray *types = json_array_new ();

  if (f & MT_TEXTRACT_TABLES)
    json_array_add_string_element (types, "TABLES");
  if (f & MT_TEXTRACT_FORMS)
    json_array_add_string_element (types, "FORMS");
  if (f & MT_TEXTRACT_QUERIES)
    json_array_add_string_element (types, "QUERIES");
  if (f & MT_TEXTRACT_SIGNATURES)
    json_array_add_string_element (types, "SIGNATURES");
  if (f & MT_TEXTRACT_LAYOUT)
    json_array_add_string_element (types, "LAYOUT");
  return types;
}

static JsonObject *
queries_config (AwsState * st, guint max)
{
  JsonObject *config = json_object_new ();
  JsonArray *queries = json_array_new ();
  guint i;

  for (i = 0; st->cfg->queries && st->cfg->queries[i] && i < max; i++) {
    JsonObject *q = json_object_new ();

    json_object_set_string_member (q, "Text", st->cfg->queries[i]);
    json_array_add_object_element (queries, q);
  }
  json_object_set_array_member (config, "Queries", queries);
  return config;
}

/* The analysis request's features, for sync (Document) and async
 * (DocumentLocation) calls alike. */
static void
set_analysis_features (AwsState * st, JsonObject * req, guint max_queries)
{
  json_object_set_array_member (req, "FeatureTypes",
      feature_types (st->features));
  if (st->features & MT_TEXTRACT_QUERIES)
    json_object_set_object_member (req, "QueriesConfig",
        queries_config (st, max_queries));
}

static gboolean
analyze_blocks (AwsState * st, const MtEngineContext * ctx, GBytes * bytes,
    guint page, GPtrArray * results, GCancellable * c, GError ** error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  g_autoptr (JsonObject) resp = NULL;
  gboolean analyze = (st->features & ANALYZE_FEATURES) != 0;
  const gchar *op = analyze ? "AnalyzeDocument" : "DetectDocumentText";
  g_autofree gchar *engine = g_strconcat ("aws:textract:", op, NULL);

  json_object_set_object_member (req, "Document", document_member (bytes));
  if (analyze)
    set_analysis_features (st, req, MAX_QUERIES_SYNC);
  if (!(resp = call (st, ctx, op, req, c, error)))
    return FALSE;
  mt_textract_blocks_to_results (array_member (resp, "Blocks"), page,
      st->features, st->cfg->min_confidence, engine, results);
  return TRUE;
}

static gboolean
analyze_expense (AwsState * st, const MtEngineContext * ctx, GBytes * bytes,
    guint page, GPtrArray * results, GCancellable * c, GError ** error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  g_autoptr (JsonObject) resp = NULL;

  json_object_set_object_member (req, "Document", document_member (bytes));
  if (!(resp = call (st, ctx, "AnalyzeExpense", req, c, error)))
    return FALSE;
  mt_textract_expense_to_results (array_member (resp, "ExpenseDocuments"),
      page, st->cfg->min_confidence, "aws:textract:AnalyzeExpense", results);
  return TRUE;
}

static gboolean
analyze_id (AwsState * st, const MtEngineContext * ctx, GBytes * bytes,
    guint page, GPtrArray * results, GCancellable * c, GError ** error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  g_autoptr (JsonObject) resp = NULL;
  JsonArray *pages = json_array_new ();

  json_array_add_object_element (pages, document_member (bytes));
  json_object_set_array_member (req, "DocumentPages", pages);
  if (!(resp = call (st, ctx, "AnalyzeID", req, c, error)))
    return FALSE;
  mt_textract_identity_to_results (array_member (resp, "IdentityDocuments"),
      page, st->cfg->min_confidence, "aws:textract:AnalyzeID", results);
  return TRUE;
}

static gboolean
analyze_page (AwsState * st, const MtEngineContext * ctx,
    const MtUnit * unit, guint page, guint64 f, GPtrArray * results,
    GCancellable * c, GError ** error)
{
  g_autoptr (GBytes) bytes = page_bytes (st, unit, error);
  gboolean ok;

  if (!bytes)
    return FALSE;
  ok = TRUE;
  if (f & (MT_TEXTRACT_TEXT | ANALYZE_FEATURES))
    ok = analyze_blocks (st, ctx, bytes, page, results, c, error);
  if (ok && (f & MT_TEXTRACT_EXPENSE))
    ok = analyze_expense (st, ctx, bytes, page, results, c, error);
  if (ok && (f & MT_TEXTRACT_IDENTITY))
    ok = analyze_id (st, ctx, bytes, page, results, c, error);
  return ok;
}

/* Asynchronous jobs */

/* An idempotency token for Start*: the same document and request start
 * the same job again (a retried Start after a lost answer included). */
static gchar *
request_token (const MtEngineContext * ctx, const gchar * op, guint64 f)
{
  g_autofree gchar *seed = g_strdup_printf ("%s|%s|%" G_GUINT64_FORMAT,
      ctx->asset, op, f);
  gchar *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);

  sum[64] = '\0';
  return sum;
}

static gchar *
start_job (AwsState * st, const MtEngineContext * ctx, const gchar * op,
    gboolean analysis, GCancellable * c, GError ** error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  g_autoptr (JsonObject) resp = NULL;
  g_autofree gchar *bucket = NULL, *key = NULL, *token = NULL;
  JsonObject *location = json_object_new ();
  JsonObject *object = json_object_new ();

  json_object_set_object_member (location, "S3Object", object);
  json_object_set_object_member (req, "DocumentLocation", location);
  if (!mt_s3_uri_parse (ctx->asset, FALSE, &bucket, &key, error))
    return NULL;
  json_object_set_string_member (object, "Bucket", bucket);
  json_object_set_string_member (object, "Name", key);
  token = request_token (ctx, op, st->features);
  json_object_set_string_member (req, "ClientRequestToken", token);
  if (analysis)
    set_analysis_features (st, req, MAX_QUERIES_ASYNC);
  if (!(resp = call (st, ctx, op, req, c, error)))
    return NULL;
  if (!json_object_get_string_member_with_default (resp, "JobId", NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s: the answer has no JobId", op);
    return NULL;
  }
  GST_INFO_OBJECT (st->element, "%s: job %s on %s", op,
      json_object_get_string_member (resp, "JobId"), ctx->asset);
  return g_strdup (json_object_get_string_member (resp, "JobId"));
}

static void
warn_job (AwsState * st, const gchar * op, JsonObject * resp)
{
  JsonArray *warnings = array_member (resp, "Warnings");
  guint i;

  for (i = 0; warnings && i < json_array_get_length (warnings); i++) {
    JsonObject *w = json_array_get_object_element (warnings, i);
    JsonNode *pages = json_object_get_member (w, "Pages");
    g_autofree gchar *list = pages ? json_to_string (pages, FALSE) : NULL;

    GST_ELEMENT_WARNING (st->element, STREAM, DECODE,
        ("Textract could not read some pages: %s",
            list ? list : "(pages not named)"),
        ("%s: %s on pages %s", op,
            json_object_get_string_member_with_default (w, "ErrorCode", "?"),
            list ? list : "?"));
  }
}

/* One Get* answer once the job has ended: FALSE (with the service's
 * status message) for a failed job. */
static gboolean
job_answer_ok (AwsState * st, const gchar * op, JsonObject * resp,
    GError ** error)
{
  const gchar *status = json_object_get_string_member_with_default (resp,
      "JobStatus", "");
  GError *err;
  gchar *message;

  if (!strcmp (status, "SUCCEEDED") || !strcmp (status, "PARTIAL_SUCCESS")) {
    warn_job (st, op, resp);
    return TRUE;
  }
  err = g_error_new (MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
      "%s: the Textract job ended %s: %s", op, status,
      json_object_get_string_member_with_default (resp, "StatusMessage",
          "no message"));
  /* The action goes in the details (error documents' `action`); the
   * words stay these: the call succeeded, the job did not. */
  message = g_strdup (err->message);
  mt_aws_error_set_outcome (err, op, 1);
  g_free (err->message);
  err->message = message;
  g_propagate_error (error, err);
  return FALSE;
}

/* Polls Get* until the job has ended, then follows NextToken, appending
 * every answer's `member` array (Blocks, ExpenseDocuments) to `all`. */
static gboolean
collect_job (AwsState * st, const MtEngineContext * ctx, const gchar * op,
    const gchar * job, const gchar * member, JsonArray * all,
    GCancellable * c, GError ** error)
{
  g_autofree gchar *next = NULL;
  guint wait = POLL_FIRST_MS;

  for (;;) {
    g_autoptr (JsonObject) req = json_object_new ();
    g_autoptr (JsonObject) resp = NULL;
    JsonArray *items;
    guint i;

    json_object_set_string_member (req, "JobId", job);
    if (next)
      json_object_set_string_member (req, "NextToken", next);
    if (!(resp = call (st, ctx, op, req, c, error)))
      return FALSE;
    if (!g_strcmp0 (json_object_get_string_member_with_default (resp,
                "JobStatus", ""), "IN_PROGRESS")) {
      /* retry.h's wait: a state change ends it at once. */
      if (!mt_retry_wait (wait, c, error))
        return FALSE;
      wait = MIN (wait * 2, POLL_MAX_MS);
      continue;
    }
    if (!next && !job_answer_ok (st, op, resp, error))
      return FALSE;
    items = array_member (resp, member);
    for (i = 0; items && i < json_array_get_length (items); i++)
      json_array_add_element (all, json_node_copy (json_array_get_element
              (items, i)));
    g_free (next);
    next = g_strdup (json_object_get_string_member_with_default (resp,
            "NextToken", NULL));
    if (!next || !*next)
      return TRUE;
  }
}

static gboolean
async_blocks (AwsState * st, const MtEngineContext * ctx,
    GPtrArray * results, GCancellable * c, GError ** error)
{
  gboolean analyze = (st->features & ANALYZE_FEATURES) != 0;
  const gchar *start = analyze ? "StartDocumentAnalysis" :
      "StartDocumentTextDetection";
  const gchar *get = analyze ? "GetDocumentAnalysis" :
      "GetDocumentTextDetection";
  g_autofree gchar *job = start_job (st, ctx, start, analyze, c, error);
  g_autofree gchar *engine = g_strconcat ("aws:textract:", start, NULL);
  g_autoptr (JsonArray) blocks = json_array_new ();

  if (!job || !collect_job (st, ctx, get, job, "Blocks", blocks, c, error))
    return FALSE;
  mt_textract_blocks_to_results (blocks, 0, st->features,
      st->cfg->min_confidence, engine, results);
  return TRUE;
}

static gboolean
async_expense (AwsState * st, const MtEngineContext * ctx,
    GPtrArray * results, GCancellable * c, GError ** error)
{
  g_autofree gchar *job = start_job (st, ctx, "StartExpenseAnalysis", FALSE,
      c, error);
  g_autoptr (JsonArray) docs = json_array_new ();

  if (!job || !collect_job (st, ctx, "GetExpenseAnalysis", job,
          "ExpenseDocuments", docs, c, error))
    return FALSE;
  mt_textract_expense_to_results (docs, 0, st->cfg->min_confidence,
      "aws:textract:StartExpenseAnalysis", results);
  return TRUE;
}

/* AnalyzeID has no asynchronous form: page by page. */
static gboolean
identity_pages (AwsState * st, const MtEngineContext * ctx,
    const MtUnit * unit, GPtrArray * results, GCancellable * c, GError ** error)
{
  MtUnit page_unit = *unit;
  guint p;

  for (p = 1; p <= unit->document->n_pages; p++) {
    page_unit.page = p;
    if (!analyze_page (st, ctx, &page_unit, p, MT_TEXTRACT_IDENTITY, results,
            c, error))
      return FALSE;
  }
  return TRUE;
}

static gint
compare_page (gconstpointer a, gconstpointer b)
{
  JsonObject *ra = *(JsonObject **) a, *rb = *(JsonObject **) b;
  gint64 pa = json_object_get_int_member_with_default (ra, "page", 0);
  gint64 pb = json_object_get_int_member_with_default (rb, "page", 0);

  return pa < pb ? -1 : pa > pb;
}

static gboolean
analyze_document_async (AwsState * st, const MtEngineContext * ctx,
    const MtUnit * unit, GPtrArray * results, GCancellable * c, GError ** error)
{
  guint64 f = st->features;
  gboolean ok = TRUE;

  if (f & (MT_TEXTRACT_TEXT | ANALYZE_FEATURES))
    ok = async_blocks (st, ctx, results, c, error);
  if (ok && (f & MT_TEXTRACT_EXPENSE))
    ok = async_expense (st, ctx, results, c, error);
  if (ok && (f & MT_TEXTRACT_IDENTITY))
    ok = identity_pages (st, ctx, unit, results, c, error);
  /* Page by page, each page's documents in the order they were made (the
   * sort is stable). */
  g_ptr_array_sort (results, compare_page);
  return ok;
}

/* The vtable */

static gboolean
aws_analyze (gpointer state, const MtEngineContext * ctx, const MtUnit * unit,
    GPtrArray * results, GCancellable * c, GError ** error)
{
  AwsState *st = state;

  if (unit->kind == MT_UNIT_PAGE && unit->page == 0 && unit->document) {
    if (!ctx->asset || !g_str_has_prefix (ctx->asset, "s3://")) {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
          "A whole document goes to Textract's asynchronous API only from "
          "S3");
      return FALSE;
    }
    return analyze_document_async (st, ctx, unit, results, c, error);
  }
  return analyze_page (st, ctx, unit, unit->page ? unit->page : 1,
      st->features, results, c, error);
}

static void
aws_stop (gpointer state)
{
  AwsState *st = state;

  g_clear_pointer (&st->client, mt_aws_client_free);
  g_mutex_clear (&st->doc_lock);
  g_free (st);
}

static gboolean
check_queries (AwsState * st, GError ** error)
{
  guint n = st->cfg->queries ? g_strv_length (st->cfg->queries) : 0;

  if (!(st->features & MT_TEXTRACT_QUERIES))
    return TRUE;
  /* Textract's limits: never a silent partial answer. */
  if (n > MAX_QUERIES_SYNC)
    GST_ELEMENT_WARNING (st->element, RESOURCE, SETTINGS,
        ("Textract takes %d questions a page (%d for a whole document in "
            "S3): only the first ones of the %u in `queries` are asked.",
            MAX_QUERIES_SYNC, MAX_QUERIES_ASYNC, n), (NULL));
  if (n > 0)
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "features=queries needs the questions in `queries` (separated by |, "
      "e.g. queries=\"What is the total?|Who is the vendor?\")");
  return FALSE;
}

static gboolean
aws_start (const MtEngineContext * ctx, gpointer * state, GError ** error)
{
  static gsize debug_once = 0;
  AwsState *st;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (engine_aws_debug, "textract-aws", 0,
        "textractsink AWS engine");
    g_once_init_leave (&debug_once, 1);
  }
  st = g_new0 (AwsState, 1);
  g_mutex_init (&st->doc_lock);
  st->cfg = ctx->config;
  st->features = ctx->features;
  st->element = ctx->element;
  if (!check_queries (st, error))
    goto failed;
  st->client = mt_aws_client_new (ctx->aws, &mt_aws_service_textract, FALSE,
      error);
  if (!st->client || !mt_aws_client_check_credentials (st->client, NULL, error))
    goto failed;
  GST_INFO_OBJECT (st->element, "Textract at %s",
      mt_aws_client_get_endpoint (st->client));
  *state = st;
  return TRUE;

failed:
  aws_stop (st);
  return FALSE;
}

const MtEngine mt_textract_engine_aws = {
  .backend = "aws",
  .name = "aws:textract",
  .features = MT_TEXTRACT_ALL_FEATURES,
  .start = aws_start,
  .analyze = aws_analyze,
  .stop = aws_stop,
};
