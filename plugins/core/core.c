/* mediatag core: one-time initialisation shared by every plugin. */
#include "core.h"

#include <curl/curl.h>

GST_DEBUG_CATEGORY (mt_core_debug);

static gpointer
core_init_once (gpointer data)
{
  GST_DEBUG_CATEGORY_INIT (mt_core_debug, "mediatag", 0,
      "mediatag core (AWS, HTTP, results)");
  /* curl_global_init is not thread-safe before 7.84; doing it once here,
   * before any element thread starts, keeps every later curl call safe. */
  curl_global_init (CURL_GLOBAL_DEFAULT);
  return NULL;
}

void
mt_core_init (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, core_init_once, NULL);
}
