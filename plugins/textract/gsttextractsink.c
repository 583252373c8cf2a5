/* textractsink: the element. Streaming, queueing, ordering, output and
 * errors are the analysis-sink base's (plugins/core/analysissink.c); this
 * file gathers documents, opens them, and queues one page unit per page. */

/**
 * SECTION:element-textractsink
 * @title: textractsink
 *
 * Reads documents (PDF, multi-page TIFF), images of pages (JPEG, PNG) and
 * video frames of pages with Amazon Textract or a local engine (Poppler
 * and Tesseract), and outputs result documents as JSON Lines on its src
 * pad, in bus messages and in the `location` file: `text` (one per line),
 * `document` (one per page: `text` in reading order, `detail.Blocks` in
 * Textract's Block shape), `table` (`detail.rows`, header row first,
 * merged cells repeated), `field` (form key/value pairs: `name`, `value`;
 * checkboxes read SELECTED / NOT_SELECTED), `answer` (`queries`: `name`
 * the question, `value` the answer), `expense` (AnalyzeExpense summary
 * fields: `name` TOTAL, VENDOR_NAME..., `value`; one LINE_ITEMS document
 * with `detail.LineItems`), `identity` (AnalyzeID fields, dates as
 * YYYY-MM-DD), `signature` and `layout` (LAYOUT_* blocks). Every one has
 * `page` (from 1) and, where Textract gives a place, `box` (0..1 of the
 * page).
 *
 * The input is recognised by its caps, so `filesrc ! typefind !
 * textractsink` works for every format whatever the file is named. A PDF
 * or TIFF is gathered whole (up to `max-size`), opened (a PDF's password
 * from `password`), and analysed page by page (`pages` picks some), the
 * results of each page coming out as soon as it is done and in page
 * order. Pages are queued through the base's bounded queue and rendered
 * only when analysed, so long documents run in bounded memory. An image
 * is one page; video frames are pages in frame order.
 *
 * With the AWS engine, a page goes to Textract as it is (images,
 * single-page PDFs and TIFFs) or rendered to PNG at `dpi` (a page of a
 * multi-page PDF or TIFF), within the 10 MB synchronous limit. A
 * multi-page document whose asset is in S3 (`s3src`, or the `asset`
 * property) goes instead to the asynchronous API (StartDocumentAnalysis,
 * StartExpenseAnalysis; Get* polled and paged) unless `pages` is set, as
 * one unit whose documents carry their pages.
 *
 * The element message, named `textractsink`, has these fields:
 *
 * * #guint `page`: the page the results are of (0: a whole document sent
 *   to the asynchronous API; each document then has its own `page`)
 * * #guint64 `index`: the unit's position in the input, from 0
 * * #guint64 `timestamp`, #guint64 `stream-time`, #guint64 `running-time`,
 *   #guint64 `duration`: the buffer's, for video frames
 * * #gint64 `frame`: the source frame number, -1 for documents and images
 * * #guint `count`: the number of documents
 * * #gchararray `results`: the documents, as a JSON array
 *
 * Before the pages of a PDF or TIFF, a `textractsink-document` element
 * message says what is coming (for progress):
 *
 * * #gchararray `media-type`: application/pdf or image/tiff
 * * #guint64 `size`: the document's size in bytes
 * * #guint `n-pages`: the pages the document has
 * * #guint `pages`: the pages that will be analysed (`pages` applied)
 * * #gboolean `whole`: TRUE when the document goes to Textract's
 *   asynchronous API as one unit (its results then come all at once)
 *
 * and at EOS the base's `mediatag-summary` message (units are pages).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=invoice.pdf ! typefind \
 *     ! textractsink features=text+tables+forms location=invoice.jsonl
 * gst-launch-1.0 s3src uri=s3://docs/contract.pdf ! typefind \
 *     ! textractsink backend=aws features=queries \
 *       queries="Who signed?|What is the term?" location=contract.jsonl
 * gst-launch-1.0 filesrc location=scan.tiff ! typefind \
 *     ! textractsink pages=1-5,9 dpi=200 ! filesink location=scan.jsonl
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "mediatag-config.h"

#include "gsttextractsink.h"

#include <string.h>
#include <gst/video/video.h>

#ifdef HAVE_POPPLER
#include <poppler.h>
#endif
#ifdef MT_HAVE_TIFF
#include <tiffio.h>
#endif

GST_DEBUG_CATEGORY_STATIC (textract_sink_debug);
#define GST_CAT_DEFAULT textract_sink_debug

enum
{
  PROP_0,
  PROP_FEATURES,
  PROP_QUERIES,
  PROP_PAGES,
  PROP_DPI,
  PROP_MAX_SIZE,
  PROP_PASSWORD,
  PROP_MIN_CONFIDENCE,
};

#define DEFAULT_FEATURES (MT_TEXTRACT_TEXT | MT_TEXTRACT_TABLES | \
    MT_TEXTRACT_FORMS)
#define DEFAULT_DPI 300
#define DEFAULT_MAX_SIZE (G_GUINT64_CONSTANT (500) * 1024 * 1024)
#define DEFAULT_MIN_CONFIDENCE 50.0

/* What is being gathered. */
typedef enum
{
  INPUT_NONE,
  INPUT_DOCUMENT,               /* PDF, TIFF: gathered whole */
  INPUT_IMAGE,                  /* JPEG, PNG: one image per buffer, or
                                 * gathered when it comes in pieces */
  INPUT_FRAMES,                 /* raw video: a page per frame */
} InputKind;

