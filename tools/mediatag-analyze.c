/* mediatag analyze: the main job. Checks every option before any work,
 * looks at each input's own bytes (mediatag-probe.c: the format by content,
 * an image's size before decoding it, a local file cut short), probes the
 * rest with GstDiscoverer, builds the graph that analyses it out of
 * mediatag's elements — written as a launch line, so what runs is what a
 * user could type themselves (--print-pipeline) — runs it with a progress
 * bar, and writes the results: <asset>.jsonl per asset, WebVTT tracks for
 * video, and a summary table.
 *
 * A failure is never reported as success. Results are written to
 * "<asset>.jsonl.part" while the graph runs and renamed to "<asset>.jsonl"
 * only when the whole asset was analysed; when it was not (the media ends
 * before its stated duration or end, a decoder complained, the graph
 * failed, or a signal stopped it) they are kept as
 * "<asset>.incomplete.jsonl" with ".incomplete.vtt" tracks. Units that
 * failed (error documents) are counted and named with their API action and
 * service code. The exit status says which of these happened (mediatag.h). */
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "analysissink.h"
#include "framecapture.h"
#include "mediatag.h"
#include "mediatag-analyze.h"
#include "mediatag-branches.h"
#include "mediatag-probe.h"
#include "mediatag-report.h"
#include "mediatag-thumbs.h"
#include "mediatag-summary.h"

#define VISION_ELEMENT "rekognitionsink"
#define SPEECH_ELEMENT "transcribesink"
#define DOCUMENT_ELEMENT "textractsink"
#define DOCUMENT_MESSAGE "textractsink-document"
#define SUMMARY_MESSAGE "mediatag-summary"
#define DEFAULT_MAX_PIXELS G_GUINT64_CONSTANT (80000000)
#define PROBE_TIMEOUT (30 * GST_SECOND)

typedef enum {
  MEDIA_VIDEO,
  MEDIA_IMAGE,
  MEDIA_AUDIO,
  MEDIA_DOCUMENT,
} MediaKind;

static const gchar *media_kind_names[] = { "video", "image", "audio",
  "document"
};

typedef struct {
  gchar *features;
  gchar *frame_capture_mode;
  gchar *min_confidence;
  gchar *backend;
  gchar *ai_options;
  gchar *out_dir;
  gchar *opensearch;
  gchar *pdf_password_file;
  gchar *pdf_password;          /* read from it; never in a launch line */
  gchar *collection_id;
  gchar *custom_label_models;
  gchar *text_roi;
  gchar *max_pixels_text;
  gchar *max_tps_text;
  guint64 max_pixels;
  gboolean print_pipeline;
  gboolean dry_run;
  gboolean quiet;
  gboolean no_summary;
  gboolean no_thumbnails;
  gboolean report;
  /* Looked up once the options are valid. */
  gchar *default_action;        /* the API action of a single feature */
  gboolean sink_has_max_pixels;
  MtBranchOptions branches;     /* speech, documents, comprehend */
} AnalyzeOptions;

/* One input, from its command-line form to its output names. */
typedef struct {
  const gchar *input;
  gchar *uri;
  gchar *name;                  /* output base name, unique in the run */
  GError *error;                /* the input cannot be analysed */
} Asset;

typedef enum {
  ASSET_DONE,                   /* analysed whole, every unit succeeded */
  ASSET_PARTIAL,                /* results kept, but not all of it */
  ASSET_FAILED,                 /* nothing analysed */
  ASSET_UNSUPPORTED,            /* not media mediatag reads (a failure here;
                                 * batch lists it as skipped) */
  ASSET_CANNOT_RUN,             /* nothing asked for can run: stop the run */
} AssetStatus;

typedef struct {
  GMainLoop *loop;
  GstElement *pipeline;
  const gchar *thumbs_dir;      /* NULL: no thumbnails kept */
  gboolean failed;
  gchar *error_text;
  gchar *media_problem;         /* a decoder or demuxer warned */
  gchar *output_problem;        /* a sink after the analysis warned */
  gchar *not_analysed;          /* features the engine cannot do */
  gboolean none_can_run;
  gchar *engine;                /* the engines the elements picked */
  guint64 requested;            /* features asked for (flags) */
  guint units;                  /* units analysed, of every element */
  guint frames;                 /* units of the vision element */
  guint segments;               /* units of the speech element */
  guint pages;                  /* pages textractsink analysed */
  guint pages_total;            /* pages it announced (document messages) */
  guint whole_pages;            /* pages of a document sent as one unit */
  gboolean document;            /* a PDF or TIFF: progress in pages */
  GstClockTime analysed;        /* media time of the last analysed frame */
  GstClockTime duration;
  GMutex lock;
  GstClockTime decoded;         /* end of the last decoded buffer */
  GstClockTime heard;           /* end of the audio speech analysis took */
  gboolean progress;
  gint64 started;
  MtRunTotals totals;
  const gchar *pdf_password;     /* for textractsink, set after parsing */
} RunState;

/* Signals stop the whole run: the first drains what is in flight, the
 * second stops at once. Either way no half file gets a final name. The
 * graphs running (several with mediatag batch --jobs) are in `running`,
 * under `lock`. */
static struct {
  gint signo;
  guint count;
  GMutex lock;
  GPtrArray *running;
} stop;

static GFlagsClass *features_class;

static void
analyze_options_clear (AnalyzeOptions * o)
{
  g_free (o->features);
  g_free (o->frame_capture_mode);
  g_free (o->min_confidence);
  g_free (o->backend);
  g_free (o->ai_options);
  g_free (o->out_dir);
  g_free (o->opensearch);
  g_free (o->pdf_password_file);
  if (o->pdf_password)
    memset (o->pdf_password, 0, strlen (o->pdf_password));
  g_free (o->pdf_password);
  g_free (o->collection_id);
  g_free (o->custom_label_models);
  g_free (o->text_roi);
  g_free (o->max_pixels_text);
  g_free (o->max_tps_text);
  g_free (o->default_action);
  mt_branch_options_clear (&o->branches);
}

static void
format_time (GstClockTime t, gchar * buf, gsize len)
{
  guint64 ds = GST_CLOCK_TIME_IS_VALID (t) ? t / (GST_SECOND / 10) : 0;

  g_snprintf (buf, len, "%" G_GUINT64_FORMAT ":%02u.%u", ds / 600,
      (guint) (ds / 10 % 60), (guint) (ds % 10));
}

/* ---- signals ---------------------------------------------------------- */

static void
send_eos_to_sink_pad (GstElement * element, gpointer unused)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (element, "sink");

  if (pad)
    gst_pad_send_event (pad, gst_event_new_eos ());
}

/* An EOS sent to the pipeline waits behind every frame the queues and
 * the decoder hold (seconds of video, minutes of analysis with every
 * frame sampled), longer than a scheduler's grace period between
 * SIGTERM and SIGKILL (Kubernetes: 30 s). So the first analysis element
 * of each branch gets its EOS at once too: it finishes the units it has
 * taken and refuses what comes after. Elements fed by another analysis
 * element (comprehend after transcribesink) wait for that one's EOS, so
 * its last results are still analysed. Sent from GStreamer's thread
 * pool (gst_element_call_async), as it waits for the pad's stream lock,
 * which the element holds while a unit waits for room. */
static void
drain_analysis_now (GstElement * pipeline)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&item);
    g_autoptr (GstPad) pad = gst_element_get_static_pad (e, "sink");
    g_autoptr (GstPad) peer = pad ? gst_pad_get_peer (pad) : NULL;
    g_autoptr (GstElement) up = peer ? gst_pad_get_parent_element (peer) : NULL;

    if (MT_IS_ANALYSIS_SINK (e) && !(up && MT_IS_ANALYSIS_SINK (up)))
      gst_element_call_async (e, send_eos_to_sink_pad, NULL, NULL);
    g_value_reset (&item);
  }
  g_value_unset (&item);
}

static void
stop_running (gboolean at_once)
{
  guint i;

  g_mutex_lock (&stop.lock);
  for (i = 0; stop.running && i < stop.running->len; i++) {
    RunState *st = g_ptr_array_index (stop.running, i);

    /* EOS drains the analysis elements: every unit already taken is
     * analysed and its results written before the pipeline stops. */
    if (at_once) {
      g_main_loop_quit (st->loop);
    } else {
      gst_element_send_event (st->pipeline, gst_event_new_eos ());
      drain_analysis_now (st->pipeline);
    }
  }
  g_mutex_unlock (&stop.lock);
}

void
mt_analyze_stop (gint signo)
{
  if (!stop.signo)
    stop.signo = signo;
  stop.count++;
  if (stop.count > 1) {
    fprintf (stderr, "\nmediatag: %s again: stopping at once\n",
        g_strsignal (signo));
    stop_running (TRUE);
    return;
  }
  fprintf (stderr, "\nmediatag: %s: finishing what is in flight (send it "
      "again to stop at once)\n", g_strsignal (signo));
  stop_running (FALSE);
}

gint
mt_analyze_stopped (void)
{
  return stop.signo;
}

static gboolean
on_signal (gpointer data)
{
  mt_analyze_stop (GPOINTER_TO_INT (data));
  return G_SOURCE_CONTINUE;
}

static void
set_running (RunState * st, gboolean running)
{
  g_mutex_lock (&stop.lock);
  if (!stop.running)
    stop.running = g_ptr_array_new ();
  if (running)
    g_ptr_array_add (stop.running, st);
  else
    g_ptr_array_remove_fast (stop.running, st);
  g_mutex_unlock (&stop.lock);
}

