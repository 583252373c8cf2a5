/* The mediatagtextract plugin: registers textractsink. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include "core.h"
#include "gsttextractsink.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  mt_core_init ();
  return GST_ELEMENT_REGISTER (textractsink, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, mediatagtextract,
    "Amazon Textract and local document analysis as streaming elements",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