struct _MtTextractSink
{
  MtAnalysisSink parent;

  /* Properties, under the object lock. */
  guint features;
  gchar *queries;
  gchar *pages;
  guint dpi;
  guint64 max_size;
  gchar *password;
  gdouble min_confidence;

  /* Streaming thread only. */
  GByteArray *gathered;
  GstCaps *gathered_caps;
  guint64 max_size_now;
  guint next_page;              /* images and frames: pages in order */
  gboolean failed;
};

static const MtEngine *const engines[] = {
  &mt_textract_engine_aws,
#ifdef MT_HAVE_TEXTRACT_LOCAL
  &mt_textract_engine_local,
#endif
  NULL,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/pdf; image/tiff; image/jpeg; image/png; "
        GST_VIDEO_CAPS_MAKE ("{ I420, NV12, YV12, YUY2, UYVY, RGB, BGR, "
            "RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, GRAY8 }")));

G_DEFINE_TYPE (MtTextractSink, mt_textract_sink, MT_TYPE_ANALYSIS_SINK);
GST_ELEMENT_REGISTER_DEFINE (textractsink, "textractsink", GST_RANK_NONE,
    MT_TYPE_TEXTRACT_SINK);

GType
mt_textract_features_get_type (void)
{
  static GType type = 0;
  static const GFlagsValue values[] = {
    {MT_TEXTRACT_TEXT, "Lines of text and the page's text "
          "(DetectDocumentText)", "text"},
    {MT_TEXTRACT_TABLES, "Tables (AnalyzeDocument TABLES)", "tables"},
    {MT_TEXTRACT_FORMS, "Form key/value pairs (AnalyzeDocument FORMS)",
        "forms"},
    {MT_TEXTRACT_QUERIES, "Answers to the questions in queries "
          "(AnalyzeDocument QUERIES)", "queries"},
    {MT_TEXTRACT_SIGNATURES, "Signatures (AnalyzeDocument SIGNATURES)",
        "signatures"},
    {MT_TEXTRACT_LAYOUT, "Layout: titles, headers, lists, figures "
          "(AnalyzeDocument LAYOUT)", "layout"},
    {MT_TEXTRACT_EXPENSE, "Invoice and receipt fields (AnalyzeExpense)",
        "expense"},
    {MT_TEXTRACT_IDENTITY, "Identity document fields (AnalyzeID)",
        "identity"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_flags_register_static ("MtTextractFeatures",
            values));
  return type;
}

/* Config */

static void
free_config (gpointer data)
{
  MtTextractConfig *cfg = data;

  g_strfreev (cfg->queries);
  if (cfg->password)
    memset (cfg->password, 0, strlen (cfg->password));
  g_free (cfg->password);
  g_free (cfg);
}

/* "What is the total?|Who is the vendor?" */
static gchar **
split_queries (const gchar * s)
{
  g_auto (GStrv) parts = g_strsplit (s ? s : "", "|", -1);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  guint i;

  for (i = 0; parts[i]; i++) {
    g_strstrip (parts[i]);
    if (*parts[i])
      g_strv_builder_add (b, parts[i]);
  }
  return g_strv_builder_end (b);
}

static gpointer
get_config (MtAnalysisSink * sink, guint64 * features)
{
  MtTextractSink *self = MT_TEXTRACT_SINK (sink);
  MtTextractConfig *cfg = g_new0 (MtTextractConfig, 1);

  GST_OBJECT_LOCK (self);
  cfg->features = self->features;
  cfg->queries = split_queries (self->queries);
  cfg->min_confidence = self->min_confidence;
  cfg->dpi = self->dpi;
  cfg->password = g_strdup (self->password);
  GST_OBJECT_UNLOCK (self);
  *features = cfg->features;
  return cfg;
}

/* Opening documents */

#ifdef HAVE_POPPLER
static gboolean
open_pdf (MtTextractSink * self, GBytes * bytes, const gchar * password,
    MtDocument ** doc, GstCaps * caps)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GInputStream) stream = g_memory_input_stream_new_from_bytes
      (bytes);
  PopplerDocument *pdf;
  guint n;

  /* Not poppler_document_new_from_bytes(): Poppler 22.12 crashes there on
   * an AES-256 PDF and a wrong password; the stream path does not. */
  pdf = poppler_document_new_from_stream (stream, g_bytes_get_size (bytes),
      password, NULL, &err);

  if (!pdf && g_error_matches (err, POPPLER_ERROR, POPPLER_ERROR_ENCRYPTED)) {
    if (password && *password)
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
          ("The PDF is encrypted and the password given in `password` does "
              "not open it."), ("Poppler: %s", err->message));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
          ("The PDF is encrypted: give its password in the `password` "
              "property (mediatag: --pdf-password-file)."), ("Poppler: %s",
              err->message));
    return FALSE;
  }
  if (!pdf) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("The PDF could not be read: it is damaged or not a PDF."),
        ("Poppler: %s", err ? err->message : "no error given"));
    return FALSE;
  }
  n = poppler_document_get_n_pages (pdf);
  if (n == 0) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("The PDF has no pages: there is nothing to analyse."), (NULL));
    g_object_unref (pdf);
    return FALSE;
  }
  *doc = mt_document_new (bytes, caps, n, pdf, g_object_unref);
  return TRUE;
}
#endif

