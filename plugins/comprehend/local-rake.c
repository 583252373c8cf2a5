/* Key phrases by RAKE (Rose et al., "Automatic keyword extraction from
 * individual documents", 2010): candidates are the runs of words between
 * stopwords and punctuation; a word scores its degree (the words it
 * co-occurs with in candidates, itself included) over its frequency; a
 * candidate scores the sum of its words'. The best third of the distinct
 * candidates are key phrases. A heuristic, named `local:rake`. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "local.h"

#include <string.h>

/* Longer runs are lists or run-on text, not phrases. */
#define MAX_PHRASE_WORDS 4

typedef struct
{
  guint first, n;               /* tokens */
  gchar *key;                   /* lowercased words joined by spaces */
} Candidate;

typedef struct
{
  guint freq, degree;
} WordStat;

static gboolean
only_digits (const gchar * s)
{
  for (; *s; s++) {
    if (!g_ascii_isdigit (*s) && *s != '.' && *s != ',')
      return FALSE;
  }
  return TRUE;
}

/* Anything but spaces between two words (a comma, a full stop, a dash,
 * brackets) ends a candidate, and so does a line break: the lines of a
 * page (a heading, a table's cells) are not one phrase. */
static gboolean
punctuation_between (const gchar * text, const MtToken * a, const MtToken * b)
{
  gsize i;

  for (i = a->end; i < b->begin; i++) {
    if (!g_ascii_isspace (text[i]) || text[i] == '\n' || text[i] == '\r'
        || text[i] == '\v' || text[i] == '\f')
      return TRUE;
  }
  return FALSE;
}

static gboolean
capitalised (const gchar * text, const MtToken * t)
{
  return g_unichar_isupper (g_utf8_get_char (text + t->begin));
}

/* Capitalised words in a row, from i going by `step` (+1 or -1). */
static guint
cap_run (const gchar * text, GArray * tokens, guint first, gint i, gint step)
{
  guint n = 0;

  while (i >= (gint) first && i < (gint) tokens->len
      && capitalised (text, &g_array_index (tokens, MtToken, i))) {
    n++;
    i += step;
  }
  return n;
}

/* A multi-word name next to lower-case words ("Sarah Chen flew") is its
 * own candidate: RAKE without a part-of-speech tagger would otherwise glue
 * verbs to names. A single capitalised word stays inside its phrase
 * ("linear Diophantine equations"), and a run's first word may be
 * capitalised only because it starts a sentence, so it does not count. */
static gboolean
case_changes (const gchar * text, GArray * tokens, guint first, guint i)
{
  gboolean prev_cap = capitalised (text, &g_array_index (tokens, MtToken,
          i - 1));
  gboolean cur_cap = capitalised (text, &g_array_index (tokens, MtToken, i));

  if (prev_cap == cur_cap)
    return FALSE;
  if (prev_cap)
    return i - 1 > first && cap_run (text, tokens, first, i - 1, -1) >= 2;
  return cap_run (text, tokens, first, i, 1) >= 2;
}

static void
close_candidate (GArray * cands, GPtrArray * lower, guint first, guint n)
{
  g_autoptr (GString) key = NULL;
  Candidate c = { first, n, NULL };
  guint i;

  if (n == 0 || n > MAX_PHRASE_WORDS)
    return;
  key = g_string_new (NULL);
  for (i = first; i < first + n; i++) {
    if (key->len)
      g_string_append_c (key, ' ');
    g_string_append (key, g_ptr_array_index (lower, i));
  }
  /* A lone short word ("ok", "tv") says little about a text. */
  if (n == 1 && g_utf8_strlen (key->str, -1) < 3)
    return;
  c.key = g_string_free (g_steal_pointer (&key), FALSE);
  g_array_append_val (cands, c);
}