static void
watch_signals (guint ids[3])
{
  static const gint signals[] = { SIGINT, SIGTERM, SIGHUP };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (signals); i++)
    ids[i] = g_unix_signal_add (signals[i], on_signal,
        GINT_TO_POINTER (signals[i]));
}

/* Signals arrive through the default main context: look at them between
 * the steps that do not run it (probing). */
static gboolean
stop_requested (void)
{
  while (g_main_context_iteration (NULL, FALSE));
  return stop.signo != 0;
}

/* ---- input ------------------------------------------------------------ */

/* A local path becomes a file:// URI; s3:// and other URIs pass through.
 * The system's own words say why a path cannot be read (a symlink loop is
 * not "no such file"). */
static gchar *
input_to_uri (const gchar * input, GError ** error)
{
  g_autofree gchar *abs = NULL;
  GStatBuf st;
  int fd;

  if (gst_uri_is_valid (input) && !g_str_has_prefix (input, "file:"))
    return g_strdup (input);
  if (g_str_has_prefix (input, "file:"))
    abs = g_filename_from_uri (input, NULL, error);
  else
    abs = g_canonicalize_filename (input, NULL);
  if (!abs)
    return NULL;
  if (g_stat (abs, &st) != 0 || (fd = g_open (abs, O_RDONLY, 0)) < 0) {
    int e = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
        "%s: %s", input, e == ENOENT ? "no such file" : g_strerror (e));
    return NULL;
  }
  close (fd);
  if (S_ISDIR (st.st_mode)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR,
        "%s: is a directory, not a media file", input);
    return NULL;
  }
  return gst_filename_to_uri (abs, error);
}

/* "clip" for file:///a/b/clip.mp4 or s3://bucket/dir/clip.mp4 */
static gchar *
asset_name_for_uri (const gchar * uri)
{
  g_autofree gchar *unescaped = g_uri_unescape_string (uri, NULL);
  const gchar *s = unescaped ? unescaped : uri;
  const gchar *slash = strrchr (s, '/');
  g_autofree gchar *base = g_strdup (slash ? slash + 1 : s);
  gchar *dot = strrchr (base, '.');

  if (dot && dot != base)
    *dot = '\0';
  if (!*base)
    return g_strdup ("asset");
  g_strdelimit (base, "/\\:", '_');
  return g_steal_pointer (&base);
}

/* Output names: the plain name when no other asset of the run has it
 * (compared without case, for case-insensitive file systems), else the
 * name and the first 8 hex digits of the SHA-256 of the asset's URI, so
 * a/dog.jpg and s3://b/dog.jpg never overwrite each other and a rerun of
 * the same inputs finds the same files. */
static void
assign_names (GPtrArray * assets)
{
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  guint i;

  for (i = 0; i < assets->len; i++) {
    Asset *a = g_ptr_array_index (assets, i);
    gchar *key;

    if (!a->uri)
      continue;
    a->name = asset_name_for_uri (a->uri);
    key = g_utf8_casefold (a->name, -1);
    g_hash_table_insert (counts, key,
        GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts,
                    key)) + 1));
  }
  for (i = 0; i < assets->len; i++) {
    Asset *a = g_ptr_array_index (assets, i);
    g_autofree gchar *key = NULL;
    g_autofree gchar *hash = NULL;
    gchar *named;

    if (!a->uri)
      continue;
    key = g_utf8_casefold (a->name, -1);
    if (GPOINTER_TO_UINT (g_hash_table_lookup (counts, key)) < 2)
      continue;
    hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, a->uri, -1);
    named = g_strdup_printf ("%s-%.8s", a->name, hash);
    g_free (a->name);
    a->name = named;
  }
}

static void
asset_free (Asset * a)
{
  g_free (a->uri);
  g_free (a->name);
  g_clear_error (&a->error);
  g_free (a);
}

/* Every input resolved before any is analysed; the same asset named twice
 * is analysed once. */
static GPtrArray *
collect_assets (int argc, char **argv)
{
  GPtrArray *assets = g_ptr_array_new_with_free_func ((GDestroyNotify)
      asset_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  int i;

  for (i = 1; i < argc; i++) {
    Asset *a = g_new0 (Asset, 1);

    a->input = argv[i];
    a->uri = input_to_uri (argv[i], &a->error);
    if (a->uri && g_hash_table_contains (seen, a->uri)) {
      fprintf (stderr, "mediatag: %s: named more than once; analysed once\n",
          argv[i]);
      asset_free (a);
      continue;
    }
    if (a->uri)
      g_hash_table_add (seen, a->uri);
    g_ptr_array_add (assets, a);
  }
  assign_names (assets);
  return assets;
}

/* ---- probing ---------------------------------------------------------- */

typedef struct {
  MediaKind kind;
  GstClockTime duration;
  gboolean has_audio;
  gchar *truncated;             /* what mediatag-probe.c found missing */
  const gchar *decoder;         /* the image's decoder; NULL: decodebin */
  const gchar *format;          /* mediatag-probe.c's name of it, or NULL */
} Probe;

static void
probe_clear (Probe * p)
{
  g_clear_pointer (&p->truncated, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Probe, probe_clear)

static gboolean
check_pixels (guint64 w, guint64 h, const gchar * what, guint64 max,
    GError ** error)
{
  if (!max || w * h <= max)
    return TRUE;
  g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
      "%s is %" G_GUINT64_FORMAT "x%" G_GUINT64_FORMAT " (%.1f Mpx), above "
      "the limit of %.1f Mpx: refused before decoding it, as decoding would "
      "take %.1f GB of memory (--max-pixels raises the limit)", what, w, h,
      w * h / 1e6, max / 1e6, w * h * 4 / 1e9);
  return FALSE;
}

static void
set_discoverer_error (GstDiscovererInfo * info, GError * derr,
    GError ** error)
{
  GstDiscovererResult res = info ? gst_discoverer_info_get_result (info)
      : GST_DISCOVERER_ERROR;

  if (res == GST_DISCOVERER_MISSING_PLUGINS) {
    const gchar **details =
        gst_discoverer_info_get_missing_elements_installer_details (info);

    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_TYPE_NOT_FOUND,
        "not a media file mediatag can read (%s)",
        details && details[0] ? details[0] : "unknown format");
  } else if (res == GST_DISCOVERER_TIMEOUT) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
        "timed out probing the media");
  } else if (derr && (g_error_matches (derr, GST_STREAM_ERROR,
              GST_STREAM_ERROR_WRONG_TYPE) || g_error_matches (derr,
              GST_STREAM_ERROR, GST_STREAM_ERROR_TYPE_NOT_FOUND))) {
    /* typefind's own words, e.g. "This appears to be a text file". */
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
        "not a media file mediatag can read (%s)", derr->message);
  } else {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "cannot read the media: %s", derr ? derr->message : "unknown error");
  }
}

static gboolean
discover (const gchar * uri, const AnalyzeOptions * o, Probe * p,
    GError ** error)
{
  g_autoptr (GstDiscoverer) disc = gst_discoverer_new (PROBE_TIMEOUT, error);
  g_autoptr (GstDiscovererInfo) info = NULL;
  g_autoptr (GError) derr = NULL;
  GList *videos, *audios, *l;
  gboolean image = FALSE, ok = TRUE;

  if (!disc)
    return FALSE;
  info = gst_discoverer_discover_uri (disc, uri, &derr);
  if (!info || gst_discoverer_info_get_result (info) != GST_DISCOVERER_OK) {
    set_discoverer_error (info, derr, error);
    return FALSE;
  }
  videos = gst_discoverer_info_get_video_streams (info);
  audios = gst_discoverer_info_get_audio_streams (info);
  p->has_audio = audios != NULL;
  gst_discoverer_stream_info_list_free (audios);
  for (l = videos; l && ok; l = l->next) {
    GstDiscovererVideoInfo *v = l->data;

    image |= gst_discoverer_video_info_is_image (v);
    ok = check_pixels (gst_discoverer_video_info_get_width (v),
        gst_discoverer_video_info_get_height (v), "a frame of the video",
        o->max_pixels, error);
  }
  p->duration = gst_discoverer_info_get_duration (info);
  p->kind = videos ? (image ? MEDIA_IMAGE : MEDIA_VIDEO) : MEDIA_AUDIO;
  gst_discoverer_stream_info_list_free (videos);
  if (ok && !videos && !p->has_audio) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_TYPE_NOT_FOUND,
        "no video, image or audio stream in it");
    return FALSE;
  }
  return ok;
}

/* The content decides what an input is, not its name. Images known by
 * their header are not handed to the discoverer at all: it would decode
 * them, which is what a decompression bomb wants. */
