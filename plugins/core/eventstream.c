/* The AWS event-stream message format: encoding, decoding and a chunked
 * stream decoder. See eventstream.h for the layout.
 *
 * Every length read from the wire is checked against what is really there
 * and against the format's limits before it is used: a decoder fed by a
 * network peer must never read out of bounds or allocate what a corrupt
 * length asks for. */
#include "eventstream.h"

#include <string.h>
#include <zlib.h>

G_DEFINE_QUARK (mt-event-stream-error-quark, mt_event_stream_error)

/* --- big-endian helpers --- */

static guint32
get_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static guint64
get_be64 (const guint8 * p)
{
  return ((guint64) get_be32 (p) << 32) | get_be32 (p + 4);
}

static guint8 *
put_be16 (guint8 * p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v;
  return p + 2;
}

static guint8 *
put_be32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
  return p + 4;
}

static guint8 *
put_be64 (guint8 * p, guint64 v)
{
  p = put_be32 (p, v >> 32);
  return put_be32 (p, (guint32) v);
}

static guint32
crc32_of (const guint8 * data, gsize len)
{
  /* zlib's crc32 takes a uInt length; messages are far below 4 GiB. */
  return crc32 (0, data, (uInt) len);
}

/* --- messages --- */

static void
header_clear (gpointer data)
{
  MtEventHeader *h = data;

  g_free (h->name);
  g_clear_pointer (&h->data, g_bytes_unref);
}

MtEventMessage *
mt_event_message_new (void)
{
  MtEventMessage *msg = g_new0 (MtEventMessage, 1);

  msg->headers = g_array_new (FALSE, TRUE, sizeof (MtEventHeader));
  g_array_set_clear_func (msg->headers, header_clear);
  msg->payload = g_bytes_new (NULL, 0);
  return msg;
}

void
mt_event_message_free (MtEventMessage * msg)
{
  if (msg == NULL)
    return;
  g_array_unref (msg->headers);
  g_bytes_unref (msg->payload);
  g_free (msg);
}

static MtEventHeader *
add_header (MtEventMessage * msg, const gchar * name, MtEventHeaderType type)
{
  MtEventHeader h = { g_strdup (name), type, 0, NULL };

  g_array_append_val (msg->headers, h);
  return &g_array_index (msg->headers, MtEventHeader, msg->headers->len - 1);
}

/* A copy whose data is NUL-terminated beyond its size, so STRING values
 * read as C strings. */
static GBytes *
string_bytes_new (const guint8 * data, gsize len)
{
  guint8 *copy = g_malloc (len + 1);

  memcpy (copy, data, len);
  copy[len] = 0;
  return g_bytes_new_take (copy, len);
}

void
mt_event_message_add_bool (MtEventMessage * msg, const gchar * name,
    gboolean value)
{
  MtEventHeader *h = add_header (msg, name,
      value ? MT_EVENT_HEADER_BOOL_TRUE : MT_EVENT_HEADER_BOOL_FALSE);

  h->integer = value ? 1 : 0;
}

void
mt_event_message_add_byte (MtEventMessage * msg, const gchar * name,
    gint8 value)
{
  add_header (msg, name, MT_EVENT_HEADER_BYTE)->integer = value;
}

void
mt_event_message_add_int16 (MtEventMessage * msg, const gchar * name,
    gint16 value)
{
  add_header (msg, name, MT_EVENT_HEADER_INT16)->integer = value;
}

void
mt_event_message_add_int32 (MtEventMessage * msg, const gchar * name,
    gint32 value)
{
  add_header (msg, name, MT_EVENT_HEADER_INT32)->integer = value;
}

void
mt_event_message_add_int64 (MtEventMessage * msg, const gchar * name,
    gint64 value)
{
  add_header (msg, name, MT_EVENT_HEADER_INT64)->integer = value;
}

void
mt_event_message_add_timestamp (MtEventMessage * msg, const gchar * name,
    gint64 ms)
{
  add_header (msg, name, MT_EVENT_HEADER_TIMESTAMP)->integer = ms;
}

