/* mediatag analyze: the main job. Probes each input (GstDiscoverer), builds
 * the graph that analyses it out of mediatag's elements — written as a
 * launch line, so what runs is what a user could type themselves
 * (--print-pipeline) — runs it with a progress bar, and writes the results:
 * <asset>.jsonl per asset, WebVTT tracks for video, and a summary table.
 *
 * Results are written to "<asset>.jsonl.part" while the graph runs and
 * renamed to "<asset>.jsonl" only when it reaches EOS, so a file with that
 * name is always whole. Ctrl-C stops cleanly: what was analysed so far is
 * flushed and kept as "<asset>.incomplete.jsonl". */
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mediatag.h"
#include "mediatag-analyze.h"
#include "mediatag-summary.h"

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
  gdouble min_confidence;
  gchar *backend;
  gchar *ai_options;
  gchar *out_dir;
  gchar *opensearch;
  gchar *collection_id;
  gchar *custom_label_models;
  gchar *text_roi;
  gboolean print_pipeline;
  gboolean dry_run;
  gboolean quiet;
  gboolean no_summary;
} AnalyzeOptions;

typedef struct {
  GMainLoop *loop;
  GstElement *pipeline;
  gboolean interrupted;
  gboolean failed;
  gchar *error_text;
  guint frames;
  GstClockTime analysed;        /* media time of the last analysed frame */
  GstClockTime duration;
  gboolean progress;
  gint64 started;
} RunState;

static void
analyze_options_clear (AnalyzeOptions * o)
{
  g_free (o->features);
  g_free (o->frame_capture_mode);
  g_free (o->backend);
  g_free (o->ai_options);
  g_free (o->out_dir);
  g_free (o->opensearch);
  g_free (o->collection_id);
  g_free (o->custom_label_models);
  g_free (o->text_roi);
}

/* ---- input ------------------------------------------------------------ */

/* A local path becomes a file:// URI; s3:// and other URIs pass through. */
static gchar *
input_to_uri (const gchar * input, GError ** error)
{
  g_autofree gchar *abs = NULL;

  if (gst_uri_is_valid (input) && !g_str_has_prefix (input, "file:"))
    return g_strdup (input);
  if (g_str_has_prefix (input, "file:"))
    return g_strdup (input);
  if (!g_file_test (input, G_FILE_TEST_EXISTS)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "%s: no such file", input);
    return NULL;
  }
  if (g_file_test (input, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR,
        "%s: is a directory, not a media file", input);
    return NULL;
  }
  abs = g_canonicalize_filename (input, NULL);
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

static gboolean
uri_looks_like_document (const gchar * uri)
{
  g_autofree gchar *lower = g_ascii_strdown (uri, -1);

  return g_str_has_suffix (lower, ".pdf") || g_str_has_suffix (lower, ".docx")
      || g_str_has_suffix (lower, ".doc") || g_str_has_suffix (lower, ".odt");
}

/* Reads the first bytes of a local file to tell a PDF from what the
 * discoverer cannot open. */
static gboolean
local_file_is_pdf (const gchar * uri)
{
  g_autofree gchar *path = g_filename_from_uri (uri, NULL, NULL);
  gchar head[5] = { 0 };
  FILE *f;
  gboolean pdf;

  if (!path || !(f = fopen (path, "rb")))
    return FALSE;
  pdf = fread (head, 1, 5, f) == 5 && memcmp (head, "%PDF-", 5) == 0;
  fclose (f);
  return pdf;
}