static gboolean
probe_media (const gchar * uri, const AnalyzeOptions * o, Probe * p,
    GError ** error)
{
  g_auto (MtSniff) sniff = { 0 };

  p->duration = GST_CLOCK_TIME_NONE;
  if (!mt_sniff_uri (uri, &sniff, error))
    return FALSE;
  p->truncated = g_steal_pointer (&sniff.truncated);
  p->format = sniff.format;
  if (sniff.kind == MT_SNIFF_DOCUMENT) {
    p->kind = MEDIA_DOCUMENT;
    return TRUE;
  }
  if (sniff.kind == MT_SNIFF_IMAGE && sniff.width && sniff.height) {
    g_autofree gchar *what = g_strdup_printf ("the %s image", sniff.format);

    /* A TIFF is a scan: pages for textractsink, not a picture. */
    p->kind = strcmp (sniff.format, "TIFF") ? MEDIA_IMAGE : MEDIA_DOCUMENT;
    /* decodebin picks libav for these, whose GIF demuxer never ends and
     * whose BMP decoder finds no frame; gdk-pixbuf reads both whole. */
    if (!strcmp (sniff.format, "GIF") || !strcmp (sniff.format, "BMP"))
      p->decoder = "gdkpixbufdec";
    /* jpegdec refuses CMYK (Photoshop, print work): gdk-pixbuf reads it. */
    if (!strcmp (sniff.format, "JPEG") && sniff.components == 4)
      p->decoder = "gdkpixbufdec";
    return check_pixels (sniff.width, sniff.height, what, o->max_pixels,
        error);
  }
  if (discover (uri, o, p, error))
    return TRUE;
  /* A file cut before its index (an MP4's moov at the end) cannot be
   * played at all: say first that it is cut short. */
  if (p->truncated)
    g_prefix_error (error, "%s; ", p->truncated);
  return FALSE;
}

/* ---- the graph -------------------------------------------------------- */

static gchar *
source_for_uri (const gchar * uri)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *q = NULL;

  if (g_str_has_prefix (uri, "file:")) {
    path = g_filename_from_uri (uri, NULL, NULL);
    q = mt_launch_quote (path);
    return g_strdup_printf ("filesrc location=%s", q);
  }
  if (g_str_has_prefix (uri, "s3:")) {
    q = mt_launch_quote (uri);
    return g_strdup_printf ("s3src uri=%s", q);
  }
  q = mt_launch_quote (uri);
  return g_strdup_printf ("urisourcebin uri=%s", q);
}

/* The vision branch: sampled frames (video) or the image, into
 * rekognitionsink. Each kind of analysis is one such function, appended
 * after the decoder by mt_analyze_build_launch(). */
static void
append_vision_branch (GString * s, gboolean video, const MtAnalyzeGraph * g)
{
  g_string_append (s, " ! videoconvert");
  if (video)
    g_string_append_printf (s, " ! framesampler frame-capture-mode=%s%s",
        g->frame_capture_mode, g->decode_all ? " seek=none" : "");
  if (g->thumbs_dir)
    mt_thumbs_append_tee (s);
  g_string_append_printf (s, " ! " VISION_ELEMENT " features=%s"
      " min-confidence=%g backend=%s", g->features, g->min_confidence,
      g->backend);
  mt_branch_append_rate (s, VISION_ELEMENT, g->max_tps);
  mt_launch_append_prop (s, "location", g->location);
  if (g->sink_has_max_pixels)
    g_string_append_printf (s, " max-pixels=%" G_GUINT64_FORMAT,
        g->max_pixels);
  mt_launch_append_prop (s, "collection-id", g->collection_id);
  mt_launch_append_prop (s, "custom-label-models", g->custom_label_models);
  mt_launch_append_prop (s, "text-roi", g->text_roi);
  if (g->opensearch)
    mt_branch_append_index (s, g->opensearch, g->opensearch_sigv4);
}

gchar *
mt_analyze_build_launch (const gchar * uri, gboolean video,
    const MtAnalyzeGraph * g)
{
  GString *s = g_string_new (NULL);
  g_autofree gchar *src = source_for_uri (uri);

  g_string_append_printf (s, "%s ! %s", src, g->decoder ? g->decoder :
      "decodebin");
  append_vision_branch (s, video, g);
  if (g->thumbs_dir)
    mt_thumbs_append_branch (s);
  return g_string_free (s, FALSE);
}

/* ---- running ---------------------------------------------------------- */

/* Progress is what has been analysed, not what has been decoded: the
 * position is the media time of the last analysed frame (from the analysis
 * element's messages), which the decoder may run far ahead of, and of the
 * audio the speech analysis took; with both, the one behind. */
static GstClockTime
analysed_position (RunState * st)
{
  GstClockTime heard;

  g_mutex_lock (&st->lock);
  heard = st->heard;
  g_mutex_unlock (&st->lock);
  if (!GST_CLOCK_TIME_IS_VALID (st->analysed))
    return heard;
  if (!GST_CLOCK_TIME_IS_VALID (heard))
    return st->analysed;
  return MIN (st->analysed, heard);
}

static void
print_progress (RunState * st, gboolean final)
{
  /* The last line shows the whole length only when the whole was read:
   * a stopped run ends where it stopped. */
  GstClockTime pos = final && !stop.signo ? st->duration :
      analysed_position (st);
  gboolean document = st->document || (st->pages_total > 0
      && !GST_CLOCK_TIME_IS_VALID (st->duration));
  gdouble frac = 0;
  gint width = 30, filled, i;
  gchar p[32], d[32], eta[48] = "", where[96];

  if (!st->progress)
    return;
  if (document && st->pages_total)
    /* A document has pages, not a duration: progress is pages done. */
    frac = CLAMP ((gdouble) st->pages / st->pages_total, 0.0, 1.0);
  else if (GST_CLOCK_TIME_IS_VALID (pos)
      && GST_CLOCK_TIME_IS_VALID (st->duration) && st->duration > 0)
    frac = CLAMP ((gdouble) pos / st->duration, 0.0, 1.0);
  if (frac > 0.02 && !final) {
    gdouble left = (g_get_monotonic_time () - st->started) / 1e6 *
        (1 - frac) / frac;
    g_snprintf (eta, sizeof eta, "ETA %.0f s", left);
  }
  format_time (pos, p, sizeof p);
  format_time (st->duration, d, sizeof d);
  if (document && st->pages_total)
    g_snprintf (where, sizeof where, "%u / %u pages", st->pages,
        st->pages_total);
  else if (document)
    /* Until textractsink has opened the document. */
    g_snprintf (where, sizeof where, "%u / ? pages", st->pages);
  else if (st->pages)
    /* A picture read as a page too (text, tables). */
    g_snprintf (where, sizeof where, "%s / %s  %u frames  %u pages", p, d,
        st->frames, st->pages);
  else if (!GST_CLOCK_TIME_IS_VALID (st->analysed)
      && GST_CLOCK_TIME_IS_VALID (pos))
    /* Audio alone: its units are speech segments. */
    g_snprintf (where, sizeof where, "%s / %s  %u segments", p, d,
        st->segments);
  else
    g_snprintf (where, sizeof where, "%s / %s  %u frames", p, d, st->frames);
  filled = (gint) (frac * width);
  fprintf (stderr, "\r[");
  for (i = 0; i < width; i++)
    fputc (i < filled ? '#' : '.', stderr);
  fprintf (stderr, "] %3.0f%%  %s  %-12s", frac * 100, where, eta);
  if (final)
    fputc ('\n', stderr);
  fflush (stderr);
}

static gboolean
on_progress_tick (gpointer data)
{
  print_progress (data, FALSE);
  return G_SOURCE_CONTINUE;
}

static gboolean
from_analysis_element (GstMessage * msg)
{
  return GST_MESSAGE_SRC (msg) && MT_IS_ANALYSIS_SINK (GST_MESSAGE_SRC (msg));
}

/* The base class warns "The local engine cannot do ppe+celebrities: ...".
 * Its words are matched against the names of the warning element's own
 * features (rekognitionsink's, textractsink's, comprehend's), so the
 * wording may change without breaking this. */
static void
note_unsupported (RunState * st, GstObject * element, const GError * err)
{
  GParamSpec *ps = g_object_class_find_property (G_OBJECT_GET_CLASS (element),
      "features");
  g_auto (GStrv) words = g_regex_split_simple ("[^a-z-]+", err->message, 0, 0);
  GFlagsClass *fc;
  guint requested = 0, missing = 0;
  GString *names;
  guint i, j;

  if (!ps || !G_IS_PARAM_SPEC_FLAGS (ps))
    return;
  fc = G_PARAM_SPEC_FLAGS (ps)->flags_class;
  g_object_get (element, "features", &requested, NULL);
  for (i = 0; words[i]; i++)
    for (j = 0; j < fc->n_values; j++)
      if (!strcmp (words[i], fc->values[j].value_nick))
        missing |= fc->values[j].value & requested;
  if (!missing)
    return;
  names = g_string_new (st->not_analysed);
  for (j = 0; j < fc->n_values; j++)
    if (missing & fc->values[j].value)
      g_string_append_printf (names, "%s%s", names->len ? ", " : "",
          fc->values[j].value_nick);
  g_free (st->not_analysed);
  st->not_analysed = g_string_free (names, FALSE);
  if (features_class && G_TYPE_FROM_CLASS (fc) ==
      G_TYPE_FROM_CLASS (features_class) && (st->requested & ~missing) == 0) {
    /* Nothing asked of the frames can run: stop rather than analyse into
     * nothing. */
    st->none_can_run = TRUE;
    g_main_loop_quit (st->loop);
  }
}

static gboolean
source_klass_has (GstMessage * msg, const gchar * const *words)
{
  GstElementFactory *f = NULL;
  const gchar *klass;

  if (GST_IS_ELEMENT (GST_MESSAGE_SRC (msg)))
    f = gst_element_get_factory (GST_ELEMENT (GST_MESSAGE_SRC (msg)));
  klass = f ? gst_element_factory_get_metadata (f, GST_ELEMENT_METADATA_KLASS)
      : NULL;
  for (; klass && *words; words++)
    if (strstr (klass, *words))
      return TRUE;
  return FALSE;
}

/* A sink that takes the results (opensearchsink): its trouble does not
 * make the analysis incomplete, but the run is not all done either. */
