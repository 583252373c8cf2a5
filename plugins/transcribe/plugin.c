/* The mediatagtranscribe plugin: registers transcribesink. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include "core.h"
#include "gsttranscribesink.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  mt_core_init ();
  return GST_ELEMENT_REGISTER (transcribesink, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, mediatagtranscribe,
    "Speech to text (Amazon Transcribe and pocketsphinx) as a streaming "
    "element", plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME,
    GST_PACKAGE_ORIGIN)
