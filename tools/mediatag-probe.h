/* What mediatag analyze learns from an input's own bytes before anything
 * decodes it: the format by its content (never by its name), an image's
 * size from its header (so a decompression bomb is refused before it costs
 * memory), and whether a local file or an S3 object is shorter than its
 * container says (a truncated download, copy or upload). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  MT_SNIFF_UNKNOWN,             /* leave it to the GStreamer discoverer */
  MT_SNIFF_IMAGE,
  MT_SNIFF_DOCUMENT,
  MT_SNIFF_CONTAINER,           /* audio or video in a container we can check */
} MtSniffKind;

typedef struct {
  MtSniffKind kind;
  const gchar *format;          /* "PNG", "JPEG", "PDF", "MP4", ... or NULL */
  guint64 width, height;        /* images: from the header; 0 when unknown */
  guint components;             /* JPEG: colour components (4: CMYK); 0 unknown */
  /* Local files and S3 objects: set when the file ends before its end
   * marker or before the size its container declares (MP4's boxes: local
   * files only); says what is missing. */
  gchar *truncated;
} MtSniff;

void mt_sniff_clear (MtSniff * s);

/* Reads the first bytes of `uri` (a local file directly, other URIs through
 * their GStreamer source element) and, for local files and s3:// objects
 * (their last bytes and size from one ranged GET), checks the end. */
gboolean mt_sniff_uri (const gchar * uri, MtSniff * s, GError ** error);

/* The same on bytes in memory (`head`: the first bytes of something
 * `total` bytes long, `tail`: its last bytes or NULL when unknown). */
void mt_sniff_data (const guint8 * head, gsize head_len, const guint8 * tail,
    gsize tail_len, guint64 total, MtSniff * s);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MtSniff, mt_sniff_clear)

G_END_DECLS