static gboolean
from_output_sink (GstMessage * msg)
{
  static const gchar *const sink[] = { "Sink", NULL };

  return source_klass_has (msg, sink);
}

/* A demuxer, parser or decoder that complains has not given all of the
 * media (a source's warnings, such as a resumed read, have not lost any). */
static gboolean
from_media_element (GstMessage * msg)
{
  static const gchar *const media[] = { "Demux", "Decoder", "Parser", NULL };

  return source_klass_has (msg, media);
}

static void
on_warning (RunState * st, GstMessage * msg)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *src = gst_object_get_name (GST_MESSAGE_SRC (msg));

  gst_message_parse_warning (msg, &err, NULL);
  if (from_analysis_element (msg)) {
    if (g_error_matches (err, GST_CORE_ERROR, GST_CORE_ERROR_NOT_IMPLEMENTED))
      note_unsupported (st, GST_MESSAGE_SRC (msg), err);
  } else if (from_output_sink (msg)) {
    if (!st->output_problem)
      st->output_problem = g_strdup_printf ("%s: %s", src, err->message);
  } else if (from_media_element (msg) && !st->media_problem) {
    st->media_problem = g_strdup_printf ("%s reported: %s", src,
        err->message);
  }
  if (st->none_can_run)
    return;
  if (st->progress)
    fputc ('\n', stderr);
  fprintf (stderr, "mediatag: warning: %s\n", err->message);
}

static void
add_summary (RunState * st, const GstStructure * s)
{
  MtRunTotals *t = &st->totals;
  guint64 v;
  gboolean incomplete;
  const gchar *first;

  t->have_message = TRUE;
  if (gst_structure_get_uint64 (s, "units", &v))
    t->units += v;
  if (gst_structure_get_uint64 (s, "failed", &v))
    t->failed += v;
  if (gst_structure_get_uint64 (s, "results", &v))
    t->results += v;
  if (gst_structure_get_uint64 (s, "errors", &v))
    t->errors += v;
  if (gst_structure_get_boolean (s, "incomplete", &incomplete) && incomplete
      && !st->media_problem)
    st->media_problem = g_strdup ("the analysis element dropped input");
  first = gst_structure_get_string (s, "first-error");
  if (first && !t->first_error)
    t->first_error = g_strdup (first);
}

/* textractsink's messages: a document announces its pages, then each
 * page's results come (one unit with page 0 for a document sent whole). */
static void
count_pages (RunState * st, const GstStructure * s)
{
  guint n, page;
  gboolean whole = FALSE;

  if (gst_structure_has_name (s, DOCUMENT_MESSAGE)) {
    if (gst_structure_get_uint (s, "pages", &n)) {
      st->pages_total += n;
      gst_structure_get_boolean (s, "whole", &whole);
      st->whole_pages = whole ? n : 0;
    }
    return;
  }
  if (!gst_structure_has_field (s, "results"))
    return;
  st->units++;
  if (gst_structure_get_uint (s, "page", &page) && page == 0
      && st->whole_pages)
    st->pages += st->whole_pages;
  else
    st->pages++;
}

/* "local:opencv-dnn+local:tesseract": each engine once, in order. */
static void
note_engine (RunState * st, const gchar * engine)
{
  g_auto (GStrv) have = NULL;
  gchar *old = st->engine;

  if (!engine)
    return;
  have = g_strsplit (old ? old : "", "+", -1);
  if (g_strv_contains ((const gchar * const *) have, engine))
    return;
  st->engine = old ? g_strconcat (old, "+", engine, NULL) : g_strdup (engine);
  g_free (old);
}

static void
on_element (RunState * st, GstMessage * msg)
{
  const GstStructure *s = gst_message_get_structure (msg);
  guint64 t;

  if (!s || !from_analysis_element (msg))
    return;
  if (gst_structure_has_name (s, SUMMARY_MESSAGE)) {
    add_summary (st, s);
    return;
  }
  if (gst_structure_has_name (s, "mediatag-backend")) {
    note_engine (st, gst_structure_get_string (s, "engine"));
    return;
  }
  if (gst_structure_has_name (s, DOCUMENT_ELEMENT)
      || gst_structure_has_name (s, DOCUMENT_MESSAGE)) {
    count_pages (st, s);
    return;
  }
  /* One message per analysed unit (frame, image, speech segment), with
   * its results; the element's other messages (the engine it picked) are
   * not units. Frames are the vision element's units only. */
  if (!gst_structure_has_field (s, "results"))
    return;
  st->units++;
  if (gst_structure_has_name (s, SPEECH_ELEMENT))
    st->segments++;
  if (gst_structure_has_name (s, VISION_ELEMENT))
    st->frames++;
  /* Only frames have a media time that is a position; the speech
   * element's position is the audio it took (st->heard): its segments come
   * after their audio, and none in silence (nor comprehend's, after them). */
  if (gst_structure_has_name (s, VISION_ELEMENT)
      && gst_structure_get_uint64 (s, "stream-time", &t)
      && GST_CLOCK_TIME_IS_VALID (t))
    st->analysed = t;
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer data)
{
  RunState *st = data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      g_main_loop_quit (st->loop);
      break;
    case GST_MESSAGE_ERROR:{
      g_autoptr (GError) err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      if (!st->failed) {
        st->failed = TRUE;
        st->error_text = g_strdup (err->message);
      }
      g_main_loop_quit (st->loop);
      break;
    }
    case GST_MESSAGE_WARNING:
      on_warning (st, msg);
      break;
    case GST_MESSAGE_ELEMENT:
      on_element (st, msg);
      break;
    default:
      break;
  }
  return TRUE;
}

/* Speech is analysed in the thread that converts its audio (transcribesink
 * takes each buffer as it comes, after the branch's queue): how far the
 * audio converter got is how far the speech analysis got. */
static gboolean
is_audio_converter (GstPad * pad)
{
  GstElement *e = GST_PAD_PARENT (pad);
  GstElementFactory *f = e ? gst_element_get_factory (e) : NULL;

  return f && !strcmp (GST_OBJECT_NAME (f), "audioconvert");
}

/* How far the decoders got, in stream time: media that ends before its
 * stated duration shows here, even when no element complains. */
static GstPadProbeReturn
on_decoded (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  RunState *st = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  g_autoptr (GstEvent) ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT,
      0);
  const GstSegment *seg = NULL;
  GstClockTime end;

  if (!ev || !GST_BUFFER_PTS_IS_VALID (buf))
    return GST_PAD_PROBE_OK;
  gst_event_parse_segment (ev, &seg);
  end = gst_segment_to_stream_time (seg, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (GST_CLOCK_TIME_IS_VALID (end) && GST_BUFFER_DURATION_IS_VALID (buf))
    end += GST_BUFFER_DURATION (buf);
  g_mutex_lock (&st->lock);
  if (GST_CLOCK_TIME_IS_VALID (end) && (!GST_CLOCK_TIME_IS_VALID (st->decoded)
          || end > st->decoded))
    st->decoded = end;
  if (GST_CLOCK_TIME_IS_VALID (end) && is_audio_converter (pad))
    st->heard = end;
  g_mutex_unlock (&st->lock);
  return GST_PAD_PROBE_OK;
}

/* Probes the input of every converter after the decoder (one per branch). */
static void
watch_decoded (GstBin * bin, RunState * st)
{
  GstIterator *it = gst_bin_iterate_recurse (bin);
  GValue v = G_VALUE_INIT;

  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&v);
    GstElementFactory *f = gst_element_get_factory (e);
    const gchar *name = f ? GST_OBJECT_NAME (f) : "";

    if (!strcmp (name, "videoconvert") || !strcmp (name, "audioconvert")) {
      GstPad *pad = gst_element_get_static_pad (e, "sink");

      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_decoded, st,
          NULL);
      gst_object_unref (pad);
    }
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
}

static void
pop_start_error (GstBus * bus, RunState * st)
{
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

  if (m) {
    on_bus (bus, m, st);
    gst_message_unref (m);
  } else if (!st->failed) {
    st->failed = TRUE;
    st->error_text = g_strdup ("the pipeline could not start");
  }
}

/* The password goes to each textractsink as a property, not through the
 * launch line, which --print-pipeline shows and logs may keep. */
static void
set_pdf_password (GstBin * bin, const gchar * password)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (bin);
  GValue v = G_VALUE_INIT;

  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&v);
    GstElementFactory *f = gst_element_get_factory (e);

    if (f && !g_strcmp0 (GST_OBJECT_NAME (f), "textractsink"))
      g_object_set (e, "password", password, NULL);
    g_value_reset (&v);
  }
  g_value_unset (&v);
}

