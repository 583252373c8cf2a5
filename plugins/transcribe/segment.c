/* Transcript segment documents: one shape for every transcribesink engine
 * (gsttranscribesink.h), so a reader of the results never has to know
 * which engine wrote them. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsttranscribesink.h"
#include "result.h"

JsonObject *
mt_transcript_segment_new (const gchar * engine, const gchar * text,
    gint64 start_ms, gint64 end_ms, gdouble confidence,
    const gchar * language, const gchar * speaker, JsonArray * words,
    JsonObject * detail)
{
  JsonObject *doc = mt_result_new ("transcript", engine, text,
      CLAMP (confidence, 0.0, 100.0));
  g_autoptr (JsonObject) d = detail ? json_object_ref (detail) :
      json_object_new ();

  json_object_set_string_member (doc, "text", text);
  json_object_set_int_member (doc, "timestamp", start_ms);
  json_object_set_int_member (doc, "end", end_ms);
  if (language)
    json_object_set_string_member (doc, "language", language);
  if (speaker)
    json_object_set_string_member (doc, "speaker", speaker);
  json_object_set_array_member (d, "words", words ? json_array_ref (words) :
      json_array_new ());
  mt_result_set_detail (doc, d);
  return doc;
}
