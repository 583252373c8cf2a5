/* Tests of the event-stream codec (eventstream.h): the AWS vectors decoded
 * exactly and re-encoded byte for byte, the corrupt ones rejected with the
 * right error, the chunked decoder fed in every chunk size, and the
 * lengths a hostile peer could send. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "eventstream.h"

#define VECTORS TEST_DATA_DIR "/eventstream"

static const gchar *positive[] = {
  "all_headers", "empty_message", "int32_header", "payload_no_headers",
  "payload_one_str_header",
};

static const gchar *negative[] = {
  "corrupted_header_len", "corrupted_headers", "corrupted_length",
  "corrupted_payload",
};

static GBytes *
read_vector (const gchar * kind, const gchar * sign, const gchar * name)
{
  g_autofree gchar *path = g_build_filename (VECTORS, kind, sign, name, NULL);
  g_autoptr (GError) error = NULL;
  gchar *data = NULL;
  gsize len = 0;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

static JsonObject *
read_description (const gchar * name)
{
  g_autoptr (GBytes) text = read_vector ("decoded", "positive", name);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();

  json_parser_load_from_data (parser, g_bytes_get_data (text, NULL),
      g_bytes_get_size (text), &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static GBytes *
base64_bytes (const gchar * b64)
{
  gsize len = 0;
  guchar *data = g_base64_decode (b64, &len);

  return g_bytes_new_take (data, len);
}

static guint32
be32 (GBytes * b, gsize off)
{
  const guint8 *p = g_bytes_get_data (b, NULL);

  return ((guint32) p[off] << 24) | (p[off + 1] << 16) | (p[off + 2] << 8) |
      p[off + 3];
}

static void
assert_header_matches (const MtEventHeader * h, JsonObject * want)
{
  JsonNode *value = json_object_get_member (want, "value");

  g_assert_cmpstr (h->name, ==, json_object_get_string_member (want, "name"));
  g_assert_cmpint (h->type, ==, json_object_get_int_member (want, "type"));
  switch (h->type) {
    case MT_EVENT_HEADER_BOOL_TRUE:
    case MT_EVENT_HEADER_BOOL_FALSE:
      g_assert_cmpint (h->integer, ==, json_node_get_boolean (value));
      break;
    case MT_EVENT_HEADER_BYTES:
    case MT_EVENT_HEADER_STRING:
    case MT_EVENT_HEADER_UUID:{
      g_autoptr (GBytes) b = base64_bytes (json_node_get_string (value));

      g_assert_true (g_bytes_equal (h->data, b));
      break;
    }
    default:
      g_assert_cmpint (h->integer, ==, json_node_get_int (value));
  }
}

static void
add_described_header (MtEventMessage * msg, JsonObject * want)
{
  const gchar *name = json_object_get_string_member (want, "name");
  JsonNode *value = json_object_get_member (want, "value");
  gint64 n = JSON_NODE_HOLDS_VALUE (value) &&
      json_node_get_value_type (value) == G_TYPE_INT64 ?
      json_node_get_int (value) : 0;
  g_autoptr (GBytes) b = NULL;

  switch (json_object_get_int_member (want, "type")) {
    case MT_EVENT_HEADER_BOOL_TRUE:
    case MT_EVENT_HEADER_BOOL_FALSE:
      mt_event_message_add_bool (msg, name, json_node_get_boolean (value));
      break;
    case MT_EVENT_HEADER_BYTE:
      mt_event_message_add_byte (msg, name, n);
      break;
    case MT_EVENT_HEADER_INT16:
      mt_event_message_add_int16 (msg, name, n);
      break;
    case MT_EVENT_HEADER_INT32:
      mt_event_message_add_int32 (msg, name, n);
      break;
    case MT_EVENT_HEADER_INT64:
      mt_event_message_add_int64 (msg, name, n);
      break;
    case MT_EVENT_HEADER_TIMESTAMP:
      mt_event_message_add_timestamp (msg, name, n);
      break;
    case MT_EVENT_HEADER_BYTES:
      b = base64_bytes (json_node_get_string (value));
      mt_event_message_add_bytes (msg, name, b);
      break;
    case MT_EVENT_HEADER_STRING:{
      g_autofree gchar *s = NULL;

      b = base64_bytes (json_node_get_string (value));
      s = g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
      mt_event_message_add_string (msg, name, s);
      break;
    }
    case MT_EVENT_HEADER_UUID:
      b = base64_bytes (json_node_get_string (value));
      g_assert_cmpuint (g_bytes_get_size (b), ==, 16);
      mt_event_message_add_uuid (msg, name, g_bytes_get_data (b, NULL));
      break;
    default:
      g_assert_not_reached ();
  }
}

/* Decoded exactly: every length, CRC, header (name, type, value) and the
 * payload, as the vector's description has them. */
