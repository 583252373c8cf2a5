/* transcribesink's AWS streaming mode: Amazon Transcribe's
 * StartStreamTranscription over its WebSocket endpoint.
 *
 * A stream opens on a SigV4-presigned wss:// URL that carries the
 * settings (language, sample rate, vocabulary...); audio goes up as
 * event-stream AudioEvent messages of CHUNK_MS each, every one wrapped in
 * an envelope whose signature chains on the previous one (sigv4.h); an
 * empty AudioEvent ends the stream, and the service answers with the last
 * results and closes. TranscriptEvents come back whenever the service has
 * them, on the WebSocket's own thread: final results become segment
 * documents (emitted at once), partial ones bus messages; an exception
 * message fails the session, naming the service's exception.
 *
 * The service limits a stream's length (four hours), so long media is
 * sent as consecutive streams: a stream is ended at a quiet chunk once
 * near the limit (at the limit whatever the audio), and the next one's
 * result times are shifted by the audio sent before it, so the times
 * stitch. Audio is sent as fast as the service takes it, with at most
 * MAX_PENDING bytes queued on the connection. */
#include "engine-aws.h"
#include "awsconfig.h"
#include "awserror.h"
#include "core.h"
#include "credentials.h"
#include "eventstream.h"
#include "retry.h"
#include "sigv4.h"
#include "websocket.h"

#include <math.h>
#include <string.h>

#define GST_CAT_DEFAULT mt_core_debug

#define CHUNK_MS 100
#define MAX_PENDING (256 * 1024)
#define PRESIGN_EXPIRES_S 300
/* The service's limit is four hours; end a stream a little before it. */
#define DEFAULT_STREAM_LIMIT_S (4 * 3600 - 120)
/* Past this fraction of the limit, a quiet chunk ends the stream. */
#define QUIET_FRACTION 0.9
#define QUIET_RMS 300.0
#define DEFAULT_PORT 8443
#define PATH "/stream-transcription-websocket"

typedef struct _Streaming Streaming;

/* One WebSocket stream; the session may run several in turn. */
typedef struct
{
  Streaming *eng;
  MtWebSocket *ws;
  MtSigV4EventSigner *signer;   /* streaming thread only */
  MtEventDecoder *decoder;      /* the WebSocket's thread only */
  gint64 offset_ms;             /* stream time of this stream's first sample */
  guint64 samples;
  gint ended_by_us;             /* atomic: the empty AudioEvent went out */
} Stream;

struct _Streaming
{
  const MtEngineContext *ctx;
  const MtTranscribeConfig *cfg;
  MtCredentialsProvider *creds;
  gchar *region;
  gchar *endpoint;
  /* One id for every stream of this session (the service echoes it). */
  gchar *session_id;
  MtWebSocketOptions ws_options;
  guint retries;
  gsize chunk_bytes;
  GByteArray *chunk;            /* audio not yet sent, under chunk_bytes */
  gboolean have_base;
  GstClockTime base_time;       /* stream time of the first sample */
  guint64 samples_total;        /* sent over every stream */
  guint64 limit_samples;
  Stream *stream;

  GMutex lock;
  GError *failure;              /* the session's first failure */
};

/* --- the URL --- */

static void
add_param (GPtrArray * params, const gchar * name, const gchar * value)
{
  g_autofree gchar *v = NULL;

  if (value == NULL || *value == '\0')
    return;
  v = mt_uri_encode (value, FALSE);
  g_ptr_array_add (params, g_strconcat (name, "=", v, NULL));
}

static gint
compare_params (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar **) a, *(const gchar **) b);
}

