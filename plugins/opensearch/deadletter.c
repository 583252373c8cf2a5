/* opensearchsink's dead letters: see deadletter.h. */
#include "deadletter.h"

#include <string.h>

#include "jsonlines.h"

struct _OsDeadLetters
{
  GMutex lock;
  GOutputStream *out;           /* NULL: no file */
  gchar *location;
  guint64 count;
  guint warnings_posted;
  guint64 warnings_suppressed;
};

OsDeadLetters *
os_dead_letters_open (const gchar * location, GError ** error)
{
  OsDeadLetters *letters;
  GFileOutputStream *out = NULL;

  if (location != NULL) {
    g_autoptr (GFile) file = g_file_new_for_path (location);

    out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
    if (out == NULL)
      return NULL;
  }
  letters = g_new0 (OsDeadLetters, 1);
  g_mutex_init (&letters->lock);
  letters->out = out ? G_OUTPUT_STREAM (out) : NULL;
  letters->location = g_strdup (location);
  return letters;
}

void
os_dead_letters_free (OsDeadLetters * letters)
{
  if (letters->out != NULL)
    g_output_stream_close (letters->out, NULL, NULL);
  g_clear_object (&letters->out);
  g_free (letters->location);
  g_mutex_clear (&letters->lock);
  g_free (letters);
}

const gchar *
os_dead_letters_location (OsDeadLetters * letters)
{
  return letters->out ? letters->location : NULL;
}

/* Writes one letter, a line of JSON that holds its own newline-free text
 * whatever the input held (control bytes escaped, invalid UTF-8 as
 * base64: jsonlines.h). */
static gboolean
write_letter (OsDeadLetters * letters, const gchar * text, GError ** error)
{
  gboolean ok = TRUE;

  g_mutex_lock (&letters->lock);
  letters->count++;
  if (letters->out != NULL)
    ok = g_output_stream_write_all (letters->out, text, strlen (text), NULL,
        NULL, error) &&
        g_output_stream_write_all (letters->out, "\n", 1, NULL, NULL, error);
  g_mutex_unlock (&letters->lock);
  return ok;
}

gboolean
os_dead_letters_add_line (OsDeadLetters * letters, const gchar * line,
    gsize len, guint64 line_no, const gchar * reason, GError ** error)
{
  g_autofree gchar *text = mt_dead_letter_line (line, len, line_no, reason);

  return write_letter (letters, text, error);
}

gboolean
os_dead_letters_add_doc (OsDeadLetters * letters, OpenSearchDoc * doc,
    gint64 status, JsonObject * error_obj, const gchar * reason,
    GError ** error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonNode) letter = NULL;
  g_autofree gchar *text = NULL;
  gsize size;
  const gchar *data = g_bytes_get_data (doc->payload, &size);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, reason);
  if (status > 0) {
    json_builder_set_member_name (b, "status");
    json_builder_add_int_value (b, status);
  }
  json_builder_set_member_name (b, "index");
  json_builder_add_string_value (b, doc->index);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, doc->id);
  if (error_obj != NULL) {
    JsonNode *node = json_node_new (JSON_NODE_OBJECT);

    json_node_set_object (node, error_obj);
    json_builder_set_member_name (b, "error");
    json_builder_add_value (b, node);
  }
  /* The source was parsed once already: it parses again. */
  if (json_parser_load_from_data (parser, data + doc->source_offset,
          size - doc->source_offset - 1, NULL)) {
    json_builder_set_member_name (b, "document");
    json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
  }
  json_builder_end_object (b);
  letter = json_builder_get_root (b);
  text = mt_json_to_line (letter);
  return write_letter (letters, text, error);
}

gboolean
os_dead_letters_may_warn (OsDeadLetters * letters)
{
  gboolean may;

  g_mutex_lock (&letters->lock);
  may = letters->warnings_posted < OS_DEAD_LETTERS_MAX_WARNINGS;
  if (may)
    letters->warnings_posted++;
  else
    letters->warnings_suppressed++;
  g_mutex_unlock (&letters->lock);
  return may;
}

void
os_dead_letters_get_counts (OsDeadLetters * letters, guint64 * count,
    guint64 * suppressed)
{
  g_mutex_lock (&letters->lock);
  *count = letters->count;
  *suppressed = letters->warnings_suppressed;
  g_mutex_unlock (&letters->lock);
}

void
os_dead_letters_flush (OsDeadLetters * letters)
{
  g_mutex_lock (&letters->lock);
  if (letters->out != NULL)
    g_output_stream_flush (letters->out, NULL, NULL);
  g_mutex_unlock (&letters->lock);
}
