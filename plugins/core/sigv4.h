/* AWS Signature Version 4: header signing, presigned URLs (query signing)
 * and the chained signatures of event-stream messages. Checked against the
 * official AWS signing suite and against botocore.
 *
 * Secrets: nothing here logs a key, a derived signing key or a token. */
#pragma once

#include <glib.h>
#include "http.h"
#include "credentials.h"

G_BEGIN_DECLS

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

/* Adds X-Amz-Date, X-Amz-Security-Token (temporary credentials),
 * x-amz-content-sha256 when asked, Host when absent, and Authorization. */
gboolean mt_sigv4_sign (MtHttpRequest * req, const MtCredentials * creds,
    const MtSigV4Params * params, MtSigV4Trace * trace, GError ** error);

/* Returns req's URL with the X-Amz-* query parameters of a presigned URL. */
gchar *mt_sigv4_presign (const MtHttpRequest * req,
    const MtCredentials * creds, const MtSigV4Params * params,
    guint expires_seconds, MtSigV4Trace * trace, GError ** error);

/* Event-stream message signing (Transcribe streaming and the like): each
 * message's signature chains on the previous one, starting with the seed
 * signature of the request that opened the stream. */
typedef struct _MtSigV4EventSigner MtSigV4EventSigner;

MtSigV4EventSigner *mt_sigv4_event_signer_new (const MtCredentials * creds,
    const gchar * region, const gchar * service,
    const gchar * seed_signature);
/* Returns the signature (32 raw bytes) of `payload` (an encoded message),
 * for the :chunk-signature header; `time` is the :date header's value. */
GBytes *mt_sigv4_event_signer_sign (MtSigV4EventSigner * signer,
    GBytes * payload, gint64 time);
void mt_sigv4_event_signer_free (MtSigV4EventSigner * signer);

G_END_DECLS