static gchar *
stream_query (const MtTranscribeConfig * cfg, const gchar * session_id)
{
  g_autoptr (GPtrArray) p = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *rate = g_strdup_printf ("%d", cfg->sample_rate);

  if (cfg->identify_language) {
    add_param (p, "identify-language", "true");
    add_param (p, "language-options", cfg->language_options);
  } else {
    add_param (p, "language-code", cfg->language_code);
  }
  add_param (p, "media-encoding", "pcm");
  add_param (p, "sample-rate", rate);
  add_param (p, "session-id", session_id);
  add_param (p, "vocabulary-name", cfg->vocabulary_name);
  add_param (p, "vocabulary-filter-name", cfg->vocabulary_filter_name);
  if (cfg->vocabulary_filter_name)
    add_param (p, "vocabulary-filter-method", cfg->vocabulary_filter_method);
  add_param (p, "language-model-name", cfg->language_model_name);
  if (cfg->show_speaker_labels)
    add_param (p, "show-speaker-label", "true");
  if (cfg->results_stability) {
    add_param (p, "enable-partial-results-stabilization", "true");
    add_param (p, "partial-results-stability", cfg->results_stability);
  }
  g_ptr_array_sort (p, compare_params);
  g_ptr_array_add (p, NULL);
  return g_strjoinv ("&", (gchar **) p->pdata);
}

/* https://transcribestreaming.REGION.amazonaws.com -> wss://...:8443;
 * a configured endpoint keeps its port, http:// becomes ws://. */
static gchar *
websocket_base (const gchar * endpoint)
{
  g_autoptr (GUri) uri = g_uri_parse (endpoint, G_URI_FLAGS_NONE, NULL);
  gboolean tls;
  gint port;

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return NULL;
  tls = g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0;
  port = g_uri_get_port (uri);
  if (port < 0 && g_str_has_suffix (g_uri_get_host (uri), ".amazonaws.com"))
    port = DEFAULT_PORT;
  if (port < 0)
    return g_strdup_printf ("%s://%s", tls ? "wss" : "ws",
        g_uri_get_host (uri));
  return g_strdup_printf ("%s://%s:%d", tls ? "wss" : "ws",
      g_uri_get_host (uri), port);
}

gchar *
mt_transcribe_streaming_url (const gchar * endpoint, const gchar * region,
    const MtTranscribeConfig * cfg, const gchar * session_id,
    const MtCredentials * creds, gint64 time, gchar ** signature,
    GError ** error)
{
  g_autofree gchar *base = websocket_base (endpoint);
  g_autofree gchar *query = stream_query (cfg, session_id);
  g_autofree gchar *url = NULL;
  g_autoptr (MtHttpRequest) req = NULL;
  g_auto (MtSigV4Trace) trace = { 0, };
  MtSigV4Params params = {
    .region = region,.service = "transcribe",.time = time,
    .normalize_path = TRUE,.payload = MT_SIGV4_PAYLOAD_SIGNED,
  };
  gchar *presigned;

  if (base == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "the Transcribe streaming endpoint \"%s\" is not a URL", endpoint);
    return NULL;
  }
  url = g_strconcat (base, PATH, "?", query, NULL);
  req = mt_http_request_new ("GET", url);
  presigned = mt_sigv4_presign (req, creds, &params, PRESIGN_EXPIRES_S,
      &trace, error);
  if (presigned != NULL && signature != NULL)
    *signature = g_strdup (trace.signature);
  return presigned;
}

/* --- results --- */

static gint64
seconds_to_ms (JsonObject * o, const gchar * member)
{
  return (gint64) llround (json_object_get_double_member_with_default (o,
          member, 0.0) * 1000.0);
}

/* A run of items of one speaker becomes one segment. */
typedef struct
{
  GString *text;
  JsonArray *words;
  gchar *speaker;
  gint64 start, end;
  gdouble confidence_sum;
  guint confidence_n;
} Run;

static void
run_begin (Run * run, const gchar * speaker)
{
  run->text = g_string_new (NULL);
  run->words = json_array_new ();
  run->speaker = g_strdup (speaker);
  run->start = G_MAXINT64;
  run->end = 0;
  run->confidence_sum = 0;
  run->confidence_n = 0;
}

