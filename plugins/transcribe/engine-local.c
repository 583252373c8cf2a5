/* transcribesink's local engine: speech to text offline with pocketsphinx
 * (CMU Sphinx 5prealpha, Debian's libpocketsphinx) and its US English
 * model. A session engine (engine.h): audio is pushed as it comes, resampled
 * to the model's 16 kHz, split into utterances by pocketsphinx's own
 * voice-activity detection, and each utterance becomes one transcript
 * segment with its words, their times in ms of stream time and their
 * posterior probabilities as confidences.
 *
 * Decoding follows pocketsphinx_continuous (the same model, 2048 sample
 * steps and end-of-utterance rule, its settings but one: no second
 * flat-lexicon pass), so accuracy can be compared with the CLI on the same
 * files (tests/bench/bench-transcribe.py). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "engine-local.h"
#include "gsttranscribesink.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>

GST_DEBUG_CATEGORY_STATIC (transcribe_local_debug);
#define GST_CAT_DEFAULT transcribe_local_debug

#define ENGINE_NAME "local:pocketsphinx"

/* ------------------------------------------------------------------ */
/* Sample-rate conversion */

/* Zero crossings of the sinc on each side, at the lower of the two rates:
 * with the Kaiser window below, stop-band attenuation is about 80 dB,
 * well under what the recogniser's features can tell from silence. */
#define RS_ZEROS 16
#define RS_BETA 8.0
/* The pass band ends at this fraction of the lower Nyquist frequency
 * (7.5 kHz at 16 kHz, above the model's 6.8 kHz upper filter). */
#define RS_ROLLOFF 0.94
/* Kernel table points per input sample, linearly interpolated. */
#define RS_RES 256

struct _MtResampler
{
  gint in_rate, out_rate;       /* reduced by their gcd */
  gint half;                    /* kernel half-width, input samples */
  gfloat *table;                /* kernel at |d| = i / RS_RES */
  GArray *hist;                 /* gfloat input from index hist_start */
  guint64 hist_start;
  guint64 n_in;                 /* input samples pushed */
  guint64 ipos;                 /* next output at ipos + frac / out_rate */
  gint64 frac;
  gdouble image_gain;           /* mt_resampler_set_image_gain() */
};

static gdouble
bessel_i0 (gdouble x)
{
  gdouble sum = 1.0, term = 1.0;
  gint k;

  for (k = 1; k < 50; k++) {
    term *= (x / (2.0 * k)) * (x / (2.0 * k));
    sum += term;
    if (term < sum * 1e-12)
      break;
  }
  return sum;
}

static void
resampler_make_table (MtResampler * r, gdouble cutoff)
{
  gint i, n = r->half * RS_RES + 2;
  gdouble norm = bessel_i0 (RS_BETA);

  r->table = g_new (gfloat, n);
  for (i = 0; i < n; i++) {
    gdouble d = (gdouble) i / RS_RES, u = d / r->half, x = M_PI * cutoff * d;
    gdouble sinc = i == 0 ? 1.0 : sin (x) / x;
    gdouble w =
        u >= 1.0 ? 0.0 : bessel_i0 (RS_BETA * sqrt (1.0 - u * u)) / norm;

    r->table[i] = cutoff * sinc * w;
  }
}

MtResampler *
mt_resampler_new (gint in_rate, gint out_rate)
{
  MtResampler *r = g_new0 (MtResampler, 1);
  gint a = in_rate, b = out_rate;
  gdouble cutoff;

  g_return_val_if_fail (in_rate > 0 && out_rate > 0, NULL);
  while (b) {
    gint t = a % b;

    a = b;
    b = t;
  }
  r->in_rate = in_rate / a;
  r->out_rate = out_rate / a;
  /* Going down, the kernel widens so that it cuts below the new Nyquist. */
  cutoff = MIN (1.0, (gdouble) out_rate / in_rate) * RS_ROLLOFF;
  r->half = (gint) ceil (RS_ZEROS / cutoff);
  resampler_make_table (r, cutoff);
  r->hist = g_array_new (FALSE, FALSE, sizeof (gfloat));
  return r;
}

