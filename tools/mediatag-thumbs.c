/* Thumbnails for mediatag report: a tee branch of the analysis graph that
 * scales each sampled frame to MT_THUMBS_WIDTH pixels wide, encodes it as
 * JPEG and writes it under its media time. Written as launch-line text so
 * --print-pipeline still shows what runs; the file naming is done in a
 * fakesink handoff because multifilesink names files by count, not by
 * time, and the report finds a frame's thumbnail by time. */
#include <glib/gstdio.h>
#include <string.h>

#include "mediatag-thumbs.h"

#define TEE_NAME "mtthumbs_tee"
#define SINK_NAME "mtthumbs"

void
mt_thumbs_append_tee (GString * launch)
{
  g_string_append (launch, " ! tee name=" TEE_NAME " ! queue");
}

void
mt_thumbs_append_branch (GString * launch)
{
  /* Its own queue, so encoding runs on its own thread beside the
   * analysis; the frames are already sampled, so it sees few. */
  g_string_append_printf (launch, " " TEE_NAME ". ! queue max-size-buffers=8"
      " ! videoscale ! video/x-raw,width=%d,pixel-aspect-ratio=1/1"
      " ! videoconvert ! jpegenc quality=70 ! fakesink name=" SINK_NAME
      " signal-handoffs=true sync=false async=false", MT_THUMBS_WIDTH);
}

/* The frame's stream time, as the analysis element stamps its results
 * (it differs from the PTS when the segment does not start at 0: an MP4
 * whose B-frames shift the first PTS). */
static gint64
media_ms (GstPad * pad, GstBuffer * buf)
{
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  GstClockTime t = GST_BUFFER_PTS (buf);

  if (ev && GST_CLOCK_TIME_IS_VALID (t)) {
    const GstSegment *seg;

    gst_event_parse_segment (ev, &seg);
    if (seg->format == GST_FORMAT_TIME)
      t = gst_segment_to_stream_time (seg, GST_FORMAT_TIME, t);
  }
  if (ev)
    gst_event_unref (ev);
  return GST_CLOCK_TIME_IS_VALID (t) ? (gint64) ((t + 500000) / GST_MSECOND)
      : 0;
}

static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, gpointer data)
{
  const gchar *dir = data;
  gint64 ms = media_ms (pad, buf);
  g_autofree gchar *name = g_strdup_printf ("%" G_GINT64_FORMAT ".jpg", ms);
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  GstMapInfo map;

  /* Made at the first frame, so a run that analyses nothing leaves no
   * folder behind. */
  if (g_mkdir_with_parents (dir, 0755) != 0
      || !gst_buffer_map (buf, &map, GST_MAP_READ))
    return;
  if (!g_file_set_contents (path, (const gchar *) map.data, map.size,
          &error))
    GST_WARNING_OBJECT (sink, "thumbnail %s not written: %s", path,
        error->message);
  gst_buffer_unmap (buf, &map);
}

static void
remove_old (const gchar * dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    g_autofree gchar *path = g_build_filename (dir, name, NULL);

    if (g_str_has_suffix (name, ".jpg"))
      g_unlink (path);
  }
}

static void
free_dir (gpointer data, GClosure * closure)
{
  g_free (data);
}

gboolean
mt_thumbs_attach (GstElement * pipeline, const gchar * dir, GError ** error)
{
  g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline),
      SINK_NAME);

  if (!sink)
    return TRUE;
  if (g_file_test (dir, G_FILE_TEST_EXISTS)
      && !g_file_test (dir, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
        "cannot keep thumbnails in %s: it is not a folder", dir);
    return FALSE;
  }
  remove_old (dir);
  g_signal_connect_data (sink, "handoff", G_CALLBACK (on_handoff),
      g_strdup (dir), free_dir, 0);
  return TRUE;
}

void
mt_thumbs_discard (const gchar * dir)
{
  remove_old (dir);
  g_rmdir (dir);
}