static gboolean
probe_media (const gchar * uri, MediaKind * kind, GstClockTime * duration,
    GError ** error)
{
  g_autoptr (GstDiscoverer) disc = NULL;
  g_autoptr (GstDiscovererInfo) info = NULL;
  g_autoptr (GError) derr = NULL;
  GList *videos, *audios, *l;
  gboolean image = FALSE;

  if (g_str_has_prefix (uri, "file:") ? local_file_is_pdf (uri)
      : uri_looks_like_document (uri)) {
    *kind = MEDIA_DOCUMENT;
    *duration = GST_CLOCK_TIME_NONE;
    return TRUE;
  }

  disc = gst_discoverer_new (30 * GST_SECOND, error);
  if (!disc)
    return FALSE;
  info = gst_discoverer_discover_uri (disc, uri, &derr);
  if (!info || gst_discoverer_info_get_result (info) != GST_DISCOVERER_OK) {
    GstDiscovererResult res = info ? gst_discoverer_info_get_result (info)
        : GST_DISCOVERER_ERROR;

    if (res == GST_DISCOVERER_MISSING_PLUGINS) {
      const gchar **details = gst_discoverer_info_get_missing_elements_installer_details (info);
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
          "cannot read the media: %s",
          derr ? derr->message : "unknown error");
    }
    return FALSE;
  }

  videos = gst_discoverer_info_get_video_streams (info);
  audios = gst_discoverer_info_get_audio_streams (info);
  for (l = videos; l; l = l->next)
    image |= gst_discoverer_video_info_is_image (GST_DISCOVERER_VIDEO_INFO (l->data));
  *duration = gst_discoverer_info_get_duration (info);
  if (videos)
    *kind = image ? MEDIA_IMAGE : MEDIA_VIDEO;
  else if (audios)
    *kind = MEDIA_AUDIO;
  gst_discoverer_stream_info_list_free (videos);
  gst_discoverer_stream_info_list_free (audios);
  if (!videos && !audios) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_TYPE_NOT_FOUND,
        "no video, image or audio stream in it");
    return FALSE;
  }
  return TRUE;
}

/* ---- the graph -------------------------------------------------------- */

static gchar *
quote (const gchar * s)
{
  GString *q = g_string_new ("\"");
  const gchar *p;

  for (p = s; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_c (q, '\\');
    g_string_append_c (q, *p);
  }
  g_string_append_c (q, '"');
  return g_string_free (q, FALSE);
}

static gchar *
source_for_uri (const gchar * uri)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *q = NULL;

  if (g_str_has_prefix (uri, "file:")) {
    path = g_filename_from_uri (uri, NULL, NULL);
    q = quote (path);
    return g_strdup_printf ("filesrc location=%s", q);
  }
  if (g_str_has_prefix (uri, "s3:")) {
    q = quote (uri);
    return g_strdup_printf ("s3src uri=%s", q);
  }
  q = quote (uri);
  return g_strdup_printf ("urisourcebin uri=%s", q);
}

gchar *
mt_analyze_build_launch (const gchar * uri, gboolean video,
    const MtAnalyzeGraph * g)
{
  GString *s = g_string_new (NULL);
  g_autofree gchar *src = source_for_uri (uri);
  g_autofree gchar *loc = quote (g->location);

  g_string_append_printf (s, "%s ! decodebin ! videoconvert", src);
  if (video)
    g_string_append_printf (s, " ! framesampler frame-capture-mode=%s",
        g->frame_capture_mode);
  g_string_append_printf (s, " ! rekognitionsink features=%s"
      " min-confidence=%g backend=%s location=%s", g->features,
      g->min_confidence, g->backend, loc);
  if (g->collection_id) {
    g_autofree gchar *c = quote (g->collection_id);
    g_string_append_printf (s, " collection-id=%s", c);
  }
  if (g->custom_label_models) {
    g_autofree gchar *c = quote (g->custom_label_models);
    g_string_append_printf (s, " custom-label-models=%s", c);
  }
  if (g->text_roi) {
    g_autofree gchar *c = quote (g->text_roi);
    g_string_append_printf (s, " text-roi=%s", c);
  }
  if (g->opensearch) {
    g_autofree gchar *u = quote (g->opensearch);
    g_string_append_printf (s, " ! opensearchsink url=%s", u);
  }
  return g_string_free (s, FALSE);
}

/* ---- running ---------------------------------------------------------- */

static void
format_clock (GstClockTime t, gchar * buf, gsize len)
{
  guint64 s = GST_CLOCK_TIME_IS_VALID (t) ? t / GST_SECOND : 0;

  g_snprintf (buf, len, "%" G_GUINT64_FORMAT ":%02u", s / 60,
      (guint) (s % 60));
}

/* Progress is what has been analysed, not what has been decoded: the
 * position is the media time of the last analysed frame (from the analysis
 * element's messages), which the decoder may run far ahead of. */