void
mt_resampler_set_image_gain (MtResampler * r, gdouble gain)
{
  g_return_if_fail (r->out_rate == 2 * r->in_rate);
  r->image_gain = CLAMP (gain, 0.0, 1.0);
}

void
mt_resampler_free (MtResampler * r)
{
  if (!r)
    return;
  g_free (r->table);
  g_array_unref (r->hist);
  g_free (r);
}

static inline gfloat
resampler_kernel (const MtResampler * r, gdouble d)
{
  gdouble x = fabs (d) * RS_RES;
  gint i = (gint) x;
  gdouble t = x - i;

  if (i >= r->half * RS_RES)
    return 0.0f;
  return (gfloat) (r->table[i] * (1.0 - t) + r->table[i + 1] * t);
}

/* One output sample at the current position; input outside what is kept
 * (before the start, after the end at flush) counts as silence. */
static gint16
resampler_output (const MtResampler * r)
{
  gdouble p = (gdouble) r->frac / r->out_rate, acc = 0.0;
  gint64 j;
  const gfloat *h = (const gfloat *) r->hist->data;

  for (j = (gint64) r->ipos - r->half + 1; j <= (gint64) r->ipos + r->half; j++) {
    if (j < (gint64) r->hist_start || j >= (gint64) (r->hist_start +
            r->hist->len))
      continue;
    acc += h[j - r->hist_start] * resampler_kernel (r,
        (gdouble) (j - (gint64) r->ipos) - p);
  }
  /* Zero insertion at twice the rate (each input sample doubled, zeros
   * between) is the band plus its mirror image; blend it with the clean
   * output to keep `image_gain` of the image. */
  if (r->image_gain > 0.0 && r->ipos >= r->hist_start
      && r->ipos < r->hist_start + r->hist->len)
    acc = (1.0 - r->image_gain) * acc + (r->frac == 0 ? r->image_gain * 2.0 *
        h[r->ipos - r->hist_start] : 0.0);
  else if (r->image_gain > 0.0)
    acc *= 1.0 - r->image_gain;
  return (gint16) CLAMP (lrint (acc), G_MININT16, G_MAXINT16);
}

static void
resampler_advance (MtResampler * r)
{
  r->ipos += r->in_rate / r->out_rate;
  r->frac += r->in_rate % r->out_rate;
  if (r->frac >= r->out_rate) {
    r->frac -= r->out_rate;
    r->ipos++;
  }
}

/* Drops the input no output needs any more. */
static void
resampler_trim (MtResampler * r)
{
  guint64 keep_from = r->ipos > (guint64) r->half ? r->ipos - r->half : 0;

  if (keep_from <= r->hist_start)
    return;
  keep_from = MIN (keep_from, r->hist_start + r->hist->len);
  g_array_remove_range (r->hist, 0, keep_from - r->hist_start);
  r->hist_start = keep_from;
}

void
mt_resampler_push (MtResampler * r, const gint16 * in, gsize n_in, GArray * out)
{
  gsize i;

  if (r->in_rate == r->out_rate) {
    g_array_append_vals (out, in, n_in);
    return;
  }
  for (i = 0; i < n_in; i++) {
    gfloat v = in[i];

    g_array_append_val (r->hist, v);
  }
  r->n_in += n_in;
  while (r->ipos + r->half < r->n_in) {
    gint16 s = resampler_output (r);

    g_array_append_val (out, s);
    resampler_advance (r);
  }
  resampler_trim (r);
}

void
mt_resampler_flush (MtResampler * r, GArray * out)
{
  while (r->in_rate != r->out_rate && r->ipos < r->n_in) {
    gint16 s = resampler_output (r);

    g_array_append_val (out, s);
    resampler_advance (r);
  }
  g_array_set_size (r->hist, 0);
  r->hist_start = r->n_in = r->ipos = 0;
  r->frac = 0;
}

/* ------------------------------------------------------------------ */
/* The recogniser */

/* What pocketsphinx_continuous reads per step; the end of an utterance is
 * checked after each step, as it does. */
#define STEP_SAMPLES 2048
/* Partial hypotheses at most this often (in samples at 16 kHz). */
#define PARTIAL_INTERVAL (MT_SPHINX_RATE / 2)
/* An utterance is ended after this long without a pause, so memory stays
 * bounded on audio that never falls silent (music, noise). */
