/* The mediatag command: shared declarations of its verbs. Each verb lives
 * in its own file (tools/mediatag-<verb>.c) and is listed in mediatag.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit status of every verb (README "Exit status"). A failure is never
 * reported as success. */
enum {
  MT_EXIT_OK = 0,               /* all done */
  MT_EXIT_ERROR = 1,            /* an error: nothing could be done */
  MT_EXIT_USAGE = 2,            /* a bad option or value, before any work */
  MT_EXIT_PARTIAL = 3,          /* some assets or units failed or were
                                 * incomplete; the rest was done */
  /* 128 + N: stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP),
   * what was done kept under incomplete names */
};

/* The exit status text of --help, the same for every verb. */
#define MT_EXIT_STATUS_HELP \
  "Exit status: 0 all done; 1 error (nothing could be done); 2 usage (a " \
  "bad option\nor value, found before any work); 3 partial (some assets " \
  "or units failed or\nwere incomplete, the rest was done); 128+N stopped " \
  "by signal N (130 Ctrl-C,\n143 SIGTERM), what was done kept as " \
  "<asset>.incomplete.jsonl."

/* Sets a G_OPTION_ERROR_BAD_VALUE (a usage error: exit status 2) and
 * returns FALSE, for option checks. */
gboolean mt_usage_error (GError ** error, const gchar * format, ...)
    G_GNUC_PRINTF (2, 3);

typedef struct {
  const gchar *name;
  const gchar *summary;
  /* argv[0] is the verb's name; returns the process exit status. */
  int (*run) (int argc, char **argv);
} MtVerb;

G_END_DECLS