#ifdef MT_HAVE_TIFF
/* libtiff reads the gathered bytes in place. */
typedef struct
{
  GBytes *bytes;
  const guint8 *data;
  gsize size;
  toff_t pos;
} TiffMem;

static tmsize_t
tiff_read (thandle_t h, void *buf, tmsize_t n)
{
  TiffMem *m = h;

  if (n < 0 || m->pos >= m->size)
    return 0;
  n = MIN ((gsize) n, m->size - m->pos);
  memcpy (buf, m->data + m->pos, n);
  m->pos += n;
  return n;
}

static tmsize_t
tiff_write (thandle_t h, void *buf, tmsize_t n)
{
  return -1;
}

static toff_t
tiff_seek (thandle_t h, toff_t off, int whence)
{
  TiffMem *m = h;

  if (whence == SEEK_CUR)
    off += m->pos;
  else if (whence == SEEK_END)
    off += m->size;
  m->pos = off;
  return m->pos;
}

/* TIFFClose() ends here: the memory goes with the TIFF. */
static int
tiff_close (thandle_t h)
{
  TiffMem *m = h;

  g_bytes_unref (m->bytes);
  g_free (m);
  return 0;
}

static toff_t
tiff_size (thandle_t h)
{
  return ((TiffMem *) h)->size;
}

static int
tiff_map (thandle_t h, void **base, toff_t * size)
{
  TiffMem *m = h;

  *base = (void *) m->data;
  *size = m->size;
  return 1;
}

static void
tiff_unmap (thandle_t h, void *base, toff_t size)
{
}

/* libtiff's complaints go to the debug log, not to stderr. */
static void
tiff_message (const char *module, const char *fmt, va_list ap)
{
  gst_debug_log_valist (textract_sink_debug, GST_LEVEL_DEBUG, __FILE__,
      module ? module : "libtiff", __LINE__, NULL, fmt, ap);
}

static void
close_tiff (gpointer tif)
{
  TIFFClose (tif);
}