#define MAX_UTTERANCE (45 * MT_SPHINX_RATE)
/* How much of the folded band 8 kHz input keeps (sphinx_set_rate). */
#define NARROWBAND_IMAGE_GAIN 0.5
/* The word error rate measured on 8 kHz speech that way (flite slt and
 * the LibriVox clips, downsampled), said to the user with the input. */
#define NARROWBAND_WER 31
/* A stream-time jump larger than this between buffers is a gap. */
#define DISCONT_TOLERANCE (40 * GST_MSECOND)

struct _MtSphinx
{
  ps_decoder_t *ps;
  MtResampler *resampler;       /* NULL at 16 kHz */
  gint in_rate;
  gint frate;                   /* feature frames per second */
  gchar *language;
  MtSphinxCallbacks cb;
  gpointer user_data;
  GArray *pcm;                  /* 16 kHz samples not yet decoded */
  /* Stream time of the first sample since ps_start_stream(), and the input
   * samples since then (to tell where the next buffer should start). */
  GstClockTime base;
  guint64 in_samples;
  gboolean utt_started;
  guint64 utt_samples;
  guint64 since_partial;
  gchar *last_partial;
  guint n_segments;
};

/* pocketsphinx logs to stderr unless told otherwise: into GStreamer's log,
 * with the last error kept per thread for the start-up error message. */
static GPrivate last_error = G_PRIVATE_INIT (g_free);

static void
sphinx_log (void *user_data, err_lvl_t level, const char *fmt, ...)
{
  va_list ap;
  g_autofree gchar *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_strchomp (msg);
  if (level >= ERR_ERROR) {
    GST_WARNING ("pocketsphinx: %s", msg);
    g_private_replace (&last_error, g_strdup (msg));
  } else if (level == ERR_WARN) {
    GST_INFO ("pocketsphinx: %s", msg);
  } else {
    GST_LOG ("pocketsphinx: %s", msg);
  }
}

static void
sphinx_init_once (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (transcribe_local_debug, "transcribelocal", 0,
        "transcribesink local engine (pocketsphinx)");
    err_set_callback (sphinx_log, NULL);
    /* ps_init() prints its whole configuration to the log file (stderr by
     * default), bypassing the callback. */
    err_set_logfp (NULL);
    g_once_init_leave (&done, 1);
  }
}

static const gchar *
default_model_dir (void)
{
  return MT_POCKETSPHINX_MODELDIR;
}

/* "en-us" (a model folder) -> "en-US". */
static gchar *
folder_to_code (const gchar * folder)
{
  gchar *code = g_strdup (folder), *dash = strchr (code, '-');

  if (dash)
    for (dash++; *dash; dash++)
      *dash = g_ascii_toupper (*dash);
  return code;
}

static gboolean
is_model_folder (const gchar * model_dir, const gchar * folder)
{
  g_autofree gchar *hmm = g_build_filename (model_dir, folder, folder, NULL);
  g_autofree gchar *lm_name = g_strconcat (folder, ".lm.bin", NULL);
  g_autofree gchar *lm = g_build_filename (model_dir, folder, lm_name, NULL);

  return g_file_test (hmm, G_FILE_TEST_IS_DIR) &&
      g_file_test (lm, G_FILE_TEST_IS_REGULAR);
}

gchar *
mt_sphinx_list_languages (const gchar * model_dir)
{
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) codes = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;

  model_dir = model_dir ? model_dir : default_model_dir ();
  dir = g_dir_open (model_dir, 0, NULL);
  while (dir && (name = g_dir_read_name (dir)))
    if (is_model_folder (model_dir, name))
      g_ptr_array_add (codes, folder_to_code (name));
  g_ptr_array_sort (codes, (GCompareFunc) g_strcmp0);
  g_ptr_array_add (codes, NULL);
  return g_strjoinv (", ", (gchar **) codes->pdata);
}

