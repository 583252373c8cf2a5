/* The pieces of transcribesink's AWS engine that need no service: the
 * presigned streaming URL, streaming Results into segments (speaker runs,
 * punctuation, offsets), and batch transcripts into segments (audio
 * segments, sentences, items without ids or times, a transcript without
 * items). The engine against the service is test_transcribe_aws.py. */
#include <string.h>
#include "awserror.h"
#include "engine-aws.h"

static JsonObject *
parse (const gchar * json)
{
  g_autoptr (JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static GPtrArray *
docs_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
}

static const gchar *
str (JsonObject * doc, const gchar * member)
{
  return json_object_get_string_member (doc, member);
}

static gint64
num (JsonObject * doc, const gchar * member)
{
  return json_object_get_int_member (doc, member);
}

static JsonArray *
words (JsonObject * doc)
{
  return json_object_get_array_member (json_object_get_object_member (doc,
          "detail"), "words");
}

static void
assert_word (JsonObject * doc, guint i, const gchar * word, gint64 start,
    gint64 end)
{
  JsonObject *w = json_array_get_object_element (words (doc), i);

  g_assert_cmpstr (str (w, "word"), ==, word);
  g_assert_cmpint (num (w, "start"), ==, start);
  g_assert_cmpint (num (w, "end"), ==, end);
}

static void
test_url (void)
{
  MtTranscribeConfig cfg = {.language_code = (gchar *) "en-US",
    .sample_rate = 16000,.vocabulary_name = (gchar *) "my vocab",
    .results_stability = (gchar *) "high"
  };
  g_autoptr (MtCredentials) creds = mt_credentials_new ("AKIDEXAMPLE",
      "secret", NULL, 0, "test");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *sig = NULL;
  g_autofree gchar *url = NULL;
  g_autofree gchar *want_sig = NULL;

  url = mt_transcribe_streaming_url
      ("https://transcribestreaming.us-west-2.amazonaws.com", "us-west-2",
      &cfg, "0f5f3b53-0000-4000-8000-000000000000", creds, 1700000000, &sig,
      &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (url, "wss://transcribestreaming.us-west-2"
          ".amazonaws.com:8443/stream-transcription-websocket?"));
  /* Parameters sorted, values encoded, the session id carried. */
  g_assert_nonnull (strstr (url, "enable-partial-results-stabilization=true"
          "&language-code=en-US&media-encoding=pcm&partial-results-stability="
          "high&sample-rate=16000&session-id=0f5f3b53-0000-4000-8000-"
          "000000000000&vocabulary-name=my%20vocab"));
  g_assert_nonnull (strstr (url, "X-Amz-Expires=300"));
  g_assert_nonnull (strstr (url, "X-Amz-Date=20231114T221320Z"));
  g_assert_nonnull (strstr (url, "%2Fus-west-2%2Ftranscribe%2Faws4_request"));
  want_sig = g_strconcat ("X-Amz-Signature=", sig, NULL);
  g_assert_cmpuint (strlen (sig), ==, 64);
  g_assert_nonnull (strstr (url, want_sig));

  g_clear_pointer (&url, g_free);
  url = mt_transcribe_streaming_url ("http://127.0.0.1:9000", "us-east-1",
      &cfg, NULL, creds, 1700000000, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (url,
          "ws://127.0.0.1:9000/stream-transcription-websocket?"));

  g_clear_pointer (&url, g_free);
  url = mt_transcribe_streaming_url ("not a url", "us-east-1", &cfg, NULL,
      creds, 0, NULL, &error);
  g_assert_null (url);
  g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG);
}

static const gchar *result_json =
    "{\"ResultId\":\"r1\",\"StartTime\":0.5,\"EndTime\":3.0,"
    "\"IsPartial\":false,\"Alternatives\":[{\"Transcript\":\"Hi, there. "
    "Yes.\",\"Items\":["
    "{\"Content\":\"Hi\",\"StartTime\":0.5,\"EndTime\":0.8,"
    "\"Type\":\"pronunciation\",\"Confidence\":0.9,\"Speaker\":\"0\"},"
    "{\"Content\":\",\",\"StartTime\":0.8,\"EndTime\":0.8,"
    "\"Type\":\"punctuation\",\"Speaker\":\"0\"},"
    "{\"Content\":\"there\",\"StartTime\":0.9,\"EndTime\":1.25,"
    "\"Type\":\"pronunciation\",\"Confidence\":0.7,\"Speaker\":\"0\"},"
    "{\"Content\":\".\",\"StartTime\":1.25,\"EndTime\":1.25,"
    "\"Type\":\"punctuation\",\"Speaker\":\"0\"},"
    "{\"Content\":\"Yes\",\"StartTime\":2.5,\"EndTime\":3.0,"
    "\"Type\":\"pronunciation\",\"Confidence\":1.0,\"Speaker\":\"1\"},"
    "{\"Content\":\".\",\"StartTime\":3.0,\"EndTime\":3.0,"
    "\"Type\":\"punctuation\",\"Speaker\":\"1\"}]}]}";

