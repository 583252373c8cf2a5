/* The mediatag command: shared declarations of its verbs. Each verb lives
 * in its own file (tools/mediatag-<verb>.c) and is listed in mediatag.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const gchar *name;
  const gchar *summary;
  /* argv[0] is the verb's name; returns the process exit status. */
  int (*run) (int argc, char **argv);
} MtVerb;

G_END_DECLS
