/* mediatag core: library initialisation and the shared debug category.
 *
 * Every plugin calls mt_core_init() from its plugin_init so the core's debug
 * category and registered types exist before any element runs. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (mt_core_debug);

void mt_core_init (void);

G_END_DECLS
