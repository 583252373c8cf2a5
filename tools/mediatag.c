/* mediatag: the command-line front end. Dispatches to one verb per file;
 * see `mediatag --help`. */
#include <gst/gst.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "mediatag.h"
#include "mediatag-config.h"
#include "core.h"

extern const MtVerb mt_verb_analyze;
extern const MtVerb mt_verb_models;
extern const MtVerb mt_verb_aws;
#ifdef MT_HAVE_VISION
extern const MtVerb mt_verb_faces;
#endif

/* Verbs register here as their issues land (analyze, models, faces, ...). */
static const MtVerb *verbs[] = {
  &mt_verb_analyze,
  &mt_verb_models,
  &mt_verb_aws,
#ifdef MT_HAVE_VISION
  &mt_verb_faces,
#endif
  NULL,
};

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
  fprintf (out, "\nRun `mediatag VERB --help` for a verb's options.\n");
}

int
main (int argc, char **argv)
{
  const MtVerb *const *v;

  setlocale (LC_ALL, "");
  if (argc < 2) {
    print_usage (stderr);
    return 2;
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
      gst_init (NULL, NULL);
      mt_core_init ();
      return (*v)->run (argc - 1, argv + 1);
    }
  }
  fprintf (stderr, "mediatag: unknown verb '%s'. Run `mediatag --help`.\n",
      argv[1]);
  return 2;
}
