/* The local transcription engine's parts, private to engine-local.c and its
 * test (tests/transcribe/test-transcribe-local.c): a sample-rate converter
 * to the 16 kHz the pocketsphinx model was trained on, and the recogniser
 * that turns 16-bit mono audio into transcript segment documents. The
 * engine (mt_transcribe_engine_local) is the glue between these and the
 * analysis-sink base. */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The rate the en-us acoustic model was trained on. */
#define MT_SPHINX_RATE 16000

/* A windowed-sinc (Kaiser) converter from any rate to any other, with the
 * input low-pass filtered below the lower Nyquist frequency. Output sample
 * k is the input interpolated at time k / out_rate exactly (the filter is
 * centred, not causal), so times computed from output sample counts need
 * no delay correction. */
typedef struct _MtResampler MtResampler;

MtResampler *mt_resampler_new (gint in_rate, gint out_rate);
void mt_resampler_free (MtResampler * r);
/* Appends to `out` (a GArray of gint16) every output sample that the input
 * so far determines. */
void mt_resampler_push (MtResampler * r, const gint16 * in, gsize n_in,
    GArray * out);
/* End of input: appends the remaining output samples, then starts over. */
void mt_resampler_flush (MtResampler * r, GArray * out);
/* Doubling the rate only: keep `gain` (0-1) of the mirror image of the
 * input's band that plain zero insertion makes above the old Nyquist
 * frequency, instead of filtering it all out. Narrow-band speech then has
 * energy in the upper band that a wide-band model expects (spectral
 * folding); 0, the default, is a clean conversion. */
void mt_resampler_set_image_gain (MtResampler * r, gdouble gain);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtResampler, mt_resampler_free)

/* The recogniser: pocketsphinx with its own voice-activity detection, one
 * segment document (mt_transcript_segment_new) per utterance, words with
 * times in ms of stream time and 0-100 confidences, fillers dropped. */
typedef struct _MtSphinx MtSphinx;

typedef struct {
  /* A finished segment (transfer full). */
  void (*segment) (JsonObject * segment, gpointer user_data);
  /* The current hypothesis of an utterance still going (transfer none). */
  void (*partial) (JsonObject * partial, gpointer user_data);
} MtSphinxCallbacks;

/* Loads the model for `language_code` ("en-US") from `model_dir` (NULL:
 * the pocketsphinx default). Fails with G_IO_ERROR_NOT_FOUND naming the
 * installed languages when there is none for it. `vocabulary`: words to
 * make sure the dictionary has, each "word" (must be known) or
 * "word:PH ON ES" (added with that pronunciation). */
MtSphinx *mt_sphinx_new (const gchar * model_dir, const gchar * language_code,
    gint sample_rate, gchar ** vocabulary, const MtSphinxCallbacks * callbacks,
    gpointer user_data, GError ** error);
void mt_sphinx_free (MtSphinx * s);

/* Decodes `n` samples whose first one is at `stream_time` (NONE: right
 * after the previous ones). A jump in stream time ends the utterance going
 * and starts the times over from the new one. */
gboolean mt_sphinx_process (MtSphinx * s, const gint16 * samples, gsize n,
    GstClockTime stream_time, GError ** error);
/* End of stream: finishes the last utterance. */
gboolean mt_sphinx_finish (MtSphinx * s, GError ** error);
/* The number of segments emitted so far. */
guint mt_sphinx_get_n_segments (MtSphinx * s);
/* The languages installed under `model_dir` (NULL: the default), as
 * language codes ("en-US"), comma-separated. */
gchar *mt_sphinx_list_languages (const gchar * model_dir);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtSphinx, mt_sphinx_free)

G_END_DECLS
