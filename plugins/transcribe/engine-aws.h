/* Private to the AWS engine of transcribesink: the two modes behind
 * mt_transcribe_engine_aws (engine-aws.c picks one at start), and the
 * pieces they share or that tests drive on their own. */
#pragma once

#include "credentials.h"
#include "engine.h"
#include "gsttranscribesink.h"

G_BEGIN_DECLS
/* Session engines for each mode: StartStreamTranscription over WebSocket
 * (engine-aws-streaming.c), StartTranscriptionJob via S3
 * (engine-aws-batch.c). */
extern const MtEngine mt_transcribe_aws_streaming;
extern const MtEngine mt_transcribe_aws_batch;

#define MT_TRANSCRIBE_STREAMING_ENGINE "aws:transcribe:StartStreamTranscription"
#define MT_TRANSCRIBE_BATCH_ENGINE "aws:transcribe:StartTranscriptionJob"

/* The presigned wss:// (ws:// for an http:// endpoint) URL that opens a
 * stream, for `endpoint` (a base URL: https://transcribestreaming.REGION.
 * amazonaws.com gets port 8443), the config's parameters and the session
 * id (a UUID, the same for every stream of one session). `signature`
 * gets the URL's X-Amz-Signature (the seed of the event signatures).
 * `time`: unix seconds, 0: now. */
gchar *mt_transcribe_streaming_url (const gchar * endpoint,
    const gchar * region, const MtTranscribeConfig * cfg,
    const gchar * session_id, const MtCredentials * creds, gint64 time,
    gchar ** signature, GError ** error);

/* The segment documents of one streaming Result object (a Transcript's
 * Results[i]): one per run of items by the same speaker, times in ms
 * shifted by offset_ms. Appended to `out`. */
void mt_transcribe_streaming_result_to_segments (JsonObject * result,
    gint64 offset_ms, const gchar * language, GPtrArray * out);

/* The segment documents of a batch transcript (the job's JSON output):
 * from its audio_segments when present, else its items split at sentence
 * punctuation; times shifted by offset_ms. */
gboolean mt_transcribe_batch_transcript_to_segments (JsonObject * transcript,
    gint64 offset_ms, const gchar * language, GPtrArray * out, GError ** error);

/* A member of that type, or NULL (absent, null or another type):
 * json-glib 1.6 has no _with_default getters for these. */
JsonObject *mt_transcribe_json_object (JsonObject * o, const gchar * member);
JsonArray *mt_transcribe_json_array (JsonObject * o, const gchar * member);

/* Speaker labels look the same from both modes: "spk_0". */
gchar *mt_transcribe_speaker_label (const gchar * service_label);

G_END_DECLS
