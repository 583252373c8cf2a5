/* The AWS event-stream message format (application/vnd.amazon.eventstream):
 * how Transcribe streaming, S3 Select and the like frame messages over
 * HTTP/2 and WebSocket.
 *
 * A message is a prelude (total length, headers length, CRC32 of those 8
 * bytes), typed headers, a payload and a CRC32 of everything before it.
 * This module encodes and decodes whole messages, and decodes a byte stream
 * that arrives in arbitrary chunks (MtEventDecoder), checking both CRCs and
 * every length before trusting it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MT_EVENT_STREAM_ERROR (mt_event_stream_error_quark ())
GQuark mt_event_stream_error_quark (void);

typedef enum {
  MT_EVENT_STREAM_ERROR_PRELUDE_CRC,    /* prelude checksum mismatch */
  MT_EVENT_STREAM_ERROR_MESSAGE_CRC,    /* message checksum mismatch */
  MT_EVENT_STREAM_ERROR_LENGTH,         /* lengths impossible or over the limits */
  MT_EVENT_STREAM_ERROR_TRUNCATED,      /* input ends inside a message */
  MT_EVENT_STREAM_ERROR_HEADER,         /* a header overruns or has an unknown type */
  MT_EVENT_STREAM_ERROR_ENCODE,         /* a value too long for the format */
} MtEventStreamErrorCode;

/* The wire values of the header types. */
typedef enum {
  MT_EVENT_HEADER_BOOL_TRUE = 0,
  MT_EVENT_HEADER_BOOL_FALSE = 1,
  MT_EVENT_HEADER_BYTE = 2,
  MT_EVENT_HEADER_INT16 = 3,
  MT_EVENT_HEADER_INT32 = 4,
  MT_EVENT_HEADER_INT64 = 5,
  MT_EVENT_HEADER_BYTES = 6,
  MT_EVENT_HEADER_STRING = 7,
  MT_EVENT_HEADER_TIMESTAMP = 8,        /* milliseconds since the epoch */
  MT_EVENT_HEADER_UUID = 9,
} MtEventHeaderType;

/* Limits of the format as the AWS SDKs enforce them. */
#define MT_EVENT_MAX_PAYLOAD (16 * 1024 * 1024)
#define MT_EVENT_MAX_HEADERS (128 * 1024)
#define MT_EVENT_PRELUDE_SIZE 12
#define MT_EVENT_MIN_MESSAGE 16

typedef struct {
  gchar *name;                  /* 1..255 bytes */
  MtEventHeaderType type;
  /* BOOL_*: 1 or 0; BYTE, INT16, INT32, INT64, TIMESTAMP: the value. */
  gint64 integer;
  /* BYTES, STRING, UUID (16 bytes): the value. A STRING's data is followed
   * by a NUL byte not counted in its size, so it reads as a C string. */
  GBytes *data;
} MtEventHeader;

typedef struct {
  GArray *headers;              /* of MtEventHeader, in wire order */
  GBytes *payload;              /* never NULL; may be empty */
} MtEventMessage;

MtEventMessage *mt_event_message_new (void);
void mt_event_message_free (MtEventMessage * msg);

/* Headers are appended in call order: the encoding keeps that order. */
void mt_event_message_add_bool (MtEventMessage * msg, const gchar * name,
    gboolean value);
void mt_event_message_add_byte (MtEventMessage * msg, const gchar * name,
    gint8 value);
void mt_event_message_add_int16 (MtEventMessage * msg, const gchar * name,
    gint16 value);
void mt_event_message_add_int32 (MtEventMessage * msg, const gchar * name,
    gint32 value);
void mt_event_message_add_int64 (MtEventMessage * msg, const gchar * name,
    gint64 value);
void mt_event_message_add_timestamp (MtEventMessage * msg,
    const gchar * name, gint64 ms);
void mt_event_message_add_bytes (MtEventMessage * msg, const gchar * name,
    GBytes * value);
void mt_event_message_add_string (MtEventMessage * msg, const gchar * name,
    const gchar * value);
/* `uuid` is 16 raw bytes. */
void mt_event_message_add_uuid (MtEventMessage * msg, const gchar * name,
    const guint8 * uuid);
void mt_event_message_set_payload (MtEventMessage * msg, GBytes * payload);

/* The first header of that name, or NULL. */
const MtEventHeader *mt_event_message_get_header (const MtEventMessage * msg,
    const gchar * name);
/* The value of a STRING header of that name, or NULL (absent or not a
 * string): ":message-type", ":event-type", ":exception-type", ... */
const gchar *mt_event_message_get_string (const MtEventMessage * msg,
    const gchar * name);

/* Encodes one message. Fails (MT_EVENT_STREAM_ERROR_ENCODE) on a header
 * name over 255 bytes, a value over 65535 bytes, or headers or payload
 * over the limits above. */
GBytes *mt_event_message_encode (const MtEventMessage * msg, GError ** error);

/* Decodes exactly one message: `data` must hold it and nothing more. */
MtEventMessage *mt_event_message_decode (const guint8 * data, gsize len,
    GError ** error);

/* A decoder for a stream of messages that arrives in chunks of any size
 * (WebSocket frames, HTTP/2 DATA frames). Not thread-safe: one feeder. */
typedef struct _MtEventDecoder MtEventDecoder;

MtEventDecoder *mt_event_decoder_new (void);
void mt_event_decoder_free (MtEventDecoder * dec);
/* Takes `len` more bytes and decodes every message they complete. The
 * prelude is checked as soon as its 12 bytes are in, so a corrupt length
 * fails at once instead of waiting for megabytes that will never come.
 * After an error the stream cannot be resynchronised: every later push
 * fails with the same error. */
gboolean mt_event_decoder_push (MtEventDecoder * dec, const guint8 * data,
    gsize len, GError ** error);
/* The next whole message, oldest first, or NULL when none is complete. */
MtEventMessage *mt_event_decoder_pop (MtEventDecoder * dec);
/* Bytes held that do not yet make a whole message: non-zero at the end of
 * a stream means it was cut inside a message. */
gsize mt_event_decoder_get_pending (const MtEventDecoder * dec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtEventMessage, mt_event_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtEventDecoder, mt_event_decoder_free)

G_END_DECLS