static gboolean
run_pipeline (const gchar * launch, gboolean progress, RunState * st,
    GError ** error)
{
  g_autoptr (GstBus) bus = NULL;
  guint tick = 0;

  st->pipeline = gst_parse_launch_full (launch, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (!st->pipeline)
    return FALSE;
  if (st->pdf_password)
    set_pdf_password (GST_BIN (st->pipeline), st->pdf_password);
  if (st->thumbs_dir
      && !mt_thumbs_attach (st->pipeline, st->thumbs_dir, error)) {
    gst_clear_object (&st->pipeline);
    return FALSE;
  }
  /* The calling thread's context: the default one for analyze (where the
   * signals arrive), a worker's own for batch. */
  st->loop = g_main_loop_new (g_main_context_get_thread_default (), FALSE);
  st->progress = progress;
  st->started = g_get_monotonic_time ();
  bus = gst_element_get_bus (st->pipeline);
  gst_bus_add_watch (bus, on_bus, st);
  watch_decoded (GST_BIN (st->pipeline), st);
  if (progress)
    tick = g_timeout_add (250, on_progress_tick, st);

  set_running (st, TRUE);
  if (gst_element_set_state (st->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    pop_start_error (bus, st);
  else if (!stop.signo)
    g_main_loop_run (st->loop);
  else
    /* Stopped between assets: nothing of this one runs. */
    st->failed = TRUE;
  set_running (st, FALSE);

  if (tick)
    g_source_remove (tick);
  /* The watch is in the thread's context, where g_source_remove()
   * would not look for it. */
  gst_bus_remove_watch (bus);
  gst_element_set_state (st->pipeline, GST_STATE_NULL);
  gst_clear_object (&st->pipeline);
  g_main_loop_unref (st->loop);
  return TRUE;
}

/* ---- one asset -------------------------------------------------------- */

/* The file the analysis element wrote: `part`, or `part`.part from an
 * element that itself writes <location>.part until EOS. */
static gchar *
written_file (const gchar * part)
{
  g_autofree gchar *inner = g_strconcat (part, ".part", NULL);

  if (g_file_test (part, G_FILE_TEST_EXISTS)) {
    g_unlink (inner);
    return g_strdup (part);
  }
  if (g_file_test (inner, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&inner);
  return NULL;
}

/* A run stopped at once may end in the middle of a line: the kept file
 * holds whole lines only, so it stays valid JSON Lines. */
static gboolean
keep_whole_lines (const gchar * from, const gchar * to)
{
  g_autofree gchar *data = NULL;
  gsize len = 0;
  gchar *last;

  if (from && !g_file_get_contents (from, &data, &len, NULL))
    return FALSE;
  last = data ? g_strrstr_len (data, len, "\n") : NULL;
  len = last ? (gsize) (last - data) + 1 : 0;
  if (!g_file_set_contents (to, data ? data : "", len, NULL))
    return FALSE;
  if (from)
    g_unlink (from);
  return TRUE;
}

/* A whole run's file is renamed as it is; an incomplete one keeps whole
 * lines only. No results file at all (nothing written) is an empty one. */
static gboolean
store_results (const gchar * written, const gchar * results,
    gboolean incomplete)
{
  if (incomplete || !written)
    return keep_whole_lines (written, results);
  return g_rename (written, results) == 0;
}

/* Why the media was not analysed whole, or NULL. */
static gchar *
incomplete_reason (RunState * st, const Probe * p, GstClockTime tolerance)
{
  g_autoptr (GString) why = g_string_new (NULL);
  GstClockTime reached;

  if (p->truncated)
    g_string_append (why, p->truncated);
  if (st->media_problem)
    g_string_append_printf (why, "%s%s", why->len ? "; " : "",
        st->media_problem);
  g_mutex_lock (&st->lock);
  reached = st->decoded;
  g_mutex_unlock (&st->lock);
  if (p->kind != MEDIA_IMAGE && GST_CLOCK_TIME_IS_VALID (p->duration)
      && p->duration > tolerance && (!GST_CLOCK_TIME_IS_VALID (reached)
          || reached + tolerance < p->duration)) {
    gchar a[32], b[32];

    format_time (GST_CLOCK_TIME_IS_VALID (reached) ? reached : 0, a,
        sizeof a);
    format_time (p->duration, b, sizeof b);
    g_string_append_printf (why, "%sstopped at %s of %s", why->len ? "; "
        : "", a, b);
  }
  return why->len ? g_strdup (why->str) : NULL;
}

/* How far before the stated end a whole video may stop: a sparse mode
 * takes its last sample up to one interval before the end. */
static GstClockTime
end_tolerance (const gchar * mode_text)
{
  MtFrameCaptureMode mode;
  MtFrameCaptureRate rate;
  GstClockTime interval = 0;

  if (mt_frame_capture_mode_from_string (mode_text, &mode)
      && mt_frame_capture_mode_get_rate (mode, 25, 1, &rate))
    interval = mt_frame_capture_rate_interval (&rate);
  if (!GST_CLOCK_TIME_IS_VALID (interval))
    interval = 0;
  return MAX (interval, GST_SECOND) + GST_SECOND;
}

typedef struct {
  const Asset *asset;
  const AnalyzeOptions *o;
  const MtAiOptions *ai;
  const gchar *out_dir;
  const gchar *shown_dir;        /* where messages say out_dir's files are */
  gchar *why;                   /* the first reason it is not all done */
  Probe probe;
  gchar *base;
  gchar *part;
  gchar *final;
  gchar *incomplete;
  gchar *thumbs;
  MtBranchPlan br;
  RunState st;
} Job;

static void
job_clear (Job * j)
{
  probe_clear (&j->probe);
  g_free (j->base);
  g_free (j->part);
  g_free (j->final);
  g_free (j->incomplete);
  g_free (j->thumbs);
  mt_branch_plan_clear (&j->br);
  g_free (j->why);
  g_free (j->st.engine);
  g_free (j->st.error_text);
  g_free (j->st.media_problem);
  g_free (j->st.output_problem);
  g_free (j->st.not_analysed);
  g_mutex_clear (&j->st.lock);
  mt_run_totals_clear (&j->st.totals);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Job, job_clear)

/* Says why the asset is not all done: on stderr, and the first reason to
 * the caller (batch's ledger). */
static void
job_say (Job * j, const gchar * format, ...) G_GNUC_PRINTF (2, 3);

static void
job_say (Job * j, const gchar * format, ...)
{
  va_list args;
  g_autofree gchar *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "mediatag: %s: %s\n", j->asset->input, text);
  if (!j->why)
    j->why = g_steal_pointer (&text);
}

/* `path` (a file in out_dir) as messages name it: where batch publishes
 * it, when it is written in a scratch folder. */
static gchar *
shown_path (const Job * j, const gchar * path)
{
  g_autofree gchar *name = NULL;

  if (!j->shown_dir)
    return g_strdup (path);
  name = g_path_get_basename (path);
  return g_str_has_suffix (j->shown_dir, "/") ?
      g_strconcat (j->shown_dir, name, NULL) :
      g_strconcat (j->shown_dir, "/", name, NULL);
}

static void
report_failures (Job * j, const gchar * results)
{
  const MtRunTotals *t = &j->st.totals;

  if (t->failed)
    job_say (j, "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " units "
        "failed: %s (error documents in %s)", t->failed,
        MAX (t->units, t->failed), t->first_error ? t->first_error :
        "no reason given", results);
  if (j->st.not_analysed)
    job_say (j, "not analysed: %s (the %s engine cannot do them; "
        "--backend aws can)", j->st.not_analysed, j->o->backend);
  if (j->st.output_problem)
    job_say (j, "the results are all in %s, but %s", results,
        j->st.output_problem);
}

/* Moves the results to their name, writes the tracks and the table, and
 * says what the run left out. */
static AssetStatus
finish_job (Job * j)
{
  const AnalyzeOptions *o = j->o;
  g_autofree gchar *written = written_file (j->part);
  g_autofree gchar *why = NULL;
  g_autofree gchar *shown = NULL;
  g_autoptr (GError) error = NULL;
  gboolean stopped = stop.signo != 0;
  gboolean incomplete;
  const gchar *results;

  /* The other branches' results join the asset's file first. */
  g_free (g_steal_pointer (&written));
  written = mt_branch_plan_merge (&j->br, written_file (j->part), j->part,
      &error);
  if (error) {
    job_say (j, "%s", error->message);
    return ASSET_FAILED;
  }

  if (j->st.failed && !j->st.units && !j->probe.truncated) {
    /* Nothing was analysed: an error, with no results file to look at. */
    if (written)
      g_unlink (written);
    job_say (j, "%s", j->st.error_text);
    return ASSET_FAILED;
  }
  if (!j->st.failed)
    why = incomplete_reason (&j->st, &j->probe,
        end_tolerance (j->ai->frame_capture_mode));
  incomplete = j->st.failed || stopped || why;
  j->st.totals.incomplete = incomplete;
  j->st.totals.not_analysed = j->st.not_analysed;
  results = incomplete ? j->incomplete : j->final;
  /* This run's files replace the earlier run's of the same kind; a whole
   * run also replaces an earlier incomplete one. */
  mt_summary_remove_outputs (j->out_dir, j->asset->name, incomplete);
  if (!incomplete)
    mt_summary_remove_outputs (j->out_dir, j->asset->name, TRUE);
  mt_branch_remove_outputs (j->out_dir, j->asset->name, incomplete);
  if (!incomplete)
    mt_branch_remove_outputs (j->out_dir, j->asset->name, TRUE);
  if (!store_results (written, results, incomplete)) {
    job_say (j, "cannot write %s: %s", results, g_strerror (errno));
    return ASSET_FAILED;
  }
  if (!mt_summary_write_outputs (results, j->out_dir, j->asset->name,
          j->probe.kind == MEDIA_VIDEO, &j->st.totals,
          o->quiet || o->no_summary ? NULL : stdout, &error)) {
    job_say (j, "%s", error->message);
    return ASSET_FAILED;
  }
  if (!mt_branch_write_outputs (&j->br, results, j->out_dir, j->asset->name,
          incomplete, o->quiet || o->no_summary ? NULL : stdout, &error)) {
    job_say (j, "%s", error->message);
    return ASSET_FAILED;
  }
  if (j->st.failed)
    job_say (j, "%s", j->st.error_text);
  shown = shown_path (j, results);
  report_failures (j, shown);
  if (stopped && why)
    job_say (j, "%s%s; results so far in %s (incomplete)",
        g_str_has_prefix (why, "stopped") ? "" : "stopped; ", why, shown);
  else if (stopped)
    job_say (j, "stopped; results so far in %s (incomplete)", shown);
  else if (incomplete)
    job_say (j, "incomplete: %s; results so far in %s", why ? why :
        j->probe.truncated ? j->probe.truncated : "the analysis failed",
        shown);
  else if (!o->quiet)
    fprintf (stderr, "mediatag: %s: results in %s\n", j->asset->input,
        shown);
  return incomplete || j->st.totals.failed || j->st.not_analysed
      || j->st.output_problem ? ASSET_PARTIAL : ASSET_DONE;
}

static void
job_graph (Job * j, MtAnalyzeGraph * g)
{
  g->features = j->ai->features;
  g->frame_capture_mode = j->ai->frame_capture_mode;
  g->min_confidence = j->ai->min_confidence;
  g->backend = j->o->backend;
  g->location = j->part;
  g->thumbs_dir = j->o->no_thumbnails ? NULL : j->thumbs;
  g->opensearch = j->o->opensearch;
  g->opensearch_sigv4 = j->o->branches.opensearch_sigv4;
  g->collection_id = j->ai->collection_id;
  g->custom_label_models = j->ai->custom_label_models;
  g->text_roi = j->ai->text_roi;
  g->sink_has_max_pixels = j->o->sink_has_max_pixels;
  g->max_pixels = j->o->max_pixels;
  /* A file cut short is decoded as far as it goes rather than skipped
   * through: a seek past its end finds nothing to land on. */
  g->decode_all = j->probe.truncated != NULL;
  g->max_tps = j->o->branches.max_tps;
  g->decoder = j->probe.decoder;
}

/* The vision branch (when planned) and the others, as one launch line. */
static gchar *
branches_launch (Job * j, gchar * vision)
{
  GString *s = g_string_new (j->br.vision ? vision : NULL);
  g_autofree gchar *src = source_for_uri (j->asset->uri);

  g_free (vision);
  mt_branch_plan_append (&j->br, s, &j->o->branches, src, j->o->backend,
      j->ai->min_confidence, j->part, j->o->opensearch);
  return g_string_free (s, FALSE);
}

/* --report: the asset's page beside its results (mediatag-report.c). */
static AssetStatus
report_beside (Job * j, AssetStatus status)
{
  g_autoptr (GError) error = NULL;

  if (status == ASSET_FAILED || status == ASSET_CANNOT_RUN)
    mt_thumbs_discard (j->thumbs);
  if (!j->o->report || status == ASSET_FAILED || status == ASSET_CANNOT_RUN)
    return status;
  if (mt_report_write_beside (j->base, j->st.totals.incomplete, &error))
    return status;
  job_say (j, "no report written: %s", error->message);
  return ASSET_PARTIAL;
}

/* Not a media file mediatag can read, as opposed to one it cannot get. */
static gboolean
is_unsupported (const GError * error)
{
  return g_error_matches (error, GST_STREAM_ERROR,
      GST_STREAM_ERROR_TYPE_NOT_FOUND) || g_error_matches (error,
      GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE);
}

static AssetStatus analyze_job (Job * j);

/* Analyses one asset into out_dir; *why gets the first reason it is not
 * all done and *engine the engines used (either may be NULL). */
static AssetStatus
analyze_one_into (const Asset * a, const AnalyzeOptions * o,
    const MtAiOptions * ai, const gchar * out_dir, const gchar * shown_dir,
    gchar ** why, gchar ** engine)
{
  g_auto (Job) j = { 0 };
  AssetStatus status;

  j.asset = a;
  j.o = o;
  j.ai = ai;
  j.out_dir = out_dir;
  j.shown_dir = shown_dir;
  g_mutex_init (&j.st.lock);
  j.st.analysed = j.st.decoded = j.st.heard = GST_CLOCK_TIME_NONE;
  status = analyze_job (&j);
  if (why)
    *why = g_steal_pointer (&j.why);
  if (engine)
    *engine = g_steal_pointer (&j.st.engine);
  return status;
}

static AssetStatus
analyze_one (const Asset * a, const AnalyzeOptions * o,
    const MtAiOptions * ai)
{
  return analyze_one_into (a, o, ai, o->out_dir, NULL, NULL, NULL);
}

static AssetStatus
analyze_job (Job * j)
{
  const Asset *a = j->asset;
  const AnalyzeOptions *o = j->o;
  const MtAiOptions *ai = j->ai;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *launch = NULL;
  MtAnalyzeGraph g = { 0 };

  if (!probe_media (a->uri, o, &j->probe, &error)) {
    job_say (j, "%s", error->message);
    return is_unsupported (error) ? ASSET_UNSUPPORTED : ASSET_FAILED;
  }

  j->base = g_build_filename (j->out_dir, a->name, NULL);
  j->final = g_strconcat (j->base, ".jsonl", NULL);
  j->part = g_strconcat (j->final, ".part", NULL);
  j->incomplete = g_strconcat (j->base, ".incomplete.jsonl", NULL);
  j->thumbs = g_strconcat (j->base, ".thumbs", NULL);
  j->st.thumbs_dir = o->no_thumbnails ? NULL : j->thumbs;
  j->st.pdf_password = o->pdf_password;
  if (!mt_branch_plan_make (&j->br, &o->branches,
          media_kind_names[j->probe.kind], j->probe.has_audio, j->part,
          &error)) {
    job_say (j, "%s", error->message);
    return ASSET_FAILED;
  }
  if (j->probe.format && !strcmp (j->probe.format, "PDF"))
    j->br.document_caps = "application/pdf";
  job_graph (j, &g);
  launch = mt_analyze_build_launch (a->uri, j->probe.kind == MEDIA_VIDEO, &g);
  launch = branches_launch (j, launch);
  if (o->print_pipeline || o->dry_run)
    printf ("gst-launch-1.0 -e %s\n", launch);
  if (o->dry_run)
    return ASSET_DONE;
  if (!o->quiet) {
    g_autofree gchar *what = mt_branch_plan_describe (&j->br, ai->features);

    fprintf (stderr, "mediatag: %s: %s, analysing %s\n", a->input,
        media_kind_names[j->probe.kind], what);
  }

  j->st.duration = j->probe.duration;
  j->st.document = j->probe.kind == MEDIA_DOCUMENT;
  j->st.totals.default_action = o->default_action;
  j->st.requested = 0;
  if (features_class && j->br.vision) {
    g_auto (GStrv) f = g_strsplit (ai->features, "+", -1);
    guint i;

    for (i = 0; f[i]; i++) {
      GFlagsValue *v = g_flags_get_value_by_nick (features_class, f[i]);

      if (v)
        j->st.requested |= v->value;
    }
  }
  g_unlink (j->part);
  if (!run_pipeline (launch, !o->quiet && isatty (STDERR_FILENO), &j->st,
          &error)) {
    job_say (j, "cannot build the graph: %s", error->message);
    return ASSET_FAILED;
  }
  if (j->st.none_can_run) {
    g_autofree gchar *left = written_file (j->part);

    if (left)
      g_unlink (left);
    mt_thumbs_discard (j->thumbs);
    fprintf (stderr, "mediatag: --features %s: the %s engine cannot do any "
        "of them, so nothing would be analysed (use --backend aws, or "
        "features it can do)\n", ai->features, o->backend);
    return ASSET_CANNOT_RUN;
  }
  if (!stop.signo || stop.count < 2)
    print_progress (&j->st, TRUE);
  return report_beside (j, finish_job (j));
}

/* ---- options ---------------------------------------------------------- */

/* The features flags of rekognitionsink, to check --features against its
 * own names before any input is probed. */
static gboolean
load_features_class (GError ** error)
{
  g_autoptr (GstElementFactory) f = NULL;
  g_autoptr (GstPluginFeature) loaded = NULL;
  GObjectClass *klass;
  GParamSpec *ps;

  f = gst_element_factory_find (VISION_ELEMENT);
  if (f)
    loaded = gst_plugin_feature_load (GST_PLUGIN_FEATURE (f));
  if (!loaded) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "the " VISION_ELEMENT " element is not installed: no GStreamer "
        "plugin path holds mediatag's plugins (install mediatag, or set "
        "GST_PLUGIN_PATH to its build's plugins folders)");
    return FALSE;
  }
  klass = g_type_class_ref (gst_element_factory_get_element_type
      (GST_ELEMENT_FACTORY (loaded)));
  ps = g_object_class_find_property (klass, "features");
  if (ps && G_IS_PARAM_SPEC_FLAGS (ps))
    features_class = g_type_class_ref (ps->value_type);
  g_type_class_unref (klass);
  return features_class != NULL;
}

static gchar *
feature_names (void)
{
  g_autoptr (GString) s = g_string_new (NULL);
  guint i;

  for (i = 0; i < features_class->n_values; i++)
    if (features_class->values[i].value)
      g_string_append_printf (s, "%s%s", s->len ? ", " : "",
          features_class->values[i].value_nick);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* "Faces with all attributes (DetectFaces)" -> "DetectFaces" */
static gchar *
action_of (const GFlagsValue * v)
{
  const gchar *open = strrchr (v->value_name, '(');
  const gchar *close = open ? strchr (open, ')') : NULL;

  if (!open || !close || close == open + 1)
    return NULL;
  return g_strndup (open + 1, close - open - 1);
}

static gboolean
check_features (const gchar * features, const gchar * source,
    AnalyzeOptions * o, GError ** error)
{
  g_auto (GStrv) names = g_strsplit (features, "+", -1);
  GFlagsValue *v = NULL;
  guint i;

  for (i = 0; names[i]; i++) {
    if (!(v = g_flags_get_value_by_nick (features_class, names[i]))) {
      g_autofree gchar *valid = feature_names ();
      g_autofree gchar *others = mt_branch_feature_names ();

      return mt_usage_error (error, "%s %s: \"%s\" is not a feature; the "
          "features are %s (frames and images); %s, joined by '+'", source,
          features, names[i], valid, others);
    }
  }
  g_clear_pointer (&o->default_action, g_free);
  if (i == 1)
    o->default_action = action_of (v);
  return TRUE;
}

static gboolean
parse_min_confidence (const gchar * text, gdouble * value, GError ** error)
{
  gchar *end = NULL;

  *value = -1;
  if (!text)
    return TRUE;
  *value = g_ascii_strtod (text, &end);
  if (!*text || *end || !isfinite (*value) || *value < 0 || *value > 100)
    return mt_usage_error (error, "--min-confidence %s: not allowed: it takes "
        "a number from 0 to 100", text);
  return TRUE;
}

/* Requests per second, > 0; 0 or unset: no limit. */
static gboolean
parse_max_tps (const gchar * text, gdouble * value, GError ** error)
{
  gchar *end = NULL;

  *value = 0;
  if (!text)
    return TRUE;
  *value = g_ascii_strtod (text, &end);
  if (!*text || *end || !isfinite (*value) || *value < 0)
    return mt_usage_error (error, "--max-tps %s: not allowed: it takes a "
        "number of requests per second (0: no limit)", text);
  return TRUE;
}

/* "80000000", "80M", "80Mpx"; 0 is no limit. */
static gboolean
parse_max_pixels (AnalyzeOptions * o, GError ** error)
{
  const gchar *text = o->max_pixels_text;
  gchar *end = NULL;
  guint64 v = 0;

  o->max_pixels = DEFAULT_MAX_PIXELS;
  if (!text)
    return TRUE;
  /* Digits first: strtoull would take "-5" for 2^64 - 5. */
  if (g_ascii_isdigit (*text))
    v = g_ascii_strtoull (text, &end, 10);
  if (end && (!g_ascii_strcasecmp (end, "M") || !g_ascii_strcasecmp (end,
              "Mpx")) && v <= G_MAXUINT64 / 1000000)
    v *= 1000000;
  else if (!end || *end)
    return mt_usage_error (error, "--max-pixels %s: not allowed: it takes a "
        "number of pixels (80000000, or 80M), 0 for no limit", text);
  o->max_pixels = v;
  return TRUE;
}

static gboolean
check_sink_options (AnalyzeOptions * o, const MtAiOptions * ai,
    GError ** error)
{
  MtFrameCaptureMode mode;
  gboolean search, custom;

  if (strcmp (o->backend, "auto") && strcmp (o->backend, "aws")
      && strcmp (o->backend, "local"))
    return mt_usage_error (error, "--backend %s: not allowed: it takes auto, "
        "aws or local", o->backend);
  if (!mt_frame_capture_mode_from_string (ai->frame_capture_mode, &mode))
    return mt_usage_error (error, "--frame-capture-mode %s: not allowed: it "
        "takes a Media2Cloud code or its name: " MT_FRAME_CAPTURE_CODES,
        ai->frame_capture_mode);
  if (mode == MT_FRAME_CAPTURE_MODE_NONE)
    return mt_usage_error (error, "--frame-capture-mode %s: no frames would be "
        "analysed", ai->frame_capture_mode);
  if (!check_features (ai->features, o->features ? "--features" :
          "aiOptions features", o, error))
    return FALSE;
  search = strstr (ai->features, "face-search") != NULL;
  custom = strstr (ai->features, "custom-labels") != NULL;
  if (search && !ai->collection_id)
    return mt_usage_error (error, "--features %s: face-search needs a face "
        "collection: --collection-id (or aiOptions faceCollectionId)",
        ai->features);
  if (custom && !ai->custom_label_models)
    return mt_usage_error (error, "--features %s: custom-labels needs the "
        "models: --custom-label-models (or aiOptions customLabelModels)",
        ai->features);
  if (o->opensearch && !g_str_has_prefix (o->opensearch, "http://")
      && !g_str_has_prefix (o->opensearch, "https://"))
    return mt_usage_error (error, "--opensearch %s: not allowed: it takes an "
        "http:// or https:// URL", o->opensearch);
  if (o->pdf_password_file) {
    gsize len;

    g_clear_pointer (&o->pdf_password, g_free);
    if (!g_file_get_contents (o->pdf_password_file, &o->pdf_password, &len,
            NULL))
      return mt_usage_error (error, "--pdf-password-file %s: cannot be "
          "read", o->pdf_password_file);
    /* A file written by echo ends with a newline that is not the
     * password's. */
    if (len && o->pdf_password[len - 1] == '\n')
      o->pdf_password[--len] = '\0';
    if (len && o->pdf_password[len - 1] == '\r')
      o->pdf_password[--len] = '\0';
  }
  if (!mt_pages_valid (o->branches.pages))
    return mt_usage_error (error, "--pages %s: not allowed: write pages and "
        "ranges from 1, separated by commas, e.g. 1-5,9", o->branches.pages);
  if (o->branches.opensearch_sigv4
      && g_strcmp0 (o->branches.opensearch_sigv4, "es") != 0
      && g_strcmp0 (o->branches.opensearch_sigv4, "aoss") != 0)
    return mt_usage_error (error, "--opensearch-sigv4 %s: not allowed: it "
        "takes es (OpenSearch Service domains) or aoss (Serverless)",
        o->branches.opensearch_sigv4);
  if (o->branches.opensearch_sigv4 && !o->opensearch)
    return mt_usage_error (error, "--opensearch-sigv4 signs the requests of "
        "--opensearch: give the URL too");
  return TRUE;
}

static gboolean
sink_has_property (const gchar * name)
{
  g_autoptr (GstElement) e = gst_element_factory_make (VISION_ELEMENT, NULL);

  return e && g_object_class_find_property (G_OBJECT_GET_CLASS (e), name);
}

/* Every option, whether from the command line or aiOptions, checked
 * before any input is touched. */
static gboolean
check_options (AnalyzeOptions * o, MtAiOptions * ai, GError ** error)
{
  gdouble confidence;

  if (!parse_min_confidence (o->min_confidence, &confidence, error)
      || !parse_max_pixels (o, error)
      || !parse_max_tps (o->max_tps_text, &o->branches.max_tps, error))
    return FALSE;
  if (o->features && !*o->features)
    return mt_usage_error (error, "--features: empty: name at least one");
  if (o->ai_options && !mt_ai_options_load (ai, o->ai_options, stderr,
          error)) {
    g_prefix_error (error, "--ai-options %s: ", o->ai_options);
    return FALSE;
  }
  /* Command-line options win over the aiOptions file. */
  if (!mt_ai_options_override (ai, o->features, o->frame_capture_mode,
          confidence, o->collection_id, o->custom_label_models, o->text_roi,
          error))
    return FALSE;
  if (o->ai_options && !mt_branch_options_load_ai (&o->branches,
          o->ai_options, error)) {
    g_prefix_error (error, "--ai-options %s: ", o->ai_options);
    return FALSE;
  }
  /* Document and comprehend names in --features are those branches'. */
  if (!mt_branch_options_take_features (&o->branches, &ai->features,
          "labels+faces+text", error))
    return FALSE;
  o->sink_has_max_pixels = sink_has_property ("max-pixels");
  return check_sink_options (o, ai, error);
}

/* ---- the verb --------------------------------------------------------- */

static int
run_status (guint done, guint partial, guint failed)
{
  if (stop.signo)
    return 128 + stop.signo;
  if (partial || (failed && done))
    return MT_EXIT_PARTIAL;
  if (failed)
    return MT_EXIT_ERROR;
  return MT_EXIT_OK;
}

static int
analyze_assets (GPtrArray * assets, const AnalyzeOptions * o,
    const MtAiOptions * ai)
{
  guint i, counts[ASSET_CANNOT_RUN + 1] = { 0 };

  for (i = 0; i < assets->len; i++) {
    Asset *a = g_ptr_array_index (assets, i);
    AssetStatus s;

    if (a->error) {
      fprintf (stderr, "mediatag: %s\n", a->error->message);
      counts[ASSET_FAILED]++;
      continue;
    }
    if (stop_requested ())
      break;
    s = analyze_one (a, o, ai);
    counts[s == ASSET_UNSUPPORTED ? ASSET_FAILED : s]++;
    if (s == ASSET_CANNOT_RUN)
      return MT_EXIT_ERROR;
    if (stop_requested ())
      break;
  }
  return run_status (counts[ASSET_DONE], counts[ASSET_PARTIAL],
      counts[ASSET_FAILED]);
}

/* analyze's options, which mediatag batch takes too. */
static void
add_entries (GOptionContext * ctx, AnalyzeOptions * o)
{
  GOptionEntry entries[] = {
    {"features", 'f', 0, G_OPTION_ARG_STRING, &o->features,
        "What to find, joined by '+': labels, faces, face-search, "
          "celebrities, moderation, text, custom-labels, ppe "
          "(default labels+faces+text)", "F"},
    {"frame-capture-mode", 'm', 0, G_OPTION_ARG_STRING,
          &o->frame_capture_mode,
          "Media2Cloud frame capture mode, by code or name (default 1002, "
          "1f-every-2s)", "MODE"},
    {"min-confidence", 'c', 0, G_OPTION_ARG_STRING, &o->min_confidence,
        "Minimum confidence, 0-100 (default 80)", "N"},
    {"backend", 'b', 0, G_OPTION_ARG_STRING, &o->backend,
        "auto, aws or local (default auto: aws when AWS credentials are "
          "found)", "B"},
    {"ai-options", 0, 0, G_OPTION_ARG_FILENAME, &o->ai_options,
        "Media2Cloud aiOptions JSON file", "FILE"},
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &o->out_dir,
        "Directory for <asset>.jsonl and WebVTT tracks (default .)", "DIR"},
    {"opensearch", 0, 0, G_OPTION_ARG_STRING, &o->opensearch,
        "Also index the results into this OpenSearch URL", "URL"},
    {"opensearch-sigv4", 0, 0, G_OPTION_ARG_STRING,
          &o->branches.opensearch_sigv4,
          "Sign the --opensearch requests with AWS SigV4 (the AWS "
          "credentials and region of the run) for es (OpenSearch Service) "
          "or aoss (Serverless)", "SERVICE"},
    {"pdf-password-file", 0, 0, G_OPTION_ARG_FILENAME, &o->pdf_password_file,
          "File holding the password of encrypted PDFs (a final newline is "
          "not part of it; never shown)", "FILE"},
    {"collection-id", 0, 0, G_OPTION_ARG_STRING, &o->collection_id,
        "Face collection for face-search", "ID"},
    {"custom-label-models", 0, 0, G_OPTION_ARG_STRING,
          &o->custom_label_models,
        "Custom Labels project version ARNs, comma-separated", "ARNS"},
    {"text-roi", 0, 0, G_OPTION_ARG_STRING, &o->text_roi,
        "Text regions of interest: cells 0-8 of a 3x3 grid, comma-separated",
        "CELLS"},
    {"max-pixels", 0, 0, G_OPTION_ARG_STRING, &o->max_pixels_text,
          "Refuse images and frames above this many pixels, before decoding "
          "them (default 80M; 0: no limit)", "N"},
    {"max-tps", 0, 0, G_OPTION_ARG_STRING, &o->max_tps_text,
          "AWS requests per second at most for each service (Rekognition, "
          "Textract, Transcribe jobs, Comprehend), across all the inputs and jobs of the run "
          "(default: no limit; throttling is still met by backing off)", "N"},
    {"print-pipeline", 'p', 0, G_OPTION_ARG_NONE, &o->print_pipeline,
        "Print the gst-launch-1.0 line of each graph", NULL},
    {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &o->dry_run,
        "Probe and print each graph, analyse nothing", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet,
        "No progress and no summary table: only warnings and errors", NULL},
    {"no-summary", 0, 0, G_OPTION_ARG_NONE, &o->no_summary,
        "Do not print the summary table", NULL},
    {"report", 0, 0, G_OPTION_ARG_NONE, &o->report,
        "Also write <asset>.html, the results as one self-contained page "
          "(mediatag report)", NULL},
    {"no-thumbnails", 0, 0, G_OPTION_ARG_NONE, &o->no_thumbnails,
        "Do not keep <asset>.thumbs/<ms>.jpg, the small JPEGs of analysed "
          "frames that reports draw boxes over", NULL},
    {NULL}
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, mt_branch_options_group (&o->branches));
}

static GOptionContext *
make_context (AnalyzeOptions * o)
{
  GOptionContext *ctx = g_option_context_new ("URI|PATH... - analyse media "
      "into tags");

  g_option_context_set_summary (ctx,
      "Probes each input (local path or s3://bucket/key; its content, not "
      "its name,\ndecides what it is), builds the graph that analyses it "
      "and writes\n<asset>.jsonl (one result document a line), WebVTT "
      "tracks for video\n(<asset>.<analysis>.vtt), and a summary table.\n\n"
      "<asset> is the input's file name without its extension; when two "
      "inputs of\none run have the same name (a/dog.jpg, s3://b/dog.jpg), "
      "each gets \"-\" and the\nfirst 8 hex digits of the SHA-256 of its "
      "URI added (dog-1a2b3c4d), the same\non every run.\n\n"
      "Media that could not be analysed whole (cut short, a decoder error, "
      "stopped\nby Ctrl-C, SIGTERM or SIGHUP) is kept as "
      "<asset>.incomplete.jsonl with\n<asset>.<analysis>.incomplete.vtt "
      "tracks. Units that failed are counted and\nnamed with their API "
      "action and service code.");
  g_option_context_set_description (ctx, MT_EXIT_STATUS_HELP);
  add_entries (ctx, o);
  return ctx;
}

static int
analyze_run (int argc, char **argv)
{
  AnalyzeOptions o = { 0 };
  g_auto (MtAiOptions) ai = { 0 };
  g_autoptr (GOptionContext) ctx = make_context (&o);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) assets = NULL;
  guint sigs[3], i;
  int status = MT_EXIT_USAGE;

  mt_ai_options_init (&ai);
  mt_branch_options_init (&o.branches);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    fprintf (stderr, "mediatag analyze: %s\n", error->message);
    goto out;
  }
  if (argc < 2) {
    fprintf (stderr, "mediatag analyze: name at least one file or "
        "s3://bucket/key to analyse\n");
    goto out;
  }
  if (!o.backend)
    o.backend = g_strdup ("auto");
  if (!o.out_dir)
    o.out_dir = g_strdup (".");
  if (!load_features_class (&error)) {
    fprintf (stderr, "mediatag analyze: %s\n", error->message);
    status = MT_EXIT_ERROR;
    goto out;
  }
  if (!check_options (&o, &ai, &error)) {
    fprintf (stderr, "mediatag analyze: %s\n", error->message);
    goto out;
  }
  if (g_mkdir_with_parents (o.out_dir, 0755) != 0) {
    fprintf (stderr, "mediatag analyze: --out %s: cannot create it: %s\n",
        o.out_dir, g_strerror (errno));
    status = MT_EXIT_ERROR;
    goto out;
  }

  watch_signals (sigs);
  assets = collect_assets (argc, argv);
  status = analyze_assets (assets, &o, &ai);
  for (i = 0; i < G_N_ELEMENTS (sigs); i++)
    g_source_remove (sigs[i]);