static void
run_add_item (Run * run, JsonObject * item, gint64 offset_ms)
{
  const gchar *content = json_object_get_string_member_with_default (item,
      "Content", "");
  gboolean punct = g_strcmp0 (json_object_get_string_member_with_default
      (item, "Type", ""), "punctuation") == 0;
  guint n = json_array_get_length (run->words);
  JsonObject *w;

  if (punct) {
    /* Punctuation belongs to the word before it. */
    g_string_append (run->text, content);
    if (n > 0) {
      g_autofree gchar *word = NULL;
      w = json_array_get_object_element (run->words, n - 1);
      word = g_strconcat (json_object_get_string_member (w, "word"), content,
          NULL);
      json_object_set_string_member (w, "word", word);
    }
    return;
  }
  if (run->text->len > 0)
    g_string_append_c (run->text, ' ');
  g_string_append (run->text, content);
  w = json_object_new ();
  json_object_set_string_member (w, "word", content);
  json_object_set_int_member (w, "start", offset_ms + seconds_to_ms (item,
          "StartTime"));
  json_object_set_int_member (w, "end", offset_ms + seconds_to_ms (item,
          "EndTime"));
  if (json_object_has_member (item, "Confidence")) {
    gdouble c = json_object_get_double_member (item, "Confidence") * 100.0;
    json_object_set_double_member (w, "confidence", c);
    run->confidence_sum += c;
    run->confidence_n++;
  }
  run->start = MIN (run->start, json_object_get_int_member (w, "start"));
  run->end = MAX (run->end, json_object_get_int_member (w, "end"));
  json_array_add_object_element (run->words, w);
}

/* `wrap` holds the service's Result, kept verbatim in `detail`. */
static void
run_finish (Run * run, JsonObject * wrap, const gchar * language,
    GPtrArray * out)
{
  if (json_array_get_length (run->words) > 0) {
    g_autofree gchar *speaker = mt_transcribe_speaker_label (run->speaker);
    g_autoptr (JsonObject) detail = json_object_new ();
    gdouble conf = run->confidence_n ? run->confidence_sum /
        run->confidence_n : 0.0;

    json_object_set_member (detail, "Result",
        json_node_copy (json_object_get_member (wrap, "Result")));
    g_ptr_array_add (out, mt_transcript_segment_new
        (MT_TRANSCRIBE_STREAMING_ENGINE, run->text->str, run->start,
            run->end, conf, language, speaker, run->words, detail));
  }
  g_string_free (run->text, TRUE);
  json_array_unref (run->words);
  g_free (run->speaker);
}

void
mt_transcribe_streaming_result_to_segments (JsonObject * result,
    gint64 offset_ms, const gchar * language, GPtrArray * out)
{
  JsonArray *alts = mt_transcribe_json_array (result, "Alternatives");
  JsonObject *alt;
  JsonArray *items;
  g_autoptr (JsonObject) wrap = json_object_new ();
  const gchar *lang = json_object_get_string_member_with_default (result,
      "LanguageCode", language);
  Run run;

  if (alts == NULL || json_array_get_length (alts) == 0)
    return;
  alt = json_array_get_object_element (alts, 0);
  items = mt_transcribe_json_array (alt, "Items");
  if (items == NULL)
    return;
  json_object_set_object_member (wrap, "Result", json_object_ref (result));
  run_begin (&run, NULL);
  for (guint i = 0; i < json_array_get_length (items); i++) {
    JsonObject *item = json_array_get_object_element (items, i);
    const gchar *spk = json_object_get_string_member_with_default (item,
        "Speaker", NULL);
    gboolean punct = g_strcmp0 (json_object_get_string_member_with_default
        (item, "Type", ""), "punctuation") == 0;

    if (!punct && json_array_get_length (run.words) > 0
        && g_strcmp0 (spk, run.speaker) != 0) {
      run_finish (&run, wrap, lang, out);
      run_begin (&run, spk);
    } else if (!punct && json_array_get_length (run.words) == 0) {
      g_free (run.speaker);
      run.speaker = g_strdup (spk);
    }
    run_add_item (&run, item, offset_ms);
  }
  run_finish (&run, wrap, lang, out);
}