static cmd_ln_t *
sphinx_config (const gchar * model_dir, const gchar * language_code,
    GError ** error)
{
  g_autofree gchar *folder = g_ascii_strdown (language_code, -1);
  g_autofree gchar *lm_name = g_strconcat (folder, ".lm.bin", NULL);
  g_autofree gchar *dict_name = g_strconcat ("cmudict-", folder, ".dict",
      NULL);
  g_autofree gchar *hmm = g_build_filename (model_dir, folder, folder, NULL);
  g_autofree gchar *lm = g_build_filename (model_dir, folder, lm_name, NULL);
  g_autofree gchar *dict = g_build_filename (model_dir, folder, dict_name,
      NULL);

  if (!is_model_folder (model_dir, folder) ||
      !g_file_test (dict, G_FILE_TEST_IS_REGULAR)) {
    g_autofree gchar *installed = mt_sphinx_list_languages (model_dir);

    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "No pocketsphinx model for language-code %s: installed are %s "
        "(in %s). Set language-code to one of them, or use backend=aws",
        language_code, *installed ? installed : "none", model_dir);
    return NULL;
  }
  /* The CLI's defaults (the model's feat.params are read by ps_init())
   * but for the second, flat-lexicon pass: without it decoding takes a
   * third less CPU and was as accurate on flite voices and more on the
   * LibriVox clips (docs/elements/transcribesink.md). The lattice for word
   * confidences still comes from the first pass. */
  return cmd_ln_init (NULL, ps_args (), TRUE, "-hmm", hmm, "-lm", lm,
      "-dict", dict, "-samprate", G_STRINGIFY (MT_SPHINX_RATE),
      "-fwdflat", "no", NULL);
}

/* "word" must be in the dictionary already; "word:PH ON ES" is added with
 * that pronunciation. pocketsphinx 5prealpha has no letter-to-sound rules,
 * so an unknown word without phones cannot be added. */
static gboolean
add_vocabulary_word (ps_decoder_t * ps, const gchar * entry, gboolean last,
    GError ** error)
{
  g_auto (GStrv) parts = g_strsplit (entry, ":", 2);
  g_autofree gchar *word = g_ascii_strdown (g_strstrip (parts[0]), -1);
  const gchar *phones = parts[1] ? g_strstrip (parts[1]) : NULL;
  g_autofree gchar *known = NULL;

  if (!*word)
    return TRUE;
  known = ps_lookup_word (ps, word);
  if (!phones || !*phones) {
    if (known)
      return TRUE;
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Vocabulary word \"%s\" is not in the pocketsphinx dictionary and "
        "the local engine cannot guess a pronunciation: write it as "
        "\"%s:PH ON ES\" with phones of the model (as in cmudict)", word, word);
    return FALSE;
  }
  if (ps_add_word (ps, word, phones, last) < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Vocabulary word \"%s\" could not be added with phones \"%s\": use "
        "the model's phones (as in cmudict, e.g. \"HH AH L OW\")", word,
        phones);
    return FALSE;
  }
  GST_DEBUG ("added \"%s\" as %s", word, phones);
  return TRUE;
}

static gboolean
add_vocabulary (ps_decoder_t * ps, gchar ** vocabulary, GError ** error)
{
  guint i, n = vocabulary ? g_strv_length (vocabulary) : 0;

  for (i = 0; i < n; i++)
    if (!add_vocabulary_word (ps, vocabulary[i], i + 1 == n, error))
      return FALSE;
  return TRUE;
}

static void
sphinx_start_stream (MtSphinx * s, GstClockTime base)
{
  ps_start_stream (s->ps);
  ps_start_utt (s->ps);
  s->base = base;
  s->in_samples = 0;
  s->utt_started = FALSE;
  s->utt_samples = s->since_partial = 0;
}

static ps_decoder_t *
sphinx_decoder_new (cmd_ln_t * config, GError ** error)
{
  ps_decoder_t *ps;

  g_private_replace (&last_error, NULL);
  ps = ps_init (config);
  if (!ps)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "pocketsphinx could not load its model: %s",
        (const gchar *) g_private_get (&last_error) ?
        (const gchar *) g_private_get (&last_error) : "unknown error");
  return ps;
}

