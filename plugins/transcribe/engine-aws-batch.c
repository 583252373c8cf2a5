/* transcribesink's AWS batch mode: a transcription job.
 *
 * push() writes the decoded audio to a temporary WAV file (memory stays
 * bounded whatever the length); drain() uploads it to
 * s3://BUCKET/PREFIX<job>.wav, starts StartTranscriptionJob with the
 * transcript going to s3://BUCKET/PREFIX<job>.json, polls
 * GetTranscriptionJob with a growing interval (cancellable), reads the
 * transcript named by its TranscriptFileUri and turns it into the same
 * segment documents as streaming. What is uploaded is what was decoded,
 * not the asset: the asset may be a video, or in a format the service
 * does not take. */
#include "engine-aws.h"
#include "awsclient.h"
#include "awserror.h"
#include "core.h"
#include "retry.h"
#include "s3.h"

#include <errno.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define GST_CAT_DEFAULT mt_core_debug

#define WAV_HEADER_SIZE 44
#define POLL_FIRST_MS 250
#define POLL_MAX_MS 10000
#define MAX_SPEAKERS 10

typedef struct
{
  const MtEngineContext *ctx;
  const MtTranscribeConfig *cfg;
  MtS3Client *s3;
  MtAwsClient *transcribe;
  gchar *bucket;
  gchar *wav_path;
  FILE *wav;
  guint64 data_bytes;
  gboolean have_base;
  GstClockTime base_time;
} Batch;

/* --- the WAV file --- */

static void
put_le32 (guint8 * p, guint32 v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = v >> 24;
}

static void
put_le16 (guint8 * p, guint16 v)
{
  p[0] = v & 0xff;
  p[1] = v >> 8;
}

/* RIFF/WAVE, PCM S16LE mono (the element's caps). */
static void
wav_header (guint8 h[WAV_HEADER_SIZE], gint rate, guint64 data_bytes)
{
  guint32 n = (guint32) MIN (data_bytes, G_MAXUINT32 - 36);

  memcpy (h, "RIFF", 4);
  put_le32 (h + 4, 36 + n);
  memcpy (h + 8, "WAVEfmt ", 8);
  put_le32 (h + 16, 16);
  put_le16 (h + 20, 1);
  put_le16 (h + 22, 1);
  put_le32 (h + 24, rate);
  put_le32 (h + 28, rate * 2);
  put_le16 (h + 32, 2);
  put_le16 (h + 34, 16);
  memcpy (h + 36, "data", 4);
  put_le32 (h + 40, n);
}

static gboolean
io_error (GError ** error, const gchar * what, const gchar * path)
{
  int e = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
      "could not %s the temporary audio file %s: %s", what, path,
      g_strerror (e));
  return FALSE;
}

static gboolean
wav_finish (Batch * b, GError ** error)
{
  guint8 h[WAV_HEADER_SIZE];

  wav_header (h, b->cfg->sample_rate, b->data_bytes);
  if (fseek (b->wav, 0, SEEK_SET) != 0
      || fwrite (h, 1, sizeof (h), b->wav) != sizeof (h)
      || fclose (b->wav) != 0) {
    b->wav = NULL;
    return io_error (error, "write", b->wav_path);
  }
  b->wav = NULL;
  return TRUE;
}

/* --- names --- */

/* Job names take [0-9a-zA-Z._-]: the asset's base name, made so, plus
 * the time, so two runs of one asset do not collide. */
static gchar *
job_name (const gchar * asset)
{
  g_autofree gchar *base = asset ? g_path_get_basename (asset) :
      g_strdup ("audio");
  GString *s = g_string_new ("mediatag-");

  for (const gchar * p = base; *p && s->len < 120; p++)
    g_string_append_c (s, g_ascii_isalnum (*p) || *p == '.' || *p == '-' ||
        *p == '_' ? *p : '_');
  g_string_append_printf (s, "-%" G_GINT64_FORMAT, g_get_real_time () / 1000);
  return g_string_free (s, FALSE);
}

/* --- S3 --- */