/* --- failures --- */

/* Records the session's first failure and reports it to the base once. */
static void
fail_session (Streaming * s, GError * error)
{
  gboolean first;

  g_mutex_lock (&s->lock);
  first = s->failure == NULL;
  if (first)
    s->failure = g_error_copy (error);
  g_mutex_unlock (&s->lock);
  if (first) {
    GST_WARNING_OBJECT (s->ctx->element, "Transcribe streaming failed: %s",
        error->message);
    mt_engine_context_fail (s->ctx, error);
  }
  g_error_free (error);
}

static gboolean
check_failure (Streaming * s, GError ** error)
{
  gboolean failed;

  g_mutex_lock (&s->lock);
  failed = s->failure != NULL;
  if (failed)
    g_propagate_error (error, g_error_copy (s->failure));
  g_mutex_unlock (&s->lock);
  return failed;
}

/* A connection that ended with an exception message reports the
 * exception, not the closed connection that followed it. */
static void
prefer_failure (Streaming * s, GError ** error)
{
  g_mutex_lock (&s->lock);
  if (s->failure != NULL && error != NULL && *error != NULL
      && !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_clear_error (error);
    *error = g_error_copy (s->failure);
  }
  g_mutex_unlock (&s->lock);
}

/* The HTTP status the service gives each exception in its API (the
 * WebSocket carries none): what decides retryable and its class. */
static guint
exception_status (const gchar * type)
{
  static const struct
  {
    const gchar *type;
    guint status;
  } map[] = {
    {"BadRequestException", 400}, {"LimitExceededException", 429},
    {"InternalFailureException", 500}, {"ConflictException", 409},
    {"ServiceUnavailableException", 503},
  };

  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_strcmp0 (type, map[i].type) == 0)
      return map[i].status;
  return 400;
}

/* An exception message as an MT_AWS_ERROR naming the exception, decoded
 * by the core as it decodes any service's error. */
static GError *
exception_error (const gchar * type, GBytes * payload)
{
  MtHeader h = {.name = (gchar *) "X-Amzn-ErrorType",.value = (gchar *) type };
  MtHttpResponse resp = {.status = exception_status (type),.body = payload };
  GError *error;

  resp.headers = g_array_new (FALSE, FALSE, sizeof (MtHeader));
  g_array_append_val (resp.headers, h);
  error = mt_aws_error_from_response (&resp, NULL);
  g_array_unref (resp.headers);
  g_prefix_error (&error, "StartStreamTranscription: ");
  return error;
}

/* --- receiving (the WebSocket's thread) --- */

static void
handle_transcript (Stream * st, GBytes * payload)
{
  Streaming *s = st->eng;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) finals =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  JsonObject *transcript;
  JsonArray *results;
  gsize len;
  const gchar *data = g_bytes_get_data (payload, &len);
  g_autofree gchar *text = g_strndup (data, len);

  root = json_from_string (text, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  transcript =
      mt_transcribe_json_object (json_node_get_object (root), "Transcript");
  results =
      transcript ? mt_transcribe_json_array (transcript, "Results") : NULL;
  for (guint i = 0; results && i < json_array_get_length (results); i++) {
    JsonObject *r = json_array_get_object_element (results, i);
    g_autoptr (GPtrArray) partials = NULL;

    if (!json_object_get_boolean_member_with_default (r, "IsPartial", FALSE)) {
      mt_transcribe_streaming_result_to_segments (r, st->offset_ms,
          s->cfg->language_code, finals);
      continue;
    }
    partials = g_ptr_array_new_with_free_func ((GDestroyNotify)
        json_object_unref);
    mt_transcribe_streaming_result_to_segments (r, st->offset_ms,
        s->cfg->language_code, partials);
    for (guint j = 0; j < partials->len; j++)
      mt_engine_context_post_partial (s->ctx, partials->pdata[j]);
  }
  if (finals->len > 0)
    mt_engine_context_emit (s->ctx, finals);
}

