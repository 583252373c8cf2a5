/* comprehend's local engine, offline and the default without AWS
 * credentials: key phrases by RAKE (`local:rake`), sentiment by VADER's
 * rules (`local:vader`), entities from name lists and patterns
 * (`local:gazetteer`). Honest heuristics, named as such in every document
 * they make (see local.h and docs/elements/comprehend.md for what they can
 * and cannot do, with measured precision and recall).
 *
 * Languages: key phrases in every language with a stopword list
 * (stopwords-iso) that writes spaces between words; entities and sentiment
 * in English only. A text in another language gets a warning, once per
 * language, and no documents for what cannot be done. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcomprehend.h"
#include "local.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (engine_local_debug);
#define GST_CAT_DEFAULT engine_local_debug

/* Entities are found part by part: their overlap resolution is quadratic
 * in the matches of a part, and a name never spans a sentence end. */
#define ENTITY_PART_BYTES 5000

/* VADER has no MIXED: a text is called mixed when both its positive and
 * its negative shares reach this. */
#define MIXED_SHARE 0.2

typedef struct
{
  MtNlpData *data;
  const MtComprehendConfig *cfg;
  guint64 features;
  GstElement *element;
  GMutex lock;
  GHashTable *warned;           /* languages already warned about */
} LocalState;

static gboolean
spaced_language (const gchar * lang)
{
  static const gchar *const unspaced[] = { "zh", "ja", "ko", "th", "und",
    NULL
  };

  return !g_strv_contains (unspaced, lang);
}

/* What this engine can do for a language, as MtComprehendFeatures. */
static guint64
supported (LocalState * st, const gchar * lang)
{
  guint64 f = 0;

  if (spaced_language (lang) && g_hash_table_contains (st->data->stopwords,
          lang))
    f |= MT_COMPREHEND_KEYPHRASES;
  if (!strcmp (lang, "en"))
    f |= MT_COMPREHEND_ENTITIES | MT_COMPREHEND_SENTIMENT;
  return f;
}