static gboolean
open_tiff (MtTextractSink * self, GBytes * bytes, MtDocument ** doc,
    GstCaps * caps)
{
  TiffMem *m = g_new0 (TiffMem, 1);
  TIFF *tif;
  guint n;

  m->bytes = g_bytes_ref (bytes);
  m->data = g_bytes_get_data (bytes, &m->size);
  tif = TIFFClientOpen ("tiff", "r", m, tiff_read, tiff_write, tiff_seek,
      tiff_close, tiff_size, tiff_map, tiff_unmap);
  if (!tif) {
    /* A failed open does not call the close procedure (TIFFClose would). */
    tiff_close (m);
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("The TIFF could not be read: it is damaged or not a TIFF."), (NULL));
    return FALSE;
  }
  n = TIFFNumberOfDirectories (tif);
  if (n == 0) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("The TIFF has no images: there is nothing to analyse."), (NULL));
    TIFFClose (tif);
    return FALSE;
  }
  *doc = mt_document_new (bytes, caps, n, tif, close_tiff);
  return TRUE;
}
#endif

static gboolean
caps_is (GstCaps * caps, const gchar * media)
{
  return caps && !gst_caps_is_empty (caps)
      && gst_structure_has_name (gst_caps_get_structure (caps, 0), media);
}

/* The document as an MtDocument with its page count; without the library
 * to open it, one page: the whole file goes to the engine. */
static gboolean
open_document (MtTextractSink * self, GBytes * bytes, GstCaps * caps,
    MtDocument ** doc)
{
  g_autofree gchar *password = NULL;

  GST_OBJECT_LOCK (self);
  password = g_strdup (self->password);
  GST_OBJECT_UNLOCK (self);
#ifdef HAVE_POPPLER
  if (caps_is (caps, "application/pdf"))
    return open_pdf (self, bytes, password, doc, caps);
#endif
#ifdef MT_HAVE_TIFF
  if (caps_is (caps, "image/tiff"))
    return open_tiff (self, bytes, doc, caps);
#endif
  *doc = mt_document_new (bytes, caps, 1, NULL, NULL);
  return TRUE;
}

/* Input */

static InputKind
input_kind (GstCaps * caps)
{
  if (caps_is (caps, "application/pdf") || caps_is (caps, "image/tiff"))
    return INPUT_DOCUMENT;
  if (caps_is (caps, "image/jpeg") || caps_is (caps, "image/png"))
    return INPUT_IMAGE;
  if (caps_is (caps, "video/x-raw"))
    return INPUT_FRAMES;
  return INPUT_NONE;
}

/* A buffer holding one whole image (multifilesrc, a parser, appsrc), as
 * opposed to the first block of a file read by filesrc. */
static gboolean
is_whole_image (GstBuffer * buffer, GstCaps * caps)
{
  static const guint8 png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
    '\n'
  };
  GstMapInfo map;
  gboolean whole = FALSE;
  gsize n;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return FALSE;
  n = map.size;
  if (caps_is (caps, "image/png"))
    whole = n >= 20 && !memcmp (map.data, png_sig, 8)
        && !memcmp (map.data + n - 8, "IEND", 4);
  else {
    while (n > 2 && map.data[n - 1] == 0)
      n--;
    whole = n >= 4 && map.data[0] == 0xff && map.data[1] == 0xd8
        && map.data[n - 2] == 0xff && map.data[n - 1] == 0xd9;
  }
  gst_buffer_unmap (buffer, &map);
  return whole;
}

/* The size an encoded image says it has (PNG IHDR, JPEG SOF), read before
 * anything decodes it. Byte by byte: headers sit at any offset. */
static gboolean
encoded_size (const guint8 * d, gsize n, guint64 * w, guint64 * h)
{
  gsize i = 2;

  if (n >= 24 && d[0] == 0x89 && !memcmp (d + 1, "PNG", 3)
      && !memcmp (d + 12, "IHDR", 4)) {
    *w = ((guint64) d[16] << 24) | (d[17] << 16) | (d[18] << 8) | d[19];
    *h = ((guint64) d[20] << 24) | (d[21] << 16) | (d[22] << 8) | d[23];
    return TRUE;
  }
  while (n >= 4 && d[0] == 0xff && d[1] == 0xd8 && i + 9 <= n && d[i] == 0xff) {
    guint8 m = d[i + 1];

    /* SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC). */
    if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
      *h = (d[i + 5] << 8) | d[i + 6];
      *w = (d[i + 7] << 8) | d[i + 8];
      return TRUE;
    }
    i += m == 0xff ? 1 : 2 + ((d[i + 2] << 8) | d[i + 3]);
  }
  return FALSE;
}