static gboolean
sphinx_set_rate (MtSphinx * s, gint rate)
{
  if (rate < 8000 || rate > 192000)
    return FALSE;
  mt_resampler_free (s->resampler);
  s->resampler = rate == MT_SPHINX_RATE ? NULL :
      mt_resampler_new (rate, MT_SPHINX_RATE);
  /* The 16 kHz model hears almost nothing of speech with an empty upper
   * band (8 kHz audio upsampled cleanly: 93 % word error on flite, 78 % on
   * LibriVox); half of the folded band brought that to 45 % and 35 %, the
   * best of the gains, filters and narrow-band feature settings measured
   * (docs/elements/transcribesink.md). */
  if (2 * rate == MT_SPHINX_RATE)
    mt_resampler_set_image_gain (s->resampler, NARROWBAND_IMAGE_GAIN);
  s->in_rate = rate;
  return TRUE;
}

MtSphinx *
mt_sphinx_new (const gchar * model_dir, const gchar * language_code,
    gint sample_rate, gchar ** vocabulary, const MtSphinxCallbacks * callbacks,
    gpointer user_data, GError ** error)
{
  g_autoptr (MtSphinx) s = g_new0 (MtSphinx, 1);
  cmd_ln_t *config;

  sphinx_init_once ();
  model_dir = model_dir ? model_dir : default_model_dir ();
  language_code = language_code ? language_code : "en-US";
  s->pcm = g_array_new (FALSE, FALSE, sizeof (gint16));
  s->language = g_strdup (language_code);
  s->cb = *callbacks;
  s->user_data = user_data;
  if (!sphinx_set_rate (s, sample_rate)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "Unsupported sample rate %d Hz", sample_rate);
    return NULL;
  }
  if (!(config = sphinx_config (model_dir, language_code, error)))
    return NULL;
  s->frate = cmd_ln_int32_r (config, "-frate");
  s->ps = sphinx_decoder_new (config, error);
  /* The decoder holds its own reference on the configuration. */
  cmd_ln_free_r (config);
  if (!s->ps || !add_vocabulary (s->ps, vocabulary, error))
    return NULL;
  sphinx_start_stream (s, 0);
  return g_steal_pointer (&s);
}

void
mt_sphinx_free (MtSphinx * s)
{
  if (!s)
    return;
  if (s->ps)
    ps_free (s->ps);
  mt_resampler_free (s->resampler);
  g_array_unref (s->pcm);
  g_free (s->language);
  g_free (s->last_partial);
  g_free (s);
}

guint
mt_sphinx_get_n_segments (MtSphinx * s)
{
  return s->n_segments;
}

static gboolean
is_filler (const gchar * word)
{
  return word[0] == '<' || word[0] == '[' || g_str_has_prefix (word, "++");
}

/* "read(2)" -> "read": the dictionary's alternate pronunciations. */
static gchar *
strip_alternate (const gchar * word)
{
  const gchar *paren = strrchr (word, '(');

  if (paren && paren != word && g_str_has_suffix (paren, ")") &&
      strspn (paren + 1, "0123456789") == strlen (paren + 1) - 1)
    return g_strndup (word, paren - word);
  return g_strdup (word);
}

static gint64
frame_to_ms (MtSphinx * s, gint frame)
{
  return (gint64) ((s->base + gst_util_uint64_scale_int (frame, GST_SECOND,
              s->frate)) / GST_MSECOND);
}

static JsonObject *
word_new (MtSphinx * s, ps_seg_t * seg, const gchar * word)
{
  JsonObject *w = json_object_new ();
  gint sf, ef;
  gdouble p = logmath_exp (ps_get_logmath (s->ps), ps_seg_prob (seg, NULL,
          NULL, NULL));

  ps_seg_frames (seg, &sf, &ef);
  json_object_set_string_member (w, "word", word);
  json_object_set_int_member (w, "start", frame_to_ms (s, sf));
  /* ef is the word's last frame: it ends where the next one starts. */
  json_object_set_int_member (w, "end", frame_to_ms (s, ef + 1));
  json_object_set_double_member (w, "confidence",
      round (CLAMP (p, 0.0, 1.0) * 10000.0) / 100.0);
  return w;
}

/* The words of the current utterance (the best path once it has ended, the
 * best so far while it goes on) as a segment document, or NULL when it
 * holds none (silence, noise, breath). */