void
mt_event_message_add_bytes (MtEventMessage * msg, const gchar * name,
    GBytes * value)
{
  g_return_if_fail (value != NULL);
  add_header (msg, name, MT_EVENT_HEADER_BYTES)->data = g_bytes_ref (value);
}

void
mt_event_message_add_string (MtEventMessage * msg, const gchar * name,
    const gchar * value)
{
  g_return_if_fail (value != NULL);
  add_header (msg, name, MT_EVENT_HEADER_STRING)->data =
      string_bytes_new ((const guint8 *) value, strlen (value));
}

void
mt_event_message_add_uuid (MtEventMessage * msg, const gchar * name,
    const guint8 * uuid)
{
  g_return_if_fail (uuid != NULL);
  add_header (msg, name, MT_EVENT_HEADER_UUID)->data = g_bytes_new (uuid, 16);
}

void
mt_event_message_set_payload (MtEventMessage * msg, GBytes * payload)
{
  g_bytes_unref (msg->payload);
  msg->payload = payload ? g_bytes_ref (payload) : g_bytes_new (NULL, 0);
}

const MtEventHeader *
mt_event_message_get_header (const MtEventMessage * msg, const gchar * name)
{
  for (guint i = 0; i < msg->headers->len; i++) {
    const MtEventHeader *h = &g_array_index (msg->headers, MtEventHeader, i);

    if (strcmp (h->name, name) == 0)
      return h;
  }
  return NULL;
}

const gchar *
mt_event_message_get_string (const MtEventMessage * msg, const gchar * name)
{
  const MtEventHeader *h = mt_event_message_get_header (msg, name);

  if (h == NULL || h->type != MT_EVENT_HEADER_STRING)
    return NULL;
  return g_bytes_get_data (h->data, NULL);
}

/* --- encoding --- */

/* Size of a header's value on the wire, after its type byte. */
static gsize
value_size (const MtEventHeader * h)
{
  switch (h->type) {
    case MT_EVENT_HEADER_BOOL_TRUE:
    case MT_EVENT_HEADER_BOOL_FALSE:
      return 0;
    case MT_EVENT_HEADER_BYTE:
      return 1;
    case MT_EVENT_HEADER_INT16:
      return 2;
    case MT_EVENT_HEADER_INT32:
      return 4;
    case MT_EVENT_HEADER_INT64:
    case MT_EVENT_HEADER_TIMESTAMP:
      return 8;
    case MT_EVENT_HEADER_UUID:
      return 16;
    case MT_EVENT_HEADER_BYTES:
    case MT_EVENT_HEADER_STRING:
      return 2 + g_bytes_get_size (h->data);
  }
  g_return_val_if_reached (0);
}

static gboolean
check_header (const MtEventHeader * h, GError ** error)
{
  gsize name_len = strlen (h->name);

  if (name_len == 0 || name_len > 255) {
    g_set_error (error, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_ENCODE,
        "Event-stream header names take 1 to 255 bytes; \"%.40s\" has %"
        G_GSIZE_FORMAT, h->name, name_len);
    return FALSE;
  }
  if ((h->type == MT_EVENT_HEADER_BYTES || h->type == MT_EVENT_HEADER_STRING)
      && g_bytes_get_size (h->data) > G_MAXUINT16) {
    g_set_error (error, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_ENCODE,
        "Event-stream header \"%s\" has a %" G_GSIZE_FORMAT
        "-byte value; the format allows 65535", h->name,
        g_bytes_get_size (h->data));
    return FALSE;
  }
  if (h->type == MT_EVENT_HEADER_UUID && g_bytes_get_size (h->data) != 16) {
    g_set_error (error, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_ENCODE,
        "Event-stream header \"%s\" is a UUID of %" G_GSIZE_FORMAT
        " bytes; UUIDs have 16", h->name, g_bytes_get_size (h->data));
    return FALSE;
  }
  return TRUE;
}

static guint8 *
put_data (guint8 * p, GBytes * bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  if (size > 0)
    memcpy (p, data, size);
  return p + size;
}