/* An image above the base's max-pixels is refused before any engine
 * decodes it (a 20000x20000 page would take gigabytes): a warning, and
 * the input counts as incomplete. */
static gboolean
image_too_large (MtTextractSink * self, GstBuffer * buffer)
{
  guint64 max = 0, w = 0, h = 0;
  g_autofree gchar *what = NULL;
  GstMapInfo map;
  gboolean known;

  g_object_get (self, "max-pixels", &max, NULL);
  if (!max || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return FALSE;
  known = encoded_size (map.data, map.size, &w, &h);
  gst_buffer_unmap (buffer, &map);
  if (!known || w * h <= max)
    return FALSE;
  what = g_strdup_printf ("page %u: the image is %" G_GUINT64_FORMAT "x%"
      G_GUINT64_FORMAT " (%.1f Mpx), above max-pixels (%.1f Mpx): it was not "
      "decoded. Raise max-pixels to analyse it", self->next_page + 1, w, h,
      w * h / 1e6, max / 1e6);
  mt_analysis_sink_note_loss (MT_ANALYSIS_SINK (self), what);
  return TRUE;
}

static guint
get_dpi (MtTextractSink * self)
{
  guint dpi;

  GST_OBJECT_LOCK (self);
  dpi = self->dpi;
  GST_OBJECT_UNLOCK (self);
  return dpi;
}

/* An image or a frame: one page, numbered in input order. */
static GstFlowReturn
queue_buffer_page (MtTextractSink * self, GstBuffer * buffer, GstCaps * caps,
    gboolean video)
{
  MtUnit unit = { 0, };

  if (!video && image_too_large (self, buffer)) {
    self->next_page++;
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }
  unit.kind = MT_UNIT_PAGE;
  unit.buffer = buffer;
  unit.caps = gst_caps_ref (caps);
  unit.frame = video && GST_BUFFER_OFFSET_IS_VALID (buffer) ?
      (gint64) GST_BUFFER_OFFSET (buffer) : -1;
  unit.pts = GST_BUFFER_PTS (buffer);
  unit.duration = GST_BUFFER_DURATION (buffer);
  unit.stream_time = GST_CLOCK_TIME_NONE;
  unit.page = ++self->next_page;
  unit.dpi = get_dpi (self);
  return mt_analysis_sink_queue_unit (MT_ANALYSIS_SINK (self), &unit);
}

static void
clear_gathered (MtTextractSink * self)
{
  g_clear_pointer (&self->gathered, g_byte_array_unref);
  gst_clear_caps (&self->gathered_caps);
}

static GstFlowReturn
gather (MtTextractSink * self, GstBuffer * buffer, GstCaps * caps)
{
  gsize size = gst_buffer_get_size (buffer);
  GstMapInfo map;

  /* The file from its start again (a flushing seek to 0): what was
   * gathered is not the beginning of what comes now. */
  if (self->gathered && self->gathered->len > 0
      && GST_BUFFER_OFFSET (buffer) == 0) {
    GST_DEBUG_OBJECT (self, "input starts over: dropping %u bytes",
        self->gathered->len);
    clear_gathered (self);
  }
  if (!self->gathered) {
    self->gathered = g_byte_array_new ();
    self->gathered_caps = gst_caps_ref (caps);
  }
  if (self->gathered->len + size > self->max_size_now) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("The document is larger than max-size (%" G_GUINT64_FORMAT " MB): "
            "raise max-size to analyse it.", self->max_size_now >> 20),
        ("max-size=%" G_GUINT64_FORMAT " bytes, %" G_GSIZE_FORMAT
            " gathered so far", self->max_size_now,
            (gsize) self->gathered->len + size));
    self->failed = TRUE;
    clear_gathered (self);
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }
  if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    g_byte_array_append (self->gathered, map.data, map.size);
    gst_buffer_unmap (buffer, &map);
  }
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

