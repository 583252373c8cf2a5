/* mediatagopensearch: the plugin holding opensearchsink. */
#include <gst/gst.h>

#include "core.h"
#include "gstopensearchsink.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  mt_core_init ();
  return GST_ELEMENT_REGISTER (opensearchsink, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, mediatagopensearch,
    "Bulk indexing of result documents into OpenSearch and Elasticsearch",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
