/* Sentiment by VADER (Hutto & Gilbert, "VADER: A Parsimonious Rule-based
 * Model for Sentiment Analysis of Social Media Text", ICWSM 2014), as the
 * npm vader-sentiment 1.1.3 port (Apache-2.0) runs it, on its lexicon:
 * word valences adjusted for capitals, degree adverbs (boosters), negation
 * in the three words before, "least", "but" (before halved, after times
 * 1.5), "!" and "?" emphasis, then the compound score normalised to -1..1.
 * A heuristic, named `local:vader`. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "local.h"

#include <math.h>
#include <string.h>

#define B_INCR 0.293
#define B_DECR -0.293
#define C_INCR 0.733
#define N_SCALAR -0.74

static const gchar *const negate[] = {
  "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt",
  "ain't", "aren't", "can't", "couldn't", "daren't", "didn't", "doesn't",
  "dont", "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neither",
  "don't", "hadn't", "hasn't", "haven't", "isn't", "mightn't", "mustn't",
  "neednt", "needn't", "never", "none", "nope", "nor", "not", "nothing",
  "nowhere", "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent",
  "oughtn't", "shan't", "shouldn't", "uh-uh", "wasn't", "weren't",
  "without", "wont", "wouldnt", "won't", "wouldn't", "rarely", "seldom",
  "despite", NULL
};

static const gchar *const boost_up[] = {
  "absolutely", "amazingly", "awfully", "completely", "considerably",
  "decidedly", "deeply", "effing", "enormously", "entirely", "especially",
  "exceptionally", "extremely", "fabulously", "flipping", "flippin",
  "fricking", "frickin", "frigging", "friggin", "fully", "fucking",
  "greatly", "hella", "highly", "hugely", "incredibly", "intensely",
  "majorly", "more", "most", "particularly", "purely", "quite", "really",
  "remarkably", "so", "substantially", "thoroughly", "totally",
  "tremendously", "uber", "unbelievably", "unusually", "utterly", "very",
  NULL
};

static const gchar *const boost_down[] = {
  "almost", "barely", "hardly", "just enough", "kind of", "kinda", "kindof",
  "kind-of", "less", "little", "marginally", "occasionally", "partly",
  "scarcely", "slightly", "somewhat", "sort of", "sorta", "sortof",
  "sort-of", NULL
};

static const struct
{
  const gchar *idiom;
  gdouble valence;
} idioms[] = {
  {"the shit", 3}, {"the bomb", 3}, {"bad ass", 1.5}, {"yeah right", -2},
  {"cut the mustard", 2}, {"kiss of death", -1.5}, {"hand to mouth", -2},
};

typedef struct
{
  const MtNlpData *data;
  GPtrArray *words;             /* as written */
  GPtrArray *lower;
  gboolean cap_diff;
} Sentence;

static gboolean
in_list (const gchar * const *list, const gchar * w)
{
  return g_strv_contains (list, w);
}

static gdouble
booster (const gchar * lower)
{
  if (in_list (boost_up, lower))
    return B_INCR;
  if (in_list (boost_down, lower))
    return B_DECR;
  return 0;
}

/* Python's str.isupper(): some cased letter, none lower case. */
static gboolean
is_upper (const gchar * w)
{
  gboolean upper = FALSE;

  for (; *w; w = g_utf8_next_char (w)) {
    gunichar c = g_utf8_get_char (w);

    if (g_unichar_islower (c))
      return FALSE;
    upper |= g_unichar_isupper (c);
  }
  return upper;
}

static gboolean
in_lexicon (const Sentence * s, guint i)
{
  return g_hash_table_contains (s->data->lexicon,
      g_ptr_array_index (s->lower, i));
}

static const gchar *
lower_at (const Sentence * s, guint i)
{
  return g_ptr_array_index (s->lower, i);
}

static gboolean
negated (const gchar * lower)
{
  return in_list (negate, lower) || strstr (lower, "n't") != NULL;
}

/* Strips punctuation around a token unless that leaves two characters or
 * fewer (so emoticons like ":)" and ":D" survive), as VADER does. */
static gchar *
strip_punct (const gchar * token)
{
  const gchar *b = token, *e = token + strlen (token);

  while (b < e && g_ascii_ispunct (*b))
    b++;
  while (e > b && g_ascii_ispunct (e[-1]))
    e--;
  if (g_utf8_strlen (b, e - b) <= 2)
    return g_strdup (token);
  return g_strndup (b, e - b);
}