static void
test_streaming_segments (void)
{
  g_autoptr (JsonObject) result = parse (result_json);
  g_autoptr (GPtrArray) docs = docs_new ();
  JsonObject *a, *b, *detail;

  /* A stream that began 60 s into the media. */
  mt_transcribe_streaming_result_to_segments (result, 60000, "en-US", docs);
  g_assert_cmpuint (docs->len, ==, 2);
  a = docs->pdata[0];
  b = docs->pdata[1];
  g_assert_cmpstr (str (a, "text"), ==, "Hi, there.");
  g_assert_cmpstr (str (a, "speaker"), ==, "spk_0");
  g_assert_cmpint (num (a, "timestamp"), ==, 60500);
  g_assert_cmpint (num (a, "end"), ==, 61250);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (a,
          "confidence"), 80.0, 1e-9);
  g_assert_cmpuint (json_array_get_length (words (a)), ==, 2);
  assert_word (a, 0, "Hi,", 60500, 60800);
  assert_word (a, 1, "there.", 60900, 61250);
  g_assert_cmpstr (str (b, "text"), ==, "Yes.");
  g_assert_cmpstr (str (b, "speaker"), ==, "spk_1");
  g_assert_cmpint (num (b, "timestamp"), ==, 62500);
  /* The service's Result, verbatim. */
  detail = json_object_get_object_member (a, "detail");
  g_assert_cmpstr (json_object_get_string_member
      (json_object_get_object_member (detail, "Result"), "ResultId"), ==, "r1");
  g_assert_cmpstr (str (a, "language"), ==, "en-US");
}

static void
test_streaming_empty_result (void)
{
  g_autoptr (JsonObject) r1 = parse ("{\"Alternatives\":[]}");
  g_autoptr (JsonObject) r2 = parse ("{\"Alternatives\":[{\"Items\":[]}]}");
  g_autoptr (JsonObject) r3 = parse ("{}");
  g_autoptr (GPtrArray) docs = docs_new ();

  mt_transcribe_streaming_result_to_segments (r1, 0, "en-US", docs);
  mt_transcribe_streaming_result_to_segments (r2, 0, "en-US", docs);
  mt_transcribe_streaming_result_to_segments (r3, 0, "en-US", docs);
  g_assert_cmpuint (docs->len, ==, 0);
}

#define ITEM(t, c, times) "{\"type\":\"" t "\",\"alternatives\":[{" \
    "\"confidence\":\"0.5\",\"content\":\"" c "\"}]" times "}"
#define TIMES(s, e) ",\"start_time\":\"" s "\",\"end_time\":\"" e "\""

static void
test_batch_sentences (void)
{
  /* No ids, no audio_segments: split at . ? !, a punctuation item first
   * has no word to join and is dropped; the language from the result. */
  g_autoptr (JsonObject) t = parse ("{\"results\":{\"language_code\":"
      "\"de-DE\",\"items\":["
      ITEM ("punctuation", ",", "") ","
      ITEM ("pronunciation", "Ja", TIMES ("1.0", "1.25")) ","
      ITEM ("punctuation", "!", "") ","
      ITEM ("pronunciation", "Wer", TIMES ("2.0", "2.2")) ","
      ITEM ("pronunciation", "da", TIMES ("2.3", "2.5")) ","
      ITEM ("punctuation", "?", "") ","
      ITEM ("pronunciation", "gut", TIMES ("3.0", "3.4")) "]}}");
  g_autoptr (GPtrArray) docs = docs_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (mt_transcribe_batch_transcript_to_segments (t, 1000,
          "en-US", docs, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (docs->len, ==, 3);
  g_assert_cmpstr (str (docs->pdata[0], "text"), ==, "Ja!");
  g_assert_cmpint (num (docs->pdata[0], "timestamp"), ==, 2000);
  g_assert_cmpint (num (docs->pdata[0], "end"), ==, 2250);
  g_assert_cmpstr (str (docs->pdata[1], "text"), ==, "Wer da?");
  assert_word (docs->pdata[1], 1, "da?", 3300, 3500);
  g_assert_cmpstr (str (docs->pdata[2], "text"), ==, "gut");
  g_assert_cmpstr (str (docs->pdata[2], "language"), ==, "de-DE");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member
      (docs->pdata[2], "confidence"), 50.0, 1e-9);
}

static void
test_batch_speaker_change (void)
{
  g_autoptr (JsonObject) t = parse ("{\"results\":{\"items\":["
      "{\"id\":0,\"type\":\"pronunciation\",\"start_time\":\"0.1\","
      "\"end_time\":\"0.2\",\"speaker_label\":\"spk_0\",\"alternatives\":"
      "[{\"confidence\":\"1\",\"content\":\"one\"}]},"
      "{\"id\":1,\"type\":\"pronunciation\",\"start_time\":\"0.3\","
      "\"end_time\":\"0.4\",\"speaker_label\":\"spk_1\",\"alternatives\":"
      "[{\"confidence\":\"1\",\"content\":\"two\"}]}]}}");
  g_autoptr (GPtrArray) docs = docs_new ();

  g_assert_true (mt_transcribe_batch_transcript_to_segments (t, 0, "en-US",
          docs, NULL));
  g_assert_cmpuint (docs->len, ==, 2);
  g_assert_cmpstr (str (docs->pdata[0], "speaker"), ==, "spk_0");
  g_assert_cmpstr (str (docs->pdata[1], "speaker"), ==, "spk_1");
  /* detail.items: the service's own items of the segment. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member
          (json_object_get_object_member (docs->pdata[1], "detail"),
              "items")), ==, 1);
}

static void
test_batch_without_items (void)
{
  g_autoptr (JsonObject) t = parse ("{\"results\":{\"transcripts\":[]}}");
  g_autoptr (GPtrArray) docs = docs_new ();
  g_autoptr (GError) error = NULL;

  g_assert_false (mt_transcribe_batch_transcript_to_segments (t, 0, "en-US",
          docs, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "items"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/transcribe-aws/url", test_url);
  g_test_add_func ("/transcribe-aws/streaming-segments",
      test_streaming_segments);
  g_test_add_func ("/transcribe-aws/streaming-empty",
      test_streaming_empty_result);
  g_test_add_func ("/transcribe-aws/batch-sentences", test_batch_sentences);
  g_test_add_func ("/transcribe-aws/batch-speakers", test_batch_speaker_change);
  g_test_add_func ("/transcribe-aws/batch-no-items", test_batch_without_items);
  return g_test_run ();
}