static JsonObject *
sphinx_segment (MtSphinx * s)
{
  g_autoptr (JsonArray) words = json_array_new ();
  g_autoptr (GString) text = g_string_new (NULL);
  gdouble conf = 0.0;
  ps_seg_t *seg;
  JsonObject *first, *last;
  guint n;

  for (seg = ps_seg_iter (s->ps); seg; seg = ps_seg_next (seg)) {
    const gchar *raw = ps_seg_word (seg);
    g_autofree gchar *word = NULL;
    JsonObject *w;

    if (!raw || is_filler (raw))
      continue;
    word = strip_alternate (raw);
    w = word_new (s, seg, word);
    conf += json_object_get_double_member (w, "confidence");
    g_string_append_printf (text, "%s%s", text->len ? " " : "", word);
    json_array_add_object_element (words, w);
  }
  if (!(n = json_array_get_length (words)))
    return NULL;
  first = json_array_get_object_element (words, 0);
  last = json_array_get_object_element (words, n - 1);
  return mt_transcript_segment_new (ENGINE_NAME, text->str,
      json_object_get_int_member (first, "start"),
      json_object_get_int_member (last, "end"), round (conf / n * 100) / 100,
      s->language, NULL,
      words, NULL);
}

static void
sphinx_end_utterance (MtSphinx * s)
{
  JsonObject *segment;

  ps_end_utt (s->ps);
  if (s->utt_started && (segment = sphinx_segment (s))) {
    s->n_segments++;
    s->cb.segment (segment, s->user_data);
  }
  s->utt_started = FALSE;
  s->utt_samples = s->since_partial = 0;
  g_clear_pointer (&s->last_partial, g_free);
}

static void
sphinx_post_partial (MtSphinx * s)
{
  g_autoptr (JsonObject) partial = NULL;
  const gchar *text;

  s->since_partial = 0;
  if (!s->cb.partial || !(partial = sphinx_segment (s)))
    return;
  text = json_object_get_string_member (partial, "text");
  if (!g_strcmp0 (text, s->last_partial))
    return;
  g_free (s->last_partial);
  s->last_partial = g_strdup (text);
  s->cb.partial (partial, s->user_data);
}

/* One step as pocketsphinx_continuous does it: process, then end the
 * utterance when the detector has gone from speech back to silence. */
static gboolean
sphinx_step (MtSphinx * s, const gint16 * samples, gsize n, GError ** error)
{
  gboolean in_speech;

  if (ps_process_raw (s->ps, samples, n, FALSE, FALSE) < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "pocketsphinx failed to decode: %s",
        (const gchar *) g_private_get (&last_error));
    return FALSE;
  }
  in_speech = ps_get_in_speech (s->ps);
  if (in_speech && !s->utt_started)
    s->utt_started = TRUE;
  if (s->utt_started) {
    s->utt_samples += n;
    s->since_partial += n;
  }
  if (s->utt_started && (!in_speech || s->utt_samples >= MAX_UTTERANCE)) {
    sphinx_end_utterance (s);
    ps_start_utt (s->ps);
  } else if (s->utt_started && s->since_partial >= PARTIAL_INTERVAL) {
    sphinx_post_partial (s);
  }
  return TRUE;
}

/* Decodes the whole steps gathered; `all` also the last, shorter one. */
static gboolean
sphinx_decode (MtSphinx * s, gboolean all, GError ** error)
{
  gsize done = 0;
  const gint16 *pcm = (const gint16 *) s->pcm->data;

  while (s->pcm->len - done >= STEP_SAMPLES || (all && done < s->pcm->len)) {
    gsize n = MIN (STEP_SAMPLES, s->pcm->len - done);

    if (!sphinx_step (s, pcm + done, n, error))
      return FALSE;
    done += n;
  }
  g_array_remove_range (s->pcm, 0, done);
  return TRUE;
}

static GstClockTime
sphinx_expected_time (MtSphinx * s)
{
  return s->base + gst_util_uint64_scale_int (s->in_samples, GST_SECOND,
      s->in_rate);
}