static void
test_positive_decode (gconstpointer data)
{
  const gchar *name = data;
  g_autoptr (GBytes) wire = read_vector ("encoded", "positive", name);
  g_autoptr (JsonObject) want = read_description (name);
  g_autoptr (GError) error = NULL;
  g_autoptr (MtEventMessage) msg = NULL;
  g_autoptr (GBytes) payload = NULL;
  JsonArray *headers = json_object_get_array_member (want, "headers");

  msg = mt_event_message_decode (g_bytes_get_data (wire, NULL),
      g_bytes_get_size (wire), &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);

  g_assert_cmpint (g_bytes_get_size (wire), ==,
      json_object_get_int_member (want, "total_length"));
  g_assert_cmpint (be32 (wire, 4), ==,
      json_object_get_int_member (want, "headers_length"));
  /* The descriptions write the CRCs as signed 32-bit numbers. */
  g_assert_cmphex (be32 (wire, 8), ==,
      (guint32) json_object_get_int_member (want, "prelude_crc"));
  g_assert_cmphex (be32 (wire, g_bytes_get_size (wire) - 4), ==,
      (guint32) json_object_get_int_member (want, "message_crc"));

  g_assert_cmpuint (msg->headers->len, ==, json_array_get_length (headers));
  for (guint i = 0; i < msg->headers->len; i++)
    assert_header_matches (&g_array_index (msg->headers, MtEventHeader, i),
        json_array_get_object_element (headers, i));
  payload = base64_bytes (json_object_get_string_member (want, "payload"));
  g_assert_true (g_bytes_equal (msg->payload, payload));
}

/* Built from the description, encoded byte-identical to the vector; and
 * the decoded message encodes back to it too. */
static void
test_positive_encode (gconstpointer data)
{
  const gchar *name = data;
  g_autoptr (GBytes) wire = read_vector ("encoded", "positive", name);
  g_autoptr (JsonObject) want = read_description (name);
  g_autoptr (MtEventMessage) built = mt_event_message_new ();
  g_autoptr (MtEventMessage) decoded = NULL;
  g_autoptr (GBytes) payload = NULL, out = NULL, again = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *headers = json_object_get_array_member (want, "headers");

  for (guint i = 0; i < json_array_get_length (headers); i++)
    add_described_header (built, json_array_get_object_element (headers, i));
  payload = base64_bytes (json_object_get_string_member (want, "payload"));
  mt_event_message_set_payload (built, payload);
  out = mt_event_message_encode (built, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out),
      g_bytes_get_data (wire, NULL), g_bytes_get_size (wire));

  decoded = mt_event_message_decode (g_bytes_get_data (wire, NULL),
      g_bytes_get_size (wire), NULL);
  again = mt_event_message_encode (decoded, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (again, wire));
}

static MtEventStreamErrorCode
expected_error (const gchar * name)
{
  g_autoptr (GBytes) text = read_vector ("decoded", "negative", name);
  g_autofree gchar *s = g_strndup (g_bytes_get_data (text, NULL),
      g_bytes_get_size (text));

  if (g_str_has_prefix (s, "Prelude checksum mismatch"))
    return MT_EVENT_STREAM_ERROR_PRELUDE_CRC;
  g_assert_true (g_str_has_prefix (s, "Message checksum mismatch"));
  return MT_EVENT_STREAM_ERROR_MESSAGE_CRC;
}

/* Rejected with the error the vector names, whole or fed byte by byte. */
static void
test_negative (gconstpointer data)
{
  const gchar *name = data;
  g_autoptr (GBytes) wire = read_vector ("encoded", "negative", name);
  g_autoptr (MtEventDecoder) dec = mt_event_decoder_new ();
  g_autoptr (GError) error = NULL, stream_error = NULL;
  MtEventStreamErrorCode code = expected_error (name);
  const guint8 *p = g_bytes_get_data (wire, NULL);
  gsize len = g_bytes_get_size (wire), fed = 0;
  MtEventMessage *msg;

  msg = mt_event_message_decode (p, len, &error);
  g_assert_null (msg);
  g_assert_error (error, MT_EVENT_STREAM_ERROR, (gint) code);
  g_assert_nonnull (strstr (error->message, code ==
          MT_EVENT_STREAM_ERROR_PRELUDE_CRC ? "Prelude checksum mismatch" :
          "Message checksum mismatch"));

  while (fed < len && mt_event_decoder_push (dec, p + fed, 1, &stream_error))
    fed++;
  g_assert_error (stream_error, MT_EVENT_STREAM_ERROR, (gint) code);
  g_assert_null (mt_event_decoder_pop (dec));
  /* A prelude error is seen on the 12th byte, not at the claimed end. */
  if (code == MT_EVENT_STREAM_ERROR_PRELUDE_CRC)
    g_assert_cmpuint (fed, ==, MT_EVENT_PRELUDE_SIZE - 1);
}