/* At the first buffer: the settings that hold for the whole stream. */
static gboolean
begin_input (MtTextractSink * self)
{
  g_autofree gchar *pages = NULL;

  GST_OBJECT_LOCK (self);
  self->max_size_now = self->max_size;
  pages = g_strdup (self->pages);
  GST_OBJECT_UNLOCK (self);
  if (mt_pages_valid (pages))
    return TRUE;
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
      ("pages=\"%s\" is not a page range: write pages and ranges from 1, "
          "separated by commas, e.g. pages=1-5,9.", pages), (NULL));
  self->failed = TRUE;
  return FALSE;
}

static GstFlowReturn
handle_buffer (MtAnalysisSink * sink, GstBuffer * buffer)
{
  MtTextractSink *self = MT_TEXTRACT_SINK (sink);
  g_autoptr (GstCaps) caps = mt_analysis_sink_get_caps (sink);
  gboolean first = !self->gathered && self->next_page == 0;

  if (self->failed || (first && !begin_input (self))) {
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }
  switch (input_kind (caps)) {
    case INPUT_FRAMES:
      return queue_buffer_page (self, buffer, caps, TRUE);
    case INPUT_IMAGE:
      if (!self->gathered && is_whole_image (buffer, caps))
        return queue_buffer_page (self, buffer, caps, FALSE);
      return gather (self, buffer, caps);
    case INPUT_DOCUMENT:
      return gather (self, buffer, caps);
    default:
      GST_ELEMENT_ERROR (self, STREAM, WRONG_TYPE,
          ("textractsink takes PDF, TIFF, JPEG, PNG or raw video."),
          ("caps %" GST_PTR_FORMAT, caps));
      gst_buffer_unref (buffer);
      return GST_FLOW_NOT_NEGOTIATED;
  }
}

/* The asset URI: the `asset` property, else the URI upstream answers. */
static gchar *
get_asset (MtTextractSink * self)
{
  gchar *asset = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstQuery) query = NULL;

  g_object_get (self, "asset", &asset, NULL);
  if (asset)
    return asset;
  pad = gst_element_get_static_pad (GST_ELEMENT (self), "sink");
  query = gst_query_new_uri ();
  if (gst_pad_peer_query (pad, query))
    gst_query_parse_uri (query, &asset);
  return asset;
}

/* Multi-page documents in S3 go to Textract's asynchronous API in one
 * unit (page 0) when every page is wanted: the service reads the object
 * itself and splits nothing here. */
static gboolean
use_async (MtTextractSink * self, MtDocument * doc, const gchar * pages)
{
  g_autofree gchar *asset = NULL;

  if (mt_analysis_sink_get_engine (MT_ANALYSIS_SINK (self)) !=
      &mt_textract_engine_aws || doc->n_pages < 2 || (pages && *pages))
    return FALSE;
  asset = get_asset (self);
  return asset && g_str_has_prefix (asset, "s3://");
}

static GstFlowReturn
queue_page (MtTextractSink * self, MtDocument * doc, guint page, guint dpi)
{
  MtUnit unit = { 0, };

  unit.kind = MT_UNIT_PAGE;
  unit.caps = gst_caps_ref (doc->caps);
  unit.frame = -1;
  unit.pts = unit.duration = unit.stream_time = GST_CLOCK_TIME_NONE;
  unit.page = page;
  unit.n_pages = doc->n_pages;
  unit.dpi = dpi;
  unit.document = mt_document_ref (doc);
  return mt_analysis_sink_queue_unit (MT_ANALYSIS_SINK (self), &unit);
}

/* Warns of pages asked for beyond the end; FALSE when none is left. */
static gboolean
check_selection (MtTextractSink * self, const gchar * spec, GArray * pages,
    guint n_pages)
{
  gboolean valid;
  g_autoptr (GArray) all = NULL;

  /* Without `pages`, every page is asked for: nothing can go beyond. */
  if (!spec || !*spec)
    return TRUE;
  all = mt_pages_select (spec, G_MAXUINT16, &valid);
  if (pages->len == 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("pages=\"%s\" names no page of this document, which has %u.", spec,
            n_pages), (NULL));
    return FALSE;
  }
  if (all && all->len > pages->len)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("pages=\"%s\" goes beyond the document's %u pages: those are "
            "skipped.", spec, n_pages), (NULL));
  return TRUE;
}

/* Says, before its pages, what the document is and how many pages will
 * come: what a progress bar needs. */