static gboolean
upload_wav (Batch * b, const gchar * key, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (GMappedFile) file = g_mapped_file_new (b->wav_path, FALSE, error);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (MtHttpRequest) req = NULL;
  g_autofree gchar *url = NULL;
  MtAwsSendOptions opts = {.s3 = TRUE };

  if (file == NULL)
    return FALSE;
  body = g_mapped_file_get_bytes (file);
  url = mt_s3_client_url (b->s3, b->bucket, key, NULL);
  req = mt_http_request_new ("PUT", url);
  mt_http_request_set_header (req, "Content-Type", "audio/wav");
  mt_http_request_set_body (req, body);
  req->timeout_ms = MT_HTTP_NO_TIMEOUT;
  if (!mt_aws_client_send (mt_s3_client_get_aws (b->s3), req, &opts, NULL,
          cancellable, error)) {
    g_prefix_error (error, "uploading the audio to s3://%s/%s: ", b->bucket,
        key);
    return FALSE;
  }
  return TRUE;
}

/* Bucket and key of an S3 object URL, path style
 * (https://s3.REGION.amazonaws.com/BUCKET/KEY) or virtual-hosted
 * (https://BUCKET.s3.REGION.amazonaws.com/KEY). */
static gboolean
parse_s3_url (const gchar * url, gchar ** bucket, gchar ** key)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const gchar *host = uri ? g_uri_get_host (uri) : NULL;
  const gchar *path = uri ? g_uri_get_path (uri) : NULL;
  const gchar *dot;

  if (host == NULL || path == NULL || path[0] != '/')
    return FALSE;
  if (g_str_has_prefix (host, "s3.") || g_str_has_prefix (host, "s3-")) {
    const gchar *slash = strchr (path + 1, '/');
    if (slash == NULL)
      return FALSE;
    *bucket = g_strndup (path + 1, slash - path - 1);
    *key = g_strdup (slash + 1);
    return TRUE;
  }
  dot = strstr (host, ".s3.");
  if (dot == NULL)
    dot = strstr (host, ".s3-");
  if (dot == NULL)
    return FALSE;
  *bucket = g_strndup (host, dot - host);
  *key = g_strdup (path + 1);
  return TRUE;
}

static GBytes *
get_object (Batch * b, const gchar * bucket, const gchar * key,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *url = mt_s3_client_url (b->s3, bucket, key, NULL);
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", url);
  g_autoptr (MtHttpResponse) resp = NULL;
  MtAwsSendOptions opts = {.s3 = TRUE };

  if (!mt_aws_client_send (mt_s3_client_get_aws (b->s3), req, &opts, &resp,
          cancellable, error)) {
    g_prefix_error (error, "reading the transcript s3://%s/%s: ", bucket, key);
    return NULL;
  }
  return resp->body ? g_bytes_ref (resp->body) : g_bytes_new (NULL, 0);
}

/* --- the job --- */

static JsonObject *
job_request (Batch * b, const gchar * name, const gchar * media_key,
    const gchar * output_key)
{
  const MtTranscribeConfig *cfg = b->cfg;
  JsonObject *r = json_object_new ();
  JsonObject *media = json_object_new ();
  JsonObject *settings = json_object_new ();
  g_autofree gchar *uri = mt_s3_uri_build (b->bucket, media_key);

  json_object_set_string_member (r, "TranscriptionJobName", name);
  if (cfg->identify_language) {
    g_auto (GStrv) langs = g_strsplit (cfg->language_options, ",", -1);
    JsonArray *opts = json_array_new ();
    json_object_set_boolean_member (r, "IdentifyLanguage", TRUE);
    for (guint i = 0; langs[i]; i++)
      if (*g_strstrip (langs[i]))
        json_array_add_string_element (opts, langs[i]);
    json_object_set_array_member (r, "LanguageOptions", opts);
  } else {
    json_object_set_string_member (r, "LanguageCode", cfg->language_code);
  }
  json_object_set_int_member (r, "MediaSampleRateHertz", cfg->sample_rate);
  json_object_set_string_member (r, "MediaFormat", "wav");
  json_object_set_string_member (media, "MediaFileUri", uri);
  json_object_set_object_member (r, "Media", media);
  json_object_set_string_member (r, "OutputBucketName", b->bucket);
  json_object_set_string_member (r, "OutputKey", output_key);
  if (cfg->vocabulary_name)
    json_object_set_string_member (settings, "VocabularyName",
        cfg->vocabulary_name);
  if (cfg->vocabulary_filter_name) {
    json_object_set_string_member (settings, "VocabularyFilterName",
        cfg->vocabulary_filter_name);
    json_object_set_string_member (settings, "VocabularyFilterMethod",
        cfg->vocabulary_filter_method ? cfg->vocabulary_filter_method : "mask");
  }
  if (cfg->show_speaker_labels) {
    json_object_set_boolean_member (settings, "ShowSpeakerLabels", TRUE);
    json_object_set_int_member (settings, "MaxSpeakerLabels", MAX_SPEAKERS);
  }
  json_object_set_object_member (r, "Settings", settings);
  if (cfg->language_model_name) {
    JsonObject *model = json_object_new ();
    json_object_set_string_member (model, "LanguageModelName",
        cfg->language_model_name);
    json_object_set_object_member (r, "ModelSettings", model);
  }
  return r;
}