static GArray *
candidates (const gchar * text, GArray * tokens, GPtrArray * lower,
    GHashTable * stop)
{
  GArray *cands = g_array_new (FALSE, FALSE, sizeof (Candidate));
  guint i, first = 0, n = 0;

  for (i = 0; i < tokens->len; i++) {
    const gchar *w = g_ptr_array_index (lower, i);
    gboolean breaks = g_hash_table_contains (stop, w) || only_digits (w);

    if (n && (punctuation_between (text, &g_array_index (tokens, MtToken,
                    i - 1), &g_array_index (tokens, MtToken, i))
            || case_changes (text, tokens, first, i))) {
      close_candidate (cands, lower, first, n);
      n = 0;
    }
    if (breaks) {
      close_candidate (cands, lower, first, n);
      n = 0;
      continue;
    }
    if (!n)
      first = i;
    n++;
  }
  close_candidate (cands, lower, first, n);
  return cands;
}

static GHashTable *
word_stats (GArray * cands, GPtrArray * lower)
{
  GHashTable *stats = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      g_free);
  guint i, j;

  for (i = 0; i < cands->len; i++) {
    Candidate *c = &g_array_index (cands, Candidate, i);

    for (j = c->first; j < c->first + c->n; j++) {
      const gchar *w = g_ptr_array_index (lower, j);
      WordStat *s = g_hash_table_lookup (stats, w);

      if (!s) {
        s = g_new0 (WordStat, 1);
        g_hash_table_insert (stats, (gpointer) w, s);
      }
      s->freq++;
      s->degree += c->n;
    }
  }
  return stats;
}

static gint
by_score (gconstpointer a, gconstpointer b)
{
  const MtKeyPhrase *x = a, *y = b;

  if (x->score != y->score)
    return x->score < y->score ? 1 : -1;
  /* Equal scores: text order, so the output is stable. */
  return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Distinct candidates (first occurrence) with their scores, best first. */
static GArray *
score_candidates (GArray * cands, GArray * tokens, GPtrArray * lower,
    GHashTable * stats)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (MtKeyPhrase));
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint i, j;

  for (i = 0; i < cands->len; i++) {
    Candidate *c = &g_array_index (cands, Candidate, i);
    MtKeyPhrase k = { 0, };

    if (!g_hash_table_add (seen, c->key))
      continue;
    for (j = c->first; j < c->first + c->n; j++) {
      WordStat *s = g_hash_table_lookup (stats, g_ptr_array_index (lower, j));

      k.score += (gdouble) s->degree / s->freq;
    }
    k.begin = g_array_index (tokens, MtToken, c->first).begin;
    k.end = g_array_index (tokens, MtToken, c->first + c->n - 1).end;
    g_array_append_val (out, k);
  }
  g_array_sort (out, by_score);
  return out;
}

static void
clear_candidates (GArray * cands)
{
  guint i;

  for (i = 0; i < cands->len; i++)
    g_free (g_array_index (cands, Candidate, i).key);
  g_array_unref (cands);
}

GArray *
mt_rake (const MtNlpData * data, const gchar * lang, const gchar * text,
    gsize len)
{
  GHashTable *stop = g_hash_table_lookup (data->stopwords, lang);
  g_autoptr (GArray) tokens = NULL;
  g_autoptr (GPtrArray) lower = NULL;
  g_autoptr (GHashTable) stats = NULL;
  GArray *cands, *phrases;
  guint i, keep;

  if (!stop)
    return NULL;
  tokens = mt_nlp_tokenize (text, len);
  lower = g_ptr_array_new_full (tokens->len, g_free);
  for (i = 0; i < tokens->len; i++) {
    MtToken *t = &g_array_index (tokens, MtToken, i);

    g_ptr_array_add (lower, g_utf8_strdown (text + t->begin,
            t->end - t->begin));
  }
  cands = candidates (text, tokens, lower, stop);
  stats = word_stats (cands, lower);
  phrases = score_candidates (cands, tokens, lower, stats);
  clear_candidates (cands);

  /* RAKE keeps a third of the text's words' worth of phrases. */
  keep = MAX (1, tokens->len / 3);
  if (phrases->len > keep)
    g_array_set_size (phrases, keep);
  for (i = 0; i < phrases->len; i++) {
    MtKeyPhrase *k = &g_array_index (phrases, MtKeyPhrase, i);
    gdouble best = g_array_index (phrases, MtKeyPhrase, 0).score;

    k->confidence = 50.0 + 50.0 * k->score / best;
  }
  return phrases;
}