static guint8 *
write_header (guint8 * p, const MtEventHeader * h)
{
  gsize name_len = strlen (h->name);

  *p++ = name_len;
  memcpy (p, h->name, name_len);
  p += name_len;
  *p++ = h->type;

  switch (h->type) {
    case MT_EVENT_HEADER_BOOL_TRUE:
    case MT_EVENT_HEADER_BOOL_FALSE:
      return p;
    case MT_EVENT_HEADER_BYTE:
      *p++ = (guint8) h->integer;
      return p;
    case MT_EVENT_HEADER_INT16:
      return put_be16 (p, (guint16) h->integer);
    case MT_EVENT_HEADER_INT32:
      return put_be32 (p, (guint32) h->integer);
    case MT_EVENT_HEADER_INT64:
    case MT_EVENT_HEADER_TIMESTAMP:
      return put_be64 (p, (guint64) h->integer);
    case MT_EVENT_HEADER_BYTES:
    case MT_EVENT_HEADER_STRING:
      p = put_be16 (p, g_bytes_get_size (h->data));
      return put_data (p, h->data);
    case MT_EVENT_HEADER_UUID:
      return put_data (p, h->data);
  }
  g_return_val_if_reached (p);
}

GBytes *
mt_event_message_encode (const MtEventMessage * msg, GError ** error)
{
  gsize headers_len = 0, payload_len, total;
  guint8 *buf, *p;

  for (guint i = 0; i < msg->headers->len; i++) {
    const MtEventHeader *h = &g_array_index (msg->headers, MtEventHeader, i);

    if (!check_header (h, error))
      return NULL;
    headers_len += 1 + strlen (h->name) + 1 + value_size (h);
  }
  payload_len = g_bytes_get_size (msg->payload);
  if (headers_len > MT_EVENT_MAX_HEADERS || payload_len > MT_EVENT_MAX_PAYLOAD) {
    g_set_error (error, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_ENCODE,
        "Event-stream message too large: %" G_GSIZE_FORMAT
        " bytes of headers (limit %d), %" G_GSIZE_FORMAT
        " bytes of payload (limit %d)", headers_len, MT_EVENT_MAX_HEADERS,
        payload_len, MT_EVENT_MAX_PAYLOAD);
    return NULL;
  }

  total = MT_EVENT_MIN_MESSAGE + headers_len + payload_len;
  buf = g_malloc (total);
  p = put_be32 (buf, total);
  p = put_be32 (p, headers_len);
  p = put_be32 (p, crc32_of (buf, 8));
  for (guint i = 0; i < msg->headers->len; i++)
    p = write_header (p, &g_array_index (msg->headers, MtEventHeader, i));
  if (payload_len > 0)
    memcpy (p, g_bytes_get_data (msg->payload, NULL), payload_len);
  p += payload_len;
  put_be32 (p, crc32_of (buf, total - 4));
  return g_bytes_new_take (buf, total);
}

/* --- decoding --- */

typedef struct
{
  guint32 total;
  guint32 headers_len;
} Prelude;

/* `data` holds at least MT_EVENT_PRELUDE_SIZE bytes. The checksum comes
 * first: a length is only believed once its CRC says it is what was sent. */
static gboolean
parse_prelude (const guint8 * data, Prelude * out, GError ** error)
{
  guint32 want = get_be32 (data + 8), got = crc32_of (data, 8);

  if (want != got) {
    g_set_error (error, MT_EVENT_STREAM_ERROR,
        MT_EVENT_STREAM_ERROR_PRELUDE_CRC,
        "Prelude checksum mismatch: the message says 0x%08x, its first "
        "8 bytes give 0x%08x", want, got);
    return FALSE;
  }
  out->total = get_be32 (data);
  out->headers_len = get_be32 (data + 4);
  if (out->total < MT_EVENT_MIN_MESSAGE
      || out->headers_len > out->total - MT_EVENT_MIN_MESSAGE
      || out->headers_len > MT_EVENT_MAX_HEADERS
      || out->total - MT_EVENT_MIN_MESSAGE - out->headers_len >
      MT_EVENT_MAX_PAYLOAD) {
    g_set_error (error, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_LENGTH,
        "Event-stream message with impossible lengths: %u bytes in all, "
        "%u of headers", out->total, out->headers_len);
    return FALSE;
  }
  return TRUE;
}