/* Polls until the job is done; returns its TranscriptionJob object. */
static JsonObject *
wait_for_job (Batch * b, const gchar * name, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  guint64 delay = POLL_FIRST_MS;

  json_object_set_string_member (req, "TranscriptionJobName", name);
  for (;;) {
    g_autoptr (JsonObject) resp = NULL;
    JsonObject *job;
    const gchar *status;

    if (!mt_engine_context_rate_limit (b->ctx, cancellable, error))
      return NULL;
    resp = mt_aws_client_json_call (b->transcribe,
        "Transcribe.GetTranscriptionJob", req, cancellable, error);
    if (resp == NULL)
      return NULL;
    job = mt_transcribe_json_object (resp, "TranscriptionJob");
    status = job ? json_object_get_string_member_with_default (job,
        "TranscriptionJobStatus", "") : "";
    if (g_strcmp0 (status, "COMPLETED") == 0)
      return json_object_ref (job);
    if (g_strcmp0 (status, "FAILED") == 0) {
      g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
          "GetTranscriptionJob: the transcription job %s failed: %s", name,
          json_object_get_string_member_with_default (job, "FailureReason",
              "no reason given"));
      return NULL;
    }
    GST_DEBUG_OBJECT (b->ctx->element, "job %s is %s", name, status);
    if (!mt_retry_wait (delay, cancellable, error))
      return NULL;
    delay = MIN (delay * 2, POLL_MAX_MS);
  }
}

static JsonObject *
read_transcript (Batch * b, JsonObject * job, const gchar * output_key,
    GCancellable * cancellable, GError ** error)
{
  JsonObject *t = mt_transcribe_json_object (job, "Transcript");
  const gchar *uri = t ? json_object_get_string_member_with_default (t,
      "TranscriptFileUri", NULL) : NULL;
  g_autofree gchar *bucket = NULL;
  g_autofree gchar *key = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize len;
  const gchar *data;

  if (uri == NULL || !parse_s3_url (uri, &bucket, &key)) {
    g_free (bucket);
    g_free (key);
    bucket = g_strdup (b->bucket);
    key = g_strdup (output_key);
  }
  body = get_object (b, bucket, key, cancellable, error);
  if (body == NULL)
    return NULL;
  data = g_bytes_get_data (body, &len);
  if (!json_parser_load_from_data (parser, data, len, error)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_prefix_error (error, "the transcript s3://%s/%s is not JSON: ",
        bucket, key);
    if (error && *error == NULL)
      g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
          "the transcript s3://%s/%s is not a JSON object", bucket, key);
    return NULL;
  }
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static gboolean
run_job (Batch * b, GPtrArray * out, GCancellable * cancellable,
    GError ** error)
{
  g_autofree gchar *name = job_name (b->ctx->asset);
  g_autofree gchar *media_key = g_strconcat (b->cfg->prefix, name, ".wav",
      NULL);
  g_autofree gchar *output_key = g_strconcat (b->cfg->prefix, name, ".json",
      NULL);
  g_autoptr (JsonObject) req = NULL;
  g_autoptr (JsonObject) started = NULL;
  g_autoptr (JsonObject) job = NULL;
  g_autoptr (JsonObject) transcript = NULL;

  if (!upload_wav (b, media_key, cancellable, error))
    return FALSE;
  req = job_request (b, name, media_key, output_key);
  if (!mt_engine_context_rate_limit (b->ctx, cancellable, error))
    return FALSE;
  started = mt_aws_client_json_call (b->transcribe,
      "Transcribe.StartTranscriptionJob", req, cancellable, error);
  if (started == NULL)
    return FALSE;
  GST_INFO_OBJECT (b->ctx->element, "transcription job %s started", name);
  job = wait_for_job (b, name, cancellable, error);
  if (job == NULL)
    return FALSE;
  transcript = read_transcript (b, job, output_key, cancellable, error);
  if (transcript == NULL)
    return FALSE;
  return mt_transcribe_batch_transcript_to_segments (transcript,
      (gint64) (b->base_time / GST_MSECOND),
      json_object_get_string_member_with_default (job, "LanguageCode",
          b->cfg->language_code), out, error);
}