out:
  analyze_options_clear (&o);
  return status;
}

const MtVerb mt_verb_analyze = {
  "analyze",
  "Analyse videos and images into tags (labels, faces, text, ...)",
  analyze_run,
};

/* ---- one asset at a time, for mediatag batch ------------------------- */

struct _MtAnalyzeOptions {
  AnalyzeOptions o;
  MtAiOptions ai;
};

MtAnalyzeOptions *
mt_analyze_options_new (void)
{
  MtAnalyzeOptions *opts = g_new0 (MtAnalyzeOptions, 1);

  mt_ai_options_init (&opts->ai);
  mt_branch_options_init (&opts->o.branches);
  return opts;
}

void
mt_analyze_options_free (MtAnalyzeOptions * opts)
{
  if (!opts)
    return;
  analyze_options_clear (&opts->o);
  mt_ai_options_clear (&opts->ai);
  g_free (opts);
}

void
mt_analyze_options_add (MtAnalyzeOptions * opts, GOptionContext * ctx)
{
  add_entries (ctx, &opts->o);
}

gboolean
mt_analyze_options_check (MtAnalyzeOptions * opts, GError ** error)
{
  AnalyzeOptions *o = &opts->o;

  if (o->dry_run)
    return mt_usage_error (error, "--dry-run: not for a batch (mediatag batch "
        "status DEST tells what is done)");
  if (!o->backend)
    o->backend = g_strdup ("auto");
  /* A batch says what happened per asset in its ledger: no table and no
   * per-asset progress bar on the terminal. */
  o->quiet = o->no_summary = TRUE;
  if (!features_class && !load_features_class (error))
    return FALSE;
  return check_options (o, &opts->ai, error);
}