static GBytes *
all_positive (guint repeat)
{
  GByteArray *all = g_byte_array_new ();

  for (guint r = 0; r < repeat; r++) {
    for (guint i = 0; i < G_N_ELEMENTS (positive); i++) {
      g_autoptr (GBytes) v = read_vector ("encoded", "positive", positive[i]);

      g_byte_array_append (all, g_bytes_get_data (v, NULL),
          g_bytes_get_size (v));
    }
  }
  return g_byte_array_free_to_bytes (all);
}

/* Every message comes out whole and in order, whatever the chunking. */
static void
test_stream_chunks (void)
{
  static const gsize chunks[] = { 1, 2, 3, 5, 7, 12, 13, 16, 64, 1000 };
  g_autoptr (GBytes) stream = all_positive (3);
  const guint8 *p = g_bytes_get_data (stream, NULL);
  gsize len = g_bytes_get_size (stream);

  for (guint c = 0; c < G_N_ELEMENTS (chunks); c++) {
    g_autoptr (MtEventDecoder) dec = mt_event_decoder_new ();
    GByteArray *reencoded = g_byte_array_new ();
    g_autoptr (GBytes) out = NULL;
    guint n = 0;
    MtEventMessage *msg;

    for (gsize off = 0; off < len; off += chunks[c]) {
      g_autoptr (GError) error = NULL;

      g_assert_true (mt_event_decoder_push (dec, p + off,
              MIN (chunks[c], len - off), &error));
      g_assert_no_error (error);
      while ((msg = mt_event_decoder_pop (dec))) {
        g_autoptr (GBytes) b = mt_event_message_encode (msg, NULL);

        g_byte_array_append (reencoded, g_bytes_get_data (b, NULL),
            g_bytes_get_size (b));
        mt_event_message_free (msg);
        n++;
      }
    }
    g_assert_cmpuint (n, ==, 3 * G_N_ELEMENTS (positive));
    g_assert_cmpuint (mt_event_decoder_get_pending (dec), ==, 0);
    out = g_byte_array_free_to_bytes (reencoded);
    g_assert_true (g_bytes_equal (out, stream));
  }
}

/* A stream cut inside a message is not an error yet, just pending bytes;
 * after a corrupt message every later push fails. */
static void
test_stream_cut_and_dead (void)
{
  g_autoptr (GBytes) stream = all_positive (1);
  g_autoptr (GBytes) bad = read_vector ("encoded", "negative",
      "corrupted_payload");
  g_autoptr (MtEventDecoder) dec = mt_event_decoder_new ();
  g_autoptr (MtEventDecoder) dead = mt_event_decoder_new ();
  g_autoptr (GError) e1 = NULL, e2 = NULL;
  const guint8 *p = g_bytes_get_data (stream, NULL);
  gsize len = g_bytes_get_size (stream);
  guint n = 0;
  MtEventMessage *msg;

  g_assert_true (mt_event_decoder_push (dec, p, len - 1, NULL));
  while ((msg = mt_event_decoder_pop (dec))) {
    mt_event_message_free (msg);
    n++;
  }
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (positive) - 1);
  g_assert_cmpuint (mt_event_decoder_get_pending (dec), >, 0);

  g_assert_false (mt_event_decoder_push (dead, g_bytes_get_data (bad, NULL),
          g_bytes_get_size (bad), &e1));
  g_assert_error (e1, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_MESSAGE_CRC);
  g_assert_false (mt_event_decoder_push (dead, p, len, &e2));
  g_assert_error (e2, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_MESSAGE_CRC);
  g_assert_null (mt_event_decoder_pop (dead));
}