/* --- the session calls --- */

static gboolean
batch_push (gpointer state, const MtEngineContext * ctx, const MtUnit * unit,
    GCancellable * cancellable, GError ** error)
{
  Batch *b = state;
  GstMapInfo map;
  gboolean ok;

  if (!b->have_base) {
    b->have_base = TRUE;
    b->base_time = GST_CLOCK_TIME_IS_VALID (unit->stream_time) ?
        unit->stream_time : 0;
  }
  if (!gst_buffer_map (unit->buffer, &map, GST_MAP_READ))
    return TRUE;
  ok = fwrite (map.data, 1, map.size, b->wav) == map.size;
  b->data_bytes += map.size;
  gst_buffer_unmap (unit->buffer, &map);
  return ok ? TRUE : io_error (error, "write", b->wav_path);
}

static gboolean
batch_drain (gpointer state, const MtEngineContext * ctx,
    GCancellable * cancellable, GError ** error)
{
  Batch *b = state;
  g_autoptr (GPtrArray) out =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  if (b->wav == NULL)
    return TRUE;
  if (!wav_finish (b, error))
    return FALSE;
  if (b->data_bytes == 0)
    return TRUE;
  if (!run_job (b, out, cancellable, error))
    return FALSE;
  if (out->len > 0)
    mt_engine_context_emit (ctx, out);
  return TRUE;
}

static void
batch_stop (gpointer state)
{
  Batch *b = state;

  if (b->wav != NULL)
    fclose (b->wav);
  if (b->wav_path != NULL)
    g_unlink (b->wav_path);
  g_free (b->wav_path);
  g_free (b->bucket);
  g_clear_pointer (&b->s3, mt_s3_client_free);
  g_clear_pointer (&b->transcribe, mt_aws_client_free);
  g_free (b);
}

/* The bucket property, else the asset's own bucket when it is in S3. */
static gchar *
pick_bucket (const MtEngineContext * ctx, GError ** error)
{
  const MtTranscribeConfig *cfg = ctx->config;
  gchar *bucket = NULL;
  g_autofree gchar *key = NULL;

  if (cfg->bucket != NULL && *cfg->bucket != '\0')
    return g_strdup (cfg->bucket);
  if (ctx->asset != NULL && g_str_has_prefix (ctx->asset, "s3://")
      && mt_s3_uri_parse (ctx->asset, FALSE, &bucket, &key, NULL))
    return bucket;
  g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
      "mode=batch uploads the audio to S3 for Transcribe: set bucket= to a "
      "bucket the job can read");
  return NULL;
}

static gboolean
batch_open (Batch * b, GError ** error)
{
  guint8 h[WAV_HEADER_SIZE] = { 0, };
  gint fd = g_file_open_tmp ("mediatag-transcribe-XXXXXX.wav", &b->wav_path,
      error);

  if (fd < 0)
    return FALSE;
  b->wav = fdopen (fd, "w+b");
  if (b->wav == NULL) {
    close (fd);
    return io_error (error, "open", b->wav_path);
  }
  /* Room for the header, written with the sizes at the end. */
  if (fwrite (h, 1, sizeof (h), b->wav) != sizeof (h))
    return io_error (error, "write", b->wav_path);
  return TRUE;
}

static gboolean
batch_start (const MtEngineContext * ctx, gpointer * state, GError ** error)
{
  Batch *b = g_new0 (Batch, 1);

  b->ctx = ctx;
  b->cfg = ctx->config;
  b->bucket = pick_bucket (ctx, error);
  if (b->bucket == NULL
      || (b->s3 = mt_s3_client_new (ctx->aws, FALSE, FALSE, error)) == NULL
      || (b->transcribe = mt_aws_client_new (ctx->aws,
              &mt_aws_service_transcribe, FALSE, error)) == NULL
      || !batch_open (b, error)) {
    batch_stop (b);
    return FALSE;
  }
  *state = b;
  return TRUE;
}

const MtEngine mt_transcribe_aws_batch = {
  .backend = "aws",
  .name = "aws:transcribe",
  .start = batch_start,
  .push = batch_push,
  .drain = batch_drain,
  .stop = batch_stop,
};

/* --- the transcript --- */

