/* The mediatagcomprehend plugin: registers comprehend. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include "core.h"
#include "gstcomprehend.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  mt_core_init ();
  return GST_ELEMENT_REGISTER (comprehend, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, mediatagcomprehend,
    "Amazon Comprehend and local text analysis as a streaming element",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
