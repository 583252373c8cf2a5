/* mediatags3: the plugin holding s3src and s3sink. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "core.h"
#include "gsts3src.h"
#include "gsts3sink.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  mt_core_init ();
  ret |= GST_ELEMENT_REGISTER (s3src, plugin);
  ret |= GST_ELEMENT_REGISTER (s3sink, plugin);
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, mediatags3,
    "Amazon S3 source and sink: seekable, resumable reads and multipart "
    "writes", plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME,
    GST_PACKAGE_ORIGIN)
