/* Reads the text of image files with libmediatag-vision, one vision context
 * for all of them, as rekognitionsink's local engine does per frame:
 *
 *   test-captions-read MIN_CONFIDENCE IMAGE...
 *
 * Prints, per image, "image<TAB>PATH<TAB>MS<TAB>CPU_MS" (wall-clock and
 * process CPU time of the call) and then one line per result:
 * "LINE|WORD<TAB>ID<TAB>PARENT_ID<TAB>CONFIDENCE<TAB>LEFT<TAB>TOP<TAB>WIDTH
 * <TAB>HEIGHT<TAB>TEXT" (box relative to the image). The
 * caption test and tests/bench/bench-captions.py score these. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vision.h"

static gboolean
read_image (MtVisionContext * ctx, const gchar * path, gdouble min_confidence)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MtImage) img = mt_image_load (path, &error);
  g_autoptr (GPtrArray) texts = NULL;
  gint64 start;
  struct timespec cpu0, cpu1;
  guint i;

  if (!img) {
    g_printerr ("%s: %s\n", path, error->message);
    return FALSE;
  }
  start = g_get_monotonic_time ();
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &cpu0);
  texts = mt_vision_detect_text (ctx, img, MT_TEXT_MODE_AUTO,
      MT_TEXT_ROI_ALL, min_confidence, &error);
  if (!texts) {
    g_printerr ("%s: %s\n", path, error->message);
    return FALSE;
  }
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &cpu1);
  printf ("image\t%s\t%.1f\t%.1f\n", path,
      (g_get_monotonic_time () - start) / 1000.0,
      (cpu1.tv_sec - cpu0.tv_sec) * 1e3 + (cpu1.tv_nsec - cpu0.tv_nsec) / 1e6);
  for (i = 0; i < texts->len; i++) {
    const MtText *t = g_ptr_array_index (texts, i);

    printf ("%s\t%u\t%d\t%.1f\t%.4f\t%.4f\t%.4f\t%.4f\t%s\n",
        t->type == MT_TEXT_LINE ? "LINE" : "WORD", t->id, t->parent_id,
        t->confidence, t->box.left, t->box.top, t->box.width, t->box.height,
        t->text);
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MtVisionContext) ctx = NULL;
  gint i;

  if (argc < 3) {
    g_printerr ("usage: %s MIN_CONFIDENCE IMAGE...\n", argv[0]);
    return 2;
  }
  ctx = mt_vision_context_new (NULL, MT_VISION_TEXT, &error);
  if (!ctx) {
    g_printerr ("%s\n", error->message);
    return error->code == MT_VISION_ERROR_MODEL_MISSING ? 77 : 1;
  }
  for (i = 2; i < argc; i++)
    if (!read_image (ctx, argv[i], g_ascii_strtod (argv[1], NULL)))
      return 1;
  return 0;
}