static gchar *
feature_list (guint64 f)
{
  g_autoptr (GString) s = g_string_new (NULL);

  if (f & MT_COMPREHEND_KEYPHRASES)
    g_string_append (s, "key phrases");
  if (f & MT_COMPREHEND_ENTITIES)
    g_string_append_printf (s, "%sentities", s->len ? ", " : "");
  if (f & MT_COMPREHEND_SENTIMENT)
    g_string_append_printf (s, "%ssentiment", s->len ? ", " : "");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Warns once per language about the features it cannot have. */
static void
warn_language (LocalState * st, const gchar * lang, guint64 missing)
{
  g_autofree gchar *what = NULL;
  gboolean first;

  g_mutex_lock (&st->lock);
  first = g_hash_table_add (st->warned, g_strdup (lang));
  g_mutex_unlock (&st->lock);
  if (!first)
    return;
  what = feature_list (missing);
  GST_ELEMENT_WARNING (st->element, STREAM, NOT_IMPLEMENTED,
      ("The local engine cannot find %s in text in language \"%s\": "
          "such text gets none. It does key phrases in languages with a "
          "stopword list and spaces between words, entities and sentiment "
          "in English; use backend=aws for more.", what, lang),
      ("language %s, features 0x%" G_GINT64_MODIFIER "x", lang, missing));
}

static void
add_keyphrases (LocalState * st, const MtTextSource * src, const gchar * lang,
    GPtrArray * results)
{
  gsize len;
  const gchar *text = mt_text_source_get_text (src, &len);
  g_autoptr (GArray) phrases = mt_rake (st->data, lang, text, len);
  guint i;

  for (i = 0; phrases && i < phrases->len; i++) {
    MtKeyPhrase *k = &g_array_index (phrases, MtKeyPhrase, i);
    g_autofree gchar *name = g_strndup (text + k->begin, k->end - k->begin);
    g_autoptr (JsonObject) detail = json_object_new ();
    JsonObject *r;

    if (k->confidence < st->cfg->min_confidence)
      continue;
    r = mt_text_source_result (src, MT_ANALYSIS_KEYPHRASE, "local:rake",
        name, k->confidence, k->begin, k->end);
    json_object_set_double_member (detail, "Score", k->score);
    json_object_set_string_member (detail, "LanguageCode", lang);
    json_object_set_object_member (r, "detail", json_object_ref (detail));
    g_ptr_array_add (results, r);
  }
}

static void
add_entities_of_part (LocalState * st, const MtTextSource * src,
    const MtTextPart * part, GPtrArray * results)
{
  const gchar *text = mt_text_source_get_text (src, NULL);
  g_autoptr (GArray) ents = mt_entities (st->data, text + part->offset,
      part->len);
  guint i;

  for (i = 0; i < ents->len; i++) {
    MtEntity *e = &g_array_index (ents, MtEntity, i);
    gsize b = part->offset + e->begin, end = part->offset + e->end;
    g_autofree gchar *name = g_strndup (text + b, end - b);
    g_autoptr (JsonObject) detail = json_object_new ();
    JsonObject *r;

    if (e->confidence < st->cfg->min_confidence)
      continue;
    r = mt_text_source_result (src, MT_ANALYSIS_ENTITY, "local:gazetteer",
        name, e->confidence, b, end);
    json_object_set_string_member (r, "type", e->type);
    json_object_set_string_member (detail, "Rule", e->rule);
    json_object_set_object_member (r, "detail", json_object_ref (detail));
    g_ptr_array_add (results, r);
  }
}

static void
add_entities (LocalState * st, const MtTextSource * src, GPtrArray * results)
{
  gsize len;
  const gchar *text = mt_text_source_get_text (src, &len);
  g_autoptr (GArray) parts = mt_text_split (text, len, ENTITY_PART_BYTES);
  guint i;

  for (i = 0; i < parts->len; i++)
    add_entities_of_part (st, src, &g_array_index (parts, MtTextPart, i),
        results);
}

static const gchar *
sentiment_name (const MtVaderScores * v)
{
  if (v->pos >= MIXED_SHARE && v->neg >= MIXED_SHARE)
    return "MIXED";
  /* VADER's own thresholds on the compound score. */
  if (v->compound >= 0.05)
    return "POSITIVE";
  if (v->compound <= -0.05)
    return "NEGATIVE";
  return "NEUTRAL";
}

/* VADER's shares of positive, negative and neutral words (and ours of
 * mixed), as Comprehend's SentimentScore members. They are shares, not
 * probabilities: the confidence is from the compound score instead, so
 * the name's confidence is 50 to 100 and grows with how clear it is. */
static JsonObject *
sentiment_scores (const MtVaderScores * v, const gchar * name, gdouble * conf)
{
  JsonObject *s = json_object_new ();
  gdouble mixed = v->pos >= MIXED_SHARE && v->neg >= MIXED_SHARE ?
      2 * MIN (v->pos, v->neg) : 0;
  gdouble total = v->pos + v->neg + v->neu + mixed;
  gdouble c = fabs (v->compound);

  json_object_set_double_member (s, "Positive", total > 0 ? v->pos / total : 0);
  json_object_set_double_member (s, "Negative", total > 0 ? v->neg / total : 0);
  json_object_set_double_member (s, "Neutral", total > 0 ? v->neu / total : 1);
  json_object_set_double_member (s, "Mixed", total > 0 ? mixed / total : 0);
  if (!strcmp (name, "MIXED"))
    *conf = 50 + 50 * MIN (v->pos, v->neg) / MAX (v->pos, v->neg);
  else if (!strcmp (name, "NEUTRAL"))
    *conf = 100 - 50 * MIN (c / 0.05, 1.0);
  else
    *conf = 50 + 50 * c;
  return s;
}

static void
add_sentiment (LocalState * st, const MtTextSource * src, GPtrArray * results)
{
  gsize len;
  const gchar *text = mt_text_source_get_text (src, &len);
  MtVaderScores v = mt_vader_text (st->data, text, len);
  const gchar *name = sentiment_name (&v);
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (JsonObject) vader = json_object_new ();
  gdouble conf;
  JsonObject *r;

  json_object_set_object_member (detail, "SentimentScore",
      sentiment_scores (&v, name, &conf));
  json_object_set_double_member (vader, "compound", v.compound);
  json_object_set_double_member (vader, "pos", v.pos);
  json_object_set_double_member (vader, "neg", v.neg);
  json_object_set_double_member (vader, "neu", v.neu);
  json_object_set_object_member (detail, "vader", json_object_ref (vader));
  r = mt_text_source_result (src, MT_ANALYSIS_SENTIMENT, "local:vader", name,
      conf, 0, len);
  json_object_set_object_member (r, "detail", json_object_ref (detail));
  g_ptr_array_add (results, r);
}

static gboolean
blank (const gchar * text)
{
  for (; *text; text++) {
    if (!g_ascii_isspace (*text))
      return FALSE;
  }
  return TRUE;
}

static gboolean
local_analyze (gpointer state, const MtEngineContext * ctx,
    const MtUnit * unit, GPtrArray * results, GCancellable * cancellable,
    GError ** error)
{
  LocalState *st = state;
  g_autoptr (MtTextSource) src = NULL;
  GError *err = NULL;
  const gchar *text, *lang = st->cfg->language_code;
  gsize len;
  guint64 can, want = st->features;

  src = mt_text_source_new (unit->text_document, ctx->asset, &err);
  if (!src) {
    if (err)
      g_propagate_error (error, err);
    return err == NULL;
  }
  text = mt_text_source_get_text (src, &len);
  if (blank (text))
    return TRUE;
  if (!strcmp (lang, "auto"))
    lang = mt_nlp_guess_language (st->data, text, len);
  can = supported (st, lang);
  if (want & ~can)
    warn_language (st, lang, want & ~can);
  if (want & can & MT_COMPREHEND_KEYPHRASES)
    add_keyphrases (st, src, lang, results);
  if (want & can & MT_COMPREHEND_ENTITIES)
    add_entities (st, src, results);
  if (want & can & MT_COMPREHEND_SENTIMENT)
    add_sentiment (st, src, results);
  mt_text_results_merge (results);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static void
local_stop (gpointer state)
{
  LocalState *st = state;

  g_clear_pointer (&st->data, mt_nlp_data_free);
  g_clear_pointer (&st->warned, g_hash_table_unref);
  g_mutex_clear (&st->lock);
  g_free (st);
}

static gboolean
local_start (const MtEngineContext * ctx, gpointer * state, GError ** error)
{
  static gsize debug_once = 0;
  LocalState *st;
  const gchar *lang;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (engine_local_debug, "comprehend-local", 0,
        "comprehend local engine");
    g_once_init_leave (&debug_once, 1);
  }
  st = g_new0 (LocalState, 1);
  g_mutex_init (&st->lock);
  st->warned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  st->cfg = ctx->config;
  st->features = ctx->features;
  st->element = ctx->element;
  st->data = mt_nlp_data_load (NULL, error);
  if (!st->data) {
    local_stop (st);
    return FALSE;
  }
  GST_INFO_OBJECT (st->element, "NLP data from %s", st->data->dir);
  /* A fixed language it cannot (fully) do is said at once, not at the
   * first text. */
  lang = st->cfg->language_code;
  if (strcmp (lang, "auto") && (st->features & ~supported (st, lang)))
    warn_language (st, lang, st->features & ~supported (st, lang));
  *state = st;
  return TRUE;
}

const MtEngine mt_comprehend_engine_local = {
  .backend = "local",
  .name = "local:comprehend",
  .features = MT_COMPREHEND_ALL_FEATURES,
  .start = local_start,
  .analyze = local_analyze,
  .stop = local_stop,
};