static void
sentence_init (Sentence * s, const MtNlpData * data, const gchar * text,
    gsize len)
{
  g_autofree gchar *copy = g_strndup (text, len);
  g_auto (GStrv) tokens = g_strsplit_set (copy, " \t\r\n\f\v", -1);
  guint i, caps = 0;

  s->data = data;
  s->words = g_ptr_array_new_with_free_func (g_free);
  s->lower = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; tokens[i]; i++) {
    gchar *w;

    if (g_utf8_strlen (tokens[i], -1) <= 1)
      continue;
    w = strip_punct (tokens[i]);
    g_ptr_array_add (s->words, w);
    g_ptr_array_add (s->lower, g_utf8_strdown (w, -1));
    caps += is_upper (w);
  }
  s->cap_diff = caps > 0 && caps < s->words->len;
}

static void
sentence_clear (Sentence * s)
{
  g_ptr_array_unref (s->words);
  g_ptr_array_unref (s->lower);
}

static gdouble
scalar_inc_dec (const Sentence * s, guint j, gdouble valence)
{
  gdouble scalar = booster (lower_at (s, j));

  if (scalar == 0)
    return 0;
  if (valence < 0)
    scalar = -scalar;
  if (s->cap_diff && is_upper (g_ptr_array_index (s->words, j)))
    scalar += valence > 0 ? C_INCR : -C_INCR;
  return scalar;
}

static gboolean
word_is (const Sentence * s, gint i, const gchar * w)
{
  return i >= 0 && !strcmp (g_ptr_array_index (s->words, i), w);
}

/* Negation in the start_i+1'th word before; "never so/this" intensifies
 * instead. */
static gdouble
never_check (const Sentence * s, gdouble v, guint start_i, guint i)
{
  gboolean so_this;

  if (start_i == 0)
    return negated (lower_at (s, i - 1)) ? v * N_SCALAR : v;
  if (start_i == 1) {
    if (word_is (s, i - 2, "never") && (word_is (s, i - 1, "so")
            || word_is (s, i - 1, "this")))
      return v * 1.5;
    return negated (lower_at (s, i - 2)) ? v * N_SCALAR : v;
  }
  so_this = (word_is (s, i - 3, "never") && (word_is (s, i - 2, "so")
          || word_is (s, i - 2, "this"))) || word_is (s, i - 1, "so")
      || word_is (s, i - 1, "this");
  if (so_this)
    return v * 1.25;
  return negated (lower_at (s, i - 3)) ? v * N_SCALAR : v;
}