static void
print_progress (RunState * st, gboolean final)
{
  GstClockTime pos = final ? st->duration : st->analysed;
  gdouble frac = 0;
  gint width = 30, filled, i;
  gchar p[32], d[32], eta[48] = "";

  if (!st->progress)
    return;
  if (GST_CLOCK_TIME_IS_VALID (pos) && GST_CLOCK_TIME_IS_VALID (st->duration)
      && st->duration > 0)
    frac = CLAMP ((gdouble) pos / st->duration, 0.0, 1.0);
  if (frac > 0.02 && !final) {
    gdouble left = (g_get_monotonic_time () - st->started) / 1e6 *
        (1 - frac) / frac;
    g_snprintf (eta, sizeof eta, "ETA %.0f s", left);
  }
  format_clock (pos, p, sizeof p);
  format_clock (st->duration, d, sizeof d);
  filled = (gint) (frac * width);
  fprintf (stderr, "\r[");
  for (i = 0; i < width; i++)
    fputc (i < filled ? '#' : '.', stderr);
  fprintf (stderr, "] %3.0f%%  %s / %s  %u frames  %-12s", frac * 100, p, d,
      st->frames, eta);
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
on_interrupt (gpointer data)
{
  RunState *st = data;

  if (st->interrupted) {
    /* A second Ctrl-C: stop now, without waiting for the drain. */
    g_main_loop_quit (st->loop);
    return G_SOURCE_CONTINUE;
  }
  st->interrupted = TRUE;
  fprintf (stderr, "\nmediatag: interrupted, finishing what is in flight "
      "(Ctrl-C again to stop at once)\n");
  /* EOS drains the analysis elements: every frame already taken is
   * analysed and its results written before the pipeline stops. */
  gst_element_send_event (st->pipeline, gst_event_new_eos ());
  return G_SOURCE_CONTINUE;
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
      g_autofree gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      if (!st->failed) {
        st->failed = TRUE;
        st->error_text = g_strdup (err->message);
      }
      g_main_loop_quit (st->loop);
      break;
    }
    case GST_MESSAGE_WARNING:{
      g_autoptr (GError) err = NULL;

      gst_message_parse_warning (msg, &err, NULL);
      if (st->progress)
        fputc ('\n', stderr);
      fprintf (stderr, "mediatag: warning: %s\n", err->message);
      break;
    }
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);

      guint64 t;

      /* One message per analysed unit (frame or image). */
      if (s && gst_structure_has_name (s, "rekognitionsink")) {
        st->frames++;
        if (gst_structure_get_uint64 (s, "stream-time", &t)
            && GST_CLOCK_TIME_IS_VALID (t))
          st->analysed = t;
      }
      break;
    }
    default:
      break;
  }
  return TRUE;
}