static gboolean
header_error (GError ** error, gsize offset, const gchar * what)
{
  g_set_error (error, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_HEADER,
      "Corrupt event-stream header at byte %" G_GSIZE_FORMAT " of the "
      "headers: %s", offset, what);
  return FALSE;
}

/* Reads the value of a header of h->type from p[0..avail). Returns the
 * bytes used, or G_MAXSIZE when the value runs past `avail`. */
static gsize
read_value (MtEventHeader * h, const guint8 * p, gsize avail)
{
  static const gsize fixed[] = { 0, 0, 1, 2, 4, 8, 0, 0, 8, 16 };
  gsize len;

  switch (h->type) {
    case MT_EVENT_HEADER_BOOL_TRUE:
    case MT_EVENT_HEADER_BOOL_FALSE:
      h->integer = h->type == MT_EVENT_HEADER_BOOL_TRUE;
      return 0;
    case MT_EVENT_HEADER_BYTES:
    case MT_EVENT_HEADER_STRING:
      if (avail < 2)
        return G_MAXSIZE;
      len = ((gsize) p[0] << 8) | p[1];
      if (avail - 2 < len)
        return G_MAXSIZE;
      h->data = h->type == MT_EVENT_HEADER_STRING ?
          string_bytes_new (p + 2, len) : g_bytes_new (p + 2, len);
      return 2 + len;
    default:
      break;
  }
  len = fixed[h->type];
  if (avail < len)
    return G_MAXSIZE;
  switch (h->type) {
    case MT_EVENT_HEADER_BYTE:
      h->integer = (gint8) p[0];
      break;
    case MT_EVENT_HEADER_INT16:
      h->integer = (gint16) (((guint16) p[0] << 8) | p[1]);
      break;
    case MT_EVENT_HEADER_INT32:
      h->integer = (gint32) get_be32 (p);
      break;
    case MT_EVENT_HEADER_UUID:
      h->data = g_bytes_new (p, 16);
      break;
    default:                   /* INT64, TIMESTAMP */
      h->integer = (gint64) get_be64 (p);
      break;
  }
  return len;
}

static gboolean
parse_headers (MtEventMessage * msg, const guint8 * data, gsize len,
    GError ** error)
{
  gsize off = 0;

  while (off < len) {
    MtEventHeader h = { NULL, 0, 0, NULL };
    gsize name_len = data[off], used;

    if (name_len == 0 || len - off - 1 < name_len + 1)
      return header_error (error, off, "name length runs past the headers");
    if (data[off + 1 + name_len] > MT_EVENT_HEADER_UUID)
      return header_error (error, off, "unknown value type");
    h.name = g_strndup ((const gchar *) data + off + 1, name_len);
    h.type = data[off + 1 + name_len];
    off += 2 + name_len;
    used = read_value (&h, data + off, len - off);
    if (used == G_MAXSIZE) {
      g_free (h.name);
      return header_error (error, off, "value runs past the headers");
    }
    off += used;
    g_array_append_val (msg->headers, h);
  }
  return TRUE;
}

/* `data` holds the whole message whose prelude `pre` was checked. */
static MtEventMessage *
decode_checked (const guint8 * data, const Prelude * pre, GError ** error)
{
  guint32 want = get_be32 (data + pre->total - 4);
  guint32 got = crc32_of (data, pre->total - 4);
  gsize payload_off = MT_EVENT_PRELUDE_SIZE + pre->headers_len;
  g_autoptr (MtEventMessage) msg = NULL;
  g_autoptr (GBytes) payload = NULL;

  if (want != got) {
    g_set_error (error, MT_EVENT_STREAM_ERROR,
        MT_EVENT_STREAM_ERROR_MESSAGE_CRC,
        "Message checksum mismatch: the message says 0x%08x, its %u bytes "
        "give 0x%08x", want, pre->total - 4, got);
    return NULL;
  }
  msg = mt_event_message_new ();
  if (!parse_headers (msg, data + MT_EVENT_PRELUDE_SIZE, pre->headers_len,
          error))
    return NULL;
  payload = g_bytes_new (data + payload_off,
      pre->total - MT_EVENT_MIN_MESSAGE - pre->headers_len);
  mt_event_message_set_payload (msg, payload);
  return g_steal_pointer (&msg);
}