static gchar *
join_words (const Sentence * s, gint from, gint to)
{
  g_autoptr (GString) out = g_string_new (NULL);
  gint i;

  for (i = from; i <= to; i++) {
    if (i < 0 || i >= (gint) s->words->len)
      return NULL;
    if (out->len)
      g_string_append_c (out, ' ');
    g_string_append (out, g_ptr_array_index (s->words, i));
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
idiom_value (const gchar * seq, gdouble * v)
{
  guint k;

  for (k = 0; seq && k < G_N_ELEMENTS (idioms); k++) {
    if (!strcmp (seq, idioms[k].idiom)) {
      *v = idioms[k].valence;
      return TRUE;
    }
  }
  return FALSE;
}

static gdouble
idioms_check (const Sentence * s, gdouble v, gint i)
{
  static const gint spans[][2] = { {-1, 0}, {-2, 0}, {-2, -1}, {-3, -1},
  {-3, -2}
  };
  g_autofree gchar *threetwo = join_words (s, i - 3, i - 2);
  g_autofree gchar *twoone = join_words (s, i - 2, i - 1);
  g_autofree gchar *zeroone = join_words (s, i, i + 1);
  g_autofree gchar *zeroonetwo = join_words (s, i, i + 2);
  guint k;

  for (k = 0; k < G_N_ELEMENTS (spans); k++) {
    g_autofree gchar *seq = join_words (s, i + spans[k][0], i + spans[k][1]);

    if (idiom_value (seq, &v))
      break;
  }
  idiom_value (zeroone, &v);
  idiom_value (zeroonetwo, &v);
  if ((threetwo && booster (threetwo) != 0) || (twoone && booster (twoone)))
    v += B_DECR;
  return v;
}

static gdouble
least_check (const Sentence * s, gdouble v, guint i)
{
  if (i > 1 && !strcmp (lower_at (s, i - 1), "least")) {
    if (strcmp (lower_at (s, i - 2), "at") && strcmp (lower_at (s, i - 2),
            "very"))
      v *= N_SCALAR;
  } else if (i > 0 && !strcmp (lower_at (s, i - 1), "least")) {
    v *= N_SCALAR;
  }
  return v;
}

static gdouble
valence_at (const Sentence * s, guint i)
{
  gdouble *lex = g_hash_table_lookup (s->data->lexicon, lower_at (s, i));
  gdouble v;
  guint start_i;

  if (!lex)
    return 0;
  v = *lex;
  if (s->cap_diff && is_upper (g_ptr_array_index (s->words, i)))
    v += v > 0 ? C_INCR : -C_INCR;
  for (start_i = 0; start_i < 3; start_i++) {
    gdouble sc;

    if (i <= start_i || in_lexicon (s, i - (start_i + 1)))
      continue;
    sc = scalar_inc_dec (s, i - (start_i + 1), v);
    if (start_i == 1)
      sc *= 0.95;
    else if (start_i == 2)
      sc *= 0.9;
    v = never_check (s, v + sc, start_i, i);
    if (start_i == 2)
      v = idioms_check (s, v, i);
  }
  return least_check (s, v, i);
}

static gint
but_index (const Sentence * s)
{
  guint i;

  for (i = 0; i < s->words->len; i++) {
    if (!strcmp (g_ptr_array_index (s->words, i), "but"))
      return i;
  }
  for (i = 0; i < s->words->len; i++) {
    if (!strcmp (g_ptr_array_index (s->words, i), "BUT"))
      return i;
  }
  return -1;
}

static gdouble
punctuation_emphasis (const gchar * text, gsize len)
{
  guint ep = 0, qm = 0;
  gsize i;

  for (i = 0; i < len; i++) {
    ep += text[i] == '!';
    qm += text[i] == '?';
  }
  return MIN (ep, 4) * 0.292 + (qm <= 1 ? 0 : qm <= 3 ? qm * 0.18 : 0.96);
}

static MtVaderScores
score_valence (const gdouble * sentiments, guint n, const gchar * text,
    gsize len)
{
  MtVaderScores r = { 0, 0, 0, 0 };
  gdouble sum = 0, pos = 0, neg = 0, neu = 0, punct, total;
  guint i;

  if (!n)
    return r;
  punct = punctuation_emphasis (text, len);
  for (i = 0; i < n; i++) {
    sum += sentiments[i];
    if (sentiments[i] > 0)
      pos += sentiments[i] + 1;
    else if (sentiments[i] < 0)
      neg += sentiments[i] - 1;
    else
      neu += 1;
  }
  sum += sum > 0 ? punct : sum < 0 ? -punct : 0;
  r.compound = CLAMP (sum / sqrt (sum * sum + 15), -1.0, 1.0);
  if (pos > fabs (neg))
    pos += punct;
  else if (pos < fabs (neg))
    neg -= punct;
  total = pos + fabs (neg) + neu;
  r.pos = fabs (pos / total);
  r.neg = fabs (neg / total);
  r.neu = fabs (neu / total);
  return r;
}

MtVaderScores
mt_vader_sentence (const MtNlpData * data, const gchar * text, gsize len)
{
  Sentence s;
  g_autofree gdouble *sentiments = NULL;
  MtVaderScores r;
  gint but;
  guint i;

  sentence_init (&s, data, text, len);
  sentiments = g_new0 (gdouble, s.words->len + 1);
  for (i = 0; i < s.words->len; i++) {
    gboolean kind_of = i + 1 < s.words->len
        && !strcmp (lower_at (&s, i), "kind")
        && !strcmp (lower_at (&s, i + 1), "of");

    /* Boosters and "kind of" carry no valence of their own. */
    if (kind_of || booster (lower_at (&s, i)) != 0)
      continue;
    sentiments[i] = valence_at (&s, i);
  }
  but = but_index (&s);
  for (i = 0; but >= 0 && i < s.words->len; i++)
    sentiments[i] *= (gint) i < but ? 0.5 : (gint) i > but ? 1.5 : 1.0;
  r = score_valence (sentiments, s.words->len, text, len);
  sentence_clear (&s);
  return r;
}

/* Sentence ends: ".", "!", "?" followed by a space, or a newline. */
static gsize
next_sentence_end (const gchar * text, gsize from, gsize len)
{
  gsize i;

  for (i = from; i < len; i++) {
    if (text[i] == '\n')
      return i + 1;
    if (strchr (".!?", text[i]) && text[i] && (i + 1 == len
            || g_ascii_isspace (text[i + 1]))) {
      while (i + 1 < len && strchr ("!?.", text[i + 1]))
        i++;
      return i + 1;
    }
  }
  return len;
}

MtVaderScores
mt_vader_text (const MtNlpData * data, const gchar * text, gsize len)
{
  MtVaderScores sum = { 0, 0, 0, 0 };
  gdouble weight = 0;
  gsize from = 0;

  while (from < len) {
    gsize end = next_sentence_end (text, from, len);
    g_autoptr (GArray) words = mt_nlp_tokenize (text + from, end - from);
    MtVaderScores r;

    if (words->len) {
      r = mt_vader_sentence (data, text + from, end - from);
      sum.compound += r.compound * words->len;
      sum.pos += r.pos * words->len;
      sum.neg += r.neg * words->len;
      sum.neu += r.neu * words->len;
      weight += words->len;
    }
    from = end;
  }
  if (weight > 0) {
    sum.compound /= weight;
    sum.pos /= weight;
    sum.neg /= weight;
    sum.neu /= weight;
  }
  return sum;
}
