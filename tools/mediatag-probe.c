/* mediatag analyze's look at an input's own bytes, before any decoder runs
 * (see mediatag-probe.h). Headers are parsed here rather than through
 * GStreamer because the point is to decide before a decoder allocates: the
 * GStreamer discoverer decodes a PNG to learn its size, and a 389 KB
 * 20000x20000 PNG then costs 1.6 GB. */
#include <gst/gst.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mediatag-probe.h"
#include "s3.h"

/* Enough for a JPEG's SOF behind its EXIF and ICC segments, a TIFF's first
 * IFD, a PDF's leading junk. */
#define HEAD_BYTES (1024 * 1024)
#define TAIL_BYTES 64
#define REMOTE_TIMEOUT (30 * GST_SECOND)

void
mt_sniff_clear (MtSniff * s)
{
  g_clear_pointer (&s->truncated, g_free);
  memset (s, 0, sizeof (*s));
}

static guint32
be32 (const guint8 * p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8
      | p[3];
}

static guint32
le32 (const guint8 * p)
{
  return (guint32) p[3] << 24 | (guint32) p[2] << 16 | (guint32) p[1] << 8
      | p[0];
}

static guint16
be16 (const guint8 * p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static guint16
le16 (const guint8 * p)
{
  return (guint16) (p[1] << 8 | p[0]);
}

static void
set_image (MtSniff * s, const gchar * format, guint64 w, guint64 h)
{
  s->kind = MT_SNIFF_IMAGE;
  s->format = format;
  s->width = w;
  s->height = h;
}

/* Start-of-frame markers carry the size; DHT (C4), JPG (C8) and DAC (CC)
 * share the range but are not frames. */
static gboolean
is_sof (guint8 m)
{
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

static void
sniff_jpeg (const guint8 * d, gsize len, MtSniff * s)
{
  gsize i = 2;

  set_image (s, "JPEG", 0, 0);
  while (i + 4 <= len) {
    guint8 m;

    if (d[i] != 0xFF) {
      i++;
      continue;
    }
    m = d[i + 1];
    if (m == 0xFF || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
      i += m == 0xFF ? 1 : 2;
      continue;
    }
    if (is_sof (m) && i + 9 <= len) {
      s->height = be16 (d + i + 5);
      s->width = be16 (d + i + 7);
      if (i + 10 <= len)
        s->components = d[i + 9];
      return;
    }
    if (m == 0xDA)              /* scan data: no frame header before it */
      return;
    i += 2 + be16 (d + i + 2);
  }
}

/* WebP: the canvas of VP8X, or the frame of a simple VP8/VP8L file. */
static void
sniff_webp (const guint8 * d, gsize len, MtSniff * s)
{
  set_image (s, "WebP", 0, 0);
  if (len < 30)
    return;
  if (!memcmp (d + 12, "VP8X", 4)) {
    s->width = 1 + (d[24] | d[25] << 8 | (guint32) d[26] << 16);
    s->height = 1 + (d[27] | d[28] << 8 | (guint32) d[29] << 16);
  } else if (!memcmp (d + 12, "VP8L", 4) && d[20] == 0x2F) {
    guint32 bits = le32 (d + 21);

    s->width = 1 + (bits & 0x3FFF);
    s->height = 1 + ((bits >> 14) & 0x3FFF);
  } else if (!memcmp (d + 12, "VP8 ", 4)) {
    s->width = le16 (d + 26) & 0x3FFF;
    s->height = le16 (d + 28) & 0x3FFF;
  }
}

static void
sniff_bmp (const guint8 * d, gsize len, MtSniff * s)
{
  gint32 h;

  set_image (s, "BMP", 0, 0);
  if (len < 26)
    return;
  if (le32 (d + 14) == 12) {
    s->width = le16 (d + 18);
    s->height = le16 (d + 20);
    return;
  }
  h = (gint32) le32 (d + 22);
  s->width = le32 (d + 18);
  s->height = h < 0 ? -(gint64) h : h;
}

/* The first IFD's ImageWidth (256) and ImageLength (257). */
static void
sniff_tiff (const guint8 * d, gsize len, MtSniff * s)
{
  gboolean le = d[0] == 'I';
  guint32 ifd = le ? le32 (d + 4) : be32 (d + 4);
  guint n, i;

  set_image (s, "TIFF", 0, 0);
  if ((gsize) ifd + 2 > len)
    return;
  n = le ? le16 (d + ifd) : be16 (d + ifd);
  for (i = 0; i < n && ifd + 2 + 12 * (i + 1) <= len; i++) {
    const guint8 *e = d + ifd + 2 + 12 * i;
    guint tag = le ? le16 (e) : be16 (e);
    guint type = le ? le16 (e + 2) : be16 (e + 2);
    guint32 v = type == 3 ? (le ? le16 (e + 8) : be16 (e + 8))
        : (le ? le32 (e + 8) : be32 (e + 8));

    if (tag == 256)
      s->width = v;
    else if (tag == 257)
      s->height = v;
  }
}

static gboolean
has_pdf_magic (const guint8 * d, gsize len)
{
  gsize n = MIN (len, 1024), i;

  /* PDF readers accept junk before the header within the first 1 KiB. */
  for (i = 0; i + 5 <= n; i++)
    if (!memcmp (d + i, "%PDF-", 5))
      return TRUE;
  return FALSE;
}

static void
sniff_head (const guint8 * d, gsize len, MtSniff * s)
{
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };

  if (len >= 24 && !memcmp (d, png, 8) && !memcmp (d + 12, "IHDR", 4))
    set_image (s, "PNG", be32 (d + 16), be32 (d + 20));
  else if (len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
    sniff_jpeg (d, len, s);
  else if (len >= 10 && (!memcmp (d, "GIF87a", 6) || !memcmp (d, "GIF89a", 6)))
    set_image (s, "GIF", le16 (d + 6), le16 (d + 8));
  else if (len >= 16 && !memcmp (d, "RIFF", 4) && !memcmp (d + 8, "WEBP", 4))
    sniff_webp (d, len, s);
  else if (len >= 26 && d[0] == 'B' && d[1] == 'M')
    sniff_bmp (d, len, s);
  else if (len >= 8 && (!memcmp (d, "II*\0", 4) || !memcmp (d, "MM\0*", 4)))
    sniff_tiff (d, len, s);
  else if (has_pdf_magic (d, len)) {
    s->kind = MT_SNIFF_DOCUMENT;
    s->format = "PDF";
  } else if (len >= 12 && (!memcmp (d + 4, "ftyp", 4) || !memcmp (d + 4,
              "moov", 4) || !memcmp (d + 4, "mdat", 4))) {
    s->kind = MT_SNIFF_CONTAINER;
    s->format = "MP4";
  } else if (len >= 12 && !memcmp (d, "RIFF", 4)) {
    s->kind = MT_SNIFF_CONTAINER;
    s->format = !memcmp (d + 8, "WAVE", 4) ? "WAV" : "RIFF";
  }
}

static void
set_truncated (MtSniff * s, guint64 have, guint64 want, const gchar * what)
{
  g_free (s->truncated);
  if (want)
    s->truncated = g_strdup_printf ("the file is truncated: it has %"
        G_GUINT64_FORMAT " of the %" G_GUINT64_FORMAT " bytes its %s header "
        "declares", have, want, what);
  else
    s->truncated = g_strdup_printf ("the file is truncated: it ends before "
        "the %s", what);
}

/* End markers (JPEG EOI, PNG IEND, GIF trailer) and declared sizes (BMP,
 * RIFF) that a whole file has. */
static void
check_end (const guint8 * head, gsize head_len, const guint8 * tail,
    gsize tail_len, guint64 total, MtSniff * s)
{
  static const guint8 iend[] = { 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82 };
  const gchar *f = s->format;
  gsize i;

  if (!f || !tail)
    return;
  if (!strcmp (f, "PNG") && (tail_len < 8
          || memcmp (tail + tail_len - 8, iend, 8)))
    set_truncated (s, total, 0, "PNG's IEND chunk (its end)");
  else if (!strcmp (f, "GIF") && (!tail_len || tail[tail_len - 1] != 0x3B))
    set_truncated (s, total, 0, "GIF's trailer (its end)");
  else if (!strcmp (f, "JPEG")) {
    /* Some writers pad after EOI: look for it near the end. */
    for (i = tail_len; i >= 2; i--)
      if (tail[i - 2] == 0xFF && tail[i - 1] == 0xD9)
        return;
    set_truncated (s, total, 0, "JPEG's end-of-image marker");
  } else if (!strcmp (f, "BMP") && head_len >= 6 && le32 (head + 2) > total)
    set_truncated (s, total, le32 (head + 2), "BMP");
  else if ((!strcmp (f, "WebP") || !strcmp (f, "WAV") || !strcmp (f, "RIFF"))
      && head_len >= 8 && (guint64) le32 (head + 4) + 8 > total)
    set_truncated (s, total, (guint64) le32 (head + 4) + 8, "RIFF");
}

void
mt_sniff_data (const guint8 * head, gsize head_len, const guint8 * tail,
    gsize tail_len, guint64 total, MtSniff * s)
{
  mt_sniff_clear (s);
  sniff_head (head, head_len, s);
  check_end (head, head_len, tail, tail_len, total, s);
}

/* ISO BMFF (MP4, MOV): the top-level boxes must end where the file ends. A
 * cut file ends inside its last box (mdat, or moov when it is at the end). */
static void
check_boxes (FILE * f, guint64 total, MtSniff * s)
{
  guint64 off = 0;

  while (off + 8 <= total) {
    guint8 h[16];
    guint64 size;

    if (fseeko (f, (off_t) off, SEEK_SET) != 0 || fread (h, 1, 8, f) != 8)
      return;
    size = be32 (h);
    if (size == 1) {
      if (fread (h + 8, 1, 8, f) != 8)
        return;
      size = (guint64) be32 (h + 8) << 32 | be32 (h + 12);
    } else if (size == 0) {
      return;                   /* the last box, to the end of the file */
    }
    if (size < 8)
      return;                   /* not boxes after all: leave it to qtdemux */
    if (off + size > total) {
      set_truncated (s, total, off + size, "MP4");
      return;
    }
    off += size;
  }
}

static gboolean
sniff_local (const gchar * path, MtSniff * s, GError ** error)
{
  g_autofree guint8 *head = g_malloc (HEAD_BYTES);
  guint8 tail[TAIL_BYTES];
  gsize head_len, tail_len = 0;
  GStatBuf st;
  FILE *f;

  if (!(f = g_fopen (path, "rb")) || fstat (fileno (f), &st) != 0) {
    int e = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s",
        g_strerror (e));
    if (f)
      fclose (f);
    return FALSE;
  }
  head_len = fread (head, 1, HEAD_BYTES, f);
  if (st.st_size >= TAIL_BYTES && fseeko (f, st.st_size - TAIL_BYTES,
          SEEK_SET) == 0)
    tail_len = fread (tail, 1, TAIL_BYTES, f);
  else if (st.st_size < TAIL_BYTES)
    memcpy (tail, head, (tail_len = head_len));
  mt_sniff_data (head, head_len, tail, tail_len, st.st_size, s);
  if (s->format && !strcmp (s->format, "MP4") && !s->truncated)
    check_boxes (f, st.st_size, s);
  fclose (f);
  return TRUE;
}

/* s3src's debug part ends "<uri>: <the service's code and message>":
 * that goes after the sentence, so a batch's ledger keeps NoSuchKey or
 * AccessDenied with it. */
static void
append_service_code (GError * error, const gchar * uri, const gchar * debug)
{
  const gchar *at = error && debug ? strstr (debug, uri) : NULL;
  gchar *text;

  if (!at || !g_str_has_prefix (at + strlen (uri), ": "))
    return;
  text = g_strdup_printf ("%s (%s)", error->message, at + strlen (uri) + 2);
  g_free (error->message);
  error->message = text;
}

/* Up to HEAD_BYTES from the URI's source element (s3src, souphttpsrc...). */
static GByteArray *
read_remote_head (const gchar * uri, GError ** error)
{
  g_autoptr (GstElement) pipe = gst_pipeline_new (NULL);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipe);
  g_autoptr (GstMessage) msg = NULL;
  GstElement *src = gst_element_make_from_uri (GST_URI_SRC, uri, NULL, error);
  GstElement *sink = gst_element_factory_make ("appsink", NULL);
  GByteArray *bytes = g_byte_array_new ();

  if (!src || !sink) {
    if (!src && error && !*error)
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
          "no element reads this kind of URI");
    gst_clear_object (&src);
    gst_clear_object (&sink);
    g_byte_array_unref (bytes);
    return NULL;
  }
  g_object_set (sink, "sync", FALSE, "max-buffers", 4, NULL);
  gst_bin_add_many (GST_BIN (pipe), src, sink, NULL);
  gst_element_link (src, sink);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while (bytes->len < HEAD_BYTES) {
    g_autoptr (GstSample) sample = NULL;
    GstMapInfo map;

    g_signal_emit_by_name (sink, "try-pull-sample", REMOTE_TIMEOUT, &sample);
    if (!sample)
      break;
    if (gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ)) {
      g_byte_array_append (bytes, map.data, MIN (map.size,
              HEAD_BYTES - bytes->len));
      gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
    }
  }
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  gst_element_set_state (pipe, GST_STATE_NULL);
  if (!bytes->len && msg) {
    g_autofree gchar *debug = NULL;

    gst_message_parse_error (msg, error, &debug);
    append_service_code (error ? *error : NULL, uri, debug);
    g_byte_array_unref (bytes);
    return NULL;
  }
  return bytes;
}

