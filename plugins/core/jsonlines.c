/* JSON Lines input: the line assembler, one-line JSON parsing and dead
 * letters. See jsonlines.h. */
#include "jsonlines.h"

#include <string.h>

G_DEFINE_QUARK (mt-line-error-quark, mt_line_error);

struct _MtLineAssembler
{
  GByteArray *line;             /* the line being gathered, without '\n' */
  gsize max_line;
  guint64 completed;            /* lines ended so far, empty ones too */
  /* The line being gathered went past max_line: it was reported, and its
   * bytes are dropped up to its newline. */
  gboolean overlong;
};

MtLineAssembler *
mt_line_assembler_new (gsize max_line)
{
  MtLineAssembler *la = g_new0 (MtLineAssembler, 1);

  la->line = g_byte_array_new ();
  la->max_line = max_line ? max_line : MT_LINE_DEFAULT_MAX;
  return la;
}

void
mt_line_assembler_free (MtLineAssembler * la)
{
  if (!la)
    return;
  g_byte_array_unref (la->line);
  g_free (la);
}

void
mt_line_assembler_reset (MtLineAssembler * la)
{
  g_byte_array_set_size (la->line, 0);
  la->completed = 0;
  la->overlong = FALSE;
}

guint64
mt_line_assembler_get_line_count (MtLineAssembler * la)
{
  return la->completed;
}

static gboolean
report_too_long (MtLineAssembler * la, MtLineFunc func, gpointer user_data)
{
  g_autoptr (GError) error = g_error_new (MT_LINE_ERROR,
      MT_LINE_ERROR_TOO_LONG, "line %" G_GUINT64_FORMAT " is longer than %"
      G_GSIZE_FORMAT " bytes", la->completed + 1, la->max_line);

  la->overlong = TRUE;
  g_byte_array_set_size (la->line, 0);
  return func (NULL, 0, la->completed + 1, error, user_data);
}

/* Gathers part of a line. One byte past the limit is kept, for a '\r' that
 * a "\r\n" ending may still strip. */
static gboolean
gather (MtLineAssembler * la, const guint8 * data, gsize n, MtLineFunc func,
    gpointer user_data)
{
  if (la->overlong)
    return TRUE;
  if (la->line->len + n > la->max_line + 1)
    return report_too_long (la, func, user_data);
  g_byte_array_append (la->line, data, n);
  return TRUE;
}

static gboolean
is_blank (const gchar * line, gsize len)
{
  gsize i;

  for (i = 0; i < len; i++) {
    if (!g_ascii_isspace (line[i]))
      return FALSE;
  }
  return TRUE;
}

/* The gathered line has ended (a newline, or the end of input). */
static gboolean
end_line (MtLineAssembler * la, MtLineFunc func, gpointer user_data)
{
  gchar *line = (gchar *) la->line->data;
  gsize len = la->line->len;
  gboolean ret = TRUE;

  if (len > 0 && line[len - 1] == '\r')
    len--;
  if (!la->overlong && len > la->max_line)
    ret = report_too_long (la, func, user_data);
  else if (!la->overlong && !is_blank (line, len)) {
    /* NUL-terminated for the callback's convenience (parsers, printf). */
    g_byte_array_set_size (la->line, len + 1);
    line = (gchar *) la->line->data;
    line[len] = '\0';
    ret = func (line, len, la->completed + 1, NULL, user_data);
  }
  la->completed++;
  la->overlong = FALSE;
  g_byte_array_set_size (la->line, 0);
  return ret;
}

gboolean
mt_line_assembler_push (MtLineAssembler * la, const guint8 * data, gsize len,
    MtLineFunc func, gpointer user_data)
{
  while (len > 0) {
    const guint8 *nl = memchr (data, '\n', len);
    gsize n = nl ? (gsize) (nl - data) : len;

    if (!gather (la, data, n, func, user_data))
      return FALSE;
    if (!nl)
      break;
    if (!end_line (la, func, user_data))
      return FALSE;
    data += n + 1;
    len -= n + 1;
  }
  return TRUE;
}

gboolean
mt_line_assembler_finish (MtLineAssembler * la, MtLineFunc func,
    gpointer user_data)
{
  if (la->line->len == 0 && !la->overlong)
    return TRUE;
  return end_line (la, func, user_data);
}

static const gchar *
node_kind (JsonNode * node)
{
  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_ARRAY:
      return "a JSON array";
    case JSON_NODE_NULL:
      return "JSON null";
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        return "a JSON string";
      if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
        return "a JSON boolean";
      return "a JSON number";
    case JSON_NODE_OBJECT:
    default:
      return "a JSON object";
  }
}

JsonObject *
mt_json_line_parse (const gchar * line, gsize len, guint64 line_no,
    GError ** error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) parse_error = NULL;
  JsonNode *root;

  /* json-glib reads NULs and bad sequences in ways that differ between
   * versions: refuse them here, the same way everywhere. */
  if (!g_utf8_validate_len (line, len, NULL)) {
    g_set_error (error, MT_LINE_ERROR, MT_LINE_ERROR_NOT_JSON,
        "line %" G_GUINT64_FORMAT " is not JSON: it is not valid UTF-8",
        line_no);
    return NULL;
  }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, line, len, &parse_error)) {
    g_set_error (error, MT_LINE_ERROR, MT_LINE_ERROR_NOT_JSON,
        "line %" G_GUINT64_FORMAT " is not JSON: %s", line_no,
        parse_error->message);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, MT_LINE_ERROR, MT_LINE_ERROR_NOT_OBJECT,
        "line %" G_GUINT64_FORMAT " is %s, not an object", line_no,
        root ? node_kind (root) : "empty");
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

gchar *
mt_json_to_line (JsonNode * node)
{
  g_autofree gchar *text = json_to_string (node, FALSE);
  GString *out;
  const gchar *p;

  if (!strchr (text, 0x1f))
    return g_steal_pointer (&text);
  /* Outside strings JSON has no control bytes, so every raw one is inside
   * a string, where \u001f is its escape. */
  out = g_string_sized_new (strlen (text) + 16);
  for (p = text; *p; p++) {
    if (*p == 0x1f)
      g_string_append (out, "\\u001f");
    else
      g_string_append_c (out, *p);
  }
  return g_string_free (out, FALSE);
}

gchar *
mt_dead_letter_line (const gchar * line, gsize len, guint64 line_no,
    const gchar * reason)
{
  g_autoptr (JsonObject) letter = json_object_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_int_member (letter, "line", (gint64) line_no);
  json_object_set_string_member (letter, "reason", reason ? reason : "");
  /* Control bytes are escaped (mt_json_to_line), so valid UTF-8 is kept as
   * text; anything else (a NUL, a cut sequence) goes as base64 so the
   * bytes survive exactly. */
  if (line && g_utf8_validate_len (line, len, NULL)) {
    g_autofree gchar *text = g_strndup (line, len);

    json_object_set_string_member (letter, "text", text);
  } else if (line) {
    g_autofree gchar *b64 = g_base64_encode ((const guchar *) line, len);

    json_object_set_string_member (letter, "base64", b64);
  }
  json_node_set_object (node, letter);
  return mt_json_to_line (node);
}