static gboolean
run_pipeline (const gchar * launch, gboolean progress, RunState * st,
    GError ** error)
{
  g_autoptr (GstBus) bus = NULL;
  guint sig, tick = 0, watch;
  GstStateChangeReturn ret;

  st->pipeline = gst_parse_launch_full (launch, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (!st->pipeline)
    return FALSE;
  st->loop = g_main_loop_new (NULL, FALSE);
  st->progress = progress;
  st->started = g_get_monotonic_time ();
  bus = gst_element_get_bus (st->pipeline);
  watch = gst_bus_add_watch (bus, on_bus, st);
  sig = g_unix_signal_add (SIGINT, on_interrupt, st);
  if (progress)
    tick = g_timeout_add (250, on_progress_tick, st);

  ret = gst_element_set_state (st->pipeline, GST_STATE_PLAYING);
  if (ret != GST_STATE_CHANGE_FAILURE)
    g_main_loop_run (st->loop);
  else if (!st->failed) {
    /* The error message, if any, is on the bus already. */
    GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (m) {
      on_bus (bus, m, st);
      gst_message_unref (m);
    } else {
      st->failed = TRUE;
      st->error_text = g_strdup ("the pipeline could not start");
    }
  }
  if (!st->failed && !st->interrupted)
    print_progress (st, TRUE);
  else if (progress)
    fputc ('\n', stderr);

  if (tick)
    g_source_remove (tick);
  g_source_remove (sig);
  g_source_remove (watch);
  gst_element_set_state (st->pipeline, GST_STATE_NULL);
  gst_clear_object (&st->pipeline);
  g_main_loop_unref (st->loop);
  return TRUE;
}

/* ---- one asset -------------------------------------------------------- */

static int
analyze_one (const gchar * input, const AnalyzeOptions * o,
    const MtAiOptions * ai)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *uri = NULL;
  g_autofree gchar *name = NULL;
  g_autofree gchar *base = NULL;
  g_autofree gchar *part = NULL;
  g_autofree gchar *final = NULL;
  g_autofree gchar *incomplete = NULL;
  g_autofree gchar *launch = NULL;
  MediaKind kind;
  GstClockTime duration;
  MtAnalyzeGraph g = { 0 };
  RunState st = { 0 };

  st.analysed = GST_CLOCK_TIME_NONE;

  uri = input_to_uri (input, &error);
  if (!uri || !probe_media (uri, &kind, &duration, &error)) {
    fprintf (stderr, "mediatag: %s: %s\n", input, error->message);
    return 1;
  }
  if (kind == MEDIA_AUDIO || kind == MEDIA_DOCUMENT) {
    fprintf (stderr, "mediatag: %s: %s media recognised; its analysis "
        "(%s) is not available in this version, so it was not analysed\n",
        input, media_kind_names[kind],
        kind == MEDIA_AUDIO ? "transcribesink" : "textractsink");
    return 0;
  }

  name = asset_name_for_uri (uri);
  base = g_build_filename (o->out_dir, name, NULL);
  final = g_strconcat (base, ".jsonl", NULL);
  part = g_strconcat (final, ".part", NULL);
  incomplete = g_strconcat (base, ".incomplete.jsonl", NULL);

  g.features = ai->features;
  g.frame_capture_mode = ai->frame_capture_mode;
  g.min_confidence = ai->min_confidence;
  g.backend = o->backend;
  g.location = part;
  g.opensearch = o->opensearch;
  g.collection_id = ai->collection_id;
  g.custom_label_models = ai->custom_label_models;
  g.text_roi = ai->text_roi;
  launch = mt_analyze_build_launch (uri, kind == MEDIA_VIDEO, &g);

  if (o->print_pipeline || o->dry_run)
    printf ("gst-launch-1.0 -e %s\n", launch);
  if (o->dry_run)
    return 0;
  if (!o->quiet)
    fprintf (stderr, "mediatag: %s: %s, analysing %s\n", input,
        media_kind_names[kind], ai->features);

  st.duration = duration;
  g_unlink (part);
  if (!run_pipeline (launch, !o->quiet && isatty (STDERR_FILENO), &st,
          &error)) {
    fprintf (stderr, "mediatag: %s: cannot build the graph: %s\n", input,
        error->message);
    return 1;
  }
  if (st.failed) {
    fprintf (stderr, "mediatag: %s: %s\n", input, st.error_text);
    g_free (st.error_text);
    /* Half a result is not passed off as whole: keep it, marked. */
    if (g_file_test (part, G_FILE_TEST_EXISTS))
      g_rename (part, incomplete);
    return 1;
  }
  if (!g_file_test (part, G_FILE_TEST_EXISTS))
    g_file_set_contents (part, "", 0, NULL);
  if (st.interrupted) {
    g_rename (part, incomplete);
    fprintf (stderr, "mediatag: %s: stopped; results so far in %s "
        "(incomplete)\n", input, incomplete);
    return 130;
  }
  if (g_rename (part, final) != 0) {
    fprintf (stderr, "mediatag: %s: cannot write %s: %s\n", input, final,
        g_strerror (errno));
    return 1;
  }

  if (!mt_summary_write_outputs (final, o->out_dir, name,
          kind == MEDIA_VIDEO, o->no_summary ? NULL : stdout, &error)) {
    fprintf (stderr, "mediatag: %s: %s\n", input, error->message);
    return 1;
  }
  if (!o->quiet)
    fprintf (stderr, "mediatag: %s: results in %s\n", input, final);
  return 0;
}