static void
handle_message (Stream * st, MtEventMessage * msg)
{
  const gchar *mtype = mt_event_message_get_string (msg, ":message-type");
  const gchar *etype = mt_event_message_get_string (msg, ":event-type");

  if (g_strcmp0 (mtype, "exception") == 0 || g_strcmp0 (mtype, "error") == 0) {
    const gchar *x = mt_event_message_get_string (msg, ":exception-type");

    if (x == NULL)
      x = mt_event_message_get_string (msg, ":error-code");
    fail_session (st->eng, exception_error (x ? x : "UnknownException",
            msg->payload));
  } else if (g_strcmp0 (etype, "TranscriptEvent") == 0) {
    handle_transcript (st, msg->payload);
  }
}

static void
on_ws_message (MtWebSocket * ws, gboolean binary, GBytes * message,
    gpointer data)
{
  Stream *st = data;
  GError *error = NULL;
  MtEventMessage *msg;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (message, &len);

  if (!mt_event_decoder_push (st->decoder, bytes, len, &error)) {
    g_prefix_error (&error, "Transcribe streaming sent a malformed message: ");
    fail_session (st->eng, error);
    return;
  }
  while ((msg = mt_event_decoder_pop (st->decoder)) != NULL) {
    handle_message (st, msg);
    mt_event_message_free (msg);
  }
}

