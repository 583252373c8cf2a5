/* AWS Signature Version 4: header signing, presigned URLs (query signing)
 * and the chained signatures of event-stream messages. Checked against the
 * official AWS signing suite and against botocore.
 *
 * Secrets: nothing here logs a key, a derived signing key or a token. */
#pragma once

#include <glib.h>
#include "http.h"

G_BEGIN_DECLS

/* The key to sign with (credentials.h). */
typedef struct _MtCredentials MtCredentials;

typedef enum {
  MT_SIGV4_PAYLOAD_SIGNED,      /* hex SHA-256 of the body */
  MT_SIGV4_PAYLOAD_UNSIGNED,    /* "UNSIGNED-PAYLOAD" (S3 over TLS) */
} MtSigV4Payload;

typedef struct {
  const gchar *region;
  const gchar *service;         /* signing name: "s3", "rekognition", "es", ... */
  gint64 time;                  /* unix seconds; 0: now */
  gboolean normalize_path;      /* TRUE for every service but S3 */
  MtSigV4Payload payload;
  gboolean add_content_sha256;  /* S3: send x-amz-content-sha256 */
  gboolean omit_session_token;  /* sign without it, add it after (some services) */
} MtSigV4Params;

/* What signing produced, for tests and debug (never logged: the signature
 * is not a secret, the key that made it is). */
typedef struct {
  gchar *canonical_request;
  gchar *string_to_sign;
  gchar *signature;
} MtSigV4Trace;

void mt_sigv4_trace_clear (MtSigV4Trace * trace);

/* Errors are MT_AWS_ERROR: NO_CREDENTIALS (no key to sign with), CONFIG
 * (no region or service, a URL that is not absolute), INVALID (an expiry
 * out of range). */

/* Adds X-Amz-Date, X-Amz-Security-Token (temporary credentials),
 * x-amz-content-sha256 when asked, Host when absent, and Authorization.
 *
 * The payload hash is an x-amz-content-sha256 header already on the
 * request if there is one (so a caller that hashed a large body as it
 * streamed, with MtSha256, does not hash it twice), else per
 * params->payload. Every header is signed but the hop-by-hop ones and
 * those a proxy or the HTTP layer may change (user-agent, expect,
 * x-amzn-trace-id, as botocore). The URL's path and query are the wire
 * form: with normalize_path the path has its dot segments and doubled
 * slashes removed and is encoded again, as every service but S3 wants;
 * without, it is signed as it is (only bytes that cannot go on the wire
 * raw are encoded). Query keys and values are decoded and encoded again
 * the AWS way, then sorted. */
gboolean mt_sigv4_sign (MtHttpRequest * req, const MtCredentials * creds,
    const MtSigV4Params * params, MtSigV4Trace * trace, GError ** error);

/* Returns req's URL with the X-Amz-* query parameters of a presigned URL,
 * valid `expires_seconds` (1 to 604800) from params->time. The request's
 * headers are signed (Host at least), so whoever uses the URL must send
 * them too. With omit_session_token the token is added unsigned. */
gchar *mt_sigv4_presign (const MtHttpRequest * req,
    const MtCredentials * creds, const MtSigV4Params * params,
    guint expires_seconds, MtSigV4Trace * trace, GError ** error);

/* Event-stream message signing (Transcribe streaming and the like): each
 * message's signature chains on the previous one, starting with the seed
 * signature of the request that opened the stream (the Authorization
 * signature over HTTP/2, the presigned URL's X-Amz-Signature over
 * WebSocket: MtSigV4Trace.signature of either). A signer belongs to one
 * stream and one thread; mt_sigv4_sign and mt_sigv4_presign are
 * thread-safe. */
typedef struct _MtSigV4EventSigner MtSigV4EventSigner;

MtSigV4EventSigner *mt_sigv4_event_signer_new (const MtCredentials * creds,
    const gchar * region, const gchar * service,
    const gchar * seed_signature);
/* Returns the signature (32 raw bytes) of `payload` (an encoded message),
 * for the :chunk-signature header. `time` (unix seconds) must be the :date
 * header's value, which carries it in milliseconds (time * 1000). */
GBytes *mt_sigv4_event_signer_sign (MtSigV4EventSigner * signer,
    GBytes * payload, gint64 time);
/* Wraps `message` (an encoded event-stream message; NULL or empty for the
 * empty frame that ends a stream) in the signed envelope the service
 * expects: a message with a :date header (`time`, unix seconds, 0: now)
 * and a :chunk-signature header, whose payload is `message`. */
GBytes *mt_sigv4_event_signer_sign_message (MtSigV4EventSigner * signer,
    GBytes * message, gint64 time, GError ** error);
/* Hex of the last signature made (the seed before the first message). */
const gchar *mt_sigv4_event_signer_get_signature (MtSigV4EventSigner *
    signer);
void mt_sigv4_event_signer_free (MtSigV4EventSigner * signer);

/* SHA-256 for payload hashes. Incremental, so a body that is streamed
 * (an S3 part read from a pipeline) is hashed as it passes. */
typedef struct _MtSha256 MtSha256;

MtSha256 *mt_sha256_new (void);
void mt_sha256_update (MtSha256 * sha, const guint8 * data, gsize len);
/* Ends the hash: `sha` takes no more data afterwards. */
void mt_sha256_finish (MtSha256 * sha, guint8 digest[32]);
gchar *mt_sha256_finish_hex (MtSha256 * sha);
void mt_sha256_free (MtSha256 * sha);
/* Lowercase hex SHA-256 of data; of the empty string for NULL bytes. */
gchar *mt_sha256_hex (const guint8 * data, gsize len);
gchar *mt_sha256_hex_bytes (GBytes * bytes);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MtSigV4Trace, mt_sigv4_trace_clear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtSigV4EventSigner, mt_sigv4_event_signer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtSha256, mt_sha256_free)

G_END_DECLS