static void
post_document_message (MtTextractSink * self, MtDocument * doc,
    guint n_units, gboolean whole)
{
  GstStructure *s = gst_structure_new ("textractsink-document",
      "media-type", G_TYPE_STRING,
      gst_structure_get_name (gst_caps_get_structure (doc->caps, 0)),
      "size", G_TYPE_UINT64, (guint64) g_bytes_get_size (doc->bytes),
      "n-pages", G_TYPE_UINT, doc->n_pages,
      "pages", G_TYPE_UINT, n_units,
      "whole", G_TYPE_BOOLEAN, whole, NULL);

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static GstFlowReturn
queue_document (MtTextractSink * self, MtDocument * doc)
{
  g_autofree gchar *spec = NULL;
  g_autoptr (GArray) pages = NULL;
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean valid;
  guint i, dpi = get_dpi (self);

  GST_OBJECT_LOCK (self);
  spec = g_strdup (self->pages);
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "document of %u pages, %" G_GSIZE_FORMAT " bytes",
      doc->n_pages, g_bytes_get_size (doc->bytes));
  if (use_async (self, doc, spec)) {
    post_document_message (self, doc, doc->n_pages, TRUE);
    return queue_page (self, doc, 0, dpi);
  }
  pages = mt_pages_select (spec, doc->n_pages, &valid);
  if (!pages || !check_selection (self, spec, pages, doc->n_pages))
    return GST_FLOW_ERROR;
  post_document_message (self, doc, pages->len, FALSE);
  for (i = 0; i < pages->len && ret == GST_FLOW_OK; i++)
    ret = queue_page (self, doc, g_array_index (pages, guint, i), dpi);
  return ret;
}

static GstFlowReturn
handle_eos (MtAnalysisSink * sink)
{
  MtTextractSink *self = MT_TEXTRACT_SINK (sink);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (MtDocument) doc = NULL;

  if (self->failed)
    return GST_FLOW_ERROR;
  if (!self->gathered)
    return GST_FLOW_OK;
  caps = g_steal_pointer (&self->gathered_caps);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&self->gathered));
  if (input_kind (caps) == INPUT_IMAGE)
    return queue_buffer_page (self, gst_buffer_new_wrapped_bytes (bytes),
        caps, FALSE);
  if (!open_document (self, bytes, caps, &doc)) {
    self->failed = TRUE;
    return GST_FLOW_ERROR;
  }
  return queue_document (self, doc);
}

static GstStateChangeReturn
change_state (GstElement * element, GstStateChange transition)
{
  MtTextractSink *self = MT_TEXTRACT_SINK (element);
  GstStateChangeReturn ret;

  ret = GST_ELEMENT_CLASS (mt_textract_sink_parent_class)->change_state
      (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    clear_gathered (self);
    self->next_page = 0;
    self->failed = FALSE;
  }
  return ret;
}

/* Properties */

static void
set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  MtTextractSink *self = MT_TEXTRACT_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FEATURES:
      self->features = g_value_get_flags (value);
      break;
    case PROP_QUERIES:
      g_free (self->queries);
      self->queries = g_value_dup_string (value);
      break;
    case PROP_PAGES:
      g_free (self->pages);
      self->pages = g_value_dup_string (value);
      break;
    case PROP_DPI:
      self->dpi = g_value_get_uint (value);
      break;
    case PROP_MAX_SIZE:
      self->max_size = g_value_get_uint64 (value);
      break;
    case PROP_PASSWORD:
      if (self->password)
        memset (self->password, 0, strlen (self->password));
      g_free (self->password);
      self->password = g_value_dup_string (value);
      break;
    case PROP_MIN_CONFIDENCE:
      self->min_confidence = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  MtTextractSink *self = MT_TEXTRACT_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FEATURES:
      g_value_set_flags (value, self->features);
      break;
    case PROP_QUERIES:
      g_value_set_string (value, self->queries);
      break;
    case PROP_PAGES:
      g_value_set_string (value, self->pages);
      break;
    case PROP_DPI:
      g_value_set_uint (value, self->dpi);
      break;
    case PROP_MAX_SIZE:
      g_value_set_uint64 (value, self->max_size);
      break;
    case PROP_MIN_CONFIDENCE:
      g_value_set_double (value, self->min_confidence);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
finalize (GObject * object)
{
  MtTextractSink *self = MT_TEXTRACT_SINK (object);

  clear_gathered (self);
  g_free (self->queries);
  g_free (self->pages);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  G_OBJECT_CLASS (mt_textract_sink_parent_class)->finalize (object);
}

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | \
    GST_PARAM_MUTABLE_READY)