/* Brings input to 16 kHz into s->pcm; no samples: the resampler's last. */
static void
sphinx_convert (MtSphinx * s, const gint16 * samples, gsize n)
{
  if (!s->resampler)
    g_array_append_vals (s->pcm, samples, n);
  else if (samples)
    mt_resampler_push (s->resampler, samples, n, s->pcm);
  else
    mt_resampler_flush (s->resampler, s->pcm);
}

/* Decodes everything pushed and ends the utterance going, then starts a
 * new stream where this one ended. */
static gboolean
sphinx_drain (MtSphinx * s, GError ** error)
{
  sphinx_convert (s, NULL, 0);
  if (!sphinx_decode (s, TRUE, error))
    return FALSE;
  sphinx_end_utterance (s);
  sphinx_start_stream (s, sphinx_expected_time (s));
  return TRUE;
}

gboolean
mt_sphinx_process (MtSphinx * s, const gint16 * samples, gsize n,
    GstClockTime stream_time, GError ** error)
{
  GstClockTimeDiff jump = 0;

  if (s->in_samples > 0 && GST_CLOCK_TIME_IS_VALID (stream_time))
    jump = GST_CLOCK_DIFF (sphinx_expected_time (s), stream_time);
  if (ABS (jump) > (GstClockTimeDiff) DISCONT_TOLERANCE) {
    /* A gap or a seek: what was heard so far ends here, and times start
     * over from the new position. */
    GST_DEBUG ("stream time jumps by %" GST_STIME_FORMAT,
        GST_STIME_ARGS (jump));
    if (!sphinx_drain (s, error))
      return FALSE;
  }
  if (s->in_samples == 0 && GST_CLOCK_TIME_IS_VALID (stream_time))
    s->base = stream_time;
  s->in_samples += n;
  sphinx_convert (s, samples, n);
  return sphinx_decode (s, FALSE, error);
}

gboolean
mt_sphinx_finish (MtSphinx * s, GError ** error)
{
  return sphinx_drain (s, error);
}

/* ------------------------------------------------------------------ */
/* The engine */

typedef struct
{
  const MtEngineContext *ctx;
  MtSphinx *sphinx;
  gint rate;
} LocalState;

static void
on_segment (JsonObject * segment, gpointer user_data)
{
  LocalState *st = user_data;
  g_autoptr (GPtrArray) results =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  g_ptr_array_add (results, segment);
  mt_engine_context_emit (st->ctx, results);
}

static void
on_partial (JsonObject * partial, gpointer user_data)
{
  LocalState *st = user_data;

  mt_engine_context_post_partial (st->ctx, partial);
}

/* What the local engine cannot do is said once, at start, not silently
 * ignored. */
static void
warn_unsupported (const MtEngineContext * ctx, const MtTranscribeConfig * cfg)
{
  const gchar *what[8];
  guint n = 0;
  g_autofree gchar *list = NULL;

  if (cfg->mode == MT_TRANSCRIBE_MODE_BATCH)
    what[n++] = "mode=batch";
  if (cfg->identify_language)
    what[n++] = "identify-language";
  if (cfg->vocabulary_name)
    what[n++] = "vocabulary-name";
  if (cfg->vocabulary_filter_name)
    what[n++] = "vocabulary-filter-name";
  if (cfg->language_model_name)
    what[n++] = "language-model-name";
  if (cfg->show_speaker_labels)
    what[n++] = "show-speaker-labels";
  if (!n)
    return;
  what[n] = NULL;
  list = g_strjoinv (", ", (gchar **) what);
  GST_ELEMENT_WARNING (ctx->element, LIBRARY, SETTINGS,
      ("The local speech engine ignores %s: it needs backend=aws", list),
      ("pocketsphinx decodes in one pass with its own model, in one "
          "language, without speaker labels"));
}

/* Telephone audio decodes, but far worse than wide-band speech: the user
 * hears it once, at start, with the figure measured. */
