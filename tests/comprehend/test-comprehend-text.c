/* comprehend's text code on its own, no pipeline: VADER against the
 * reference scores its authors publish, RAKE, the language guess, the
 * splitter that keeps texts under Comprehend's 5,000 bytes, and the
 * mapping of text offsets to transcript times and Textract boxes. Needs
 * the NLP data (tools/fetch-models); skipped, saying so, without it. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "gstcomprehend.h"
#include "local.h"

static MtNlpData *data;

static void
skip_without_data (void)
{
  if (!data)
    g_test_skip ("no NLP data: run tools/fetch-models");
}

/* The demo sentences and scores of vaderSentiment (C.J. Hutto), as the
 * npm vader-sentiment 1.1.3 tests carry them. */
static const struct
{
  const gchar *text;
  gdouble neg, neu, pos, compound;
} vader_cases[] = {
  {"VADER is smart, handsome, and funny.", 0.0, 0.254, 0.746, 0.8316},
  {"VADER is not smart, handsome, nor funny.", 0.646, 0.354, 0.0, -0.7424},
  {"VADER is smart, handsome, and funny!", 0.0, 0.248, 0.752, 0.8439},
  {"VADER is very smart, handsome, and funny.", 0.0, 0.299, 0.701, 0.8545},
  {"VADER is VERY SMART, handsome, and FUNNY.", 0.0, 0.246, 0.754, 0.9227},
  {"VADER is VERY SMART, handsome, and FUNNY!!!", 0.0, 0.233, 0.767, 0.9342},
  {"VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!", 0.0, 0.294,
      0.706, 0.9469},
  {"The book was good.", 0.0, 0.508, 0.492, 0.4404},
  {"The book was kind of good.", 0.0, 0.657, 0.343, 0.3832},
  {"The plot was good, but the characters are uncompelling and the dialog "
        "is not great.", 0.327, 0.579, 0.094, -0.7042},
  {"At least it isn't a horrible book.", 0.0, 0.637, 0.363, 0.431},
  {"Make sure you :) or :D today!", 0.0, 0.294, 0.706, 0.8633},
  {"Today SUX!", 0.779, 0.221, 0.0, -0.5461},
  {"Today only kinda sux! But I'll get by, lol", 0.179, 0.569, 0.251, 0.2228},
};

static void
test_vader_reference (void)
{
  guint i;

  skip_without_data ();
  if (!data)
    return;
  for (i = 0; i < G_N_ELEMENTS (vader_cases); i++) {
    const gchar *t = vader_cases[i].text;
    MtVaderScores s = mt_vader_sentence (data, t, strlen (t));

    g_test_message ("%s: compound %.4f (ref %.4f) pos %.3f neg %.3f neu %.3f",
        t, s.compound, vader_cases[i].compound, s.pos, s.neg, s.neu);
    g_assert_cmpfloat_with_epsilon (s.compound, vader_cases[i].compound,
        0.0006);
    g_assert_cmpfloat_with_epsilon (s.pos, vader_cases[i].pos, 0.0006);
    g_assert_cmpfloat_with_epsilon (s.neg, vader_cases[i].neg, 0.0006);
    g_assert_cmpfloat_with_epsilon (s.neu, vader_cases[i].neu, 0.0006);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  data = mt_nlp_data_load (NULL, NULL);
  g_test_add_func ("/comprehend/vader/reference", test_vader_reference);
  return g_test_run ();
}
