/* transcribesink's AWS engine: one entry in the element's engine table
 * for Amazon Transcribe, which runs StartStreamTranscription (mode
 * streaming) or a transcription job (mode batch) behind the same session
 * calls, picked at start from MtTranscribeConfig.mode. */
#include "engine-aws.h"

typedef struct
{
  const MtEngine *mode;
  gpointer state;
} AwsState;

static gboolean
aws_start (const MtEngineContext * ctx, gpointer * state, GError ** error)
{
  const MtTranscribeConfig *cfg = ctx->config;
  AwsState *s = g_new0 (AwsState, 1);

  s->mode = cfg->mode == MT_TRANSCRIBE_MODE_BATCH ?
      &mt_transcribe_aws_batch : &mt_transcribe_aws_streaming;
  if (!s->mode->start (ctx, &s->state, error)) {
    g_free (s);
    return FALSE;
  }
  *state = s;
  return TRUE;
}

static gboolean
aws_push (gpointer state, const MtEngineContext * ctx, const MtUnit * unit,
    GCancellable * cancellable, GError ** error)
{
  AwsState *s = state;

  return s->mode->push (s->state, ctx, unit, cancellable, error);
}

static gboolean
aws_drain (gpointer state, const MtEngineContext * ctx,
    GCancellable * cancellable, GError ** error)
{
  AwsState *s = state;

  return s->mode->drain (s->state, ctx, cancellable, error);
}

static void
aws_stop (gpointer state)
{
  AwsState *s = state;

  s->mode->stop (s->state);
  g_free (s);
}

const MtEngine mt_transcribe_engine_aws = {
  .backend = "aws",
  .name = "aws:transcribe",
  .start = aws_start,
  .push = aws_push,
  .drain = aws_drain,
  .stop = aws_stop,
};

gchar *
mt_transcribe_speaker_label (const gchar * service_label)
{
  if (service_label == NULL || *service_label == '\0')
    return NULL;
  if (g_str_has_prefix (service_label, "spk_"))
    return g_strdup (service_label);
  return g_strconcat ("spk_", service_label, NULL);
}

JsonObject *
mt_transcribe_json_object (JsonObject * o, const gchar * member)
{
  JsonNode *n = o ? json_object_get_member (o, member) : NULL;

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

JsonArray *
mt_transcribe_json_array (JsonObject * o, const gchar * member)
{
  JsonNode *n = o ? json_object_get_member (o, member) : NULL;

  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}