/* The end and the size of an S3 object, from one small ranged GET (the
 * client that s3src would use: settings from the environment). */
static GBytes *
read_s3_tail (const gchar * uri, guint64 * total, GError ** error)
{
  g_autofree gchar *bucket = NULL;
  g_autofree gchar *key = NULL;
  g_autofree gchar *text = NULL;
  g_autoptr (MtS3Client) s3 = NULL;
  g_autoptr (GError) err = NULL;
  MtAwsSettings settings;
  GBytes *tail;
  gint code;

  if (!mt_s3_uri_parse (uri, FALSE, &bucket, &key, &err))
    goto failed;
  mt_aws_settings_init (&settings);
  s3 = mt_s3_client_new (&settings, FALSE, FALSE, &err);
  mt_aws_settings_clear (&settings);
  if (s3 && (tail = mt_s3_client_get_tail (s3, bucket, key, TAIL_BYTES,
              total, NULL, &err)))
    return tail;
failed:
  text = mt_s3_error_describe (err, bucket ? bucket : "", key, &code);
  g_set_error (error, GST_RESOURCE_ERROR, code, "could not read the end of "
      "the object to check that it is whole: %s", text);
  return NULL;
}

gboolean
mt_sniff_uri (const gchar * uri, MtSniff * s, GError ** error)
{
  g_autoptr (GByteArray) head = NULL;
  g_autoptr (GBytes) tail = NULL;
  const guint8 *tail_data;
  gsize tail_len;
  guint64 total;

  mt_sniff_clear (s);
  if (g_str_has_prefix (uri, "file:")) {
    g_autofree gchar *path = g_filename_from_uri (uri, NULL, error);

    return path && sniff_local (path, s, error);
  }
  if (!(head = read_remote_head (uri, error)))
    return FALSE;
  mt_sniff_data (head->data, head->len, NULL, 0, G_MAXUINT64, s);
  /* An S3 object's end markers and declared sizes are checked as a local
   * file's (the MP4 box walk, which reads through the whole file, is not).
   * Other remote URIs: their truncation shows in the decoders and in the
   * stated duration (mediatag-analyze.c). */
  if (!s->format || !g_str_has_prefix (uri, "s3://"))
    return TRUE;
  if (!(tail = read_s3_tail (uri, &total, error)))
    return FALSE;
  tail_data = g_bytes_get_data (tail, &tail_len);
  /* An object emptied since its head was read has lost its end too. */
  if (!tail_data)
    tail_data = (const guint8 *) "";
  check_end (head->data, head->len, tail_data, tail_len, total, s);
  return TRUE;
}