MtEventMessage *
mt_event_message_decode (const guint8 * data, gsize len, GError ** error)
{
  Prelude pre;

  if (len < MT_EVENT_PRELUDE_SIZE) {
    g_set_error (error, MT_EVENT_STREAM_ERROR,
        MT_EVENT_STREAM_ERROR_TRUNCATED,
        "Event-stream message cut short: %" G_GSIZE_FORMAT
        " bytes, less than its 12-byte prelude", len);
    return NULL;
  }
  if (!parse_prelude (data, &pre, error))
    return NULL;
  if (len != pre.total) {
    g_set_error (error, MT_EVENT_STREAM_ERROR,
        len < pre.total ? MT_EVENT_STREAM_ERROR_TRUNCATED :
        MT_EVENT_STREAM_ERROR_LENGTH,
        "Event-stream message says it has %u bytes, %" G_GSIZE_FORMAT
        " were given", pre.total, len);
    return NULL;
  }
  return decode_checked (data, &pre, error);
}

/* --- stream decoder --- */

struct _MtEventDecoder
{
  GByteArray *buf;
  gsize start;                  /* first byte of buf not yet decoded */
  GQueue messages;              /* of MtEventMessage, oldest first */
  GError *failure;              /* once set, the stream is dead */
};

MtEventDecoder *
mt_event_decoder_new (void)
{
  MtEventDecoder *dec = g_new0 (MtEventDecoder, 1);

  dec->buf = g_byte_array_new ();
  g_queue_init (&dec->messages);
  return dec;
}

void
mt_event_decoder_free (MtEventDecoder * dec)
{
  if (dec == NULL)
    return;
  g_byte_array_unref (dec->buf);
  g_queue_clear_full (&dec->messages, (GDestroyNotify) mt_event_message_free);
  g_clear_error (&dec->failure);
  g_free (dec);
}

/* Decodes the next message in the buffer if it is all there. Returns FALSE
 * when more bytes are needed or on error (dec->failure set). */
static gboolean
decode_next (MtEventDecoder * dec)
{
  const guint8 *p = dec->buf->data + dec->start;
  gsize avail = dec->buf->len - dec->start;
  MtEventMessage *msg;
  Prelude pre;

  if (avail < MT_EVENT_PRELUDE_SIZE)
    return FALSE;
  if (!parse_prelude (p, &pre, &dec->failure))
    return FALSE;
  if (avail < pre.total)
    return FALSE;
  msg = decode_checked (p, &pre, &dec->failure);
  if (msg == NULL)
    return FALSE;
  g_queue_push_tail (&dec->messages, msg);
  dec->start += pre.total;
  return TRUE;
}

gboolean
mt_event_decoder_push (MtEventDecoder * dec, const guint8 * data, gsize len,
    GError ** error)
{
  g_return_val_if_fail (dec != NULL && (data != NULL || len == 0), FALSE);

  if (dec->failure == NULL) {
    g_byte_array_append (dec->buf, data, len);
    while (decode_next (dec));
    /* Compact once per push rather than once per message. */
    g_byte_array_remove_range (dec->buf, 0, dec->start);
    dec->start = 0;
  }
  if (dec->failure != NULL) {
    g_propagate_error (error, g_error_copy (dec->failure));
    return FALSE;
  }
  return TRUE;
}

MtEventMessage *
mt_event_decoder_pop (MtEventDecoder * dec)
{
  return g_queue_pop_head (&dec->messages);
}

gsize
mt_event_decoder_get_pending (const MtEventDecoder * dec)
{
  return dec->buf->len - dec->start;
}