const gchar *
mt_analyze_options_get_out (const MtAnalyzeOptions * opts)
{
  return opts->o.out_dir;
}

const gchar *
mt_analyze_options_get_opensearch (const MtAnalyzeOptions * opts)
{
  return opts->o.opensearch;
}

MtAssetStatus
mt_analyze_asset (const MtAnalyzeOptions * opts, const gchar * uri,
    const gchar * out_dir, const gchar * shown_dir, const gchar * name,
    gchar ** engine, GError ** error)
{
  static const MtAssetStatus map[] = {
    [ASSET_DONE] = MT_ASSET_DONE,
    [ASSET_PARTIAL] = MT_ASSET_PARTIAL,
    [ASSET_FAILED] = MT_ASSET_FAILED,
    [ASSET_UNSUPPORTED] = MT_ASSET_UNSUPPORTED,
    [ASSET_CANNOT_RUN] = MT_ASSET_CANNOT_RUN,
  };
  Asset a = { uri, (gchar *) uri, (gchar *) name, NULL };
  g_autofree gchar *why = NULL;
  AssetStatus s;

  s = analyze_one_into (&a, &opts->o, &opts->ai, out_dir, shown_dir, &why,
      engine);
  if (s != ASSET_DONE)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, why ? why :
        s == ASSET_CANNOT_RUN ? "the engine can do none of the features "
        "asked for" : "not analysed (no reason given)");
  return map[s];
}