static void
install_properties (GObjectClass * gobject_class)
{
  /**
   * MtTextractSink:features:
   *
   * The analyses to run on each page, combined with `+`, e.g.
   * `text+tables+forms`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FEATURES,
      g_param_spec_flags ("features", "Features",
          "The analyses to run on each page (combine with +)",
          MT_TYPE_TEXTRACT_FEATURES, DEFAULT_FEATURES, PARAM_FLAGS));
  /**
   * MtTextractSink:queries:
   *
   * The questions of the `queries` feature, separated by `|`, e.g.
   * `What is the total?|Who is the vendor?` (Textract takes up to 15 a
   * page, 30 for a whole document in S3).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_QUERIES,
      g_param_spec_string ("queries", "Queries",
          "Questions for the queries feature, separated by | (needed by "
          "queries)", NULL, PARAM_FLAGS));
  /**
   * MtTextractSink:pages:
   *
   * The pages of a PDF or TIFF to analyse, from 1: pages and ranges
   * separated by commas, e.g. `1-5,9`. Unset: every page.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_PAGES,
      g_param_spec_string ("pages", "Pages",
          "Pages to analyse, e.g. 1-5,9 (default: all)", NULL, PARAM_FLAGS));
  /**
   * MtTextractSink:dpi:
   *
   * The resolution pages are rendered at when they must be (a page of a
   * multi-page PDF for Textract's synchronous API; pages without text for
   * local OCR).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_DPI,
      g_param_spec_uint ("dpi", "DPI",
          "Resolution pages are rendered at, in dots per inch", 50, 1200,
          DEFAULT_DPI, PARAM_FLAGS));
  /**
   * MtTextractSink:max-size:
   *
   * The largest document (PDF, TIFF, gathered image) read, in bytes; a
   * larger one is an error before it fills memory.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE,
      g_param_spec_uint64 ("max-size", "Max size",
          "The largest document read, in bytes", 1, G_MAXUINT32,
          DEFAULT_MAX_SIZE, PARAM_FLAGS));
  /**
   * MtTextractSink:password:
   *
   * The password of an encrypted PDF. Write-only, never logged by this
   * element; launch lines are logged by GStreamer's parser, so give it
   * from code or the environment rather than on a launch line.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_PASSWORD,
      g_param_spec_string ("password", "Password",
          "The password of an encrypted PDF (write-only)", NULL,
          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * MtTextractSink:min-confidence:
   *
   * Findings below this confidence (0 to 100) are dropped.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MIN_CONFIDENCE,
      g_param_spec_double ("min-confidence", "Minimum confidence",
          "Findings below this confidence, in percent, are dropped", 0, 100,
          DEFAULT_MIN_CONFIDENCE, PARAM_FLAGS));
}

static void
mt_textract_sink_class_init (MtTextractSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  MtAnalysisSinkClass *sink_class = MT_ANALYSIS_SINK_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (textract_sink_debug, "textractsink", 0,
      "Textract document analysis");
#ifdef MT_HAVE_TIFF
  TIFFSetErrorHandler (tiff_message);
  TIFFSetWarningHandler (tiff_message);
#endif

  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  install_properties (gobject_class);

  element_class->change_state = change_state;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Textract document analysis", "Sink/Analyzer/Image",
      "Text, tables, forms, queries, signatures, layout, invoices and "
      "identity documents of PDFs, TIFFs and page images, as JSON result "
      "documents",
      "mediatag developers <https://github.com/mediatag/mediatag>");

  sink_class->get_config = get_config;
  sink_class->free_config = free_config;
  sink_class->handle_buffer = handle_buffer;
  sink_class->handle_eos = handle_eos;
  mt_analysis_sink_class_set_engines (sink_class, engines,
      MT_TYPE_TEXTRACT_FEATURES);
  gst_type_mark_as_plugin_api (MT_TYPE_TEXTRACT_FEATURES, 0);
}

static void
mt_textract_sink_init (MtTextractSink * self)
{
  self->features = DEFAULT_FEATURES;
  self->dpi = DEFAULT_DPI;
  self->max_size = DEFAULT_MAX_SIZE;
  self->min_confidence = DEFAULT_MIN_CONFIDENCE;
}
