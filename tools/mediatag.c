/* mediatag: the command-line front end. Dispatches to one verb per file;
 * see `mediatag --help`. */
#include <gst/gst.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mediatag.h"
#include "mediatag-config.h"
#include "core.h"

extern const MtVerb mt_verb_analyze;
extern const MtVerb mt_verb_batch;
extern const MtVerb mt_verb_models;
extern const MtVerb mt_verb_aws;
extern const MtVerb mt_verb_report;
#ifdef MT_HAVE_VISION
extern const MtVerb mt_verb_faces;
#endif

/* Verbs register here as their issues land (analyze, models, faces, ...). */
static const MtVerb *verbs[] = {
  &mt_verb_analyze,
  &mt_verb_batch,
  &mt_verb_models,
  &mt_verb_aws,
  &mt_verb_report,
#ifdef MT_HAVE_VISION
  &mt_verb_faces,
#endif
  NULL,
};

/* Run from its build tree (build/tools/mediatag), the tool uses that
 * build's plugins, found before any installed ones, so it works without
 * `meson devenv`; installed, it leaves GStreamer's search alone. The
 * executable's real path decides, not the working directory. */
static void
use_build_tree_plugins (void)
{
  g_autofree gchar *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree gchar *dir = exe ? g_path_get_dirname (exe) : NULL;
  g_autofree gchar *tools = realpath (MT_BUILD_ROOT "/tools", NULL);
  g_auto (GStrv) wanted = g_strsplit (MT_BUILD_PLUGIN_PATH, ":", -1);
  g_autoptr (GString) path = g_string_new (NULL);
  const gchar *old = g_getenv ("GST_PLUGIN_PATH");
  guint i;

  if (!dir || g_strcmp0 (dir, tools) != 0)
    return;
  for (i = 0; wanted[i]; i++) {
    g_autofree gchar *needle = g_strdup_printf (":%s:", wanted[i]);
    g_autofree gchar *hay = g_strdup_printf (":%s:", old ? old : "");

    if (*wanted[i] && !strstr (hay, needle))
      g_string_append_printf (path, "%s%s", path->len ? ":" : "", wanted[i]);
  }
  if (!path->len)
    return;
  if (old && *old)
    g_string_append_printf (path, ":%s", old);
  g_setenv ("GST_PLUGIN_PATH", path->str, TRUE);
}

static void
print_usage (FILE * out)
{
  const MtVerb *const *v;

  fprintf (out, "Usage: mediatag [--version] [--help] VERB [ARGS...]\n\n"
      "Tags media (video, audio, images, documents) with labels, faces,\n"
      "text and more, with AWS or local engines, as GStreamer graphs.\n\n"
      "Verbs:\n");
  for (v = verbs; *v; v++)
    fprintf (out, "  %-10s %s\n", (*v)->name, (*v)->summary);
  fprintf (out, "\nRun `mediatag VERB --help` for a verb's options.\n\n%s\n",
      MT_EXIT_STATUS_HELP);
}

gboolean
mt_usage_error (GError ** error, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  *error = g_error_new_valist (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      format, args);
  va_end (args);
  return FALSE;
}

int
main (int argc, char **argv)
{
  const MtVerb *const *v;

  setlocale (LC_ALL, "");
  if (argc < 2) {
    print_usage (stderr);
    return MT_EXIT_USAGE;
  }
  if (!strcmp (argv[1], "--help") || !strcmp (argv[1], "-h")
      || !strcmp (argv[1], "help")) {
    print_usage (stdout);
    return 0;
  }
  if (!strcmp (argv[1], "--version")) {
    guint maj, min, mic, nano;

    gst_version (&maj, &min, &mic, &nano);
    printf ("mediatag %s (GStreamer %u.%u.%u)\n", MEDIATAG_VERSION, maj, min,
        mic);
    return 0;
  }
  for (v = verbs; *v; v++) {
    if (!strcmp (argv[1], (*v)->name)) {
      use_build_tree_plugins ();
      gst_init (NULL, NULL);
      mt_core_init ();
      return (*v)->run (argc - 1, argv + 1);
    }
  }
  fprintf (stderr, "mediatag: unknown verb '%s'. Run `mediatag --help`.\n",
      argv[1]);
  return MT_EXIT_USAGE;
}
