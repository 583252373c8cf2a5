/* Subtitles of a transcript: WebVTT (<asset>.transcript.vtt) and SubRip
 * (<asset>.transcript.srt). A segment can run for many seconds, longer than
 * a reader keeps a line on screen, so cues are cut from the word times
 * (detail.words) at about a subtitle line's length. */
#include <string.h>

#include "mediatag-subtitles.h"

#define CUE_CHARS 42

typedef struct {
  gint64 start, end;
  GString *text;
} Cue;

static void
cue_free (Cue * c)
{
  g_string_free (c->text, TRUE);
  g_free (c);
}

/* The object member `name`, or NULL (json-glib 1.6 has no _with_default). */
static JsonObject *
object_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static gint
cmp_segment (gconstpointer a, gconstpointer b)
{
  JsonObject *x = *(JsonObject * const *) a, *y = *(JsonObject * const *) b;
  gint64 tx = json_object_get_int_member_with_default (x, "timestamp", 0);
  gint64 ty = json_object_get_int_member_with_default (y, "timestamp", 0);

  return tx < ty ? -1 : tx > ty;
}

static Cue *
cue_new (gint64 start, gint64 end, const gchar * text)
{
  Cue *c = g_new0 (Cue, 1);

  c->start = start;
  c->end = end;
  c->text = g_string_new (text);
  return c;
}

/* Words joined into cues of at most CUE_CHARS characters each. */
static void
cues_from_words (GPtrArray * cues, JsonArray * words)
{
  Cue *cur = NULL;
  guint i;

  for (i = 0; i < json_array_get_length (words); i++) {
    JsonObject *w = json_array_get_object_element (words, i);
    const gchar *word = w ? json_object_get_string_member_with_default (w,
        "word", NULL) : NULL;
    gint64 start, end;

    if (!word || !*word)
      continue;
    start = json_object_get_int_member_with_default (w, "start", 0);
    end = json_object_get_int_member_with_default (w, "end", start);
    if (cur && g_utf8_strlen (cur->text->str, -1) + 1 +
        g_utf8_strlen (word, -1) > CUE_CHARS)
      cur = NULL;
    if (!cur) {
      cur = cue_new (start, end, word);
      g_ptr_array_add (cues, cur);
      continue;
    }
    g_string_append_printf (cur->text, " %s", word);
    cur->end = MAX (cur->end, end);
  }
}

static GPtrArray *
make_cues (GPtrArray * segments)
{
  GPtrArray *cues = g_ptr_array_new_with_free_func ((GDestroyNotify)
      cue_free);
  guint i;

  g_ptr_array_sort (segments, cmp_segment);
  for (i = 0; i < segments->len; i++) {
    JsonObject *s = segments->pdata[i];
    JsonObject *detail = object_member (s,
        "detail");
    JsonArray *words = detail && json_object_has_member (detail, "words")
        && JSON_NODE_HOLDS_ARRAY (json_object_get_member (detail, "words"))
        ? json_object_get_array_member (detail, "words") : NULL;
    const gchar *text = json_object_get_string_member_with_default (s,
        "text", "");
    gint64 start = json_object_get_int_member_with_default (s, "timestamp",
        0);
    guint before = cues->len;

    if (words)
      cues_from_words (cues, words);
    if (cues->len == before && *text)
      g_ptr_array_add (cues, cue_new (start,
              json_object_get_int_member_with_default (s, "end", start),
              text));
  }
  return cues;
}

static void
append_time (GString * s, gint64 ms, gchar frac_sep)
{
  ms = MAX (ms, 0);
  g_string_append_printf (s, "%02" G_GINT64_FORMAT ":%02d:%02d%c%03d",
      ms / 3600000, (int) (ms / 60000 % 60), (int) (ms / 1000 % 60),
      frac_sep, (int) (ms % 1000));
}

/* A cue lasts at least a millisecond: players drop empty ones. */
static void
append_span (GString * s, const Cue * c, gchar frac_sep)
{
  append_time (s, c->start, frac_sep);
  g_string_append (s, " --> ");
  append_time (s, MAX (c->end, c->start + 1), frac_sep);
  g_string_append_c (s, '\n');
}

/* WebVTT cue text: '&' and '<' start markup, so they are escaped. */
static void
append_vtt_text (GString * s, const gchar * t)
{
  for (; *t; t++) {
    if (*t == '&')
      g_string_append (s, "&amp;");
    else if (*t == '<')
      g_string_append (s, "&lt;");
    else if (*t == '>')
      g_string_append (s, "&gt;");
    else
      g_string_append_c (s, *t);
  }
}

gchar *
mt_subtitles_vtt (GPtrArray * segments)
{
  g_autoptr (GPtrArray) cues = make_cues (segments);
  GString *s = g_string_new ("WEBVTT\n\n");
  guint i;

  for (i = 0; i < cues->len; i++) {
    Cue *c = cues->pdata[i];

    append_span (s, c, '.');
    append_vtt_text (s, c->text->str);
    g_string_append (s, "\n\n");
  }
  return g_string_free (s, FALSE);
}

gchar *
mt_subtitles_srt (GPtrArray * segments)
{
  g_autoptr (GPtrArray) cues = make_cues (segments);
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < cues->len; i++) {
    Cue *c = cues->pdata[i];

    g_string_append_printf (s, "%u\n", i + 1);
    append_span (s, c, ',');
    g_string_append_printf (s, "%s\n\n", c->text->str);
  }
  return g_string_free (s, FALSE);
}
