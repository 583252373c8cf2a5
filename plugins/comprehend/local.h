/* comprehend's local engine, offline: the word lists it reads (data/nlp,
 * made by tools/fetch-models) and the heuristics built on them. Each is
 * named for what it is in the documents' `engine`: local:rake (key
 * phrases), local:vader (sentiment), local:gazetteer (entities from name
 * lists and patterns). Everything here is read-only once loaded and safe
 * to use from several threads at once. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The word lists, loaded once. */
typedef struct {
  GHashTable *lexicon;          /* VADER token -> gdouble* valence */
  GHashTable *stopwords;        /* "lang" -> GHashTable set of words */
  GHashTable *first_names;      /* "Mary" -> "F" | "M" | "FM" */
  GHashTable *cities;           /* "Paris" -> population (GINT_TO_POINTER, capped) */
  GHashTable *countries;        /* "France" -> "FR" */
  gchar *dir;
} MtNlpData;

/* Loads data/nlp from `dir` (NULL: $MEDIATAG_NLP_DIR, the source tree's
 * data/nlp, the installed datadir). A missing file is an error that says
 * to run tools/fetch-models. */
MtNlpData *mt_nlp_data_load (const gchar * dir, GError ** error);
void mt_nlp_data_free (MtNlpData * data);

/* A word of a text, in bytes. */
typedef struct {
  gsize begin, end;
} MtToken;

/* Words: letters and digits, with inner apostrophes, hyphens, and the
 * dots and commas inside numbers ("don't", "state-of-the-art", "3.5"). */
GArray *mt_nlp_tokenize (const gchar * text, gsize len);

/* The language of a text: an ISO 639-1 code from its script (zh, ja, ko,
 * th...) or the stopword list it matches best; with too few stopwords to
 * tell, "en" for unaccented Latin words, else "und". */
const gchar *mt_nlp_guess_language (const MtNlpData * data,
    const gchar * text, gsize len);

/* RAKE key phrases: candidates are runs of words between stopwords and
 * punctuation, scored by the sum of their words' degree/frequency. */
typedef struct {
  gsize begin, end;             /* first occurrence */
  gdouble score;                /* RAKE score */
  gdouble confidence;           /* 50..100, relative to the best phrase */
} MtKeyPhrase;

/* NULL when there are no stopwords for `lang`. Best first. */
GArray *mt_rake (const MtNlpData * data, const gchar * lang,
    const gchar * text, gsize len);

/* VADER: the lexicon's valences with VADER's rules. */
typedef struct {
  gdouble compound, pos, neg, neu;
} MtVaderScores;

/* One sentence (or short text), exactly as VADER scores it. */
MtVaderScores mt_vader_sentence (const MtNlpData * data, const gchar * text,
    gsize len);
/* A longer text: each sentence scored on its own, then averaged weighted
 * by its words (VADER is a sentence-level model). */
MtVaderScores mt_vader_text (const MtNlpData * data, const gchar * text,
    gsize len);

/* Entities. */
typedef struct {
  gsize begin, end;
  const gchar *type;            /* PERSON, LOCATION, ... (static) */
  gdouble confidence;
  const gchar *rule;            /* which list or pattern found it (static) */
} MtEntity;

/* Gazetteer and pattern entities, in text order, not overlapping. */
GArray *mt_entities (const MtNlpData * data, const gchar * text, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtNlpData, mt_nlp_data_free)

G_END_DECLS
