/* The mediatagrekognition plugin: registers rekognitionsink. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include "core.h"
#include "gstrekognitionsink.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  mt_core_init ();
  return GST_ELEMENT_REGISTER (rekognitionsink, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, mediatagrekognition,
    "Amazon Rekognition and local image analysis as streaming elements",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