static int
analyze_run (int argc, char **argv)
{
  AnalyzeOptions o = { 0 };
  g_auto (MtAiOptions) ai = { 0 };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  int i, status = 0;
  GOptionEntry entries[] = {
    {"features", 'f', 0, G_OPTION_ARG_STRING, &o.features,
        "What to find, joined by '+': labels, faces, face-search, "
          "celebrities, moderation, text, custom-labels, ppe "
          "(default labels+faces+text)", "F"},
    {"frame-capture-mode", 'm', 0, G_OPTION_ARG_STRING,
          &o.frame_capture_mode,
          "Media2Cloud frame capture mode, by code or name (default 1002, "
          "1f-every-2s)", "MODE"},
    {"min-confidence", 'c', 0, G_OPTION_ARG_DOUBLE, &o.min_confidence,
        "Minimum confidence, 0-100 (default 80)", "N"},
    {"backend", 'b', 0, G_OPTION_ARG_STRING, &o.backend,
        "auto, aws or local (default auto: aws when AWS credentials are "
          "found)", "B"},
    {"ai-options", 0, 0, G_OPTION_ARG_FILENAME, &o.ai_options,
        "Media2Cloud aiOptions JSON file", "FILE"},
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &o.out_dir,
        "Directory for <asset>.jsonl and WebVTT tracks (default .)", "DIR"},
    {"opensearch", 0, 0, G_OPTION_ARG_STRING, &o.opensearch,
        "Also index the results into this OpenSearch URL", "URL"},
    {"collection-id", 0, 0, G_OPTION_ARG_STRING, &o.collection_id,
        "Face collection for face-search", "ID"},
    {"custom-label-models", 0, 0, G_OPTION_ARG_STRING,
          &o.custom_label_models,
        "Custom Labels project version ARNs, comma-separated", "ARNS"},
    {"text-roi", 0, 0, G_OPTION_ARG_STRING, &o.text_roi,
        "Text regions of interest: cells 0-8 of a 3x3 grid, comma-separated",
        "CELLS"},
    {"print-pipeline", 'p', 0, G_OPTION_ARG_NONE, &o.print_pipeline,
        "Print the gst-launch-1.0 line of each graph", NULL},
    {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &o.dry_run,
        "Probe and print each graph, analyse nothing", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet,
        "No progress or summary on the terminal", NULL},
    {"no-summary", 0, 0, G_OPTION_ARG_NONE, &o.no_summary,
        "Do not print the summary table", NULL},
    {NULL}
  };

  o.min_confidence = -1;
  ctx = g_option_context_new ("URI|PATH... - analyse media into tags");
  g_option_context_set_summary (ctx,
      "Probes each input (local path or s3://bucket/key), builds the graph "
      "that analyses it\nand writes <asset>.jsonl (one result document a "
      "line), WebVTT tracks for\nvideo, and a summary table.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    fprintf (stderr, "mediatag analyze: %s\n", error->message);
    analyze_options_clear (&o);
    return 2;
  }
  if (argc < 2) {
    fprintf (stderr, "mediatag analyze: name at least one file or "
        "s3://bucket/key to analyse\n");
    analyze_options_clear (&o);
    return 2;
  }
  if (!o.backend)
    o.backend = g_strdup ("auto");
  if (!o.out_dir)
    o.out_dir = g_strdup (".");
  if (g_mkdir_with_parents (o.out_dir, 0755) != 0) {
    fprintf (stderr, "mediatag analyze: cannot create %s: %s\n", o.out_dir,
        g_strerror (errno));
    analyze_options_clear (&o);
    return 1;
  }

  mt_ai_options_init (&ai);
  if (o.ai_options && !mt_ai_options_load (&ai, o.ai_options, stderr,
          &error)) {
    fprintf (stderr, "mediatag analyze: %s: %s\n", o.ai_options,
        error->message);
    analyze_options_clear (&o);
    return 2;
  }
  /* Command-line options win over the aiOptions file. */
  if (!mt_ai_options_override (&ai, o.features, o.frame_capture_mode,
          o.min_confidence, o.collection_id, o.custom_label_models,
          o.text_roi, &error)) {
    fprintf (stderr, "mediatag analyze: %s\n", error->message);
    analyze_options_clear (&o);
    return 2;
  }

  for (i = 1; i < argc; i++) {
    int s = analyze_one (argv[i], &o, &ai);

    if (s == 130) {
      status = s;
      break;
    }
    if (s != 0)
      status = s;
  }
  analyze_options_clear (&o);
  return status;
}

const MtVerb mt_verb_analyze = {
  "analyze",
  "Analyse videos and images into tags (labels, faces, text, ...)",
  analyze_run,
};