static guint32
crc (const guint8 * p, gsize len)
{
  /* CRC-32 (IEEE), bitwise: an implementation independent of zlib's. */
  guint32 c = 0xffffffff;

  for (gsize i = 0; i < len; i++) {
    c ^= p[i];
    for (gint k = 0; k < 8; k++)
      c = (c >> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c;
}

static void
put32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

/* A message with the given prelude lengths and `body` after it, both CRCs
 * right: only the lengths and headers can be wrong. */
static GBytes *
forge (guint32 total, guint32 headers_len, const guint8 * body, gsize n)
{
  gsize size = MT_EVENT_PRELUDE_SIZE + n + 4;
  guint8 *m = g_malloc0 (size);

  put32 (m, total);
  put32 (m + 4, headers_len);
  put32 (m + 8, crc (m, 8));
  if (n > 0)
    memcpy (m + MT_EVENT_PRELUDE_SIZE, body, n);
  put32 (m + size - 4, crc (m, size - 4));
  return g_bytes_new_take (m, size);
}

static void
assert_rejects (GBytes * b, MtEventStreamErrorCode code)
{
  g_autoptr (GError) error = NULL, stream_error = NULL;
  g_autoptr (MtEventDecoder) dec = mt_event_decoder_new ();

  g_assert_null (mt_event_message_decode (g_bytes_get_data (b, NULL),
          g_bytes_get_size (b), &error));
  g_assert_error (error, MT_EVENT_STREAM_ERROR, (gint) code);
  g_assert_false (mt_event_decoder_push (dec, g_bytes_get_data (b, NULL),
          g_bytes_get_size (b), &stream_error));
  g_assert_error (stream_error, MT_EVENT_STREAM_ERROR, (gint) code);
}

static void
test_hostile_lengths (void)
{
  /* a header "x" of type string claiming 300 bytes in a 6-byte block */
  static const guint8 overrun[] = { 1, 'x', 7, 0x01, 0x2c, 'a' };
  static const guint8 bad_type[] = { 1, 'x', 10 };
  static const guint8 no_name[] = { 0, 7, 0, 0 };
  g_autoptr (GBytes) huge = forge (0xffffffff, 0, NULL, 0);
  g_autoptr (GBytes) tiny = forge (8, 0, NULL, 0);
  g_autoptr (GBytes) hdr_past = forge (16, 1, NULL, 0);
  g_autoptr (GBytes) hdr_big = forge (16 + 200000, 200000, NULL, 0);
  g_autoptr (GBytes) b1 = forge (22, 6, overrun, 6);
  g_autoptr (GBytes) b2 = forge (19, 3, bad_type, 3);
  g_autoptr (GBytes) b3 = forge (20, 4, no_name, 4);
  g_autoptr (MtEventDecoder) dec = mt_event_decoder_new ();
  g_autoptr (GError) error = NULL;

  /* Lengths are refused on the prelude alone: no waiting for 4 GiB. */
  g_assert_false (mt_event_decoder_push (dec, g_bytes_get_data (huge, NULL),
          MT_EVENT_PRELUDE_SIZE, &error));
  g_assert_error (error, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_LENGTH);
  assert_rejects (tiny, MT_EVENT_STREAM_ERROR_LENGTH);
  assert_rejects (hdr_past, MT_EVENT_STREAM_ERROR_LENGTH);
  assert_rejects (hdr_big, MT_EVENT_STREAM_ERROR_LENGTH);
  assert_rejects (b1, MT_EVENT_STREAM_ERROR_HEADER);
  assert_rejects (b2, MT_EVENT_STREAM_ERROR_HEADER);
  assert_rejects (b3, MT_EVENT_STREAM_ERROR_HEADER);
}

static void
test_whole_message_lengths (void)
{
  g_autoptr (GBytes) v = read_vector ("encoded", "positive", "int32_header");
  const guint8 *p = g_bytes_get_data (v, NULL);
  gsize len = g_bytes_get_size (v);
  g_autofree guint8 *longer = g_malloc0 (len + 1);
  g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL;

  memcpy (longer, p, len);
  g_assert_null (mt_event_message_decode (p, 5, &e1));
  g_assert_error (e1, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_TRUNCATED);
  g_assert_null (mt_event_message_decode (p, len - 1, &e2));
  g_assert_error (e2, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_TRUNCATED);
  g_assert_null (mt_event_message_decode (longer, len + 1, &e3));
  g_assert_error (e3, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_LENGTH);
}

/* Every type at its limits survives encode and decode; strings read as C
 * strings; the wire order of headers is the order they were added. */
static void
test_all_types_roundtrip (void)
{
  static const guint8 uuid[16] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6,
    7, 8, 9, 10, 11, 0xff
  };
  g_autoptr (MtEventMessage) msg = mt_event_message_new ();
  g_autoptr (MtEventMessage) back = NULL;
  g_autoptr (GBytes) raw = g_bytes_new ("\0\1\2", 3), enc = NULL, pl = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *long_name = g_strnfill (255, 'n');
  const MtEventHeader *h;

  mt_event_message_add_bool (msg, "t", TRUE);
  mt_event_message_add_bool (msg, "f", FALSE);
  mt_event_message_add_byte (msg, "b", G_MININT8);
  mt_event_message_add_int16 (msg, "s", G_MININT16);
  mt_event_message_add_int32 (msg, "i", G_MININT32);
  mt_event_message_add_int64 (msg, "l", G_MAXINT64);
  mt_event_message_add_timestamp (msg, ":date", -1);
  mt_event_message_add_bytes (msg, "raw", raw);
  mt_event_message_add_string (msg, ":event-type", "TranscriptEvent");
  mt_event_message_add_uuid (msg, "u", uuid);
  mt_event_message_add_string (msg, long_name, "");
  pl = g_bytes_new ("{\"a\":1}", 7);
  mt_event_message_set_payload (msg, pl);

  enc = mt_event_message_encode (msg, &error);
  g_assert_no_error (error);
  back = mt_event_message_decode (g_bytes_get_data (enc, NULL),
      g_bytes_get_size (enc), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->headers->len, ==, 11);
  for (guint i = 0; i < 11; i++) {
    MtEventHeader *a = &g_array_index (msg->headers, MtEventHeader, i);
    MtEventHeader *b = &g_array_index (back->headers, MtEventHeader, i);

    g_assert_cmpstr (a->name, ==, b->name);
    g_assert_cmpint (a->type, ==, b->type);
    g_assert_cmpint (a->integer, ==, b->integer);
    g_assert_true ((a->data == NULL && b->data == NULL)
        || g_bytes_equal (a->data, b->data));
  }
  g_assert_true (g_bytes_equal (back->payload, pl));
  g_assert_cmpstr (mt_event_message_get_string (back, ":event-type"), ==,
      "TranscriptEvent");
  g_assert_null (mt_event_message_get_string (back, "b"));
  g_assert_null (mt_event_message_get_string (back, "absent"));
  h = mt_event_message_get_header (back, "b");
  g_assert_cmpint (h->integer, ==, -128);
}

static void
test_encode_limits (void)
{
  g_autoptr (MtEventMessage) long_name = mt_event_message_new ();
  g_autoptr (MtEventMessage) long_value = mt_event_message_new ();
  g_autofree gchar *name = g_strnfill (256, 'n');
  g_autofree guint8 *big = g_malloc0 (65536);
  g_autoptr (GBytes) value = g_bytes_new_static (big, 65536);
  g_autoptr (GError) e1 = NULL, e2 = NULL;

  mt_event_message_add_bool (long_name, name, TRUE);
  g_assert_null (mt_event_message_encode (long_name, &e1));
  g_assert_error (e1, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_ENCODE);
  mt_event_message_add_bytes (long_value, "v", value);
  g_assert_null (mt_event_message_encode (long_value, &e2));
  g_assert_error (e2, MT_EVENT_STREAM_ERROR, MT_EVENT_STREAM_ERROR_ENCODE);
  g_assert_nonnull (strstr (e2->message, "65535"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (positive); i++) {
    g_autofree gchar *d = g_strdup_printf ("/eventstream/vector/decode/%s",
        positive[i]);
    g_autofree gchar *e = g_strdup_printf ("/eventstream/vector/encode/%s",
        positive[i]);

    g_test_add_data_func (d, positive[i], test_positive_decode);
    g_test_add_data_func (e, positive[i], test_positive_encode);
  }
  for (guint i = 0; i < G_N_ELEMENTS (negative); i++) {
    g_autofree gchar *n = g_strdup_printf ("/eventstream/vector/reject/%s",
        negative[i]);

    g_test_add_data_func (n, negative[i], test_negative);
  }
  g_test_add_func ("/eventstream/stream/chunks", test_stream_chunks);
  g_test_add_func ("/eventstream/stream/cut-and-dead",
      test_stream_cut_and_dead);
  g_test_add_func ("/eventstream/hostile-lengths", test_hostile_lengths);
  g_test_add_func ("/eventstream/whole-message-lengths",
      test_whole_message_lengths);
  g_test_add_func ("/eventstream/all-types", test_all_types_roundtrip);
  g_test_add_func ("/eventstream/encode-limits", test_encode_limits);
  return g_test_run ();
}