/* The items, with punctuation attached to the word before it, as
 * {word, start, end, confidence, speaker, id} objects, plus a map from
 * each item id to its word's index. */
typedef struct
{
  GPtrArray *words;             /* of JsonObject */
  GHashTable *by_id;            /* item id -> word index + 1 */
  GPtrArray *sentence_end;      /* word indexes ending a sentence */
} Words;

static gdouble
str_double (JsonObject * o, const gchar * member)
{
  const gchar *s = json_object_get_string_member_with_default (o, member,
      NULL);

  return s ? g_ascii_strtod (s, NULL) : NAN;
}

static gint64
str_ms (JsonObject * o, const gchar * member, gint64 offset_ms)
{
  gdouble v = str_double (o, member);

  return isnan (v) ? -1 : offset_ms + (gint64) llround (v * 1000.0);
}

static void
words_add_item (Words * w, JsonObject * item, guint index, gint64 offset_ms)
{
  JsonArray *alts = mt_transcribe_json_array (item, "alternatives");
  JsonObject *alt = alts && json_array_get_length (alts) ?
      json_array_get_object_element (alts, 0) : NULL;
  const gchar *content = alt ?
      json_object_get_string_member_with_default (alt, "content", "") : "";
  gint64 id = json_object_has_member (item, "id") ?
      json_object_get_int_member (item, "id") : index;
  JsonObject *word;

  if (g_strcmp0 (json_object_get_string_member_with_default (item, "type",
              ""), "punctuation") == 0) {
    if (w->words->len > 0) {
      g_autofree gchar *text = NULL;
      word = g_ptr_array_index (w->words, w->words->len - 1);
      text = g_strconcat (json_object_get_string_member (word, "word"),
          content, NULL);
      json_object_set_string_member (word, "word", text);
      g_hash_table_insert (w->by_id, GINT_TO_POINTER (id),
          GUINT_TO_POINTER (w->words->len));
      if (strpbrk (content, ".?!") != NULL)
        g_ptr_array_add (w->sentence_end, GUINT_TO_POINTER (w->words->len));
    }
    return;
  }
  word = json_object_new ();
  json_object_set_string_member (word, "word", content);
  json_object_set_int_member (word, "start", str_ms (item, "start_time",
          offset_ms));
  json_object_set_int_member (word, "end", str_ms (item, "end_time",
          offset_ms));
  if (alt && !isnan (str_double (alt, "confidence")))
    json_object_set_double_member (word, "confidence",
        str_double (alt, "confidence") * 100.0);
  if (json_object_has_member (item, "speaker_label"))
    json_object_set_string_member (word, "speaker",
        json_object_get_string_member (item, "speaker_label"));
  g_ptr_array_add (w->words, word);
  g_hash_table_insert (w->by_id, GINT_TO_POINTER (id),
      GUINT_TO_POINTER (w->words->len));
}

/* One segment from words[first..last] (inclusive). */
static JsonObject *
segment_from_words (Words * w, guint first, guint last, const gchar * text,
    const gchar * language, JsonObject * detail)
{
  g_autoptr (JsonArray) words = json_array_new ();
  g_autoptr (GString) joined = g_string_new (NULL);
  gdouble sum = 0;
  guint n = 0;
  const gchar *speaker = NULL;
  g_autofree gchar *label = NULL;

  for (guint i = first; i <= last; i++) {
    JsonObject *word = g_ptr_array_index (w->words, i);
    JsonObject *copy = json_object_new ();

    json_object_set_string_member (copy, "word",
        json_object_get_string_member (word, "word"));
    json_object_set_int_member (copy, "start",
        json_object_get_int_member (word, "start"));
    json_object_set_int_member (copy, "end",
        json_object_get_int_member (word, "end"));
    if (json_object_has_member (word, "confidence")) {
      gdouble c = json_object_get_double_member (word, "confidence");
      json_object_set_double_member (copy, "confidence", c);
      sum += c;
      n++;
    }
    if (speaker == NULL)
      speaker = json_object_get_string_member_with_default (word, "speaker",
          NULL);
    json_array_add_object_element (words, copy);
    g_string_append_printf (joined, "%s%s", i > first ? " " : "",
        json_object_get_string_member (word, "word"));
  }
  label = mt_transcribe_speaker_label (speaker);
  return mt_transcript_segment_new (MT_TRANSCRIBE_BATCH_ENGINE,
      text ? text : joined->str,
      json_object_get_int_member (g_ptr_array_index (w->words, first),
          "start"), json_object_get_int_member (g_ptr_array_index (w->words,
              last), "end"), n ? sum / n : 0.0, language, label, words, detail);
}

