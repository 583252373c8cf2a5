/* Written-form patterns for comprehend's local entities: DATE (calendar
 * dates in the usual English and numeric forms, weekdays, months, years
 * after a preposition, decades, times of day, relative days) and QUANTITY
 * (money, percentages, numbers with units, in digits or words). Part of
 * the `local:gazetteer` heuristic (local-gazetteer.c merges these with the
 * name lists). Regular expressions compiled once; matching is thread-safe. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "local.h"

#include "local-patterns.h"

/* Words of one entity are apart by horizontal space only (\h): a line
 * break ends an entity, as in a table ("March\n2024" are two cells).
 *
 * Full names first; an abbreviation may take a dot, a full name may not
 * (that dot ends the sentence). */
#define MONTH "(?:january|february|march|april|may|june|july|august|" \
  "september|october|november|december|" \
  "(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\\.?)"
#define WEEKDAY "(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)day"
#define DAY "(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?"
#define YEAR "(?:1[5-9][0-9]{2}|20[0-9]{2})"
#define NUMWORD "(?:one|two|three|four|five|six|seven|eight|nine|ten|" \
  "eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|" \
  "nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|" \
  "hundred|thousand|million|billion|a dozen|dozens of|several|a few)"
#define NUMBER "(?:[0-9]+(?:[.,][0-9]+)*|" NUMWORD "(?:[ -]" NUMWORD ")*)"
#define SCALE "(?:\\h?(?:thousand|million|billion|trillion|bn|m|k)\\b)?"
#define UNIT "(?:percent|per cent|%|kilomet(?:er|re)s?|km|miles?|mi|" \
  "met(?:er|re)s?|cm|mm|feet|foot|ft|inch(?:es)?|yards?|kilograms?|kg|" \
  "grams?|g|pounds?|lbs?|ounces?|oz|tonnes?|tons?|lit(?:er|re)s?|ml|" \
  "gallons?|hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|" \
  "months?|years?|decades?|centuries|century|mph|km/h|kph|degrees?|" \
  "°[cf]|gb|mb|tb|kb|ghz|mhz|kw|mw|kwh|watts?|volts?|acres?|hectares?|" \
  "people|persons|employees|workers|users|customers|students|children|" \
  "times|dollars?|euros?|cents?|yen|yuan|rupees?|pesos?|" \
  "pounds sterling|bitcoins?)"
#define CURRENCY "(?:\\$|€|£|¥|usd|eur|gbp|us\\$)"

static const struct
{
  const gchar *type;
  const gchar *rule;
  gdouble confidence;
  const gchar *pattern;
} specs[] = {
  /* March 5, 2024 / March 5th / Tuesday, March 5 */
  {"DATE", "date", 90, "\\b(?:" WEEKDAY ",?\\h)?" MONTH "\\h" DAY
        "(?:,?\\h" YEAR ")?\\b"},
  /* 5 March 2024 / the 5th of March */
  {"DATE", "date", 90, "\\b(?:the\\h)?" DAY "(?:\\hof)?\\h" MONTH
        "(?:,?\\h" YEAR ")?\\b"},
  /* March 2024 */
  {"DATE", "date", 85, "\\b" MONTH "\\h" YEAR "\\b"},
  /* 2024-03-05, 05/03/2024, 5.3.24 */
  {"DATE", "date", 90, "\\b(?:" YEAR "-[01]?[0-9]-[0-3]?[0-9]|"
        "[0-3]?[0-9][/.][01]?[0-9][/.](?:[0-9]{2}|" YEAR ")|"
        "[01]?[0-9]/[0-3]?[0-9]/(?:[0-9]{2}|" YEAR "))\\b"},
  /* weekdays, relative days and periods */
  {"DATE", "date", 80, "\\b(?:(?:last|next|this|every)\\h)?" WEEKDAY
        "(?:\\h(?:morning|afternoon|evening|night))?\\b"},
  {"DATE", "date", 80, "\\b(?:today|tomorrow|yesterday|tonight|"
        "(?:last|next|this|past|coming)\\h(?:week|month|year|decade|"
        "century|spring|summer|autumn|fall|winter|weekend|quarter))\\b"},
  /* in 1999, since 2010; the 1990s, the '90s */
  {"DATE", "date", 80, "\\b(?:in|since|by|of|from|until|till|to|"
        "before|after|during|around|circa)\\h(" YEAR ")\\b"},
  {"DATE", "date", 80, "\\b(?:1[5-9][0-9]0|20[0-9]0)s\\b|"
        "(?<=\\bthe\\h)'[0-9]0s\\b"},
  /* Q3 2024, the third quarter of 2023 */
  {"DATE", "date", 80, "\\bq[1-4]\\h" YEAR "\\b|\\bthe\\h(?:first|second|"
        "third|fourth)\\hquarter(?:\\hof\\h" YEAR ")?\\b"},
  /* in March, since January */
  {"DATE", "date", 70, "\\b(?:in|since|by|until|till|before|after|"
        "during|early|late|mid|last|next|this)\\h(" MONTH ")(?!\\w)"},
  /* 10:30, 5 pm, 10:30 a.m., noon, midnight */
  {"DATE", "time", 75, "\\b(?:[01]?[0-9]|2[0-3]):[0-5][0-9]"
        "(?:\\h?(?:a\\.?m\\.?|p\\.?m\\.?))?(?!\\w)|\\b(?:1[0-2]|0?[1-9])"
        "\\h?(?:a\\.m\\.|p\\.m\\.|am|pm)(?!\\w)|\\b(?:noon|midnight)\\b"},
  /* $5.2 million, €30, USD 300, 30 dollars */
  {"QUANTITY", "money", 90, "(?:" CURRENCY "\\h?[0-9]+(?:[.,][0-9]+)*"
        SCALE ")"},
  /* 45%, 3.5 km, two hours, 200 people, 5 million euros */
  {"QUANTITY", "quantity", 85, "\\b" NUMBER SCALE "\\h?" UNIT "(?![\\w])"},
};

static GRegex *regexes[G_N_ELEMENTS (specs)];

static void
compile_once (void)
{
  static gsize done = 0;
  guint i;

  if (!g_once_init_enter (&done))
    return;
  for (i = 0; i < G_N_ELEMENTS (specs); i++) {
    g_autoptr (GError) error = NULL;

    regexes[i] = g_regex_new (specs[i].pattern, G_REGEX_CASELESS
        | G_REGEX_OPTIMIZE, 0, &error);
    /* The patterns are constants: failing to compile is a bug here. */
    if (!regexes[i])
      g_error ("local-patterns: pattern %u: %s", i, error->message);
  }
  g_once_init_leave (&done, 1);
}

void
mt_pattern_entities (const gchar * text, gsize len, GArray * out)
{
  guint i;

  compile_once ();
  for (i = 0; i < G_N_ELEMENTS (specs); i++) {
    g_autoptr (GMatchInfo) m = NULL;

    g_regex_match_full (regexes[i], text, len, 0, 0, &m, NULL);
    while (g_match_info_matches (m)) {
      gint b, e;

      /* A pattern with a group names only that part (the year, not the
       * preposition before it). */
      guint group = g_match_info_get_match_count (m) > 1 ? 1 : 0;

      if (g_match_info_fetch_pos (m, group, &b, &e) && e > b) {
        MtEntity ent = { b, e, specs[i].type, specs[i].confidence,
          specs[i].rule
        };

        g_array_append_val (out, ent);
      }
      g_match_info_next (m, NULL);
    }
  }
}