static void
warn_narrowband (const MtEngineContext * ctx, gint rate)
{
  if (rate >= MT_SPHINX_RATE)
    return;
  if (2 * rate == MT_SPHINX_RATE)
    GST_ELEMENT_WARNING (ctx->element, STREAM, FORMAT,
        ("8 kHz audio: offline accuracy is low (measured ~%d %% word error "
            "rate); backend=aws is better for calls", NARROWBAND_WER),
        ("the pocketsphinx en-us model is trained on 16 kHz speech; the "
            "empty 4-8 kHz band is filled by spectral folding"));
  else
    GST_ELEMENT_WARNING (ctx->element, STREAM, FORMAT,
        ("%d Hz audio: offline accuracy is lower than at 16 kHz; "
            "backend=aws is better for narrow-band speech", rate),
        ("the pocketsphinx en-us model is trained on 16 kHz speech"));
}

static gboolean
local_start (const MtEngineContext * ctx, gpointer * state, GError ** error)
{
  const MtTranscribeConfig *cfg = ctx->config;
  static const MtSphinxCallbacks callbacks = { on_segment, on_partial };
  LocalState *st = g_new0 (LocalState, 1);

  sphinx_init_once ();
  st->ctx = ctx;
  st->rate = cfg->sample_rate > 0 ? cfg->sample_rate : MT_SPHINX_RATE;
  st->sphinx = mt_sphinx_new (NULL, cfg->language_code, st->rate,
      cfg->vocabulary_words, &callbacks, st, error);
  if (!st->sphinx) {
    g_free (st);
    return FALSE;
  }
  warn_unsupported (ctx, cfg);
  warn_narrowband (ctx, st->rate);
  GST_INFO_OBJECT (ctx->element, "pocketsphinx %s model loaded, input at "
      "%d Hz%s", cfg->language_code, st->rate,
      st->rate == MT_SPHINX_RATE ? "" : ", resampled to 16 kHz");
  *state = st;
  return TRUE;
}

static gint
unit_rate (const MtUnit * unit, gint fallback)
{
  gint rate = 0;

  if (unit->caps && gst_caps_get_size (unit->caps) > 0)
    gst_structure_get_int (gst_caps_get_structure (unit->caps, 0), "rate",
        &rate);
  return rate > 0 ? rate : fallback;
}

static gboolean
process_s16le (MtSphinx * s, const guint8 * data, gsize size,
    GstClockTime stream_time, GError ** error)
{
  gsize n = size / sizeof (gint16);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  return mt_sphinx_process (s, (const gint16 *) data, n, stream_time, error);
#else
  g_autofree gint16 *samples = g_new (gint16, n);
  gsize i;

  for (i = 0; i < n; i++)
    samples[i] = GINT16_FROM_LE (((const gint16 *) data)[i]);
  return mt_sphinx_process (s, samples, n, stream_time, error);
#endif
}

static gboolean
local_push (gpointer state, const MtEngineContext * ctx, const MtUnit * unit,
    GCancellable * cancellable, GError ** error)
{
  LocalState *st = state;
  GstMapInfo map;
  gint rate = unit_rate (unit, st->rate);
  gboolean ok;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (rate != st->rate) {
    /* New caps mid-stream: finish what was heard at the old rate. */
    if (!mt_sphinx_finish (st->sphinx, error))
      return FALSE;
    sphinx_set_rate (st->sphinx, rate);
    st->rate = rate;
  }
  if (!unit->buffer || !gst_buffer_map (unit->buffer, &map, GST_MAP_READ))
    return TRUE;
  ok = process_s16le (st->sphinx, map.data, map.size, unit->stream_time, error);
  gst_buffer_unmap (unit->buffer, &map);
  return ok;
}

static gboolean
local_drain (gpointer state, const MtEngineContext * ctx,
    GCancellable * cancellable, GError ** error)
{
  LocalState *st = state;

  if (!mt_sphinx_finish (st->sphinx, error))
    return FALSE;
  if (mt_sphinx_get_n_segments (st->sphinx) == 0)
    GST_ELEMENT_INFO (ctx->element, STREAM, DECODE, ("No speech found"),
        ("pocketsphinx heard no words in the audio"));
  return TRUE;
}

static void
local_stop (gpointer state)
{
  LocalState *st = state;

  mt_sphinx_free (st->sphinx);
  g_free (st);
}

const MtEngine mt_transcribe_engine_local = {
  .backend = "local",
  .name = ENGINE_NAME,
  .start = local_start,
  .push = local_push,
  .drain = local_drain,
  .stop = local_stop,
};
