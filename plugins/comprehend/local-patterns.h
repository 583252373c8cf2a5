/* The pattern half of comprehend's local entities (local-patterns.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends DATE and QUANTITY matches (MtEntity, possibly overlapping) in
 * the first `len` bytes of `text` to `out`. */
void mt_pattern_entities (const gchar * text, gsize len, GArray * out);

G_END_DECLS
