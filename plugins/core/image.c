/* Image decoding, encoding and shrinking to a byte limit (image.h): shared
 * by the engines that send pictures to a service as bytes (rekognitionsink
 * and textractsink's AWS engines). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "image.h"

#include <gio/gio.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (mt_image_debug);
#define GST_CAT_DEFAULT mt_image_debug

/* Each step shrinks by more than the byte ratio asks, so one step usually
 * suffices; this many steps reach any limit a service has. */
#define MAX_STEPS 8
#define MIN_SIDE 16

static void
init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (mt_image_debug, "mtimage", 0,
        "mediatag image shrinking");
    g_once_init_leave (&done, 1);
  }
}

GBytes *
mt_image_buffer_bytes (GstBuffer * buffer)
{
  GstMapInfo map;
  GBytes *bytes;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return NULL;
  bytes = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  return bytes;
}

GstSample *
mt_image_convert (GstSample * in, const gchar * media, gint width,
    gint height, GstClockTime timeout, GError ** error)
{
  g_autoptr (GstCaps) to = gst_caps_new_empty_simple (media);

  if (!strcmp (media, "video/x-raw"))
    gst_caps_set_simple (to, "format", G_TYPE_STRING, "RGB", NULL);
  if (width > 0 && height > 0)
    gst_caps_set_simple (to, "width", G_TYPE_INT, width, "height",
        G_TYPE_INT, height, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1,
        NULL);
  return gst_video_convert_sample (in, to, timeout, error);
}

static void
set_decode_error (GstElement * pipeline, GError ** error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_autoptr (GError) err = NULL;

  if (msg)
    gst_message_parse_error (msg, &err, NULL);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "The image could not be decoded%s%s", err ? ": " : "",
      err ? err->message : "");
}

/* gst_video_convert_sample() only converts raw video in GStreamer 1.22:
 * encoded images go through a small decoding pipeline. */
GstSample *
mt_image_decode (GstBuffer * buffer, GstCaps * caps, GstClockTime timeout,
    GError ** error)
{
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstElement) sink = NULL;
  GstSample *sample;

  pipeline = gst_parse_launch ("appsrc name=src ! decodebin ! videoconvert "
      "! video/x-raw,format=RGB ! appsink name=sink sync=false", error);
  if (!pipeline)
    return NULL;
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_app_src_set_caps (GST_APP_SRC (src), caps);
  gst_app_src_push_buffer (GST_APP_SRC (src), gst_buffer_ref (buffer));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), timeout);
  if (!sample)
    set_decode_error (pipeline, error);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return sample;
}

GBytes *
mt_image_jpeg_within (GstSample * raw, gsize limit, GstClockTime timeout,
    GError ** error)
{
  GstVideoInfo info;
  gdouble scale = 1;
  guint step;

  init_debug ();
  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (raw))) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The image's pixels have no usable format");
    return NULL;
  }
  for (step = 0; step < MAX_STEPS; step++) {
    /* The first try keeps the image's own size (odd sides too). */
    gint w = step ? MAX (MIN_SIDE, (gint) (info.width * scale)) & ~1 : 0;
    gint h = step ? MAX (MIN_SIDE, (gint) (info.height * scale)) & ~1 : 0;
    g_autoptr (GstSample) jpeg = mt_image_convert (raw, "image/jpeg", w, h,
        timeout, error);
    gsize size;

    if (!jpeg)
      return NULL;
    size = gst_buffer_get_size (gst_sample_get_buffer (jpeg));
    if (size <= limit)
      return mt_image_buffer_bytes (gst_sample_get_buffer (jpeg));
    /* Bytes grow with the area: scale the sides by the square root, with
     * a margin. */
    scale *= sqrt ((gdouble) limit / size) * 0.9;
    GST_DEBUG ("JPEG of %" G_GSIZE_FORMAT " bytes over %" G_GSIZE_FORMAT
        " at step %u: scaling %dx%d by %.3f", size, limit, step, info.width,
        info.height, scale);
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
      "Could not bring the image under %" G_GSIZE_FORMAT " bytes", limit);
  return NULL;
}