static void
on_ws_closed (MtWebSocket * ws, const GError * error, gushort code,
    const gchar * reason, gpointer data)
{
  Stream *st = data;

  if (error != NULL && g_error_matches (error, G_IO_ERROR,
          G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL && g_error_matches (error, G_IO_ERROR,
          G_IO_ERROR_TIMED_OUT))
    fail_session (st->eng, g_error_new (MT_AWS_ERROR, MT_AWS_ERROR_NETWORK,
            "Transcribe streaming: the service sent nothing for %u ms (%s)",
            st->eng->ws_options.idle_timeout_ms, error->message));
  else if (error != NULL)
    fail_session (st->eng, g_error_new (MT_AWS_ERROR, MT_AWS_ERROR_NETWORK,
            "Transcribe streaming: %s", error->message));
  else if (!g_atomic_int_get (&st->ended_by_us))
    fail_session (st->eng, g_error_new (MT_AWS_ERROR, MT_AWS_ERROR_SERVER,
            "Transcribe streaming: the service closed the stream before "
            "the audio ended (code %u%s%s)", code, reason ? ", " : "",
            reason ? reason : ""));
}

/* --- sending (the streaming thread) --- */

static GError *
handshake_failure (GError * ws_error)
{
  guint status = mt_websocket_connect_error_status (ws_error);
  MtAwsErrorCode code = MT_AWS_ERROR_NETWORK;
  GError *error;

  if (g_error_matches (ws_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return ws_error;
  if (status == 401 || status == 403)
    code = MT_AWS_ERROR_AUTH;
  else if (status == 429)
    code = MT_AWS_ERROR_THROTTLED;
  else if (status >= 500)
    code = MT_AWS_ERROR_SERVER;
  else if (status >= 400)
    code = MT_AWS_ERROR_INVALID;
  error = g_error_new (MT_AWS_ERROR, code,
      "StartStreamTranscription: %s%s", ws_error->message,
      code == MT_AWS_ERROR_AUTH ?
      " (the service refused the request's signature or credentials)" : "");
  g_error_free (ws_error);
  return error;
}

static MtWebSocket *
connect_once (Streaming * s, Stream * st, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (MtCredentials) creds = NULL;
  g_autofree gchar *url = NULL;
  g_autofree gchar *signature = NULL;
  GError *ws_error = NULL;
  MtWebSocket *ws;

  creds = mt_credentials_provider_get (s->creds, cancellable, error);
  if (creds == NULL)
    return NULL;
  url = mt_transcribe_streaming_url (s->endpoint, s->region, s->cfg,
      s->session_id, creds, 0, &signature, error);
  if (url == NULL)
    return NULL;
  ws = mt_websocket_connect (url, &s->ws_options, on_ws_message,
      on_ws_closed, st, cancellable, &ws_error);
  if (ws == NULL) {
    g_propagate_error (error, handshake_failure (ws_error));
    return NULL;
  }
  g_clear_pointer (&st->signer, mt_sigv4_event_signer_free);
  st->signer = mt_sigv4_event_signer_new (creds, s->region, "transcribe",
      signature);
  return ws;
}

/* Connects, retrying what may pass on a second try (throttling, 5xx,
 * network) as the other AWS calls do. */
static gboolean
connect_stream (Streaming * s, Stream * st, GCancellable * cancellable,
    GError ** error)
{
  MtRetryPolicy policy;
  MtRetryState rs;

  mt_retry_policy_init (&policy, s->retries);
  mt_retry_state_init (&rs, &policy);
  for (;;) {
    GError *e = NULL;
    gint64 delay;

    st->ws = connect_once (s, st, cancellable, &e);
    if (st->ws != NULL)
      return TRUE;
    delay = mt_retry_next_delay (&rs, mt_retry_classify (e), -1);
    if (delay < 0 || g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_propagate_error (error, e);
      return FALSE;
    }
    GST_INFO_OBJECT (s->ctx->element, "retrying in %" G_GINT64_FORMAT
        " ms: %s", delay, e->message);
    g_error_free (e);
    if (!mt_retry_wait (delay, cancellable, error))
      return FALSE;
  }
}

/* A stream that ended has closed already; one stopped midway (a state
 * change, a failure) is dropped at once rather than waiting for the
 * service's close frame. */
static void
stream_free (Stream * st)
{
  if (st->ws != NULL)
    mt_websocket_free (st->ws);
  g_clear_pointer (&st->signer, mt_sigv4_event_signer_free);
  mt_event_decoder_free (st->decoder);
  g_free (st);
}

static gboolean
open_stream (Streaming * s, GCancellable * cancellable, GError ** error)
{
  Stream *st = g_new0 (Stream, 1);

  st->eng = s;
  st->decoder = mt_event_decoder_new ();
  st->offset_ms = (gint64) (s->base_time / GST_MSECOND) +
      (gint64) gst_util_uint64_scale (s->samples_total, 1000,
      s->cfg->sample_rate);
  if (!connect_stream (s, st, cancellable, error)) {
    stream_free (st);
    return FALSE;
  }
  GST_INFO_OBJECT (s->ctx->element, "Transcribe stream open at %"
      G_GINT64_FORMAT " ms", st->offset_ms);
  s->stream = st;
  return TRUE;
}

/* One AudioEvent (empty: the end of the stream), signed and queued, then
 * waiting while too much is queued. */
static gboolean
send_audio_event (Streaming * s, const guint8 * pcm, gsize len,
    GCancellable * cancellable, GError ** error)
{
  Stream *st = s->stream;
  g_autoptr (MtEventMessage) msg = mt_event_message_new ();
  g_autoptr (GBytes) payload = g_bytes_new (pcm, len);
  g_autoptr (GBytes) inner = NULL;
  g_autoptr (GBytes) signed_msg = NULL;

  mt_event_message_add_string (msg, ":content-type",
      "application/octet-stream");
  mt_event_message_add_string (msg, ":event-type", "AudioEvent");
  mt_event_message_add_string (msg, ":message-type", "event");
  mt_event_message_set_payload (msg, payload);
  inner = mt_event_message_encode (msg, error);
  if (inner == NULL)
    return FALSE;
  signed_msg = mt_sigv4_event_signer_sign_message (st->signer, inner, 0, error);
  if (signed_msg == NULL)
    return FALSE;
  if (len == 0)
    g_atomic_int_set (&st->ended_by_us, TRUE);
  /* After the empty event the service answers and closes at once: a
   * close seen here is the end awaited (end_stream waits for it), not a
   * failure, so the end is not waited for as audio is. */
  if (!mt_websocket_send (st->ws, TRUE, signed_msg, error)
      || (len > 0 && !mt_websocket_wait_sent (st->ws, MAX_PENDING,
              cancellable, error))) {
    prefer_failure (s, error);
    return FALSE;
  }
  return TRUE;
}

/* Ends the current stream: the empty AudioEvent, then the service's last
 * results until it closes (the idle timeout bounds a silent one). */
static gboolean
end_stream (Streaming * s, GCancellable * cancellable, GError ** error)
{
  Stream *st = s->stream;
  gboolean ok;
  GError *e = NULL;

  ok = send_audio_event (s, NULL, 0, cancellable, &e)
      && mt_websocket_wait_closed (st->ws, 0, cancellable, &e);
  s->stream = NULL;
  stream_free (st);
  if (!ok && check_failure (s, error)) {
    g_clear_error (&e);
    return FALSE;
  }
  if (!ok)
    g_propagate_error (error, e);
  return ok;
}

static gdouble
chunk_rms (const guint8 * pcm, gsize len)
{
  const gint16 *x = (const gint16 *) pcm;
  gsize n = len / 2;
  gdouble sum = 0;

  for (gsize i = 0; i < n; i++)
    sum += (gdouble) x[i] * x[i];
  return n ? sqrt (sum / n) : 0.0;
}

static gboolean
should_split (Streaming * s, const guint8 * pcm, gsize len)
{
  guint64 n = s->stream->samples;

  if (n >= s->limit_samples)
    return TRUE;
  return n >= s->limit_samples * QUIET_FRACTION
      && chunk_rms (pcm, len) < QUIET_RMS;
}

static gboolean
send_chunk (Streaming * s, const guint8 * pcm, gsize len,
    GCancellable * cancellable, GError ** error)
{
  if (s->stream == NULL && !open_stream (s, cancellable, error))
    return FALSE;
  if (!send_audio_event (s, pcm, len, cancellable, error))
    return FALSE;
  s->stream->samples += len / 2;
  s->samples_total += len / 2;
  if (should_split (s, pcm, len)) {
    GST_INFO_OBJECT (s->ctx->element, "ending a stream after %"
        G_GUINT64_FORMAT " samples (the service limits a stream's length)",
        s->stream->samples);
    return end_stream (s, cancellable, error);
  }
  return TRUE;
}

/* --- the session calls --- */

static gboolean
streaming_push (gpointer state, const MtEngineContext * ctx,
    const MtUnit * unit, GCancellable * cancellable, GError ** error)
{
  Streaming *s = state;
  GstMapInfo map;
  gsize off = 0;
  gboolean ok = TRUE;

  if (check_failure (s, error))
    return FALSE;
  if (!s->have_base) {
    s->have_base = TRUE;
    s->base_time = GST_CLOCK_TIME_IS_VALID (unit->stream_time) ?
        unit->stream_time : 0;
  }
  if (!gst_buffer_map (unit->buffer, &map, GST_MAP_READ))
    return TRUE;
  while (ok && off < map.size) {
    gsize take = MIN (s->chunk_bytes - s->chunk->len, map.size - off);

    g_byte_array_append (s->chunk, map.data + off, take);
    off += take;
    if (s->chunk->len == s->chunk_bytes) {
      ok = send_chunk (s, s->chunk->data, s->chunk->len, cancellable, error);
      g_byte_array_set_size (s->chunk, 0);
    }
  }
  gst_buffer_unmap (unit->buffer, &map);
  return ok;
}

static gboolean
streaming_drain (gpointer state, const MtEngineContext * ctx,
    GCancellable * cancellable, GError ** error)
{
  Streaming *s = state;

  if (check_failure (s, error))
    return FALSE;
  if (s->chunk->len >= 2) {
    gsize len = s->chunk->len & ~(gsize) 1;

    if (!send_chunk (s, s->chunk->data, len, cancellable, error))
      return FALSE;
    g_byte_array_set_size (s->chunk, 0);
  }
  if (s->stream != NULL && !end_stream (s, cancellable, error))
    return FALSE;
  return !check_failure (s, error);
}

static void
streaming_stop (gpointer state)
{
  Streaming *s = state;

  if (s->stream != NULL)
    stream_free (s->stream);
  mt_credentials_provider_free (s->creds);
  g_byte_array_unref (s->chunk);
  g_clear_error (&s->failure);
  g_mutex_clear (&s->lock);
  g_free ((gchar *) s->ws_options.ca_file);
  g_free (s->region);
  g_free (s->endpoint);
  g_free (s->session_id);
  g_free (s);
}

/* The stream length limit: the service's, or MEDIATAG_TRANSCRIBE_STREAM_
 * LIMIT (seconds) to try the split on short media. */
static guint64
stream_limit_samples (gint rate)
{
  const gchar *env = g_getenv ("MEDIATAG_TRANSCRIBE_STREAM_LIMIT");
  gdouble seconds = env ? g_ascii_strtod (env, NULL) : 0;

  if (seconds <= 0 || seconds > DEFAULT_STREAM_LIMIT_S)
    seconds = DEFAULT_STREAM_LIMIT_S;
  return (guint64) (seconds * rate);
}

static gboolean
streaming_start (const MtEngineContext * ctx, gpointer * state, GError ** error)
{
  const MtTranscribeConfig *cfg = ctx->config;
  Streaming *s;
  g_autofree gchar *region = NULL;

  if (cfg->sample_rate < 8000 || cfg->sample_rate > 48000) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Transcribe streaming takes 8000 to 48000 Hz audio, not %d Hz",
        cfg->sample_rate);
    return FALSE;
  }
  if (cfg->identify_language && cfg->language_options == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "identify-language needs language-options (at least two "
        "languages, such as \"en-US,de-DE\")");
    return FALSE;
  }
  region = mt_aws_resolve_region (ctx->aws, error);
  if (region == NULL)
    return FALSE;
  s = g_new0 (Streaming, 1);
  s->ctx = ctx;
  s->cfg = cfg;
  s->region = g_steal_pointer (&region);
  s->endpoint = mt_aws_resolve_endpoint (ctx->aws, "Transcribe Streaming",
      "transcribestreaming", s->region);
  s->creds = mt_credentials_provider_new (ctx->aws);
  s->session_id = g_uuid_string_random ();
  s->retries = ctx->aws->retries;
  s->ws_options.connect_timeout_ms = ctx->aws->request_timeout_ms;
  s->ws_options.idle_timeout_ms = ctx->aws->request_timeout_ms;
  s->ws_options.tls_verify = ctx->aws->tls_verify;
  s->ws_options.ca_file = g_strdup (ctx->aws->ca_file);
  s->chunk_bytes = (gsize) cfg->sample_rate * 2 * CHUNK_MS / 1000;
  s->chunk = g_byte_array_sized_new (s->chunk_bytes);
  s->limit_samples = stream_limit_samples (cfg->sample_rate);
  g_mutex_init (&s->lock);
  GST_INFO_OBJECT (ctx->element, "Transcribe streaming at %s, %d Hz",
      s->endpoint, cfg->sample_rate);
  *state = s;
  return TRUE;
}

const MtEngine mt_transcribe_aws_streaming = {
  .backend = "aws",
  .name = "aws:transcribe",
  .start = streaming_start,
  .push = streaming_push,
  .drain = streaming_drain,
  .stop = streaming_stop,
};