/* The items the segment covers, verbatim, for `detail`. */
static JsonObject *
segment_detail (JsonObject * segment, JsonArray * items, guint first,
    guint last, Words * w)
{
  JsonObject *detail = json_object_new ();
  JsonArray *kept = json_array_new ();

  for (guint i = 0; items && i < json_array_get_length (items); i++) {
    JsonObject *item = json_array_get_object_element (items, i);
    gint64 id = json_object_has_member (item, "id") ?
        json_object_get_int_member (item, "id") : i;
    guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (w->by_id,
            GINT_TO_POINTER (id)));

    if (idx >= first + 1 && idx <= last + 1)
      json_array_add_element (kept, json_node_copy
          (json_array_get_element (items, i)));
  }
  if (segment != NULL)
    json_object_set_object_member (detail, "audio_segment",
        json_object_ref (segment));
  json_object_set_array_member (detail, "items", kept);
  return detail;
}

static void
segments_from_audio_segments (Words * w, JsonArray * segs, JsonArray * items,
    const gchar * language, GPtrArray * out)
{
  for (guint i = 0; i < json_array_get_length (segs); i++) {
    JsonObject *seg = json_array_get_object_element (segs, i);
    JsonArray *ids = mt_transcribe_json_array (seg, "items");
    guint first = G_MAXUINT, last = 0;
    g_autoptr (JsonObject) detail = NULL;

    for (guint j = 0; ids && j < json_array_get_length (ids); j++) {
      guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (w->by_id,
              GINT_TO_POINTER (json_array_get_int_element (ids, j))));
      if (idx == 0)
        continue;
      first = MIN (first, idx - 1);
      last = MAX (last, idx - 1);
    }
    if (first == G_MAXUINT)
      continue;
    detail = segment_detail (seg, items, first, last, w);
    g_ptr_array_add (out, segment_from_words (w, first, last,
            json_object_get_string_member_with_default (seg, "transcript",
                NULL), language, detail));
  }
}

/* Sentences: up to each word carrying . ? or !, and at speaker changes. */
static void
segments_from_sentences (Words * w, JsonArray * items,
    const gchar * language, GPtrArray * out)
{
  guint first = 0;

  for (guint i = 0; i < w->words->len; i++) {
    JsonObject *word = g_ptr_array_index (w->words, i);
    JsonObject *next = i + 1 < w->words->len ?
        g_ptr_array_index (w->words, i + 1) : NULL;
    gboolean end = next == NULL
        || g_ptr_array_find (w->sentence_end, GUINT_TO_POINTER (i + 1), NULL)
        || g_strcmp0 (json_object_get_string_member_with_default (word,
            "speaker", NULL), json_object_get_string_member_with_default
        (next, "speaker", NULL)) != 0;
    g_autoptr (JsonObject) detail = NULL;

    if (!end)
      continue;
    detail = segment_detail (NULL, items, first, i, w);
    g_ptr_array_add (out, segment_from_words (w, first, i, NULL, language,
            detail));
    first = i + 1;
  }
}

gboolean
mt_transcribe_batch_transcript_to_segments (JsonObject * transcript,
    gint64 offset_ms, const gchar * language, GPtrArray * out, GError ** error)
{
  JsonObject *results = mt_transcribe_json_object (transcript, "results");
  JsonArray *items = results ?
      mt_transcribe_json_array (results, "items") : NULL;
  JsonArray *segs = results ?
      mt_transcribe_json_array (results, "audio_segments") : NULL;
  Words w;

  if (items == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "the transcript has no results.items");
    return FALSE;
  }
  if (results && json_object_has_member (results, "language_code"))
    language = json_object_get_string_member (results, "language_code");
  w.words = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);
  w.by_id = g_hash_table_new (NULL, NULL);
  w.sentence_end = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (items); i++)
    words_add_item (&w, json_array_get_object_element (items, i), i, offset_ms);
  if (segs != NULL && json_array_get_length (segs) > 0)
    segments_from_audio_segments (&w, segs, items, language, out);
  else
    segments_from_sentences (&w, items, language, out);
  g_ptr_array_unref (w.words);
  g_hash_table_unref (w.by_id);
  g_ptr_array_unref (w.sentence_end);
  return TRUE;
}
